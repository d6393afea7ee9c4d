//! One cluster member: a running openraft instance plus the rules for getting a write to the
//! leader.
//!
//! The node's HTTP handlers and the simulator's hosts both drive a [`Replica`]. It forwards
//! writes and membership changes from followers to the leader over the node-to-node transport,
//! waits out elections up to a deadline, stamps leader time into entries, and can be restarted
//! in place (for `force-single`, the explicit operator act that restores a two-node cluster
//! after one node is lost).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use openraft::error::{ChangeMembershipError, ClientWriteError, RaftError};
use openraft::{ChangeMembers, CommittedLeaderId, Membership, RaftLogReader};
use serde::{Deserialize, Serialize};
use tandem_domain::{Entry, Outcome};
use tandem_storage::Store;
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::forwarder::{self, CallError, ForwardError, ForwardedOutcome, Forwarder};
use crate::log_store::Flush;
use crate::network::{Transport, PATH_FORWARD};
use crate::proposer::{ProposeError, Proposer};
use crate::state_machine::{AppliedBatch, SharedState, EVENT_BUS_CAPACITY};
use crate::{wire, LogId, LogStore, Member, Network, NodeId, Raft, StateMachineStore, TypeConfig};

/// How long to wait before asking again who the leader is, during an election.
const LEADER_POLL_INTERVAL: Duration = Duration::from_millis(50);
/// One forwarded attempt gives up after this long, so a leader that died mid-request (or a
/// half-open connection) costs one attempt, not the whole write timeout. The retry carries the
/// same request id, so it cannot apply twice.
const FORWARD_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);

/// A request a follower hands to the leader.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ForwardRequest {
    Write(Entry),
    /// Writes batched by a follower's forwarder; answered with one outcome per entry.
    Writes(Vec<Entry>),
    AddLearner {
        node_id: NodeId,
        member: Member,
    },
    Promote {
        node_id: NodeId,
    },
    Remove {
        node_id: NodeId,
    },
}

/// What a write or a membership change can fail with. Serialisable: it crosses the wire when
/// forwarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum WriteError {
    #[error(
        "no Raft leader with a quorum after {waited_ms} ms: fewer than a majority of voters are reachable. \
         With two voters, restore writes on the survivor with `tandem cluster force-single`. If the write \
         reached a leader before the loss it may still be applied later: retry with the same Idempotency-Key \
         to learn its outcome"
    )]
    NoLeader { waited_ms: u64 },
    #[error("membership change refused: {0}")]
    Membership(String),
    #[error("this node is shutting down or failed: {0}")]
    Fatal(String),
}

/// Settings a replica needs beyond openraft's own.
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    pub node_id: NodeId,
    pub raft: Arc<openraft::Config>,
    /// How long a write may wait for a leader before failing with [`WriteError::NoLeader`].
    pub write_timeout: Duration,
    /// Group commit on a flusher thread (production) or a sync per append (simulation).
    pub flush: Flush,
}

struct Running {
    raft: Raft,
    state: SharedState,
    proposer: Proposer,
}

pub struct Replica<T: Transport> {
    config: ReplicaConfig,
    store: Arc<dyn Store>,
    network: Network<T>,
    transport: T,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<AppliedBatch>,
    running: RwLock<Arc<Running>>,
    forwarder: Forwarder,
    /// Bytes appended to this node's log since it started, across Raft restarts.
    log_bytes: Arc<std::sync::atomic::AtomicU64>,
}

impl<T: Transport> Replica<T> {
    /// Opens the stores and starts Raft. A fresh store starts as an uninitialised learner.
    pub async fn start(
        config: ReplicaConfig,
        store: Arc<dyn Store>,
        transport: T,
        clock: Arc<dyn Clock>,
    ) -> Result<Replica<T>, WriteError> {
        let (events, _) = broadcast::channel(EVENT_BUS_CAPACITY);
        let network = Network::new(transport.clone());
        let log_bytes = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let running = start_raft(&config, &store, &network, &events, &clock, &log_bytes).await?;
        let forwarder = Forwarder::spawn(transport.clone());
        Ok(Replica {
            config,
            store,
            network,
            transport,
            clock,
            events,
            running: RwLock::new(Arc::new(running)),
            forwarder,
            log_bytes,
        })
    }

