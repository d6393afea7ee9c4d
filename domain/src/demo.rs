//! The small demo contact center the node seeds on first start.
//!
//! It is a list of commands, not a state, so it goes through the same log and validation as
//! every other change. Ids in it are the ones an empty center assigns (skills 1 to 4, teams 1
//! and 2, agents 1 to 8), so it must be applied in order to an empty center. Agent 1 holds the
//! spec's Most Skilled worked example: Sales 5, Support 6, Billing 7, which totals 12 for the
//! billing chat CSQ (Sales and Billing) and 5 for a CSQ requiring Sales only.

use crate::agent::{AgentSpec, SkillLevel};
use crate::command::Command;
use crate::config::reason_code::{ReasonCodeSpec, ReasonKind};
use crate::config::skill::SkillSpec;
use crate::config::team::TeamSpec;
use crate::config::user::Role;
use crate::ids::CsqId;
use crate::ids::{AgentId, SkillId, TeamId};
use crate::queue::csq::{Channel, CsqSpec, Selection, SkillRequirement};
use crate::voice::telephony::DialedNumberSpec;
use crate::{AgentCommand, ConfigCommand, QueueCommand, VoiceCommand};

const SALES: SkillId = SkillId(1);
const SUPPORT: SkillId = SkillId(2);
const BILLING: SkillId = SkillId(3);
const SPANISH: SkillId = SkillId(4);
const SALES_TEAM: TeamId = TeamId(1);
const SUPPORT_TEAM: TeamId = TeamId(2);

/// The demo center's commands, in the order to apply them to an empty center.
pub fn demo_commands() -> Vec<Command> {
    let mut commands = Vec::new();
    for name in ["Sales", "Support", "Billing", "Spanish"] {
        commands.push(Command::Config(ConfigCommand::CreateSkill(SkillSpec { name: name.to_owned() })));
    }
    for name in ["Sales Team", "Support Team"] {
        commands.push(Command::Config(ConfigCommand::CreateTeam(TeamSpec {
            name: name.to_owned(),
            primary_supervisor: None,
            secondary_supervisors: Vec::new(),
        })));
    }
    commands.extend(demo_agents());
    commands.push(supervisors(SALES_TEAM, "Sales Team", 1, 2));
    commands.push(supervisors(SUPPORT_TEAM, "Support Team", 5, 6));
    commands.extend(demo_csqs());
    commands.extend(demo_reason_codes());
    // The number the README's `tandem call --to 5000` dials: the Sales Voice CSQ.
    commands.push(Command::Voice(VoiceCommand::CreateDialedNumber(DialedNumberSpec {
        number: DEMO_DIALED_NUMBER.to_owned(),
        csq: CsqId(1),
    })));
    commands
}

/// The number callers dial to reach the demo's voice CSQ.
pub const DEMO_DIALED_NUMBER: &str = "5000";

/// The demo's users, one per agent with the agent's login name (the team supervisors as
/// supervisors) and `admin`, all with one password the node generates: `(login, role, agent)`.
/// The node hashes the password, so it creates them (the domain has no randomness for salts).
pub const DEMO_USERS: [(&str, Role, Option<AgentId>); 9] = [
    ("alice", Role::Supervisor, Some(AgentId(1))),
    ("bruno", Role::Supervisor, Some(AgentId(2))),
    ("chen", Role::Agent, Some(AgentId(3))),
    ("dana", Role::Agent, Some(AgentId(4))),
    ("emeka", Role::Supervisor, Some(AgentId(5))),
    ("fatima", Role::Supervisor, Some(AgentId(6))),
    ("gustav", Role::Agent, Some(AgentId(7))),
    ("hana", Role::Agent, Some(AgentId(8))),
    ("admin", Role::Administrator, None),
];

/// Eight agents, four per team; agent 1 is the Most Skilled worked example.
fn demo_agents() -> Vec<Command> {
    vec![
        agent("alice", "Alice Martin", SALES_TEAM, &[(SALES, 5), (SUPPORT, 6), (BILLING, 7)]),
        agent("bruno", "Bruno Silva", SALES_TEAM, &[(SALES, 8), (SPANISH, 9)]),
        agent("chen", "Chen Wei", SALES_TEAM, &[(SALES, 6), (BILLING, 4)]),
        agent("dana", "Dana Kowalski", SALES_TEAM, &[(SALES, 3)]),
        agent("emeka", "Emeka Obi", SUPPORT_TEAM, &[(SUPPORT, 9), (BILLING, 5)]),
        agent("fatima", "Fatima Haddad", SUPPORT_TEAM, &[(SUPPORT, 7), (SPANISH, 6)]),
        agent("gustav", "Gustav Berg", SUPPORT_TEAM, &[(SUPPORT, 4), (BILLING, 8)]),
        agent("hana", "Hana Sato", SUPPORT_TEAM, &[(SUPPORT, 10)]),
    ]
}

fn agent(login_name: &str, name: &str, team: TeamId, levels: &[(SkillId, u8)]) -> Command {
    Command::Agent(AgentCommand::CreateAgent(AgentSpec {
        login_name: login_name.to_owned(),
        name: name.to_owned(),
        alias: None,
        team: Some(team),
        extension: None,
        skills: levels.iter().map(|&(skill, competence)| SkillLevel { skill, competence }).collect(),
    }))
}

fn supervisors(team: TeamId, name: &str, primary: u64, secondary: u64) -> Command {
    Command::Config(ConfigCommand::UpdateTeam {
        id: team,
        spec: TeamSpec {
            name: name.to_owned(),
            primary_supervisor: Some(AgentId(primary)),
            secondary_supervisors: vec![AgentId(secondary)],
        },
    })
}

/// One voice Longest Available, one chat Most Skilled and one email CSQ.
fn demo_csqs() -> Vec<Command> {
    vec![
        csq("Sales Voice", Channel::Voice, Selection::LongestAvailable, &[(SALES, 3)]),
        csq("Billing Chat", Channel::Chat, Selection::MostSkilled, &[(SALES, 1), (BILLING, 1)]),
        csq("Support Email", Channel::Email, Selection::LongestAvailable, &[(SUPPORT, 2)]),
    ]
}

fn csq(name: &str, channel: Channel, selection: Selection, requirements: &[(SkillId, u8)]) -> Command {
    Command::Queue(QueueCommand::CreateCsq(CsqSpec {
        name: name.to_owned(),
        channel,
        selection,
        skills: requirements
            .iter()
            .map(|&(skill, min_competence)| SkillRequirement { skill, min_competence })
            .collect(),
    }))
}

/// Four Not Ready and two Logout reasons.
fn demo_reason_codes() -> Vec<Command> {
    let codes = [
        (ReasonKind::NotReady, 1, "Break"),
        (ReasonKind::NotReady, 2, "Lunch"),
        (ReasonKind::NotReady, 3, "Meeting"),
        (ReasonKind::NotReady, 4, "Training"),
        (ReasonKind::Logout, 1, "End of shift"),
        (ReasonKind::Logout, 2, "Forced logout"),
    ];
    codes
        .iter()
        .map(|(kind, value, label)| {
            Command::Config(ConfigCommand::CreateReasonCode(ReasonCodeSpec {
                kind: *kind,
                value: *value,
                label: (*label).to_owned(),
            }))
        })
        .collect()
}
