//! The outbox sender: on the leader only, it sends the replies the state holds queued, copies
//! them to the mailbox's Sent Items, and reports each attempt back through Raft (decision 0029).
//!
//! Every attempt at an entry sends the same bytes: the Message-ID and Date come from the log
//! and the MIME boundary from the Message-ID, so a resend is the same message, which receivers
//! can deduplicate. Before its first attempt at an entry this sender looks for the Message-ID in
//! Sent Items: a leader that died after the server's `250` and after the copy, but before
//! "sent" committed, left it there, and nothing is sent twice. Only a death between the `250`
//! and the copy sends a second time (seeds-ece.md §7.3's one duplicate window).
//!
//! Errors are sorted the way SMTP does: a permanent (5xx) reply fails the entry at once and the
//! agent is told; anything else (4xx, a connection or TLS failure, a timeout) is retried with
//! the domain's doubling delay.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox as Address, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tandem_domain::{
    Command, EmailCommand, MailCredentials, MailSecurity, MailServer, Mailbox, OutboundEmail, OutboxId, OutboxState,
    SendReport,
};

use super::imap::{self, Session, STEP_TIMEOUT};
use crate::http::AppState;

/// How often the sender looks for due entries.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// The sender's TLS trust: the public roots plus the mail CA file, as the IMAP side has it.
#[derive(Clone)]
pub struct Trust {
    pub imap: Arc<rustls::ClientConfig>,
    pub extra_roots: Option<Vec<u8>>,
}

/// Copies to Sent Items tried per sent reply before this sender stops trying (a missing or
/// read-only folder); the reply itself is sent, and the outbox shows it not copied.
const COPY_ATTEMPTS_MAX: u32 = 5;

/// What this sender remembers while it runs: which entries it has looked for in Sent Items,
/// and how often copying each failed.
#[derive(Default)]
struct Memory {
    checked: BTreeSet<OutboxId>,
    copy_failures: std::collections::BTreeMap<OutboxId, u32>,
}

/// Runs while this node leads: one pass over the due entries a second.
pub async fn run(state: AppState, trust: Trust) {
    let mut memory = Memory::default();
    let mut tick = tokio::time::interval(LOOK_EVERY);
    loop {
        tick.tick().await;
        let due: Vec<(OutboundEmail, MailServer, Mailbox)> = {
            let shared = state.replica.state();
            let read = shared.read();
            let center = &read.center;
            let now = center.time_ms();
            let Some(server) = center.mail_server() else { continue };
            let pending: BTreeSet<OutboxId> =
                center.outbox().filter(|entry| entry.is_pending()).map(|entry| entry.id).collect();
            memory.checked.retain(|id| pending.contains(id));
            memory.copy_failures.retain(|id, _| pending.contains(id));
            center
                .outbox()
                .filter(|entry| entry.is_pending() && entry.due_ms() <= now)
                .filter(|entry| {
                    memory.copy_failures.get(&entry.id).is_none_or(|failures| *failures < COPY_ATTEMPTS_MAX)
                })
                .filter_map(|entry| {
                    let mailbox = center.mailbox(entry.csq)?;
                    Some((entry.clone(), server.clone(), mailbox.clone()))
                })
                .collect()
        };
        for (entry, server, mailbox) in due {
            let Some(report) = attempt(&state, &trust, &mut memory, &entry, &server, &mailbox).await else { continue };
            if let SendReport::Retry { error } | SendReport::Failed { error } = &report {
                tracing::warn!(outbox = entry.id.0, csq = entry.csq.0, %error, "outbox");
            }
            if let Err(error) = submit_report(&state, &entry, report).await {
                tracing::warn!(outbox = entry.id.0, csq = entry.csq.0, %error, "outbox report");
            }
        }
    }
}