    fn running(&self) -> Arc<Running> {
        match self.running.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn node_id(&self) -> NodeId {
        self.config.node_id
    }

    pub fn raft(&self) -> Raft {
        self.running().raft.clone()
    }

    /// Whether this node leads now. A Raft that stopped (a full disk, a failed apply) may still
    /// name itself leader in its last metrics: it does not lead.
    pub fn leads(&self) -> bool {
        let raft = self.raft();
        let metrics = raft.metrics();
        let metrics = metrics.borrow();
        metrics.running_state.is_ok() && metrics.current_leader == Some(self.config.node_id)
    }

    pub fn state(&self) -> SharedState {
        self.running().state.clone()
    }

    /// Why this node can no longer take part, if it cannot: its Raft stopped (a storage error
    /// such as a full disk, a panic in Raft's core) or its state machine failed while applying.
    /// Nothing clears it but a restart.
    pub fn failure(&self) -> Option<String> {
        if let Err(fatal) = &self.raft().metrics().borrow().running_state {
            return Some(format!("Raft stopped: {fatal}"));
        }
        if self.state().is_failed() {
            return Some("the state machine failed while applying an entry".to_owned());
        }
        None
    }

    pub fn subscribe(&self) -> broadcast::Receiver<AppliedBatch> {
        self.events.subscribe()
    }

    /// Bytes appended to this node's Raft log since the process started.
    pub fn log_appended_bytes(&self) -> u64 {
        self.log_bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn rpc_error_counter(&self) -> Arc<std::sync::atomic::AtomicU64> {
        self.network.rpc_error_counter()
    }

    /// Initialises a new cluster with these voters; a no-op if this node already has state.
    /// Returns whether it initialised.
    pub async fn initialize(&self, voters: BTreeMap<NodeId, Member>) -> Result<bool, WriteError> {
        let raft = self.raft();
        // Asking first keeps openraft from logging a refusal as an error on every restart.
        if raft.is_initialized().await.map_err(|error| WriteError::Fatal(error.to_string()))? {
            return Ok(false);
        }
        match raft.initialize(voters).await {
            Ok(()) => Ok(true),
            Err(RaftError::APIError(openraft::error::InitializeError::NotAllowed(_))) => Ok(false),
            Err(error) => Err(WriteError::Fatal(error.to_string())),
        }
    }

    /// Replicates `entry` through the leader, wherever it is, and returns its outcome.
    ///
    /// Retries until the write timeout while there is no leader. A retried entry may commit
    /// twice in the log; the domain applies it once by its request id.
    pub async fn write(&self, entry: Entry) -> Result<Outcome, WriteError> {
        match self.submit(ForwardRequest::Write(entry)).await? {
            ForwardReply::Outcome(outcome) => Ok(outcome),
            ForwardReply::Done => Err(WriteError::Fatal("leader answered a write without an outcome".into())),
        }
    }

    /// Adds a node as a learner; it catches up from the log or a snapshot.
    pub async fn add_learner(&self, node_id: NodeId, member: Member) -> Result<(), WriteError> {
        self.submit(ForwardRequest::AddLearner { node_id, member }).await.map(|_| ())
    }

    /// Makes a learner a voter.
    pub async fn promote(&self, node_id: NodeId) -> Result<(), WriteError> {
        self.submit(ForwardRequest::Promote { node_id }).await.map(|_| ())
    }

    /// Removes a voter or a learner from the cluster.
    pub async fn remove(&self, node_id: NodeId) -> Result<(), WriteError> {
        self.submit(ForwardRequest::Remove { node_id }).await.map(|_| ())
    }

    async fn submit(&self, request: ForwardRequest) -> Result<ForwardReply, WriteError> {
        let started = Instant::now();
        let deadline = started + self.config.write_timeout;
        loop {
            let raft = self.raft();
            let leader = raft.metrics().borrow().current_leader;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let attempt = match leader {
                // A leader that lost its quorum does not step down by itself and would wait
                // forever, so every attempt is bounded by what remains of the deadline.
                Some(leader) if leader == self.config.node_id => {
                    tokio::time::timeout(remaining, self.execute(request.clone())).await.ok()
                }
                Some(leader) => match (self.member(leader), &request) {
                    (Some(member), ForwardRequest::Write(entry)) => {
                        let attempt = remaining.min(FORWARD_ATTEMPT_TIMEOUT);
                        Some(match self.forwarder.forward(leader, &member.raft_addr, entry.clone(), attempt).await {
                            Ok(outcome) => Ok(ForwardReply::Outcome(outcome)),
                            Err(ForwardError::Retry) => Err(Attempt::Retry),
                            Err(ForwardError::Failed(error)) => Err(Attempt::Final(error)),
                        })
                    }
                    (Some(member), _) => {
                        let attempt_deadline = Instant::now() + remaining.min(FORWARD_ATTEMPT_TIMEOUT);
                        Some(self.forward(leader, &member, &request, attempt_deadline).await)
                    }
                    (None, _) => None,
                },
                None => None,
            };
            match attempt {
                Some(Ok(reply)) => return Ok(reply),
                Some(Err(Attempt::Final(error))) => return Err(error),
                Some(Err(Attempt::Retry)) | None => {}
            }
            if Instant::now() + LEADER_POLL_INTERVAL >= deadline {
                let waited_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                return Err(WriteError::NoLeader { waited_ms });
            }
            tokio::time::sleep(LEADER_POLL_INTERVAL).await;
        }
    }

    fn member(&self, node_id: NodeId) -> Option<Member> {
        let raft = self.raft();
        let metrics = raft.metrics();
        let metrics = metrics.borrow();
        metrics.membership_config.membership().get_node(&node_id).cloned()
    }

    async fn forward(
        &self,
        leader_id: NodeId,
        leader: &Member,
        request: &ForwardRequest,
        deadline: Instant,
    ) -> Result<ForwardReply, Attempt> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match forwarder::call(&self.transport, leader_id, &leader.raft_addr, request, remaining).await {
            Ok(reply) => Ok(reply),
            Err(CallError::Unreachable(error)) => {
                tracing::debug!(%error, leader = %leader, "forward to leader failed; retrying");
                Err(Attempt::Retry)
            }
            Err(CallError::Refused(ForwardFailure::NotLeader)) => Err(Attempt::Retry),
            Err(CallError::Refused(ForwardFailure::Failed(error))) => Err(Attempt::Final(error)),
            Err(CallError::Malformed(message)) => Err(Attempt::Final(WriteError::Fatal(message))),
        }
    }

    /// Runs a request on this node, which believes it is the leader.
    async fn execute(&self, request: ForwardRequest) -> Result<ForwardReply, Attempt> {
        let running = self.running();
        match request {
            ForwardRequest::Writes(_) => {
                Err(Attempt::Final(WriteError::Fatal("batched writes are only forwarded, never submitted".into())))
            }
            ForwardRequest::Write(entry) => match running.proposer.propose(entry).await {
                Ok(outcome) => Ok(ForwardReply::Outcome(outcome)),
                Err(ProposeError::NotLeader) => Err(Attempt::Retry),
                Err(ProposeError::Failed(message)) => Err(Attempt::Final(WriteError::Fatal(message))),
            },
            ForwardRequest::AddLearner { node_id, member } => {
                self.change_membership(&running.raft, MembershipChange::AddLearner { node_id, member }).await
            }
            ForwardRequest::Promote { node_id } => {
                self.change_membership(&running.raft, MembershipChange::Promote { node_id }).await
            }
            ForwardRequest::Remove { node_id } => {
                self.change_membership(&running.raft, MembershipChange::Remove { node_id }).await
            }
        }
    }

    /// Runs a membership change on this node, which believes it is the leader.
    ///
    /// openraft 0.9 lets a leader commit a membership that leaves it out (the operator removes
    /// the node that leads, or a leader elected during a joint change finishes it without
    /// itself) and keeps that leader in office until its next tick, up to 1.5 heartbeats later
    /// (`leader_step_down`). A membership change that reaches it in that window passes
    /// openraft's leader check and then trips an assertion in `append_membership` ("Only leader
    /// is allowed to call update_effective_membership()"), which panics the Raft core: see
    /// docs/decisions/0020, seed 17924, where the operator's retried `Remove` of the witness
    /// arrived just after the witness, leading, had committed its own removal. So a leader that is
    /// not in its own effective membership refuses every change with `Retry`, and the caller
    /// asks again and reaches the next leader.
    ///
    /// Why the check holds when openraft sees the change: the metrics show the membership last
    /// appended, not the committed one, and there is no await between reading them and openraft
    /// queueing the change (`call_core` sends on its first poll). A membership that leaves this
    /// leader out can only be appended by this leader, so if it was appended after the read, it
    /// is still uncommitted when openraft reaches our change (its commit needs a round trip to
    /// the followers; our change is already queued), and openraft refuses ours as `InProgress`,
    /// which is a retry too.
    async fn change_membership(&self, raft: &Raft, change: MembershipChange) -> Result<ForwardReply, Attempt> {
        let membership = raft.metrics().borrow().membership_config.membership().clone();
        if membership.get_node(&self.config.node_id).is_none() {
            tracing::info!(
                node = self.config.node_id,
                "leader left out of its own membership refuses a membership change until it steps down"
            );
            return Err(Attempt::Retry);
        }
        let result = match change {
            MembershipChange::AddLearner { node_id, member } => raft.add_learner(node_id, member, false).await,
            MembershipChange::Promote { node_id } => {
                raft.change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([node_id])), false).await
            }
            MembershipChange::Remove { node_id } => {
                let is_voter = membership.voter_ids().any(|id| id == node_id);
                let change = if is_voter {
                    ChangeMembers::RemoveVoters(BTreeSet::from([node_id]))
                } else {
                    ChangeMembers::RemoveNodes(BTreeSet::from([node_id]))
                };
                raft.change_membership(change, false).await
            }
        };
        match result {
            Ok(_) => Ok(ForwardReply::Done),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_))) => Err(Attempt::Retry),
            Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(e))) => match e {
                ChangeMembershipError::InProgress(_) => Err(Attempt::Retry),
                other => Err(Attempt::Final(WriteError::Membership(other.to_string()))),
            },
            Err(RaftError::Fatal(e)) => Err(Attempt::Final(WriteError::Fatal(e.to_string()))),
        }
    }

    /// Proposes forwarded entries concurrently, so the proposer can batch them.
    async fn propose_all(&self, entries: Vec<Entry>) -> Vec<ForwardedOutcome> {
        let proposer = self.running().proposer.clone();
        let proposals = entries.into_iter().map(|entry| {
            let proposer = proposer.clone();
            async move {
                match proposer.propose(entry).await {
                    Ok(outcome) => ForwardedOutcome::Applied(outcome),
                    Err(ProposeError::NotLeader) => ForwardedOutcome::Failed(ForwardFailure::NotLeader),
                    Err(ProposeError::Failed(message)) => {
                        ForwardedOutcome::Failed(ForwardFailure::Failed(WriteError::Fatal(message)))
                    }
                }
            }
        });
        futures::future::join_all(proposals).await
    }

    /// Handles one request on the node-to-node listener: Raft RPCs and forwarded requests.
    pub async fn handle_rpc(
        &self,
        path: &str,
        body: &[u8],
        caller: &crate::service::Caller,
    ) -> Result<Vec<u8>, crate::service::ServiceError> {
        if path != PATH_FORWARD {
            return crate::service::handle(&self.raft(), path, body, caller).await;
        }
        let message: wire::PbForward = prost::Message::decode(body).map_err(wire::WireError::from)?;
        let request: ForwardRequest = serde_json::from_slice(&message.entry).map_err(wire::WireError::from)?;
        let raft = self.raft();
        // Forwarded writes carry their own actors; only a member of the cluster may forward them.
        let is_member = raft.metrics().borrow().membership_config.membership().nodes().any(|(id, _)| caller.is(*id));
        if !is_member {
            return Err(crate::service::ServiceError::Impostor(
                "a forwarded request came from a caller that is no member of this cluster".into(),
            ));
        }
        // A stopped Raft must send the follower elsewhere, not fail every write it is given.
        let is_leader = self.leads();
        if let (true, ForwardRequest::Writes(entries)) = (is_leader, &request) {
            let outcomes = self.propose_all(entries.clone()).await;
            let encoded =
                serde_json::to_vec(&outcomes).map_err(|e| ForwardFailure::Failed(WriteError::Fatal(e.to_string())));
            return Ok(wire::encode_reply(encoded));
        }
        let result = if is_leader {
            match self.execute(request).await {
                Ok(reply) => {
                    serde_json::to_vec(&reply).map_err(|e| ForwardFailure::Failed(WriteError::Fatal(e.to_string())))
                }
                Err(Attempt::Retry) => Err(ForwardFailure::NotLeader),
                Err(Attempt::Final(error)) => Err(ForwardFailure::Failed(error)),
            }
        } else {
            Err(ForwardFailure::NotLeader)
        };
        Ok(wire::encode_reply(result))
    }

    /// The explicit operator act for a two-node cluster that lost a node: make this node the
    /// only voter, so it elects itself and takes writes again.
    ///
    /// Raft cannot do this safely by itself (one of two voters is not a quorum), which is why it
    /// is an operator command. The lost node must be wiped before it rejoins: its log diverges.
    /// Steps: stop Raft; append a membership entry naming only this node under a new term; save
    /// a vote for that term; start Raft again on the same store.
    pub async fn force_single(&self) -> Result<(), WriteError> {
        let old = self.running();
        if let Err(e) = old.raft.shutdown().await {
            return Err(WriteError::Fatal(format!("stopping Raft: {e}")));
        }
        let node_id = self.config.node_id;
        let membership = old.raft.metrics().borrow().membership_config.membership().clone();
        let Some(me) = membership.get_node(&node_id).cloned() else {
            return Err(WriteError::Membership(format!("node {node_id} is not in the membership")));
        };
        rewrite_membership_to_single(&self.store, node_id, me).await?;
        let running =
            start_raft(&self.config, &self.store, &self.network, &self.events, &self.clock, &self.log_bytes).await?;
        match self.running.write() {
            Ok(mut guard) => *guard = Arc::new(running),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(running),
        }
        Ok(())
    }
}

