//! Replies leaving through a CSQ's mailbox (seeds-uccx.md §2.9, seeds-ece.md §7.3): at least
//! once, with one duplicate window, and that one recognisable.
//!
//! An agent's reply enters the outbox in the same command that closes the email, so a reply is
//! never lost and an email is never closed without one. Its Message-ID is fixed there, in the
//! log, before any node tries to send it: every attempt, by any leader, sends the same message,
//! which recipients and mail servers can deduplicate. The leader's sender reports each attempt:
//! sent (after the server's final `250`), a transient error (retried with a doubling delay, up
//! to [`OUTBOX_ATTEMPTS_MAX`] attempts) or a permanent one (failed at once, shown to the agent
//! and administrators). A node that dies between the `250` and the commit of "sent" leaves the
//! reply queued, and the next leader sends it again unless it finds the Message-ID in Sent
//! Items: the only duplicate, across that crash alone.
//!
//! From is the address of the CSQ the email is in when the agent replies (after a requeue, the
//! new CSQ's); the signature is appended here, at send time (§2.15); In-Reply-To and References
//! continue the customer's thread.

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::email::inbound::Envelope;
use crate::email::mailbox::address_checked_as;
use crate::ids::{AgentId, ContactId, CsqId, OutboxId};
use crate::limits::{
    EMAIL_REPLY_BODY_LENGTH_MAX, EMAIL_SUBJECT_LENGTH_MAX, MAIL_ERROR_LENGTH_MAX, MAIL_MESSAGE_ID_LENGTH_MAX,
    MAIL_RECIPIENTS_MAX, MAIL_REFERENCES_MAX, OUTBOX_ATTEMPTS_MAX, OUTBOX_FINISHED_KEPT_MAX, OUTBOX_PENDING_MAX,
    OUTBOX_RETRY_DELAY_MAX_MS, OUTBOX_RETRY_DELAY_MIN_MS,
};
use crate::outcome::{Applied, Event};
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{text_body, text_optional, text_required};
use crate::EmailEvent;

/// What an agent writes: the desktop fills the addresses and subject from
/// [`Center::email_reply_draft`] and the agent may change them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailReply {
    /// 1 to 20 addresses.
    pub to: Vec<String>,
    /// Up to 20 addresses.
    #[serde(default)]
    pub cc: Vec<String>,
    /// Up to 20 addresses, never shown to the other recipients.
    #[serde(default)]
    pub bcc: Vec<String>,
    /// 1 to 255 characters, one line.
    pub subject: String,
    /// The agent's text, 1 to 100,000 characters; the signature is appended at send time.
    pub body: String,
}

/// A reply being written, kept in the replicated state so it survives the desktop, the node
/// and a failover (seeds-uccx.md §2.9: saved every 3 minutes and on demand). It stays with the
/// email until the reply is sent or the email discarded; a requeued email carries it to its
/// next agent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailDraft {
    /// The agent who saved it last.
    pub agent: AgentId,
    /// What was written so far (addresses and subject may still be empty).
    pub reply: EmailReply,
    /// When it was saved (center clock).
    pub saved_ms: u64,
}

/// Where a forwarded email's original is on the mail server.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardedOriginal {
    /// The mailbox it arrived in.
    pub mailbox: String,
    /// The folder's UIDVALIDITY when it was read.
    pub uid_validity: u32,
    /// Its UID.
    pub uid: u32,
    /// SHA-256 of the raw message: what is attached must be what was ingested.
    pub content_hash: String,
    /// Its Message-ID, to find it after the server renumbered the folder.
    pub message_id: Option<String>,
}

/// Where a reply stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum OutboxState {
    /// Waiting for its first or next attempt.
    Queued,
    /// The mail server accepted it (its final reply to DATA).
    Sent {
        /// When the report was committed.
        at_ms: u64,
        /// The server's reply, as reported.
        reply: String,
    },
    /// It will not be sent: a permanent error, or too many transient ones.
    Failed {
        /// When the report was committed.
        at_ms: u64,
        /// Why.
        reason: String,
    },
}