/// One entry, one step: look in Sent Items, send, copy. What to report (none: nothing to say
/// yet). Anything that stops an attempt before the server has the message is a transient
/// error the domain counts and backs off from: wrong credentials, an unreachable IMAP server.
async fn attempt(
    state: &AppState,
    trust: &Trust,
    memory: &mut Memory,
    entry: &OutboundEmail,
    server: &MailServer,
    mailbox: &Mailbox,
) -> Option<SendReport> {
    let retry = |error: String| Some(SendReport::Retry { error });
    let MailCredentials::Password { sealed_password } = &mailbox.credentials else {
        return retry("OAuth2 (XOAUTH2) mailboxes cannot send yet".into());
    };
    let password = match super::open_credential(
        &state.cluster_key,
        server,
        &mailbox.address,
        &mailbox.credentials,
        sealed_password,
    ) {
        Ok(password) => password,
        Err(error) => return retry(error.to_string()),
    };
    let folders = state.replica.state().read().center.mailbox_folders(mailbox);
    let original = match &entry.forwarded {
        Some(forwarded) => match original(trust, server, mailbox, &password, &folders.inbox, entry, forwarded).await {
            Ok(raw) => Some(raw),
            Err(error) => return retry(format!("reading the original to forward: {error}")),
        },
        None => None,
    };
    let message = match message(entry, original.as_deref()) {
        Ok(message) => message,
        Err(error) => return Some(SendReport::Failed { error }),
    };
    match entry.state {
        OutboxState::Queued => {
            if !memory.checked.contains(&entry.id) {
                match in_sent_items(trust, server, mailbox, &password, &folders.sent_items, entry).await {
                    Ok(true) => {
                        return Some(SendReport::Sent { reply: "found in Sent Items".into(), copied_to_sent: true })
                    }
                    Ok(false) => {
                        memory.checked.insert(entry.id);
                    }
                    Err(error) => return retry(format!("before sending, looking in Sent Items: {error}")),
                }
            }
            Some(match send(trust, server, &mailbox.address, &password, message.clone()).await {
                Ok(reply) => {
                    let copied = copy_to_sent(trust, server, mailbox, &password, &folders.sent_items, &message).await;
                    if let Err(error) = &copied {
                        tracing::warn!(outbox = entry.id.0, %error, "sent, but not copied to Sent Items yet");
                        memory.copy_failures.insert(entry.id, 1);
                    }
                    SendReport::Sent { reply, copied_to_sent: copied.is_ok() }
                }
                Err(SendError::Permanent(error)) => SendReport::Failed { error },
                Err(SendError::Transient(error)) => SendReport::Retry { error },
            })
        }
        OutboxState::Sent { .. } if !entry.copied_to_sent => {
            let copied = match in_sent_items(trust, server, mailbox, &password, &folders.sent_items, entry).await {
                Ok(true) => Ok(()),
                Ok(false) => copy_to_sent(trust, server, mailbox, &password, &folders.sent_items, &message).await,
                Err(error) => Err(error),
            };
            match copied {
                Ok(()) => Some(SendReport::CopiedToSent),
                Err(error) => {
                    let failures = memory.copy_failures.entry(entry.id).or_insert(0);
                    *failures += 1;
                    tracing::warn!(outbox = entry.id.0, %error, failures = *failures, "copying to Sent Items");
                    None
                }
            }
        }
        _ => None,
    }
}

/// The original of a forward, read from the mailbox and checked against its ingest hash.
async fn original(
    trust: &Trust,
    server: &MailServer,
    mailbox: &Mailbox,
    password: &str,
    inbox: &str,
    entry: &OutboundEmail,
    forwarded: &tandem_domain::ForwardedOriginal,
) -> Result<Vec<u8>, String> {
    let email = tandem_domain::InboundEmail {
        csq: entry.csq,
        mailbox: forwarded.mailbox.clone(),
        uid_validity: forwarded.uid_validity,
        uid: forwarded.uid,
        content_hash: forwarded.content_hash.clone(),
        size: 0,
        envelope: Some(tandem_domain::Envelope {
            message_id: forwarded.message_id.clone(),
            ..tandem_domain::Envelope::default()
        }),
        error: None,
    };
    super::read::fetch(trust.imap.clone(), server, mailbox, password, inbox, &email).await
}

async fn submit_report(state: &AppState, entry: &OutboundEmail, report: SendReport) -> Result<(), String> {
    let command =
        Command::Email(EmailCommand::ReportEmailSend { id: entry.id, message_id: entry.message_id.clone(), report });
    match crate::http::submit_as(state, crate::http::generated_request_id(), command).await {
        Ok(tandem_domain::Outcome::Applied(_)) => Ok(()),
        Ok(tandem_domain::Outcome::Rejected(rejection)) => Err(format!("report refused: {}", rejection.message)),
        Err(error) => Err(format!("report not committed: {}", error.message)),
    }
}

