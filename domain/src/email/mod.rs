//! The email contact lifecycle (seeds-uccx.md §2.6, §2.9, §2.27).
//!
//! An injected email that continues a conversation waits in the personal queue of the agent
//! who answered its last leg, for the Sticky Email Timeout copied onto it (1–120 h, default
//! 4 h); then, or at once without a conversation, it waits in its CSQ. Assignment is automatic
//! (auto-accept). The agent sends it (the conversation remembers the agent), discards it, or
//! requeues it to the same or another email CSQ: a requeued email skips sticky routing and is
//! never routed back to any agent who requeued it. Signing out requeues an agent's emails to
//! the same CSQ, and losing the active side requeues and reroutes every open email.
//!
//! A conversation is the customer's address and the subject without reply and forward
//! prefixes, both compared case-insensitively; a changed subject is a new conversation. The
//! center remembers the last agent of at most [`CONVERSATION_REMEMBERED_COUNT_MAX`]
//! conversations (`docs/decisions/0016-email-lifecycle.md`).

pub(crate) mod inbound;
pub(crate) mod mailbox;
pub(crate) mod outbox;
pub(crate) mod signature;

use crate::authorization::Scope;
use crate::center::Center;
use crate::email::signature::EmailSignature;
use crate::email::signature::EmailSignatureSpec;
use crate::ids::EmailSignatureId;
use crate::outcome::Concern;
use crate::QueueEvent;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chat::{insert_sorted, remove_sorted};
use crate::deadline::Deadline;
use crate::ids::{AgentId, ContactId, CsqId};
use crate::limits::CONVERSATION_REMEMBERED_COUNT_MAX;
use crate::outcome::{Applied, Event};
use crate::queue::contact::{Contact, ContactOutcome, ContactState};
use crate::queue::csq::Channel;
use crate::rejection::{Rejection, RejectionCode};

/// The last agent of each remembered conversation, with the order they were answered in, and
/// the Message-IDs of the replies sent in them (a customer's In-Reply-To or References names
/// one: the conversation is found whatever address the customer now writes from).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Conversations {
    by_key: BTreeMap<String, (u64, AgentId)>,
    by_sequence: BTreeMap<u64, String>,
    /// Reply Message-ID → (when remembered, conversation key).
    #[serde(default)]
    replies: BTreeMap<String, (u64, String)>,
    #[serde(default)]
    replies_by_sequence: BTreeMap<u64, String>,
}

impl Center {
    /// A new email: to its last agent's personal queue if it continues a conversation whose
    /// agent still exists, else to its CSQ.
    pub(crate) fn email_injected(&mut self, id: ContactId, events: &mut Vec<Event>) {
        let last_agent = self.conversation_of(id).and_then(|key| self.conversations.by_key.get(&key));
        let Some(&(_, agent)) = last_agent.filter(|(_, agent)| self.agents.contains(*agent)) else {
            self.contact_enqueue(id, events);
            return;
        };
        let hours = self.contact_known(id).timeouts.sticky_email_timeout_hours;
        let due_ms = self.time_ms.saturating_add(u64::from(hours) * 3_600_000);
        let timer = self.timer_start(Deadline::Sticky(id), due_ms);
        self.contact_mut(id).timers.sticky = Some(timer);
        self.sticky_enqueue(id, agent);
        events.push(Event::Email(EmailEvent::EmailStickyWaiting { contact: id, agent, sticky_due_ms: due_ms }));
    }

    /// The last agent did not take the email in time: it goes to its CSQ.
    pub(crate) fn email_sticky_expired(&mut self, id: ContactId, epoch: u64) -> Applied {
        let mut events = Vec::new();
        let Some(contact) = self.contacts.get(id) else { return Applied::events(events) };
        if !matches!(contact.state, ContactState::StickyWaiting { .. })
            || !self.timer_fires(contact.timers.sticky, epoch)
        {
            return Applied::events(events);
        }
        self.email_sticky_stop(id);
        self.contact_unqueue(id);
        self.contact_enqueue(id, &mut events);
        Applied::events(events)
    }

