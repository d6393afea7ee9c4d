//! Replies through the outbox (issue 14, seeds-uccx.md §2.9, seeds-ece.md §7.3): the reply and
//! the email's close in one step, a Message-ID fixed before any send, the thread continued,
//! the signature appended, every attempt reported once, and bad input refused with nothing
//! changed.

use super::routing::{digital_ready, login};
use super::script::Script;
use super::{agent, csq, json};
use crate::{
    AgentId, Channel, Command, ContactId, ContactOutcome, ContactState, CsqId, CsqTags, EmailCommand, EmailReply,
    EmailSignatureSpec, Envelope, InboundEmail, OutboxId, OutboxState, RejectionCode, SendReport,
};

const ALICE: AgentId = AgentId(1);
const CSQ: CsqId = CsqId(1);
const ADDRESS: &str = "support@example.com";

/// A mailbox on CSQ 1 (`inbound::setup`), a second email CSQ without one, alice Ready for email, and one email
/// from Ann (Reply-To set) ingested and assigned to alice as contact 1.
fn assigned() -> Script {
    let mut setup = super::inbound::setup();
    setup.extend([
        csq("Other", Channel::Email, &[(1, 1)]),
        agent("alice", &[(1, 5)]),
        Command::Email(EmailCommand::CreateEmailSignature(EmailSignatureSpec {
            name: "Support".into(),
            content: "Support team, {{agent_alias}}".into(),
            tags: CsqTags::Csqs(vec![CSQ]),
        })),
        login(1),
        digital_ready(1),
    ]);
    let mut script = Script::new(&setup);
    let envelope = Envelope {
        message_id: Some("m2@customer.example".into()),
        from: Some("ann@customer.example".into()),
        from_name: Some("Ann".into()),
        reply_to: Some("ann.replies@customer.example".into()),
        to: vec![ADDRESS.into(), "sales@customer.example".into()],
        cc: vec!["boss@customer.example".into()],
        subject: Some("Order 7".into()),
        references: vec!["m1@customer.example".into()],
        ..Envelope::default()
    };
    script.ok(Command::Email(EmailCommand::IngestEmail(Box::new(InboundEmail {
        csq: CSQ,
        mailbox: ADDRESS.into(),
        uid_validity: 7,
        uid: 1,
        content_hash: format!("{:064x}", 1),
        size: 1_000,
        envelope: Some(envelope),
        error: None,
    }))));
    let contact = script.center.contact(ContactId(1)).expect("ingested");
    assert_eq!(contact.state, ContactState::Active { agents: vec![ALICE] }, "auto-accepted");
    script
}

fn reply(to: &[&str], subject: &str, body: &str) -> EmailReply {
    EmailReply {
        to: to.iter().map(|address| (*address).into()).collect(),
        cc: Vec::new(),
        bcc: Vec::new(),
        subject: subject.into(),
        body: body.into(),
    }
}

fn reply_command(reply: EmailReply) -> Command {
    Command::Email(EmailCommand::ReplyEmail { agent: ALICE, contact: ContactId(1), reply: Box::new(reply) })
}

/// Message `uid` in CSQ 1's inbox, with `envelope`.
fn ingest(uid: u32, envelope: Envelope) -> Command {
    Command::Email(EmailCommand::IngestEmail(Box::new(InboundEmail {
        csq: CSQ,
        mailbox: ADDRESS.into(),
        uid_validity: 7,
        uid,
        content_hash: format!("{uid:064x}"),
        size: 500,
        envelope: Some(envelope),
        error: None,
    })))
}

fn report(id: u64, message_id: &str, report: SendReport) -> Command {
    Command::Email(EmailCommand::ReportEmailSend { id: OutboxId(id), message_id: message_id.into(), report })
}

