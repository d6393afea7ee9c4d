//! The mail server and email CSQs' mailboxes (seeds-uccx.md §2.4–2.5): host names only, the
//! spec's ranges for the poll interval and the snapshot age, one mailbox per address, a mail
//! server before any mailbox, and nothing removed while something uses it.

use super::{center_from, check, csq, entry, row, skill, Expect};
use crate::{
    Channel, Command, CsqId, EmailCommand, MailCredentials, MailEndpoint, MailSecurity, MailServer, MailServerKind,
    Mailbox, QueueCommand, RejectionCode,
};
use Expect::{Applied, Rejected};

fn server(imap_host: &str) -> MailServer {
    MailServer {
        kind: MailServerKind::Exchange,
        imap: MailEndpoint { host: imap_host.into(), port: 993, security: MailSecurity::Tls },
        smtp: MailEndpoint { host: "smtp.example.com".into(), port: 587, security: MailSecurity::Starttls },
        folders: None,
        description: Some("Exchange 2019".into()),
    }
}

fn set_server(imap_host: &str) -> Command {
    Command::Email(EmailCommand::SetMailServer(Box::new(server(imap_host))))
}

fn mailbox(address: &str, poll: u32, snapshot: u32) -> Mailbox {
    Mailbox {
        address: address.into(),
        credentials: MailCredentials::Password { sealed_password: "s1.00aa".into() },
        folders: None,
        poll_interval_seconds: poll,
        snapshot_age_minutes: snapshot,
        auto_acknowledgement: None,
    }
}

fn set_mailbox(csq: u64, mailbox: Mailbox) -> Command {
    Command::Email(EmailCommand::SetMailbox { csq: CsqId(csq), mailbox: Box::new(mailbox) })
}

fn plain(csq: u64, address: &str) -> Command {
    set_mailbox(csq, mailbox(address, 180, 120))
}

/// A skill, email CSQs 1 and 2, voice CSQ 3; with `server`, the mail server too.
fn setup(server: bool) -> Vec<Command> {
    let mut commands = vec![
        skill("Support"),
        csq("Email 1", Channel::Email, &[(1, 1)]),
        csq("Email 2", Channel::Email, &[(1, 1)]),
        csq("Voice", Channel::Voice, &[(1, 1)]),
    ];
    if server {
        commands.push(set_server("mail.example.com"));
    }
    commands
}

fn with(mut setup: Vec<Command>, more: Command) -> Vec<Command> {
    setup.push(more);
    setup
}

#[test]
fn mail_server_rules() {
    let endpoint_port = |port: u16| {
        let mut server = server("mail.example.com");
        server.smtp.port = port;
        Command::Email(EmailCommand::SetMailServer(Box::new(server)))
    };
    check(vec![
        row("a host name", setup(false), set_server("mail.example.com"), Applied),
        row("localhost", setup(false), set_server("localhost"), Applied),
        row(
            "an IPv4 address",
            setup(false),
            set_server("192.0.2.7"),
            Rejected(RejectionCode::InvalidField, "not an IP address"),
        ),
        row(
            "an IPv6 address",
            setup(false),
            set_server("[2001:db8::1]"),
            Rejected(RejectionCode::InvalidField, "not an IP address"),
        ),
        row(
            "spaces",
            setup(false),
            set_server("mail server"),
            Rejected(RejectionCode::InvalidField, "imap.host must be a host name"),
        ),
        row(
            "a leading hyphen",
            setup(false),
            set_server("-mail.example.com"),
            Rejected(RejectionCode::InvalidField, "host name"),
        ),
        row(
            "empty",
            setup(false),
            set_server(" "),
            Rejected(RejectionCode::InvalidField, "imap.host must not be empty"),
        ),
        row("port 0", setup(false), endpoint_port(0), Rejected(RejectionCode::InvalidField, "smtp.port")),
        row(
            "no server to delete",
            setup(false),
            Command::Email(EmailCommand::DeleteMailServer),
            Rejected(RejectionCode::NotFound, "no mail server"),
        ),
        row(
            "the server while a mailbox uses it",
            with(setup(true), plain(1, "support@example.com")),
            Command::Email(EmailCommand::DeleteMailServer),
            Rejected(RejectionCode::InUse, "the mail server is in use by the mailbox of CSQ 1"),
        ),
        row("the server with no mailbox", setup(true), Command::Email(EmailCommand::DeleteMailServer), Applied),
    ]);
}