    /// Assigns an email to an available agent: emails are auto-accepted, with no offer step.
    pub(crate) fn email_assign(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        self.email_sticky_stop(id);
        let now = self.time_ms;
        let contact = self.contact_mut(id);
        contact.state = ContactState::Active { agents: vec![agent] };
        let (csq, waited_ms) = (contact.csq, now.saturating_sub(contact.created_ms));
        insert_sorted(&mut self.status_mut(agent).emails, id);
        events.push(Event::Queue(QueueEvent::ContactAccepted {
            contact: id,
            agent,
            channel: Channel::Email,
            csq,
            waited_ms,
        }));
        self.agent_availability_changed(agent, events);
    }

    pub(crate) fn email_send(&mut self, agent: AgentId, id: ContactId) -> Result<Applied, Rejection> {
        self.email_held_checked(agent, id)?;
        Ok(self.email_answered(agent, id).0)
    }

    /// The agent answered a held email: it closes as sent and its conversation remembers the
    /// agent. Returns the conversation's key too, for a reply to remember by its Message-ID.
    pub(crate) fn email_answered(&mut self, agent: AgentId, id: ContactId) -> (Applied, Option<String>) {
        let key = self.conversation_of(id);
        let applied = self.email_close(agent, id, ContactOutcome::Sent);
        if let Some(key) = &key {
            self.conversation_remember(key.clone(), agent);
        }
        (applied, key)
    }

    pub(crate) fn email_discard(&mut self, agent: AgentId, id: ContactId) -> Result<Applied, Rejection> {
        self.email_held_checked(agent, id)?;
        Ok(self.email_close(agent, id, ContactOutcome::Discarded))
    }

    /// A held email leaves its agent for good (sent, forwarded or discarded): its draft goes.
    pub(crate) fn email_close(&mut self, agent: AgentId, id: ContactId, outcome: ContactOutcome) -> Applied {
        let mut events = Vec::new();
        self.email_release(agent, id, &mut events);
        self.email_draft_forget(id);
        self.contact_close(id, outcome, &mut events);
        Applied::events(events)
    }

    /// Requeue to the same or another email CSQ: no sticky routing, never back to this agent.
    pub(crate) fn email_requeue(&mut self, agent: AgentId, id: ContactId, csq: CsqId) -> Result<Applied, Rejection> {
        let from_csq = self.email_held_checked(agent, id)?.csq;
        let Some(target) = self.csqs.get(csq) else {
            return Err(Rejection::new(RejectionCode::UnknownCsq, format!("csq: CSQ {csq} does not exist")));
        };
        if target.channel != Channel::Email {
            return Err(Rejection::invalid_field(format!(
                "csq: CSQ {csq} is {} CSQ, not email",
                target.channel.with_article()
            )));
        }
        let mut events = Vec::new();
        self.email_release(agent, id, &mut events);
        let contact = self.contact_mut(id);
        contact.csq = csq;
        if let Err(index) = contact.excluded_agents.binary_search(&agent) {
            contact.excluded_agents.insert(index, agent);
        }
        events.push(Event::Email(EmailEvent::EmailRequeued { contact: id, agent, from_csq, to_csq: csq }));
        self.contact_enqueue(id, &mut events);
        Ok(Applied::events(events))
    }

    /// The active side was lost: every open email is requeued to its CSQ and routed again,
    /// those waiting for their last agent included (seeds-uccx.md §2.9). Runs once per
    /// failover, so one pass over the contacts.
    pub(crate) fn emails_requeue_all(&mut self) -> Applied {
        let mut events = Vec::new();
        let open: Vec<(ContactId, Option<AgentId>)> = self
            .contacts()
            .filter(|contact| contact.channel == Channel::Email && !contact.is_closed())
            .filter(|contact| contact.state != ContactState::Queued)
            .map(|contact| (contact.id, contact.agents().first().copied()))
            .collect();
        for (id, agent) in open {
            match agent {
                Some(agent) => self.email_released_by(agent, id, &mut events),
                None => {
                    self.email_sticky_stop(id);
                    self.contact_unqueue(id);
                    self.contact_enqueue(id, &mut events);
                }
            }
        }
        Applied::events(events)
    }

