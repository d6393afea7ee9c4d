//! The agent voice state machine: the full transition table, every spec code with its text,
//! wrap-up modes and timer, reason codes, and forced logout on session close.

use super::script::Script;
use super::{agent, check, reason, row, Expect};
use crate::agent::state::{after_call_step, make_call_checked, voice_step, AfterCallStep, VoiceStep};
use crate::{AgentCommand, AgentEvent, ConfigCommand, SystemCommand, VoiceCommand, VoiceEvent};
use crate::{
    AgentId, AgentState, AgentStateRequest, CallDirection, Command, Deadline, DeskSettings, Event, ReasonKind,
    Rejection, RejectionCode, SpecCode, SpecError, WrapUpMode,
};
use AgentState as S;
use AgentStateRequest as R;
use Expect::{Applied, Rejected, RejectedSpec};

const ALICE: AgentId = AgentId(1);

/// What the table expects: a state now, a pending after-call state, or a spec error.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    To(AgentState),
    Pending(AgentState),
    Error(u32),
}

fn cell(result: Result<VoiceStep, SpecError>) -> Cell {
    match result {
        Ok(VoiceStep::To(state)) => Cell::To(state),
        Ok(VoiceStep::Pending(state)) => Cell::Pending(state),
        Err(error) => Cell::Error(error.code().0),
    }
}

#[test]
fn spec_error_table_numbers_and_texts() {
    let rows: [(SpecError, u32, &str); 10] = [
        (SpecError::AlreadyLoggedOut, 10101, "The agent is already LOGGED out."),
        (SpecError::AlreadyLoggedOn, 10102, "The agent is already LOGGED ON."),
        (
            SpecError::AvailableOrInCallWork,
            10103,
            "The requested function cannot be performed since the agent is AVAILABLE or in a CALL WORK State.",
        ),
        (SpecError::CannotGoUnavailable, 10104, "The Agent cannot go UNAVAILABLE due to possible calls."),
        (SpecError::ReservedCannotMakeCall, 10106, "Agent is RESERVED \u{2013} cannot make call."),
        (SpecError::BadStateTransition, 10108, "The state transition is invalid from the current state."),
        (SpecError::CannotTransitionToReady, 10111, "Cannot transition to READY from current state."),
        (SpecError::CannotLogOut, 10112, "The agent cannot log out from the current state."),
        (SpecError::WrapUpDataRequired, 280, "Wrap-up data is required before leaving wrap-up."),
        (SpecError::ReasonCodeRequired, 281, "A reason code is required for this state change."),
    ];
    let telephony_count = super::telephony::SPEC_ROWS.len();
    assert_eq!(rows.len() + telephony_count, SpecError::ALL.len(), "every spec error has a row here or there");
    for (error, number, text) in rows {
        assert_eq!(error.code(), SpecCode(number), "{error:?}");
        assert_eq!(error.text(), text, "{error:?}");
        assert_eq!(SpecError::from_code(SpecCode(number)), Some(error));
        let rejection = Rejection::from(error);
        assert_eq!(rejection.spec_error(), Some(error));
        assert_eq!(rejection.message, text);
    }
    assert_eq!(SpecError::BadStateTransition.identifier(), Some("PERERR_TELDRIVE_BADSTATETRANSITION"));
    assert_eq!(SpecError::WrapUpDataRequired.identifier(), Some("CF_WRAPUP_DATA_REQUIRED"));
    assert_eq!(SpecError::ReasonCodeRequired.identifier(), Some("CF_REASON_CODE_REQUIRED"));
    assert_eq!(SpecError::from_code(SpecCode(99_999)), None, "unknown numbers are kept, not mapped");
    assert_eq!(SpecError::ReasonCodeRequired.rejection_code().http_status(), 422);
    assert_eq!(SpecError::CannotTransitionToReady.rejection_code().http_status(), 409);
}

