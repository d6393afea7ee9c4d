//! The digital state, the channel parameters' limits, capacity and the blending timing rules.

use super::script::Script;
use super::{agent, check, row, Expect};
use crate::{AgentCommand, AgentEvent, ConfigCommand, VoiceCommand};
use crate::{
    AgentId, AgentState, AgentStateRequest, Channel, ChannelParameters, Command, DigitalState, DigitalStateRequest,
    Event, RejectionCode, STICKY_EMAIL_TIMEOUT_HOURS_DEFAULT,
};
use Expect::{Applied, Rejected};

const ALICE: AgentId = AgentId(1);

fn login() -> Command {
    Command::Agent(AgentCommand::SetAgentState { agent: ALICE, state: AgentStateRequest::Login, reason: None })
}

fn voice(state: AgentStateRequest) -> Command {
    Command::Agent(AgentCommand::SetAgentState { agent: ALICE, state, reason: None })
}

fn digital(state: DigitalStateRequest) -> Command {
    Command::Agent(AgentCommand::SetDigitalState { agent: ALICE, state })
}

fn parameters(change: impl FnOnce(&mut ChannelParameters)) -> Command {
    let mut parameters = ChannelParameters::default();
    change(&mut parameters);
    Command::Config(ConfigCommand::SetChannelParameters(parameters))
}

#[test]
fn channel_parameter_limits() {
    let bad = |change: fn(&mut ChannelParameters), fragment: &'static str| {
        row(fragment, vec![], parameters(change), Rejected(RejectionCode::InvalidField, fragment))
    };
    let good = |rule: &'static str, change: fn(&mut ChannelParameters)| row(rule, vec![], parameters(change), Applied);
    assert_eq!(ChannelParameters::default().sticky_email_timeout_hours, STICKY_EMAIL_TIMEOUT_HOURS_DEFAULT);
    assert_eq!(STICKY_EMAIL_TIMEOUT_HOURS_DEFAULT, 4, "the spec's default");
    assert_eq!(ChannelParameters::default().join_timeout_minutes, 1, "the spec's default");
    check(vec![
        good("defaults", |_| {}),
        good("sticky 1 hour", |p| p.sticky_email_timeout_hours = 1),
        good("sticky 120 hours", |p| p.sticky_email_timeout_hours = 120),
        bad(|p| p.sticky_email_timeout_hours = 0, "sticky_email_timeout_hours must be between 1 and 120 (got 0)"),
        bad(|p| p.sticky_email_timeout_hours = 121, "sticky_email_timeout_hours must be between 1 and 120 (got 121)"),
        good("1 chat", |p| p.max_chat_sessions_per_agent = 1),
        good("5 chats", |p| p.max_chat_sessions_per_agent = 5),
        bad(|p| p.max_chat_sessions_per_agent = 0, "max_chat_sessions_per_agent must be between 1 and 5 (got 0)"),
        bad(|p| p.max_chat_sessions_per_agent = 6, "max_chat_sessions_per_agent must be between 1 and 5 (got 6)"),
        good("1 email", |p| p.max_email_sessions_per_agent = 1),
        good("5 emails", |p| p.max_email_sessions_per_agent = 5),
        bad(|p| p.max_email_sessions_per_agent = 0, "max_email_sessions_per_agent must be between 1 and 5 (got 0)"),
        bad(|p| p.max_email_sessions_per_agent = 6, "max_email_sessions_per_agent must be between 1 and 5 (got 6)"),
        good("join 60 minutes", |p| p.join_timeout_minutes = 60),
        bad(|p| p.join_timeout_minutes = 0, "join_timeout_minutes must be between 1 and 60 (got 0)"),
        bad(|p| p.join_timeout_minutes = 61, "join_timeout_minutes must be between 1 and 60 (got 61)"),
        bad(|p| p.inactivity_timeout_minutes = 0, "inactivity_timeout_minutes must be between 1 and 60 (got 0)"),
        bad(|p| p.no_answer_timeout_seconds = 4, "no_answer_timeout_seconds must be between 5 and 600 (got 4)"),
        bad(|p| p.no_answer_timeout_seconds = 601, "no_answer_timeout_seconds must be between 5 and 600 (got 601)"),
    ]);
}

