//! Why a command was refused: one typed table of codes, each with a stable name and status.
//!
//! A rejection is an operating error (bad input), never a panic, and applying a rejected
//! command changes nothing in the center. The code's snake_case name is part of the protocol:
//! clients match on it, so a name never changes once released.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::limits::IN_USE_NAMED_COUNT_MAX;
use crate::spec_error::{SpecCode, SpecError};

/// The kind of a [`Rejection`]; its [`as_str`](RejectionCode::as_str) name is stable.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    /// The command names an entity that does not exist.
    NotFound,
    /// Another entity of the same kind already has this name (compared case-insensitively).
    DuplicateName,
    /// Another reason code of the same kind already has this value.
    DuplicateValue,
    /// A field is empty, too long, out of range or repeated.
    InvalidField,
    /// The command references a skill that does not exist.
    UnknownSkill,
    /// The command references a team that does not exist.
    UnknownTeam,
    /// The command references an agent that does not exist.
    UnknownAgent,
    /// The entity is referenced by others and cannot be deleted.
    InUse,
    /// The center already holds the maximum number of email CSQs.
    EmailCsqLimit,
    /// The center already holds the maximum number of entities of this kind.
    LimitExceeded,
    /// The request id is empty, too long or contains control characters.
    InvalidRequestId,
    /// The request id was already used for a different command.
    DuplicateRequest,
    /// The agent's or contact's current state does not allow the command (most spec codes).
    InvalidState,
    /// The command references a CSQ that does not exist.
    UnknownCsq,
    /// A rate limit was reached (e.g. team message publishes per hour); retry later.
    RateLimited,
    /// The settings in force do not permit this agent the action (e.g. a chat level).
    NotPermitted,
    /// The acting user's role does not allow the command, or not for this agent or team.
    Forbidden,
}

/// A refused command: a stable code and a message that says what to fix.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(deny_unknown_fields)]
#[error("{code}: {message}")]
pub struct Rejection {
    /// What kind of refusal this is.
    pub code: RejectionCode,
    /// A sentence for people, naming the field, entity or limit involved. For a spec error
    /// it is the spec's exact text.
    pub message: String,
    /// The spec's error number (e.g. 10111), when the spec defines one for this refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_code: Option<SpecCode>,
}

impl RejectionCode {
    /// Every code, in declaration order.
    pub const ALL: [RejectionCode; 17] = [
        RejectionCode::NotFound,
        RejectionCode::DuplicateName,
        RejectionCode::DuplicateValue,
        RejectionCode::InvalidField,
        RejectionCode::UnknownSkill,
        RejectionCode::UnknownTeam,
        RejectionCode::UnknownAgent,
        RejectionCode::InUse,
        RejectionCode::EmailCsqLimit,
        RejectionCode::LimitExceeded,
        RejectionCode::InvalidRequestId,
        RejectionCode::DuplicateRequest,
        RejectionCode::InvalidState,
        RejectionCode::UnknownCsq,
        RejectionCode::RateLimited,
        RejectionCode::NotPermitted,
        RejectionCode::Forbidden,
    ];

    /// The stable snake_case name, the same as the serde form (e.g. `"email_csq_limit"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            RejectionCode::NotFound => "not_found",
            RejectionCode::DuplicateName => "duplicate_name",
            RejectionCode::DuplicateValue => "duplicate_value",
            RejectionCode::InvalidField => "invalid_field",
            RejectionCode::UnknownSkill => "unknown_skill",
            RejectionCode::UnknownTeam => "unknown_team",
            RejectionCode::UnknownAgent => "unknown_agent",
            RejectionCode::InUse => "in_use",
            RejectionCode::EmailCsqLimit => "email_csq_limit",
            RejectionCode::LimitExceeded => "limit_exceeded",
            RejectionCode::InvalidRequestId => "invalid_request_id",
            RejectionCode::DuplicateRequest => "duplicate_request",
            RejectionCode::InvalidState => "invalid_state",
            RejectionCode::UnknownCsq => "unknown_csq",
            RejectionCode::RateLimited => "rate_limited",
            RejectionCode::NotPermitted => "not_permitted",
            RejectionCode::Forbidden => "forbidden",
        }
    }

    /// The HTTP status the REST layer answers with: 404 for a missing target, 409 for a
    /// conflict with existing state, 422 for invalid input, 403 for what the settings do not
    /// permit or the role does not allow, 429 for a rate limit.
    pub fn http_status(&self) -> u16 {
        match self {
            RejectionCode::NotFound => 404,
            RejectionCode::DuplicateName
            | RejectionCode::DuplicateValue
            | RejectionCode::InUse
            | RejectionCode::EmailCsqLimit
            | RejectionCode::LimitExceeded
            | RejectionCode::DuplicateRequest
            | RejectionCode::InvalidState => 409,
            RejectionCode::InvalidField
            | RejectionCode::UnknownSkill
            | RejectionCode::UnknownTeam
            | RejectionCode::UnknownAgent
            | RejectionCode::UnknownCsq
            | RejectionCode::InvalidRequestId => 422,
            RejectionCode::NotPermitted | RejectionCode::Forbidden => 403,
            RejectionCode::RateLimited => 429,
        }
    }
}

impl fmt::Display for RejectionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Rejection {
    /// A rejection with the given code and message.
    pub fn new(code: RejectionCode, message: impl Into<String>) -> Self {
        Rejection { code, message: message.into(), spec_code: None }
    }

    /// The spec error this rejection carries, if its number is one this release knows.
    pub fn spec_error(&self) -> Option<SpecError> {
        self.spec_code.and_then(SpecError::from_code)
    }

    pub(crate) fn invalid_state(message: impl Into<String>) -> Self {
        Rejection::new(RejectionCode::InvalidState, message)
    }

    pub(crate) fn invalid_field(message: impl Into<String>) -> Self {
        Rejection::new(RejectionCode::InvalidField, message)
    }

    /// `noun` and `id` name the missing target, e.g. `("skill", 7)`.
    pub(crate) fn not_found(noun: &str, id: impl fmt::Display) -> Self {
        Rejection::new(RejectionCode::NotFound, format!("{noun} {id} does not exist"))
    }

    /// `subject` is what the command tried to delete; `references` name what still uses it,
    /// in id order. At most [`IN_USE_NAMED_COUNT_MAX`] are named; the rest are counted.
    pub(crate) fn in_use(subject: &str, references: &[String]) -> Self {
        let named_count = references.len().min(IN_USE_NAMED_COUNT_MAX as usize);
        let named = references.iter().take(named_count).cloned().collect::<Vec<_>>().join(", ");
        let rest_count = references.len() - named_count;
        let message = if rest_count == 0 {
            format!("{subject} is in use by {named}")
        } else {
            format!("{subject} is in use by {named} and {rest_count} more")
        };
        Rejection::new(RejectionCode::InUse, message)
    }
}
