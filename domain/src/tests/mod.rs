//! Tests of every configuration rule, as tables: one `check` helper, one row per rule.
//!
//! Rows name the rule they test. Every rejected row also checks that the center is unchanged,
//! both as a value and as serialized bytes, and every applied row checks the center's
//! invariants (references resolve, names unique, limits held).

mod agent_chat;
mod agent_states;
mod audience;
mod authorization;
mod chat;
mod content;
mod demo;
mod digital;
mod email;
mod email_limit;
mod inbound;
mod invariants;
mod login;
mod mailbox;
mod outbox;
mod properties;
mod requests;
mod routing;
mod routing_properties;
mod rules;
mod script;
mod statistics;
mod telephony;
mod telephony_properties;
mod users;
mod voice;
mod wire;

use crate::{AgentCommand, ConfigCommand, QueueCommand};
use std::collections::BTreeSet;

use crate::{
    AgentId, AgentSpec, Center, Channel, Command, CsqSpec, Entry, Outcome, ReasonCodeSpec, ReasonKind, RejectionCode,
    Selection, SkillId, SkillLevel, SkillRequirement, SkillSpec, SpecError, TeamId, TeamSpec, AGENT_SKILL_COUNT_MAX,
    COMPETENCE_MAX, COMPETENCE_MIN, CSQ_SKILL_COUNT_MAX, EMAIL_CSQ_COUNT_MAX, REASON_CODE_LABEL_LENGTH_MAX,
    REQUEST_ID_REMEMBERED_COUNT_MAX,
};

