//! Deadlines as values in the state: the domain's `poll_timeout`.
//!
//! The domain reads no clock, so a timer is only a due time and an epoch stored with its owner
//! (an agent's wrap-up, a contact's no-answer, a team message's expiry) and mirrored in one
//! ordered index. The leader's timer actor asks [`crate::Center::deadline_next`] what is due
//! next and, once its clock passes it, proposes [`crate::SystemCommand::Expire`] with the epoch it
//! saw. Every timer start draws a fresh epoch from the center's sequence, so an expiry for a
//! timer that was stopped or restarted meanwhile names a stale epoch and is a no-op, not an
//! error. An expiry proposed before its due time (by the entry's time) is a no-op too.
//!
//! The index holds at most one entry per running timer and every owner holds a bounded number
//! of timers, so it is bounded by the owners' own bounds.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::ids::{AgentId, ContactId, TeamMessageId};

/// Which timer: the owner and the kind.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    /// The agent's wrap-up timer (seeds-ctios.md §2.6.4).
    WrapUp(AgentId),
    /// A voice or chat offer's no-answer timeout.
    NoAnswer(ContactId),
    /// A chat's join timeout (seeds-uccx.md §2.7).
    Join(ContactId),
    /// A chat's customer inactivity timeout (seeds-uccx.md §2.7).
    Inactivity(ContactId),
    /// A group chat invite's no-answer timeout (seeds-uccx.md §2.12).
    InviteNoAnswer(ContactId),
    /// An email's wait for the last agent of its conversation (seeds-uccx.md §2.6).
    Sticky(ContactId),
    /// A team message's expiry (seeds-uccx.md §2.22).
    TeamMessage(TeamMessageId),
}

/// A running timer as its owner stores it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timer {
    /// When it fires, in milliseconds since the Unix epoch.
    pub due_ms: u64,
    /// Which start of the timer this is; an expiry must name it.
    pub epoch: u64,
}

/// A running timer as the index reports it to the leader's timer actor.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueDeadline {
    /// When it fires.
    pub due_ms: u64,
    /// Which timer.
    pub deadline: Deadline,
    /// The epoch to propose in [`crate::SystemCommand::Expire`].
    pub epoch: u64,
}

/// Every running timer, ordered by due time, then deadline, then epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Deadlines {
    index: BTreeSet<(u64, Deadline, u64)>,
}

impl Center {
    /// The next timer to fire, if any: the leader's timer actor sleeps until its `due_ms`.
    pub fn deadline_next(&self) -> Option<DueDeadline> {
        self.deadlines.index.first().map(|&(due_ms, deadline, epoch)| DueDeadline { due_ms, deadline, epoch })
    }

    /// Up to `count_max` timers due at or before `now_ms`, earliest first, for one batch of
    /// expiries.
    pub fn deadlines_due(&self, now_ms: u64, count_max: u32) -> Vec<DueDeadline> {
        self.deadlines
            .index
            .iter()
            .take_while(|(due_ms, _, _)| *due_ms <= now_ms)
            .take(count_max as usize)
            .map(|&(due_ms, deadline, epoch)| DueDeadline { due_ms, deadline, epoch })
            .collect()
    }

    /// Starts a timer due at `due_ms`; the caller stores the returned timer with its owner.
    pub(crate) fn timer_start(&mut self, deadline: Deadline, due_ms: u64) -> Timer {
        let epoch = self.sequence_next();
        let inserted = self.deadlines.index.insert((due_ms, deadline, epoch));
        assert!(inserted, "a fresh epoch names no running timer");
        Timer { due_ms, epoch }
    }

    /// Stops a timer its owner held.
    pub(crate) fn timer_stop(&mut self, deadline: Deadline, timer: Timer) {
        let removed = self.deadlines.index.remove(&(timer.due_ms, deadline, timer.epoch));
        assert!(removed, "an owner's timer is in the index");
    }

    /// Whether `timer` (an owner's current one) is the one an expiry names and is due now.
    pub(crate) fn timer_fires(&self, timer: Option<Timer>, epoch: u64) -> bool {
        timer.is_some_and(|timer| timer.epoch == epoch && timer.due_ms <= self.time_ms)
    }
}