/// The draft answers the customer's Reply-To; "reply all" adds everyone else but the CSQ.
#[test]
fn a_draft_answers_reply_to_and_reply_all_adds_the_others() {
    let script = assigned();
    let draft = script.center.email_reply_draft(ContactId(1), false).expect("draft");
    assert_eq!(draft.to, ["ann.replies@customer.example"]);
    assert_eq!(draft.subject, "Re: Order 7");
    assert!(draft.cc.is_empty() && draft.bcc.is_empty());
    let all = script.center.email_reply_draft(ContactId(1), true).expect("draft");
    assert_eq!(all.to, ["ann.replies@customer.example", "ann@customer.example", "sales@customer.example"]);
    assert_eq!(all.cc, ["boss@customer.example"], "the CSQ's own address is not among them");
}

/// Invariant: the reply is queued and the email closed in the same command; the Message-ID is
/// fixed there; the thread continues; the CSQ's signature is appended with the agent's alias.
#[test]
fn a_reply_is_queued_with_its_message_id_and_the_email_closes() {
    let mut script = assigned();
    script.ok(reply_command(reply(&["ann@customer.example"], "Re: Order 7", "It ships today.")));
    let contact = script.center.contact(ContactId(1)).expect("kept");
    assert!(matches!(contact.state, ContactState::Closed { outcome: ContactOutcome::Sent, .. }));
    let entry = script.center.outbox_entry(OutboxId(1)).expect("queued").clone();
    assert_eq!(entry.from, ADDRESS);
    assert_eq!(entry.state, OutboxState::Queued);
    assert!(entry.message_id.starts_with("tandem.1.") && entry.message_id.ends_with("@example.com"));
    assert_eq!(entry.in_reply_to.as_deref(), Some("m2@customer.example"));
    assert_eq!(entry.references, ["m1@customer.example", "m2@customer.example"]);
    assert_eq!(entry.body, "It ships today.\n\n-- \nSupport team, alice");
    assert!(entry.is_pending());
    assert_eq!(entry.due_ms(), entry.created_ms, "a first attempt is due at once");
}

/// Invariant: an attempt is reported once; a transient error retries with a doubling delay, a
/// permanent one fails at once; a second "sent" (two leaders in the duplicate window) changes
/// nothing; reports about another message, or that do not apply, are refused and change nothing.
#[test]
fn attempts_are_reported_once_and_retry_with_a_growing_delay() {
    let mut script = assigned();
    script.ok(reply_command(reply(&["ann@customer.example"], "Re: Order 7", "Soon.")));
    let message_id = script.center.outbox_entry(OutboxId(1)).expect("queued").message_id.clone();

    let before = json(&script.center);
    let wrong =
        script.refused(report(1, "other@example.com", SendReport::Sent { reply: "250".into(), copied_to_sent: false }));
    assert_eq!(wrong.code, RejectionCode::InvalidField);
    assert_eq!(script.refused(report(9, &message_id, SendReport::CopiedToSent)).code, RejectionCode::NotFound);
    assert_eq!(script.refused(report(1, &message_id, SendReport::CopiedToSent)).code, RejectionCode::InvalidState);
    assert_eq!(json(&script.center), before, "refusals change nothing");

    script.ok(report(1, &message_id, SendReport::Retry { error: "421 try later".into() }));
    let first = script.center.outbox_entry(OutboxId(1)).expect("kept").clone();
    assert_eq!((first.attempts, first.last_error.as_deref()), (1, Some("421 try later")));
    assert_eq!(first.due_ms(), script.now() + 5_000);
    script.ok(report(1, &message_id, SendReport::Retry { error: "421 try later".into() }));
    let second = script.center.outbox_entry(OutboxId(1)).expect("kept").clone();
    assert_eq!(second.due_ms(), script.now() + 10_000, "the delay doubles");

    script.ok(report(1, &message_id, SendReport::Sent { reply: "250 2.0.0 Ok: queued".into(), copied_to_sent: false }));
    let sent = script.center.outbox_entry(OutboxId(1)).expect("kept").clone();
    assert!(matches!(sent.state, OutboxState::Sent { .. }));
    assert!(sent.is_pending(), "the copy to Sent Items is still to make");
    let before = json(&script.center);
    script.ok(report(1, &message_id, SendReport::Sent { reply: "250".into(), copied_to_sent: true }));
    assert_eq!(json(&script.center), before, "sent twice is sent once");
    assert_eq!(
        script.refused(report(1, &message_id, SendReport::Failed { error: "550".into() })).code,
        RejectionCode::InvalidState
    );
    script.ok(report(1, &message_id, SendReport::CopiedToSent));
    assert!(!script.center.outbox_entry(OutboxId(1)).expect("kept").is_pending());
}

