//! CSQ queues and agent selection: the spec's worked examples (Most Skilled 12 and 5), Longest
//! Available, the written tie rule, queue order, the eligibility rules, dynamic reskilling
//! and channel parameter snapshots.

use super::script::Script;
use super::{agent, agent_spec, check, csq_spec, row, skills, Expect};
use crate::QueueCommand;
use crate::{AgentCommand, ConfigCommand, QueueEvent, VoiceCommand};
use crate::{
    AgentId, AgentStateRequest, Channel, ChannelParameters, Command, ContactId, ContactSpec, ContactState, CsqId,
    CsqSpec, DigitalStateRequest, Event, RejectionCode, Selection,
};
use Expect::{Applied, Rejected};

pub(super) fn csq_with(name: &str, channel: Channel, selection: Selection, requirements: &[(u64, u8)]) -> Command {
    Command::Queue(QueueCommand::CreateCsq(CsqSpec { selection, ..csq_spec(name, channel, requirements) }))
}

pub(super) fn login(agent: u64) -> Command {
    Command::Agent(AgentCommand::SetAgentState { agent: AgentId(agent), state: AgentStateRequest::Login, reason: None })
}

pub(super) fn voice(agent: u64, state: AgentStateRequest) -> Command {
    Command::Agent(AgentCommand::SetAgentState { agent: AgentId(agent), state, reason: None })
}

pub(super) fn ready(agent: u64) -> Command {
    voice(agent, AgentStateRequest::Ready)
}

pub(super) fn digital_ready(agent: u64) -> Command {
    Command::Agent(AgentCommand::SetDigitalState { agent: AgentId(agent), state: DigitalStateRequest::Ready })
}

pub(super) fn inject(channel: Channel, csq: u64) -> Command {
    Command::Queue(QueueCommand::InjectContact(ContactSpec {
        channel,
        csq: CsqId(csq),
        priority: None,
        customer_name: None,
        customer_address: None,
        subject: None,
    }))
}

pub(super) fn inject_with(channel: Channel, csq: u64, priority: u8) -> Command {
    Command::Queue(QueueCommand::InjectContact(ContactSpec {
        priority: Some(priority),
        ..spec_of(inject(channel, csq))
    }))
}

pub(super) fn spec_of(command: Command) -> ContactSpec {
    match command {
        Command::Queue(QueueCommand::InjectContact(spec)) => spec,
        other => panic!("not an injection: {other:?}"),
    }
}

pub(super) fn parameters(change: impl FnOnce(&mut ChannelParameters)) -> Command {
    let mut parameters = ChannelParameters::default();
    change(&mut parameters);
    Command::Config(ConfigCommand::SetChannelParameters(parameters))
}

/// The (contact, agent) pairs a command handed out, offers and assignments alike.
pub(super) fn handed(events: &[Event]) -> Vec<(u64, u64)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Queue(QueueEvent::ContactOffered { contact, agent, .. }) => Some((contact.0, agent.0)),
            Event::Queue(QueueEvent::ContactAccepted { contact, agent, channel: Channel::Email, .. }) => {
                Some((contact.0, agent.0))
            }
            _ => None,
        })
        .collect()
}

/// Skills 1–3; agent 1 is the spec's example (Skill1 5, Skill2 6, Skill3 7); agent 2 has
/// Skill1 6 and Skill3 5 (11 for both skills, 6 for Skill1). CSQ 1 (chat, Most Skilled)
/// requires Skill1 and Skill3 at 1; CSQ 2 (chat, Most Skilled) requires Skill1 only.
fn worked_example() -> Vec<Command> {
    let mut setup = skills(3);
    setup.push(agent("alice", &[(1, 5), (2, 6), (3, 7)]));
    setup.push(agent("bruno", &[(1, 6), (3, 5)]));
    setup.push(csq_with("Both", Channel::Chat, Selection::MostSkilled, &[(1, 1), (3, 1)]));
    setup.push(csq_with("Skill1", Channel::Chat, Selection::MostSkilled, &[(1, 1)]));
    for agent in [1, 2] {
        setup.push(login(agent));
        setup.push(digital_ready(agent));
    }
    setup
}

#[test]
fn most_skilled_worked_examples_total_12_and_5() {
    let mut script = Script::new(&worked_example());
    assert_eq!(script.center.csq_resources(CsqId(1)), [(AgentId(1), 12), (AgentId(2), 11)], "Skill1(5) + Skill3(7)");
    assert_eq!(script.center.csq_resources(CsqId(2)), [(AgentId(1), 5), (AgentId(2), 6)], "Skill1 only: 5");
    assert_eq!(handed(&script.ok(inject(Channel::Chat, 1))), [(1, 1)], "12 beats 11");
    assert_eq!(handed(&script.ok(inject(Channel::Chat, 2))), [(2, 2)], "6 beats 5");
}

