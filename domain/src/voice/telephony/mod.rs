//! The built-in telephony switch as replicated state: calls, their connections and call control.
//!
//! The switch is a peripheral whose call state lives in the [`crate::Center`], so a call
//! survives the loss of a node and every replica agrees on who talks to whom. Its boundary is
//! commands, as for everything else: an agent's request ([`crate::VoiceCommand::CallControl`]), a
//! supervisor's ([`crate::VoiceCommand::Supervise`]) and the far end's actions (a caller arriving,
//! answering, hanging up) all arrive in the log, so a later SIP front drives the same commands
//! the load generator and the tests do.
//!
//! A call is a list of connections, one per party; each connection is Alerting, Talking or Held
//! (seeds-ctios.md §2.7.5 design note). Hold is local to the holding party, so only an agent's
//! connection is ever Held. An agent's voice state is never set by call control directly: it is
//! derived from the agent's connections after every command (alerting: Reserved; any talking:
//! Talking; only held: Hold; none left: the after-call handling of `agent_voice`), so the state
//! table in `agent_state` stays the only one.
//!
//! Every handler checks everything first (the `*_checked` functions, which
//! [`crate::Center::call_controls`] asks too, so an enabled button is exactly a request that
//! would pass) and only then writes, through infallible helpers in `switch`; a refused request
//! leaves the center byte-identical. The module refuses to do media, signalling or timers of its
//! own: it records what the switch decided. Where the spec is silent the choices are in
//! `docs/decisions/0022-telephony-switch.md`.

mod control;
mod controls;
mod data;
mod dial;
mod monitor;
mod supervisor;
mod switch;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{AgentId, CallId, ContactId, CsqId, DialedNumberId};

pub use controls::CallControls;
pub(crate) use dial::number_checked;
pub use monitor::MonitorEnd;
pub(crate) use switch::Touched;

/// A call on the switch: its parties' connections, its data and what it belongs to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// Assigned by the center.
    pub id: CallId,
    /// How the call came about.
    pub kind: CallKind,
    /// One connection per party, in the order they joined; at most
    /// [`crate::CONFERENCE_PARTY_COUNT_MAX`]. A call with one connection is an inbound call
    /// waiting in a CSQ's queue; any other call that drops to one connection is cleared.
    pub connections: Vec<Connection>,
    /// ANI, DNIS, call variables, ECC variables, wrap-up data.
    pub data: CallData,
    /// The routed voice contact riding on this call while it is open.
    pub contact: Option<ContactId>,
    /// The agents who completed a conference on this call, sorted: its conference controllers.
    pub controllers: Vec<AgentId>,
    /// The supervisor who barged into this call; a call is barged into once.
    pub barged_by: Option<AgentId>,
    /// When the call began.
    pub started_ms: u64,
}

/// How a call came about.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// From outside to a dialed number (routed through a CSQ) or to an agent's extension.
    Inbound,
    /// An agent called an outside number.
    Outbound,
    /// An agent called another agent's extension.
    Internal,
    /// A consult call an agent placed from another call, which it put on hold.
    Consult {
        /// The call on hold.
        of: CallId,
        /// What completing it does.
        purpose: ConsultPurpose,
        /// The agent who placed it.
        by: AgentId,
    },
}

/// What a consult call is for (`CONSULTATION_CALL`'s consult type).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultPurpose {
    /// Transfer Init: completes with `TransferComplete`.
    Transfer,
    /// Conference Init: completes with `ConferenceComplete`.
    Conference,
    /// Any other value a client sent; refused with 13062.
    #[serde(other)]
    Unknown,
}

/// One party's leg of a call.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Who.
    pub party: Party,
    /// In what state.
    pub state: ConnectionState,
}

/// A party to a call.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// An agent's device (extension).
    Agent(AgentId),
    /// A number outside the center: a caller or an external destination. Empty: withheld.
    External(String),
}

/// A connection's local state (seeds-ctios.md §2.7.5 design note).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Ringing (`LCS_ALERTING`, `CALL_DELIVERED`).
    Alerting,
    /// Connected (`CALL_ESTABLISHED`); the originator of a call talks from the moment it dials.
    Talking,
    /// On hold by this party (`CALL_HELD`); agents only.
    Held,
}

