//! Agent↔supervisor chat: the permission matrix of seeds-ctios.md §2.8 (test scenario 39), the
//! message rules, and the mailboxes a resyncing desktop reads.

use super::{agent, agent_in, center_from, entry, json, team};
use crate::{
    AgentChatLevel, AgentId, AgentStateRequest, Center, Command, DeskSettings, Event, Outcome, RejectionCode,
    SupervisorChatLevel, AGENT_CHAT_MAILBOX_MAX, AGENT_CHAT_TEXT_LENGTH_MAX,
};
use crate::{AgentCommand, ConfigCommand, SupervisionCommand, SupervisionEvent};

const PRIMARY: u64 = 1;
const SECONDARY: u64 = 2;
const OTHER_SUPERVISOR: u64 = 3;
const TEAMMATE: u64 = 4;
const ME: u64 = 5;
const OTHER_TEAM_AGENT: u64 = 6;

/// Team 1: primary supervisor 1, secondary 2, agents 4 and 5. Team 2: primary supervisor 3,
/// agent 6. Everyone logged in.
fn center(agent_level: AgentChatLevel, supervisor_level: SupervisorChatLevel) -> Center {
    let mut setup = vec![
        agent("primary", &[]),
        agent("secondary", &[]),
        agent("other-supervisor", &[]),
        team("One", Some(PRIMARY), &[SECONDARY]),
        team("Two", Some(OTHER_SUPERVISOR), &[]),
        agent_in("teammate", 1),
        agent_in("me", 1),
        agent_in("other-team", 2),
    ];
    for id in 1..=6 {
        setup.push(Command::Agent(AgentCommand::SetAgentState {
            agent: AgentId(id),
            state: AgentStateRequest::Login,
            reason: None,
        }));
    }
    setup.push(Command::Config(ConfigCommand::SetDeskSettings(DeskSettings {
        agent_chat_level: agent_level,
        supervisor_chat_level: supervisor_level,
        ..DeskSettings::default()
    })));
    center_from("chat center", &setup)
}

fn send(from: u64, to: u64, text: &str) -> Command {
    Command::Supervision(SupervisionCommand::SendAgentChat { from: AgentId(from), to: AgentId(to), text: text.into() })
}

/// Applies a chat message; whether it was allowed. A refusal must be `not_permitted` and change
/// nothing.
fn allowed(center: &mut Center, from: u64, to: u64) -> bool {
    let before = json(center);
    match center.apply(&entry(send(from, to, "hello"))) {
        Outcome::Applied(_) => true,
        Outcome::Rejected(rejection) => {
            assert_eq!(rejection.code, RejectionCode::NotPermitted, "{from} -> {to}: {rejection:?}");
            assert_eq!(json(center), before, "{from} -> {to}: a refusal changes nothing");
            false
        }
    }
}

#[test]
fn agent_chat_level_matrix() {
    let recipients = [PRIMARY, SECONDARY, TEAMMATE, OTHER_TEAM_AGENT];
    let table: [(AgentChatLevel, [bool; 4]); 5] = [
        (AgentChatLevel::Disabled, [false, false, false, false]),
        (AgentChatLevel::PrimarySupervisor, [true, false, false, false]),
        (AgentChatLevel::TeamSupervisors, [true, true, false, false]),
        (AgentChatLevel::Team, [true, true, true, false]),
        (AgentChatLevel::Unrestricted, [true, true, true, true]),
    ];
    for (level, expected) in table {
        for (to, expect) in recipients.into_iter().zip(expected) {
            let mut center = center(level, SupervisorChatLevel::Disabled);
            assert_eq!(center.agent_chat_allowed(AgentId(ME), AgentId(to)), expect, "{level:?}: me -> {to}");
            assert_eq!(allowed(&mut center, ME, to), expect, "{level:?}: me -> {to}");
        }
    }
}

#[test]
fn supervisor_chat_level_matrix() {
    // From the primary supervisor of team 1: an agent of team 1, its secondary supervisor, an
    // agent of team 2, team 2's supervisor.
    let recipients = [ME, SECONDARY, OTHER_TEAM_AGENT, OTHER_SUPERVISOR];
    let table: [(SupervisorChatLevel, [bool; 4]); 3] = [
        (SupervisorChatLevel::Disabled, [false, false, false, false]),
        (SupervisorChatLevel::Team, [true, true, false, false]),
        (SupervisorChatLevel::Unrestricted, [true, true, true, true]),
    ];
    for (level, expected) in table {
        for (to, expect) in recipients.into_iter().zip(expected) {
            // The agent level is Disabled throughout: supervisors are judged by theirs alone.
            let mut center = center(AgentChatLevel::Disabled, level);
            assert_eq!(allowed(&mut center, PRIMARY, to), expect, "{level:?}: primary -> {to}");
        }
    }
    // A secondary-only supervisor with no team of its own has no primary team.
    let mut center = center(AgentChatLevel::Disabled, SupervisorChatLevel::Team);
    assert!(!allowed(&mut center, SECONDARY, ME));
}

