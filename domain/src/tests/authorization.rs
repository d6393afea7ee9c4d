//! Who may do what, as a table: each row is an actor, a command and whether the role allows it.
//!
//! Sam (user 2) supervises team 1 (alice, bruno); chen is in team 2; root (user 1) is an
//! administrator. "Allowed" means the command got past authorization (it may still be refused
//! by its own rules, never as `forbidden`); a forbidden command changes nothing.

use super::routing::inject;
use super::{center_from, floor_setup, json, skill};
use crate::{
    Actor, AgentId, AgentStateRequest, Center, Channel, Command, Deadline, Entry, Outcome, RejectionCode, Role, TeamId,
    TeamMessageId, TeamMessageSpec, UserId, UserSpec,
};
use crate::{AgentCommand, ConfigCommand, SupervisionCommand, SystemCommand, VoiceCommand};

const SAM: AgentId = AgentId(1);
const ALICE: AgentId = AgentId(2);
const BRUNO: AgentId = AgentId(3);
const CHEN: AgentId = AgentId(4);
const ROOT_USER: Actor = Actor::User(UserId(1));
const SAM_USER: Actor = Actor::User(UserId(2));
const ALICE_USER: Actor = Actor::User(UserId(3));
const CHEN_USER: Actor = Actor::User(UserId(4));

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn user(login_name: &str, role: Role, agent: Option<AgentId>) -> Command {
    Command::Config(ConfigCommand::CreateUser(UserSpec {
        login_name: login_name.into(),
        role,
        agent,
        password_hash: HASH.into(),
    }))
}

fn floor() -> Center {
    let mut setup = floor_setup(Channel::Voice);
    setup.extend([
        user("root", Role::Administrator, None),
        user("sam", Role::Supervisor, Some(SAM)),
        user("alice", Role::Agent, Some(ALICE)),
        user("chen", Role::Agent, Some(CHEN)),
    ]);
    center_from("floor", &setup)
}

fn state(agent: AgentId, state: AgentStateRequest) -> Command {
    Command::Agent(AgentCommand::SetAgentState { agent, state, reason: None })
}

/// `None`: allowed; `Some(fragment)`: forbidden with a message containing it.
fn check(rows: &[(&str, Actor, Command, Option<&str>)]) {
    for (rule, actor, command, expect) in rows {
        let mut center = floor();
        let bytes_before = json(&center);
        let entry = Entry { request_id: None, time_ms: 5_000, command: command.clone(), by: *actor };
        let outcome = center.apply(&entry);
        let forbidden = match &outcome {
            Outcome::Rejected(rejection) if rejection.code == RejectionCode::Forbidden => {
                Some(rejection.message.clone())
            }
            _ => None,
        };
        match (expect, forbidden) {
            (None, None) => {}
            (Some(fragment), Some(message)) => {
                assert!(message.contains(fragment), "{rule}: message {message:?} lacks {fragment:?}");
                assert_eq!(json(&center), bytes_before, "{rule}: a forbidden command changed the center");
            }
            (expect, _) => panic!("{rule}: expected {expect:?}, got {outcome:?}"),
        }
    }
}