/// A request that the leader answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum ForwardReply {
    Outcome(Outcome),
    Done,
}

/// Why the leader could not answer a forwarded request.
#[derive(Debug, Clone, Serialize, Deserialize, thiserror::Error)]
pub enum ForwardFailure {
    #[error("not the leader")]
    NotLeader,
    #[error(transparent)]
    Failed(WriteError),
}

/// The membership requests of [`ForwardRequest`].
enum MembershipChange {
    AddLearner { node_id: NodeId, member: Member },
    Promote { node_id: NodeId },
    Remove { node_id: NodeId },
}

enum Attempt {
    /// Leadership moved or is unknown; ask again.
    Retry,
    Final(WriteError),
}

async fn start_raft<T: Transport>(
    config: &ReplicaConfig,
    store: &Arc<dyn Store>,
    network: &Network<T>,
    events: &broadcast::Sender<AppliedBatch>,
    clock: &Arc<dyn Clock>,
    log_bytes: &Arc<std::sync::atomic::AtomicU64>,
) -> Result<Running, WriteError> {
    let log_store = LogStore::new(store.clone(), config.flush).counting_into(log_bytes.clone());
    let state_machine = StateMachineStore::open(store.clone(), events.clone())
        .map_err(|e| WriteError::Fatal(e.to_string()))?
        .build_snapshots_on_blocking_thread(config.flush == Flush::Background);
    let state = state_machine.shared();
    let raft = Raft::new(config.node_id, config.raft.clone(), network.clone(), log_store, state_machine)
        .await
        .map_err(|e| WriteError::Fatal(e.to_string()))?;
    let proposer = Proposer::spawn(raft.clone(), clock.clone());
    Ok(Running { raft, state, proposer })
}

