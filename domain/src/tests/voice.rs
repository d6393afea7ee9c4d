//! The voice contact lifecycle: offer, answer, hold, end, ring-no-answer, abandon, and the
//! spec codes that need a ringing call (10104, 10106) or an incoming call's wrap-up (280).

use super::routing::{csq_with, handed, inject, login, ready, voice};
use super::script::Script;
use super::{agent, skills};
use crate::{AgentCommand, AgentEvent, ConfigCommand, QueueCommand, QueueEvent, VoiceCommand, VoiceEvent};
use crate::{
    AgentId, AgentState, AgentStateRequest, Channel, Command, ContactId, ContactOutcome, ContactState, CsqId,
    DeskSettings, Event, RejectionCode, Selection, SpecError, WrapUpMode,
};

const ALICE: AgentId = AgentId(1);
const BRUNO: AgentId = AgentId(2);

/// Skill 1; alice and bruno; a voice CSQ; both logged in, alice Ready.
fn center() -> Vec<Command> {
    let mut setup = skills(1);
    setup.extend([agent("alice", &[(1, 5)]), agent("bruno", &[(1, 5)])]);
    setup.push(csq_with("Sales", Channel::Voice, Selection::LongestAvailable, &[(1, 1)]));
    setup.extend([login(1), login(2), ready(1)]);
    setup
}

fn state(script: &Script, agent: AgentId) -> AgentState {
    script.center.agent_status(agent).unwrap().state
}

fn contact_state(script: &Script, contact: u64) -> ContactState {
    script.center.contact(ContactId(contact)).unwrap().state.clone()
}

fn closed(outcome: ContactOutcome, script: &Script) -> ContactState {
    ContactState::Closed { outcome, closed_ms: script.now() }
}

#[test]
fn a_call_is_offered_answered_held_and_ended() {
    let mut script = Script::new(&center());
    let events = script.ok(inject(Channel::Voice, 1));
    assert_eq!(handed(&events), [(1, 1)]);
    assert_eq!(state(&script, ALICE), AgentState::Reserved);
    assert_eq!(contact_state(&script, 1), ContactState::Offered { agent: ALICE });
    let events = script.after(3_000).ok(Command::Voice(VoiceCommand::AnswerCall { agent: ALICE }));
    assert!(events.contains(&Event::Queue(QueueEvent::ContactAccepted {
        contact: ContactId(1),
        agent: ALICE,
        channel: Channel::Voice,
        csq: CsqId(1),
        waited_ms: 3_000
    })));
    assert_eq!(state(&script, ALICE), AgentState::Talking);
    assert_eq!(script.center.deadline_next(), None, "the ring timer stopped");
    script.ok(Command::Voice(VoiceCommand::HoldCall { agent: ALICE }));
    script.ok(Command::Voice(VoiceCommand::RetrieveCall { agent: ALICE }));
    script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    assert_eq!(contact_state(&script, 1), closed(ContactOutcome::Handled, &script));
    assert_eq!(state(&script, ALICE), AgentState::Ready, "OPTIONAL mode, incoming call: back to Ready");
}

#[test]
fn ring_no_answer_requeues_at_the_head_and_makes_the_agent_not_ready() {
    let mut script = Script::new(&center());
    script.ok(inject(Channel::Voice, 1));
    script.after(1_000).ok(inject(Channel::Voice, 1));
    assert_eq!(script.center.csq_queue(CsqId(1)), [ContactId(2)]);
    let events = script.expire_next();
    assert!(events.contains(&Event::Queue(QueueEvent::ContactNotAnswered {
        contact: ContactId(1),
        agent: ALICE,
        channel: Channel::Voice
    })));
    assert_eq!(state(&script, ALICE), AgentState::NotReady);
    assert_eq!(script.center.csq_queue(CsqId(1)), [ContactId(1), ContactId(2)], "back at the head");
    let events = script.ok(ready(2));
    assert_eq!(handed(&events), [(1, 2)], "the requeued call goes first");
}

#[test]
fn ring_no_answer_uses_the_time_copied_onto_the_call() {
    let mut script = Script::new(&center());
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(DeskSettings {
        ring_no_answer_seconds: 8,
        ..DeskSettings::default()
    })));
    let events = script.ok(inject(Channel::Voice, 1));
    let due = script.now() + 8_000;
    assert_eq!(handed(&events), [(1, 1)]);
    assert_eq!(script.center.deadline_next().map(|deadline| deadline.due_ms), Some(due));
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(DeskSettings::default())));
    assert_eq!(script.center.deadline_next().map(|deadline| deadline.due_ms), Some(due), "the offer keeps its time");
}

