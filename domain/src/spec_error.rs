//! The spec's numbered error codes, in one typed table: each variant's number and exact text.
//!
//! Desktops written against the CTI tier match on these numbers (seeds-ctios.md §2.6.3, §4.2),
//! so the numbers and texts are requirements, reproduced verbatim. A refused command carries
//! the number in [`crate::Rejection::spec_code`] and the text as its message
//! (`docs/decisions/0010-spec-error-codes.md`). Numbers arriving from peers or older releases
//! use the open [`SpecCode`] newtype, so a value this table does not know survives a round
//! trip instead of failing to parse.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rejection::{Rejection, RejectionCode};

/// A spec error number as it travels on the wire; unknown values are kept, not refused.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SpecCode(pub u32);

/// Every spec error the domain raises, with its number ([`SpecError::code`]) and exact text
/// ([`SpecError::text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecError {
    /// 10101: logout while logged out.
    AlreadyLoggedOut,
    /// 10102: login while logged in.
    AlreadyLoggedOn,
    /// 10103: make call while Ready or in a work (wrap-up) state.
    AvailableOrInCallWork,
    /// 10104: Not Ready refused because a call may be on its way (the agent is Reserved).
    CannotGoUnavailable,
    /// 10106: make call while Reserved.
    ReservedCannotMakeCall,
    /// 10108 `PERERR_TELDRIVE_BADSTATETRANSITION`: any other illegal transition.
    BadStateTransition,
    /// 10111: Ready from Talking (and from every other state that forbids Ready).
    CannotTransitionToReady,
    /// 10112: logout from any state but Not Ready.
    CannotLogOut,
    /// 280 `CF_WRAPUP_DATA_REQUIRED`: leaving REQUIRED_WITH_DATA wrap-up without data.
    WrapUpDataRequired,
    /// 281 `CF_REASON_CODE_REQUIRED`: Not Ready or Logout without a required reason.
    ReasonCodeRequired,
}

impl SpecError {
    /// Every spec error, in declaration order.
    pub const ALL: [SpecError; 10] = [
        SpecError::AlreadyLoggedOut,
        SpecError::AlreadyLoggedOn,
        SpecError::AvailableOrInCallWork,
        SpecError::CannotGoUnavailable,
        SpecError::ReservedCannotMakeCall,
        SpecError::BadStateTransition,
        SpecError::CannotTransitionToReady,
        SpecError::CannotLogOut,
        SpecError::WrapUpDataRequired,
        SpecError::ReasonCodeRequired,
    ];

    /// The spec's number.
    pub fn code(self) -> SpecCode {
        SpecCode(match self {
            SpecError::AlreadyLoggedOut => 10101,
            SpecError::AlreadyLoggedOn => 10102,
            SpecError::AvailableOrInCallWork => 10103,
            SpecError::CannotGoUnavailable => 10104,
            SpecError::ReservedCannotMakeCall => 10106,
            SpecError::BadStateTransition => 10108,
            SpecError::CannotTransitionToReady => 10111,
            SpecError::CannotLogOut => 10112,
            SpecError::WrapUpDataRequired => 280,
            SpecError::ReasonCodeRequired => 281,
        })
    }

    /// The spec's text, verbatim. The spec names 280 and 281 without a text; theirs are ours
    /// (`docs/decisions/0010-spec-error-codes.md`).
    pub fn text(self) -> &'static str {
        match self {
            SpecError::AlreadyLoggedOut => "The agent is already LOGGED out.",
            SpecError::AlreadyLoggedOn => "The agent is already LOGGED ON.",
            SpecError::AvailableOrInCallWork => {
                "The requested function cannot be performed since the agent is AVAILABLE or in a CALL WORK State."
            }
            SpecError::CannotGoUnavailable => "The Agent cannot go UNAVAILABLE due to possible calls.",
            SpecError::ReservedCannotMakeCall => "Agent is RESERVED \u{2013} cannot make call.",
            SpecError::BadStateTransition => "The state transition is invalid from the current state.",
            SpecError::CannotTransitionToReady => "Cannot transition to READY from current state.",
            SpecError::CannotLogOut => "The agent cannot log out from the current state.",
            SpecError::WrapUpDataRequired => "Wrap-up data is required before leaving wrap-up.",
            SpecError::ReasonCodeRequired => "A reason code is required for this state change.",
        }
    }

    /// The spec's symbolic name, where it gives one.
    pub fn identifier(self) -> Option<&'static str> {
        match self {
            SpecError::BadStateTransition => Some("PERERR_TELDRIVE_BADSTATETRANSITION"),
            SpecError::WrapUpDataRequired => Some("CF_WRAPUP_DATA_REQUIRED"),
            SpecError::ReasonCodeRequired => Some("CF_REASON_CODE_REQUIRED"),
            _ => None,
        }
    }

    /// The rejection kind: a missing reason or wrap-up data is invalid input (422); every
    /// other code refuses a command the agent's current state does not allow (409).
    pub fn rejection_code(self) -> RejectionCode {
        match self {
            SpecError::WrapUpDataRequired | SpecError::ReasonCodeRequired => RejectionCode::InvalidField,
            _ => RejectionCode::InvalidState,
        }
    }

    /// The table row for a number, if this release knows it.
    pub fn from_code(code: SpecCode) -> Option<SpecError> {
        SpecError::ALL.into_iter().find(|error| error.code() == code)
    }
}

impl fmt::Display for SpecCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<SpecError> for Rejection {
    fn from(error: SpecError) -> Self {
        Rejection { code: error.rejection_code(), message: error.text().to_owned(), spec_code: Some(error.code()) }
    }
}
