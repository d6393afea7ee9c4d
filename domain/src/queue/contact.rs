//! Contacts: voice calls, chats and emails, one entity with one state machine per channel.
//!
//! A contact is created by [`crate::QueueCommand::InjectContact`] into a CSQ of its channel and
//! copies the timeouts in force at that moment, so later parameter changes affect new contacts
//! only (seeds-uccx.md §2.7). Its state says where it is, and only there: waiting for its last
//! agent, queued in its CSQ, offered to one agent, active on one agent (two in a group chat),
//! ended on their desktops, or closed with exactly one outcome. Closed contacts are kept for
//! reading up to [`CONTACT_CLOSED_RETAINED_COUNT_MAX`], oldest forgotten first, so the state
//! stays bounded however long the center runs.

use crate::QueueEvent;
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::config::wrap_up::WrapUpSelection;
use crate::deadline::{Deadline, Timer};
use crate::ids::{AgentId, CallId, ContactId, CsqId, WrapUpCategoryId};
use crate::limits::{
    CONTACT_CLOSED_RETAINED_COUNT_MAX, CONTACT_OPEN_COUNT_MAX, CUSTOMER_ADDRESS_LENGTH_MAX, CUSTOMER_NAME_LENGTH_MAX,
    EMAIL_SUBJECT_LENGTH_MAX, PRIORITY_DEFAULT, PRIORITY_MAX, PRIORITY_MIN,
};
use crate::outcome::{Applied, EntityRef, Event};
use crate::queue::csq::Channel;
use crate::rejection::{Rejection, RejectionCode};
use crate::text::text_optional;
use crate::voice::telephony::{number_checked, CallData, CallKind, Connection, ConnectionState, Party, Touched};

/// A contact as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Assigned by the center.
    pub id: ContactId,
    /// Voice, chat or email; the channel of its CSQ.
    pub channel: Channel,
    /// The CSQ it is in now (an email requeue can move it).
    pub csq: CsqId,
    /// The CSQ it was injected into ("Chat Routed CSQ" in reports).
    pub injected_csq: CsqId,
    /// [`PRIORITY_MIN`] to [`PRIORITY_MAX`]; higher is routed first.
    pub priority: u8,
    /// Its place in arrival order, from the center's sequence; kept across requeues.
    pub arrival_sequence: u64,
    /// When it was injected.
    pub created_ms: u64,
    /// Who the customer is.
    pub customer: Customer,
    /// An email's subject.
    pub subject: Option<String>,
    /// The timeouts in force when it was injected.
    pub timeouts: ContactTimeouts,
    /// Where it is.
    pub state: ContactState,
    /// Agents it must never be routed to (agents who requeued it), sorted.
    pub excluded_agents: Vec<AgentId>,
    /// Its running timers.
    pub timers: ContactTimers,
    /// A chat whose customer has been shown the join timeout message.
    #[serde(default)]
    pub join_timed_out: bool,
    /// A chat's pending group chat invite.
    #[serde(default)]
    pub invite: Option<Invite>,
    /// Agents who declined an invite to this chat since someone last accepted one, sorted.
    #[serde(default)]
    pub declined_agents: Vec<AgentId>,
    /// The customer left a chat while a group chat invite was pending (reported as abandoned).
    #[serde(default)]
    pub customer_left_during_invite: bool,
    /// The wrap-up categories its CSQ offered when it arrived (chat and email).
    #[serde(default)]
    pub wrap_up_categories: Vec<WrapUpCategoryId>,
    /// The wrap-up reasons its agent selected, at most
    /// [`crate::WRAP_UP_REASON_PER_CONTACT_COUNT_MAX`].
    #[serde(default)]
    pub wrap_up: Vec<WrapUpSelection>,
    /// A voice contact's call on the built-in switch.
    #[serde(default)]
    pub call: Option<CallId>,
}

/// A pending group chat invite (seeds-uccx.md §2.12).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    /// The agent invited; the invite holds one of its chat slots.
    pub agent: AgentId,
    /// The agent in the chat who invited.
    pub inviter: AgentId,
    /// The chat CSQ the invitee was chosen from.
    pub csq: CsqId,
}

/// What the center knows about the customer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The customer's name, if given.
    pub name: Option<String>,
    /// The customer's phone number or email address, if given.
    pub address: Option<String>,
}

/// The timeouts copied onto a contact when it is injected.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactTimeouts {
    /// Voice: how long a routed call rings before ring-no-answer.
    pub ring_no_answer_seconds: u32,
    /// Chat: how long an offer or group chat invite waits for acceptance.
    pub no_answer_timeout_seconds: u32,
    /// Chat: when the customer is shown the join timeout message.
    pub join_timeout_minutes: u32,
    /// Chat: customer inactivity that ends the chat.
    pub inactivity_timeout_minutes: u32,
    /// Email: how long it waits for the last agent of its conversation.
    pub sticky_email_timeout_hours: u32,
}