    /// The side the new leader is on; a change requeues every open email.
    pub(crate) fn leader_side(&mut self, side: &str) -> Result<Applied, Rejection> {
        if !matches!(side, "a" | "b" | "witness") {
            return Err(Rejection::invalid_field(format!("side must be a, b or witness (got {side:?})")));
        }
        let previous = self.active_side.replace(side.to_owned());
        match previous {
            Some(from) if from != side => {
                let mut applied = self.emails_requeue_all();
                let changed = EmailEvent::ActiveSideChanged { from, to: side.to_owned() };
                applied.events.insert(0, Event::Email(changed));
                Ok(applied)
            }
            _ => Ok(Applied::default()),
        }
    }

    /// The side whose node leads, as the last leader said.
    pub fn active_side(&self) -> Option<&str> {
        self.active_side.as_deref()
    }

    /// The agent logs out or its desktop closes: the email goes back to the same CSQ.
    pub(crate) fn email_released_by(&mut self, agent: AgentId, id: ContactId, events: &mut Vec<Event>) {
        self.email_release(agent, id, events);
        self.contact_enqueue(id, events);
    }

    /// A deleted agent's sticky emails go to their CSQs at once.
    pub(crate) fn agent_sticky_release(&mut self, id: AgentId, events: &mut Vec<Event>) {
        for contact in self.agent_sticky_emails(id) {
            self.email_sticky_stop(contact);
            self.contact_unqueue(contact);
            self.contact_enqueue(contact, events);
        }
    }

    /// The last agent of a conversation, if remembered.
    pub fn conversation_last_agent(&self, customer_address: &str, subject: &str) -> Option<AgentId> {
        let key = conversation_key_of(customer_address, subject)?;
        self.conversations.by_key.get(&key).map(|&(_, agent)| agent)
    }

    /// The conversation an email continues: the one whose reply its In-Reply-To or References
    /// name (newest first), else its customer's address and subject. Either way the subject must
    /// be the conversation's: a changed subject is a new conversation (seeds-uccx.md §2.6).
    fn conversation_of(&self, id: ContactId) -> Option<String> {
        let contact = self.contact_known(id);
        let own = conversation_key(contact);
        let envelope = self.inbound_emails.get(&id).and_then(|email| email.envelope.as_ref());
        let subject = contact.subject.as_deref().map(normalised_subject);
        let threaded = envelope.and_then(|envelope| {
            let named = envelope.in_reply_to.iter().chain(envelope.references.iter().rev());
            named.filter_map(|message_id| self.conversations.replies.get(message_id)).find_map(|(_, key)| {
                let same_subject = key.split_once('\n').map(|(_, of_key)| of_key) == subject.as_deref();
                same_subject.then(|| key.clone())
            })
        });
        threaded.or(own)
    }

    /// A reply was sent in the conversation `key`: its Message-ID finds the conversation again.
    pub(crate) fn conversation_reply_remember(&mut self, message_id: &str, key: String) {
        let sequence = self.sequence_next();
        let conversations = &mut self.conversations;
        if let Some((previous, _)) = conversations.replies.insert(message_id.to_owned(), (sequence, key)) {
            conversations.replies_by_sequence.remove(&previous);
        }
        conversations.replies_by_sequence.insert(sequence, message_id.to_owned());
        if conversations.replies.len() as u64 > u64::from(CONVERSATION_REMEMBERED_COUNT_MAX) {
            if let Some((_, oldest)) = conversations.replies_by_sequence.pop_first() {
                conversations.replies.remove(&oldest);
            }
        }
    }

    /// How many conversations the center remembers.
    pub fn conversation_count(&self) -> u32 {
        u32::try_from(self.conversations.by_key.len()).unwrap_or(u32::MAX)
    }

    fn email_release(&mut self, agent: AgentId, id: ContactId, events: &mut Vec<Event>) {
        remove_sorted(&mut self.status_mut(agent).emails, id);
        self.agent_availability_changed(agent, events);
    }

    fn email_sticky_stop(&mut self, id: ContactId) {
        if let Some(timer) = self.contact_mut(id).timers.sticky.take() {
            self.timer_stop(Deadline::Sticky(id), timer);
        }
    }