async fn rewrite_membership_to_single(store: &Arc<dyn Store>, node_id: NodeId, me: Member) -> Result<(), WriteError> {
    use openraft::storage::RaftLogStorage;
    let fatal = |e: crate::StorageIoError| WriteError::Fatal(e.to_string());
    let mut log = LogStore::new(store.clone(), Flush::Inline);
    let state = log.get_log_state().await.map_err(fatal)?;
    let vote = log.read_vote().await.map_err(fatal)?;
    let last_term = state.last_log_id.map(|id| id.leader_id.term).unwrap_or(0);
    let vote_term = vote.map(|v| v.leader_id.term).unwrap_or(0);
    let term = last_term.max(vote_term) + 1;
    let index = state.last_log_id.map(|id| id.index + 1).unwrap_or(0);
    let log_id = LogId::new(CommittedLeaderId::new(term, node_id), index);
    let membership = Membership::new(vec![BTreeSet::from([node_id])], BTreeMap::from([(node_id, me)]));
    let entry = openraft::Entry::<TypeConfig> { log_id, payload: openraft::EntryPayload::Membership(membership) };
    log.save_vote(&openraft::Vote::new(term, node_id)).await.map_err(fatal)?;
    log.append_synced([entry]).map_err(fatal)?;
    // Read it back: the rewrite must be durable and visible before Raft starts again.
    let written = log.try_get_log_entries(index..=index).await.map_err(fatal)?;
    if written.len() != 1 {
        return Err(WriteError::Fatal("membership rewrite not readable after append".into()));
    }
    Ok(())
}
