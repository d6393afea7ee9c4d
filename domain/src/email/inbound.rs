//! Email arriving from a CSQ's mailbox (seeds-uccx.md §2.5, seeds-ece.md §7.2): exactly once,
//! whatever the node that read it did afterwards.
//!
//! The leader's mailbox actor reads new messages over IMAP and proposes one
//! [`InboundEmail`] per message: its envelope and the SHA-256 of its raw bytes, never its body
//! (the body stays on the mail server, where the original is kept, and a node reads it from there
//! when a desktop opens it: decision 0028), so the log grows by the envelope alone whatever the
//! message's size. Each mailbox has a cursor, (UIDVALIDITY, last UID), moved by ingest only: a
//! message at or below the cursor is a duplicate (a retry, a new leader reading again) and
//! changes nothing. When the server renumbers its messages (a new UIDVALIDITY) the cursor starts
//! over and a message is recognised by its content hash, of which each mailbox remembers the
//! last [`MAIL_SEEN_REMEMBERED_MAX`]. A message the node could not parse is stored with its error
//! for administrators, and the cursor moves past it: one bad message never stops a mailbox.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::ids::{ContactId, CsqId};
use crate::limits::{
    CUSTOMER_ADDRESS_LENGTH_MAX, CUSTOMER_NAME_LENGTH_MAX, EMAIL_SUBJECT_LENGTH_MAX, MAIL_ERRORS_REMEMBERED_MAX,
    MAIL_ERROR_LENGTH_MAX, MAIL_MESSAGE_ID_LENGTH_MAX, MAIL_RECIPIENTS_MAX, MAIL_REFERENCES_MAX,
    MAIL_SEEN_REMEMBERED_MAX,
};
use crate::outcome::{Applied, EntityRef, Event};
use crate::queue::contact::ContactSpec;
use crate::queue::csq::Channel;
use crate::rejection::{Rejection, RejectionCode};
use crate::EmailEvent;

/// One message read from a mailbox, as the node parsed it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundEmail {
    /// The email CSQ whose mailbox it arrived in.
    pub csq: CsqId,
    /// The mailbox address it was read from (a changed address starts a new cursor).
    pub mailbox: String,
    /// The folder's UIDVALIDITY when it was read.
    pub uid_validity: u32,
    /// Its UID in the folder.
    pub uid: u32,
    /// SHA-256 of the raw message, 64 lowercase hexadecimal digits.
    pub content_hash: String,
    /// The raw message's size in bytes.
    pub size: u64,
    /// What the node read from its headers; absent when the message could not be parsed.
    #[serde(default)]
    pub envelope: Option<Envelope>,
    /// Why it could not be parsed (then it is stored for administrators, not routed).
    #[serde(default)]
    pub error: Option<String>,
}

/// The headers routing and replying need.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Message-ID, without angle brackets.
    #[serde(default)]
    pub message_id: Option<String>,
    /// The sender's address.
    #[serde(default)]
    pub from: Option<String>,
    /// The sender's display name.
    #[serde(default)]
    pub from_name: Option<String>,
    /// Reply-To, where replies go when present (seeds-uccx.md §2.9).
    #[serde(default)]
    pub reply_to: Option<String>,
    /// To addresses.
    #[serde(default)]
    pub to: Vec<String>,
    /// Cc addresses.
    #[serde(default)]
    pub cc: Vec<String>,
    /// Subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// In-Reply-To, without angle brackets.
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// The last References, without angle brackets, oldest first.
    #[serde(default)]
    pub references: Vec<String>,
    /// The Date header (ms since the epoch), if it parsed.
    #[serde(default)]
    pub date_ms: Option<u64>,
    /// Auto-Submitted other than `no`, a bounce or a list message: never auto-acknowledged.
    #[serde(default)]
    pub automatic: bool,
    /// How many attachments it has.
    #[serde(default)]
    pub attachment_count: u32,
}

/// Where a mailbox's ingest stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailInbound {
    /// The address the cursor belongs to.
    address: String,
    cursor: Option<MailCursor>,
    /// Content hashes of the last messages ingested, oldest first, and the same as a set.
    seen_order: VecDeque<String>,
    seen: BTreeSet<String>,
    /// Messages that could not be parsed, oldest first.
    errors: VecDeque<MalformedEmail>,
    ingested: u64,
    duplicates: u64,
}