    fn conversation_remember(&mut self, key: String, agent: AgentId) {
        let sequence = self.sequence_next();
        let conversations = &mut self.conversations;
        if let Some((previous, _)) = conversations.by_key.insert(key.clone(), (sequence, agent)) {
            conversations.by_sequence.remove(&previous);
        }
        conversations.by_sequence.insert(sequence, key);
        if conversations.by_key.len() as u64 > u64::from(CONVERSATION_REMEMBERED_COUNT_MAX) {
            if let Some((_, oldest)) = conversations.by_sequence.pop_first() {
                conversations.by_key.remove(&oldest);
            }
        }
        assert!(conversations.by_key.len() == conversations.by_sequence.len(), "both views hold the same keys");
    }

    /// The email a command names, held by `agent`.
    fn email_held_checked(&self, agent: AgentId, id: ContactId) -> Result<&Contact, Rejection> {
        self.status_checked(agent)?;
        let contact = self.contact_checked(id)?;
        if contact.channel != Channel::Email {
            return Err(Rejection::invalid_state(format!("contact {id} is not an email")));
        }
        if contact.state != (ContactState::Active { agents: vec![agent] }) {
            return Err(Rejection::invalid_state(format!("email {id} is not assigned to agent {agent}")));
        }
        Ok(contact)
    }
}

fn conversation_key(contact: &Contact) -> Option<String> {
    conversation_key_of(contact.customer.address.as_deref()?, contact.subject.as_deref()?)
}

/// The customer's address and the subject without reply and forward prefixes ("Re:", "RE:",
/// "Fw:", "Fwd:", repeated), whitespace collapsed, both lowercased. `None` when either is blank.
fn conversation_key_of(address: &str, subject: &str) -> Option<String> {
    let address = address.trim().to_lowercase();
    let subject = normalised_subject(subject);
    if address.is_empty() || subject.is_empty() {
        return None;
    }
    Some(format!("{address}\n{subject}"))
}

/// A subject without reply and forward prefixes, whitespace collapsed, lowercased.
fn normalised_subject(subject: &str) -> String {
    let mut subject = subject.trim();
    loop {
        let lowered = subject.get(..4).map(str::to_ascii_lowercase);
        let prefix_length = match lowered.as_deref() {
            Some("fwd:") => 4,
            Some(start) if start.starts_with("re:") || start.starts_with("fw:") => 3,
            _ => break,
        };
        subject = subject.get(prefix_length..).unwrap_or("").trim_start();
    }
    subject.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

// The channel's commands and events.

/// The email channel: replies sent or discarded, requeued emails, email signatures, the mail
/// server and the CSQs' mailboxes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum EmailCommand {
    /// An agent sent the reply to an email: it closes, and its conversation remembers the agent.
    SendEmail {
        /// The agent.
        agent: AgentId,
        /// The email.
        contact: ContactId,
    },
    /// An agent discards an email (the original stays in the mailbox).
    DiscardEmail {
        /// The agent.
        agent: AgentId,
        /// The email.
        contact: ContactId,
    },
    /// An agent requeues an email to the same or another email CSQ; it never comes back to
    /// this agent and skips sticky routing.
    RequeueEmail {
        /// The agent.
        agent: AgentId,
        /// The email.
        contact: ContactId,
        /// The email CSQ to requeue to.
        csq: CsqId,
    },
    /// The new active side requeues and reroutes every open email (proposed after failover).
    RequeueOpenEmails,
    /// Adds an email signature.
    CreateEmailSignature(EmailSignatureSpec),
    /// Replaces an email signature's fields.
    UpdateEmailSignature {
        /// The signature to change.
        id: EmailSignatureId,
        /// Its new fields.
        spec: EmailSignatureSpec,
    },
    /// Removes an email signature.
    DeleteEmailSignature {
        /// The signature to remove.
        id: EmailSignatureId,
    },
    /// Sets the center's mail server (boxed: the command enum stays small).
    SetMailServer(Box<crate::MailServer>),
    /// Removes the mail server (refused while a mailbox uses it).
    DeleteMailServer,
    /// Sets an email CSQ's mailbox (credentials sealed by the node).
    SetMailbox {
        /// The email CSQ.
        csq: CsqId,
        /// Its mailbox (boxed: the command enum stays small).
        mailbox: Box<crate::Mailbox>,
    },
    /// Removes an email CSQ's mailbox.
    DeleteMailbox {
        /// The email CSQ.
        csq: CsqId,
    },
    /// A message read from a CSQ's mailbox, proposed by the leader's mailbox actor; applied
    /// once per (mailbox, UIDVALIDITY, UID) or content (boxed: the command enum stays small).
    IngestEmail(Box<crate::InboundEmail>),
    /// An agent replies to an email: the reply enters the outbox with its Message-ID fixed and
    /// the email closes as sent.
    ReplyEmail {
        /// The agent.
        agent: AgentId,
        /// The email.
        contact: ContactId,
        /// What the agent wrote (boxed: the command enum stays small).
        reply: Box<crate::EmailReply>,
    },
    /// A new leader says which side it is on. When that is not the side that led before, the
    /// active side was lost: every open email is requeued and routed again (seeds-uccx.md
    /// §2.9), once per change however many times it is said.
    LeaderSide {
        /// `a`, `b` or `witness`.
        side: String,
    },
    /// The leader's mailbox reader says whether it can read (a change of its status only).
    ReportMailboxReader {
        /// The email CSQ.
        csq: CsqId,
        /// The address it reads.
        address: String,
        /// Why it cannot; none: it reads.
        error: Option<String>,
    },
    /// An agent forwards an email outside the center, the original attached; it closes.
    ForwardEmail {
        /// The agent.
        agent: AgentId,
        /// The email.
        contact: ContactId,
        /// Recipients, subject and the agent's note (boxed: the command enum stays small).
        forward: Box<crate::EmailReply>,
    },
    /// An agent saves the reply it is writing (every 3 minutes and on demand).
    SaveEmailDraft {
        /// The agent.
        agent: AgentId,
        /// The email.
        contact: ContactId,
        /// What is written so far (boxed: the command enum stays small).
        draft: Box<crate::EmailReply>,
    },
    /// The leader's sender reports an attempt at a reply in the outbox.
    ReportEmailSend {
        /// The outbox entry.
        id: crate::OutboxId,
        /// Its Message-ID, as the sender sent it.
        message_id: String,
        /// What happened.
        report: crate::SendReport,
    },
}