/// The full table for SetAgentState (docs/decisions/0011-agent-voice-states.md), with the
/// on-call states in OPTIONAL wrap-up mode. Columns: Login, Logout, NotReady, Ready,
/// WorkReady, WorkNotReady.
#[test]
fn transition_table_in_optional_mode() {
    use Cell::{Error as E, Pending as P, To as T};
    let requests = [R::Login, R::Logout, R::NotReady, R::Ready, R::WorkReady, R::WorkNotReady];
    let table: [(AgentState, [Cell; 6]); 10] = [
        (S::LoggedOut, [T(S::NotReady), E(10101), E(10108), E(10108), E(10108), E(10108)]),
        (S::NotReady, [E(10102), T(S::LoggedOut), T(S::NotReady), T(S::Ready), E(10108), E(10108)]),
        (S::Ready, [E(10102), E(10112), T(S::NotReady), T(S::Ready), E(10108), E(10108)]),
        (S::Reserved, [E(10102), E(10112), E(10104), E(10111), E(10108), E(10108)]),
        (S::Talking, [E(10102), E(10112), P(S::NotReady), E(10111), P(S::WorkReady), P(S::WorkNotReady)]),
        (S::Hold, [E(10102), E(10112), P(S::NotReady), E(10111), P(S::WorkReady), P(S::WorkNotReady)]),
        (S::WorkReady, [E(10102), E(10112), T(S::NotReady), T(S::Ready), T(S::WorkReady), T(S::WorkNotReady)]),
        (S::WorkNotReady, [E(10102), E(10112), T(S::NotReady), T(S::Ready), T(S::WorkReady), T(S::WorkNotReady)]),
        (S::BusyOther, [E(10102), E(10112), T(S::NotReady), E(10111), E(10108), E(10108)]),
        (S::Unknown, [E(10102), E(10112), T(S::NotReady), E(10111), E(10108), E(10108)]),
    ];
    assert_eq!(table.len(), S::ALL.len(), "every state has a row");
    for (from, cells) in table {
        let mode = from.is_on_call().then_some(WrapUpMode::Optional);
        for (request, expected) in requests.into_iter().zip(cells) {
            assert_eq!(cell(voice_step(from, request, mode)), expected, "{from:?} + {request:?}");
        }
    }
}

/// During a call in REQUIRED modes every state button is off; in NOT_ALLOWED only Not Ready
/// may be chosen for after the call.
#[test]
fn transition_table_on_a_call_by_mode() {
    use Cell::{Error as E, Pending as P};
    let rows = [
        (WrapUpMode::Required, [E(10108), E(10111), E(10108), E(10108)]),
        (WrapUpMode::RequiredWithData, [E(10108), E(10111), E(10108), E(10108)]),
        (WrapUpMode::Optional, [P(S::NotReady), E(10111), P(S::WorkReady), P(S::WorkNotReady)]),
        (WrapUpMode::NotAllowed, [P(S::NotReady), E(10111), E(10108), E(10108)]),
    ];
    for (mode, cells) in rows {
        for from in [S::Talking, S::Hold] {
            let requests = [R::NotReady, R::Ready, R::WorkReady, R::WorkNotReady];
            for (request, expected) in requests.into_iter().zip(cells) {
                assert_eq!(cell(voice_step(from, request, Some(mode))), expected, "{mode:?} {from:?} + {request:?}");
            }
        }
    }
}

#[test]
fn make_call_only_from_not_ready() {
    let rows = [
        (S::NotReady, None),
        (S::Ready, Some(10103)),
        (S::WorkReady, Some(10103)),
        (S::WorkNotReady, Some(10103)),
        (S::Reserved, Some(10106)),
        (S::LoggedOut, Some(10108)),
        (S::Talking, Some(10108)),
        (S::Hold, Some(10108)),
        (S::BusyOther, Some(10108)),
        (S::Unknown, Some(10108)),
    ];
    assert_eq!(rows.len(), S::ALL.len());
    for (from, expected) in rows {
        assert_eq!(make_call_checked(from).err().map(|error| error.code().0), expected, "{from:?}");
    }
}

