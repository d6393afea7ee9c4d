//! What applying an entry produced: events for the event bus, or a rejection.
//!
//! Events carry whole entities (not diffs), so a desktop that missed nothing can keep its view
//! current from events alone, and an applied entry's outcome is what a retry gets back.

use serde::{Deserialize, Serialize};

use crate::agent::Agent;
use crate::agent_chat::AgentChatMessage;
use crate::agent_state::AgentState;
use crate::agent_status::PendingState;
use crate::audience::Audience;
use crate::chat::InviteDropReason;
use crate::contact::{Contact, ContactOutcome, EndedBy};
use crate::csq::{Channel, Csq};
use crate::digital::{Blending, DigitalState};
use crate::ids::{
    AgentId, CallId, ContactId, CsqId, DialedNumberId, EmailSignatureId, PredefinedResponseId, ReasonCodeId, SkillId,
    TeamId, TeamMessageId, UserId, WrapUpCategoryId,
};
use crate::predefined_response::PredefinedResponse;
use crate::reason_code::ReasonCode;
use crate::rejection::Rejection;
use crate::settings::{ChannelParameters, DeskSettings};
use crate::signature::EmailSignature;
use crate::skill::Skill;
use crate::statistics::StatisticsSettings;
use crate::team::Team;
use crate::team_message::TeamMessage;
use crate::telephony::{Call, CallData, ClearCause, Connection, DialedNumber, MonitorEnd, Party};
use crate::user::UserView;
use crate::wrap_up::{WrapUpCategory, WrapUpSelection};

/// The result of [`crate::Center::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The command changed the center (or was a replay of one that did).
    Applied(Applied),
    /// The command was refused and the center is unchanged.
    Rejected(Rejection),
}

/// What an applied command did. Two outcomes are equal when their events and created ids are:
/// the audiences follow from those and the center, and a replay carries none.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applied {
    /// What changed, in the order it changed.
    pub events: Vec<Event>,
    /// The id a `Create*` command assigned.
    pub created: Option<EntityRef>,
    /// Who sees each event, in the order of `events`: decided when the command applied, so
    /// every node and the simulator deliver each event to the same sessions. Not remembered
    /// with the request id (a replay publishes no event) and never serialized.
    #[serde(skip)]
    pub audiences: Vec<Audience>,
}

/// An id of any configuration entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EntityRef {
    /// A skill.
    Skill(SkillId),
    /// An agent.
    Agent(AgentId),
    /// A team.
    Team(TeamId),
    /// A contact service queue.
    Csq(CsqId),
    /// A reason code.
    ReasonCode(ReasonCodeId),
    /// A contact.
    Contact(ContactId),
    /// A wrap-up category.
    WrapUpCategory(WrapUpCategoryId),
    /// A predefined response.
    PredefinedResponse(PredefinedResponseId),
    /// An email signature.
    EmailSignature(EmailSignatureId),
    /// A team message.
    TeamMessage(TeamMessageId),
    /// A user.
    User(UserId),
    /// A dialed number.
    DialedNumber(DialedNumberId),
}