#[test]
fn longest_available_takes_the_agent_ready_longest() {
    let mut setup = skills(1);
    setup.extend([agent("alice", &[(1, 5)]), agent("bruno", &[(1, 5)]), agent("chen", &[(1, 9)])]);
    setup.push(csq_with("Sales", Channel::Voice, Selection::LongestAvailable, &[(1, 1)]));
    setup.extend([login(1), login(2), login(3), ready(2), ready(3), ready(1)]);
    let mut script = Script::new(&setup);
    assert_eq!(script.center.csq_available_agents(CsqId(1)), [AgentId(2), AgentId(3), AgentId(1)]);
    assert_eq!(handed(&script.ok(inject(Channel::Voice, 1))), [(1, 2)], "bruno became Ready first");
    assert_eq!(handed(&script.ok(inject(Channel::Voice, 1))), [(2, 3)], "competence plays no part");
    assert_eq!(handed(&script.ok(inject(Channel::Voice, 1))), [(3, 1)]);
    assert!(handed(&script.ok(inject(Channel::Voice, 1))).is_empty(), "everyone is Reserved");
    assert_eq!(script.center.csq_queue(CsqId(1)), [ContactId(4)]);
}

#[test]
fn ties_go_to_the_agent_updated_first_until_it_is_full() {
    let mut setup = skills(1);
    setup.extend([agent("alice", &[(1, 5)]), agent("bruno", &[(1, 5)])]);
    setup.push(csq_with("Chat", Channel::Chat, Selection::MostSkilled, &[(1, 1)]));
    setup.push(parameters(|p| p.max_chat_sessions_per_agent = 2));
    setup.extend([login(1), login(2), digital_ready(2), digital_ready(1)]);
    let mut script = Script::new(&setup);
    let mut winners = Vec::new();
    for _ in 0..4 {
        winners.extend(handed(&script.ok(inject(Channel::Chat, 1))).into_iter().map(|(_, agent)| agent));
    }
    assert_eq!(winners, [2, 2, 1, 1], "bruno (Ready first) until his 2 chats, then alice");
}