#[test]
fn after_call_by_mode_direction_and_choice() {
    use AfterCallStep::{To, Work};
    use CallDirection::{Incoming as In, Outgoing as Out};
    let rows = [
        (In, WrapUpMode::Required, None, Work(S::WorkReady)),
        (Out, WrapUpMode::Required, None, Work(S::WorkNotReady)),
        (In, WrapUpMode::RequiredWithData, None, Work(S::WorkReady)),
        (In, WrapUpMode::Optional, None, To(S::Ready)),
        (Out, WrapUpMode::Optional, None, To(S::NotReady)),
        (In, WrapUpMode::Optional, Some(S::WorkNotReady), Work(S::WorkNotReady)),
        (Out, WrapUpMode::Optional, Some(S::WorkReady), Work(S::WorkReady)),
        (In, WrapUpMode::Optional, Some(S::NotReady), To(S::NotReady)),
        (In, WrapUpMode::NotAllowed, None, To(S::Ready)),
        (Out, WrapUpMode::NotAllowed, None, To(S::NotReady)),
        (In, WrapUpMode::NotAllowed, Some(S::NotReady), To(S::NotReady)),
    ];
    for (direction, mode, pending, expected) in rows {
        assert_eq!(after_call_step(direction, mode, pending), expected, "{direction:?} {mode:?} {pending:?}");
    }
}

fn set(state: AgentStateRequest) -> Command {
    Command::Agent(AgentCommand::SetAgentState { agent: ALICE, state, reason: None })
}

fn set_with(state: AgentStateRequest, reason: u16) -> Command {
    Command::Agent(AgentCommand::SetAgentState { agent: ALICE, state, reason: Some(reason) })
}

fn logged_in() -> Vec<Command> {
    vec![agent("alice", &[]), set(R::Login)]
}

fn with(mut setup: Vec<Command>, more: &[Command]) -> Vec<Command> {
    setup.extend_from_slice(more);
    setup
}

fn desk(change: impl FnOnce(&mut DeskSettings)) -> Command {
    let mut settings = DeskSettings::default();
    change(&mut settings);
    Command::Config(ConfigCommand::SetDeskSettings(settings))
}

fn make_call() -> Command {
    Command::Voice(VoiceCommand::MakeCall { agent: ALICE })
}

#[test]
fn spec_codes_through_the_center() {
    let talking = || with(logged_in(), &[make_call()]);
    let ready = || with(logged_in(), &[set(R::Ready)]);
    let required_out = desk(|desk| desk.wrap_up_outgoing = WrapUpMode::Required);
    let wrapping_up = || {
        with(logged_in(), &[required_out.clone(), make_call(), Command::Voice(VoiceCommand::EndCall { agent: ALICE })])
    };
    check(vec![
        row("10111: Ready from Talking", talking(), set(R::Ready), RejectedSpec(SpecError::CannotTransitionToReady)),
        row("10112: logout from Ready", ready(), set(R::Logout), RejectedSpec(SpecError::CannotLogOut)),
        row("10112: logout from Talking", talking(), set(R::Logout), RejectedSpec(SpecError::CannotLogOut)),
        row("logout from Not Ready", logged_in(), set(R::Logout), Applied),
        row(
            "10101: logout when logged out",
            vec![agent("alice", &[])],
            set(R::Logout),
            RejectedSpec(SpecError::AlreadyLoggedOut),
        ),
        row("10102: login twice", logged_in(), set(R::Login), RejectedSpec(SpecError::AlreadyLoggedOn)),
        row("10103: make call from Ready", ready(), make_call(), RejectedSpec(SpecError::AvailableOrInCallWork)),
        row("10103: make call in wrap-up", wrapping_up(), make_call(), RejectedSpec(SpecError::AvailableOrInCallWork)),
        row("make call from Not Ready", logged_in(), make_call(), Applied),
        row(
            "10108: hold without a call",
            logged_in(),
            Command::Voice(VoiceCommand::HoldCall { agent: ALICE }),
            RejectedSpec(SpecError::BadStateTransition),
        ),
        row(
            "10108: retrieve while talking",
            talking(),
            Command::Voice(VoiceCommand::RetrieveCall { agent: ALICE }),
            RejectedSpec(SpecError::BadStateTransition),
        ),
        row(
            "10108: end call without one",
            ready(),
            Command::Voice(VoiceCommand::EndCall { agent: ALICE }),
            RejectedSpec(SpecError::BadStateTransition),
        ),
        row(
            "10108: Ready while logged out",
            vec![agent("alice", &[])],
            set(R::Ready),
            RejectedSpec(SpecError::BadStateTransition),
        ),
        row("unknown agent", vec![], set(R::Login), Rejected(RejectionCode::NotFound, "agent 1 does not exist")),
        row("10108: wrap-up without a call", ready(), set(R::WorkReady), RejectedSpec(SpecError::BadStateTransition)),
        row("hold while talking", talking(), Command::Voice(VoiceCommand::HoldCall { agent: ALICE }), Applied),
    ]);
}

