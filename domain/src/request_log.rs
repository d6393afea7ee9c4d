//! The memory of applied request ids, so a retried or forwarded request applies once.
//!
//! Clients retry after a timeout or a failover, and followers forward writes to the leader, so
//! the same request can reach the log twice. The center remembers the last
//! [`REQUEST_ID_REMEMBERED_COUNT_MAX`] applied request ids with the command and what it did:
//! the same id with the same command gets the remembered outcome back and changes nothing; the
//! same id with a different command is refused as `duplicate_request`. The oldest id is
//! forgotten first (FIFO), so the memory is bounded and the same on every replica.
//!
//! Rejected commands are not remembered: a rejection changed nothing, so applying the command
//! again cannot apply it twice, and remembering it would itself change the state.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::command::{Command, RequestId};
use crate::limits::{REQUEST_ID_LENGTH_MAX, REQUEST_ID_REMEMBERED_COUNT_MAX};
use crate::outcome::Applied;
use crate::rejection::{Rejection, RejectionCode};
use crate::text::char_count;

/// Remembered request ids, oldest first, and what each one did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequestLog {
    /// Request ids in the order they were applied; the front is forgotten first.
    order: VecDeque<RequestId>,
    remembered: BTreeMap<RequestId, Remembered>,
}

/// What a remembered request asked for and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Remembered {
    command: Command,
    applied: Applied,
}

/// What the log knows about a request id.
pub(crate) enum Recall<'a> {
    /// Not remembered: apply the command.
    Fresh,
    /// Remembered with the same command: return this outcome again.
    Replay(&'a Applied),
    /// Remembered with a different command.
    Conflict,
}

impl RequestLog {
    pub(crate) fn recall(&self, request_id: &RequestId, command: &Command) -> Recall<'_> {
        match self.remembered.get(request_id) {
            None => Recall::Fresh,
            Some(remembered) if remembered.command == *command => Recall::Replay(&remembered.applied),
            Some(_) => Recall::Conflict,
        }
    }

    /// Remembers an applied request, forgetting the oldest one when the log is full.
    pub(crate) fn remember(&mut self, request_id: RequestId, command: Command, applied: Applied) {
        assert!(!self.remembered.contains_key(&request_id), "a remembered request is replayed, not applied");
        if self.order.len() >= REQUEST_ID_REMEMBERED_COUNT_MAX as usize {
            if let Some(oldest) = self.order.pop_front() {
                let forgotten = self.remembered.remove(&oldest);
                assert!(forgotten.is_some(), "order and remembered hold the same ids");
            }
        }
        self.order.push_back(request_id.clone());
        self.remembered.insert(request_id, Remembered { command, applied });
        assert!(self.order.len() == self.remembered.len(), "order and remembered hold the same ids");
        assert!(self.order.len() <= REQUEST_ID_REMEMBERED_COUNT_MAX as usize);
    }

    pub(crate) fn count(&self) -> u32 {
        u32::try_from(self.order.len()).unwrap_or(u32::MAX)
    }

    pub(crate) fn contains(&self, request_id: &RequestId) -> bool {
        self.remembered.contains_key(request_id)
    }
}

impl RequestId {
    /// Whether the id is one the center accepts (the rule `Center::apply` applies), for an
    /// edge that refuses a bad id before proposing it.
    pub fn check(&self) -> Result<(), Rejection> {
        request_id_checked(self)
    }
}

/// A request id is 1 to [`REQUEST_ID_LENGTH_MAX`] characters without control characters.
pub(crate) fn request_id_checked(request_id: &RequestId) -> Result<(), Rejection> {
    let length = char_count(&request_id.0);
    if length == 0 || length > u64::from(REQUEST_ID_LENGTH_MAX) {
        let message = format!("request_id must be 1 to {REQUEST_ID_LENGTH_MAX} characters (got {length})");
        return Err(Rejection::new(RejectionCode::InvalidRequestId, message));
    }
    if request_id.0.chars().any(char::is_control) {
        return Err(Rejection::new(RejectionCode::InvalidRequestId, "request_id must not contain control characters"));
    }
    Ok(())
}

pub(crate) fn duplicate_request(request_id: &RequestId) -> Rejection {
    let message = format!("request_id \"{}\" was already used for a different command", request_id.0);
    Rejection::new(RejectionCode::DuplicateRequest, message)
}