/// One change to the center, as pushed to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A skill was created.
    SkillCreated(Skill),
    /// A skill was updated; this is its new value.
    SkillUpdated(Skill),
    /// A skill was deleted.
    SkillDeleted(SkillId),
    /// An agent was created.
    AgentCreated(Agent),
    /// An agent was updated; this is its new value.
    AgentUpdated(Agent),
    /// An agent was deleted.
    AgentDeleted(AgentId),
    /// A team was created.
    TeamCreated(Team),
    /// A team was updated; this is its new value.
    TeamUpdated(Team),
    /// A team was deleted.
    TeamDeleted(TeamId),
    /// A CSQ was created.
    CsqCreated(Csq),
    /// A CSQ was updated; this is its new value.
    CsqUpdated(Csq),
    /// A CSQ was deleted.
    CsqDeleted(CsqId),
    /// A reason code was created.
    ReasonCodeCreated(ReasonCode),
    /// A reason code was updated; this is its new value.
    ReasonCodeUpdated(ReasonCode),
    /// A reason code was deleted.
    ReasonCodeDeleted(ReasonCodeId),
    /// A user was added (the hash is never in an event).
    UserCreated(UserView),
    /// A user was changed.
    UserUpdated(UserView),
    /// A user was removed.
    UserDeleted(UserId),
    /// The agent desk settings were replaced; this is their new value.
    DeskSettingsUpdated(DeskSettings),
    /// An agent's voice state changed (or was set again with a new reason).
    AgentStateChanged {
        /// The agent.
        agent: AgentId,
        /// The state before.
        previous: AgentState,
        /// The state now.
        state: AgentState,
        /// The reason code value, for Not Ready and Logout.
        reason: Option<u16>,
    },
    /// An agent on a call chose the state to enter when the call ends.
    AfterCallStateChosen {
        /// The agent.
        agent: AgentId,
        /// The chosen state and reason.
        pending: PendingState,
    },
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
    /// The channel parameters were replaced; this is their new value.
    ChannelParametersUpdated(ChannelParameters),
    /// An agent's digital (chat and email) state changed.
    DigitalStateChanged {
        /// The agent.
        agent: AgentId,
        /// The state before.
        previous: DigitalState,
        /// The state now.
        state: DigitalState,
    },
    /// The blending rules in force for an agent changed.
    BlendingChanged {
        /// The agent.
        agent: AgentId,
        /// The rules now.
        blending: Blending,
    },
    /// A contact arrived; this is its first value.
    ContactInjected(Box<Contact>),
    /// A contact entered its CSQ's queue (on arrival, or back after an offer or a requeue).
    ContactQueued {
        /// The contact.
        contact: ContactId,
        /// The CSQ.
        csq: CsqId,
        /// Its channel.
        channel: Channel,
    },
    /// A call or chat was offered to an agent, who must accept it by `no_answer_due_ms`.
    ContactOffered {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// Voice or chat.
        channel: Channel,
        /// When the offer lapses.
        no_answer_due_ms: u64,
    },
    /// An agent took a contact: a call answered, a chat accepted, an email assigned.
    ContactAccepted {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// Its channel.
        channel: Channel,
        /// The CSQ it was routed from.
        csq: CsqId,
        /// How long the customer waited, from arrival.
        waited_ms: u64,
    },
    /// An offer lapsed: the agent did not accept in time (voice ring no answer, chat).
    ContactNotAnswered {
        /// The contact.
        contact: ContactId,
        /// The agent who did not answer.
        agent: AgentId,
        /// Voice or chat.
        channel: Channel,
    },
    /// No agent joined a chat within the Join Timeout; it stays routable.
    ChatJoinTimedOut {
        /// The chat.
        contact: ContactId,
        /// What the customer is shown.
        customer_message: String,
    },
    /// The customer or inactivity ended a chat (abandoned before a join).
    ChatEnded {
        /// The chat.
        contact: ContactId,
        /// Who or what ended it.
        by: EndedBy,
        /// What the agents are shown, if anything.
        agent_message: Option<String>,
        /// What the customer is shown, if anything.
        customer_message: Option<String>,
    },
    /// A group chat invite was offered to an agent.
    GroupChatInviteOffered {
        /// The chat.
        contact: ContactId,
        /// The agent who invited.
        inviter: AgentId,
        /// The invitee.
        agent: AgentId,
        /// The CSQ the invitee was chosen from.
        csq: CsqId,
        /// Notes for the invitee only; not stored.
        notes: Option<String>,
        /// When the invite lapses.
        no_answer_due_ms: u64,
    },
    /// The invitee joined the group chat.
    GroupChatInviteAccepted {
        /// The chat.
        contact: ContactId,
        /// The invitee, now the second agent.
        agent: AgentId,
    },
    /// A group chat invite ended unanswered; it is never requeued.
    GroupChatInviteDropped {
        /// The chat.
        contact: ContactId,
        /// The invitee.
        agent: AgentId,
        /// Why.
        reason: InviteDropReason,
    },
    /// An agent left a group chat.
    ChatParticipantLeft {
        /// The chat.
        contact: ContactId,
        /// The agent who left.
        agent: AgentId,
    },
    /// An email continues a conversation and waits for its last agent until `sticky_due_ms`.
    EmailStickyWaiting {
        /// The email.
        contact: ContactId,
        /// The last agent of its conversation.
        agent: AgentId,
        /// When it moves to its CSQ if the agent has not taken it.
        sticky_due_ms: u64,
    },
    /// An agent requeued an email.
    EmailRequeued {
        /// The email.
        contact: ContactId,
        /// The agent, never offered it again.
        agent: AgentId,
        /// The CSQ it was in.
        from_csq: CsqId,
        /// The CSQ it waits in now.
        to_csq: CsqId,
    },
    /// A contact closed.
    ContactClosed {
        /// The contact.
        contact: ContactId,
        /// Its channel.
        channel: Channel,
        /// The CSQ it was in last.
        csq: CsqId,
        /// How it closed.
        outcome: ContactOutcome,
        /// The agent who held it, if any.
        agent: Option<AgentId>,
    },
    /// An agent selected wrap-up reasons for a chat or email.
    ContactWrapUpSet {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// The reasons now selected.
        reasons: Vec<WrapUpSelection>,
    },
    /// A wrap-up category was created.
    WrapUpCategoryCreated(WrapUpCategory),
    /// A wrap-up category was updated; this is its new value.
    WrapUpCategoryUpdated(WrapUpCategory),
    /// A wrap-up category was deleted.
    WrapUpCategoryDeleted(WrapUpCategoryId),
    /// A predefined response was created.
    PredefinedResponseCreated(PredefinedResponse),
    /// A predefined response was updated; this is its new value.
    PredefinedResponseUpdated(PredefinedResponse),
    /// A predefined response was deleted.
    PredefinedResponseDeleted(PredefinedResponseId),
    /// An email signature was created.
    EmailSignatureCreated(EmailSignature),
    /// An email signature was updated; this is its new value.
    EmailSignatureUpdated(EmailSignature),
    /// An email signature was deleted.
    EmailSignatureDeleted(EmailSignatureId),
    /// A team message was sent.
    TeamMessagePublished(TeamMessage),
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
    /// A chat message between two agents' desktops.
    AgentChatMessageSent {
        /// The message.
        message: AgentChatMessage,
        /// Its writer and reader, sorted.
        agents: Vec<AgentId>,
    },
    /// A team message was deleted.
    TeamMessageDeleted(TeamMessageId),
    /// A team message expired.
    TeamMessageExpired(TeamMessageId),
    /// The statistics settings were replaced; this is their new value.
    StatisticsSettingsUpdated(StatisticsSettings),
    /// Wrap-up data was set on an agent's call.
    WrapUpDataSet {
        /// The agent.
        agent: AgentId,
        /// The data.
        data: String,
    },
}

