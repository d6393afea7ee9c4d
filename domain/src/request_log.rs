//! The memory of applied request ids, so a retried or forwarded request applies once however
//! late it comes back (within a window longer than any failover and client retry).
//!
//! Clients retry after a timeout or a failover, and followers forward writes to the leader, so
//! the same request can reach the log twice. The center remembers each applied request id for
//! [`REQUEST_ID_REMEMBERED_WINDOW_MS`] of center time, in two tiers:
//!
//! - the last [`REQUEST_ID_REMEMBERED_COUNT_MAX`] with the command and everything it did: a
//!   retry gets the same answer back, events and all;
//! - older ones, still inside the window, as a compact record (a digest of the command, the id
//!   it created, when it applied): a retry is not applied again and gets the created id back,
//!   with a note that the events are no longer held.
//!
//! The same id with a different command is refused as `duplicate_request` in both tiers. A
//! count of ids is no window at all under load (10,000 ids last under a second at 15,000
//! commands/s, less than a failover), so the window is kept in time; what bounds memory is
//! [`REQUEST_ID_WINDOW_COUNT_MAX`]: when that many ids of the window are held, a new request
//! with an id is refused as `rate_limited` rather than forgetting one early (a refusal the
//! client sees, not a double apply it does not). Rejected commands are not remembered: a
//! rejection changed nothing, so applying the command again cannot apply it twice.
//! docs/decisions/0026-deduplication-window.md says why a window and not client sessions.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::command::{Command, RequestId};
use crate::limits::{
    REQUEST_ID_LENGTH_MAX, REQUEST_ID_REMEMBERED_COUNT_MAX, REQUEST_ID_REMEMBERED_WINDOW_MS,
    REQUEST_ID_WINDOW_COUNT_MAX,
};
use crate::outcome::{Applied, EntityRef};
use crate::rejection::{Rejection, RejectionCode};
use crate::text::char_count;

/// Remembered request ids, oldest first, and what each one did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequestLog {
    /// The recent tier's ids in the order they were applied; the front moves to `aged` first.
    order: VecDeque<RequestId>,
    remembered: BTreeMap<RequestId, Remembered>,
    /// The aged tier's ids in the order they were applied (so by applied time: center time
    /// never goes backwards); the front is forgotten first, once out of the window.
    #[serde(default)]
    aged_order: VecDeque<RequestId>,
    #[serde(default)]
    aged: BTreeMap<RequestId, Aged>,
}

/// What a recent request asked for and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Remembered {
    command: Command,
    applied: Applied,
    /// Center time when it applied.
    #[serde(default)]
    applied_ms: u64,
}

/// What an older request of the window asked for and created, in a few bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Aged {
    /// [`command_digest`] of the command.
    digest: u64,
    created: Option<EntityRef>,
    applied_ms: u64,
}

/// What the log knows about a request id.
pub(crate) enum Recall {
    /// Not remembered: apply the command.
    Fresh,
    /// Remembered with the same command: return this outcome again.
    Replay(Applied),
    /// Remembered with a different command.
    Conflict,
}

impl RequestLog {
    pub(crate) fn recall(&self, request_id: &RequestId, command: &Command, now_ms: u64) -> Recall {
        if let Some(remembered) = self.remembered.get(request_id) {
            return match remembered.command == *command {
                true => Recall::Replay(remembered.applied.clone()),
                false => Recall::Conflict,
            };
        }
        match self.aged.get(request_id) {
            Some(aged) if !window_passed(aged.applied_ms, now_ms) => match aged.digest == command_digest(command) {
                true => Recall::Replay(Applied { created: aged.created, answer_forgotten: true, ..Applied::default() }),
                false => Recall::Conflict,
            },
            _ => Recall::Fresh,
        }
    }

