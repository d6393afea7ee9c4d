//! The node's event plumbing, assembled once for `tandem run` and the simulator alike: the
//! event log fed from the replica's applied batches, the fan-out pump that queues each event to
//! the desk sessions its audience reaches.
//!
//! It owns no socket: desk sessions subscribe to [`Edge::fanout`] and catch up from
//! [`Edge::events`]. The tasks it starts end when the replica's event bus closes, or when the
//! owner aborts them (a crashed process in the simulator).

use std::sync::Arc;

use tandem_raft::AppliedBatch;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::{run_fanout, Core, EventLog, Fanout};

/// A node's event log and fan-out.
#[derive(Clone)]
pub struct Edge {
    /// The recent applied events, for streams and desk sessions to resume from.
    pub events: Arc<EventLog>,
    /// The desk sessions and the pump that queues them their events.
    pub fanout: Arc<Fanout>,
}

impl Edge {
    /// Starts the feed from `applied` (the replica's event bus, subscribed before reading the
    /// center's event index) and the pump, keeping at most `retained_max` events. Returns the
    /// edge and its two tasks.
    pub fn start<C: Core + Send>(
        core: C,
        applied: broadcast::Receiver<AppliedBatch>,
        retained_max: usize,
    ) -> (Edge, [JoinHandle<()>; 2]) {
        let last_index = core.read(|center| center.event_index());
        let events = Arc::new(EventLog::new(last_index, retained_max));
        let feed = tokio::spawn(feed_event_log(applied, events.clone()));
        let fanout = Fanout::new(events.last_index());
        let pump = tokio::spawn(run_fanout(fanout.clone(), events.clone(), core));
        (Edge { events, fanout }, [feed, pump])
    }
}

/// Copies applied events into the event log. A lagging feed loses events; the log notices the
/// discontinuity and readers report a gap rather than skip silently.
async fn feed_event_log(mut applied: broadcast::Receiver<AppliedBatch>, log: Arc<EventLog>) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match applied.recv().await {
            Ok(batch) => log.append(batch.first_event_index, batch.events),
            Err(RecvError::Lagged(skipped)) => tracing::warn!(skipped, "event log feed lagged"),
            Err(RecvError::Closed) => return,
        }
    }
}
