//! A raw message as the mailbox actor reads it over IMAP, through the node's own parser
//! (`node/src/mail/parse.rs`, compiled in here as it is) and then ingested: whatever the bytes,
//! parsing never panics, and the domain always applies what the parser proposes (a malformed
//! message is stored with its error), so one bad message can never stop a mailbox.
#![no_main]

#[path = "../../node/src/mail/parse.rs"]
#[allow(dead_code)]
mod parse;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tandem_domain::{
    Center, Command, ConfigCommand, CsqId, CsqSpec, EmailCommand, Entry, MailCredentials, MailEndpoint,
    MailSecurity, MailServer, MailServerKind, Mailbox, QueueCommand, SkillSpec,
};

const ADDRESS: &str = "support@example.com";

fn apply(center: &mut Center, command: Command) {
    let entry = Entry { request_id: None, time_ms: 1, command, by: Default::default() };
    assert!(center.apply(&entry).is_applied(), "the fuzz target's setup");
}

/// A center with one email CSQ and its mailbox, built once.
fn center() -> &'static Center {
    static CENTER: OnceLock<Center> = OnceLock::new();
    CENTER.get_or_init(|| {
        let mut center = Center::default();
        apply(&mut center, Command::Config(ConfigCommand::CreateSkill(SkillSpec { name: "Support".into() })));
        let csq: CsqSpec = serde_json::from_value(serde_json::json!({"name": "Email", "channel": "email",
            "selection": "longest_available", "skills": [{"skill": 1, "min_competence": 1}]}))
        .expect("a CSQ");
        apply(&mut center, Command::Queue(QueueCommand::CreateCsq(csq)));
        let endpoint = |port| MailEndpoint { host: "mail.example.com".into(), port, security: MailSecurity::Tls };
        let server = MailServer {
            kind: MailServerKind::Generic,
            imap: endpoint(993),
            smtp: endpoint(465),
            folders: None,
            description: None,
        };
        apply(&mut center, Command::Email(EmailCommand::SetMailServer(Box::new(server))));
        let mailbox = Mailbox {
            address: ADDRESS.into(),
            credentials: MailCredentials::Password { sealed_password: "s1.00".into() },
            folders: None,
            poll_interval_seconds: 180,
            snapshot_age_minutes: 120,
            auto_acknowledgement: None,
        };
        apply(&mut center, Command::Email(EmailCommand::SetMailbox { csq: CsqId(1), mailbox: Box::new(mailbox) }));
        center
    })
}

fuzz_target!(|raw: &[u8]| {
    let email = parse::inbound(CsqId(1), ADDRESS, 7, 1, raw);
    assert_eq!(email.envelope.is_some(), email.error.is_none(), "an envelope or an error, never both");
    let mut center = center().clone();
    let entry = Entry {
        request_id: None,
        time_ms: 2,
        command: Command::Email(EmailCommand::IngestEmail(Box::new(email.clone()))),
        by: Default::default(),
    };
    let outcome = center.apply(&entry);
    assert!(outcome.is_applied(), "the domain refused what the parser proposed: {outcome:?}\n{email:?}");
});