#[test]
fn mailbox_rules() {
    check(vec![
        row("a mailbox", setup(true), plain(1, "support@example.com"), Applied),
        row(
            "before the mail server",
            setup(false),
            plain(1, "support@example.com"),
            Rejected(RejectionCode::InvalidState, "configure the mail server"),
        ),
        row(
            "on a voice CSQ",
            setup(true),
            plain(3, "voice@example.com"),
            Rejected(RejectionCode::InvalidField, "only an email CSQ"),
        ),
        row("on no CSQ", setup(true), plain(9, "nobody@example.com"), Rejected(RejectionCode::NotFound, "CSQ 9")),
        row(
            "an address another CSQ has",
            with(setup(true), plain(1, "support@example.com")),
            plain(2, "Support@Example.com"),
            Rejected(RejectionCode::DuplicateValue, "already the mailbox of CSQ 1"),
        ),
        row(
            "the same CSQ again",
            with(setup(true), plain(1, "support@example.com")),
            plain(1, "help@example.com"),
            Applied,
        ),
        row(
            "no @",
            setup(true),
            plain(1, "support.example.com"),
            Rejected(RejectionCode::InvalidField, "email address"),
        ),
        row(
            "a header injection",
            setup(true),
            plain(1, "a@example.com\r\nBcc: x@evil.com"),
            Rejected(RejectionCode::InvalidField, "control characters"),
        ),
        row(
            "angle brackets",
            setup(true),
            plain(1, "<a@example.com>"),
            Rejected(RejectionCode::InvalidField, "email address"),
        ),
        row("poll 60 s", setup(true), set_mailbox(1, mailbox("a@example.com", 60, 120)), Applied),
        row("poll 3600 s", setup(true), set_mailbox(1, mailbox("a@example.com", 3600, 120)), Applied),
        row(
            "poll 59 s",
            setup(true),
            set_mailbox(1, mailbox("a@example.com", 59, 120)),
            Rejected(RejectionCode::InvalidField, "poll_interval_seconds must be between 60 and 3600 (got 59)"),
        ),
        row(
            "poll 3601 s",
            setup(true),
            set_mailbox(1, mailbox("a@example.com", 3601, 120)),
            Rejected(RejectionCode::InvalidField, "between 60 and 3600"),
        ),
        row("snapshot 60 min", setup(true), set_mailbox(1, mailbox("a@example.com", 180, 60)), Applied),
        row("snapshot 43200 min", setup(true), set_mailbox(1, mailbox("a@example.com", 180, 43_200)), Applied),
        row(
            "snapshot 59 min",
            setup(true),
            set_mailbox(1, mailbox("a@example.com", 180, 59)),
            Rejected(RejectionCode::InvalidField, "snapshot_age_minutes must be between 60 and 43200"),
        ),
        row(
            "snapshot 43201 min",
            setup(true),
            set_mailbox(1, mailbox("a@example.com", 180, 43_201)),
            Rejected(RejectionCode::InvalidField, "between 60 and 43200"),
        ),
        row(
            "a credential that is not sealed text",
            setup(true),
            set_mailbox(
                1,
                Mailbox {
                    credentials: MailCredentials::Password { sealed_password: String::new() },
                    ..mailbox("a@example.com", 180, 120)
                },
            ),
            Rejected(RejectionCode::InvalidField, "password must be sealed text"),
        ),
        row(
            "OAuth over plain HTTP",
            setup(true),
            set_mailbox(
                1,
                Mailbox {
                    credentials: MailCredentials::Oauth2 {
                        token_endpoint: "http://login.example.com/token".into(),
                        client_id: "tandem".into(),
                        sealed_client_secret: "s1.01".into(),
                        sealed_refresh_token: None,
                        scope: "https://mail.google.com/".into(),
                    },
                    ..mailbox("a@example.com", 180, 120)
                },
            ),
            Rejected(RejectionCode::InvalidField, "https://"),
        ),
        row(
            "deleting a CSQ with a mailbox",
            with(setup(true), plain(1, "support@example.com")),
            Command::Queue(QueueCommand::DeleteCsq { id: CsqId(1) }),
            Rejected(RejectionCode::InUse, "mailbox support@example.com"),
        ),
        row(
            "deleting a mailbox",
            with(setup(true), plain(1, "support@example.com")),
            Command::Email(EmailCommand::DeleteMailbox { csq: CsqId(1) }),
            Applied,
        ),
        row(
            "deleting no mailbox",
            setup(true),
            Command::Email(EmailCommand::DeleteMailbox { csq: CsqId(1) }),
            Rejected(RejectionCode::NotFound, "mailbox of CSQ 1"),
        ),
    ]);
}

/// The view events and the API carry: the folders in use and the kind of credential, never
/// the sealed credential.
#[test]
fn a_mailbox_is_shown_without_its_credentials_and_with_the_folders_in_use() {
    let mut center = center_from("setup", &setup(true));
    assert!(center.apply(&entry(plain(1, "support@example.com"))).is_applied());
    let view = center.mailbox_view(CsqId(1)).expect("a view");
    assert_eq!(view.authentication, "password");
    assert_eq!(
        (view.folders.inbox.as_str(), view.folders.sent_items.as_str()),
        ("Inbox", "Sent Items"),
        "Exchange's defaults"
    );
    let shown = serde_json::to_string(&view).expect("json");
    assert!(!shown.contains("s1."), "{shown}");
    let outcome = center.apply(&entry(plain(2, "sales@example.com")));
    let events = serde_json::to_string(&outcome).expect("json");
    assert!(events.contains("MailboxUpdated") && !events.contains("s1."), "{events}");
    assert_eq!(
        center.mailbox(CsqId(1)).map(|mailbox| &mailbox.credentials),
        Some(&MailCredentials::Password { sealed_password: "s1.00aa".into() })
    );
}