#[test]
fn queue_order_is_priority_then_arrival() {
    let mut setup = skills(1);
    setup.push(agent("alice", &[(1, 5)]));
    setup.push(csq_with("Sales", Channel::Voice, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(login(1));
    setup.extend([
        inject_with(Channel::Voice, 1, 1),
        inject_with(Channel::Voice, 1, 5),
        inject_with(Channel::Voice, 1, 5),
    ]);
    setup.push(inject_with(Channel::Voice, 1, 10));
    let mut script = Script::new(&setup);
    assert_eq!(script.center.csq_queue(CsqId(1)), [ContactId(4), ContactId(2), ContactId(3), ContactId(1)]);
    assert_eq!(handed(&script.ok(ready(1))), [(4, 1)]);
}

/// Skill 1; agent 1 with competence 5; a chat CSQ needing 3; one chat waiting.
fn one_chat_waiting() -> Vec<Command> {
    let mut setup = skills(2);
    setup.push(agent("alice", &[(1, 5)]));
    setup.push(csq_with("Chat", Channel::Chat, Selection::LongestAvailable, &[(1, 3)]));
    setup.push(inject(Channel::Chat, 1));
    setup
}

fn with(mut setup: Vec<Command>, more: &[Command]) -> Vec<Command> {
    setup.extend_from_slice(more);
    setup
}

fn offered_to(script: &Script, contact: u64) -> Option<AgentId> {
    match script.center.contact(ContactId(contact)).unwrap().state {
        ContactState::Offered { agent } => Some(agent),
        ContactState::Active { ref agents } => agents.first().copied(),
        _ => None,
    }
}

#[test]
fn eligibility_rules_one_to_four() {
    let cases: Vec<(&str, Vec<Command>, Option<AgentId>)> = vec![
        ("1: logged out", one_chat_waiting(), None),
        ("1: logged in, digital Not Ready", with(one_chat_waiting(), &[login(1)]), None),
        ("1: voice Ready is not digital Ready", with(one_chat_waiting(), &[login(1), ready(1)]), None),
        ("1: digital Ready", with(one_chat_waiting(), &[login(1), digital_ready(1)]), Some(AgentId(1))),
        (
            "2: competence below the minimum",
            with(
                one_chat_waiting(),
                &[
                    Command::Agent(AgentCommand::UpdateAgent { id: AgentId(1), spec: agent_spec("alice", &[(1, 2)]) }),
                    login(1),
                    digital_ready(1),
                ],
            ),
            None,
        ),
        (
            "2: a required skill missing",
            with(
                one_chat_waiting(),
                &[
                    Command::Agent(AgentCommand::UpdateAgent { id: AgentId(1), spec: agent_spec("alice", &[(2, 9)]) }),
                    login(1),
                    digital_ready(1),
                ],
            ),
            None,
        ),
        (
            "3: at capacity",
            with(
                one_chat_waiting(),
                &[
                    parameters(|p| p.max_chat_sessions_per_agent = 1),
                    inject(Channel::Chat, 1),
                    login(1),
                    digital_ready(1),
                ],
            ),
            None,
        ),
        (
            "4: on a voice call, chats not offered",
            with(
                one_chat_waiting(),
                &[login(1), Command::Voice(VoiceCommand::MakeCall { agent: AgentId(1) }), digital_ready(1)],
            ),
            None,
        ),
        (
            "4: on a voice call with Offer Chat Contact When On Voice Call",
            with(
                one_chat_waiting(),
                &[
                    parameters(|p| p.offer_chat_when_on_voice_call = true),
                    login(1),
                    Command::Voice(VoiceCommand::MakeCall { agent: AgentId(1) }),
                    digital_ready(1),
                ],
            ),
            Some(AgentId(1)),
        ),
    ];
    for (rule, setup, expected) in cases {
        let script = Script::new(&setup);
        let contact = if rule.starts_with("3:") { 2 } else { 1 };
        let first = if rule.starts_with("3:") { offered_to(&script, 1) } else { None };
        assert_eq!(offered_to(&script, contact), expected, "{rule}");
        if rule.starts_with("3:") {
            assert_eq!(first, Some(AgentId(1)), "{rule}: the first chat took the only slot");
        }
    }
}

#[test]
fn reskilling_routes_waiting_contacts_and_leaves_held_ones() {
    let mut script = Script::new(&with(one_chat_waiting(), &[login(1), digital_ready(1)]));
    assert_eq!(offered_to(&script, 1), Some(AgentId(1)));
    script.ok(Command::Agent(AgentCommand::UpdateAgent { id: AgentId(1), spec: agent_spec("alice", &[(2, 9)]) }));
    assert_eq!(offered_to(&script, 1), Some(AgentId(1)), "a held contact stays with its agent");
    script.ok(inject(Channel::Chat, 1));
    assert_eq!(offered_to(&script, 2), None, "no longer qualified for new ones");
    let events =
        script.ok(Command::Agent(AgentCommand::UpdateAgent { id: AgentId(1), spec: agent_spec("alice", &[(1, 3)]) }));
    assert_eq!(handed(&events), [(2, 1)], "qualified again: the waiting chat is routed at once");
}

#[test]
fn csq_changes_reroute_its_queue() {
    let full = parameters(|p| p.max_chat_sessions_per_agent = 1);
    let mut script =
        Script::new(&with(one_chat_waiting(), &[full, login(1), digital_ready(1), inject(Channel::Chat, 1)]));
    assert_eq!(offered_to(&script, 2), None, "alice is full");
    script.ok(agent("bruno", &[(2, 4)]));
    script.ok(login(2));
    script.ok(digital_ready(2));
    assert_eq!(offered_to(&script, 2), None, "bruno lacks skill 1");
    let spec = CsqSpec { selection: Selection::LongestAvailable, ..csq_spec("Chat", Channel::Chat, &[(2, 1)]) };
    let events = script.ok(Command::Queue(QueueCommand::UpdateCsq { id: CsqId(1), spec }));
    assert_eq!(handed(&events), [(2, 2)], "new requirements apply to waiting contacts");
    assert_eq!(offered_to(&script, 1), Some(AgentId(1)), "and not to held ones");
}

#[test]
fn channel_parameters_are_copied_onto_each_contact() {
    let mut script = Script::new(&one_chat_waiting());
    script.ok(parameters(|p| {
        p.no_answer_timeout_seconds = 99;
        p.sticky_email_timeout_hours = 99;
    }));
    let old = script.center.contact(ContactId(1)).unwrap().timeouts;
    assert_eq!(old.no_answer_timeout_seconds, 20, "the old contact keeps the old value");
    script.ok(inject(Channel::Chat, 1));
    let new = script.center.contact(ContactId(2)).unwrap().timeouts;
    assert_eq!((new.no_answer_timeout_seconds, new.sticky_email_timeout_hours), (99, 99));
}

#[test]
fn injection_rules() {
    let base = || with(skills(1), &[csq_with("Chat", Channel::Chat, Selection::MostSkilled, &[(1, 1)])]);
    let spec = || spec_of(inject(Channel::Chat, 1));
    let inject_spec = |spec: ContactSpec| Command::Queue(QueueCommand::InjectContact(spec));
    check(vec![
        row("a chat", base(), inject(Channel::Chat, 1), Applied),
        row(
            "unknown CSQ",
            base(),
            inject(Channel::Chat, 9),
            Rejected(RejectionCode::UnknownCsq, "csq: CSQ 9 does not exist"),
        ),
        row(
            "channel must match the CSQ",
            base(),
            inject(Channel::Email, 1),
            Rejected(RejectionCode::InvalidField, "channel: CSQ 1 is a chat CSQ, not email"),
        ),
        row("priority 10", base(), inject_with(Channel::Chat, 1, 10), Applied),
        row(
            "priority 0",
            base(),
            inject_with(Channel::Chat, 1, 0),
            Rejected(RejectionCode::InvalidField, "priority must be between 1 and 10 (got 0)"),
        ),
        row(
            "priority 11",
            base(),
            inject_with(Channel::Chat, 1, 11),
            Rejected(RejectionCode::InvalidField, "(got 11)"),
        ),
        row(
            "subject is for emails",
            base(),
            inject_spec(ContactSpec { subject: Some("Hi".into()), ..spec() }),
            Rejected(RejectionCode::InvalidField, "subject is for emails only"),
        ),
        row(
            "customer name bounded",
            base(),
            inject_spec(ContactSpec { customer_name: Some("n".repeat(65)), ..spec() }),
            Rejected(RejectionCode::InvalidField, "customer_name must be at most 64 characters"),
        ),
        row(
            "a CSQ with open contacts cannot be deleted",
            with(base(), &[inject(Channel::Chat, 1)]),
            Command::Queue(QueueCommand::DeleteCsq { id: CsqId(1) }),
            Rejected(RejectionCode::InUse, "CSQ 1 is in use by contact 1, so it cannot be deleted"),
        ),
        row(
            "nor change channel",
            with(base(), &[inject(Channel::Chat, 1)]),
            Command::Queue(QueueCommand::UpdateCsq { id: CsqId(1), spec: csq_spec("Chat", Channel::Voice, &[(1, 1)]) }),
            Rejected(RejectionCode::InUse, "its channel cannot change"),
        ),
        row("an empty CSQ can be deleted", base(), Command::Queue(QueueCommand::DeleteCsq { id: CsqId(1) }), Applied),
    ]);
}

#[test]
fn selection_is_indexed_per_csq() {
    let mut setup = skills(2);
    for index in 0..50 {
        let skill = if index % 2 == 0 { 1 } else { 2 };
        setup.push(agent(&format!("a{index}"), &[(skill, 5)]));
    }
    setup.push(csq_with("Even", Channel::Voice, Selection::LongestAvailable, &[(1, 1)]));
    let script = Script::new(&setup);
    assert_eq!(script.center.csq_resources(CsqId(1)).len(), 25, "only the qualified agents are in the CSQ's index");
    assert_eq!(script.center.agent_csqs(AgentId(2)), Vec::<CsqId>::new());
}

#[test]
fn the_open_contact_limit() {
    let mut center = super::center_from(
        "limit",
        &with(skills(1), &[csq_with("Sales", Channel::Voice, Selection::LongestAvailable, &[(1, 1)])]),
    );
    for _ in 0..crate::CONTACT_OPEN_COUNT_MAX {
        assert!(center.apply(&super::entry(inject(Channel::Voice, 1))).is_applied());
    }
    let bytes = super::json(&center);
    let rejection = center.apply(&super::entry(inject(Channel::Voice, 1))).rejection().cloned().unwrap();
    assert_eq!(rejection.code, RejectionCode::LimitExceeded);
    assert_eq!(rejection.message, "Tandem supports a maximum of 100000 open contacts.");
    assert_eq!(super::json(&center), bytes);
    assert!(center
        .apply(&super::entry(Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(1) })))
        .is_applied());
    assert!(center.apply(&super::entry(inject(Channel::Voice, 1))).is_applied(), "a closed contact frees its place");
}
