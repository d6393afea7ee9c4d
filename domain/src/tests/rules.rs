//! Configuration rules per entity kind, one row per rule.

use super::{agent, agent_in, agent_spec, check, csq, csq_spec, reason, row, skill, skills, team, team_spec, Expect};
use crate::{AgentCommand, ConfigCommand, SystemCommand};
use crate::{
    AgentId, AgentSpec, Channel, Command, CsqId, ReasonCodeId, ReasonCodeSpec, ReasonKind, RejectionCode, SkillId,
    SkillSpec, TeamId, AGENT_SKILL_COUNT_MAX, SKILL_COUNT_MAX,
};
use crate::{ConfigEvent, QueueCommand};
use Expect::{Applied, Rejected};
use RejectionCode::*;

fn update_skill(id: u64, name: &str) -> Command {
    Command::Config(ConfigCommand::UpdateSkill { id: SkillId(id), spec: SkillSpec { name: name.to_owned() } })
}

#[test]
fn skill_rules() {
    check(vec![
        row("name required", vec![], skill(""), Rejected(InvalidField, "name must not be empty")),
        row("blank name is empty", vec![], skill("  \t "), Rejected(InvalidField, "name must not be empty")),
        row("name of 64 characters", vec![], skill(&"s".repeat(64)), Applied),
        row(
            "name of 65 characters",
            vec![],
            skill(&"s".repeat(65)),
            Rejected(InvalidField, "at most 64 characters (got 65)"),
        ),
        row("64 two-byte characters", vec![], skill(&"é".repeat(64)), Applied),
        row("65 two-byte characters", vec![], skill(&"é".repeat(65)), Rejected(InvalidField, "(got 65)")),
        row("control characters", vec![], skill("Sa\nles"), Rejected(InvalidField, "control characters")),
        row(
            "duplicate name",
            vec![skill("Sales")],
            skill("Sales"),
            Rejected(DuplicateName, "\"Sales\" already exists (skill 1)"),
        ),
        row("duplicate ignores case", vec![skill("Sales")], skill("sALES"), Rejected(DuplicateName, "skill 1")),
        row("duplicate ignores padding", vec![skill("Sales")], skill(" sales "), Rejected(DuplicateName, "skill 1")),
        row("duplicate ignores Unicode case", vec![skill("Ärger")], skill("äRGER"), Rejected(DuplicateName, "skill 1")),
        row("distinct names", vec![skill("Sales")], skill("Sales 2"), Applied),
        row("update keeps own name in other case", vec![skill("Sales")], update_skill(1, "SALES"), Applied),
        row(
            "update to another's name",
            vec![skill("Sales"), skill("Support")],
            update_skill(2, "sales"),
            Rejected(DuplicateName, "skill 1"),
        ),
        row("update missing skill", vec![], update_skill(9, "Sales"), Rejected(NotFound, "skill 9 does not exist")),
        row(
            "delete missing skill",
            vec![],
            Command::Config(ConfigCommand::DeleteSkill { id: SkillId(9) }),
            Rejected(NotFound, "skill 9 does not exist"),
        ),
        row(
            "delete unused skill",
            vec![skill("Sales")],
            Command::Config(ConfigCommand::DeleteSkill { id: SkillId(1) }),
            Applied,
        ),
        row(
            "delete skill an agent holds",
            vec![skill("Sales"), agent("alice", &[(1, 5)])],
            Command::Config(ConfigCommand::DeleteSkill { id: SkillId(1) }),
            Rejected(InUse, "skill 1 is in use by agent 1"),
        ),
        row(
            "delete skill a CSQ requires",
            vec![skill("Sales"), csq("Q", Channel::Chat, &[(1, 1)])],
            Command::Config(ConfigCommand::DeleteSkill { id: SkillId(1) }),
            Rejected(InUse, "skill 1 is in use by CSQ 1"),
        ),
        row(
            "in-use message names agents then CSQs",
            vec![skill("Sales"), agent("alice", &[(1, 5)]), csq("Q", Channel::Chat, &[(1, 1)])],
            Command::Config(ConfigCommand::DeleteSkill { id: SkillId(1) }),
            Rejected(InUse, "skill 1 is in use by agent 1, CSQ 1"),
        ),
        row(
            "skill count limit",
            skills(u64::from(SKILL_COUNT_MAX)),
            skill("One too many"),
            Rejected(LimitExceeded, "Tandem supports a maximum of 1000 skills."),
        ),
        row("noop applies", vec![], Command::System(SystemCommand::Noop), Applied),
    ]);
}