/// A reply in the outbox: the message as every attempt sends it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundEmail {
    /// Assigned by the center.
    pub id: OutboxId,
    /// The CSQ whose mailbox sends it.
    pub csq: CsqId,
    /// The email it answers.
    pub contact: ContactId,
    /// The agent who wrote it; none for an auto-acknowledgement.
    pub agent: Option<AgentId>,
    /// An auto-acknowledgement: sent with `Auto-Submitted: auto-replied` (RFC 3834).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
    /// Fixed when the reply was committed, without angle brackets; the same on every attempt.
    pub message_id: String,
    /// The CSQ's address.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Copy recipients.
    pub cc: Vec<String>,
    /// Blind copy recipients.
    pub bcc: Vec<String>,
    /// One line.
    pub subject: String,
    /// Where answers should go, when not to From: a forward names the customer, so the
    /// person it is forwarded to answers them, not the center (seeds-uccx.md §2.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// For a forward: the customer's original, which the sender reads from the mailbox and
    /// attaches whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<ForwardedOriginal>,
    /// The customer's Message-ID, when the email came from a mailbox.
    pub in_reply_to: Option<String>,
    /// The thread, oldest first, ending with `in_reply_to`.
    pub references: Vec<String>,
    /// The agent's text with the signature appended.
    pub body: String,
    /// When the agent sent it (also its Date header).
    pub created_ms: u64,
    /// Attempts reported so far.
    pub attempts: u32,
    /// When the last attempt was reported.
    #[serde(default)]
    pub last_attempt_ms: Option<u64>,
    /// The last transient error.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Queued, sent or failed.
    pub state: OutboxState,
    /// Whether a copy is in the mailbox's Sent Items.
    pub copied_to_sent: bool,
}

impl OutboundEmail {
    /// A new entry from `from` for `contact`, queued at `now` with its Message-ID; the caller
    /// fills in the message.
    fn queued(id: OutboxId, csq: CsqId, contact: ContactId, from: String, now: u64) -> OutboundEmail {
        OutboundEmail {
            id,
            csq,
            contact,
            agent: None,
            automatic: false,
            message_id: message_id_for(id, now, &from),
            from,
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: String::new(),
            reply_to: None,
            forwarded: None,
            in_reply_to: None,
            references: Vec::new(),
            body: String::new(),
            created_ms: now,
            attempts: 0,
            last_attempt_ms: None,
            last_error: None,
            state: OutboxState::Queued,
            copied_to_sent: false,
        }
    }

    /// Whether a sender still has work on it: sending it, or copying it to Sent Items.
    pub fn is_pending(&self) -> bool {
        match self.state {
            OutboxState::Queued => true,
            OutboxState::Sent { .. } => !self.copied_to_sent,
            OutboxState::Failed { .. } => false,
        }
    }

    /// When its next attempt is due, on the center's clock: at once for a first attempt, then
    /// after a delay doubling from [`OUTBOX_RETRY_DELAY_MIN_MS`] to
    /// [`OUTBOX_RETRY_DELAY_MAX_MS`].
    pub fn due_ms(&self) -> u64 {
        let Some(last) = self.last_attempt_ms else { return self.created_ms };
        let doublings = self.attempts.saturating_sub(1).min(20);
        let delay = OUTBOX_RETRY_DELAY_MIN_MS.saturating_mul(1 << doublings).min(OUTBOX_RETRY_DELAY_MAX_MS);
        last.saturating_add(delay)
    }

    /// What events and the API show: everything but the body.
    pub fn view(&self) -> OutboxView {
        OutboxView {
            id: self.id,
            csq: self.csq,
            contact: self.contact,
            agent: self.agent,
            automatic: self.automatic,
            message_id: self.message_id.clone(),
            to: self.to.clone(),
            subject: self.subject.clone(),
            created_ms: self.created_ms,
            attempts: self.attempts,
            last_error: self.last_error.clone(),
            state: self.state.clone(),
            copied_to_sent: self.copied_to_sent,
        }
    }
}

/// A reply as events and the API show it, without its body.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxView {
    /// The outbox entry.
    pub id: OutboxId,
    /// The CSQ sending it.
    pub csq: CsqId,
    /// The email it answers.
    pub contact: ContactId,
    /// The agent who wrote it; none for an auto-acknowledgement.
    pub agent: Option<AgentId>,
    /// An auto-acknowledgement.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
    /// Its Message-ID.
    pub message_id: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// When the agent sent it.
    pub created_ms: u64,
    /// Attempts so far.
    pub attempts: u32,
    /// The last transient error.
    pub last_error: Option<String>,
    /// Queued, sent or failed.
    pub state: OutboxState,
    /// Whether a copy is in Sent Items.
    pub copied_to_sent: bool,
}

