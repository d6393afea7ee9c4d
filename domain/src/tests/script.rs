//! A scripted run: commands applied at chosen times, each outcome checked where it happens.
//!
//! Every applied command is followed by the center's invariants; every rejected one by a check
//! that the center is unchanged, as a value and as bytes.

use super::{assert_invariants, center_from, json};
use crate::SystemCommand;
use crate::{Center, Command, Entry, Event, Outcome, Rejection, SpecError};

pub(super) struct Script {
    pub(super) center: Center,
    time_ms: u64,
}

impl Script {
    /// A center built from `setup` (times 0, 1, 2, ...), with the clock at 1,000,000 ms.
    pub(super) fn new(setup: &[Command]) -> Self {
        Script { center: center_from("script", setup), time_ms: 1_000_000 }
    }

    /// Moves the clock forward by `delta_ms`.
    pub(super) fn after(&mut self, delta_ms: u64) -> &mut Self {
        self.time_ms += delta_ms;
        self
    }

    pub(super) fn now(&self) -> u64 {
        self.time_ms
    }

    pub(super) fn apply(&mut self, command: Command) -> Outcome {
        let before = self.center.clone();
        let bytes_before = json(&self.center);
        let supervision_before = self.center.supervision_before(&command);
        let outcome =
            self.center.apply(&Entry { request_id: None, time_ms: self.time_ms, command, by: crate::Actor::Operator });
        if let Outcome::Applied(applied) = &outcome {
            assert_invariants(&self.center);
            assert_eq!(applied.audiences.len(), applied.events.len(), "every event has its audience");
            for (event, audience) in applied.published() {
                let expected = self.center.audience_after(event, &supervision_before);
                assert_eq!(audience, &expected, "decided at apply against the new center");
            }
        } else {
            assert_eq!(self.center, before, "a rejection changed the center");
            assert_eq!(json(&self.center), bytes_before, "a rejection changed the bytes");
        }
        outcome
    }

    /// Applies `command`, which must apply, and returns its events with their audiences.
    pub(super) fn published(&mut self, command: Command) -> Vec<(Event, crate::Audience)> {
        match self.apply(command.clone()) {
            Outcome::Applied(applied) => applied.events.into_iter().zip(applied.audiences).collect(),
            Outcome::Rejected(rejection) => panic!("{command:?} was refused: {rejection:?}"),
        }
    }

    /// Applies `command`, which must apply, and returns its events.
    pub(super) fn ok(&mut self, command: Command) -> Vec<Event> {
        match self.apply(command.clone()) {
            Outcome::Applied(applied) => applied.events,
            Outcome::Rejected(rejection) => panic!("{command:?} was refused: {rejection:?}"),
        }
    }

    /// Applies `command`, which must be refused, and returns the rejection.
    pub(super) fn refused(&mut self, command: Command) -> Rejection {
        match self.apply(command.clone()) {
            Outcome::Applied(applied) => panic!("{command:?} applied: {applied:?}"),
            Outcome::Rejected(rejection) => rejection,
        }
    }

    /// Applies `command`, which must be refused with this spec error.
    pub(super) fn refused_spec(&mut self, command: Command, error: SpecError) {
        let rejection = self.refused(command);
        assert_eq!(rejection.spec_code, Some(error.code()), "{rejection:?}");
        assert_eq!(rejection.message, error.text());
    }

    /// Moves the clock to the next deadline and proposes its expiry, as the leader does.
    pub(super) fn expire_next(&mut self) -> Vec<Event> {
        let Some(due) = self.center.deadline_next() else { panic!("no deadline is running") };
        self.time_ms = self.time_ms.max(due.due_ms);
        self.ok(Command::System(SystemCommand::Expire { deadline: due.deadline, epoch: due.epoch }))
    }
}