/// A contact's running timers; each is also in the center's deadline index.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactTimers {
    /// The offer's no-answer (voice ring-no-answer or chat No Answer Timeout).
    pub no_answer: Option<Timer>,
    /// The chat's join timeout.
    pub join: Option<Timer>,
    /// The chat's customer inactivity timeout.
    pub inactivity: Option<Timer>,
    /// The group chat invite's no-answer.
    pub invite: Option<Timer>,
    /// The email's wait for its last agent.
    pub sticky: Option<Timer>,
}

/// Where a contact is. Every open contact is in exactly one of the first five; a closed one
/// has exactly one outcome.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactState {
    /// An email waiting in its conversation's last agent's personal queue.
    StickyWaiting {
        /// The last agent.
        agent: AgentId,
    },
    /// Waiting in its CSQ's queue.
    Queued,
    /// Offered to an agent who has not accepted yet (a ringing call, a chat toaster).
    Offered {
        /// The agent.
        agent: AgentId,
    },
    /// Being handled: a call answered, a chat joined, an email assigned. The first agent owns
    /// it; a group chat has a second.
    Active {
        /// The agents, owner first; at most two.
        agents: Vec<AgentId>,
    },
    /// A chat the customer or inactivity ended, open on the agents' desktops until they end it.
    Ended {
        /// The agents, owner first.
        agents: Vec<AgentId>,
        /// Who or what ended it.
        by: EndedBy,
    },
    /// Closed, with exactly one outcome.
    Closed {
        /// How it closed.
        outcome: ContactOutcome,
        /// When.
        closed_ms: u64,
    },
}

/// Who or what ended a chat before its agent did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndedBy {
    /// The customer closed the chat.
    Customer,
    /// The customer was inactive for the Inactivity Timeout.
    Inactivity,
}

/// How a contact closed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    /// An agent handled it: a call answered and ended, a chat joined and ended.
    Handled,
    /// The customer left (or went inactive) before an agent took it.
    Abandoned,
    /// An email answered: the reply was sent.
    Sent,
    /// An email discarded by its agent (the original stays in the mailbox).
    Discarded,
}

/// The fields a client sets to inject a contact (`POST /api/v1/contacts`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSpec {
    /// Must match the CSQ's channel.
    pub channel: Channel,
    /// The CSQ to route it through.
    pub csq: CsqId,
    /// [`PRIORITY_MIN`] to [`PRIORITY_MAX`]; omitted means [`PRIORITY_DEFAULT`].
    #[serde(default)]
    pub priority: Option<u8>,
    /// Optional, at most [`CUSTOMER_NAME_LENGTH_MAX`] characters.
    #[serde(default)]
    pub customer_name: Option<String>,
    /// Optional phone number or email address, at most [`CUSTOMER_ADDRESS_LENGTH_MAX`].
    #[serde(default)]
    pub customer_address: Option<String>,
    /// Emails only: the subject, at most [`EMAIL_SUBJECT_LENGTH_MAX`] characters.
    #[serde(default)]
    pub subject: Option<String>,
}

/// Closed contacts in the order they closed; the front is forgotten first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct ClosedContacts {
    order: VecDeque<ContactId>,
}

impl Contact {
    /// Whether the contact is closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, ContactState::Closed { .. })
    }

    /// The agents holding it (offered, active or ended), owner first.
    pub fn agents(&self) -> &[AgentId] {
        match &self.state {
            ContactState::Offered { agent } => std::slice::from_ref(agent),
            ContactState::Active { agents } | ContactState::Ended { agents, .. } => agents,
            _ => &[],
        }
    }

    /// Whether `agent` holds this contact: as an agent of it or as its pending invitee.
    pub fn held_by(&self, agent: AgentId) -> bool {
        self.agents().contains(&agent) || self.invite.is_some_and(|invite| invite.agent == agent)
    }

    /// Whether routing must skip `agent` for this contact.
    pub fn excludes(&self, agent: AgentId) -> bool {
        self.excluded_agents.binary_search(&agent).is_ok()
    }
}

impl Center {
    pub(crate) fn contact_inject(&mut self, spec: &ContactSpec) -> Result<Applied, Rejection> {
        if spec.channel == Channel::Voice {
            let address = spec.customer_address.as_deref().map(str::trim).unwrap_or_default();
            let ani = if number_checked("ani", address).is_ok() { address.to_owned() } else { String::new() };
            return self.voice_contact_inject(spec, CallData { ani, ..CallData::default() });
        }
        let (id, mut contact) = self.contact_new_checked(spec)?;
        contact.arrival_sequence = self.sequence_next();
        let mut events = vec![Event::Queue(QueueEvent::ContactInjected(Box::new(contact.clone())))];
        let channel = contact.channel;
        self.contacts.insert_new(id, contact);
        match channel {
            Channel::Email => self.email_injected(id, &mut events),
            Channel::Chat => self.chat_injected(id, &mut events),
            Channel::Voice => panic!("voice contacts arrive on a call"),
        }
        Ok(Applied { events, created: Some(EntityRef::Contact(id)), audiences: Vec::new(), answer_forgotten: false })
    }