#[test]
fn reason_codes_required_per_desk_settings() {
    let required = desk(|desk| {
        desk.not_ready_reason_required = true;
        desk.logout_reason_required = true;
    });
    let codes = || {
        vec![
            agent("alice", &[]),
            reason(ReasonKind::NotReady, 7, "Break"),
            reason(ReasonKind::Logout, 9, "End of shift"),
            required.clone(),
            set(R::Login),
            set(R::Ready),
        ]
    };
    let not_ready = || with(codes(), &[set_with(R::NotReady, 7)]);
    check(vec![
        row("281: Not Ready without a reason", codes(), set(R::NotReady), RejectedSpec(SpecError::ReasonCodeRequired)),
        row(
            "281: a zero reason is none",
            codes(),
            set_with(R::NotReady, 0),
            RejectedSpec(SpecError::ReasonCodeRequired),
        ),
        row("Not Ready with a configured reason", codes(), set_with(R::NotReady, 7), Applied),
        row(
            "a logout reason is not a Not Ready reason",
            codes(),
            set_with(R::NotReady, 9),
            Rejected(RejectionCode::InvalidField, "reason 9 is not a configured not_ready reason code"),
        ),
        row("281: logout without a reason", not_ready(), set(R::Logout), RejectedSpec(SpecError::ReasonCodeRequired)),
        row("logout with a configured reason", not_ready(), set_with(R::Logout, 9), Applied),
        row("10112 comes before 281", codes(), set(R::Logout), RejectedSpec(SpecError::CannotLogOut)),
        row(
            "Ready takes no reason",
            not_ready(),
            set_with(R::Ready, 7),
            Rejected(RejectionCode::InvalidField, "reason applies only to not_ready and logout"),
        ),
        row(
            "unconfigured reasons are refused when not required",
            logged_in(),
            set_with(R::NotReady, 3),
            Rejected(RejectionCode::InvalidField, "reason 3"),
        ),
        row("no reason needed by default", logged_in(), set(R::NotReady), Applied),
    ]);
}

#[test]
fn desk_settings_rules() {
    check(vec![
        row(
            "defaults apply",
            vec![],
            Command::Config(ConfigCommand::SetDeskSettings(DeskSettings::default())),
            Applied,
        ),
        row(
            "no data mode for outgoing calls",
            vec![],
            desk(|desk| desk.wrap_up_outgoing = WrapUpMode::RequiredWithData),
            Rejected(RejectionCode::InvalidField, "wrap_up_outgoing"),
        ),
        row("timer of 7200 s", vec![], desk(|desk| desk.wrap_up_timer_seconds = 7_200), Applied),
        row(
            "timer of 7201 s",
            vec![],
            desk(|desk| desk.wrap_up_timer_seconds = 7_201),
            Rejected(RejectionCode::InvalidField, "between 0 and 7200 (got 7201)"),
        ),
        row(
            "ring no answer of 4 s",
            vec![],
            desk(|desk| desk.ring_no_answer_seconds = 4),
            Rejected(RejectionCode::InvalidField, "between 5 and 300 (got 4)"),
        ),
        row(
            "forced reasons must be non-zero when reasons are required",
            vec![],
            desk(|desk| {
                desk.force_logout_on_session_close = true;
                desk.not_ready_reason_required = true;
            }),
            Rejected(RejectionCode::InvalidField, "force_not_ready_reason must be non-zero"),
        ),
        row(
            "forced logout reason too",
            vec![],
            desk(|desk| {
                desk.force_logout_on_session_close = true;
                desk.logout_reason_required = true;
            }),
            Rejected(RejectionCode::InvalidField, "force_logout_reason must be non-zero"),
        ),
    ]);
}

fn states(events: &[Event]) -> Vec<(AgentState, Option<u16>)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Agent(AgentEvent::AgentStateChanged { state, reason, .. }) => Some((*state, *reason)),
            _ => None,
        })
        .collect()
}