/// What email commands and deadlines change, as pushed to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailEvent {
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
    /// An email signature was created.
    EmailSignatureCreated(EmailSignature),
    /// An email signature was updated; this is its new value.
    EmailSignatureUpdated(EmailSignature),
    /// An email signature was deleted.
    EmailSignatureDeleted(EmailSignatureId),
    /// The mail server was set; this is its new value.
    MailServerUpdated(crate::MailServer),
    /// The mail server was removed.
    MailServerDeleted,
    /// An email CSQ's mailbox was set (never its credentials).
    MailboxUpdated(crate::MailboxView),
    /// An email CSQ's mailbox was removed.
    MailboxDeleted(CsqId),
    /// A message was ingested from a mailbox: routed as `contact`, or stored as malformed.
    EmailIngested {
        /// The email CSQ.
        csq: CsqId,
        /// The folder's UIDVALIDITY.
        uid_validity: u32,
        /// The message's UID.
        uid: u32,
        /// The new email contact, when it was routed.
        contact: Option<ContactId>,
        /// Routed, or stored with its error.
        result: crate::IngestResult,
    },
    /// A reply entered the outbox, or its state changed.
    EmailOutboxChanged(Box<crate::OutboxView>),
    /// A mailbox's reader started or stopped being able to read.
    MailboxReaderChanged {
        /// The email CSQ.
        csq: CsqId,
        /// Why it cannot read; none: it reads again.
        error: Option<String>,
    },
    /// An agent saved a reply's draft.
    EmailDraftSaved {
        /// The email.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// When (center clock).
        saved_ms: u64,
    },
    /// Leadership moved to another side: open emails were requeued.
    ActiveSideChanged {
        /// The side that led before.
        from: String,
        /// The side that leads now.
        to: String,
    },
}

