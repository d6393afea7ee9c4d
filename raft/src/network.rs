//! Outbound Raft RPC: openraft's network traits over a [`Transport`].
//!
//! The transport is the seam between production and simulation: HTTPS with mutual TLS in the
//! node ([`crate::https::HttpsTransport`]), an in-memory network with faults in the simulator.
//! Every call carries the deadline openraft gives it (`RPCOption::hard_ttl`), so no RPC waits
//! forever on a dead or partitioned peer.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};

use crate::wire::{self, WireError};
use crate::{Member, NodeId, TypeConfig};

/// RPC paths on the node-to-node listener.
pub const PATH_APPEND: &str = "/raft/append";
pub const PATH_VOTE: &str = "/raft/vote";
pub const PATH_SNAPSHOT: &str = "/raft/snapshot";
pub const PATH_FORWARD: &str = "/raft/forward";

/// Why a call did not get an answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    /// Could not connect: the peer is down or unknown. openraft backs off before retrying.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// Connected but no complete answer before the deadline, or the answer was an HTTP error.
    #[error("network: {0}")]
    Network(String),
}

/// Sends one request to a peer's node-to-node listener and returns the reply body.
pub trait Transport: Clone + Send + Sync + 'static {
    /// Calls node `target`, which listens at `raft_addr`; an answer from any other node is an
    /// error.
    fn call(
        &self,
        target: NodeId,
        raft_addr: &str,
        path: &'static str,
        body: Vec<u8>,
        deadline: Duration,
    ) -> impl Future<Output = Result<Vec<u8>, TransportError>> + Send;
}

/// Creates one connection per target; shares the transport and the RPC error counter.
#[derive(Clone)]
pub struct Network<T: Transport> {
    transport: T,
    rpc_error_count: Arc<AtomicU64>,
}

impl<T: Transport> Network<T> {
    pub fn new(transport: T) -> Network<T> {
        Network { transport, rpc_error_count: Arc::new(AtomicU64::new(0)) }
    }

    /// Outbound Raft RPCs that failed, for `/metrics`.
    pub fn rpc_error_counter(&self) -> Arc<AtomicU64> {
        self.rpc_error_count.clone()
    }
}

impl<T: Transport> RaftNetworkFactory<TypeConfig> for Network<T> {
    type Network = Connection<T>;

    async fn new_client(&mut self, target: NodeId, node: &Member) -> Connection<T> {
        Connection {
            target,
            raft_addr: node.raft_addr.clone(),
            transport: self.transport.clone(),
            rpc_error_count: self.rpc_error_count.clone(),
        }
    }
}

pub struct Connection<T: Transport> {
    target: NodeId,
    raft_addr: String,
    transport: T,
    rpc_error_count: Arc<AtomicU64>,
}

type RpcResult<R, E> = Result<R, RPCError<NodeId, Member, E>>;

fn network_error<F: std::error::Error + 'static, E: std::error::Error>(error: &F) -> RPCError<NodeId, Member, E> {
    RPCError::Network(NetworkError::new(error))
}

impl<T: Transport> Connection<T> {
    /// Sends `body`, opens the reply envelope, and decodes the answer with `decode`. Failures
    /// are counted for `/metrics`.
    async fn rpc<R, E>(
        &self,
        path: &'static str,
        body: Result<Vec<u8>, WireError>,
        option: &RPCOption,
        decode: fn(&[u8]) -> Result<R, WireError>,
    ) -> RpcResult<R, E>
    where
        E: std::error::Error + serde::de::DeserializeOwned,
    {
        let result = async {
            let body = body.map_err(|e| network_error(&e))?;
            let reply = match self.transport.call(self.target, &self.raft_addr, path, body, option.hard_ttl()).await {
                Ok(reply) => reply,
                Err(error @ TransportError::Unreachable(_)) => {
                    return Err(RPCError::Unreachable(Unreachable::new(&error)))
                }
                Err(error @ TransportError::Network(_)) => return Err(network_error(&error)),
            };
            let opened: Result<Vec<u8>, E> = wire::decode_reply(&reply).map_err(|e| network_error(&e))?;
            match opened {
                Ok(bytes) => decode(&bytes).map_err(|e| network_error(&e)),
                Err(remote) => Err(RPCError::RemoteError(RemoteError::new(self.target, remote))),
            }
        }
        .await;
        if result.is_err() {
            self.rpc_error_count.fetch_add(1, Ordering::Relaxed);
        }
        result
    }
}

impl<T: Transport> RaftNetwork<TypeConfig> for Connection<T> {
    async fn append_entries(
        &mut self,
        request: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>, RaftError<NodeId>> {
        self.rpc(PATH_APPEND, wire::encode_append_request(&request), &option, wire::decode_append_response).await
    }

    async fn install_snapshot(
        &mut self,
        request: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>> {
        self.rpc(PATH_SNAPSHOT, wire::encode_snapshot_request(&request), &option, wire::decode_snapshot_response).await
    }

    async fn vote(
        &mut self,
        request: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>, RaftError<NodeId>> {
        self.rpc(PATH_VOTE, Ok(wire::encode_vote_request(&request)), &option, wire::decode_vote_response).await
    }
}
