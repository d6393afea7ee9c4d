//! Leader-side batching: concurrent writes become one Raft proposal.
//!
//! openraft 0.9 runs a full engine round (log append, replication bookkeeping, metrics) for
//! every `client_write`, so per-write overhead, not fsync, bounds a busy cluster. The proposer
//! takes every write queued while earlier proposals are in flight and proposes them as one
//! [`Proposal`]: one log entry, one replication round, one apply call. At low load a write is
//! proposed at once, alone; batches grow only as the load does. In-flight proposals are bounded,
//! which is what lets a queue form.

use std::sync::Arc;

use openraft::error::{ClientWriteError, RaftError};
use tandem_domain::{Entry, Outcome};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::clock::Clock;
use crate::{Proposal, Raft};

/// Entries in one proposal, at most.
pub const PROPOSAL_ENTRY_COUNT_MAX: usize = 512;
/// Proposals waiting for commit at once, at most.
pub const PROPOSALS_IN_FLIGHT_MAX: usize = 4;
/// Writes queued for the next proposal, at most; a full queue makes callers wait.
pub const PROPOSER_QUEUE_CAPACITY: usize = 8192;

/// Why a proposed write did not get an outcome.
#[derive(Debug, Clone)]
pub enum ProposeError {
    /// This node is not (or no longer) the leader.
    NotLeader,
    /// Raft refused or stopped; the text says why.
    Failed(String),
}

struct Pending {
    entry: Entry,
    reply: oneshot::Sender<Result<Outcome, ProposeError>>,
}

/// The handle writes go through; the loop behind it ends when every handle is dropped.
#[derive(Clone)]
pub struct Proposer {
    queue: mpsc::Sender<Pending>,
}

impl Proposer {
    pub fn spawn(raft: Raft, clock: Arc<dyn Clock>) -> Proposer {
        let (queue, receiver) = mpsc::channel(PROPOSER_QUEUE_CAPACITY);
        tokio::spawn(propose_loop(raft, clock, receiver));
        Proposer { queue }
    }

    /// Proposes `entry` (its time is stamped by the proposer) and waits for its outcome.
    pub async fn propose(&self, entry: Entry) -> Result<Outcome, ProposeError> {
        let (reply, outcome) = oneshot::channel();
        if self.queue.send(Pending { entry, reply }).await.is_err() {
            return Err(ProposeError::Failed("the proposer stopped".into()));
        }
        match outcome.await {
            Ok(result) => result,
            Err(_) => Err(ProposeError::Failed("the proposer dropped the write".into())),
        }
    }
}

async fn propose_loop(raft: Raft, clock: Arc<dyn Clock>, mut receiver: mpsc::Receiver<Pending>) {
    let in_flight = Arc::new(Semaphore::new(PROPOSALS_IN_FLIGHT_MAX));
    while let Some(first) = receiver.recv().await {
        // Wait for room first, so everything queued meanwhile joins this proposal.
        let Ok(permit) = in_flight.clone().acquire_owned().await else { return };
        let mut batch = vec![first];
        while batch.len() < PROPOSAL_ENTRY_COUNT_MAX {
            match receiver.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        let raft = raft.clone();
        let time_ms = clock.now_ms();
        tokio::spawn(async move {
            commit(&raft, time_ms, batch).await;
            drop(permit);
        });
    }
}

async fn commit(raft: &Raft, time_ms: u64, batch: Vec<Pending>) {
    let entries = batch.iter().map(|pending| Entry { time_ms, ..pending.entry.clone() }).collect();
    let result = raft.client_write(Proposal { entries }).await;
    let outcomes = match result {
        Ok(response) if response.data.len() == batch.len() => Ok(response.data),
        Ok(response) => Err(ProposeError::Failed(format!(
            "{} outcomes for {} entries: the state machine broke its contract",
            response.data.len(),
            batch.len()
        ))),
        Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_))) => Err(ProposeError::NotLeader),
        Err(error) => Err(ProposeError::Failed(error.to_string())),
    };
    match outcomes {
        Ok(outcomes) => {
            for (pending, outcome) in batch.into_iter().zip(outcomes) {
                // A caller that gave up (timed out) no longer listens; its outcome is in the log.
                let _ = pending.reply.send(Ok(outcome));
            }
        }
        Err(error) => {
            for pending in batch {
                let _ = pending.reply.send(Err(error.clone()));
            }
        }
    }
}