#[test]
fn defaults_are_the_specs() {
    let settings = DeskSettings::default();
    assert_eq!(settings.agent_chat_level, AgentChatLevel::TeamSupervisors);
    assert_eq!(settings.supervisor_chat_level, SupervisorChatLevel::Unrestricted);
    // Settings stored before chat levels existed read as the defaults.
    let mut old = serde_json::to_value(&settings).unwrap();
    let fields = old.as_object_mut().unwrap();
    fields.remove("agent_chat_level");
    fields.remove("supervisor_chat_level");
    let read: DeskSettings = serde_json::from_value(old).unwrap();
    assert_eq!(read, settings);
}

#[test]
fn message_rules() {
    let base = center(AgentChatLevel::Unrestricted, SupervisorChatLevel::Unrestricted);
    let refused = |command: Command, code: RejectionCode, fragment: &str| {
        let mut center = base.clone();
        let before = json(&center);
        match center.apply(&entry(command)) {
            Outcome::Rejected(rejection) => {
                assert_eq!(rejection.code, code, "{rejection:?}");
                assert!(rejection.message.contains(fragment), "{fragment:?} in {:?}", rejection.message);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(json(&center), before);
    };
    refused(send(ME, ME, "hi"), RejectionCode::NotPermitted, "may not chat");
    refused(send(ME, 99, "hi"), RejectionCode::NotFound, "agent");
    refused(send(ME, PRIMARY, "   "), RejectionCode::InvalidField, "text");
    let long = "x".repeat(AGENT_CHAT_TEXT_LENGTH_MAX as usize + 1);
    refused(send(ME, PRIMARY, &long), RejectionCode::InvalidField, "text");
    let mut logged_out = base.clone();
    let logout = Command::Agent(AgentCommand::SetAgentState {
        agent: AgentId(PRIMARY),
        state: AgentStateRequest::Logout,
        reason: None,
    });
    assert!(logged_out.apply(&entry(logout)).is_applied());
    let before = json(&logged_out);
    assert!(!logged_out.apply(&entry(send(ME, PRIMARY, "hi"))).is_applied());
    assert_eq!(json(&logged_out), before);

    let mut center = base.clone();
    let exact = "y".repeat(AGENT_CHAT_TEXT_LENGTH_MAX as usize);
    let Outcome::Applied(applied) = center.apply(&entry(send(ME, PRIMARY, &exact))) else { panic!("applied") };
    match applied.events.as_slice() {
        [Event::Supervision(SupervisionEvent::AgentChatMessageSent { message, agents })] => {
            assert_eq!(agents, &[AgentId(PRIMARY), AgentId(ME)], "both desktops, sorted");
            assert_eq!(message.text, exact);
            let audience = &applied.audiences[0];
            assert_eq!(audience, &center.audience(&applied.events[0]), "decided at apply, as a reader would");
            assert_eq!(audience.agents(), &[AgentId(PRIMARY), AgentId(ME)]);
        }
        other => panic!("one chat event, got {other:?}"),
    }
}

#[test]
fn mailboxes_keep_the_last_messages_and_go_with_the_agent() {
    let mut center = center(AgentChatLevel::Unrestricted, SupervisorChatLevel::Unrestricted);
    let count = AGENT_CHAT_MAILBOX_MAX + 5;
    for n in 0..count {
        assert!(center.apply(&entry(send(ME, PRIMARY, &format!("message {n}")))).is_applied());
    }
    let mine: Vec<&str> = center.agent_chat_messages(AgentId(ME)).map(|m| m.text.as_str()).collect();
    assert_eq!(mine.len(), AGENT_CHAT_MAILBOX_MAX);
    assert_eq!(mine.first().copied(), Some("message 5"));
    assert_eq!(mine.last().copied(), Some(format!("message {}", count - 1).as_str()));
    assert_eq!(center.agent_chat_messages(AgentId(PRIMARY)).count(), AGENT_CHAT_MAILBOX_MAX);
    let view = center.desk_view(&crate::Viewer::Agent { agent: AgentId(ME) });
    assert_eq!(view.chat_messages.len(), AGENT_CHAT_MAILBOX_MAX);

    // A snapshot round trip keeps them.
    let copy: Center = serde_json::from_slice(&json(&center)).unwrap();
    assert_eq!(copy.agent_chat_messages(AgentId(ME)).count(), AGENT_CHAT_MAILBOX_MAX);
}