impl MailInbound {
    fn is_of(&self, address: &str) -> bool {
        crate::text::equal_ignoring_case(&self.address, address)
    }
}

/// Which messages of a folder have been ingested: every UID up to `last_uid` under
/// `uid_validity`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailCursor {
    /// The folder's UIDVALIDITY.
    pub uid_validity: u32,
    /// The last UID ingested.
    pub last_uid: u32,
}

/// A message stored with the reason it could not be read.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MalformedEmail {
    /// The folder's UIDVALIDITY.
    pub uid_validity: u32,
    /// Its UID, to find it on the server.
    pub uid: u32,
    /// SHA-256 of the raw message.
    pub content_hash: String,
    /// Its size in bytes.
    pub size: u64,
    /// Why it could not be read.
    pub error: String,
    /// When it was ingested (center time, ms).
    pub ingested_ms: u64,
}

/// A mailbox's ingest as administrators see it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailInboundView {
    /// The email CSQ.
    pub csq: CsqId,
    /// The address the cursor belongs to.
    pub address: String,
    /// The last message ingested; absent before the first.
    pub cursor: Option<MailCursor>,
    /// Messages ingested (routed or stored with an error).
    pub ingested: u64,
    /// Messages read again and recognised (after a failover or a renumbering).
    pub duplicates: u64,
    /// The last messages that could not be read, oldest first.
    pub errors: Vec<MalformedEmail>,
    /// How the leader's reader last said it was doing; absent before it said anything.
    #[serde(default)]
    pub reader: Option<ReaderStatus>,
}

/// What the leader's mailbox reader last reported (seeds-ece.md §7.2 item 6: connection,
/// login and TLS failures are the mailbox's visible status, each with its own words).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaderStatus {
    /// The address it reads.
    pub address: String,
    /// Why it cannot read; absent: it reads.
    pub error: Option<String>,
    /// Since when (center time, ms).
    pub since_ms: u64,
}

/// What an ingest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestResult {
    /// A new email contact.
    Routed,
    /// Stored with its error for administrators.
    Malformed,
}

impl Center {
    /// Where a CSQ's ingest stands: what it has ingested, or, for a mailbox that has read
    /// nothing yet, an empty view of it. `None`: no mailbox and nothing ingested.
    pub fn mail_inbound(&self, csq: CsqId) -> Option<MailInboundView> {
        let Some(inbound) = self.mail_inbound.get(&csq) else {
            let address = self.mailboxes.get(&csq)?.address.clone();
            return Some(MailInboundView {
                csq,
                address,
                cursor: None,
                ingested: 0,
                duplicates: 0,
                errors: Vec::new(),
                reader: self.mailbox_readers.get(&csq).cloned(),
            });
        };
        Some(MailInboundView {
            csq,
            address: inbound.address.clone(),
            cursor: inbound.cursor,
            ingested: inbound.ingested,
            duplicates: inbound.duplicates,
            errors: inbound.errors.iter().cloned().collect(),
            reader: self.mailbox_readers.get(&csq).cloned(),
        })
    }

    /// The cursor a mailbox actor resumes from for `address` (none: read the folder from the
    /// start).
    pub fn mail_cursor(&self, csq: CsqId, address: &str) -> Option<MailCursor> {
        self.mail_inbound.get(&csq).filter(|inbound| inbound.is_of(address)).and_then(|inbound| inbound.cursor)
    }

    /// The envelope of an email contact that arrived from a mailbox.
    pub fn email_envelope(&self, contact: ContactId) -> Option<&InboundEmail> {
        self.inbound_emails.get(&contact)
    }