impl Center {
    /// Applies an email command (see [`Center::apply`]).
    pub(crate) fn execute_email(&mut self, command: &EmailCommand) -> Result<Applied, Rejection> {
        match command {
            EmailCommand::SendEmail { agent, contact } => self.email_send(*agent, *contact),
            EmailCommand::DiscardEmail { agent, contact } => self.email_discard(*agent, *contact),
            EmailCommand::RequeueEmail { agent, contact, csq } => self.email_requeue(*agent, *contact, *csq),
            EmailCommand::RequeueOpenEmails => Ok(self.emails_requeue_all()),
            EmailCommand::CreateEmailSignature(spec) => self.email_signature_create(spec),
            EmailCommand::UpdateEmailSignature { id, spec } => self.email_signature_update(*id, spec),
            EmailCommand::DeleteEmailSignature { id } => self.email_signature_delete(*id),
            EmailCommand::SetMailServer(server) => self.mail_server_set(server),
            EmailCommand::DeleteMailServer => self.mail_server_delete(),
            EmailCommand::SetMailbox { csq, mailbox } => self.mailbox_set(*csq, mailbox),
            EmailCommand::DeleteMailbox { csq } => self.mailbox_delete(*csq),
            EmailCommand::IngestEmail(email) => self.email_ingest(email),
            EmailCommand::ReplyEmail { agent, contact, reply } => self.email_reply(*agent, *contact, reply),
            EmailCommand::LeaderSide { side } => self.leader_side(side),
            EmailCommand::ForwardEmail { agent, contact, forward } => self.email_forward(*agent, *contact, forward),
            EmailCommand::ReportMailboxReader { csq, address, error } => {
                self.mailbox_reader_report(*csq, address, error.as_deref())
            }
            EmailCommand::SaveEmailDraft { agent, contact, draft } => self.email_draft_save(*agent, *contact, draft),
            EmailCommand::ReportEmailSend { id, message_id, report } => self.email_send_report(*id, message_id, report),
        }
    }
}

impl EmailCommand {
    /// Which agent the command acts for, and as whom: what [`crate::Center::authorize`] checks.
    pub(crate) fn scope(&self) -> Scope {
        match self {
            EmailCommand::SendEmail { agent, .. }
            | EmailCommand::DiscardEmail { agent, .. }
            | EmailCommand::RequeueEmail { agent, .. }
            | EmailCommand::ReplyEmail { agent, .. }
            | EmailCommand::SaveEmailDraft { agent, .. }
            | EmailCommand::ForwardEmail { agent, .. } => Scope::Agent(*agent),
            EmailCommand::RequeueOpenEmails
            | EmailCommand::CreateEmailSignature(_)
            | EmailCommand::UpdateEmailSignature { .. }
            | EmailCommand::DeleteEmailSignature { .. }
            | EmailCommand::SetMailServer(_)
            | EmailCommand::DeleteMailServer
            | EmailCommand::SetMailbox { .. }
            | EmailCommand::DeleteMailbox { .. }
            | EmailCommand::IngestEmail(_)
            | EmailCommand::LeaderSide { .. }
            | EmailCommand::ReportMailboxReader { .. }
            | EmailCommand::ReportEmailSend { .. } => Scope::Administration,
        }
    }
}

impl EmailEvent {
    /// Whom the event is about: what [`crate::Center::audience`] resolves into who sees it.
    pub(crate) fn concerns(&self) -> Concern<'_> {
        match self {
            EmailEvent::EmailStickyWaiting { agent, .. }
            | EmailEvent::EmailRequeued { agent, .. }
            | EmailEvent::EmailDraftSaved { agent, .. } => Concern::Agent(*agent),
            EmailEvent::EmailOutboxChanged(view) => match view.agent {
                Some(agent) => Concern::Agent(agent),
                None => Concern::Administrators,
            },
            EmailEvent::EmailSignatureCreated(_)
            | EmailEvent::EmailSignatureUpdated(_)
            | EmailEvent::EmailSignatureDeleted(_)
            | EmailEvent::MailServerUpdated(_)
            | EmailEvent::MailServerDeleted
            | EmailEvent::MailboxUpdated(_)
            | EmailEvent::MailboxDeleted(_)
            | EmailEvent::EmailIngested { .. }
            | EmailEvent::ActiveSideChanged { .. } => Concern::All,
            EmailEvent::MailboxReaderChanged { .. } => Concern::Administrators,
        }
    }
}