/// What the leader's sender reports of one attempt.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendReport {
    /// The server answered DATA with 250 (or the Message-ID was found in Sent Items).
    Sent {
        /// The server's reply.
        reply: String,
        /// Whether the copy to Sent Items was made too.
        copied_to_sent: bool,
    },
    /// A transient error (connection, TLS, 4xx): try again later.
    Retry {
        /// What happened.
        error: String,
    },
    /// A permanent error (5xx): never tried again.
    Failed {
        /// What happened.
        error: String,
    },
    /// The copy to Sent Items of a sent reply was made.
    CopiedToSent,
}

impl Center {
    /// Every reply in the outbox, oldest first.
    pub fn outbox(&self) -> impl Iterator<Item = &OutboundEmail> {
        self.outbox.values()
    }

    /// One reply in the outbox.
    pub fn outbox_entry(&self, id: OutboxId) -> Option<&OutboundEmail> {
        self.outbox.get(id)
    }

    /// What a reply to `contact` starts with: to the customer (Reply-To, else From) and, with
    /// `all`, everyone else the customer wrote to but the CSQ itself; "Re: " and the subject.
    pub fn email_reply_draft(&self, contact: ContactId, all: bool) -> Option<EmailReply> {
        let contact = self.contacts.get(contact)?;
        let own = self.mailboxes.get(&contact.csq).map(|mailbox| mailbox.address.as_str());
        let envelope = self.inbound_emails.get(&contact.id).and_then(|email| email.envelope.as_ref());
        let customer = contact.customer.address.clone();
        let mut to: Vec<String> = customer.into_iter().collect();
        let mut cc = Vec::new();
        if let (true, Some(envelope)) = (all, envelope) {
            let others = |list: &Vec<String>, taken: &Vec<String>| -> Vec<String> {
                list.iter()
                    .filter(|address| own.is_none_or(|own| !crate::text::equal_ignoring_case(own, address)))
                    .filter(|address| !taken.iter().any(|taken| crate::text::equal_ignoring_case(taken, address)))
                    .cloned()
                    .collect()
            };
            let mut from_others = others(&envelope.from.iter().cloned().collect(), &to);
            to.append(&mut from_others);
            to.extend(others(&envelope.to, &to));
            cc = others(&envelope.cc, &to);
        }
        to.truncate(MAIL_RECIPIENTS_MAX as usize);
        cc.truncate(MAIL_RECIPIENTS_MAX as usize);
        let subject = contact.subject.as_deref().unwrap_or("").trim();
        let subject = if subject.get(..3).is_some_and(|start| start.eq_ignore_ascii_case("re:")) {
            subject.to_owned()
        } else {
            format!("Re: {subject}").trim_end().to_owned()
        };
        let subject: String = subject.chars().take(EMAIL_SUBJECT_LENGTH_MAX as usize).collect();
        Some(EmailReply { to, cc, bcc: Vec::new(), subject, body: String::new() })
    }

    /// The agent replies and the email closes as sent, in one step: the reply is queued with
    /// its Message-ID fixed, the signature appended, the thread continued.
    pub(crate) fn email_reply(
        &mut self,
        agent: AgentId,
        contact: ContactId,
        reply: &EmailReply,
    ) -> Result<Applied, Rejection> {
        let csq = self.email_held_checked(agent, contact)?.csq;
        let Some(mailbox) = self.mailboxes.get(&csq) else {
            return Err(Rejection::invalid_state(format!("CSQ {csq} has no mailbox to send the reply from")));
        };
        let from = mailbox.address.clone();
        let reply = reply_checked(reply, true)?;
        let id = self.outbox_slot()?;
        let (in_reply_to, references) = thread_of(self.inbound_emails.get(&contact).and_then(|e| e.envelope.as_ref()));
        let body = self.signed(reply.body, csq, agent);
        let entry = OutboundEmail {
            agent: Some(agent),
            to: reply.to,
            cc: reply.cc,
            bcc: reply.bcc,
            subject: reply.subject,
            in_reply_to,
            references,
            body,
            ..OutboundEmail::queued(id, csq, contact, from, self.time_ms)
        };
        let view = entry.view();
        let message_id = entry.message_id.clone();
        let (mut applied, conversation) = self.email_answered(agent, contact);
        self.outbox.insert_new(id, entry);
        if let Some(key) = conversation {
            self.conversation_reply_remember(&message_id, key);
        }
        applied.events.insert(0, Event::Email(EmailEvent::EmailOutboxChanged(Box::new(view))));
        Ok(applied)
    }

