//! An agent's runtime status: the voice state, the call, wrap-up and their timers.
//!
//! Configuration (`Agent`) and runtime (`AgentStatus`) are separate values: an agent update
//! replaces the configuration and never touches the state, and desktops read the status
//! without the configuration. Every agent has exactly one status from creation to deletion,
//! starting logged out; only the command handlers in `agent_voice` change it.

use serde::{Deserialize, Serialize};

use crate::agent::digital::{Blending, DigitalState};
use crate::agent::state::{AgentState, CallDirection};
use crate::center::Center;
use crate::deadline::Timer;
use crate::ids::{AgentId, CallId, ContactId};
use crate::rejection::Rejection;

/// An agent's runtime status, as desktops and supervisors read it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentStatus {
    /// The agent.
    pub agent: AgentId,
    /// The voice state.
    pub state: AgentState,
    /// The reason code value of the current Not Ready or Logout, if one was given.
    pub reason: Option<u16>,
    /// When the agent entered the current voice state (ms since the Unix epoch).
    pub state_since_ms: u64,
    /// The center sequence number of the agent's last move into Ready: the lower, the longer
    /// the agent has been available ("updated first").
    pub ready_sequence: u64,
    /// The after-call state chosen during a call, entered when the call ends.
    pub pending: Option<PendingState>,
    /// The call the agent is on (Reserved, Talking or Hold): what its after-call handling
    /// needs (the routed contact it handles, the direction, wrap-up data). Present exactly
    /// while the agent has a connection on the switch.
    pub call: Option<AgentCall>,
    /// The ended call the agent is wrapping up (Work Ready or Work Not Ready).
    pub wrap_up: Option<AgentCall>,
    /// The switch calls the agent has a connection on, sorted; at most
    /// [`crate::LINE_CALL_COUNT_MAX`] (one talking, one held during a consult).
    #[serde(default)]
    pub calls: Vec<CallId>,
    /// The running wrap-up timer, if the desk settings turn it on.
    pub wrap_up_timer: Option<Timer>,
    /// The chat and email state, shared by both channels and separate from voice.
    pub digital: DigitalState,
    /// When the agent entered the current digital state.
    pub digital_since_ms: u64,
    /// The center sequence number of the agent's last move into digital Ready.
    pub digital_sequence: u64,
    /// The chats the agent holds: offered, active, ended but not closed, group chats and
    /// pending group chat invites; sorted. All count toward the chat capacity.
    pub chats: Vec<ContactId>,
    /// The emails assigned to the agent, sorted; they count toward the email capacity.
    pub emails: Vec<ContactId>,
    /// The blending rules in force for this agent (they follow the channel parameters with
    /// the spec's timing).
    pub blending: Blending,
}

/// An after-call state chosen during a call.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingState {
    /// Not Ready, Work Ready or Work Not Ready.
    pub state: AgentState,
    /// The Not Ready reason, if given.
    pub reason: Option<u16>,
}

/// An agent's record of the calls it handles from its first connection to its last: it
/// outlives the switch calls (a consult, a transfer) and goes with the agent into wrap-up.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentCall {
    /// The routed contact the agent handles now; `None` for other calls, or once the contact
    /// passed to another agent or closed.
    pub contact: Option<ContactId>,
    /// Incoming (routed to the agent, or rung on its extension) or outgoing (made by the
    /// agent).
    pub direction: CallDirection,
    /// Wrap-up data (incoming calls only), at most [`crate::WRAP_UP_DATA_LENGTH_MAX`] characters.
    pub wrap_up_data: Option<String>,
}

impl AgentStatus {
    /// A new agent's status: logged out since `now_ms`.
    pub(crate) fn logged_out(agent: AgentId, now_ms: u64) -> Self {
        AgentStatus {
            agent,
            state: AgentState::LoggedOut,
            reason: None,
            state_since_ms: now_ms,
            ready_sequence: 0,
            pending: None,
            call: None,
            wrap_up: None,
            wrap_up_timer: None,
            calls: Vec::new(),
            digital: DigitalState::LoggedOut,
            digital_since_ms: now_ms,
            digital_sequence: 0,
            chats: Vec::new(),
            emails: Vec::new(),
            blending: Blending { offer_chat_when_on_voice_call: false, offer_voice_call_when_on_chat: false },
        }
    }
}

impl Center {
    /// One agent's runtime status.
    pub fn agent_status(&self, id: AgentId) -> Option<&AgentStatus> {
        self.statuses.get(&id)
    }

    /// Every agent's runtime status, in agent id order.
    pub fn agent_statuses(&self) -> impl Iterator<Item = &AgentStatus> {
        self.statuses.values()
    }

    /// The status of an agent a command names, or `not_found`.
    pub(crate) fn status_checked(&self, id: AgentId) -> Result<&AgentStatus, Rejection> {
        self.statuses.get(&id).ok_or_else(|| Rejection::not_found("agent", id))
    }

    /// The status of an agent known to exist.
    pub(crate) fn status(&self, id: AgentId) -> &AgentStatus {
        match self.statuses.get(&id) {
            Some(status) => status,
            None => panic!("agent {id} has a status"),
        }
    }

    /// The status of an agent known to exist, for writing.
    pub(crate) fn status_mut(&mut self, id: AgentId) -> &mut AgentStatus {
        match self.statuses.get_mut(&id) {
            Some(status) => status,
            None => panic!("agent {id} has a status"),
        }
    }
}
