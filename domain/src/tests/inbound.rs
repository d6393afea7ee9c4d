//! Email ingest from a CSQ's mailbox (issue 14, seeds-ece.md §7.2): each message once, by
//! (UIDVALIDITY, UID) and after a renumbering by content; a malformed message stored for
//! administrators while the cursor moves on; a full center refuses and moves nothing.

use super::{center_from, csq, entry, json, skill};
use crate::{
    Channel, Command, ContactState, CsqId, EmailCommand, Envelope, InboundEmail, MailCredentials, MailCursor,
    MailEndpoint, MailSecurity, MailServer, MailServerKind, Mailbox,
};

const CSQ: CsqId = CsqId(1);
const ADDRESS: &str = "support@example.com";

/// Skill 1, email CSQ 1 with the mailbox `support@example.com` on a generic mail server.
pub(super) fn setup() -> Vec<Command> {
    let server = MailServer {
        kind: MailServerKind::Generic,
        imap: MailEndpoint { host: "mail.example.com".into(), port: 993, security: MailSecurity::Tls },
        smtp: MailEndpoint { host: "mail.example.com".into(), port: 587, security: MailSecurity::Starttls },
        folders: None,
        description: None,
    };
    let mailbox = Mailbox {
        address: ADDRESS.into(),
        credentials: MailCredentials::Password { sealed_password: "s1.00aa".into() },
        folders: None,
        poll_interval_seconds: 180,
        snapshot_age_minutes: 120,
        auto_acknowledgement: None,
    };
    vec![
        skill("Support"),
        csq("Email", Channel::Email, &[(1, 1)]),
        Command::Email(EmailCommand::SetMailServer(Box::new(server))),
        Command::Email(EmailCommand::SetMailbox { csq: CSQ, mailbox: Box::new(mailbox) }),
    ]
}

fn hash(n: u32) -> String {
    format!("{n:064x}")
}

fn email(uid_validity: u32, uid: u32, content: u32) -> InboundEmail {
    InboundEmail {
        csq: CSQ,
        mailbox: ADDRESS.into(),
        uid_validity,
        uid,
        content_hash: hash(content),
        size: 1_000,
        envelope: Some(Envelope {
            message_id: Some(format!("m{content}@customer.example")),
            from: Some("ann@customer.example".into()),
            from_name: Some("Ann".into()),
            subject: Some(format!("Order {content}")),
            ..Envelope::default()
        }),
        error: None,
    }
}

fn ingest(center: &mut crate::Center, email: InboundEmail) -> bool {
    center.apply(&entry(Command::Email(EmailCommand::IngestEmail(Box::new(email))))).is_applied()
}

fn email_contacts(center: &crate::Center) -> usize {
    center.contacts().filter(|contact| contact.channel == Channel::Email).count()
}

/// Invariant: every message is ingested once, whoever proposes it and however often: a retry
/// or a new leader reading the folder again changes nothing.
#[test]
fn each_message_is_ingested_once_by_uidvalidity_and_uid() {
    let mut center = center_from("ingest", &setup());
    assert!(ingest(&mut center, email(7, 1, 1)));
    assert!(ingest(&mut center, email(7, 2, 2)));
    assert_eq!(email_contacts(&center), 2);
    let contact = center.contacts().find(|contact| contact.subject.as_deref() == Some("Order 1")).expect("routed");
    assert_eq!(contact.customer.address.as_deref(), Some("ann@customer.example"));
    assert_eq!(contact.state, ContactState::Queued);
    assert_eq!(center.email_envelope(contact.id).map(|email| email.uid), Some(1));

    let before = json(&center);
    assert!(ingest(&mut center, email(7, 1, 1)), "a duplicate is no error");
    assert!(ingest(&mut center, email(7, 2, 2)));
    assert_eq!(email_contacts(&center), 2, "nothing routed twice");
    let view = center.mail_inbound(CSQ).expect("ingest state");
    assert_eq!((view.ingested, view.duplicates), (2, 2));
    assert_eq!(view.cursor, Some(MailCursor { uid_validity: 7, last_uid: 2 }));
    assert_eq!(center.mail_cursor(CSQ, "SUPPORT@example.com"), view.cursor, "addresses compare without case");
    assert_eq!(center.mail_cursor(CSQ, "other@example.com"), None);
    assert_ne!(json(&center), before, "only the duplicate count moved");
}

/// Invariant: after the server renumbers the folder (a new UIDVALIDITY), messages already
/// ingested are recognised by their content and not routed again; new ones are.
#[test]
fn after_a_uidvalidity_change_messages_are_recognised_by_content() {
    let mut center = center_from("renumbered", &setup());
    for uid in 1..=3 {
        assert!(ingest(&mut center, email(7, uid, uid)));
    }
    for (uid, content) in [(1, 1), (2, 2), (3, 3), (4, 4)] {
        assert!(ingest(&mut center, email(9, uid, content)));
    }
    assert_eq!(email_contacts(&center), 4, "three recognised, one new");
    let view = center.mail_inbound(CSQ).expect("ingest state");
    assert_eq!(view.cursor, Some(MailCursor { uid_validity: 9, last_uid: 4 }));
    assert_eq!(view.duplicates, 3);
}

