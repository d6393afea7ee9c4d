//! Statistics from applied events: agent time in state and counts, CSQ counters, average
//! speed of answer, service level, live figures, and the derivation from events alone.

use super::routing::{csq_with, digital_ready, inject, login, ready, voice};
use super::script::Script;
use super::{agent, check, row, skills, Expect};
use crate::statistics::Statistics;
use crate::{
    AgentId, AgentState, AgentStateRequest, Center, Channel, Command, ContactId, CsqId, Entry, RejectionCode,
    Selection, StatisticsSettings,
};
use crate::{ConfigCommand, EmailCommand, QueueCommand, VoiceCommand};

const ALICE: AgentId = AgentId(1);

/// Skill 1; alice and bruno; voice CSQ 1, email CSQs 2 and 3.
fn center() -> Vec<Command> {
    let mut setup = skills(1);
    setup.extend([agent("alice", &[(1, 5)]), agent("bruno", &[(1, 5)])]);
    setup.push(csq_with("Sales", Channel::Voice, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(csq_with("Support", Channel::Email, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(csq_with("Billing", Channel::Email, Selection::LongestAvailable, &[(1, 1)]));
    setup
}

#[test]
fn agent_time_in_state_logged_in_time_and_counts() {
    let mut script = Script::new(&center());
    script.ok(login(1));
    script.after(10_000).ok(ready(1));
    script.after(10_000).ok(inject(Channel::Voice, 1));
    script.after(3_000).ok(Command::Voice(VoiceCommand::AnswerCall { agent: ALICE }));
    script.after(60_000).ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    script.after(5_000).ok(voice(1, AgentStateRequest::NotReady));
    script.after(2_000).ok(voice(1, AgentStateRequest::Logout));
    let statistics = script.center.agent_statistics(ALICE, script.now() + 50_000).unwrap();
    let expected = [
        (AgentState::NotReady, 12_000),
        (AgentState::Ready, 15_000),
        (AgentState::Reserved, 3_000),
        (AgentState::Talking, 60_000),
        (AgentState::LoggedOut, 50_000),
    ];
    assert_eq!(statistics.state_ms, expected.into_iter().collect());
    assert_eq!(statistics.logged_in_ms, 90_000);
    assert_eq!(statistics.counters.handled_count.get(&Channel::Voice), Some(&1));
    assert_eq!(statistics.counters.accepted_count, 1);
}

#[test]
fn the_current_session_counts_up_to_now() {
    let mut script = Script::new(&center());
    script.ok(login(1));
    let statistics = script.center.agent_statistics(ALICE, script.now() + 7_000).unwrap();
    assert_eq!(statistics.logged_in_ms, 7_000);
    assert_eq!(statistics.state_ms.get(&AgentState::NotReady), Some(&7_000));
}

#[test]
fn ring_no_answer_is_counted() {
    let mut script = Script::new(&center());
    script.ok(login(1));
    script.ok(ready(1));
    script.ok(inject(Channel::Voice, 1));
    script.expire_next();
    assert_eq!(script.center.agent_statistics(ALICE, script.now()).unwrap().counters.not_answered_count, 1);
}

#[test]
fn csq_counters_speed_of_answer_and_service_level() {
    let mut script = Script::new(&center());
    script.ok(login(1));
    script.ok(ready(1));
    script.ok(inject(Channel::Voice, 1));
    script.after(3_000).ok(Command::Voice(VoiceCommand::AnswerCall { agent: ALICE }));
    script.ok(inject(Channel::Voice, 1));
    script.after(1_000).ok(inject(Channel::Voice, 1));
    script.after(1_000).ok(Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(3) }));
    let live = script.center.csq_statistics(CsqId(1), script.now() + 4_000).unwrap();
    assert_eq!((live.waiting_count, live.oldest_waiting_ms), (1, Some(6_000)));
    assert_eq!((live.agents_talking_count, live.agents_ready_count), (1, 0));
    script.after(29_000).ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    assert_eq!(script.center.contact(ContactId(2)).unwrap().agents(), [ALICE]);
    script.ok(Command::Voice(VoiceCommand::AnswerCall { agent: ALICE }));
    let statistics = script.center.csq_statistics(CsqId(1), script.now()).unwrap();
    let counters = &statistics.counters;
    assert_eq!((counters.offered_count, counters.handled_count, counters.abandoned_count), (3, 1, 1));
    assert_eq!(statistics.open_count, 1);
    assert_eq!((counters.answered_count, counters.answer_wait_total_ms), (2, 3_000 + 31_000));
    assert_eq!(statistics.average_speed_of_answer_ms, Some(17_000));
    assert_eq!(counters.answered_within_threshold_count, 1, "3 s within 20 s; 31 s not");
    assert_eq!(statistics.service_level_percent, Some(33), "1 of 2 answered + 1 abandoned");
    assert_eq!((statistics.waiting_count, statistics.oldest_waiting_ms), (0, None));
}

#[test]
fn email_requeues_move_counts_between_csqs() {
    let mut script = Script::new(&center());
    script.ok(login(1));
    script.ok(digital_ready(1));
    script.ok(inject(Channel::Email, 2));
    script.ok(Command::Email(EmailCommand::RequeueEmail { agent: ALICE, contact: ContactId(1), csq: CsqId(3) }));
    let from = script.center.csq_statistics(CsqId(2), script.now()).unwrap();
    let to = script.center.csq_statistics(CsqId(3), script.now()).unwrap();
    assert_eq!((from.counters.offered_count, from.counters.requeued_out_count, from.open_count), (1, 1, 0));
    assert_eq!((to.counters.offered_count, to.open_count, to.waiting_count), (1, 1, 1));
    let live = script.center.csq_statistics(CsqId(2), script.now()).unwrap();
    assert_eq!(live.agents_ready_count, 1, "alice is digital Ready and holds no email");
}

#[test]
fn statistics_settings_rules() {
    let set = |seconds| {
        Command::Config(ConfigCommand::SetStatisticsSettings(StatisticsSettings {
            service_level_threshold_seconds: seconds,
        }))
    };
    check(vec![
        row("1 s", vec![], set(1), Expect::Applied),
        row("3600 s", vec![], set(3_600), Expect::Applied),
        row("0 s", vec![], set(0), Expect::Rejected(RejectionCode::InvalidField, "between 1 and 3600 (got 0)")),
        row("3601 s", vec![], set(3_601), Expect::Rejected(RejectionCode::InvalidField, "(got 3601)")),
    ]);
}

#[test]
fn statistics_are_a_projection_of_the_applied_events() {
    let mut center = Center::default();
    let mut projection = Statistics::default();
    let mut commands = center_commands();
    commands.extend([
        login(1),
        ready(1),
        inject(Channel::Voice, 1),
        Command::Voice(VoiceCommand::AnswerCall { agent: ALICE }),
    ]);
    commands.extend([
        inject(Channel::Voice, 1),
        Command::Voice(VoiceCommand::EndCall { agent: ALICE }),
        Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(2) }),
    ]);
    commands.extend([digital_ready(1), inject(Channel::Email, 2), voice(1, AgentStateRequest::NotReady)]);
    for (index, command) in commands.into_iter().enumerate() {
        let time_ms = 1_000 * index as u64;
        let outcome = center.apply(&Entry { request_id: None, time_ms, command, by: crate::Actor::Operator });
        let applied = outcome.applied().unwrap();
        projection.observe(&applied.events, time_ms);
    }
    assert_eq!(projection, center.statistics);
}

fn center_commands() -> Vec<Command> {
    center()
}