/// Invariant: a permanent error fails the reply at once, and too many transient ones fail it.
#[test]
fn a_permanent_error_or_too_many_transient_ones_fail_the_reply() {
    let mut script = assigned();
    script.ok(reply_command(reply(&["ann@customer.example"], "Re: Order 7", "Soon.")));
    let message_id = script.center.outbox_entry(OutboxId(1)).expect("queued").message_id.clone();
    script.ok(report(1, &message_id, SendReport::Failed { error: "550 5.1.1 no such user".into() }));
    let failed = script.center.outbox_entry(OutboxId(1)).expect("kept");
    assert!(matches!(&failed.state, OutboxState::Failed { reason, .. } if reason == "550 5.1.1 no such user"));
    assert!(!failed.is_pending());

    let mut script = assigned();
    script.ok(reply_command(reply(&["ann@customer.example"], "Re: Order 7", "Soon.")));
    let message_id = script.center.outbox_entry(OutboxId(1)).expect("queued").message_id.clone();
    for _ in 0..crate::limits::OUTBOX_ATTEMPTS_MAX {
        script.ok(report(1, &message_id, SendReport::Retry { error: "connection refused".into() }));
    }
    let failed = script.center.outbox_entry(OutboxId(1)).expect("kept");
    assert!(
        matches!(&failed.state, OutboxState::Failed { reason, .. } if reason.starts_with("gave up after 12 attempts"))
    );
}

/// Bad input: header injection through an address or the subject, too many recipients, no
/// recipient, an empty body, a CSQ without a mailbox: each refused with its reason, nothing
/// changed, the email still the agent's.
#[test]
fn bad_replies_are_refused_and_change_nothing() {
    let mut script = assigned();
    let before = json(&script.center);
    let many: Vec<String> = (0..21).map(|n| format!("c{n}@customer.example")).collect();
    let rows: Vec<(&str, EmailReply, &str)> = vec![
        ("injected address", reply(&["ann@customer.example\r\nBcc: x@evil.example"], "Re", "x"), "to must"),
        ("injected subject", reply(&["ann@customer.example"], "Re\r\nBcc: x@evil.example", "x"), "subject must"),
        ("display name", reply(&["Ann <ann@customer.example>"], "Re", "x"), "to must be an email address"),
        ("no recipient", reply(&[], "Re", "x"), "to must name at least one address"),
        ("empty body", reply(&["ann@customer.example"], "Re", "  "), "body must not be empty"),
        ("21 recipients", EmailReply { to: many, ..reply(&[], "Re", "x") }, "to: at most 20 addresses (got 21)"),
        (
            "21 in bcc",
            EmailReply {
                bcc: (0..21).map(|n| format!("b{n}@customer.example")).collect(),
                ..reply(&["ann@customer.example"], "Re", "x")
            },
            "bcc: at most 20",
        ),
    ];
    for (rule, bad, text) in rows {
        let rejection = script.refused(reply_command(bad));
        assert_eq!(rejection.code, RejectionCode::InvalidField, "{rule}");
        assert!(rejection.message.contains(text), "{rule}: {}", rejection.message);
    }
    assert_eq!(json(&script.center), before, "nothing changed");

    script.ok(Command::Email(EmailCommand::RequeueEmail { agent: ALICE, contact: ContactId(1), csq: CsqId(2) }));
    let before = json(&script.center);
    let rejection = script.refused(reply_command(reply(&["ann@customer.example"], "Re", "x")));
    assert_eq!(rejection.code, RejectionCode::InvalidState, "requeued away: not alice's any more");
    assert_eq!(json(&script.center), before);
}