#[test]
fn digital_state_rules() {
    let logged_in = || vec![agent("alice", &[]), login()];
    check(vec![
        row(
            "logged out agents have no digital state to set",
            vec![agent("alice", &[])],
            digital(DigitalStateRequest::Ready),
            Rejected(RejectionCode::InvalidState, "agent 1 is logged out"),
        ),
        row("Ready after login", logged_in(), digital(DigitalStateRequest::Ready), Applied),
        row("unknown agent", vec![], digital(DigitalStateRequest::Ready), Rejected(RejectionCode::NotFound, "agent 1")),
    ]);
}

fn status(script: &Script) -> &crate::AgentStatus {
    script.center.agent_status(ALICE).unwrap()
}

#[test]
fn login_logout_and_session_close_drive_the_digital_state() {
    let mut script = Script::new(&[agent("alice", &[])]);
    assert_eq!(status(&script).digital, DigitalState::LoggedOut);
    let events = script.ok(login());
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Agent(AgentEvent::DigitalStateChanged {
            previous: DigitalState::LoggedOut,
            state: DigitalState::NotReady,
            ..
        })
    )));
    script.ok(digital(DigitalStateRequest::Ready));
    let sequence = status(&script).digital_sequence;
    assert!(script.ok(digital(DigitalStateRequest::Ready)).is_empty(), "Ready again is a no-op");
    assert_eq!(status(&script).digital_sequence, sequence);
    script.ok(Command::Agent(AgentCommand::CloseSession { agent: ALICE }));
    assert_eq!(status(&script).digital, DigitalState::NotReady, "a closed desktop takes no new contacts");
    assert_eq!(status(&script).state, AgentState::NotReady, "voice stays without forced logout");
    script.ok(voice(AgentStateRequest::Logout));
    assert_eq!(status(&script).digital, DigitalState::LoggedOut);
}

#[test]
fn availability_combines_state_capacity_and_blending() {
    let mut script = Script::new(&[agent("alice", &[]), login()]);
    let available = |script: &Script, channel| script.center.agent_available(status(script), channel);
    assert!(!available(&script, Channel::Voice) && !available(&script, Channel::Chat));
    script.ok(voice(AgentStateRequest::Ready));
    script.ok(digital(DigitalStateRequest::Ready));
    assert!(
        available(&script, Channel::Voice) && available(&script, Channel::Chat) && available(&script, Channel::Email)
    );
    script.ok(voice(AgentStateRequest::NotReady));
    script.ok(Command::Voice(VoiceCommand::MakeCall { agent: ALICE }));
    assert!(!available(&script, Channel::Chat), "no chats on a voice call by default");
    assert!(available(&script, Channel::Email), "the blending rule is about chat only");
}

#[test]
fn offer_chat_on_voice_takes_effect_when_the_call_ends() {
    let mut script =
        Script::new(&[agent("alice", &[]), login(), Command::Voice(VoiceCommand::MakeCall { agent: ALICE })]);
    script.ok(parameters(|p| p.offer_chat_when_on_voice_call = true));
    assert!(!status(&script).blending.offer_chat_when_on_voice_call, "not during the current call");
    let events = script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    assert!(events.iter().any(|event| matches!(event, Event::Agent(AgentEvent::BlendingChanged { .. }))), "{events:?}");
    assert!(status(&script).blending.offer_chat_when_on_voice_call);
    script.ok(parameters(|p| p.offer_chat_when_on_voice_call = false));
    assert!(!status(&script).blending.offer_chat_when_on_voice_call, "off a call: at once");
}

#[test]
fn offer_voice_on_chat_applies_at_once_to_agents_without_chats() {
    let mut script = Script::new(&[agent("alice", &[]), login()]);
    script.ok(parameters(|p| p.offer_voice_call_when_on_chat = true));
    assert!(status(&script).blending.offer_voice_call_when_on_chat);
}
