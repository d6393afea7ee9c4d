//! Follower-side batching: concurrent writes bound for the leader travel in one request.
//!
//! A follower that receives writes from its clients forwards them to the leader. One
//! node-to-node request per write would cost a TLS round trip and a leader handler each; the
//! forwarder sends everything queued while earlier requests are in flight as one
//! [`ForwardRequest::Writes`], and the leader hands each entry to its proposer. As with the
//! proposer, a lone write goes at once and batches grow with load.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tandem_domain::{Entry, Outcome};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::network::{Transport, PATH_FORWARD};
use crate::replica::{ForwardFailure, ForwardRequest};
use crate::wire;
use crate::NodeId;

/// Entries in one forwarded request, at most.
pub const FORWARD_ENTRY_COUNT_MAX: usize = 512;
/// Forwarded requests in flight at once, at most.
pub const FORWARDS_IN_FLIGHT_MAX: usize = 4;
/// Writes queued for forwarding, at most; a full queue makes callers wait.
pub const FORWARDER_QUEUE_CAPACITY: usize = 8192;

/// The leader's answer for one forwarded entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ForwardedOutcome {
    Applied(Outcome),
    Failed(ForwardFailure),
}

/// Why a forwarded write got no outcome.
#[derive(Debug, Clone)]
pub enum ForwardError {
    /// The leader moved, or could not be reached in time: ask again.
    Retry,
    /// The leader answered with a final failure.
    Failed(crate::WriteError),
}

struct Pending {
    leader: NodeId,
    raft_addr: String,
    entry: Entry,
    deadline: Duration,
    reply: oneshot::Sender<Result<Outcome, ForwardError>>,
}

#[derive(Clone)]
pub struct Forwarder {
    queue: mpsc::Sender<Pending>,
}

impl Forwarder {
    pub fn spawn<T: Transport>(transport: T) -> Forwarder {
        let (queue, receiver) = mpsc::channel(FORWARDER_QUEUE_CAPACITY);
        tokio::spawn(forward_loop(transport, receiver));
        Forwarder { queue }
    }

    /// Sends `entry` to `leader` at `raft_addr` and waits for its outcome, at most `deadline`.
    pub async fn forward(
        &self,
        leader: NodeId,
        raft_addr: &str,
        entry: Entry,
        deadline: Duration,
    ) -> Result<Outcome, ForwardError> {
        let (reply, outcome) = oneshot::channel();
        let pending = Pending { leader, raft_addr: raft_addr.to_string(), entry, deadline, reply };
        if self.queue.send(pending).await.is_err() {
            return Err(ForwardError::Retry);
        }
        outcome.await.unwrap_or(Err(ForwardError::Retry))
    }
}

async fn forward_loop<T: Transport>(transport: T, mut receiver: mpsc::Receiver<Pending>) {
    let in_flight = Arc::new(Semaphore::new(FORWARDS_IN_FLIGHT_MAX));
    while let Some(first) = receiver.recv().await {
        let Ok(permit) = in_flight.clone().acquire_owned().await else { return };
        let mut batch = vec![first];
        while batch.len() < FORWARD_ENTRY_COUNT_MAX {
            match receiver.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        // Writes queued during a leadership change may name different leaders.
        let mut by_leader: BTreeMap<(NodeId, String), Vec<Pending>> = BTreeMap::new();
        for pending in batch {
            by_leader.entry((pending.leader, pending.raft_addr.clone())).or_default().push(pending);
        }
        let transport = transport.clone();
        tokio::spawn(async move {
            for ((leader, raft_addr), batch) in by_leader {
                send(&transport, leader, &raft_addr, batch).await;
            }
            drop(permit);
        });
    }
}

async fn send<T: Transport>(transport: &T, leader: NodeId, raft_addr: &str, batch: Vec<Pending>) {
    let deadline = batch.iter().map(|p| p.deadline).min().unwrap_or(Duration::ZERO);
    let request = ForwardRequest::Writes(batch.iter().map(|p| p.entry.clone()).collect());
    let outcomes = match call::<T, Vec<ForwardedOutcome>>(transport, leader, raft_addr, &request, deadline).await {
        Ok(outcomes) if outcomes.len() == batch.len() => outcomes,
        Ok(_) | Err(_) => {
            for pending in batch {
                let _ = pending.reply.send(Err(ForwardError::Retry));
            }
            return;
        }
    };
    for (pending, outcome) in batch.into_iter().zip(outcomes) {
        let result = match outcome {
            ForwardedOutcome::Applied(outcome) => Ok(outcome),
            ForwardedOutcome::Failed(ForwardFailure::NotLeader) => Err(ForwardError::Retry),
            ForwardedOutcome::Failed(ForwardFailure::Failed(error)) => Err(ForwardError::Failed(error)),
        };
        // A caller that gave up no longer listens.
        let _ = pending.reply.send(result);
    }
}

/// Why a forwarded request got no usable answer.
#[derive(Debug)]
pub(crate) enum CallError {
    /// No answer in time: the leader is down, moved, or the link is cut.
    Unreachable(String),
    /// The leader answered with a refusal.
    Refused(ForwardFailure),
    /// The answer could not be decoded.
    Malformed(String),
}

/// Sends one forwarded request to the leader's node-to-node listener and decodes its answer.
/// Both the batching forwarder and single membership changes go through here.
pub(crate) async fn call<T: Transport, R: serde::de::DeserializeOwned>(
    transport: &T,
    leader: NodeId,
    raft_addr: &str,
    request: &ForwardRequest,
    deadline: Duration,
) -> Result<R, CallError> {
    let json = serde_json::to_vec(request).map_err(|e| CallError::Malformed(e.to_string()))?;
    let body = prost::Message::encode_to_vec(&wire::PbForward { entry: json });
    let reply = transport
        .call(leader, raft_addr, PATH_FORWARD, body, deadline)
        .await
        .map_err(|e| CallError::Unreachable(e.to_string()))?;
    match wire::decode_reply::<ForwardFailure>(&reply) {
        Ok(Ok(bytes)) => serde_json::from_slice(&bytes).map_err(|e| CallError::Malformed(e.to_string())),
        Ok(Err(failure)) => Err(CallError::Refused(failure)),
        Err(e) => Err(CallError::Malformed(e.to_string())),
    }
}
