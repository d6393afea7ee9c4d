//! Users: one per agent or supervisor, administrators without an agent, hashes never in events.

use super::{agent, center_from, check, entry, row, team, Expect};
use crate::{AgentCommand, ConfigCommand, ConfigEvent};
use crate::{AgentId, Command, Event, Outcome, RejectionCode, Role, UserId, UserSpec};

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn spec(login_name: &str, role: Role, agent: Option<u64>) -> UserSpec {
    UserSpec { login_name: login_name.into(), role, agent: agent.map(AgentId), password_hash: HASH.into() }
}

fn user(login_name: &str, role: Role, agent: Option<u64>) -> Command {
    Command::Config(ConfigCommand::CreateUser(spec(login_name, role, agent)))
}

#[test]
fn user_rules() {
    let one_agent = vec![agent("alice", &[])];
    check(vec![
        row("an agent user names its agent", one_agent.clone(), user("alice", Role::Agent, Some(1)), Expect::Applied),
        row("an administrator has no agent", vec![], user("root", Role::Administrator, None), Expect::Applied),
        row(
            "an agent user without an agent is refused",
            vec![],
            user("alice", Role::Agent, None),
            Expect::Rejected(RejectionCode::InvalidField, "must name its agent"),
        ),
        row(
            "an administrator with an agent is refused",
            one_agent.clone(),
            user("root", Role::Administrator, Some(1)),
            Expect::Rejected(RejectionCode::InvalidField, "administrator is not an agent"),
        ),
        row(
            "the agent must exist",
            vec![],
            user("ghost", Role::Supervisor, Some(7)),
            Expect::Rejected(RejectionCode::NotFound, "agent"),
        ),
        row(
            "one user per agent",
            vec![agent("alice", &[]), user("alice", Role::Agent, Some(1))],
            user("alice2", Role::Supervisor, Some(1)),
            Expect::Rejected(RejectionCode::DuplicateValue, "already has a user"),
        ),
        row(
            "login names are unique ignoring case",
            vec![user("Root", Role::Administrator, None)],
            user("root", Role::Administrator, None),
            Expect::Rejected(RejectionCode::DuplicateName, "already exists"),
        ),
        row(
            "login names have no whitespace",
            vec![],
            user("ro ot", Role::Administrator, None),
            Expect::Rejected(RejectionCode::InvalidField, "whitespace"),
        ),
        row(
            "the hash is a PHC string",
            vec![],
            Command::Config(ConfigCommand::CreateUser(UserSpec {
                password_hash: "secret".into(),
                ..spec("root", Role::Administrator, None)
            })),
            Expect::Rejected(RejectionCode::InvalidField, "PHC string"),
        ),
        row(
            "an agent with a user cannot be deleted",
            vec![agent("alice", &[]), user("alice", Role::Agent, Some(1))],
            Command::Agent(AgentCommand::DeleteAgent { id: AgentId(1) }),
            Expect::Rejected(RejectionCode::InUse, "user 1"),
        ),
        row(
            "deleting an unknown user is not_found",
            vec![],
            Command::Config(ConfigCommand::DeleteUser { id: UserId(3) }),
            Expect::Rejected(RejectionCode::NotFound, "user"),
        ),
    ]);
}

#[test]
fn events_never_carry_the_hash() {
    let mut center = center_from("setup", &[agent("alice", &[])]);
    let Outcome::Applied(applied) = center.apply(&entry(user("alice", Role::Agent, Some(1)))) else {
        panic!("create user refused")
    };
    let text = serde_json::to_string(&applied.events).unwrap();
    assert!(!text.contains("argon2"), "{text}");
    assert!(
        matches!(&applied.events[..], [Event::Config(ConfigEvent::UserCreated(view))] if view.login_name == "alice")
    );
}

#[test]
fn login_finds_the_user_by_user_name_agent_name_or_agent_id() {
    let center = center_from(
        "setup",
        &[
            agent("alice", &[]),
            agent("bob", &[]),
            user("ALICE.user", Role::Agent, Some(1)),
            user("boss", Role::Supervisor, Some(2)),
            team("Blue", Some(2), &[]),
        ],
    );
    let by = |login: &str| center.user_for_login(login).map(|user| user.id.get());
    assert_eq!(by("alice.user"), Some(1));
    assert_eq!(by("Alice"), Some(1), "the agent's login name works too");
    assert_eq!(by("1"), Some(1), "and the agent id");
    assert_eq!(by("bob"), Some(2));
    assert_eq!(by("nobody"), None);
    let boss = center.user(UserId(2)).unwrap();
    assert_eq!(center.supervised_teams(boss).len(), 1);
    let alice = center.user(UserId(1)).unwrap();
    assert!(center.supervised_teams(alice).is_empty());
}
