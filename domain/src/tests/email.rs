//! The email lifecycle: auto-accept, sticky routing with its timeout (default 4 h, 1–120 h),
//! subject changes, requeue exclusion, discard, sign-out and failover requeues.

use super::routing::{csq_with, digital_ready, handed, inject, login, parameters, spec_of, voice};
use super::script::Script;
use super::{agent, skills};
use crate::{AgentCommand, EmailCommand, EmailEvent, QueueCommand, QueueEvent, SystemCommand};
use crate::{
    AgentId, AgentStateRequest, Channel, Command, ContactId, ContactOutcome, ContactSpec, ContactState, CsqId,
    Deadline, Event, RejectionCode, Selection,
};

const ALICE: AgentId = AgentId(1);
const BRUNO: AgentId = AgentId(2);
const HOUR_MS: u64 = 3_600_000;

/// Skill 1; alice and bruno; email CSQs 1 and 2 and a chat CSQ 3; both logged in.
fn agents_only() -> Vec<Command> {
    let mut setup = skills(1);
    setup.extend([agent("alice", &[(1, 5)]), agent("bruno", &[(1, 5)])]);
    setup.push(csq_with("Support", Channel::Email, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(csq_with("Billing", Channel::Email, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(csq_with("Chat", Channel::Chat, Selection::LongestAvailable, &[(1, 1)]));
    setup.extend([login(1), login(2)]);
    setup
}

fn email(subject: &str) -> Command {
    Command::Queue(QueueCommand::InjectContact(ContactSpec {
        customer_address: Some("Dana@Example.com".into()),
        subject: Some(subject.into()),
        ..spec_of(inject(Channel::Email, 1))
    }))
}

fn state(script: &Script, contact: u64) -> ContactState {
    script.center.contact(ContactId(contact)).unwrap().state.clone()
}

fn assigned(script: &Script, contact: u64) -> Option<AgentId> {
    match state(script, contact) {
        ContactState::Active { agents } => agents.first().copied(),
        _ => None,
    }
}

fn closed_as(script: &Script, contact: u64) -> Option<ContactOutcome> {
    match state(script, contact) {
        ContactState::Closed { outcome, .. } => Some(outcome),
        _ => None,
    }
}

/// Alice answered "Invoice 42" from Dana; bruno is Ready longer than alice from here on.
fn answered_by_alice() -> Script {
    let mut script = Script::new(&agents_only());
    script.ok(digital_ready(1));
    script.ok(email("Invoice 42"));
    assert_eq!(assigned(&script, 1), Some(ALICE), "emails are auto-accepted");
    script.ok(Command::Email(EmailCommand::SendEmail { agent: ALICE, contact: ContactId(1) }));
    assert_eq!(closed_as(&script, 1), Some(ContactOutcome::Sent));
    assert_eq!(script.center.conversation_last_agent("dana@example.com", "invoice 42"), Some(ALICE));
    script.ok(Command::Agent(AgentCommand::SetDigitalState {
        agent: ALICE,
        state: crate::DigitalStateRequest::NotReady,
    }));
    script.ok(digital_ready(2));
    script
}

#[test]
fn a_reply_waits_for_the_last_agent_then_goes_to_the_csq_after_four_hours() {
    let mut script = answered_by_alice();
    let events = script.ok(email("RE: Re:  Invoice   42"));
    let due = script.now() + 4 * HOUR_MS;
    assert!(events.contains(&Event::Email(EmailEvent::EmailStickyWaiting {
        contact: ContactId(2),
        agent: ALICE,
        sticky_due_ms: due
    })));
    assert_eq!(state(&script, 2), ContactState::StickyWaiting { agent: ALICE }, "bruno is Ready but it waits");
    assert_eq!(script.center.agent_sticky_emails(ALICE), [ContactId(2)]);
    let epoch = script_epoch(&script, 2);
    let early = script
        .after(4 * HOUR_MS - 1)
        .ok(Command::System(SystemCommand::Expire { deadline: Deadline::Sticky(ContactId(2)), epoch }));
    assert!(early.is_empty());
    let events = script.expire_next();
    assert_eq!(handed(&events), [(2, 2)], "after the Sticky Email Timeout any agent may take it");
}

fn script_epoch(script: &Script, contact: u64) -> u64 {
    script.center.contact(ContactId(contact)).unwrap().timers.sticky.unwrap().epoch
}

#[test]
fn the_last_agent_takes_its_sticky_email_when_ready() {
    let mut script = answered_by_alice();
    script.ok(email("Fwd: invoice 42"));
    let events = script.ok(digital_ready(1));
    assert_eq!(handed(&events), [(2, 1)]);
    assert_eq!(script.center.deadline_next(), None, "the sticky timer stopped");
}

#[test]
fn the_sticky_timeout_is_copied_from_the_parameters() {
    let mut script = answered_by_alice();
    script.ok(parameters(|p| p.sticky_email_timeout_hours = 120));
    script.ok(email("Invoice 42"));
    assert_eq!(script.center.deadline_next().unwrap().due_ms, script.now() + 120 * HOUR_MS);
}

#[test]
fn a_changed_subject_skips_sticky_routing() {
    let mut script = answered_by_alice();
    let events = script.ok(email("Invoice 43"));
    assert_eq!(handed(&events), [(2, 2)]);
}

#[test]
fn a_requeued_email_never_returns_to_its_agent_and_skips_sticky() {
    let mut script = answered_by_alice();
    script.ok(Command::Agent(AgentCommand::SetDigitalState {
        agent: BRUNO,
        state: crate::DigitalStateRequest::NotReady,
    }));
    script.ok(digital_ready(1));
    script.ok(email("Invoice 42"));
    assert_eq!(assigned(&script, 2), Some(ALICE), "the last agent, Ready: at once");
    let rejection = script.refused(Command::Email(EmailCommand::RequeueEmail {
        agent: ALICE,
        contact: ContactId(2),
        csq: CsqId(3),
    }));
    assert_eq!(
        (rejection.code, rejection.message.as_str()),
        (RejectionCode::InvalidField, "csq: CSQ 3 is a chat CSQ, not email")
    );
    let rejection = script.refused(Command::Email(EmailCommand::RequeueEmail {
        agent: ALICE,
        contact: ContactId(2),
        csq: CsqId(9),
    }));
    assert_eq!(rejection.code, RejectionCode::UnknownCsq);
    let events =
        script.ok(Command::Email(EmailCommand::RequeueEmail { agent: ALICE, contact: ContactId(2), csq: CsqId(1) }));
    assert!(events.contains(&Event::Email(EmailEvent::EmailRequeued {
        contact: ContactId(2),
        agent: ALICE,
        from_csq: CsqId(1),
        to_csq: CsqId(1)
    })));
    assert_eq!(state(&script, 2), ContactState::Queued, "alice is the only Ready agent, and excluded");
    assert_eq!(handed(&script.ok(digital_ready(2))), [(2, 2)]);
    script.ok(Command::Email(EmailCommand::RequeueEmail { agent: BRUNO, contact: ContactId(2), csq: CsqId(2) }));
    assert_eq!(script.center.contact(ContactId(2)).unwrap().excluded_agents, [ALICE, BRUNO]);
    assert_eq!(script.center.contact(ContactId(2)).unwrap().csq, CsqId(2));
    assert_eq!(state(&script, 2), ContactState::Queued);
}

#[test]
fn discard_and_refusals_for_emails_not_held() {
    let mut script = Script::new(&agents_only());
    script.ok(digital_ready(1));
    script.ok(email("Hello"));
    let rejection = script.refused(Command::Email(EmailCommand::SendEmail { agent: BRUNO, contact: ContactId(1) }));
    assert_eq!(rejection.message, "email 1 is not assigned to agent 2");
    let rejection = script.refused(Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(1) }));
    assert_eq!(rejection.message, "an email has no customer session to leave");
    script.ok(Command::Email(EmailCommand::DiscardEmail { agent: ALICE, contact: ContactId(1) }));
    assert_eq!(closed_as(&script, 1), Some(ContactOutcome::Discarded));
    assert!(script.center.agent_status(ALICE).unwrap().emails.is_empty());
}

#[test]
fn email_capacity_holds_further_emails_in_the_queue() {
    let mut script = Script::new(&agents_only());
    script.ok(parameters(|p| p.max_email_sessions_per_agent = 2));
    script.ok(digital_ready(1));
    for _ in 0..3 {
        script.ok(email("Hello"));
    }
    assert_eq!(script.center.agent_status(ALICE).unwrap().emails, [ContactId(1), ContactId(2)]);
    assert_eq!(script.center.csq_queue(CsqId(1)), [ContactId(3)]);
    let events = script.ok(Command::Email(EmailCommand::SendEmail { agent: ALICE, contact: ContactId(1) }));
    assert_eq!(handed(&events), [(3, 1)], "a freed slot takes the next email");
}

#[test]
fn sign_out_requeues_to_the_same_csq_without_exclusion() {
    let mut script = Script::new(&agents_only());
    script.ok(digital_ready(1));
    script.ok(email("Hello"));
    script.ok(voice(1, AgentStateRequest::NotReady));
    script.ok(voice(1, AgentStateRequest::Logout));
    assert_eq!(state(&script, 1), ContactState::Queued);
    assert!(script.center.contact(ContactId(1)).unwrap().excluded_agents.is_empty());
    script.ok(login(1));
    assert_eq!(handed(&script.ok(digital_ready(1))), [(1, 1)], "the same agent may get it back");
}

#[test]
fn failover_requeues_and_reroutes_every_open_email() {
    let mut script = answered_by_alice();
    script.ok(email("Invoice 42"));
    script.ok(email("Other"));
    assert_eq!(state(&script, 2), ContactState::StickyWaiting { agent: ALICE });
    assert_eq!(assigned(&script, 3), Some(BRUNO));
    let events = script.ok(Command::Email(EmailCommand::RequeueOpenEmails));
    let queued: Vec<ContactId> = events
        .iter()
        .filter_map(|event| match event {
            Event::Queue(QueueEvent::ContactQueued { contact, .. }) => Some(*contact),
            _ => None,
        })
        .collect();
    assert_eq!(queued, [ContactId(2), ContactId(3)]);
    assert_eq!(handed(&events), [(2, 2), (3, 2)], "rerouted at once");
    assert_eq!(script.center.deadline_next(), None, "no sticky timer is left");
}

/// Invariant: a new leader on the same side changes nothing; on the other side, every open
/// email is requeued once, however often the new side is said; a bad side is refused.
#[test]
fn a_leader_on_another_side_requeues_open_emails_once() {
    let side = |side: &str| Command::Email(EmailCommand::LeaderSide { side: side.into() });
    let mut script = answered_by_alice();
    assert!(script.ok(side("a")).is_empty(), "the first leader only records its side");
    script.ok(email("Other"));
    assert_eq!(assigned(&script, 2), Some(BRUNO));
    assert!(script.ok(side("a")).is_empty(), "a new leader on the same side");
    assert_eq!(assigned(&script, 2), Some(BRUNO), "keeps its emails");
    let events = script.ok(side("b"));
    assert_eq!(events.first(), Some(&Event::Email(EmailEvent::ActiveSideChanged { from: "a".into(), to: "b".into() })));
    assert!(events.iter().any(
        |event| matches!(event, Event::Queue(QueueEvent::ContactQueued { contact, .. }) if *contact == ContactId(2))
    ));
    assert_eq!(script.center.active_side(), Some("b"));
    assert!(script.ok(side("b")).is_empty(), "said again: nothing more");
    assert_eq!(script.refused(side("c")).code, RejectionCode::InvalidField);
}

#[test]
fn deleting_the_last_agent_moves_its_sticky_emails_to_the_csq() {
    let mut script = answered_by_alice();
    script.ok(voice(1, AgentStateRequest::Logout));
    script.ok(Command::Agent(AgentCommand::SetDigitalState {
        agent: BRUNO,
        state: crate::DigitalStateRequest::NotReady,
    }));
    script.ok(email("Invoice 42"));
    assert_eq!(
        state(&script, 2),
        ContactState::StickyWaiting { agent: ALICE },
        "a logged-out last agent is waited for"
    );
    script.ok(Command::Agent(AgentCommand::DeleteAgent { id: ALICE }));
    assert_eq!(state(&script, 2), ContactState::Queued);
    assert_eq!(script.center.conversation_last_agent("dana@example.com", "invoice 42"), Some(ALICE));
    script.ok(email("Invoice 42"));
    assert_eq!(state(&script, 3), ContactState::Queued, "a deleted agent is not waited for");
}