/// Sticky routing by thread (issue 14 item 3): a customer's answer naming alice's reply in
/// In-Reply-To waits for alice even from another address; the same thread with a changed
/// subject is a new conversation (seeds-uccx.md §2.6) and goes to whoever is free.
#[test]
fn an_answer_to_a_reply_waits_for_its_agent_by_thread_unless_the_subject_changed() {
    let mut script = assigned();
    script.ok(reply_command(reply(&["ann@customer.example"], "Re: Order 7", "It ships today.")));
    let message_id = script.center.outbox_entry(OutboxId(1)).expect("queued").message_id.clone();
    script.ok(Command::Agent(crate::AgentCommand::SetDigitalState {
        agent: ALICE,
        state: crate::DigitalStateRequest::NotReady,
    }));
    script.ok(agent("bruno", &[(1, 5)]));
    script.ok(login(2));
    script.ok(digital_ready(2));
    let answer = |uid: u32, from: &str, subject: &str| {
        ingest(
            uid,
            Envelope {
                message_id: Some(format!("a{uid}@customer.example")),
                from: Some(from.into()),
                subject: Some(subject.into()),
                in_reply_to: Some(message_id.clone()),
                references: vec!["m1@customer.example".into(), "m2@customer.example".into(), message_id.clone()],
                ..Envelope::default()
            },
        )
    };
    script.ok(answer(2, "ann@home.example", "RE: Order 7"));
    assert_eq!(
        script.center.contact(ContactId(2)).expect("ingested").state,
        ContactState::StickyWaiting { agent: ALICE },
        "found by its thread, from another address"
    );
    script.ok(answer(3, "ann@customer.example", "Another question"));
    assert_eq!(
        script.center.contact(ContactId(3)).expect("ingested").state,
        ContactState::Active { agents: vec![AgentId(2)] },
        "a changed subject is a new conversation: bruno, who is free, takes it"
    );
}

/// Invariants (seeds-ece.md §7.6 item 6): one auto-acknowledgement per ingested email, queued
/// in the ingest command itself, so a duplicate ingest (a retry, a new leader) queues none;
/// none for mail sent automatically, from a mailer daemon, or from the center's own address.
#[test]
fn each_ingested_email_is_acknowledged_once_and_loops_are_not_answered() {
    let mut setup = super::inbound::setup();
    setup.push(Command::Email(EmailCommand::SetMailbox {
        csq: CSQ,
        mailbox: Box::new(crate::Mailbox {
            address: ADDRESS.into(),
            credentials: crate::MailCredentials::Password { sealed_password: "s1.00aa".into() },
            folders: None,
            poll_interval_seconds: 180,
            snapshot_age_minutes: 120,
            auto_acknowledgement: Some(crate::AutoAcknowledgement {
                subject: "Received: {{subject}}".into(),
                body: "We have your email about {{subject}} and will answer soon.".into(),
            }),
        }),
    }));
    let mut script = Script::new(&setup);
    let ingest = |uid: u32, from: &str, automatic: bool| {
        ingest(
            uid,
            Envelope {
                message_id: Some(format!("m{uid}@customer.example")),
                from: Some(from.into()),
                subject: Some(format!("Order {uid}")),
                automatic,
                ..Envelope::default()
            },
        )
    };
    script.ok(ingest(1, "ann@customer.example", false));
    script.ok(ingest(1, "ann@customer.example", false));
    let acks: Vec<_> = script.center.outbox().cloned().collect();
    assert_eq!(acks.len(), 1, "one acknowledgement, the duplicate ingest queued none");
    let ack = &acks[0];
    assert!(ack.automatic && ack.agent.is_none());
    assert_eq!(
        (ack.to.as_slice(), ack.subject.as_str()),
        (["ann@customer.example".to_owned()].as_slice(), "Received: Order 1")
    );
    assert_eq!(ack.body, "We have your email about Order 1 and will answer soon.");
    assert_eq!(ack.in_reply_to.as_deref(), Some("m1@customer.example"));
    assert_eq!(ack.from, ADDRESS);

    script.ok(ingest(2, "bob@customer.example", true));
    script.ok(ingest(3, "MAILER-DAEMON@customer.example", false));
    script.ok(ingest(4, "Support@Example.com", false));
    assert_eq!(script.center.outbox().count(), 1, "no answer to automatic mail, daemons or ourselves");
    assert_eq!(script.center.contacts().filter(|contact| contact.channel == Channel::Email).count(), 4, "all routed");
}

