//! Inbound Raft RPC: decode a request body, hand it to the local Raft, encode the reply.
//!
//! Framework-free on purpose: the node's HTTPS server and the simulator's network both call
//! [`handle`], so the bytes a node accepts, and the check of who sent them, are the same in
//! production and in simulation.

use crate::https::PeerCertificate;
use crate::network::{PATH_APPEND, PATH_SNAPSHOT, PATH_VOTE};
use crate::wire::{self, WireError};
use crate::{NodeId, Raft};

/// Who sent an inbound RPC, as its transport established it.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A node the transport itself identified (the simulator's network, in-process tests).
    Node(NodeId),
    /// The certificate a peer presented over mutual TLS, its chain already checked.
    Certificate(PeerCertificate),
}

impl Caller {
    /// Whether the caller is `node`.
    pub fn is(&self, node: NodeId) -> bool {
        match self {
            Caller::Node(caller) => *caller == node,
            Caller::Certificate(certificate) => certificate.names(node),
        }
    }
}

/// The request was not a Raft RPC this node understands.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("unknown RPC path {0}")]
    UnknownPath(String),
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The caller is not the node the request says it comes from.
    #[error("{0}")]
    Impostor(String),
}

/// Refuses a request that claims to come from `sender` unless the caller is that node: a
/// certificate from the cluster CA for one node must not vote or append as another.
fn check_sender(caller: &Caller, sender: Option<NodeId>, what: &str) -> Result<(), ServiceError> {
    match sender {
        Some(sender) if caller.is(sender) => Ok(()),
        Some(sender) => Err(ServiceError::Impostor(format!(
            "a {what} from node {sender} came from a caller that is not node {sender} (its certificate does not name \
             {})",
            crate::https::node_name(sender)
        ))),
        None => Err(ServiceError::Impostor(format!("a {what} names no sending node"))),
    }
}

/// Handles one Raft RPC from `caller`; the reply is a [`wire::PbReply`] envelope.
pub async fn handle(raft: &Raft, path: &str, body: &[u8], caller: &Caller) -> Result<Vec<u8>, ServiceError> {
    match path {
        PATH_APPEND => {
            let request = wire::decode_append_request(body)?;
            check_sender(caller, request.vote.leader_id().voted_for(), "log append")?;
            let result = raft.append_entries(request).await;
            Ok(wire::encode_reply(result.map(|response| wire::encode_append_response(&response))))
        }
        PATH_VOTE => {
            let request = wire::decode_vote_request(body)?;
            check_sender(caller, request.vote.leader_id().voted_for(), "vote request")?;
            let result = raft.vote(request).await;
            Ok(wire::encode_reply(result.map(|response| wire::encode_vote_response(&response))))
        }
        PATH_SNAPSHOT => {
            let request = wire::decode_snapshot_request(body)?;
            check_sender(caller, request.vote.leader_id().voted_for(), "snapshot")?;
            let result = raft.install_snapshot(request).await;
            Ok(wire::encode_reply(result.map(|response| wire::encode_snapshot_response(&response))))
        }
        other => Err(ServiceError::UnknownPath(other.to_string())),
    }
}