/// Invariant: a message that cannot be parsed is stored with its error for administrators,
/// is not routed, and the cursor moves past it (it is never read again).
#[test]
fn a_malformed_message_is_stored_with_its_error_and_the_cursor_moves_on() {
    let mut center = center_from("malformed", &setup());
    let bad = InboundEmail { envelope: None, error: Some("no From header\u{7}".into()), ..email(7, 1, 1) };
    assert!(ingest(&mut center, bad.clone()));
    assert!(ingest(&mut center, bad), "read again: a duplicate");
    assert!(ingest(&mut center, email(7, 2, 2)));
    assert_eq!(email_contacts(&center), 1);
    let view = center.mail_inbound(CSQ).expect("ingest state");
    assert_eq!(view.errors.len(), 1);
    assert_eq!((view.errors[0].uid, view.errors[0].error.as_str()), (1, "no From header"));
    assert_eq!(view.cursor, Some(MailCursor { uid_validity: 7, last_uid: 2 }));
}

/// Bad input changes nothing: no mailbox, another address, a zero UID, a hash that is not
/// SHA-256, a subject past the limit, too many recipients.
#[test]
fn bad_ingests_are_refused_and_change_nothing() {
    let mut center = center_from("bad", &setup());
    let before = json(&center);
    let mut too_many = email(7, 1, 1);
    if let Some(envelope) = too_many.envelope.as_mut() {
        envelope.to = (0..21).map(|n| format!("r{n}@example.com")).collect();
    }
    let mut long_subject = email(7, 1, 1);
    if let Some(envelope) = long_subject.envelope.as_mut() {
        envelope.subject = Some("x".repeat(256));
    }
    let refused = [
        InboundEmail { csq: CsqId(2), ..email(7, 1, 1) },
        InboundEmail { mailbox: "other@example.com".into(), ..email(7, 1, 1) },
        email(7, 0, 1),
        email(0, 1, 1),
        InboundEmail { content_hash: "ABC".into(), ..email(7, 1, 1) },
        long_subject,
        too_many,
    ];
    for bad in refused {
        assert!(!ingest(&mut center, bad.clone()), "{bad:?}");
    }
    assert_eq!(json(&center), before);
}

/// A full center refuses the new contact and the cursor does not move, so the message is read
/// again later rather than lost.
#[test]
fn a_full_center_refuses_the_ingest_and_the_cursor_stays() {
    let mut center = center_from("full", &setup());
    for uid in 1..=crate::limits::CONTACT_OPEN_COUNT_MAX {
        assert!(ingest(&mut center, email(7, uid, uid)));
    }
    let before = json(&center);
    let next = crate::limits::CONTACT_OPEN_COUNT_MAX + 1;
    assert!(!ingest(&mut center, email(7, next, next)));
    assert_eq!(json(&center), before, "nothing moved");

    // The same for a mailbox whose address changed: its ingest state is not started afresh by
    // a refused ingest.
    let mut moved = center.clone();
    let mailbox = Mailbox {
        address: "help@example.com".into(),
        credentials: MailCredentials::Password { sealed_password: "s1.00aa".into() },
        folders: None,
        poll_interval_seconds: 180,
        snapshot_age_minutes: 120,
        auto_acknowledgement: None,
    };
    let set = Command::Email(EmailCommand::SetMailbox { csq: CSQ, mailbox: Box::new(mailbox) });
    assert!(moved.apply(&entry(set)).is_applied());
    let before = json(&moved);
    assert!(!ingest(&mut moved, InboundEmail { mailbox: "help@example.com".into(), ..email(8, 1, next) }));
    assert_eq!(json(&moved), before, "nothing moved for the new address either");
}

/// The reader's status (seeds-ece.md §7.2 item 6): a failure is the mailbox's visible status
/// with its words, recorded when it changes (the same failure again adds nothing), cleared when
/// the reader reads again; a report about another address is refused.
#[test]
fn the_readers_failures_are_the_mailboxs_visible_status() {
    let mut center = center_from("reader", &setup());
    let report = |error: Option<&str>, address: &str| {
        entry(Command::Email(EmailCommand::ReportMailboxReader {
            csq: CSQ,
            address: address.into(),
            error: error.map(str::to_owned),
        }))
    };
    let outcome = center.apply(&report(Some("localhost:993 refused the login: NO"), ADDRESS));
    assert_eq!(outcome.applied().map(|applied| applied.events.len()), Some(1));
    let status = center.mail_inbound(CSQ).and_then(|view| view.reader).expect("a status");
    assert_eq!(status.error.as_deref(), Some("localhost:993 refused the login: NO"));
    let again = center.apply(&report(Some("localhost:993 refused the login: NO"), ADDRESS));
    assert_eq!(again.applied().map(|applied| applied.events.len()), Some(0), "no change, no event");
    assert!(!center.apply(&report(None, "other@example.com")).is_applied(), "another mailbox's reader");
    assert!(center.apply(&report(None, ADDRESS)).is_applied());
    assert_eq!(center.mail_inbound(CSQ).and_then(|view| view.reader).and_then(|status| status.error), None);
}