    pub(crate) fn email_ingest(&mut self, email: &InboundEmail) -> Result<Applied, Rejection> {
        let Some(mailbox) = self.mailboxes.get(&email.csq) else {
            return Err(Rejection::not_found("mailbox of CSQ", email.csq));
        };
        if !crate::text::equal_ignoring_case(&mailbox.address, &email.mailbox) {
            return Err(Rejection::invalid_state(format!(
                "CSQ {}'s mailbox is {}, not {}",
                email.csq, mailbox.address, email.mailbox
            )));
        }
        inbound_checked(email)?;
        // Read-only until the new contact is accepted: a refusal must leave the center as it was.
        let known = self.mail_inbound.get(&email.csq).filter(|inbound| inbound.is_of(&email.mailbox));
        let behind_cursor = known
            .and_then(|inbound| inbound.cursor)
            .is_some_and(|cursor| cursor.uid_validity == email.uid_validity && email.uid <= cursor.last_uid);
        // After a renumbering the UIDs say nothing of what was ingested: the content does.
        if behind_cursor || known.is_some_and(|inbound| inbound.seen.contains(&email.content_hash)) {
            let inbound = self.mail_inbound_of(email);
            inbound.duplicates = inbound.duplicates.saturating_add(1);
            if !behind_cursor {
                inbound.cursor = Some(MailCursor { uid_validity: email.uid_validity, last_uid: email.uid });
            }
            return Ok(Applied::default());
        }
        // A new contact first: if the center is full it is refused and nothing moves, so the
        // actor tries again later.
        // The envelope is where the new contact will find it while it is routed (its thread
        // decides sticky routing); a refused inject takes it out again.
        let applied = match (&email.envelope, &email.error) {
            (Some(envelope), None) => {
                let id = self.contacts.id_next("contact")?;
                self.inbound_emails.insert(id, email.clone());
                match self.email_contact_inject(email.csq, envelope) {
                    Ok(applied) => Some(applied),
                    Err(rejection) => {
                        self.inbound_emails.remove(&id);
                        return Err(rejection);
                    }
                }
            }
            _ => None,
        };
        let contact = applied.as_ref().and_then(|applied| match applied.created {
            Some(EntityRef::Contact(id)) => Some(id),
            _ => None,
        });
        let now = self.time_ms;
        let inbound = self.mail_inbound_of(email);
        inbound.cursor = Some(MailCursor { uid_validity: email.uid_validity, last_uid: email.uid });
        inbound.ingested = inbound.ingested.saturating_add(1);
        if inbound.seen.insert(email.content_hash.clone()) {
            inbound.seen_order.push_back(email.content_hash.clone());
        }
        while inbound.seen_order.len() > MAIL_SEEN_REMEMBERED_MAX as usize {
            if let Some(oldest) = inbound.seen_order.pop_front() {
                inbound.seen.remove(&oldest);
            }
        }
        if applied.is_none() {
            let error = email.error.clone().unwrap_or_else(|| "no headers".into());
            let mut error: String = error.chars().take(MAIL_ERROR_LENGTH_MAX as usize).collect();
            error.retain(|c| !c.is_control() || c == ' ');
            inbound.errors.push_back(MalformedEmail {
                uid_validity: email.uid_validity,
                uid: email.uid,
                content_hash: email.content_hash.clone(),
                size: email.size,
                error,
                ingested_ms: now,
            });
            while inbound.errors.len() > MAIL_ERRORS_REMEMBERED_MAX as usize {
                inbound.errors.pop_front();
            }
        }
        assert!(contact.is_none_or(|id| self.inbound_emails.contains_key(&id)), "the envelope went in first");
        let ingested = Event::Email(EmailEvent::EmailIngested {
            csq: email.csq,
            uid_validity: email.uid_validity,
            uid: email.uid,
            contact,
            result: if applied.is_some() { IngestResult::Routed } else { IngestResult::Malformed },
        });
        let acknowledged = match (contact, &email.envelope) {
            (Some(id), Some(envelope)) => self.auto_acknowledgement_queue(id, envelope),
            _ => None,
        };
        Ok(match applied {
            Some(mut applied) => {
                applied.events.insert(0, ingested);
                applied.events.extend(acknowledged);
                applied
            }
            None => Applied::event(ingested),
        })
    }

    /// The ingest state of `email`'s mailbox, started afresh when the mailbox's address changed.
    fn mail_inbound_of(&mut self, email: &InboundEmail) -> &mut MailInbound {
        let inbound = self.mail_inbound.entry(email.csq).or_default();
        if !inbound.is_of(&email.mailbox) {
            *inbound = MailInbound { address: email.mailbox.clone(), ..MailInbound::default() };
        }
        inbound
    }

    /// A new email contact for an ingested message: the customer is Reply-To, else From.
    fn email_contact_inject(&mut self, csq: CsqId, envelope: &Envelope) -> Result<Applied, Rejection> {
        let spec = ContactSpec {
            channel: Channel::Email,
            csq,
            priority: None,
            customer_name: envelope.from_name.clone().filter(|name| !name.trim().is_empty()),
            customer_address: envelope.reply_to.clone().or_else(|| envelope.from.clone()),
            subject: envelope.subject.clone(),
        };
        self.contact_inject(&spec)
    }

