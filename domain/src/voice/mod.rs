//! The voice contact lifecycle: queued, offered (the agent Reserved), talking and hold, ended.
//!
//! Every routed call rides on a call of the built-in switch (`telephony`): the caller's
//! connection waits while the contact is queued, the offered agent's connection rings, and the
//! switch moves the contact with the agents' connections. This module keeps the contact's side.
//!
//! - Offer: the agent's connection alerts (Reserved) for the ring no answer time copied onto
//!   the call.
//! - Answer: the contact becomes active; its agent handles it.
//! - Ring no answer (the leader's expiry of the offer): the agent goes Not Ready, so the call
//!   is not offered to an absent agent again, and the call goes back to the head of its queue
//!   (its arrival place) and is routed again at once (`docs/decisions/0014-voice-lifecycle.md`).
//! - The caller hangs up: while waiting or ringing the call is abandoned (a ringing agent goes
//!   back to Ready and keeps its place); while talking or held it ends like any call.
//! - The contact closes as handled when no agent who could handle it is left on the call.

pub(crate) mod telephony;

use crate::agent::state::CallDirection;
use crate::authorization::Scope;
use crate::center::Center;
use crate::deadline::Deadline;
use crate::ids::CallId;
use crate::ids::DialedNumberId;
use crate::ids::{AgentId, ContactId};
use crate::outcome::Applied;
use crate::outcome::Concern;
use crate::outcome::Event;
use crate::queue::contact::ContactState;
use crate::queue::csq::Channel;
use crate::rejection::Rejection;
use crate::voice::telephony::AlertType;
use crate::voice::telephony::Call;
use crate::voice::telephony::CallData;
use crate::voice::telephony::CallRequest;
use crate::voice::telephony::Connection;
use crate::voice::telephony::DialedNumber;
use crate::voice::telephony::DialedNumberSpec;
use crate::voice::telephony::InboundCallSpec;
use crate::voice::telephony::MonitorEnd;
use crate::voice::telephony::SuperviseAction;
use crate::voice::telephony::{ClearCause, ConnectionState, Party, Touched};
use crate::QueueEvent;
use serde::{Deserialize, Serialize};

impl Center {
    /// Offers a call to an available agent: the contact rings, the agent is Reserved.
    pub(crate) fn voice_offer(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        let seconds = self.contact_known(id).timeouts.ring_no_answer_seconds;
        let due_ms = self.time_ms.saturating_add(u64::from(seconds) * 1_000);
        let timer = self.timer_start(Deadline::NoAnswer(id), due_ms);
        let contact = self.contact_mut(id);
        contact.state = ContactState::Offered { agent };
        contact.timers.no_answer = Some(timer);
        let Some(call) = contact.call else { panic!("voice contact {id} rides on a call") };
        events.push(Event::Queue(QueueEvent::ContactOffered {
            contact: id,
            agent,
            channel: Channel::Voice,
            no_answer_due_ms: due_ms,
        }));
        let mut touched = Touched::new();
        let party = Party::Agent(agent);
        let state = ConnectionState::Alerting;
        self.connection_add(call, party, state, CallDirection::Incoming, events, &mut touched);
        self.agent_call_contact_set(agent, Some(id));
        self.agents_sync(touched, events);
    }

    /// The offered agent answered: the contact is active on it.
    pub(crate) fn voice_accepted(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        self.contact_no_answer_stop(id);
        let now = self.time_ms;
        let contact = self.contact_mut(id);
        contact.state = ContactState::Active { agents: vec![agent] };
        let (csq, waited_ms) = (contact.csq, now.saturating_sub(contact.created_ms));
        events.push(Event::Queue(QueueEvent::ContactAccepted {
            contact: id,
            agent,
            channel: Channel::Voice,
            csq,
            waited_ms,
        }));
    }

    /// A handled contact passes to another agent on its call (a transfer, an intercept).
    pub(crate) fn contact_handed_to(&mut self, id: ContactId, agent: AgentId) {
        let contact = self.contact_mut(id);
        assert!(matches!(contact.state, ContactState::Active { .. }), "a handled contact is active");
        contact.state = ContactState::Active { agents: vec![agent] };
    }

    /// Ring no answer: the agent goes Not Ready and the call back to the head of its queue.
    pub(crate) fn voice_not_answered(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        let status = self.status_mut(agent);
        assert!(status.state == crate::AgentState::Reserved, "a ringing call's agent is Reserved");
        status.pending = Some(crate::PendingState { state: crate::AgentState::NotReady, reason: None });
        events.push(Event::Queue(QueueEvent::ContactNotAnswered { contact: id, agent, channel: Channel::Voice }));
        let Some(call) = self.contact_known(id).call else { panic!("voice contact {id} rides on a call") };
        let mut touched = Touched::new();
        self.connection_remove(call, &Party::Agent(agent), ClearCause::NoAnswer, events, &mut touched);
        self.agents_sync(touched, events);
    }

