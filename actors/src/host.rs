//! One node's process, assembled from its seams in one place for `tandem run` and for every
//! incarnation of a simulated node.
//!
//! A node is the replica (openraft over a store), the edge (the event log and the fan-out the
//! desk sessions read) and the actors (`LeaderTimers`, the agent actors its desktops' logins
//! start, `Desks`, and the queue actors they watch, `Queues`). What differs between production and
//! simulation is only what is passed in: the store (RocksDB or a fenced simulated disk), the
//! transport (mutual-TLS HTTPS or the simulated network), the clock, the flush policy and the
//! Raft timing. Keeping the wiring here means the simulator cannot test a node assembled
//! differently from the one operators run.
//!
//! The actors and the edge run as local tasks (the caller is inside an actix system or a
//! `LocalSet`), held by handles so a simulated crash can end them at once, with everything
//! they had in flight, as a dying process would.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix::Context;
use tandem_raft::clock::Clock;
use tandem_raft::{Flush, NodeId, RaftTiming, Replica, ReplicaConfig, Transport};
use tandem_storage::Store;
use tokio::task::{AbortHandle, JoinHandle};

use crate::{Edge, LeaderTimers, Queues, ReplicaCore, QUEUE_LIVE_DATA_REFRESH_MS};

/// What a node is built from.
pub struct NodeSeams<T> {
    pub node_id: NodeId,
    /// openraft's cluster name (it appears in its logs).
    pub cluster_name: &'static str,
    pub timing: RaftTiming,
    /// How long a write may wait for a leader.
    pub write_timeout: Duration,
    pub flush: Flush,
    pub store: Arc<dyn Store>,
    pub transport: T,
    pub clock: Arc<dyn Clock>,
    /// Applied events kept for streams and desk sessions to resume from.
    pub event_log_retained_max: usize,
    /// How often the leader looks for due deadlines.
    pub timer_tick: Duration,
}

/// A running node: its replica, the `Core` its actors reach it through, its edge, and the
/// tasks of its actors and edge.
pub struct NodeHost<T: Transport> {
    pub replica: Arc<Replica<T>>,
    pub core: ReplicaCore<T>,
    pub edge: Edge,
    /// Its queue actors, started as its desktops watch CSQs.
    pub queues: Queues<ReplicaCore<T>>,
    /// The tasks of its actors and edge; actors started later (agent and queue actors) join them.
    pub tasks: Tasks,
    /// Why this node stepped aside, once it has: its Raft stopped (a full disk, a storage
    /// error, a failed apply). From then on it serves nobody; see [`NodeHost::start`].
    pub failure: Arc<OnceLock<String>>,
}

/// How often a node looks whether its Raft still runs: it steps aside within this.
pub const FAILURE_CHECK_INTERVAL: Duration = Duration::from_millis(200);

/// The tasks of one node process, to end together when it dies.
#[derive(Clone, Default)]
pub struct Tasks {
    handles: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Tasks {
    /// Adds a task (and forgets those that finished).
    pub fn add<T>(&self, task: &JoinHandle<T>) {
        let mut handles = self.handles.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        handles.retain(|handle| !handle.is_finished());
        handles.push(task.abort_handle());
    }

    /// Ends every task at once, with whatever it had in flight.
    pub fn abort(&self) {
        let handles = std::mem::take(&mut *self.handles.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        handles.iter().for_each(AbortHandle::abort);
    }
}

impl<T: Transport> NodeHost<T> {
    /// Starts the replica on `seams.store`, then the edge (subscribed to the replica's applied
    /// batches before it reads the center's event index, so no batch falls between) and the
    /// leader's timers.
    pub async fn start(seams: NodeSeams<T>) -> Result<NodeHost<T>, String> {
        let NodeSeams {
            node_id,
            cluster_name,
            timing,
            write_timeout,
            flush,
            store,
            transport,
            clock,
            event_log_retained_max,
            timer_tick,
        } = seams;
        let config =
            ReplicaConfig { node_id, raft: Arc::new(timing.openraft_config(cluster_name)?), write_timeout, flush };
        let replica = Replica::start(config, store, transport, clock.clone())
            .await
            .map_err(|error| format!("starting Raft: {error}"))?;
        let replica = Arc::new(replica);
        let core = ReplicaCore::new(replica.clone(), clock);
        let (edge, edge_tasks) = Edge::start(core.clone(), replica.subscribe(), event_log_retained_max);
        // The actor's context future is spawned directly rather than through `Actor::start`, so
        // its handle can end it.
        let timers = LeaderTimers::new(core.clone(), timer_tick);
        let timers = tokio::task::spawn_local(Context::new().into_future(timers));
        let tasks = Tasks::default();
        edge_tasks.iter().chain([&timers]).for_each(|task| tasks.add(task));
        let queues = Queues::new(core.clone(), Duration::from_millis(QUEUE_LIVE_DATA_REFRESH_MS), tasks.clone());
        let failure = Arc::new(OnceLock::new());
        let watch = tokio::task::spawn_local(step_aside_on_failure(replica.clone(), edge.clone(), failure.clone()));
        tasks.add(&watch);
        Ok(NodeHost { replica, core, edge, queues, tasks, failure })
    }

    /// Ends the actors and the edge at once (Raft itself is the caller's to shut down).
    pub fn abort(&self) {
        self.tasks.abort();
    }
}

/// A node whose Raft stopped must not look alive: once [`Replica::failure`] says so, it
/// records why (the node's listeners then refuse everything and fail their health checks) and
/// ends every desk session without a word, so that desktops fail over to the other side as
/// if the process had died. What happens to the process is the caller's (`tandem run` exits
/// for its supervisor to restart it).
async fn step_aside_on_failure<T: Transport>(replica: Arc<Replica<T>>, edge: Edge, failure: Arc<OnceLock<String>>) {
    let reason = loop {
        tokio::time::sleep(FAILURE_CHECK_INTERVAL).await;
        if let Some(reason) = replica.failure() {
            break reason;
        }
    };
    tracing::error!(%reason, node_id = replica.node_id(), "this node can no longer serve; stepping aside");
    let _ = failure.set(reason);
    edge.fanout.shut();
}
