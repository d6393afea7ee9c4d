//! The node's recent applied events, numbered by the center's event index, for desktops and
//! supervisors' streams.
//!
//! Event numbers are the same on every replica, so a client that loses its node reconnects to
//! the other side and asks for the events after the last one it saw: no gap, no duplicate. A
//! node keeps a bounded window; a client asking for events older than the window (or from
//! before this node caught up by snapshot) is told the first index it can have, and reloads
//! its view over REST.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tandem_domain::{Audience, Event};
use tokio::sync::watch;

/// One retained event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetainedEvent {
    /// Its index in the center's event sequence.
    pub index: u64,
    /// The event.
    pub event: Arc<Event>,
    /// Who sees it, as the domain decided when it applied.
    pub audience: Arc<Audience>,
}

/// What a read after an index found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventRead {
    /// Events after the asked index, in order (empty: nothing new yet).
    Events(Vec<RetainedEvent>),
    /// The events right after the asked index are no longer held; the oldest held is `oldest`
    /// (or, if nothing is held, the next event will be `oldest`).
    Gap {
        /// The first index this node can deliver.
        oldest: u64,
    },
}

struct Window {
    /// Index of `events[0]`, or of the next event when empty.
    first: u64,
    events: VecDeque<(Arc<Event>, Arc<Audience>)>,
    capacity: usize,
}

/// A bounded window of the latest applied events, with a signal for new ones.
pub struct EventLog {
    window: Mutex<Window>,
    latest: watch::Sender<u64>,
}

impl EventLog {
    /// An empty log whose next event is `last_index + 1` (the center's current event index).
    pub fn new(last_index: u64, capacity: usize) -> EventLog {
        assert!(capacity > 0, "an event log holds at least one event");
        let window = Window { first: last_index + 1, events: VecDeque::with_capacity(capacity.min(4096)), capacity };
        let (latest, _) = watch::channel(last_index);
        EventLog { window: Mutex::new(window), latest }
    }

    fn window(&self) -> MutexGuard<'_, Window> {
        // Appends cannot leave the window half-written, so a poisoned lock is still consistent.
        match self.window.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Appends the events of one applied batch, numbered from `first_index`. A batch that does
    /// not follow the last one (this node caught up by snapshot, or its feed lagged) starts the
    /// window again at `first_index`.
    pub fn append(&self, first_index: u64, events: impl IntoIterator<Item = (Event, Audience)>) {
        let last = {
            let mut window = self.window();
            let next = window.first + window.events.len() as u64;
            if first_index != next {
                tracing::debug!(expected = next, got = first_index, "event log restarts after a discontinuity");
                window.events.clear();
                window.first = first_index;
            }
            for event in events {
                if window.events.len() == window.capacity {
                    window.events.pop_front();
                    window.first += 1;
                }
                window.events.push_back((Arc::new(event.0), Arc::new(event.1)));
            }
            window.first + window.events.len() as u64 - 1
        };
        self.latest.send_replace(last);
    }

    /// Up to `count_max` events after `after`, or the gap if they are no longer held.
    pub fn read_after(&self, after: u64, count_max: usize) -> EventRead {
        let window = self.window();
        if after + 1 < window.first {
            return EventRead::Gap { oldest: window.first };
        }
        let skip = ((after + 1 - window.first) as usize).min(window.events.len());
        let events = window
            .events
            .range(skip..)
            .take(count_max)
            .enumerate()
            .map(|(offset, (event, audience))| RetainedEvent {
                index: after + 1 + offset as u64,
                event: event.clone(),
                audience: audience.clone(),
            })
            .collect();
        EventRead::Events(events)
    }

    /// The index of the last event appended (or the starting index).
    pub fn last_index(&self) -> u64 {
        *self.latest.borrow()
    }

    /// A receiver that changes whenever events are appended.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.latest.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_domain::AgentEvent;
    use tandem_domain::{AgentId, Audience, Event};

    fn event(agent: u64) -> (Event, Audience) {
        (Event::Agent(AgentEvent::AgentDeleted(AgentId(agent))), Audience::everyone())
    }

    fn indexes(read: EventRead) -> Vec<u64> {
        match read {
            EventRead::Events(events) => events.iter().map(|e| e.index).collect(),
            EventRead::Gap { oldest } => panic!("gap at {oldest}"),
        }
    }

    #[test]
    fn reads_after_an_index_and_reports_gaps_past_the_window() {
        let log = EventLog::new(10, 3);
        assert_eq!(indexes(log.read_after(10, 100)), Vec::<u64>::new());
        log.append(11, [event(1), event(2)]);
        assert_eq!(indexes(log.read_after(10, 100)), vec![11, 12]);
        assert_eq!(indexes(log.read_after(11, 100)), vec![12]);
        log.append(13, [event(3), event(4)]);
        assert_eq!(log.last_index(), 14);
        assert_eq!(indexes(log.read_after(11, 100)), vec![12, 13, 14]);
        assert_eq!(log.read_after(10, 100), EventRead::Gap { oldest: 12 });
        assert_eq!(indexes(log.read_after(12, 1)), vec![13]);
    }

    #[test]
    fn a_discontinuous_batch_restarts_the_window() {
        let log = EventLog::new(0, 10);
        log.append(1, [event(1)]);
        log.append(50, [event(2), event(3)]);
        assert_eq!(log.read_after(1, 10), EventRead::Gap { oldest: 50 });
        assert_eq!(indexes(log.read_after(49, 10)), vec![50, 51]);
    }

    #[test]
    fn a_node_started_late_reports_a_gap_for_older_events() {
        let log = EventLog::new(100, 10);
        assert_eq!(log.read_after(20, 10), EventRead::Gap { oldest: 101 });
        assert_eq!(indexes(log.read_after(100, 10)), Vec::<u64>::new());
    }
}