    /// A voice contact arrives on a new inbound call whose caller waits in the CSQ's queue.
    pub(crate) fn voice_contact_inject(&mut self, spec: &ContactSpec, data: CallData) -> Result<Applied, Rejection> {
        let (id, mut contact) = self.contact_new_checked(spec)?;
        let call = self.call_room_checked()?;
        contact.call = Some(call);
        contact.arrival_sequence = self.sequence_next();
        let mut events = vec![Event::Queue(QueueEvent::ContactInjected(Box::new(contact.clone())))];
        self.contacts.insert_new(id, contact);
        let mut touched = Touched::new();
        let caller = Connection { party: Party::External(data.ani.clone()), state: ConnectionState::Talking };
        self.call_begin(call, CallKind::Inbound, data, Some(id), vec![caller], &mut events, &mut touched);
        assert!(touched.is_empty(), "a caller waiting in a queue rings no agent");
        self.contact_enqueue(id, &mut events);
        Ok(Applied { events, created: Some(EntityRef::Contact(id)), audiences: Vec::new(), answer_forgotten: false })
    }

    /// A new contact's id and value, checked: its fields and room for one more open contact.
    fn contact_new_checked(&self, spec: &ContactSpec) -> Result<(ContactId, Contact), Rejection> {
        let id = self.contacts.id_next("contact")?;
        let contact = self.contact_spec_checked(id, spec)?;
        if self.contact_open_count() >= u64::from(CONTACT_OPEN_COUNT_MAX) {
            let message = format!("Tandem supports a maximum of {CONTACT_OPEN_COUNT_MAX} open contacts.");
            return Err(Rejection::new(RejectionCode::LimitExceeded, message));
        }
        Ok((id, contact))
    }

    /// The customer left: hung up, closed the chat window.
    pub(crate) fn contact_customer_left(&mut self, id: ContactId) -> Result<Applied, Rejection> {
        let contact = self.contact_checked(id)?;
        if contact.is_closed() {
            return Err(Rejection::invalid_state(format!("contact {id} is closed")));
        }
        let mut events = Vec::new();
        match contact.channel {
            Channel::Voice => return self.voice_customer_left(id),
            Channel::Chat => self.chat_customer_left(id, &mut events),
            Channel::Email => return Err(Rejection::invalid_state("an email has no customer session to leave")),
        }
        Ok(Applied::events(events))
    }

    /// An offer's no-answer deadline passed (voice ring no answer, chat No Answer Timeout).
    pub(crate) fn contact_no_answer_expired(&mut self, id: ContactId, epoch: u64) -> Applied {
        let mut events = Vec::new();
        let Some(contact) = self.contacts.get(id) else { return Applied::events(events) };
        let ContactState::Offered { agent } = contact.state else { return Applied::events(events) };
        if !self.timer_fires(contact.timers.no_answer, epoch) {
            return Applied::events(events);
        }
        match contact.channel {
            Channel::Voice => self.voice_not_answered(id, agent, &mut events),
            Channel::Chat => self.chat_not_answered(id, agent, &mut events),
            Channel::Email => panic!("emails are never offered"),
        }
        Applied::events(events)
    }

    /// One contact, open or recently closed.
    pub fn contact(&self, id: ContactId) -> Option<&Contact> {
        self.contacts.get(id)
    }

    /// Every contact held (open and recently closed), in id order.
    pub fn contacts(&self) -> impl Iterator<Item = &Contact> {
        self.contacts.values()
    }

    /// How many contacts are open.
    pub fn contact_open_count(&self) -> u64 {
        let closed_count = self.closed_contacts.order.len() as u64;
        assert!(closed_count <= self.contacts.count(), "closed contacts are held contacts");
        self.contacts.count() - closed_count
    }

    /// The contact a command names, or `not_found`.
    pub(crate) fn contact_checked(&self, id: ContactId) -> Result<&Contact, Rejection> {
        self.contacts.get(id).ok_or_else(|| Rejection::not_found("contact", id))
    }

    /// A contact known to exist.
    pub(crate) fn contact_known(&self, id: ContactId) -> &Contact {
        match self.contacts.get(id) {
            Some(contact) => contact,
            None => panic!("contact {id} exists"),
        }
    }