#[test]
fn abandon_while_queued_or_ringing() {
    let mut script = Script::new(&center());
    let place = script.center.agent_status(ALICE).unwrap().ready_sequence;
    script.ok(inject(Channel::Voice, 1));
    script.ok(inject(Channel::Voice, 1));
    script.ok(Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(2) }));
    assert_eq!(contact_state(&script, 2), closed(ContactOutcome::Abandoned, &script));
    script.ok(Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(1) }));
    assert_eq!(contact_state(&script, 1), closed(ContactOutcome::Abandoned, &script));
    assert_eq!(state(&script, ALICE), AgentState::Ready, "the ringing agent is free again");
    assert_eq!(script.center.agent_status(ALICE).unwrap().ready_sequence, place, "and keeps its place");
    let rejection = script.refused(Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(1) }));
    assert_eq!(rejection.message, "contact 1 is closed");
}

#[test]
fn the_caller_hanging_up_ends_the_call() {
    let mut script = Script::new(&center());
    script.ok(inject(Channel::Voice, 1));
    script.ok(Command::Voice(VoiceCommand::AnswerCall { agent: ALICE }));
    let events = script.ok(Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(1) }));
    assert!(
        events.contains(&Event::Voice(VoiceEvent::EndCall { call: crate::CallId(1), agents: vec![ALICE] })),
        "{events:?}"
    );
    assert_eq!(contact_state(&script, 1), closed(ContactOutcome::Handled, &script));
}

#[test]
fn spec_codes_while_reserved() {
    let mut script = Script::new(&center());
    script.ok(inject(Channel::Voice, 1));
    script.refused_spec(voice(1, AgentStateRequest::NotReady), SpecError::CannotGoUnavailable);
    script.refused_spec(Command::Voice(VoiceCommand::MakeCall { agent: ALICE }), SpecError::ReservedCannotMakeCall);
    script.refused_spec(ready(1), SpecError::CannotTransitionToReady);
    script.refused_spec(voice(1, AgentStateRequest::Logout), SpecError::CannotLogOut);
    script.refused_spec(Command::Voice(VoiceCommand::AnswerCall { agent: BRUNO }), SpecError::BadStateTransition);
    script.ok(Command::Voice(VoiceCommand::AnswerCall { agent: ALICE }));
    let events = script.ok(voice(1, AgentStateRequest::NotReady));
    assert!(
        matches!(events.as_slice(), [Event::Agent(AgentEvent::AfterCallStateChosen { .. })]),
        "a retry after the answer succeeds"
    );
}

#[test]
fn required_with_data_refuses_to_leave_wrap_up_without_data() {
    let settings = DeskSettings { wrap_up_incoming: WrapUpMode::RequiredWithData, ..DeskSettings::default() };
    let mut script = Script::new(&center());
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(settings)));
    script.ok(inject(Channel::Voice, 1));
    script.ok(Command::Voice(VoiceCommand::AnswerCall { agent: ALICE }));
    script.refused_spec(voice(1, AgentStateRequest::WorkNotReady), SpecError::BadStateTransition);
    script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    assert_eq!(state(&script, ALICE), AgentState::WorkReady);
    script.refused_spec(ready(1), SpecError::WrapUpDataRequired);
    script.refused_spec(voice(1, AgentStateRequest::NotReady), SpecError::WrapUpDataRequired);
    script.ok(voice(1, AgentStateRequest::WorkNotReady));
    script.ok(Command::Voice(VoiceCommand::SetWrapUpData { agent: ALICE, data: "Upgrade sold".into() }));
    script.ok(ready(1));
}

#[test]
fn wrap_up_data_during_an_incoming_call_is_kept_into_wrap_up() {
    let settings = DeskSettings { wrap_up_incoming: WrapUpMode::RequiredWithData, ..DeskSettings::default() };
    let mut script = Script::new(&center());
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(settings)));
    script.ok(inject(Channel::Voice, 1));
    let rejection = script.refused(Command::Voice(VoiceCommand::SetWrapUpData { agent: ALICE, data: "Early".into() }));
    assert_eq!(rejection.code, RejectionCode::InvalidState, "not while ringing");
    script.ok(Command::Voice(VoiceCommand::AnswerCall { agent: ALICE }));
    script.ok(Command::Voice(VoiceCommand::SetWrapUpData { agent: ALICE, data: "Early".into() }));
    script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    let data = script.center.agent_status(ALICE).unwrap().wrap_up.as_ref().unwrap().wrap_up_data.clone();
    assert_eq!(data.as_deref(), Some("Early"));
    script.ok(ready(1));
}

#[test]
fn a_forced_logout_while_ringing_requeues_the_call() {
    let settings = DeskSettings { force_logout_on_session_close: true, ..DeskSettings::default() };
    let mut script = Script::new(&center());
    script.ok(settings_command(settings));
    script.ok(ready(2));
    script.ok(inject(Channel::Voice, 1));
    assert_eq!(contact_state(&script, 1), ContactState::Offered { agent: ALICE });
    let events = script.ok(Command::Agent(AgentCommand::CloseSession { agent: ALICE }));
    assert_eq!(handed(&events), [(1, 2)], "the call goes to the next agent");
    assert_eq!(state(&script, ALICE), AgentState::LoggedOut);
}

fn settings_command(settings: DeskSettings) -> Command {
    Command::Config(ConfigCommand::SetDeskSettings(settings))
}
