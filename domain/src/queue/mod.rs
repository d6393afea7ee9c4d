//! The shared queue part: CSQs, contacts arriving and queued, offered, accepted and closed, and their wrap-up.
//!
//! Its commands and events nest in [`crate::Command`] and [`crate::Event`] under one variant,
//! and serialize as if they were theirs (`crate::grouped`): the log, snapshots and the public
//! event JSON name the variant alone.

pub(crate) mod contact;
pub(crate) mod csq;
pub(crate) mod routing;

use crate::authorization::Scope;
use crate::outcome::Concern;
use serde::{Deserialize, Serialize};

use crate::config::wrap_up::WrapUpSelection;
use crate::ids::AgentId;
use crate::ids::ContactId;
use crate::ids::CsqId;
use crate::outcome::Applied;
use crate::queue::contact::Contact;
use crate::queue::contact::ContactOutcome;
use crate::queue::contact::ContactSpec;
use crate::queue::csq::Channel;
use crate::queue::csq::Csq;
use crate::queue::csq::CsqSpec;
use crate::rejection::Rejection;
use crate::Center;

/// The shared queue part: CSQs, contacts arriving and queued, offered, accepted and closed, and their wrap-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum QueueCommand {
    /// Adds a contact service queue.
    CreateCsq(CsqSpec),
    /// Replaces a CSQ's fields.
    UpdateCsq {
        /// The CSQ to change.
        id: CsqId,
        /// Its new fields.
        spec: CsqSpec,
    },
    /// Removes a CSQ.
    DeleteCsq {
        /// The CSQ to remove.
        id: CsqId,
    },
    /// A new contact arrives in a CSQ (a call, a chat request, an ingested email).
    InjectContact(ContactSpec),
    /// The customer left: a caller hung up, a chat customer closed the window.
    CustomerLeft {
        /// The contact.
        contact: ContactId,
    },
    /// The agent handling a chat or email selects its wrap-up reasons (replacing earlier ones).
    SetContactWrapUp {
        /// The agent.
        agent: AgentId,
        /// The chat or email.
        contact: ContactId,
        /// At most [`crate::WRAP_UP_REASON_PER_CONTACT_COUNT_MAX`] reasons.
        reasons: Vec<WrapUpSelection>,
    },
}

/// What queue commands and deadlines change, as pushed to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueEvent {
    /// A CSQ was created.
    CsqCreated(Csq),
    /// A CSQ was updated; this is its new value.
    CsqUpdated(Csq),
    /// A CSQ was deleted.
    CsqDeleted(CsqId),
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
}

impl Center {
    /// Applies a queue command (see [`Center::apply`]).
    pub(crate) fn execute_queue(&mut self, command: &QueueCommand) -> Result<Applied, Rejection> {
        match command {
            QueueCommand::CreateCsq(spec) => self.csq_create(spec),
            QueueCommand::UpdateCsq { id, spec } => self.csq_update(*id, spec),
            QueueCommand::DeleteCsq { id } => self.csq_delete(*id),
            QueueCommand::InjectContact(spec) => self.contact_inject(spec),
            QueueCommand::CustomerLeft { contact } => self.contact_customer_left(*contact),
            QueueCommand::SetContactWrapUp { agent, contact, reasons } => {
                self.contact_wrap_up_set(*agent, *contact, reasons)
            }
        }
    }
}

impl QueueCommand {
    /// Which agent the command acts for, and as whom: what [`crate::Center::authorize`] checks.
    pub(crate) fn scope(&self) -> Scope {
        match self {
            QueueCommand::SetContactWrapUp { agent, .. } => Scope::Agent(*agent),
            QueueCommand::CreateCsq(_)
            | QueueCommand::UpdateCsq { .. }
            | QueueCommand::DeleteCsq { .. }
            | QueueCommand::InjectContact(_)
            | QueueCommand::CustomerLeft { .. } => Scope::Administration,
        }
    }
}

impl QueueEvent {
    /// Whom the event is about: what [`crate::Center::audience`] resolves into who sees it.
    pub(crate) fn concerns(&self) -> Concern<'_> {
        match self {
            QueueEvent::ContactOffered { agent, .. }
            | QueueEvent::ContactAccepted { agent, .. }
            | QueueEvent::ContactNotAnswered { agent, .. }
            | QueueEvent::ContactWrapUpSet { agent, .. }
            | QueueEvent::ContactClosed { agent: Some(agent), .. } => Concern::Agent(*agent),
            QueueEvent::ContactClosed { contact, agent: None, .. } | QueueEvent::ContactQueued { contact, .. } => {
                Concern::Contact(*contact)
            }
            QueueEvent::ContactInjected(contact) => Concern::Agents(contact.agents()),
            QueueEvent::CsqCreated(_) | QueueEvent::CsqUpdated(_) | QueueEvent::CsqDeleted(_) => Concern::All,
        }
    }
}