    /// Whether a fresh request with an id can be remembered at `now_ms` (the window is not
    /// full of ids still inside it).
    pub(crate) fn admits(&self, now_ms: u64) -> Result<(), Rejection> {
        if self.held_count() < u64::from(REQUEST_ID_WINDOW_COUNT_MAX) {
            return Ok(());
        }
        let oldest = self.aged_order.front().and_then(|id| self.aged.get(id)).map(|aged| aged.applied_ms);
        match oldest {
            Some(applied_ms) if window_passed(applied_ms, now_ms) => Ok(()),
            _ => Err(Rejection::new(
                RejectionCode::RateLimited,
                format!(
                    "The cluster holds {REQUEST_ID_WINDOW_COUNT_MAX} request ids of the last {} s, its most; retry later.",
                    REQUEST_ID_REMEMBERED_WINDOW_MS / 1000
                ),
            )),
        }
    }

    /// Remembers an applied request at `now_ms`, moving the oldest recent one to the aged tier
    /// and forgetting aged ones out of the window.
    pub(crate) fn remember(&mut self, request_id: RequestId, command: Command, applied: Applied, now_ms: u64) {
        assert!(!self.remembered.contains_key(&request_id), "a remembered request is replayed, not applied");
        while let Some(oldest) = self.aged_order.front() {
            if self.aged.get(oldest).is_some_and(|aged| !window_passed(aged.applied_ms, now_ms)) {
                break;
            }
            if let Some(oldest) = self.aged_order.pop_front() {
                self.aged.remove(&oldest);
            }
        }
        if self.order.len() >= REQUEST_ID_REMEMBERED_COUNT_MAX as usize {
            if let Some(oldest) = self.order.pop_front() {
                let forgotten = self.remembered.remove(&oldest);
                assert!(forgotten.is_some(), "order and remembered hold the same ids");
                if let Some(old) = forgotten {
                    let aged = Aged {
                        digest: command_digest(&old.command),
                        created: old.applied.created,
                        applied_ms: old.applied_ms,
                    };
                    // An id re-applied after its aged record expired replaces that record.
                    if self.aged.insert(oldest.clone(), aged).is_some() {
                        self.aged_order.retain(|id| *id != oldest);
                    }
                    self.aged_order.push_back(oldest);
                }
            }
        }
        // An aged id out of its window may be applied afresh: it leaves the aged tier.
        if self.aged.remove(&request_id).is_some() {
            self.aged_order.retain(|id| *id != request_id);
        }
        self.order.push_back(request_id.clone());
        self.remembered.insert(request_id, Remembered { command, applied, applied_ms: now_ms });
        assert!(self.order.len() == self.remembered.len(), "order and remembered hold the same ids");
        assert!(self.aged_order.len() == self.aged.len(), "aged_order and aged hold the same ids");
        assert!(self.order.len() <= REQUEST_ID_REMEMBERED_COUNT_MAX as usize);
    }

    /// Ids held in both tiers.
    fn held_count(&self) -> u64 {
        (self.order.len() + self.aged.len()) as u64
    }

    pub(crate) fn count(&self) -> u32 {
        u32::try_from(self.held_count()).unwrap_or(u32::MAX)
    }

    /// Whether the id is held (in either tier, whether or not its window has passed).
    pub(crate) fn contains(&self, request_id: &RequestId) -> bool {
        self.remembered.contains_key(request_id) || self.aged.contains_key(request_id)
    }
}

/// Whether a request applied at `applied_ms` is out of the window at `now_ms`.
fn window_passed(applied_ms: u64, now_ms: u64) -> bool {
    now_ms.saturating_sub(applied_ms) >= REQUEST_ID_REMEMBERED_WINDOW_MS
}

/// A digest of a command, the same on every replica and every build: FNV-1a over its JSON.
/// Not a defence against forgery (only the client that owns an id can reuse it); it tells a
/// retry from a different command sent under the same id.
fn command_digest(command: &Command) -> u64 {
    let bytes = serde_json::to_vec(command).unwrap_or_default();
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
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
