//! The center a run simulates: skills, teams, agents, CSQs and the traffic profile.
//!
//! Operators chaos-test their own configuration before a busy hour, so the center comes from
//! a TOML file they write (`tandem sim --config my-center.toml`), or from the built-in one
//! (four skills, six CSQs over three channels, 200 agents in ten teams). The file is external
//! input: every mistake is a [`ConfigError`] that names the field, and the domain's own
//! validation runs on every entity when the run applies it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use tandem_domain::{Channel, Selection};

/// A center to simulate. Names link entities; ids are whatever the center assigns.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CenterConfig {
    #[serde(default, rename = "skill")]
    pub skills: Vec<SkillConfig>,
    #[serde(default, rename = "team")]
    pub teams: Vec<TeamConfig>,
    #[serde(default, rename = "agent")]
    pub agents: Vec<AgentConfig>,
    #[serde(default, rename = "csq")]
    pub csqs: Vec<CsqConfig>,
    /// Agents generated on top of the listed ones, with skills drawn from the seed.
    #[serde(default)]
    pub generated: GeneratedAgents,
    #[serde(default)]
    pub traffic: Traffic,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillConfig {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamConfig {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub login: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    /// Skill name to competence (1 to 10).
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsqConfig {
    pub name: String,
    pub channel: Channel,
    pub selection: Selection,
    /// Skill name to minimum competence.
    pub skills: BTreeMap<String, u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratedAgents {
    pub count: u32,
    /// Teams the generated agents are spread over (created if absent); 0: none.
    #[serde(default)]
    pub teams: u32,
    /// Each generated agent gets between one and this many skills.
    #[serde(default = "skills_per_agent_max_default")]
    pub skills_per_agent_max: u32,
}

fn skills_per_agent_max_default() -> u32 {
    3
}

impl Default for GeneratedAgents {
    fn default() -> Self {
        GeneratedAgents { count: 0, teams: 0, skills_per_agent_max: skills_per_agent_max_default() }
    }
}

/// Arrivals per simulated minute, and how people behave.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    #[serde(default = "calls_default")]
    pub calls_per_minute: f64,
    #[serde(default = "chats_default")]
    pub chats_per_minute: f64,
    #[serde(default = "emails_default")]
    pub emails_per_minute: f64,
    /// How often each agent acts (answers, ends, changes state), on average.
    #[serde(default = "agent_action_seconds_default")]
    pub agent_action_seconds: f64,
    /// Supervisor actions (team messages, agent state changes) per minute.
    #[serde(default = "supervisor_default")]
    pub supervisor_actions_per_minute: f64,
    /// Administrator configuration changes per minute.
    #[serde(default = "admin_default")]
    pub admin_changes_per_minute: f64,
    /// Chats an agent holds at once at the start (administrators change it mid-run), 1 to 5.
    #[serde(default = "capacity_default")]
    pub chat_capacity: u32,
    /// Emails an agent holds at once at the start, 1 to 5.
    #[serde(default = "capacity_default")]
    pub email_capacity: u32,
}

fn calls_default() -> f64 {
    60.0
}
fn chats_default() -> f64 {
    40.0
}
fn emails_default() -> f64 {
    20.0
}
fn agent_action_seconds_default() -> f64 {
    4.0
}
fn supervisor_default() -> f64 {
    2.0
}
fn admin_default() -> f64 {
    1.0
}
fn capacity_default() -> u32 {
    2
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            calls_per_minute: calls_default(),
            chats_per_minute: chats_default(),
            emails_per_minute: emails_default(),
            agent_action_seconds: agent_action_seconds_default(),
            supervisor_actions_per_minute: supervisor_default(),
            admin_changes_per_minute: admin_default(),
            chat_capacity: capacity_default(),
            email_capacity: capacity_default(),
        }
    }
}