fn state(script: &Script) -> AgentState {
    script.center.agent_status(ALICE).map(|status| status.state).unwrap_or(S::Unknown)
}

#[test]
fn wrap_up_timer_after_an_outgoing_call_reaches_not_ready() {
    let settings = desk(|desk| {
        desk.wrap_up_outgoing = WrapUpMode::Required;
        desk.wrap_up_timer_seconds = 30;
    });
    let mut script = Script::new(&with(logged_in(), &[settings]));
    script.ok(make_call());
    let events = script.after(5_000).ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    assert_eq!(states(&events), [(S::WorkNotReady, None)]);
    let due = script.center.deadline_next().unwrap();
    assert_eq!((due.deadline, due.due_ms), (Deadline::WrapUp(ALICE), script.now() + 30_000));
    let early =
        script.after(29_999).ok(Command::System(SystemCommand::Expire { deadline: due.deadline, epoch: due.epoch }));
    assert!(early.is_empty(), "not due yet: a no-op");
    assert_eq!(state(&script), S::WorkNotReady);
    let events =
        script.after(1).ok(Command::System(SystemCommand::Expire { deadline: due.deadline, epoch: due.epoch }));
    assert_eq!(states(&events), [(S::NotReady, None)]);
    assert_eq!(script.center.deadline_next(), None, "the timer is gone");
    let stale = script.ok(Command::System(SystemCommand::Expire { deadline: due.deadline, epoch: due.epoch }));
    assert!(stale.is_empty(), "a stale epoch is a no-op");
}

#[test]
fn optional_wrap_up_chosen_during_the_call_then_timer_reaches_ready() {
    let settings = desk(|desk| desk.wrap_up_timer_seconds = 10);
    let mut script = Script::new(&with(logged_in(), &[settings]));
    script.ok(make_call());
    let events = script.ok(set(R::WorkReady));
    assert!(matches!(events.as_slice(), [Event::Agent(AgentEvent::AfterCallStateChosen { .. })]), "{events:?}");
    assert_eq!(state(&script), S::Talking, "the choice waits for the call's end");
    script.ok(Command::Voice(VoiceCommand::HoldCall { agent: ALICE }));
    assert_eq!(state(&script), S::Hold);
    let events = script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    assert_eq!(states(&events), [(S::WorkReady, None)]);
    let events = script.expire_next();
    assert_eq!(states(&events), [(S::Ready, None)]);
}

#[test]
fn a_click_before_the_timer_wins_and_the_timer_goes_stale() {
    let settings = desk(|desk| {
        desk.wrap_up_outgoing = WrapUpMode::Required;
        desk.wrap_up_timer_seconds = 30;
    });
    let mut script = Script::new(&with(logged_in(), &[settings]));
    script.ok(make_call());
    script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    let due = script.center.deadline_next().unwrap();
    script.ok(set(R::WorkReady));
    assert_eq!(script.center.deadline_next(), Some(due), "switching work states keeps the timer");
    let events = script.after(1_000).ok(set(R::Ready));
    assert_eq!(states(&events), [(S::Ready, None)]);
    assert_eq!(script.center.deadline_next(), None);
    let stale =
        script.after(60_000).ok(Command::System(SystemCommand::Expire { deadline: due.deadline, epoch: due.epoch }));
    assert!(stale.is_empty());
    assert_eq!(state(&script), S::Ready);
}

#[test]
fn not_allowed_mode_goes_straight_to_the_default_or_chosen_state() {
    let settings = desk(|desk| desk.wrap_up_outgoing = WrapUpMode::NotAllowed);
    let mut script = Script::new(&with(logged_in(), &[settings]));
    script.ok(make_call());
    script.refused_spec(set(R::WorkReady), SpecError::BadStateTransition);
    let events = script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    assert_eq!(states(&events), [(S::NotReady, None)], "outgoing calls end in Not Ready");
    script.ok(make_call());
    script.ok(reason(ReasonKind::NotReady, 4, "Lunch"));
    script.ok(set_with(R::NotReady, 4));
    let events = script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    assert_eq!(states(&events), [(S::NotReady, Some(4))], "the chosen reason is kept");
}

