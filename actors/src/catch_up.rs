//! Where a desk session's stream starts, and what it owes its desktop before live events.
//!
//! A session subscribes to the fan-out at a position; the events after the desktop's last
//! index up to that position come from the node's event log, filtered by their audiences, or,
//! when the log no longer holds them (or the desktop has nothing to resume), from a reload of
//! the whole view. The node's CTI handler and the simulator's desk host take the same steps;
//! they only send and render. It reads the event log, never the center.

use tandem_domain::Viewer;

use crate::{EventLog, EventRead, RetainedEvent};

/// Events read from the log per step.
const CATCH_UP_BATCH_MAX: usize = 512;

/// One step of a catch-up.
#[derive(Debug)]
pub enum CatchUpStep {
    /// Send the desk view and report its index with [`CatchUp::handle_snapshot`].
    Snapshot,
    /// Send these events, in order (those that reach the session; possibly none).
    Events(Vec<RetainedEvent>),
}

/// A session's catch-up, from the desktop's last index `after` to the fan-out position.
#[derive(Debug)]
pub struct CatchUp {
    viewer: Viewer,
    cursor: u64,
    position: u64,
    resumed: bool,
    snapshot_owed: bool,
    done: bool,
}

impl CatchUp {
    /// Resumes after `after` if the log still holds the events after it; otherwise starts with
    /// a reload.
    pub fn new(log: &EventLog, viewer: Viewer, after: u64, position: u64) -> CatchUp {
        let resumed = after > 0 && matches!(log.read_after(after, 0), EventRead::Events(_));
        CatchUp { viewer, cursor: after, position, resumed, snapshot_owed: !resumed, done: false }
    }

    /// Whether the session resumes where its desktop left off (no reload first).
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// The last index the desktop will have once the steps so far are sent: where the desk
    /// session starts.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// The next step, or `None` once caught up to the position (or to the end of the log).
    pub fn next(&mut self, log: &EventLog) -> Option<CatchUpStep> {
        if std::mem::take(&mut self.snapshot_owed) {
            return Some(CatchUpStep::Snapshot);
        }
        if self.done || self.cursor >= self.position {
            return None;
        }
        match log.read_after(self.cursor, CATCH_UP_BATCH_MAX) {
            EventRead::Events(events) if !events.is_empty() => {
                self.cursor = events.last().map_or(self.cursor, |event| event.index.min(self.position));
                let (position, viewer) = (self.position, &self.viewer);
                let events = events
                    .into_iter()
                    .filter(|event| event.index <= position && event.audience.reaches(viewer))
                    .collect();
                Some(CatchUpStep::Events(events))
            }
            EventRead::Events(_) => {
                // The log has not reached the position yet; the live queue holds the rest.
                self.done = true;
                None
            }
            EventRead::Gap { .. } => Some(CatchUpStep::Snapshot),
        }
    }

    /// The desk view went out at `index`.
    pub fn handle_snapshot(&mut self, index: u64) {
        self.cursor = index;
    }
}

#[cfg(test)]
mod tests {
    use tandem_domain::AgentEvent;
    use tandem_domain::{AgentId, Audience, Event};

    use super::*;

    fn log_of(first: u64, count: u64) -> EventLog {
        let log = EventLog::new(first - 1, 100);
        log.append(
            first,
            (first..first + count)
                .map(|agent| (Event::Agent(AgentEvent::AgentDeleted(AgentId(agent))), Audience::everyone())),
        );
        log
    }

    fn indexes(step: Option<CatchUpStep>) -> Vec<u64> {
        match step {
            Some(CatchUpStep::Events(events)) => events.iter().map(|event| event.index).collect(),
            other => panic!("expected events, got {other:?}"),
        }
    }

    #[test]
    fn resumes_from_the_log_up_to_the_position() {
        let log = log_of(1, 10);
        let mut catch_up = CatchUp::new(&log, Viewer::Everything, 4, 8);
        assert!(catch_up.resumed());
        assert_eq!(indexes(catch_up.next(&log)), [5, 6, 7, 8], "not past the fan-out's position");
        assert!(catch_up.next(&log).is_none());
        assert_eq!(catch_up.cursor(), 8);
    }

    #[test]
    fn reloads_when_there_is_nothing_to_resume_or_the_log_lost_it() {
        let log = log_of(20, 5);
        let mut fresh = CatchUp::new(&log, Viewer::Everything, 0, 24);
        assert!(!fresh.resumed());
        assert!(matches!(fresh.next(&log), Some(CatchUpStep::Snapshot)));
        fresh.handle_snapshot(22);
        assert_eq!(indexes(fresh.next(&log)), [23, 24]);
        let mut lost = CatchUp::new(&log, Viewer::Everything, 5, 24);
        assert!(!lost.resumed(), "events 6 to 19 are gone");
        assert!(matches!(lost.next(&log), Some(CatchUpStep::Snapshot)));
    }

    #[test]
    fn sends_only_what_reaches_the_session() {
        let log = EventLog::new(0, 100);
        let alice = AgentId(2);
        // An agent's deletion is about that agent alone.
        let for_agent = |agent: u64| {
            let event = Event::Agent(AgentEvent::AgentDeleted(AgentId(agent)));
            let audience = tandem_domain::Center::default().audience(&event);
            (event, audience)
        };
        log.append(1, [for_agent(2), for_agent(3), for_agent(2)]);
        let mut catch_up = CatchUp::new(&log, Viewer::Agent { agent: alice }, 0, 3);
        assert!(matches!(catch_up.next(&log), Some(CatchUpStep::Snapshot)));
        catch_up.handle_snapshot(0);
        assert_eq!(indexes(catch_up.next(&log)), [1, 3]);
    }
}