/// What is wrong with a center file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path} is not a valid center file: {error}")]
    Parse { path: String, error: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Upper bounds that keep one simulated center inside one process's memory and time.
pub const AGENT_COUNT_MAX: u32 = 5_000;
pub const ARRIVALS_PER_MINUTE_MAX: f64 = 6_000.0;

impl CenterConfig {
    /// The built-in center: 200 agents in ten teams, voice, chat and email CSQs.
    pub fn default_center() -> CenterConfig {
        let skills = ["Sales", "Support", "Billing", "Spanish"].map(|name| SkillConfig { name: name.into() }).to_vec();
        let csq = |name: &str, channel, selection, skills: &[(&str, u8)]| CsqConfig {
            name: name.into(),
            channel,
            selection,
            skills: skills.iter().map(|(skill, level)| (skill.to_string(), *level)).collect(),
        };
        CenterConfig {
            skills,
            teams: Vec::new(),
            agents: Vec::new(),
            csqs: vec![
                csq("Sales Voice", Channel::Voice, Selection::LongestAvailable, &[("Sales", 2)]),
                csq("Support Voice", Channel::Voice, Selection::MostSkilled, &[("Support", 3)]),
                csq("Billing Chat", Channel::Chat, Selection::MostSkilled, &[("Billing", 1)]),
                csq("Support Chat", Channel::Chat, Selection::LongestAvailable, &[("Support", 1)]),
                csq("Support Email", Channel::Email, Selection::LongestAvailable, &[("Support", 2)]),
                csq("Sales Email", Channel::Email, Selection::MostSkilled, &[("Sales", 1)]),
            ],
            generated: GeneratedAgents { count: 200, teams: 10, skills_per_agent_max: 3 },
            traffic: Traffic::default(),
        }
    }

    /// Reads and checks a center file.
    pub fn load(path: &Path) -> Result<CenterConfig, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read { path: shown.clone(), error })?;
        CenterConfig::parse(&text, &shown)
    }

    /// Parses and checks center TOML; `path` only names the source in errors.
    pub fn parse(text: &str, path: &str) -> Result<CenterConfig, ConfigError> {
        let config: CenterConfig =
            toml::from_str(text).map_err(|error| ConfigError::Parse { path: path.into(), error: error.to_string() })?;
        config.checked().map_err(|message| ConfigError::Invalid { path: path.into(), message })?;
        Ok(config)
    }

    fn checked(&self) -> Result<(), String> {
        let skills: Vec<&str> = self.skills.iter().map(|skill| skill.name.as_str()).collect();
        let teams: Vec<&str> = self.teams.iter().map(|team| team.name.as_str()).collect();
        for agent in &self.agents {
            for skill in agent.skills.keys() {
                if !skills.contains(&skill.as_str()) {
                    return Err(format!("agent '{}' names unknown skill '{skill}'", agent.login));
                }
            }
            if let Some(team) = &agent.team {
                if !teams.contains(&team.as_str()) {
                    return Err(format!("agent '{}' names unknown team '{team}'", agent.login));
                }
            }
        }
        for csq in &self.csqs {
            for skill in csq.skills.keys() {
                if !skills.contains(&skill.as_str()) {
                    return Err(format!("csq '{}' names unknown skill '{skill}'", csq.name));
                }
            }
        }
        if self.csqs.is_empty() {
            return Err("at least one [[csq]] is needed: contacts arrive in CSQs".into());
        }
        let agent_count = self.agents.len() as u64 + u64::from(self.generated.count);
        if agent_count == 0 {
            return Err("no agents: list [[agent]]s or set [generated] count".into());
        }
        if agent_count > u64::from(AGENT_COUNT_MAX) {
            return Err(format!("{agent_count} agents; the simulator takes at most {AGENT_COUNT_MAX}"));
        }
        if self.generated.count > 0 && (self.skills.is_empty() || self.generated.skills_per_agent_max == 0) {
            return Err("generated agents need at least one [[skill]] and skills_per_agent_max of 1 or more".into());
        }
        let traffic = &self.traffic;
        for (name, rate) in [
            ("calls_per_minute", traffic.calls_per_minute),
            ("chats_per_minute", traffic.chats_per_minute),
            ("emails_per_minute", traffic.emails_per_minute),
            ("supervisor_actions_per_minute", traffic.supervisor_actions_per_minute),
            ("admin_changes_per_minute", traffic.admin_changes_per_minute),
        ] {
            if !(0.0..=ARRIVALS_PER_MINUTE_MAX).contains(&rate) {
                return Err(format!("traffic.{name} must be between 0 and {ARRIVALS_PER_MINUTE_MAX} (got {rate})"));
            }
        }
        if !(0.1..=3_600.0).contains(&traffic.agent_action_seconds) {
            return Err(format!(
                "traffic.agent_action_seconds must be between 0.1 and 3600 (got {})",
                traffic.agent_action_seconds
            ));
        }
        Ok(())
    }

    pub fn agent_count(&self) -> u32 {
        self.agents.len() as u32 + self.generated.count
    }
}