/// What a row expects from applying its command.
#[derive(Debug)]
pub(super) enum Expect {
    Applied,
    /// The code, and a fragment the message must contain.
    Rejected(RejectionCode, &'static str),
    /// The code and the exact message (for the spec's texts).
    RejectedExactly(RejectionCode, &'static str),
    /// A spec error: its code, number and exact text.
    RejectedSpec(SpecError),
}

/// One rule: from the center the setup builds, the command gives the expected outcome.
pub(super) struct Row {
    pub(super) rule: &'static str,
    pub(super) setup: Vec<Command>,
    pub(super) command: Command,
    pub(super) expect: Expect,
}

pub(super) fn row(rule: &'static str, setup: Vec<Command>, command: Command, expect: Expect) -> Row {
    Row { rule, setup, command, expect }
}

/// The one helper every table goes through.
pub(super) fn check(rows: Vec<Row>) {
    for row in rows {
        let mut center = center_from(row.rule, &row.setup);
        let before = center.clone();
        let bytes_before = json(&center);
        let outcome = center.apply(&entry(row.command.clone()));
        match (&row.expect, &outcome) {
            (Expect::Applied, Outcome::Applied(_)) => assert_invariants(&center),
            (Expect::Rejected(code, fragment), Outcome::Rejected(rejection)) => {
                assert_eq!(rejection.code, *code, "{}: {}", row.rule, rejection.message);
                assert!(rejection.message.contains(fragment), "{}: message {:?}", row.rule, rejection.message);
            }
            (Expect::RejectedExactly(code, message), Outcome::Rejected(rejection)) => {
                assert_eq!(rejection.code, *code, "{}", row.rule);
                assert_eq!(rejection.message, *message, "{}", row.rule);
            }
            (Expect::RejectedSpec(error), Outcome::Rejected(rejection)) => {
                assert_eq!(rejection.spec_code, Some(error.code()), "{}: {}", row.rule, rejection.message);
                assert_eq!(rejection.code, error.rejection_code(), "{}", row.rule);
                assert_eq!(rejection.message, error.text(), "{}", row.rule);
            }
            (expect, outcome) => panic!("{}: expected {expect:?}, got {outcome:?}", row.rule),
        }
        if !outcome.is_applied() {
            assert_eq!(center, before, "{}: a rejection changed the center", row.rule);
            assert_eq!(json(&center), bytes_before, "{}: a rejection changed the bytes", row.rule);
        }
    }
}

/// Applies `setup` to an empty center, each command at its index as time, all applied.
pub(super) fn center_from(rule: &str, setup: &[Command]) -> Center {
    let mut center = Center::default();
    for (index, command) in setup.iter().enumerate() {
        let outcome = center.apply(&Entry {
            request_id: None,
            time_ms: index as u64,
            command: command.clone(),
            by: crate::Actor::Operator,
        });
        assert!(outcome.is_applied(), "{rule}: setup command {index} {command:?} gave {outcome:?}");
    }
    center
}

pub(super) fn entry(command: Command) -> Entry {
    Entry { request_id: None, time_ms: 0, command, by: crate::Actor::Operator }
}

pub(super) fn json(center: &Center) -> Vec<u8> {
    serde_json::to_vec(center).unwrap()
}

pub(super) fn skill(name: &str) -> Command {
    Command::Config(ConfigCommand::CreateSkill(SkillSpec { name: name.to_owned() }))
}

/// `count` skills named "Skill 1" to "Skill count", getting ids 1 to `count`.
pub(super) fn skills(count: u64) -> Vec<Command> {
    (1..=count).map(|index| skill(&format!("Skill {index}"))).collect()
}

pub(super) fn agent_spec(login_name: &str, levels: &[(u64, u8)]) -> AgentSpec {
    AgentSpec {
        login_name: login_name.to_owned(),
        name: format!("Agent {login_name}"),
        alias: None,
        team: None,
        extension: None,
        skills: levels.iter().map(|&(skill, competence)| SkillLevel { skill: SkillId(skill), competence }).collect(),
    }
}

pub(super) fn agent(login_name: &str, levels: &[(u64, u8)]) -> Command {
    Command::Agent(AgentCommand::CreateAgent(agent_spec(login_name, levels)))
}

pub(super) fn agent_in(login_name: &str, team: u64) -> Command {
    Command::Agent(AgentCommand::CreateAgent(AgentSpec { team: Some(TeamId(team)), ..agent_spec(login_name, &[]) }))
}

pub(super) fn team_spec(name: &str, primary: Option<u64>, secondary: &[u64]) -> TeamSpec {
    TeamSpec {
        name: name.to_owned(),
        primary_supervisor: primary.map(AgentId),
        secondary_supervisors: secondary.iter().map(|&id| AgentId(id)).collect(),
    }
}

pub(super) fn team(name: &str, primary: Option<u64>, secondary: &[u64]) -> Command {
    Command::Config(ConfigCommand::CreateTeam(team_spec(name, primary, secondary)))
}

/// Sam (agent 1) supervises team 1 (alice 2, bruno 3); chen (4) is in team 2, which has no
/// supervisor; skill 1 and a `channel` CSQ (1) all of them but sam can serve; all logged in.
pub(super) fn floor_setup(channel: Channel) -> Vec<Command> {
    let member = |login_name: &str, team: u64| {
        Command::Agent(AgentCommand::CreateAgent(AgentSpec {
            team: Some(TeamId(team)),
            ..agent_spec(login_name, &[(1, 5)])
        }))
    };
    let mut setup = vec![skill("Skill 1"), Command::Agent(AgentCommand::CreateAgent(agent_spec("sam", &[])))];
    setup.extend([team("Floor", Some(1), &[]), team("Other", None, &[])]);
    setup.extend([member("alice", 1), member("bruno", 1), member("chen", 2)]);
    setup.push(csq("Queue", channel, &[(1, 1)]));
    setup.extend((1..=4).map(|agent| {
        Command::Agent(AgentCommand::SetAgentState {
            agent: AgentId(agent),
            state: crate::AgentStateRequest::Login,
            reason: None,
        })
    }));
    setup
}

pub(super) fn csq_spec(name: &str, channel: Channel, requirements: &[(u64, u8)]) -> CsqSpec {
    CsqSpec {
        name: name.to_owned(),
        channel,
        selection: Selection::LongestAvailable,
        skills: requirements
            .iter()
            .map(|&(skill, min_competence)| SkillRequirement { skill: SkillId(skill), min_competence })
            .collect(),
    }
}

pub(super) fn csq(name: &str, channel: Channel, requirements: &[(u64, u8)]) -> Command {
    Command::Queue(QueueCommand::CreateCsq(csq_spec(name, channel, requirements)))
}

pub(super) fn reason(kind: ReasonKind, value: u16, label: &str) -> Command {
    Command::Config(ConfigCommand::CreateReasonCode(ReasonCodeSpec { kind, value, label: label.to_owned() }))
}

fn folded(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// Checks, through the public read API, what must hold after every applied command.
pub(super) fn assert_invariants(center: &Center) {
    let skill_names: Vec<String> = center.skills().map(|skill| folded(&skill.name)).collect();
    assert_eq!(skill_names.iter().collect::<BTreeSet<_>>().len(), skill_names.len(), "skill names unique");
    let mut login_names = BTreeSet::new();
    let index: Vec<(String, AgentId)> = center.agents().map(|agent| (folded(&agent.login_name), agent.id)).collect();
    assert_eq!(
        center.login_names.clone().into_iter().collect::<BTreeSet<_>>(),
        index.into_iter().collect(),
        "login name index"
    );
    for agent in center.agents() {
        assert!(login_names.insert(folded(&agent.login_name)), "login names unique");
        assert!(!agent.name.trim().is_empty());
        assert!(agent.skills.len() <= AGENT_SKILL_COUNT_MAX as usize);
        assert!(agent.skills.windows(2).all(|pair| pair[0].skill < pair[1].skill), "agent skills sorted, unique");
        for level in &agent.skills {
            assert!(center.skill(level.skill).is_some(), "agent skill exists");
            assert!((COMPETENCE_MIN..=COMPETENCE_MAX).contains(&level.competence));
        }
        if let Some(team) = agent.team {
            assert!(center.team(team).is_some(), "agent team exists");
        }
    }
    let team_names: Vec<String> = center.teams().map(|team| folded(&team.name)).collect();
    assert_eq!(team_names.iter().collect::<BTreeSet<_>>().len(), team_names.len(), "team names unique");
    for team in center.teams() {
        assert!(team.secondary_supervisors.windows(2).all(|pair| pair[0] < pair[1]), "secondaries sorted, unique");
        for supervisor in team.primary_supervisor.iter().chain(&team.secondary_supervisors) {
            assert!(center.agent(*supervisor).is_some(), "supervisor exists");
        }
        if let Some(primary) = team.primary_supervisor {
            assert!(!team.secondary_supervisors.contains(&primary), "primary is not also secondary");
        }
    }
    assert_csq_invariants(center);
    let mut values = BTreeSet::new();
    for code in center.reason_codes() {
        assert!(values.insert((code.kind, code.value)), "reason values unique per kind");
        assert!(code.value != 0);
        assert!(code.label.chars().count() <= REASON_CODE_LABEL_LENGTH_MAX as usize);
    }
    assert!(center.request_remembered_count() <= REQUEST_ID_REMEMBERED_COUNT_MAX);
    invariants::assert_routing_invariants(center);
    invariants::assert_telephony_invariants(center);
}

fn assert_csq_invariants(center: &Center) {
    let names: Vec<String> = center.csqs().map(|csq| folded(&csq.name)).collect();
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len(), "CSQ names unique");
    for csq in center.csqs() {
        assert!(!csq.skills.is_empty() && csq.skills.len() <= CSQ_SKILL_COUNT_MAX as usize);
        assert!(csq.skills.windows(2).all(|pair| pair[0].skill < pair[1].skill), "CSQ skills sorted, unique");
        for required in &csq.skills {
            assert!(center.skill(required.skill).is_some(), "CSQ skill exists");
            assert!((COMPETENCE_MIN..=COMPETENCE_MAX).contains(&required.min_competence));
        }
    }
    let email_count = center.csqs().filter(|csq| csq.channel == Channel::Email).count();
    assert!(email_count <= EMAIL_CSQ_COUNT_MAX as usize);
    assert_eq!(center.email_csq_count() as usize, email_count);
}