fn update_agent(id: u64, spec: AgentSpec) -> Command {
    Command::Agent(AgentCommand::UpdateAgent { id: AgentId(id), spec })
}

#[test]
fn agent_rules() {
    let sales = || vec![skill("Sales"), skill("Support")];
    let many_levels: Vec<(u64, u8)> = (1..=u64::from(AGENT_SKILL_COUNT_MAX) + 1).map(|id| (id, 5)).collect();
    let blank_login = AgentSpec { login_name: " ".into(), ..agent_spec("x", &[]) };
    let spaced_login = AgentSpec { login_name: "al ice".into(), ..agent_spec("x", &[]) };
    let blank_name = AgentSpec { name: "".into(), ..agent_spec("alice", &[]) };
    let long_alias = AgentSpec { alias: Some("a".repeat(65)), ..agent_spec("alice", &[]) };
    let unknown_team = AgentSpec { team: Some(TeamId(9)), ..agent_spec("alice", &[]) };
    check(vec![
        row(
            "competence 0",
            sales(),
            agent("a", &[(1, 0)]),
            Rejected(InvalidField, "skills[0].competence must be between 1 and 10 (got 0)"),
        ),
        row(
            "competence 11",
            sales(),
            agent("a", &[(2, 1), (1, 11)]),
            Rejected(InvalidField, "skills[1].competence must be between 1 and 10 (got 11)"),
        ),
        row("competence 1", sales(), agent("a", &[(1, 1)]), Applied),
        row("competence 10", sales(), agent("a", &[(1, 10)]), Applied),
        row("no skills", vec![], agent("a", &[]), Applied),
        row(
            "skill twice",
            sales(),
            agent("a", &[(1, 3), (2, 4), (1, 5)]),
            Rejected(InvalidField, "skills lists skill 1 more than once"),
        ),
        row(
            "unknown skill",
            sales(),
            agent("a", &[(1, 3), (9, 4)]),
            Rejected(UnknownSkill, "skills[1].skill: skill 9 does not exist"),
        ),
        row(
            "too many skills",
            skills(u64::from(AGENT_SKILL_COUNT_MAX) + 1),
            agent("a", &many_levels),
            Rejected(InvalidField, "between 0 and 50 skills (got 51)"),
        ),
        row(
            "unknown team",
            vec![],
            Command::Agent(AgentCommand::CreateAgent(unknown_team)),
            Rejected(UnknownTeam, "team 9 does not exist"),
        ),
        row("known team", vec![team("T", None, &[])], agent_in("a", 1), Applied),
        row(
            "login name required",
            vec![],
            Command::Agent(AgentCommand::CreateAgent(blank_login)),
            Rejected(InvalidField, "login_name must not be empty"),
        ),
        row(
            "login name without whitespace",
            vec![],
            Command::Agent(AgentCommand::CreateAgent(spaced_login)),
            Rejected(InvalidField, "login_name must not contain whitespace"),
        ),
        row(
            "name required",
            vec![],
            Command::Agent(AgentCommand::CreateAgent(blank_name)),
            Rejected(InvalidField, "name must not be empty"),
        ),
        row(
            "alias of 65 characters",
            vec![],
            Command::Agent(AgentCommand::CreateAgent(long_alias)),
            Rejected(InvalidField, "alias must be at most 64 characters"),
        ),
        row(
            "duplicate login name ignores case",
            vec![agent("alice", &[])],
            agent("ALICE", &[]),
            Rejected(DuplicateName, "login name \"alice\" already exists (agent 1)"),
        ),
        row(
            "display names may repeat",
            vec![agent("alice", &[])],
            Command::Agent(AgentCommand::CreateAgent(AgentSpec {
                name: "Agent alice".into(),
                ..agent_spec("alice2", &[])
            })),
            Applied,
        ),
        row(
            "update keeps own login name",
            vec![agent("alice", &[])],
            update_agent(1, agent_spec("Alice", &[])),
            Applied,
        ),
        row(
            "update to another's login name",
            vec![agent("alice", &[]), agent("bob", &[])],
            update_agent(2, agent_spec("alice", &[])),
            Rejected(DuplicateName, "agent 1"),
        ),
        row(
            "a renamed agent's old login name is free",
            vec![agent("alice", &[]), update_agent(1, agent_spec("bob", &[]))],
            agent("ALICE", &[]),
            Applied,
        ),
        row(
            "a renamed agent's new login name is taken",
            vec![agent("alice", &[]), update_agent(1, agent_spec("bob", &[]))],
            agent("Bob", &[]),
            Rejected(DuplicateName, "login name \"bob\" already exists (agent 1)"),
        ),
        row(
            "a deleted agent's login name is free",
            vec![agent("alice", &[]), Command::Agent(AgentCommand::DeleteAgent { id: AgentId(1) })],
            agent("alice", &[]),
            Applied,
        ),
        row(
            "update missing agent",
            vec![],
            update_agent(9, agent_spec("alice", &[])),
            Rejected(NotFound, "agent 9 does not exist"),
        ),
        row(
            "update checks existence before fields",
            sales(),
            update_agent(1, agent_spec("a", &[(1, 0)])),
            Rejected(NotFound, "agent 1"),
        ),
        row(
            "delete missing agent",
            vec![],
            Command::Agent(AgentCommand::DeleteAgent { id: AgentId(9) }),
            Rejected(NotFound, "agent 9 does not exist"),
        ),
        row(
            "delete agent",
            vec![agent("alice", &[])],
            Command::Agent(AgentCommand::DeleteAgent { id: AgentId(1) }),
            Applied,
        ),
        row(
            "delete primary supervisor",
            vec![agent("alice", &[]), team("T", Some(1), &[])],
            Command::Agent(AgentCommand::DeleteAgent { id: AgentId(1) }),
            Rejected(InUse, "agent 1 is in use by team 1 (as supervisor)"),
        ),
        row(
            "delete secondary supervisor",
            vec![agent("alice", &[]), agent("bob", &[]), team("T", Some(1), &[]), team("U", None, &[2])],
            Command::Agent(AgentCommand::DeleteAgent { id: AgentId(2) }),
            Rejected(InUse, "agent 2 is in use by team 2 (as supervisor)"),
        ),
    ]);
}