    /// The auto-acknowledgement of a just-ingested email, if its mailbox has one and the email
    /// may be answered automatically: not sent automatically itself (Auto-Submitted, a bounce,
    /// a list), not from a mailer daemon, not from one of the center's own addresses (loops).
    /// Part of the ingest command, so it is queued exactly once per email; a full outbox skips
    /// it rather than refuse the email.
    pub(crate) fn auto_acknowledgement_queue(&mut self, contact: ContactId, envelope: &Envelope) -> Option<Event> {
        let csq = self.contacts.get(contact)?.csq;
        let mailbox = self.mailboxes.get(&csq)?;
        let ack = mailbox.auto_acknowledgement.as_ref()?;
        let to = envelope.reply_to.clone().or_else(|| envelope.from.clone())?;
        let local = to.split('@').next().unwrap_or("").to_ascii_lowercase();
        let daemon = ["mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"].contains(&local.as_str());
        let own = self.mailboxes.values().any(|mailbox| crate::text::equal_ignoring_case(&mailbox.address, &to));
        if envelope.automatic || daemon || own || address_checked_as("to", &to).is_err() {
            return None;
        }
        let id = self.outbox_slot().ok()?;
        let customer_subject = envelope.subject.as_deref().unwrap_or("").trim();
        let fill = |template: &str| template.replace("{{subject}}", customer_subject);
        let mut subject: String = fill(&ack.subject).chars().take(EMAIL_SUBJECT_LENGTH_MAX as usize).collect();
        subject.retain(|c| !c.is_control());
        let (in_reply_to, references) = thread_of(Some(envelope));
        let from = mailbox.address.clone();
        let entry = OutboundEmail {
            automatic: true,
            to: vec![to],
            subject,
            in_reply_to,
            references,
            body: fill(&ack.body),
            ..OutboundEmail::queued(id, csq, contact, from, self.time_ms)
        };
        let view = entry.view();
        self.outbox.insert_new(id, entry);
        Some(Event::Email(EmailEvent::EmailOutboxChanged(Box::new(view))))
    }

    /// The agent forwards the email to someone outside the center: the customer's original
    /// goes attached, Reply-To names the customer, and the email closes as handled (its
    /// conversation does not remember the agent: the customer got no answer from them).
    pub(crate) fn email_forward(
        &mut self,
        agent: AgentId,
        contact: ContactId,
        forward: &EmailReply,
    ) -> Result<Applied, Rejection> {
        let csq = self.email_held_checked(agent, contact)?.csq;
        let Some(mailbox) = self.mailboxes.get(&csq) else {
            return Err(Rejection::invalid_state(format!("CSQ {csq} has no mailbox to forward from")));
        };
        let from = mailbox.address.clone();
        let Some(original) = self.inbound_emails.get(&contact).filter(|email| email.envelope.is_some()) else {
            return Err(Rejection::invalid_state(format!(
                "email {contact} did not arrive from a mailbox: there is no original to forward"
            )));
        };
        let forwarded = ForwardedOriginal {
            mailbox: original.mailbox.clone(),
            uid_validity: original.uid_validity,
            uid: original.uid,
            content_hash: original.content_hash.clone(),
            message_id: original.envelope.as_ref().and_then(|envelope| envelope.message_id.clone()),
        };
        let forward = reply_checked(forward, true)?;
        let id = self.outbox_slot()?;
        let body = self.signed(forward.body, csq, agent);
        let reply_to = self.contacts.get(contact).and_then(|found| found.customer.address.clone());
        let entry = OutboundEmail {
            agent: Some(agent),
            to: forward.to,
            cc: forward.cc,
            bcc: forward.bcc,
            subject: forward.subject,
            reply_to,
            forwarded: Some(forwarded),
            body,
            ..OutboundEmail::queued(id, csq, contact, from, self.time_ms)
        };
        let view = entry.view();
        let mut applied = self.email_close(agent, contact, crate::ContactOutcome::Sent);
        self.outbox.insert_new(id, entry);
        applied.events.insert(0, Event::Email(EmailEvent::EmailOutboxChanged(Box::new(view))));
        Ok(applied)
    }