/// Drafts (seeds-uccx.md §2.9): saved by the agent holding the email, partial allowed, bounded
/// like a reply; they go with the email when it is sent or discarded; bad drafts are refused.
#[test]
fn a_draft_is_kept_until_the_reply_is_sent() {
    let mut script = assigned();
    let save = |draft: EmailReply| {
        Command::Email(EmailCommand::SaveEmailDraft { agent: ALICE, contact: ContactId(1), draft: Box::new(draft) })
    };
    script.ok(save(reply(&[], "", "Half a sent")));
    let draft = script.center.email_draft(ContactId(1)).expect("saved").clone();
    assert_eq!((draft.agent, draft.reply.body.as_str(), draft.reply.to.len()), (ALICE, "Half a sent", 0));
    let before = json(&script.center);
    let injected = script.refused(save(reply(&["ann@customer.example\r\nBcc: x@evil.example"], "", "x")));
    assert_eq!(injected.code, RejectionCode::InvalidField);
    let other = Command::Email(EmailCommand::SaveEmailDraft {
        agent: AgentId(9),
        contact: ContactId(1),
        draft: Box::new(reply(&[], "", "x")),
    });
    assert_eq!(script.refused(other).code, RejectionCode::NotFound, "not an agent of this email");
    assert_eq!(json(&script.center), before, "refusals change nothing");
    script.ok(reply_command(reply(&["ann@customer.example"], "Re: Order 7", "Half a sentence, finished.")));
    assert!(script.center.email_draft(ContactId(1)).is_none(), "sent: the draft goes");
}

/// Forward (seeds-uccx.md §2.9): to anyone, at most 20 per field; Reply-To names the customer
/// so the forwardee answers them; the original is referenced for the sender to attach; the
/// email closes and its conversation does not remember the agent. An email injected over the
/// API has no original and cannot be forwarded.
#[test]
fn a_forward_attaches_the_original_and_names_the_customer_for_answers() {
    let mut script = assigned();
    let forward = |to: &[&str]| {
        Command::Email(EmailCommand::ForwardEmail {
            agent: ALICE,
            contact: ContactId(1),
            forward: Box::new(reply(to, "Fw: Order 7", "Can you help Ann?")),
        })
    };
    let many: Vec<String> = (0..21).map(|n| format!("s{n}@example.com")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(script.refused(forward(&many)).code, RejectionCode::InvalidField);
    script.ok(forward(&["sales@example.com"]));
    let entry = script.center.outbox_entry(OutboxId(1)).expect("queued").clone();
    assert_eq!(entry.to, ["sales@example.com"]);
    assert_eq!(entry.reply_to.as_deref(), Some("ann.replies@customer.example"));
    let original = entry.forwarded.expect("the original");
    assert_eq!(
        (original.uid_validity, original.uid, original.message_id.as_deref()),
        (7, 1, Some("m2@customer.example"))
    );
    assert_eq!(entry.in_reply_to, None, "a new thread with the forwardee");
    assert!(matches!(
        script.center.contact(ContactId(1)).expect("kept").state,
        ContactState::Closed { outcome: ContactOutcome::Sent, .. }
    ));
    assert_eq!(script.center.conversation_count(), 0, "no answer reached the customer");

    let mut script = Script::new(&[
        super::skill("Support"),
        csq("Email", Channel::Email, &[(1, 1)]),
        agent("alice", &[(1, 5)]),
        login(1),
        digital_ready(1),
    ]);
    script.ok(Command::Queue(crate::QueueCommand::InjectContact(crate::ContactSpec {
        channel: Channel::Email,
        csq: CSQ,
        priority: None,
        customer_name: None,
        customer_address: Some("ann@customer.example".into()),
        subject: Some("Order 7".into()),
    })));
    let rejection = script.refused(forward(&["sales@example.com"]));
    assert_eq!(rejection.code, RejectionCode::InvalidState, "{}", rejection.message);
}