    /// A contact known to exist, for writing.
    pub(crate) fn contact_mut(&mut self, id: ContactId) -> &mut Contact {
        match self.contacts.get_mut(id) {
            Some(contact) => contact,
            None => panic!("contact {id} exists"),
        }
    }

    /// Closes a contact with `outcome`: it leaves its queue or personal queue, its timers
    /// stop, and the oldest closed contact is forgotten if too many are kept. The agents
    /// holding it must have released it already.
    pub(crate) fn contact_close(&mut self, id: ContactId, outcome: ContactOutcome, events: &mut Vec<Event>) {
        let contact = self.contact_known(id);
        assert!(!contact.is_closed(), "a contact closes once");
        let agent = contact.agents().first().copied();
        let (channel, csq) = (contact.channel, contact.csq);
        self.contact_unqueue(id);
        self.contact_timers_stop(id);
        let closed_ms = self.time_ms;
        self.contact_mut(id).state = ContactState::Closed { outcome, closed_ms };
        events.push(Event::Queue(QueueEvent::ContactClosed { contact: id, channel, csq, outcome, agent }));
        self.closed_contacts.order.push_back(id);
        if self.closed_contacts.order.len() as u64 > u64::from(CONTACT_CLOSED_RETAINED_COUNT_MAX) {
            if let Some(oldest) = self.closed_contacts.order.pop_front() {
                self.contacts.remove(oldest);
                self.inbound_emails_forget(oldest);
            }
        }
    }

    /// Stops every timer of a contact.
    pub(crate) fn contact_timers_stop(&mut self, id: ContactId) {
        let timers = std::mem::take(&mut self.contact_mut(id).timers);
        let all = [
            (Deadline::NoAnswer(id), timers.no_answer),
            (Deadline::Join(id), timers.join),
            (Deadline::Inactivity(id), timers.inactivity),
            (Deadline::InviteNoAnswer(id), timers.invite),
            (Deadline::Sticky(id), timers.sticky),
        ];
        for (deadline, timer) in all {
            if let Some(timer) = timer {
                self.timer_stop(deadline, timer);
            }
        }
    }

    fn contact_spec_checked(&self, id: ContactId, spec: &ContactSpec) -> Result<Contact, Rejection> {
        let Some(csq) = self.csqs.get(spec.csq) else {
            let message = format!("csq: CSQ {} does not exist", spec.csq);
            return Err(Rejection::new(RejectionCode::UnknownCsq, message));
        };
        if csq.channel != spec.channel {
            let message =
                format!("channel: CSQ {} is {} CSQ, not {}", csq.id, csq.channel.with_article(), spec.channel);
            return Err(Rejection::invalid_field(message));
        }
        let priority = spec.priority.unwrap_or(PRIORITY_DEFAULT);
        if !(PRIORITY_MIN..=PRIORITY_MAX).contains(&priority) {
            let message = format!("priority must be between {PRIORITY_MIN} and {PRIORITY_MAX} (got {priority})");
            return Err(Rejection::invalid_field(message));
        }
        let name = text_optional("customer_name", spec.customer_name.as_deref(), CUSTOMER_NAME_LENGTH_MAX)?;
        let address = text_optional("customer_address", spec.customer_address.as_deref(), CUSTOMER_ADDRESS_LENGTH_MAX)?;
        let subject = text_optional("subject", spec.subject.as_deref(), EMAIL_SUBJECT_LENGTH_MAX)?;
        if subject.is_some() && spec.channel != Channel::Email {
            return Err(Rejection::invalid_field("subject is for emails only"));
        }
        Ok(Contact {
            id,
            channel: spec.channel,
            csq: spec.csq,
            injected_csq: spec.csq,
            priority,
            arrival_sequence: 0,
            created_ms: self.time_ms,
            customer: Customer { name, address },
            subject,
            timeouts: self.contact_timeouts(),
            state: ContactState::Queued,
            excluded_agents: Vec::new(),
            timers: ContactTimers::default(),
            join_timed_out: false,
            invite: None,
            declined_agents: Vec::new(),
            customer_left_during_invite: false,
            wrap_up_categories: match spec.channel {
                Channel::Voice => Vec::new(),
                Channel::Chat | Channel::Email => self.wrap_up_categories_for(spec.csq),
            },
            wrap_up: Vec::new(),
            call: None,
        })
    }

    fn contact_timeouts(&self) -> ContactTimeouts {
        ContactTimeouts {
            ring_no_answer_seconds: self.desk.ring_no_answer_seconds,
            no_answer_timeout_seconds: self.channel.no_answer_timeout_seconds,
            join_timeout_minutes: self.channel.join_timeout_minutes,
            inactivity_timeout_minutes: self.channel.inactivity_timeout_minutes,
            sticky_email_timeout_hours: self.channel.sticky_email_timeout_hours,
        }
    }
}