/// The data a call carries (seeds-ctios.md §2.7.1, the call appearance grid).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallData {
    /// The calling number (empty: withheld).
    pub ani: String,
    /// The number the switch delivered the call for.
    pub dnis: String,
    /// The number the caller dialed.
    pub dialed_number: String,
    /// Caller-entered digits.
    pub ced: String,
    /// User-to-user information, at most [`crate::USER_TO_USER_INFO_LENGTH_MAX`] characters.
    pub user_to_user: String,
    /// Call variables 1 to [`crate::CALL_VARIABLE_COUNT`], at most
    /// [`crate::CALL_VARIABLE_LENGTH_MAX`] characters each; unset ones are absent.
    pub variables: BTreeMap<u8, String>,
    /// Expanded call context variables by name (scalar `name`, array element `name[0]`).
    pub ecc: BTreeMap<String, String>,
    /// Wrap-up data, at most [`crate::WRAP_UP_DATA_LENGTH_MAX`] characters.
    pub wrap_up: Option<String>,
}

/// Changes to a call's writable data (`SetCallData`). Absent fields stay as they are.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallDataChanges {
    /// New user-to-user information; empty clears it.
    #[serde(default)]
    pub user_to_user: Option<String>,
    /// Call variables to set, by number 1 to 10; an empty value clears one.
    #[serde(default, deserialize_with = "variable_numbers")]
    pub variables: BTreeMap<u8, String>,
    /// ECC variables to set, by name; an empty value removes one.
    #[serde(default)]
    pub ecc: BTreeMap<String, String>,
    /// Wrap-up data (incoming calls only, as for `SetWrapUpData`).
    #[serde(default)]
    pub wrap_up: Option<String>,
}

/// Call variable numbers as JSON object keys. Read through string keys so that they also
/// arrive intact inside an internally tagged request (an agent action), where serde hands map
/// keys over as strings and would refuse them as `u8`.
fn variable_numbers<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<u8, String>, D::Error> {
    use serde::de::Error;
    let raw = BTreeMap::<String, String>::deserialize(deserializer)?;
    raw.into_iter()
        .map(|(number, value)| match number.parse::<u8>() {
            Ok(parsed) => Ok((parsed, value)),
            Err(_) => Err(D::Error::custom(format!("call variable {number:?} is not a number from 1 to 10"))),
        })
        .collect()
}

/// A call arriving from outside (the switch or the load generator).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundCallSpec {
    /// A configured dialed number (routed through its CSQ) or an agent's extension.
    pub dialed_number: String,
    /// The calling number; empty means withheld.
    #[serde(default)]
    pub ani: String,
    /// Caller-entered digits.
    #[serde(default)]
    pub ced: String,
    /// Initial user-to-user information, call and ECC variables.
    #[serde(default)]
    pub data: CallDataChanges,
}

/// An agent's call-control request (seeds-ctios.md §2.7.4, §2.7.5).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CallRequest {
    /// `ANSWER_CALL`: answers the agent's alerting connection (20010).
    Answer {
        /// The call.
        call: CallId,
    },
    /// `CLEAR_CALL`: clears the whole call, every party (13044).
    ClearCall {
        /// The call.
        call: CallId,
    },
    /// `CLEAR_CONNECTION`: releases the agent's own party (13044).
    ClearConnection {
        /// The call.
        call: CallId,
    },
    /// `HOLD_CALL` (13081).
    Hold {
        /// The call.
        call: CallId,
    },
    /// `RETRIEVE_CALL` (13090, 20112).
    Retrieve {
        /// The call.
        call: CallId,
    },
    /// `ALTERNATE_CALL`: holds the active call and retrieves the held one.
    Alternate {
        /// The call the agent talks on.
        active: CallId,
        /// The call the agent holds.
        held: CallId,
    },
    /// `RECONNECT_CALL`: drops the agent from the active call and retrieves the held one.
    Reconnect {
        /// The call to leave (usually the consult call).
        active: CallId,
        /// The call to retrieve.
        held: CallId,
    },
    /// `CONSULTATION_CALL` (Transfer Init, Conference Init): holds `call` and dials `number`.
    Consult {
        /// The call the agent talks on.
        call: CallId,
        /// Transfer or conference (13062 otherwise).
        purpose: ConsultPurpose,
        /// An extension or an outside number.
        number: String,
    },
    /// `TRANSFER_CALL` (Transfer Complete): joins the held call's other parties to the
    /// consult call's and leaves both.
    TransferComplete {
        /// The original call, on hold.
        held: CallId,
        /// The consult call, talking.
        active: CallId,
    },
    /// `CONFERENCE_CALL` (Conference Complete): merges the consult call into the held call.
    ConferenceComplete {
        /// The original call, on hold.
        held: CallId,
        /// The consult call, talking.
        active: CallId,
    },
    /// Single Step (blind) transfer: the destination takes the agent's place on the call.
    SingleStepTransfer {
        /// The call the agent talks on.
        call: CallId,
        /// An extension or an outside number.
        number: String,
    },
    /// `MAKE_CALL`: only from Not Ready (10103, 10106).
    MakeCall {
        /// An extension or an outside number.
        number: String,
    },
    /// `SEND_DTMF_SIGNAL` (13093, 13094).
    SendDtmf {
        /// The call.
        call: CallId,
        /// 1 to [`crate::DTMF_DIGITS_LENGTH_MAX`] of `0-9*#A-D`.
        digits: String,
    },
    /// `DEFLECT_CALL`: redirects the agent's alerting connection elsewhere (20029, 20052, 20063).
    Deflect {
        /// The call.
        call: CallId,
        /// An extension or an outside number.
        number: String,
    },
    /// Writes call data (`CALL_DATA_UPDATE`).
    SetCallData {
        /// The call.
        call: CallId,
        /// What to change.
        changes: CallDataChanges,
    },
}