    /// Stops a contact's offer timer.
    pub(crate) fn contact_no_answer_stop(&mut self, id: ContactId) {
        if let Some(timer) = self.contact_mut(id).timers.no_answer.take() {
            self.timer_stop(Deadline::NoAnswer(id), timer);
        }
    }
}

// The channel's commands and events.

/// The voice channel: calls and their control on the built-in switch, the trunk side, dialed numbers, and supervisors on calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum VoiceCommand {
    /// An agent makes an outgoing call on an outside line; only from Not Ready. Shorthand for
    /// `CallControl` `MakeCall` without a number.
    MakeCall {
        /// The agent.
        agent: AgentId,
    },
    /// An agent puts the call it talks on on hold (shorthand for `CallControl` `Hold`).
    HoldCall {
        /// The agent.
        agent: AgentId,
    },
    /// An agent in Hold takes its (first) held call off hold (shorthand for `Retrieve`).
    RetrieveCall {
        /// The agent.
        agent: AgentId,
    },
    /// The agent hangs up the call it talks on, or its held call (shorthand for
    /// `ClearConnection`).
    EndCall {
        /// The agent.
        agent: AgentId,
    },
    /// Sets wrap-up data on the agent's incoming call, during it or in wrap-up.
    SetWrapUpData {
        /// The agent.
        agent: AgentId,
        /// 1 to [`crate::WRAP_UP_DATA_LENGTH_MAX`] characters.
        data: String,
    },
    /// An agent answers its ringing call (shorthand for `CallControl` `Answer`).
    AnswerCall {
        /// The agent.
        agent: AgentId,
    },
    /// A supervisor starts silently monitoring an agent of a team it supervises.
    StartSilentMonitor {
        /// The supervisor.
        supervisor: AgentId,
        /// The agent.
        agent: AgentId,
    },
    /// A supervisor stops silently monitoring.
    StopSilentMonitor {
        /// The supervisor.
        supervisor: AgentId,
    },
    /// Adds a dialed number: a route point whose calls are routed through a voice CSQ.
    CreateDialedNumber(DialedNumberSpec),
    /// Replaces a dialed number's fields (calls already routed stay where they are).
    UpdateDialedNumber {
        /// The dialed number to change.
        id: DialedNumberId,
        /// Its new fields.
        spec: DialedNumberSpec,
    },
    /// Removes a dialed number.
    DeleteDialedNumber {
        /// The dialed number to remove.
        id: DialedNumberId,
    },
    /// A call arrives from outside the center (the switch's trunk, the load generator).
    InboundCall(InboundCallSpec),
    /// An agent's call-control request on the built-in switch.
    CallControl {
        /// The agent.
        agent: AgentId,
        /// What it asks.
        request: CallRequest,
    },
    /// An outside party a call rang answered (the far end of an outbound or consult call).
    ExternalAnswer {
        /// The call.
        call: CallId,
        /// The party's number.
        number: String,
    },
    /// An outside party (a caller, an external destination) hung up.
    ExternalHangup {
        /// The call.
        call: CallId,
        /// The party's number.
        number: String,
    },
    /// A supervisor's SUPERVISE request on an agent's call: clear, barge in, intercept.
    Supervise {
        /// The supervisor, a primary or secondary supervisor of the agent's team.
        supervisor: AgentId,
        /// The agent.
        agent: AgentId,
        /// The agent's call.
        call: CallId,
        /// What to do.
        action: SuperviseAction,
    },
    /// An agent's emergency call to its team's supervisor.
    EmergencyCall {
        /// The agent.
        agent: AgentId,
        /// How the supervisor joins.
        alert: AlertType,
    },
    /// An agent's request for assistance from its team's supervisor.
    AssistanceRequest {
        /// The agent.
        agent: AgentId,
        /// How the supervisor joins.
        alert: AlertType,
    },
}