#[test]
fn agent_update_rules() {
    let setup = || vec![skill("Sales"), agent("alice", &[(1, 5)])];
    check(vec![
        row(
            "update competence 0",
            setup(),
            update_agent(1, agent_spec("alice", &[(1, 0)])),
            Rejected(InvalidField, "got 0"),
        ),
        row(
            "update competence 11",
            setup(),
            update_agent(1, agent_spec("alice", &[(1, 11)])),
            Rejected(InvalidField, "got 11"),
        ),
        row(
            "update unknown skill",
            setup(),
            update_agent(1, agent_spec("alice", &[(7, 5)])),
            Rejected(UnknownSkill, "skill 7"),
        ),
        row("update drops skills", setup(), update_agent(1, agent_spec("alice", &[])), Applied),
    ]);
}

fn update_team(id: u64, name: &str, primary: Option<u64>, secondary: &[u64]) -> Command {
    Command::Config(ConfigCommand::UpdateTeam { id: TeamId(id), spec: team_spec(name, primary, secondary) })
}

#[test]
fn team_rules() {
    let two_agents = || vec![agent("alice", &[]), agent("bob", &[])];
    let crowded: Vec<Command> =
        std::iter::once(team("T", None, &[])).chain((1..=7).map(|index| agent_in(&format!("a{index}"), 1))).collect();
    check(vec![
        row("name required", vec![], team("", None, &[]), Rejected(InvalidField, "name must not be empty")),
        row("no supervisors", vec![], team("T", None, &[]), Applied),
        row("supervisors exist", two_agents(), team("T", Some(1), &[2]), Applied),
        row(
            "unknown primary",
            vec![],
            team("T", Some(9), &[]),
            Rejected(UnknownAgent, "primary_supervisor: agent 9 does not exist"),
        ),
        row(
            "unknown secondary",
            two_agents(),
            team("T", Some(1), &[2, 9]),
            Rejected(UnknownAgent, "secondary_supervisors[1]: agent 9 does not exist"),
        ),
        row(
            "primary also secondary",
            two_agents(),
            team("T", Some(1), &[1]),
            Rejected(InvalidField, "who is the primary_supervisor"),
        ),
        row(
            "secondary twice",
            two_agents(),
            team("T", None, &[2, 2]),
            Rejected(InvalidField, "lists agent 2 more than once"),
        ),
        row(
            "duplicate name ignores case",
            vec![team("Sales", None, &[])],
            team("SALES", None, &[]),
            Rejected(DuplicateName, "team 1"),
        ),
        row("update keeps own name", vec![team("Sales", None, &[])], update_team(1, "sales", None, &[]), Applied),
        row("update missing team", vec![], update_team(9, "T", None, &[]), Rejected(NotFound, "team 9 does not exist")),
        row(
            "update unknown supervisor",
            vec![team("T", None, &[])],
            update_team(1, "T", Some(4), &[]),
            Rejected(UnknownAgent, "agent 4"),
        ),
        row(
            "delete empty team",
            vec![team("T", None, &[])],
            Command::Config(ConfigCommand::DeleteTeam { id: TeamId(1) }),
            Applied,
        ),
        row(
            "delete missing team",
            vec![],
            Command::Config(ConfigCommand::DeleteTeam { id: TeamId(9) }),
            Rejected(NotFound, "team 9 does not exist"),
        ),
        row(
            "delete team with agents",
            vec![team("T", None, &[]), agent_in("alice", 1)],
            Command::Config(ConfigCommand::DeleteTeam { id: TeamId(1) }),
            Rejected(InUse, "team 1 is in use by agent 1 (as member)"),
        ),
        row(
            "in-use message names five, counts the rest",
            crowded,
            Command::Config(ConfigCommand::DeleteTeam { id: TeamId(1) }),
            Rejected(InUse, "agent 5 (as member) and 2 more"),
        ),
    ]);
}