impl Outcome {
    /// Whether the command was applied.
    pub fn is_applied(&self) -> bool {
        matches!(self, Outcome::Applied(_))
    }

    /// What the command did, if it was applied.
    pub fn applied(&self) -> Option<&Applied> {
        match self {
            Outcome::Applied(applied) => Some(applied),
            Outcome::Rejected(_) => None,
        }
    }

    /// Why the command was refused, if it was.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Outcome::Applied(_) => None,
            Outcome::Rejected(rejection) => Some(rejection),
        }
    }
}

/// Whom an event is about, as the event itself says; [`crate::Center::audience`] resolves it
/// into the [`crate::Audience`] that decides who sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Concern<'a> {
    /// Everyone watching the whole center (configuration, settings).
    All,
    /// These agents, by name in the event.
    Agents(&'a [AgentId]),
    /// One agent, by name in the event.
    Agent(AgentId),
    /// Whoever holds this contact now.
    Contact(ContactId),
    /// The agents of these teams.
    Teams(&'a [TeamId]),
}

impl Event {
    /// Whom the event is about: the agents it names, the contact whose holders it concerns,
    /// the teams it is for, or everyone (configuration and settings).
    pub(crate) fn concerns(&self) -> Concern<'_> {
        match self {
            Event::AgentCreated(agent) | Event::AgentUpdated(agent) => Concern::Agent(agent.id),
            Event::AgentDeleted(agent) => Concern::Agent(*agent),
            Event::AgentStateChanged { agent, .. }
            | Event::AfterCallStateChosen { agent, .. }
            | Event::DigitalStateChanged { agent, .. }
            | Event::BlendingChanged { agent, .. }
            | Event::ContactOffered { agent, .. }
            | Event::ContactAccepted { agent, .. }
            | Event::ContactNotAnswered { agent, .. }
            | Event::GroupChatInviteAccepted { agent, .. }
            | Event::GroupChatInviteDropped { agent, .. }
            | Event::ChatParticipantLeft { agent, .. }
            | Event::EmailStickyWaiting { agent, .. }
            | Event::EmailRequeued { agent, .. }
            | Event::ContactWrapUpSet { agent, .. }
            | Event::WrapUpDataSet { agent, .. } => Concern::Agent(*agent),
            Event::GroupChatInviteOffered { contact, .. } => Concern::Contact(*contact),
            Event::BeginCall { agents, .. }
            | Event::CallDelivered { agents, .. }
            | Event::CallEstablished { agents, .. }
            | Event::CallHeld { agents, .. }
            | Event::CallRetrieved { agents, .. }
            | Event::CallTransferred { agents, .. }
            | Event::CallConferenced { agents, .. }
            | Event::CallConnectionCleared { agents, .. }
            | Event::CallCleared { agents, .. }
            | Event::EndCall { agents, .. }
            | Event::CallDataUpdate { agents, .. }
            | Event::DtmfSent { agents, .. }
            | Event::SupervisorCallPlaced { agents, .. }
            | Event::AgentChatMessageSent { agents, .. }
            | Event::SilentMonitorStarted { agents, .. }
            | Event::SilentMonitorEnded { agents, .. } => Concern::Agents(agents),
            Event::ContactClosed { agent: Some(agent), .. } => Concern::Agent(*agent),
            Event::ContactClosed { contact, agent: None, .. }
            | Event::ChatEnded { contact, .. }
            | Event::ChatJoinTimedOut { contact, .. }
            | Event::ContactQueued { contact, .. } => Concern::Contact(*contact),
            Event::ContactInjected(contact) => Concern::Agents(contact.agents()),
            Event::TeamMessagePublished(message) => Concern::Teams(&message.teams),
            Event::SkillCreated(_)
            | Event::SkillUpdated(_)
            | Event::SkillDeleted(_)
            | Event::TeamCreated(_)
            | Event::TeamUpdated(_)
            | Event::TeamDeleted(_)
            | Event::CsqCreated(_)
            | Event::CsqUpdated(_)
            | Event::CsqDeleted(_)
            | Event::ReasonCodeCreated(_)
            | Event::ReasonCodeUpdated(_)
            | Event::ReasonCodeDeleted(_)
            | Event::UserCreated(_)
            | Event::UserUpdated(_)
            | Event::UserDeleted(_)
            | Event::DeskSettingsUpdated(_)
            | Event::ChannelParametersUpdated(_)
            | Event::WrapUpCategoryCreated(_)
            | Event::WrapUpCategoryUpdated(_)
            | Event::WrapUpCategoryDeleted(_)
            | Event::PredefinedResponseCreated(_)
            | Event::PredefinedResponseUpdated(_)
            | Event::PredefinedResponseDeleted(_)
            | Event::EmailSignatureCreated(_)
            | Event::EmailSignatureUpdated(_)
            | Event::EmailSignatureDeleted(_)
            | Event::TeamMessageDeleted(_)
            | Event::TeamMessageExpired(_)
            | Event::StatisticsSettingsUpdated(_)
            | Event::DialedNumberCreated(_)
            | Event::DialedNumberUpdated(_)
            | Event::DialedNumberDeleted(_) => Concern::All,
        }
    }
}

impl PartialEq for Applied {
    fn eq(&self, other: &Applied) -> bool {
        self.events == other.events && self.created == other.created
    }
}

impl Eq for Applied {}

impl Applied {
    /// Each event with who sees it, in order (none for a replay).
    pub fn published(&self) -> impl Iterator<Item = (&Event, &Audience)> {
        self.events.iter().zip(&self.audiences)
    }

    /// These events, nothing created.
    pub(crate) fn events(events: Vec<Event>) -> Self {
        Applied { events, created: None, audiences: Vec::new() }
    }

    /// One event, nothing created.
    pub(crate) fn event(event: Event) -> Self {
        Applied { events: vec![event], created: None, audiences: Vec::new() }
    }

    /// One event for a created entity.
    pub(crate) fn created(event: Event, created: EntityRef) -> Self {
        Applied { events: vec![event], created: Some(created), audiences: Vec::new() }
    }
}
