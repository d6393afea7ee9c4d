//! What applying an entry produced: events for the event bus, or a rejection.
//!
//! Events carry whole entities (not diffs), so a desktop that missed nothing can keep its view
//! current from events alone, and an applied entry's outcome is what a retry gets back.

use serde::{Deserialize, Serialize};

use crate::{AgentEvent, ChatEvent, ConfigEvent, EmailEvent, QueueEvent, SupervisionEvent, VoiceEvent};

use crate::audience::Audience;
use crate::ids::{
    AgentId, ContactId, CsqId, DialedNumberId, EmailSignatureId, PredefinedResponseId, ReasonCodeId, SkillId, TeamId,
    TeamMessageId, UserId, WrapUpCategoryId,
};
use crate::rejection::Rejection;

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
    /// A replay of a request applied so long ago (but inside the deduplication window) that
    /// only the id it created is held, not its events: it was applied once, and is not again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub answer_forgotten: bool,
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

grouped! {
    /// One change to the center, as pushed to clients.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Event {
        /// Configuration shared by every channel: skills, teams, reason codes, users, desk and channel settings, wrap-up categories and predefined responses.
        Config(ConfigEvent),
        /// The shared agent part: agents as configured, their voice and digital states, and their sessions.
        Agent(AgentEvent),
        /// The shared queue part: CSQs, contacts arriving and queued, offered, accepted and closed, and their wrap-up.
        Queue(QueueEvent),
        /// The voice channel: calls and their control on the built-in switch, the trunk side, dialed numbers, and supervisors on calls.
        Voice(VoiceEvent),
        /// The web chat channel: customers chatting, agents accepting, leaving and inviting to group chats.
        Chat(ChatEvent),
        /// The email channel: replies sent or discarded, requeued emails and email signatures.
        Email(EmailEvent),
        /// Messages between supervisors and agents: team messages and agent chat.
        Supervision(SupervisionEvent),
    }
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
    /// Administrators alone (users: login names and roles are not for agents).
    Administrators,
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
            Event::Config(event) => event.concerns(),
            Event::Agent(event) => event.concerns(),
            Event::Queue(event) => event.concerns(),
            Event::Voice(event) => event.concerns(),
            Event::Chat(event) => event.concerns(),
            Event::Email(event) => event.concerns(),
            Event::Supervision(event) => event.concerns(),
        }
    }
}

impl PartialEq for Applied {
    fn eq(&self, other: &Applied) -> bool {
        self.events == other.events && self.created == other.created && self.answer_forgotten == other.answer_forgotten
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
        Applied { events, created: None, audiences: Vec::new(), answer_forgotten: false }
    }

    /// One event, nothing created.
    pub(crate) fn event(event: Event) -> Self {
        Applied { events: vec![event], created: None, audiences: Vec::new(), answer_forgotten: false }
    }

    /// One event for a created entity.
    pub(crate) fn created(event: Event, created: EntityRef) -> Self {
        Applied { events: vec![event], created: Some(created), audiences: Vec::new(), answer_forgotten: false }
    }
}
