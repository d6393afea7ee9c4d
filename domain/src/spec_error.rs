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
    /// 10004 `PERERR_TELDRIVE_NOINSTRUMENTFOREXTENSION`: make call to an extension whose agent is not logged in (no instrument).
    NoInstrumentForExtension,
    /// 10105: a supervisor call (emergency, assistance) from an agent in no team.
    NotTeamMember,
    /// 10109: a call the dial plan does not allow (a desktop dialing a CSQ's dialed number).
    InvalidCallPlan,
    /// 13044 `PERERR_GW_E_THREADCLEARCONNECTIONCALL_UNKNOWN_CONNECTION_ID`: release (clear call, clear connection) of a connection the agent does not hold.
    ClearConnectionUnknownConnection,
    /// 13045 `PERERR_GW_E_THREADCONFERENCECALL_ACTIVE_NOT_TALKING`: conference complete whose active (consult) connection is not talking.
    ConferenceActiveNotTalking,
    /// 13046 `PERERR_GW_E_THREADCONFERENCECALL_ACTIVE_NOT_FOUND`: conference complete naming an active call the agent is not on.
    ConferenceActiveNotFound,
    /// 13047 `PERERR_GW_E_THREADCONFERENCECALL_HELD_NOT_FOUND`: conference complete naming a held call the agent is not on.
    ConferenceHeldNotFound,
    /// 13056 `PERERR_GW_E_THREADCONFERENCECALL_HELD_NOT_HELD`: conference complete whose held connection is not held.
    ConferenceHeldNotHeld,
    /// 13057 `PERERR_GW_E_THREADCONFERENCECALL_INVALID_DIALED_NUMBER`: a conference consult with a null (blank) number.
    ConferenceInvalidDialedNumber,
    /// 13062 `PERERR_GW_E_THREADCONSULTCALL_INVALID_CONSULT_TYPE`: a consult whose type is neither TRANSFER nor CONFERENCE.
    ConsultInvalidType,
    /// 13063 `PERERR_GW_E_THREADCONSULTCALL_NO_ACTIVE_CONNECTION`: a consult from a call the agent is not talking on.
    ConsultNoActiveConnection,
    /// 13078 `PERERR_GW_E_THREADSUPERVISORCALL_EMERGENCY_INVALID_ALERT_TYPE`: an emergency call whose alert type is neither CONSULT nor BLIND_CONFERENCE.
    EmergencyInvalidAlertType,
    /// 13079 `PERERR_GW_E_THREADSUPERVISORCALL_ASSIST_INVALID_ALERT_TYPE`: an assistance request whose alert type is neither CONSULT nor BLIND_CONFERENCE.
    AssistInvalidAlertType,
    /// 13081 `PERERR_GW_E_THREADHOLDCALL_UNCONTROLLED_CALL`: hold of a call the agent is not talking on.
    HoldUncontrolledCall,
    /// 13083 `PERERR_GW_E_THREADMAKECALL_CANT_CREATE_CALL`: make call to a busy agent extension.
    MakeCallCannotCreate,
    /// 13090 `PERERR_GW_E_THREADRETRIEVECALL_UNCONTROLLED_CALL`: retrieve of a call the agent does not hold.
    RetrieveUncontrolledCall,
    /// 13093 `PERERR_GW_E_THREADSENDDTMFCALL_INVALID_CONNECTION_ID`: DTMF on a call the agent is not on.
    SendDtmfInvalidConnection,
    /// 13094 `PERERR_GW_E_THREADSENDDTMFCALL_NO_MEDIA`: DTMF on a connection that is not talking (no media).
    SendDtmfNoMedia,
    /// 13095 `PERERR_GW_E_THREADSUPERVISECALL_ACTIVE_NOT_TALKING`: supervise an agent whose connection on the call is not talking.
    SuperviseActiveNotTalking,
    /// 13096 `PERERR_GW_E_THREADSUPERVISECALL_ALREADY_BARGED`: a second barge-in on one call.
    SuperviseAlreadyBarged,
    /// 13109 `PERERR_GW_E_THREADSUPERVISECALL_INVALID_ACTION`: a supervise action other than CLEAR, BARGE_IN or INTERCEPT.
    SuperviseInvalidAction,
    /// 13110 `PERERR_GW_E_THREADSUPERVISECALL_NO_ACTIVE_CONNECTION`: supervise an agent with no connection at all.
    SuperviseNoActiveConnection,
    /// 13111 `PERERR_GW_E_THREADSUPERVISECALL_BAD_CALL_ID`: supervise a call that does not exist.
    SuperviseBadCallId,
    /// 13112 `PERERR_GW_E_THREADSUPERVISECALL_BAD_AGENT_CALL_ID`: supervise a call the agent is not on.
    SuperviseBadAgentCallId,
    /// 13121 `PERERR_GW_E_THREADTRANSFERCALL_CONNECTION_NOT_TALKING`: transfer complete before the consult call is talking (UCCE), or after one alternate.
    TransferConnectionNotTalking,
    /// 13125 `PERERR_GW_E_THREADTRANSFERCALL_HELD_NOT_HELD`: transfer complete whose held connection is not held.
    TransferHeldNotHeld,
    /// 13126 `PERERR_GW_E_THREADTRANSFERCALL_NO_ACTIVE`: transfer (complete or single step) without an active connection.
    TransferNoActive,
    /// 13127 `PERERR_GW_E_THREADTRANSFERCALL_INVALID_HELD`: transfer complete naming a held call the agent is not on.
    TransferInvalidHeld,
    /// 20007 `PERERR_CM_CALL_ALREADY_EXISTS`: a new call (consult, make call) on a full line.
    CallAlreadyExists,
    /// 20010 `PERERR_CM_CALLHANDLE_NOTINCOMINGCALL`: answer of a call that does not exist or is not alerting the agent.
    NotIncomingCall,
    /// 20011 `PERERR_CM_TRANSFERFAILED_DESTINATION_UNALLOCATED`: consult or single-step transfer to an extension whose agent is not logged in.
    TransferDestinationUnallocated,
    /// 20013 `PERERR_CM_TRANSFERFAILED_DESTINATION_BUSY`: consult or single-step transfer to a busy agent.
    TransferDestinationBusy,
    /// 20029 `PERERR_CM_REDIRECT_CALL_DOES_NOT_EXIST`: deflect of a call that does not exist or is not alerting the agent.
    RedirectCallDoesNotExist,
    /// 20052 `PERERR_CM_REDIRECT_CALL_UNKNOWN_DESTINATION`: deflect to a blank number or an extension whose agent is not logged in.
    RedirectUnknownDestination,
    /// 20063 `PERERR_CM_REDIRECT_CALL_DESTINATION_BUSY`: deflect to a busy agent.
    RedirectDestinationBusy,
    /// 20066 `PERERR_CM_TRANSFER_FAILED_OUTSTANDING_TRANSFER`: a consult of a call another party is already consulting from.
    OutstandingTransfer,
    /// 20070 `PERERR_CM_CONFERENCE_FULL`: a conference (or barge-in) beyond the party limit.
    ConferenceFull,
    /// 20112 `PERERR_CM_RETRIEVE_FAILED_ACTIVE_CALL_ON_LINE`: retrieve while another call is talking on the line.
    RetrieveActiveCallOnLine,
    /// 280 `CF_WRAPUP_DATA_REQUIRED`: leaving REQUIRED_WITH_DATA wrap-up without data.
    WrapUpDataRequired,
    /// 281 `CF_REASON_CODE_REQUIRED`: Not Ready or Logout without a required reason.
    ReasonCodeRequired,
}