fn update_csq(id: u64, name: &str, channel: Channel, requirements: &[(u64, u8)]) -> Command {
    Command::Queue(QueueCommand::UpdateCsq { id: CsqId(id), spec: csq_spec(name, channel, requirements) })
}

#[test]
fn csq_rules() {
    let sales = || vec![skill("Sales"), skill("Support")];
    let with_csq = || vec![skill("Sales"), csq("Q", Channel::Voice, &[(1, 1)])];
    check(vec![
        row(
            "min competence 0",
            sales(),
            csq("Q", Channel::Voice, &[(1, 0)]),
            Rejected(InvalidField, "skills[0].min_competence must be between 1 and 10 (got 0)"),
        ),
        row(
            "min competence 11",
            sales(),
            csq("Q", Channel::Chat, &[(1, 11)]),
            Rejected(InvalidField, "skills[0].min_competence must be between 1 and 10 (got 11)"),
        ),
        row("min competence 1", sales(), csq("Q", Channel::Chat, &[(1, 1)]), Applied),
        row("min competence 10", sales(), csq("Q", Channel::Email, &[(1, 10)]), Applied),
        row(
            "skills required",
            sales(),
            csq("Q", Channel::Chat, &[]),
            Rejected(InvalidField, "skills must list between 1 and 50 skills (got 0)"),
        ),
        row(
            "unknown skill",
            sales(),
            csq("Q", Channel::Chat, &[(9, 1)]),
            Rejected(UnknownSkill, "skills[0].skill: skill 9 does not exist"),
        ),
        row(
            "unknown skill on empty center",
            vec![],
            csq("Q", Channel::Voice, &[(1, 1)]),
            Rejected(UnknownSkill, "skill 1 does not exist"),
        ),
        row(
            "skill twice",
            sales(),
            csq("Q", Channel::Chat, &[(2, 1), (2, 3)]),
            Rejected(InvalidField, "skills lists skill 2 more than once"),
        ),
        row(
            "name required",
            sales(),
            csq(" ", Channel::Chat, &[(1, 1)]),
            Rejected(InvalidField, "name must not be empty"),
        ),
        row(
            "duplicate name across channels",
            with_csq(),
            csq("q", Channel::Chat, &[(1, 1)]),
            Rejected(DuplicateName, "\"Q\" already exists (CSQ 1)"),
        ),
        row("update keeps own name", with_csq(), update_csq(1, "q", Channel::Chat, &[(1, 2)]), Applied),
        row(
            "update unknown skill",
            with_csq(),
            update_csq(1, "Q", Channel::Chat, &[(5, 2)]),
            Rejected(UnknownSkill, "skill 5"),
        ),
        row(
            "update missing CSQ",
            with_csq(),
            update_csq(9, "Q", Channel::Chat, &[(1, 2)]),
            Rejected(NotFound, "CSQ 9 does not exist"),
        ),
        row("delete CSQ", with_csq(), Command::Queue(QueueCommand::DeleteCsq { id: CsqId(1) }), Applied),
        row(
            "delete missing CSQ",
            vec![],
            Command::Queue(QueueCommand::DeleteCsq { id: CsqId(9) }),
            Rejected(NotFound, "CSQ 9 does not exist"),
        ),
    ]);
}