/// What voice commands and deadlines change, as pushed to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum VoiceEvent {
    /// `BEGIN_CALL`: a call began on the switch (`agents`: those on it), or appeared at the
    /// devices of agents who joined it under way (`agents`: those, sorted); this is its value
    /// then. Every call event names the agents on the call (`agents`, sorted), plus any it is
    /// about who just left.
    BeginCall {
        /// The call.
        call: Box<Call>,
        /// The agents concerned.
        agents: Vec<AgentId>,
    },
    /// `CALL_DELIVERED`: a party's connection is ringing (`LCS_ALERTING`).
    CallDelivered {
        /// The call.
        call: CallId,
        /// The party rung.
        party: Party,
        /// The agents concerned.
        agents: Vec<AgentId>,
    },
    /// `CALL_ESTABLISHED`: a party's connection is talking (answered, or connected at once).
    CallEstablished {
        /// The call.
        call: CallId,
        /// The party connected.
        party: Party,
        /// The agents concerned.
        agents: Vec<AgentId>,
    },
    /// `CALL_HELD`: an agent put its connection on hold.
    CallHeld {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
        /// The agents concerned.
        agents: Vec<AgentId>,
    },
    /// `CALL_RETRIEVED`: an agent took its connection off hold.
    CallRetrieved {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
        /// The agents concerned.
        agents: Vec<AgentId>,
    },
    /// `CALL_TRANSFERRED`: an agent transferred a call and left it.
    CallTransferred {
        /// The call that goes on.
        call: CallId,
        /// The consult call merged into it (none for a single-step transfer).
        secondary: Option<CallId>,
        /// The transferring agent.
        by: AgentId,
        /// The call's connections after the transfer, without the transferring agent.
        connections: Vec<Connection>,
        /// The agents concerned.
        agents: Vec<AgentId>,
    },
    /// `CALL_CONFERENCED`: a consult call merged into the held call, or a supervisor barged in.
    CallConferenced {
        /// The call that goes on.
        call: CallId,
        /// The consult call merged into it (none for a barge-in).
        secondary: Option<CallId>,
        /// The agent who completed it: the conference controller, or the barging supervisor.
        controller: AgentId,
        /// The call's connections now.
        connections: Vec<Connection>,
        /// The agents concerned.
        agents: Vec<AgentId>,
    },
    /// `CALL_CONNECTION_CLEARED`: a party left a call.
    CallConnectionCleared {
        /// The call.
        call: CallId,
        /// The party that left.
        party: Party,
        /// Why (`Redirected` is the spec's `CEC_REDIRECTED`).
        cause: ClearCause,
        /// The agents concerned, the leaving agent included.
        agents: Vec<AgentId>,
    },
    /// `CALL_CLEARED`: the call's last connection was cleared.
    CallCleared {
        /// The call.
        call: CallId,
        /// The agents that were on it.
        agents: Vec<AgentId>,
    },
    /// `END_CALL`: the call object is gone (cleared, or merged into another call).
    EndCall {
        /// The call.
        call: CallId,
        /// The agents that were on it.
        agents: Vec<AgentId>,
    },
    /// `CALL_DATA_UPDATE`: a call's data changed; this is its new value.
    CallDataUpdate {
        /// The call.
        call: CallId,
        /// The data now.
        data: CallData,
        /// The agents concerned.
        agents: Vec<AgentId>,
    },
    /// An agent sent DTMF digits on a call (for the media side to play).
    DtmfSent {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
        /// The digits.
        digits: String,
        /// The agents concerned.
        agents: Vec<AgentId>,
    },
    /// An agent placed an emergency call or an assistance request to a supervisor.
    SupervisorCallPlaced {
        /// The call the supervisor rings on.
        call: CallId,
        /// The agent.
        agent: AgentId,
        /// The supervisor rung.
        supervisor: AgentId,
        /// An emergency call (otherwise an assistance request).
        emergency: bool,
        /// The agents concerned.
        agents: Vec<AgentId>,
    },
    /// A dialed number was created.
    DialedNumberCreated(DialedNumber),
    /// A dialed number was updated; this is its new value.
    DialedNumberUpdated(DialedNumber),
    /// A dialed number was deleted.
    DialedNumberDeleted(DialedNumberId),
    /// A supervisor started silently monitoring an agent.
    SilentMonitorStarted {
        /// The supervisor.
        supervisor: AgentId,
        /// The agent.
        agent: AgentId,
        /// Who is told: the supervisor, and the agent when `warn_if_silent_monitored` is on.
        agents: Vec<AgentId>,
    },
    /// Silent monitoring ended.
    SilentMonitorEnded {
        /// The supervisor.
        supervisor: AgentId,
        /// The agent.
        agent: AgentId,
        /// Why.
        end: MonitorEnd,
        /// Who is told, as for `SilentMonitorStarted`.
        agents: Vec<AgentId>,
    },
    /// Wrap-up data was set on an agent's call.
    WrapUpDataSet {
        /// The agent.
        agent: AgentId,
        /// The data.
        data: String,
    },
}