/// The message every attempt sends: From the CSQ, the thread's headers, Date from the log, a
/// text part and an HTML part (replies are HTML, seeds-uccx.md §2.9) under a boundary derived
/// from the Message-ID.
pub fn message(entry: &OutboundEmail, original: Option<&[u8]>) -> Result<Message, String> {
    let address = |text: &str| text.parse::<Address>().map_err(|error| format!("address {text:?}: {error}"));
    let mut builder = Message::builder()
        .from(address(&entry.from)?)
        .subject(entry.subject.clone())
        .message_id(Some(format!("<{}>", entry.message_id)))
        .date(SystemTime::UNIX_EPOCH + Duration::from_millis(entry.created_ms));
    for to in &entry.to {
        builder = builder.to(address(to)?);
    }
    for cc in &entry.cc {
        builder = builder.cc(address(cc)?);
    }
    for bcc in &entry.bcc {
        builder = builder.bcc(address(bcc)?);
    }
    if let Some(reply_to) = &entry.reply_to {
        builder = builder.reply_to(address(reply_to)?);
    }
    if let Some(in_reply_to) = &entry.in_reply_to {
        builder = builder.in_reply_to(format!("<{in_reply_to}>"));
    }
    if entry.automatic {
        // RFC 3834: mail servers and autoresponders must not answer this one.
        let name = lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted");
        builder = builder.raw_header(lettre::message::header::HeaderValue::new(name, "auto-replied".into()));
    }
    if !entry.references.is_empty() {
        let references: Vec<String> = entry.references.iter().map(|reference| format!("<{reference}>")).collect();
        builder = builder.references(references.join(" "));
    }
    let boundary = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(entry.message_id.as_bytes());
        let hex: String = digest.iter().take(12).map(|byte| format!("{byte:02x}")).collect();
        format!("tandem-{hex}")
    };
    let body = MultiPart::alternative()
        .boundary(boundary.clone())
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(entry.body.clone()))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html_of(&entry.body)));
    let Some(original) = original else {
        return builder.multipart(body).map_err(|error| format!("building the message: {error}"));
    };
    // A forward: the customer's original attached whole, 8-bit as RFC 2046 wants for
    // message/rfc822 where its lines allow, else base64.
    let kind = ContentType::parse("message/rfc822").map_err(|error| format!("message/rfc822: {error}"))?;
    let attached = match lettre::message::Body::new_with_encoding(
        original.to_vec(),
        lettre::message::header::ContentTransferEncoding::EightBit,
    ) {
        Ok(body) => body,
        Err(bytes) => lettre::message::Body::new(bytes),
    };
    let mixed = MultiPart::mixed()
        .boundary(format!("{boundary}-mixed"))
        .multipart(body)
        .singlepart(lettre::message::Attachment::new("original.eml".into()).body(attached, kind));
    builder.multipart(mixed).map_err(|error| format!("building the message: {error}"))
}

/// The agent's text as HTML: escaped, line breaks kept.
fn html_of(text: &str) -> String {
    let escaped = ammonia::clean_text(text);
    format!("<!DOCTYPE html><html><body><div style=\"white-space: pre-wrap\">{escaped}</div></body></html>")
}

enum SendError {
    Permanent(String),
    Transient(String),
}

async fn send(
    trust: &Trust,
    server: &MailServer,
    user: &str,
    password: &str,
    message: Message,
) -> Result<String, SendError> {
    let transient = |error: String| SendError::Transient(error);
    let transport = transport(trust, server, user, password).map_err(transient)?;
    match transport.send(message).await {
        Ok(response) => {
            let text: Vec<&str> = response.message().collect();
            Ok(format!("{} {}", response.code(), text.join(" ")))
        }
        Err(error) if error.is_permanent() => Err(SendError::Permanent(error.to_string())),
        Err(error) => Err(transient(error.to_string())),
    }
}

/// An SMTP submission client for `server` as `user`: TLS from the first byte or STARTTLS,
/// never plain text, checked against the same roots as IMAP.
pub(super) fn transport(
    trust: &Trust,
    server: &MailServer,
    user: &str,
    password: &str,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let mut tls = TlsParameters::builder(server.smtp.host.clone());
    if let Some(pem) = &trust.extra_roots {
        tls = tls.add_root_certificate(Certificate::from_pem(pem).map_err(|error| format!("mail_ca_file: {error}"))?);
    }
    let tls = tls.build_rustls().map_err(|error| format!("TLS settings: {error}"))?;
    Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.smtp.host.as_str())
        .port(server.smtp.port)
        .tls(match server.smtp.security {
            MailSecurity::Tls => Tls::Wrapper(tls),
            MailSecurity::Starttls => Tls::Required(tls),
        })
        .credentials(Credentials::new(user.to_owned(), password.to_owned()))
        .timeout(Some(STEP_TIMEOUT))
        .build())
}