    /// The id of a new outbox entry, if the outbox has room for one more pending reply.
    fn outbox_slot(&self) -> Result<OutboxId, Rejection> {
        let pending = self.outbox.values().filter(|entry| entry.is_pending()).count();
        if pending >= OUTBOX_PENDING_MAX as usize {
            return Err(Rejection::new(
                RejectionCode::LimitExceeded,
                format!("The outbox is full: {pending} replies wait to be sent. Try again later."),
            ));
        }
        self.outbox.id_next("outbox entry")
    }

    /// `body` with the signature `agent` sends from `csq` appended (seeds-uccx.md §2.15).
    fn signed(&self, mut body: String, csq: CsqId, agent: AgentId) -> String {
        if let Some(signature) = self.email_signature_text(csq, agent) {
            body.push_str("\n\n-- \n");
            body.push_str(&signature);
        }
        body
    }

    /// The draft of an email's reply, if one was saved.
    pub fn email_draft(&self, contact: ContactId) -> Option<&EmailDraft> {
        self.email_drafts.get(&contact)
    }

    /// The agent saves the reply it is writing. A draft is checked for length only (it may
    /// have no recipient or subject yet), never for what it lacks.
    pub(crate) fn email_draft_save(
        &mut self,
        agent: AgentId,
        contact: ContactId,
        reply: &EmailReply,
    ) -> Result<Applied, Rejection> {
        self.email_held_checked(agent, contact)?;
        let draft = EmailDraft { agent, reply: reply_checked(reply, false)?, saved_ms: self.time_ms };
        self.email_drafts.insert(contact, draft);
        Ok(Applied::event(Event::Email(EmailEvent::EmailDraftSaved { contact, agent, saved_ms: self.time_ms })))
    }

    /// The email was sent or discarded: its draft goes.
    pub(crate) fn email_draft_forget(&mut self, contact: ContactId) {
        self.email_drafts.remove(&contact);
    }

    /// The leader's sender reports an attempt. `message_id` must be the entry's: a report
    /// about another message is a bug, refused.
    pub(crate) fn email_send_report(
        &mut self,
        id: OutboxId,
        message_id: &str,
        report: &SendReport,
    ) -> Result<Applied, Rejection> {
        let now = self.time_ms;
        let Some(entry) = self.outbox.get(id) else { return Err(Rejection::not_found("outbox entry", id)) };
        if entry.message_id != message_id {
            return Err(Rejection::invalid_field(format!(
                "message_id: outbox entry {id} is {}, not {message_id}",
                entry.message_id
            )));
        }
        let error_text = |error: &str| -> String {
            let mut error: String = error.chars().take(MAIL_ERROR_LENGTH_MAX as usize).collect();
            error.retain(|c| !c.is_control() || c == ' ');
            error
        };
        let mut entry = entry.clone();
        match (&entry.state, report) {
            // Two leaders both sent it (the documented window), or a retried report: once.
            (OutboxState::Sent { .. }, SendReport::Sent { .. }) => return Ok(Applied::default()),
            (OutboxState::Queued, SendReport::Sent { reply, copied_to_sent }) => {
                entry.attempts = entry.attempts.saturating_add(1);
                entry.last_attempt_ms = Some(now);
                entry.state = OutboxState::Sent { at_ms: now, reply: error_text(reply) };
                entry.copied_to_sent = *copied_to_sent;
            }
            (OutboxState::Queued, SendReport::Retry { error }) => {
                entry.attempts = entry.attempts.saturating_add(1);
                entry.last_attempt_ms = Some(now);
                entry.last_error = Some(error_text(error));
                if entry.attempts >= OUTBOX_ATTEMPTS_MAX {
                    let reason = format!("gave up after {} attempts: {}", entry.attempts, error_text(error));
                    entry.state = OutboxState::Failed { at_ms: now, reason };
                }
            }
            (OutboxState::Queued, SendReport::Failed { error }) => {
                entry.attempts = entry.attempts.saturating_add(1);
                entry.last_attempt_ms = Some(now);
                entry.state = OutboxState::Failed { at_ms: now, reason: error_text(error) };
            }
            (OutboxState::Sent { .. }, SendReport::CopiedToSent) => {
                if entry.copied_to_sent {
                    return Ok(Applied::default());
                }
                entry.copied_to_sent = true;
            }
            (state, report) => {
                let state = match state {
                    OutboxState::Queued => "queued",
                    OutboxState::Sent { .. } => "sent",
                    OutboxState::Failed { .. } => "failed",
                };
                let report = match report {
                    SendReport::Sent { .. } => "sent",
                    SendReport::Retry { .. } => "retry",
                    SendReport::Failed { .. } => "failed",
                    SendReport::CopiedToSent => "copied_to_sent",
                };
                return Err(Rejection::invalid_state(format!(
                    "outbox entry {id} is {state}: a {report} report does not apply"
                )));
            }
        }
        let view = entry.view();
        self.outbox.replace(id, entry);
        self.outbox_finished_forget();
        Ok(Applied::event(Event::Email(EmailEvent::EmailOutboxChanged(Box::new(view)))))
    }