fn update_reason(id: u64, kind: ReasonKind, value: u16, label: &str) -> Command {
    Command::Config(ConfigCommand::UpdateReasonCode {
        id: ReasonCodeId(id),
        spec: ReasonCodeSpec { kind, value, label: label.to_owned() },
    })
}

#[test]
fn reason_code_rules() {
    use ReasonKind::{Logout, NotReady};
    let lunch = || vec![reason(NotReady, 2, "Lunch")];
    check(vec![
        row("label of 42 characters", vec![], reason(NotReady, 1, &"x".repeat(42)), Applied),
        row(
            "label of 43 characters",
            vec![],
            reason(NotReady, 1, &"x".repeat(43)),
            Rejected(InvalidField, "label must be at most 42 characters (got 43)"),
        ),
        row("label of 42 two-byte characters", vec![], reason(NotReady, 1, &"ü".repeat(42)), Applied),
        row(
            "label of 43 two-byte characters",
            vec![],
            reason(NotReady, 1, &"ü".repeat(43)),
            Rejected(InvalidField, "(got 43)"),
        ),
        row("label of 42 four-byte characters", vec![], reason(Logout, 1, &"☕🎧".repeat(21)), Applied),
        row(
            "label of 43 four-byte characters",
            vec![],
            reason(Logout, 1, &"🎧".repeat(43)),
            Rejected(InvalidField, "(got 43)"),
        ),
        row("label required", vec![], reason(NotReady, 1, " "), Rejected(InvalidField, "label must not be empty")),
        row(
            "value 0 means no reason",
            vec![],
            reason(NotReady, 0, "Break"),
            Rejected(InvalidField, "value must be between 1 and 65535"),
        ),
        row("value 65535", vec![], reason(NotReady, u16::MAX, "Break"), Applied),
        row(
            "duplicate value in kind",
            lunch(),
            reason(NotReady, 2, "Break"),
            Rejected(DuplicateValue, "a not_ready reason code with value 2 already exists (reason code 1)"),
        ),
        row("same value, other kind", lunch(), reason(Logout, 2, "Break"), Applied),
        row(
            "duplicate label in kind",
            lunch(),
            reason(NotReady, 3, "LUNCH"),
            Rejected(DuplicateName, "labelled \"Lunch\" already exists (reason code 1)"),
        ),
        row("same label, other kind", lunch(), reason(Logout, 3, "Lunch"), Applied),
        row("update keeps own value and label", lunch(), update_reason(1, NotReady, 2, "lunch"), Applied),
        row(
            "update label of 43",
            lunch(),
            update_reason(1, NotReady, 2, &"x".repeat(43)),
            Rejected(InvalidField, "(got 43)"),
        ),
        row(
            "update missing code",
            vec![],
            update_reason(9, NotReady, 2, "x"),
            Rejected(NotFound, "reason code 9 does not exist"),
        ),
        row("delete code", lunch(), Command::Config(ConfigCommand::DeleteReasonCode { id: ReasonCodeId(1) }), Applied),
        row(
            "delete missing code",
            vec![],
            Command::Config(ConfigCommand::DeleteReasonCode { id: ReasonCodeId(1) }),
            Rejected(NotFound, "reason code 1 does not exist"),
        ),
    ]);
}