impl SpecError {
    /// Every spec error, in declaration order.
    pub const ALL: [SpecError; 48] = [
        SpecError::AlreadyLoggedOut,
        SpecError::AlreadyLoggedOn,
        SpecError::AvailableOrInCallWork,
        SpecError::CannotGoUnavailable,
        SpecError::ReservedCannotMakeCall,
        SpecError::BadStateTransition,
        SpecError::CannotTransitionToReady,
        SpecError::CannotLogOut,
        SpecError::NoInstrumentForExtension,
        SpecError::NotTeamMember,
        SpecError::InvalidCallPlan,
        SpecError::ClearConnectionUnknownConnection,
        SpecError::ConferenceActiveNotTalking,
        SpecError::ConferenceActiveNotFound,
        SpecError::ConferenceHeldNotFound,
        SpecError::ConferenceHeldNotHeld,
        SpecError::ConferenceInvalidDialedNumber,
        SpecError::ConsultInvalidType,
        SpecError::ConsultNoActiveConnection,
        SpecError::EmergencyInvalidAlertType,
        SpecError::AssistInvalidAlertType,
        SpecError::HoldUncontrolledCall,
        SpecError::MakeCallCannotCreate,
        SpecError::RetrieveUncontrolledCall,
        SpecError::SendDtmfInvalidConnection,
        SpecError::SendDtmfNoMedia,
        SpecError::SuperviseActiveNotTalking,
        SpecError::SuperviseAlreadyBarged,
        SpecError::SuperviseInvalidAction,
        SpecError::SuperviseNoActiveConnection,
        SpecError::SuperviseBadCallId,
        SpecError::SuperviseBadAgentCallId,
        SpecError::TransferConnectionNotTalking,
        SpecError::TransferHeldNotHeld,
        SpecError::TransferNoActive,
        SpecError::TransferInvalidHeld,
        SpecError::CallAlreadyExists,
        SpecError::NotIncomingCall,
        SpecError::TransferDestinationUnallocated,
        SpecError::TransferDestinationBusy,
        SpecError::RedirectCallDoesNotExist,
        SpecError::RedirectUnknownDestination,
        SpecError::RedirectDestinationBusy,
        SpecError::OutstandingTransfer,
        SpecError::ConferenceFull,
        SpecError::RetrieveActiveCallOnLine,
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
            SpecError::NoInstrumentForExtension => 10004,
            SpecError::NotTeamMember => 10105,
            SpecError::InvalidCallPlan => 10109,
            SpecError::ClearConnectionUnknownConnection => 13044,
            SpecError::ConferenceActiveNotTalking => 13045,
            SpecError::ConferenceActiveNotFound => 13046,
            SpecError::ConferenceHeldNotFound => 13047,
            SpecError::ConferenceHeldNotHeld => 13056,
            SpecError::ConferenceInvalidDialedNumber => 13057,
            SpecError::ConsultInvalidType => 13062,
            SpecError::ConsultNoActiveConnection => 13063,
            SpecError::EmergencyInvalidAlertType => 13078,
            SpecError::AssistInvalidAlertType => 13079,
            SpecError::HoldUncontrolledCall => 13081,
            SpecError::MakeCallCannotCreate => 13083,
            SpecError::RetrieveUncontrolledCall => 13090,
            SpecError::SendDtmfInvalidConnection => 13093,
            SpecError::SendDtmfNoMedia => 13094,
            SpecError::SuperviseActiveNotTalking => 13095,
            SpecError::SuperviseAlreadyBarged => 13096,
            SpecError::SuperviseInvalidAction => 13109,
            SpecError::SuperviseNoActiveConnection => 13110,
            SpecError::SuperviseBadCallId => 13111,
            SpecError::SuperviseBadAgentCallId => 13112,
            SpecError::TransferConnectionNotTalking => 13121,
            SpecError::TransferHeldNotHeld => 13125,
            SpecError::TransferNoActive => 13126,
            SpecError::TransferInvalidHeld => 13127,
            SpecError::CallAlreadyExists => 20007,
            SpecError::NotIncomingCall => 20010,
            SpecError::TransferDestinationUnallocated => 20011,
            SpecError::TransferDestinationBusy => 20013,
            SpecError::RedirectCallDoesNotExist => 20029,
            SpecError::RedirectUnknownDestination => 20052,
            SpecError::RedirectDestinationBusy => 20063,
            SpecError::OutstandingTransfer => 20066,
            SpecError::ConferenceFull => 20070,
            SpecError::RetrieveActiveCallOnLine => 20112,
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
            SpecError::NoInstrumentForExtension => "The extension number specified is not associated with any known instrument.",
            SpecError::NotTeamMember => "Agent is not a TEAM member\u{2013} cannot make supervisor call.",
            SpecError::InvalidCallPlan => "The agent is attempting to make a call that is not valid for their defined call plan.",
            SpecError::ClearConnectionUnknownConnection => {
                "JTAPI Gateway \u{2013} Error on CLEARCONNECTION operation \u{2013} Unknown connection ID."
            }
            SpecError::ConferenceActiveNotTalking => {
                "JTAPI Gateway \u{2013} Error on CONFERENCE operation \u{2013} ACTIVE connection not in proper state."
            }
            SpecError::ConferenceActiveNotFound => {
                "JTAPI Gateway \u{2013} Error on CONFERENCE operation \u{2013} ACTIVE connection not found."
            }
            SpecError::ConferenceHeldNotFound => {
                "JTAPI Gateway \u{2013} Error on CONFERENCE operation \u{2013} HELD connection not found."
            }
            SpecError::ConferenceHeldNotHeld => {
                "JTAPI Gateway \u{2013} Error on CONFERENCE operation \u{2013} HELD connection not HELD."
            }
            SpecError::ConferenceInvalidDialedNumber => {
                "JTAPI Gateway \u{2013} Error on CONFERENCE operation \u{2013} Invalid Dialed Number."
            }
            SpecError::ConsultInvalidType => {
                "JTAPI Gateway \u{2013} Error on CONSULT operation \u{2013} Invalid Consult type."
            }
            SpecError::ConsultNoActiveConnection => {
                "JTAPI Gateway \u{2013} Error on CONSULT operation \u{2013} No Active Connection."
            }
            SpecError::EmergencyInvalidAlertType => {
                "JTAPI Gateway \u{2013} Error on SUPERVISOR operation \u{2013} Invalid Alert Type."
            }
            SpecError::AssistInvalidAlertType => {
                "JTAPI Gateway \u{2013} Error on SUPERVISOR operation \u{2013} Invalid Alert Type."
            }
            SpecError::HoldUncontrolledCall => {
                "JTAPI Gateway \u{2013} Error on HOLD operation \u{2013} Uncontrolled Call."
            }
            SpecError::MakeCallCannotCreate => {
                "JTAPI Gateway \u{2013} Error on MAKE CALL operation \u{2013} Can't create call."
            }
            SpecError::RetrieveUncontrolledCall => {
                "JTAPI Gateway \u{2013} Error on RETRIEVE operation \u{2013} Uncontrolled Call."
            }
            SpecError::SendDtmfInvalidConnection => {
                "JTAPI Gateway \u{2013} Error on SEND DTMF operation \u{2013} Invalid Connection ID."
            }
            SpecError::SendDtmfNoMedia => {
                "JTAPI Gateway \u{2013} Error on SEND DTMF operation \u{2013} No Media."
            }
            SpecError::SuperviseActiveNotTalking => {
                "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} ACTIVE connection not in proper state."
            }
            SpecError::SuperviseAlreadyBarged => {
                "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} Cannot Barge in, already barged into."
            }
            SpecError::SuperviseInvalidAction => {
                "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} Invalid action. The action specified was not CLEAR, BARGE_IN or INTERCEPT."
            }
            SpecError::SuperviseNoActiveConnection => {
                "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} No ACTIVE connection."
            }
            SpecError::SuperviseBadCallId => {
                "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} Bad Call ID."
            }
            SpecError::SuperviseBadAgentCallId => {
                "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} Bad Call ID."
            }
            SpecError::TransferConnectionNotTalking => {
                "JTAPI Gateway \u{2013} Error on TRANSFER operation \u{2013} Connection not TALKING."
            }
            SpecError::TransferHeldNotHeld => {
                "JTAPI Gateway \u{2013} Error on TRANSFER operation \u{2013} HELD connection not HELD."
            }
            SpecError::TransferNoActive => {
                "JTAPI Gateway \u{2013} Error on TRANSFER operation \u{2013} No ACTIVE."
            }
            SpecError::TransferInvalidHeld => {
                "JTAPI Gateway \u{2013} Error on TRANSFER operation \u{2013} Invalid HELD connection."
            }
            SpecError::CallAlreadyExists => "Another call already exists on the line.",
            SpecError::NotIncomingCall => "Attempt to answer a call that either does not exist or is not in the correct state.",
            SpecError::TransferDestinationUnallocated => "Attempt to transfer to a directory number that is not registered.",
            SpecError::TransferDestinationBusy => "Attempt to transfer to a busy destination.",
            SpecError::RedirectCallDoesNotExist => "Attempt to redirect a call that does not exist or is no longer active.",
            SpecError::RedirectUnknownDestination => "Attempt to redirect to an unknown destination.",
            SpecError::RedirectDestinationBusy => "Redirect destination is busy.",
            SpecError::OutstandingTransfer => "Existing transfer still in progress.",
            SpecError::ConferenceFull => "Undescribed Error",
            SpecError::RetrieveActiveCallOnLine => "Undescribed Error",
            SpecError::WrapUpDataRequired => "Wrap-up data is required before leaving wrap-up.",
            SpecError::ReasonCodeRequired => "A reason code is required for this state change.",
        }
    }

    /// The spec's symbolic name, where it gives one.
    pub fn identifier(self) -> Option<&'static str> {
        match self {
            SpecError::BadStateTransition => Some("PERERR_TELDRIVE_BADSTATETRANSITION"),
            SpecError::NoInstrumentForExtension => Some("PERERR_TELDRIVE_NOINSTRUMENTFOREXTENSION"),
            SpecError::ClearConnectionUnknownConnection => {
                Some("PERERR_GW_E_THREADCLEARCONNECTIONCALL_UNKNOWN_CONNECTION_ID")
            }
            SpecError::ConferenceActiveNotTalking => Some("PERERR_GW_E_THREADCONFERENCECALL_ACTIVE_NOT_TALKING"),
            SpecError::ConferenceActiveNotFound => Some("PERERR_GW_E_THREADCONFERENCECALL_ACTIVE_NOT_FOUND"),
            SpecError::ConferenceHeldNotFound => Some("PERERR_GW_E_THREADCONFERENCECALL_HELD_NOT_FOUND"),
            SpecError::ConferenceHeldNotHeld => Some("PERERR_GW_E_THREADCONFERENCECALL_HELD_NOT_HELD"),
            SpecError::ConferenceInvalidDialedNumber => Some("PERERR_GW_E_THREADCONFERENCECALL_INVALID_DIALED_NUMBER"),
            SpecError::ConsultInvalidType => Some("PERERR_GW_E_THREADCONSULTCALL_INVALID_CONSULT_TYPE"),
            SpecError::ConsultNoActiveConnection => Some("PERERR_GW_E_THREADCONSULTCALL_NO_ACTIVE_CONNECTION"),
            SpecError::EmergencyInvalidAlertType => {
                Some("PERERR_GW_E_THREADSUPERVISORCALL_EMERGENCY_INVALID_ALERT_TYPE")
            }
            SpecError::AssistInvalidAlertType => Some("PERERR_GW_E_THREADSUPERVISORCALL_ASSIST_INVALID_ALERT_TYPE"),
            SpecError::HoldUncontrolledCall => Some("PERERR_GW_E_THREADHOLDCALL_UNCONTROLLED_CALL"),
            SpecError::MakeCallCannotCreate => Some("PERERR_GW_E_THREADMAKECALL_CANT_CREATE_CALL"),
            SpecError::RetrieveUncontrolledCall => Some("PERERR_GW_E_THREADRETRIEVECALL_UNCONTROLLED_CALL"),
            SpecError::SendDtmfInvalidConnection => Some("PERERR_GW_E_THREADSENDDTMFCALL_INVALID_CONNECTION_ID"),
            SpecError::SendDtmfNoMedia => Some("PERERR_GW_E_THREADSENDDTMFCALL_NO_MEDIA"),
            SpecError::SuperviseActiveNotTalking => Some("PERERR_GW_E_THREADSUPERVISECALL_ACTIVE_NOT_TALKING"),
            SpecError::SuperviseAlreadyBarged => Some("PERERR_GW_E_THREADSUPERVISECALL_ALREADY_BARGED"),
            SpecError::SuperviseInvalidAction => Some("PERERR_GW_E_THREADSUPERVISECALL_INVALID_ACTION"),
            SpecError::SuperviseNoActiveConnection => Some("PERERR_GW_E_THREADSUPERVISECALL_NO_ACTIVE_CONNECTION"),
            SpecError::SuperviseBadCallId => Some("PERERR_GW_E_THREADSUPERVISECALL_BAD_CALL_ID"),
            SpecError::SuperviseBadAgentCallId => Some("PERERR_GW_E_THREADSUPERVISECALL_BAD_AGENT_CALL_ID"),
            SpecError::TransferConnectionNotTalking => Some("PERERR_GW_E_THREADTRANSFERCALL_CONNECTION_NOT_TALKING"),
            SpecError::TransferHeldNotHeld => Some("PERERR_GW_E_THREADTRANSFERCALL_HELD_NOT_HELD"),
            SpecError::TransferNoActive => Some("PERERR_GW_E_THREADTRANSFERCALL_NO_ACTIVE"),
            SpecError::TransferInvalidHeld => Some("PERERR_GW_E_THREADTRANSFERCALL_INVALID_HELD"),
            SpecError::CallAlreadyExists => Some("PERERR_CM_CALL_ALREADY_EXISTS"),
            SpecError::NotIncomingCall => Some("PERERR_CM_CALLHANDLE_NOTINCOMINGCALL"),
            SpecError::TransferDestinationUnallocated => Some("PERERR_CM_TRANSFERFAILED_DESTINATION_UNALLOCATED"),
            SpecError::TransferDestinationBusy => Some("PERERR_CM_TRANSFERFAILED_DESTINATION_BUSY"),
            SpecError::RedirectCallDoesNotExist => Some("PERERR_CM_REDIRECT_CALL_DOES_NOT_EXIST"),
            SpecError::RedirectUnknownDestination => Some("PERERR_CM_REDIRECT_CALL_UNKNOWN_DESTINATION"),
            SpecError::RedirectDestinationBusy => Some("PERERR_CM_REDIRECT_CALL_DESTINATION_BUSY"),
            SpecError::OutstandingTransfer => Some("PERERR_CM_TRANSFER_FAILED_OUTSTANDING_TRANSFER"),
            SpecError::ConferenceFull => Some("PERERR_CM_CONFERENCE_FULL"),
            SpecError::RetrieveActiveCallOnLine => Some("PERERR_CM_RETRIEVE_FAILED_ACTIVE_CALL_ON_LINE"),
            SpecError::WrapUpDataRequired => Some("CF_WRAPUP_DATA_REQUIRED"),
            SpecError::ReasonCodeRequired => Some("CF_REASON_CODE_REQUIRED"),
            _ => None,
        }
    }

    /// The rejection kind: a missing reason or wrap-up data, or a value outside the spec's
    /// set (consult type, alert type, supervise action, a null number), is invalid input
    /// (422); a call that does not exist is not found (404); every other code refuses a
    /// command the current state does not allow (409).
    pub fn rejection_code(self) -> RejectionCode {
        match self {
            SpecError::WrapUpDataRequired
            | SpecError::ReasonCodeRequired
            | SpecError::ConferenceInvalidDialedNumber
            | SpecError::ConsultInvalidType
            | SpecError::EmergencyInvalidAlertType
            | SpecError::AssistInvalidAlertType
            | SpecError::SuperviseInvalidAction => RejectionCode::InvalidField,
            SpecError::SuperviseBadCallId => RejectionCode::NotFound,

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