/// A supervisor's `SUPERVISE` action (seeds-ctios.md §2.8).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuperviseAction {
    /// Clears the agent's call.
    Clear,
    /// Conferences the supervisor into the agent's call.
    BargeIn,
    /// Barges in (if not yet) and drops the agent, leaving supervisor and customer.
    Intercept,
    /// Any other value a client sent; refused with 13109.
    #[serde(other)]
    Unknown,
}

/// The alert type of an emergency or assistance call (seeds-ctios.md §2.8).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertType {
    /// Holds the agent's call (if any) and calls the supervisor, like a conference consult.
    Consult,
    /// Adds the supervisor, alerting, to the agent's call at once.
    BlindConference,
    /// Any other value a client sent; refused with 13078 or 13079.
    #[serde(other)]
    Unknown,
}

/// Why a connection left a call (`CALL_CONNECTION_CLEARED`'s cause).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClearCause {
    /// The party hung up or the call was cleared.
    Normal,
    /// Deflected or single-step transferred elsewhere (`CEC_REDIRECTED`).
    Redirected,
    /// The party completed a transfer and left.
    Transferred,
    /// A routed call rang unanswered (ring no answer).
    NoAnswer,
    /// A supervisor intercepted the call.
    Intercepted,
    /// The agent's desktop session closed with forced logout.
    SessionClosed,
}

/// A configured dialed number: a route point whose calls are routed through a voice CSQ.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialedNumber {
    /// Assigned by the center.
    pub id: DialedNumberId,
    /// Unique among dialed numbers and agent extensions.
    pub number: String,
    /// The voice CSQ its calls are routed through.
    pub csq: CsqId,
}

/// The fields a client sets on a dialed number.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialedNumberSpec {
    /// 1 to [`crate::NUMBER_LENGTH_MAX`] digits (a leading `+`, `*` and `#` allowed).
    pub number: String,
    /// An existing voice CSQ.
    pub csq: CsqId,
}

impl Call {
    /// The agents with a connection on this call, in joining order.
    pub fn agents(&self) -> impl Iterator<Item = AgentId> + '_ {
        self.connections.iter().filter_map(|connection| match connection.party {
            Party::Agent(agent) => Some(agent),
            Party::External(_) => None,
        })
    }

    /// The state of an agent's connection on this call, if it has one.
    pub fn agent_connection(&self, agent: AgentId) -> Option<ConnectionState> {
        self.connection(&Party::Agent(agent))
    }

    /// The state of a party's connection on this call, if it has one.
    pub fn connection(&self, party: &Party) -> Option<ConnectionState> {
        self.connections.iter().find(|connection| connection.party == *party).map(|connection| connection.state)
    }

    /// Whether this call is a consult placed from `held`.
    pub fn is_consult_of(&self, held: CallId) -> bool {
        matches!(self.kind, CallKind::Consult { of, .. } if of == held)
    }

    /// The agents concerned by an event about this call, sorted, plus `also`.
    pub(crate) fn audience(&self, also: &[AgentId]) -> Vec<AgentId> {
        let mut agents: Vec<AgentId> = self.agents().chain(also.iter().copied()).collect();
        agents.sort();
        agents.dedup();
        agents
    }
}

impl crate::Center {
    /// One call on the switch.
    pub fn call(&self, id: CallId) -> Option<&Call> {
        self.calls.get(id)
    }

    /// Every call on the switch, in id order.
    pub fn calls(&self) -> impl Iterator<Item = &Call> {
        self.calls.values()
    }

    /// One dialed number.
    pub fn dialed_number(&self, id: DialedNumberId) -> Option<&DialedNumber> {
        self.dialed_numbers.get(id)
    }

    /// Every dialed number, in id order.
    pub fn dialed_numbers(&self) -> impl Iterator<Item = &DialedNumber> {
        self.dialed_numbers.values()
    }

    /// The agent whose extension this is, if any.
    pub fn agent_by_extension(&self, extension: &str) -> Option<AgentId> {
        self.extensions.get(extension).copied()
    }
}