    /// Keeps the last [`OUTBOX_FINISHED_KEPT_MAX`] finished replies.
    fn outbox_finished_forget(&mut self) {
        let finished: Vec<OutboxId> =
            self.outbox.values().filter(|entry| !entry.is_pending()).map(|entry| entry.id).collect();
        let excess = finished.len().saturating_sub(OUTBOX_FINISHED_KEPT_MAX as usize);
        for id in finished.into_iter().take(excess) {
            self.outbox.remove(id);
        }
    }
}

/// A Message-ID unique to this center: the outbox id, the time, the sending address's domain.
fn message_id_for(id: OutboxId, time_ms: u64, from: &str) -> String {
    let domain = from.rsplit_once('@').map_or("tandem.invalid", |(_, domain)| domain);
    format!("tandem.{id}.{time_ms}@{domain}")
}

/// The customer's Message-ID and the thread it continues (the last references kept).
fn thread_of(envelope: Option<&Envelope>) -> (Option<String>, Vec<String>) {
    let Some(message_id) = envelope.and_then(|envelope| envelope.message_id.clone()) else {
        return (None, Vec::new());
    };
    let mut references: Vec<String> = envelope.map(|envelope| envelope.references.clone()).unwrap_or_default();
    references.retain(|reference| reference != &message_id);
    references.push(message_id.clone());
    let excess = references.len().saturating_sub(MAIL_REFERENCES_MAX as usize);
    references.drain(..excess);
    (Some(message_id), references)
}

/// A reply as the spec allows it: addresses an SMTP server takes and no header can be
/// injected through, at most 20 per field, a one-line subject, a bounded body. A draft
/// (`complete` false) may still lack its recipient, subject and body; its limits are the same.
fn reply_checked(reply: &EmailReply, complete: bool) -> Result<EmailReply, Rejection> {
    let list = |field: &str, addresses: &[String], required: bool| -> Result<Vec<String>, Rejection> {
        if required && complete && addresses.is_empty() {
            return Err(Rejection::invalid_field(format!("{field} must name at least one address")));
        }
        if addresses.len() > MAIL_RECIPIENTS_MAX as usize {
            return Err(Rejection::invalid_field(format!(
                "{field}: at most {MAIL_RECIPIENTS_MAX} addresses (got {})",
                addresses.len()
            )));
        }
        addresses.iter().map(|address| address_checked_as(field, address)).collect()
    };
    let subject = if complete {
        text_required("subject", &reply.subject, EMAIL_SUBJECT_LENGTH_MAX)?
    } else {
        text_optional("subject", Some(&reply.subject), EMAIL_SUBJECT_LENGTH_MAX)?.unwrap_or_default()
    };
    const { assert!(MAIL_MESSAGE_ID_LENGTH_MAX > EMAIL_SUBJECT_LENGTH_MAX, "a subject fits one header line") };
    let body = if !complete && reply.body.trim().is_empty() {
        reply.body.clone()
    } else {
        text_body("body", &reply.body, EMAIL_REPLY_BODY_LENGTH_MAX)?
    };
    Ok(EmailReply {
        to: list("to", &reply.to, true)?,
        cc: list("cc", &reply.cc, false)?,
        bcc: list("bcc", &reply.bcc, false)?,
        subject,
        body,
    })
}