#[test]
fn wrap_up_data_is_for_incoming_calls_only() {
    let mut script = Script::new(&logged_in());
    script.ok(make_call());
    let rejection = script.refused(Command::Voice(VoiceCommand::SetWrapUpData { agent: ALICE, data: "Sold".into() }));
    assert_eq!(rejection.code, RejectionCode::InvalidState);
    assert_eq!(rejection.message, "wrap-up data is kept for incoming calls only");
    let rejection = script.refused(Command::Voice(VoiceCommand::SetWrapUpData { agent: ALICE, data: "d".repeat(41) }));
    assert_eq!(rejection.message, "data must be at most 40 characters (got 41)");
    script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    let rejection = script.refused(Command::Voice(VoiceCommand::SetWrapUpData { agent: ALICE, data: "Sold".into() }));
    assert_eq!(rejection.message, "agent 1 has no call to wrap up");
}

#[test]
fn forced_not_ready_then_logout_on_session_close() {
    let settings = desk(|desk| {
        desk.force_logout_on_session_close = true;
        desk.force_not_ready_reason = 50;
        desk.force_logout_reason = 51;
    });
    let mut script = Script::new(&with(logged_in(), &[settings, set(R::Ready)]));
    let events = script.ok(Command::Agent(AgentCommand::CloseSession { agent: ALICE }));
    assert_eq!(states(&events), [(S::NotReady, Some(50)), (S::LoggedOut, Some(51))]);
    assert!(
        script.ok(Command::Agent(AgentCommand::CloseSession { agent: ALICE })).is_empty(),
        "already logged out: nothing to do"
    );

    let mut script = Script::new(&with(logged_in(), &[set(R::Ready)]));
    let events = script.ok(Command::Agent(AgentCommand::CloseSession { agent: ALICE }));
    assert_eq!(states(&events), [], "with the setting off the agent stays logged in");
    assert_eq!(state(&script), S::Ready);
}

#[test]
fn forced_logout_drops_a_call_without_wrap_up() {
    let settings = desk(|desk| {
        desk.force_logout_on_session_close = true;
        desk.wrap_up_outgoing = WrapUpMode::Required;
        desk.wrap_up_timer_seconds = 30;
    });
    let mut script = Script::new(&with(logged_in(), &[settings, make_call()]));
    let events = script.ok(Command::Agent(AgentCommand::CloseSession { agent: ALICE }));
    let dropped = Event::Voice(VoiceEvent::CallConnectionCleared {
        call: crate::CallId(1),
        party: crate::Party::Agent(ALICE),
        cause: crate::ClearCause::SessionClosed,
        agents: vec![ALICE],
    });
    assert_eq!(events.first(), Some(&dropped), "{events:?}");
    assert!(script.center.call(crate::CallId(1)).is_none(), "the two-party call ended with it");
    assert_eq!(states(&events), [(S::NotReady, None), (S::LoggedOut, None)]);
    assert_eq!(script.center.deadline_next(), None, "no wrap-up timer");
    let status = script.center.agent_status(ALICE).unwrap();
    assert!(status.call.is_none() && status.wrap_up.is_none() && status.pending.is_none());
}

#[test]
fn ready_again_keeps_the_place_and_changes_nothing() {
    let mut script = Script::new(&with(logged_in(), &[set(R::Ready)]));
    let sequence = script.center.agent_status(ALICE).unwrap().ready_sequence;
    assert!(script.after(10).ok(set(R::Ready)).is_empty());
    assert_eq!(script.center.agent_status(ALICE).unwrap().ready_sequence, sequence);
    script.ok(set(R::NotReady));
    script.ok(set(R::Ready));
    assert!(script.center.agent_status(ALICE).unwrap().ready_sequence > sequence, "a new stay in Ready");
}

#[test]
fn a_logged_in_agent_cannot_be_deleted() {
    check(vec![
        row(
            "logged in",
            logged_in(),
            Command::Agent(AgentCommand::DeleteAgent { id: ALICE }),
            Rejected(RejectionCode::InUse, "agent 1 is logged in"),
        ),
        row("logged out", vec![agent("alice", &[])], Command::Agent(AgentCommand::DeleteAgent { id: ALICE }), Applied),
    ]);
}