    /// Forgets the envelopes of contacts no longer kept.
    pub(crate) fn inbound_emails_forget(&mut self, forgotten: ContactId) {
        self.inbound_emails.remove(&forgotten);
        self.email_drafts.remove(&forgotten);
    }

    /// The CSQ is gone: so is its ingest state.
    pub(crate) fn mail_inbound_forget(&mut self, csq: CsqId) {
        self.mail_inbound.remove(&csq);
        self.mailbox_readers.remove(&csq);
    }

    /// The leader's reader says how it is doing; only a change is recorded (and announced).
    pub(crate) fn mailbox_reader_report(
        &mut self,
        csq: CsqId,
        address: &str,
        error: Option<&str>,
    ) -> Result<Applied, Rejection> {
        let Some(mailbox) = self.mailboxes.get(&csq) else {
            return Err(Rejection::not_found("mailbox of CSQ", csq));
        };
        if !crate::text::equal_ignoring_case(&mailbox.address, address) {
            return Err(Rejection::invalid_state(format!("CSQ {csq}'s mailbox is {}, not {address}", mailbox.address)));
        }
        let error = error.map(|error| {
            let mut error: String = error.chars().take(MAIL_ERROR_LENGTH_MAX as usize).collect();
            error.retain(|c| !c.is_control() || c == ' ');
            error
        });
        let unchanged = self
            .mailbox_readers
            .get(&csq)
            .is_some_and(|status| status.error == error && crate::text::equal_ignoring_case(&status.address, address));
        if unchanged {
            return Ok(Applied::default());
        }
        let status = ReaderStatus { address: mailbox.address.clone(), error: error.clone(), since_ms: self.time_ms };
        self.mailbox_readers.insert(csq, status);
        Ok(Applied::event(Event::Email(EmailEvent::MailboxReaderChanged { csq, error })))
    }
}

/// The checks the node's parsing already made, made again where the state changes: a message
/// that fails them is a node bug, and the node stores it as malformed with this rejection's text.
fn inbound_checked(email: &InboundEmail) -> Result<(), Rejection> {
    let invalid = |message: String| Err(Rejection::new(RejectionCode::InvalidField, message));
    if email.uid == 0 || email.uid_validity == 0 {
        return invalid("uid and uid_validity must be positive (RFC 3501)".into());
    }
    if email.content_hash.len() != 64
        || !email.content_hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return invalid("content_hash must be 64 lowercase hexadecimal digits (SHA-256)".into());
    }
    let Some(envelope) = &email.envelope else { return Ok(()) };
    let within = |field: &str, value: Option<&str>, max: u32| match value {
        Some(value) if value.chars().count() > max as usize || value.chars().any(char::is_control) => {
            invalid(format!("{field} must be at most {max} characters without control characters"))
        }
        _ => Ok(()),
    };
    within("message_id", envelope.message_id.as_deref(), MAIL_MESSAGE_ID_LENGTH_MAX)?;
    within("in_reply_to", envelope.in_reply_to.as_deref(), MAIL_MESSAGE_ID_LENGTH_MAX)?;
    within("from", envelope.from.as_deref(), CUSTOMER_ADDRESS_LENGTH_MAX)?;
    within("reply_to", envelope.reply_to.as_deref(), CUSTOMER_ADDRESS_LENGTH_MAX)?;
    within("from_name", envelope.from_name.as_deref(), CUSTOMER_NAME_LENGTH_MAX)?;
    within("subject", envelope.subject.as_deref(), EMAIL_SUBJECT_LENGTH_MAX)?;
    if envelope.references.len() > MAIL_REFERENCES_MAX as usize {
        return invalid(format!("references: at most {MAIL_REFERENCES_MAX}"));
    }
    for reference in &envelope.references {
        within("references", Some(reference), MAIL_MESSAGE_ID_LENGTH_MAX)?;
    }
    for (field, list) in [("to", &envelope.to), ("cc", &envelope.cc)] {
        if list.len() > MAIL_RECIPIENTS_MAX as usize {
            return invalid(format!("{field}: at most {MAIL_RECIPIENTS_MAX} addresses"));
        }
        for address in list {
            within(field, Some(address), CUSTOMER_ADDRESS_LENGTH_MAX)?;
        }
    }
    Ok(())
}