#[test]
fn stored_values_are_normalized() {
    let alias_blank =
        AgentSpec { alias: Some("  ".into()), login_name: " alice ".into(), ..agent_spec("x", &[(2, 3), (1, 9)]) };
    let center = super::center_from(
        "normalize",
        &[
            skill("  Sales "),
            skill("Support"),
            Command::Agent(AgentCommand::CreateAgent(alias_blank)),
            team("T", Some(1), &[]),
            csq("Q", Channel::Chat, &[(2, 1), (1, 4)]),
            reason(ReasonKind::NotReady, 1, " Lunch "),
        ],
    );
    assert_eq!(center.skill(SkillId(1)).map(|skill| skill.name.as_str()), Some("Sales"));
    let alice = center.agent(AgentId(1)).unwrap();
    assert_eq!(alice.login_name, "alice");
    assert_eq!(alice.alias, None);
    let agent_skills: Vec<u64> = alice.skills.iter().map(|level| level.skill.get()).collect();
    assert_eq!(agent_skills, [1, 2], "agent skills sorted by skill id");
    let csq_skills: Vec<u64> =
        center.csq(CsqId(1)).unwrap().skills.iter().map(|required| required.skill.get()).collect();
    assert_eq!(csq_skills, [1, 2], "CSQ skills sorted by skill id");
    assert_eq!(center.reason_code(ReasonCodeId(1)).unwrap().label, "Lunch");
}

#[test]
fn ids_start_at_one_and_are_never_reused() {
    let mut center = crate::Center::default();
    let created = |outcome: crate::Outcome| outcome.applied().and_then(|applied| applied.created);
    assert_eq!(created(center.apply(&super::entry(skill("A")))), Some(crate::EntityRef::Skill(SkillId(1))));
    assert_eq!(created(center.apply(&super::entry(skill("B")))), Some(crate::EntityRef::Skill(SkillId(2))));
    assert!(center.apply(&super::entry(Command::Config(ConfigCommand::DeleteSkill { id: SkillId(2) }))).is_applied());
    assert_eq!(created(center.apply(&super::entry(skill("B")))), Some(crate::EntityRef::Skill(SkillId(3))));
    assert!(center.skill(SkillId(2)).is_none());
    assert_eq!(created(center.apply(&super::entry(agent("a", &[])))), Some(crate::EntityRef::Agent(AgentId(1))));
    let ids: Vec<u64> = center.skills().map(|skill| skill.id.get()).collect();
    assert_eq!(ids, [1, 3], "read side is in id order");
}

#[test]
fn events_carry_the_stored_entity() {
    let mut center = crate::Center::default();
    let outcome = center.apply(&super::entry(skill(" Sales ")));
    let stored = center.skill(SkillId(1)).unwrap().clone();
    assert_eq!(outcome.applied().unwrap().events, vec![crate::Event::Config(ConfigEvent::SkillCreated(stored))]);
    let outcome = center.apply(&super::entry(Command::Config(ConfigCommand::DeleteSkill { id: SkillId(1) })));
    assert_eq!(outcome.applied().unwrap().events, vec![crate::Event::Config(ConfigEvent::SkillDeleted(SkillId(1)))]);
    let outcome = center.apply(&super::entry(Command::System(SystemCommand::Noop)));
    assert_eq!(outcome.applied().unwrap(), &crate::Applied::default());
}