impl Center {
    /// Applies a voice command (see [`Center::apply`]).
    pub(crate) fn execute_voice(&mut self, command: &VoiceCommand) -> Result<Applied, Rejection> {
        match command {
            VoiceCommand::AnswerCall { agent } => self.agent_answer_call(*agent),
            VoiceCommand::MakeCall { agent } => self.agent_make_call(*agent),
            VoiceCommand::HoldCall { agent } => self.agent_hold_call(*agent),
            VoiceCommand::RetrieveCall { agent } => self.agent_retrieve_call(*agent),
            VoiceCommand::EndCall { agent } => self.agent_end_call(*agent),
            VoiceCommand::SetWrapUpData { agent, data } => self.agent_set_wrap_up_data(*agent, data),
            VoiceCommand::CallControl { agent, request } => self.call_control(*agent, request),
            VoiceCommand::InboundCall(spec) => self.inbound_call(spec),
            VoiceCommand::ExternalAnswer { call, number } => self.external_answer(*call, number),
            VoiceCommand::ExternalHangup { call, number } => self.external_hangup(*call, number),
            VoiceCommand::CreateDialedNumber(spec) => self.dialed_number_create(spec),
            VoiceCommand::UpdateDialedNumber { id, spec } => self.dialed_number_update(*id, spec),
            VoiceCommand::DeleteDialedNumber { id } => self.dialed_number_delete(*id),
            VoiceCommand::Supervise { supervisor, agent, call, action } => {
                self.supervise(*supervisor, *agent, *call, *action)
            }
            VoiceCommand::EmergencyCall { agent, alert } => self.supervisor_call(*agent, *alert, true),
            VoiceCommand::AssistanceRequest { agent, alert } => self.supervisor_call(*agent, *alert, false),
            VoiceCommand::StartSilentMonitor { supervisor, agent } => self.silent_monitor_start(*supervisor, *agent),
            VoiceCommand::StopSilentMonitor { supervisor } => self.silent_monitor_stop(*supervisor),
        }
    }
}

impl VoiceCommand {
    /// Which agent the command acts for, and as whom: what [`crate::Center::authorize`] checks.
    pub(crate) fn scope(&self) -> Scope {
        match self {
            VoiceCommand::MakeCall { agent }
            | VoiceCommand::HoldCall { agent }
            | VoiceCommand::RetrieveCall { agent }
            | VoiceCommand::EndCall { agent }
            | VoiceCommand::SetWrapUpData { agent, .. }
            | VoiceCommand::AnswerCall { agent }
            | VoiceCommand::CallControl { agent, .. }
            | VoiceCommand::EmergencyCall { agent, .. }
            | VoiceCommand::AssistanceRequest { agent, .. } => Scope::Agent(*agent),
            VoiceCommand::StartSilentMonitor { supervisor, .. }
            | VoiceCommand::StopSilentMonitor { supervisor }
            | VoiceCommand::Supervise { supervisor, .. } => Scope::AsSelf(*supervisor),
            VoiceCommand::CreateDialedNumber(_)
            | VoiceCommand::UpdateDialedNumber { .. }
            | VoiceCommand::DeleteDialedNumber { .. }
            | VoiceCommand::InboundCall(_)
            | VoiceCommand::ExternalAnswer { .. }
            | VoiceCommand::ExternalHangup { .. } => Scope::Administration,
        }
    }
}

impl VoiceEvent {
    /// Whom the event is about: what [`crate::Center::audience`] resolves into who sees it.
    pub(crate) fn concerns(&self) -> Concern<'_> {
        match self {
            VoiceEvent::WrapUpDataSet { agent, .. } => Concern::Agent(*agent),
            VoiceEvent::BeginCall { agents, .. }
            | VoiceEvent::CallDelivered { agents, .. }
            | VoiceEvent::CallEstablished { agents, .. }
            | VoiceEvent::CallHeld { agents, .. }
            | VoiceEvent::CallRetrieved { agents, .. }
            | VoiceEvent::CallTransferred { agents, .. }
            | VoiceEvent::CallConferenced { agents, .. }
            | VoiceEvent::CallConnectionCleared { agents, .. }
            | VoiceEvent::CallCleared { agents, .. }
            | VoiceEvent::EndCall { agents, .. }
            | VoiceEvent::CallDataUpdate { agents, .. }
            | VoiceEvent::DtmfSent { agents, .. }
            | VoiceEvent::SupervisorCallPlaced { agents, .. }
            | VoiceEvent::SilentMonitorStarted { agents, .. }
            | VoiceEvent::SilentMonitorEnded { agents, .. } => Concern::Agents(agents),
            VoiceEvent::DialedNumberCreated(_)
            | VoiceEvent::DialedNumberUpdated(_)
            | VoiceEvent::DialedNumberDeleted(_) => Concern::All,
        }
    }
}