#[test]
fn who_may_do_what() {
    use AgentStateRequest::{NotReady, Ready};
    let monitor = |supervisor, agent| Command::Voice(VoiceCommand::StartSilentMonitor { supervisor, agent });
    let chat = |from, to| Command::Supervision(SupervisionCommand::SendAgentChat { from, to, text: "hello".into() });
    let message = |sender| TeamMessageSpec { sender, text: "Lunch".into(), teams: vec![TeamId(1)], expiry_minutes: 30 };
    check(&[
        ("the operator configures", Actor::Operator, skill("Email"), None),
        ("an administrator user configures", ROOT_USER, skill("Email"), None),
        ("an agent does not configure", ALICE_USER, skill("Email"), Some("Only an administrator")),
        ("a supervisor does not configure", SAM_USER, skill("Email"), Some("a supervisor")),
        (
            "an agent creates no users",
            ALICE_USER,
            user("eve", Role::Administrator, None),
            Some("Only an administrator"),
        ),
        ("an agent sets its own state", ALICE_USER, state(ALICE, Ready), None),
        ("an agent does not set another's state", ALICE_USER, state(BRUNO, Ready), Some("may act only for itself")),
        ("a supervisor sets its team's agents' states", SAM_USER, state(ALICE, NotReady), None),
        ("a supervisor sets its own state", SAM_USER, state(SAM, Ready), None),
        ("not outside its teams", SAM_USER, state(CHEN, Ready), Some("not in a team they supervise")),
        ("an administrator acts for any agent", ROOT_USER, state(CHEN, Ready), None),
        ("a supervisor monitors its team as itself", SAM_USER, monitor(SAM, ALICE), None),
        ("nobody monitors as someone else", CHEN_USER, monitor(SAM, ALICE), Some("may not act as agent 1")),
        ("an agent writes chat as itself", ALICE_USER, chat(ALICE, SAM), None),
        ("not as its supervisor", ALICE_USER, chat(SAM, BRUNO), Some("may not act as agent 1")),
        (
            "a supervisor publishes as itself",
            SAM_USER,
            Command::Supervision(SupervisionCommand::PublishTeamMessage(message(SAM))),
            None,
        ),
        (
            "an agent does not publish as sam",
            ALICE_USER,
            Command::Supervision(SupervisionCommand::PublishTeamMessage(message(SAM))),
            Some("agent 1"),
        ),
        (
            "only an administrator deletes without a sender",
            SAM_USER,
            Command::Supervision(SupervisionCommand::DeleteTeamMessage { id: TeamMessageId(1), by: None }),
            Some("without naming its sender"),
        ),
        ("customers' contacts come from the operator", ALICE_USER, inject(Channel::Voice, 1), Some("administrator")),
        (
            "deadlines are the cluster's",
            ALICE_USER,
            Command::System(SystemCommand::Expire { deadline: Deadline::WrapUp(ALICE), epoch: 1 }),
            Some("Only an administrator"),
        ),
        ("a deleted user acts no more", Actor::User(UserId(9)), state(ALICE, Ready), Some("no longer exists")),
    ]);
}

/// The check reads the teams as they are when the entry applies: a supervisor removed from a
/// team loses its agents at the next entry, whatever its session saw at login.
#[test]
fn team_changes_take_effect_at_the_next_entry() {
    let mut center = floor();
    let by = SAM_USER;
    let entry = |command: Command| Entry { request_id: None, time_ms: 5_000, command, by };
    assert!(center.apply(&entry(state(ALICE, AgentStateRequest::Ready))).is_applied());
    let unsupervised =
        Command::Config(ConfigCommand::UpdateTeam { id: TeamId(1), spec: super::team_spec("Floor", None, &[]) });
    assert!(center.apply(&Entry { by: Actor::Operator, ..entry(unsupervised) }).is_applied());
    let outcome = center.apply(&entry(state(ALICE, AgentStateRequest::NotReady)));
    assert_eq!(outcome.rejection().map(|rejection| rejection.code), Some(RejectionCode::Forbidden), "{outcome:?}");
}

/// The actor travels in the entry: it survives the log's JSON, and the operator's entries read
/// as they did before actors were recorded.
#[test]
fn the_actor_is_part_of_the_entry() {
    let entry = Entry { request_id: None, time_ms: 1, command: Command::System(SystemCommand::Noop), by: SAM_USER };
    let text = serde_json::to_string(&entry).unwrap();
    assert_eq!(text, r#"{"request_id":null,"time_ms":1,"command":"Noop","by":{"user":2}}"#);
    assert_eq!(serde_json::from_str::<Entry>(&text).unwrap(), entry);
    let old = r#"{"request_id":null,"time_ms":1,"command":"Noop"}"#;
    let read: Entry = serde_json::from_str(old).unwrap();
    assert_eq!(read.by, Actor::Operator);
    assert_eq!(serde_json::to_string(&read).unwrap(), old, "the operator is left out");
}