async fn session(trust: &Trust, server: &MailServer, user: &str, password: &str) -> Result<Session, String> {
    imap::login(&server.imap, trust.imap.clone(), user, password).await.map_err(|error| error.to_string())
}

/// Whether Sent Items holds a message with the entry's Message-ID.
async fn in_sent_items(
    trust: &Trust,
    server: &MailServer,
    mailbox: &Mailbox,
    password: &str,
    folder: &str,
    entry: &OutboundEmail,
) -> Result<bool, String> {
    let mut session = session(trust, server, &mailbox.address, password).await?;
    let found = async {
        session.examine(folder).await.map_err(|error| format!("opening {folder:?}: {error}"))?;
        let query = format!("HEADER Message-ID \"<{}>\"", entry.message_id);
        session.uid_search(query).await.map_err(|error| format!("searching {folder:?}: {error}"))
    };
    let found = tokio::time::timeout(STEP_TIMEOUT, found).await.map_err(|_| "searching Sent Items timed out")??;
    let _ = tokio::time::timeout(STEP_TIMEOUT, session.logout()).await;
    Ok(!found.is_empty())
}

async fn copy_to_sent(
    trust: &Trust,
    server: &MailServer,
    mailbox: &Mailbox,
    password: &str,
    folder: &str,
    message: &Message,
) -> Result<(), String> {
    let mut session = session(trust, server, &mailbox.address, password).await?;
    let appended = session.append(folder, Some("(\\Seen)"), None, message.formatted());
    tokio::time::timeout(STEP_TIMEOUT, appended)
        .await
        .map_err(|_| "copying to Sent Items timed out")?
        .map_err(|error| format!("copying to {folder:?}: {error}"))?;
    let _ = tokio::time::timeout(STEP_TIMEOUT, session.logout()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_domain::{AgentId, ContactId, CsqId};

    fn entry() -> OutboundEmail {
        OutboundEmail {
            id: OutboxId(3),
            csq: CsqId(1),
            contact: ContactId(9),
            agent: Some(AgentId(1)),
            automatic: false,
            message_id: "tandem.3.1700000000000@example.com".into(),
            from: "support@example.com".into(),
            to: vec!["ann@customer.example".into()],
            cc: vec!["boss@customer.example".into()],
            bcc: vec!["audit@example.com".into()],
            subject: "Re: Order 7 <b>ünïcode</b>".into(),
            reply_to: None,
            forwarded: None,
            in_reply_to: Some("m2@customer.example".into()),
            references: vec!["m1@customer.example".into(), "m2@customer.example".into()],
            body: "It ships <today>.\n\n-- \nSupport".into(),
            created_ms: 1_700_000_000_000,
            attempts: 0,
            last_attempt_ms: None,
            last_error: None,
            state: OutboxState::Queued,
            copied_to_sent: false,
        }
    }

    /// Invariant: every attempt sends the same bytes (a resend is recognisably the same
    /// message), with the thread's headers, and the Bcc list never in the headers.
    #[test]
    fn every_attempt_builds_the_same_message() {
        let first = message(&entry(), None).expect("built").formatted();
        let again = message(&entry(), None).expect("built").formatted();
        assert_eq!(first, again, "byte for byte");
        let text = String::from_utf8_lossy(&first);
        assert!(text.contains("Message-ID: <tandem.3.1700000000000@example.com>"), "{text}");
        assert!(text.contains("In-Reply-To: <m2@customer.example>"), "{text}");
        assert!(text.contains("References: <m1@customer.example> <m2@customer.example>"), "{text}");
        assert!(text.contains("Date: Tue, 14 Nov 2023 22:13:20 +0000"), "{text}");
        assert!(!text.contains("audit@example.com"), "Bcc stays out of the headers: {text}");
        assert!(text.contains("&lt;today&gt;"), "the HTML part escapes the text: {text}");
        let parsed = mail_parser::MessageParser::default().parse(&first).expect("parses");
        assert_eq!(parsed.subject(), Some("Re: Order 7 <b>ünïcode</b>"));
        let body = parsed.body_text(0).map(|text| text.replace("\r\n", "\n"));
        assert_eq!(body.as_deref().map(str::trim_end), Some("It ships <today>.\n\n-- \nSupport"));
    }
}
