//! The node's actors: thin I/O around the replicated core.
//!
//! Actors never decide anything the domain decides. They turn I/O into commands (a deadline
//! that passed on the leader becomes an `Expire`) and applied events into I/O (the event log
//! that desktops' streams read from). They reach Raft through the narrow [`Core`] trait, so the
//! simulator runs the same actors over its simulated replicas.

mod catch_up;
mod desk;
mod desks;
mod edge;
mod event_log;
mod fanout;
mod host;
mod queues;
mod replica_core;
mod timers;

pub use catch_up::{CatchUp, CatchUpStep};
pub use desk::{refusal, DeskIdentity, DeskSession, DeskSettings, End, Proposal, Transmit};
pub use desks::{AgentDesk, DeskLink, DeskPorts, Desks, Incoming, OpenSeat, Outgoing};
pub use edge::Edge;
pub use event_log::{EventLog, EventRead, RetainedEvent};
pub use fanout::{run_fanout, Delivery, Dispatched, EncodedFrame, Fanout, Subscription, SESSION_QUEUE_MAX};
pub use host::{NodeHost, NodeSeams, Tasks, FAILURE_CHECK_INTERVAL};
pub use queues::{queue_figures, QueueActor, QueueLive, QueueWatch, Queues, QUEUE_LIVE_DATA_REFRESH_MS};
pub use replica_core::ReplicaCore;
pub use timers::{LeaderTimers, EXPIRIES_PER_TICK_MAX};

use std::future::Future;
use std::pin::Pin;

use tandem_domain::{Center, Entry, Outcome};

/// A proposal's future: resolves when the command applied or was refused, or fails with the
/// replica's error text.
pub type Proposed = Pin<Box<dyn Future<Output = Result<Outcome, String>> + 'static>>;

/// What actors need from the replicated core: propose, read, ask who leads, read the clock.
pub trait Core: Clone + Unpin + 'static {
    /// Proposes an entry through Raft (forwarded to the leader if need be).
    fn propose(&self, entry: Entry) -> Proposed;
    /// Whether this node leads the cluster now.
    fn is_leader(&self) -> bool;
    /// Reads the applied center.
    fn read<R>(&self, read: impl FnOnce(&Center) -> R) -> R;
    /// Milliseconds since the Unix epoch on the runtime's clock (virtual in simulation).
    fn now_ms(&self) -> u64;
}
