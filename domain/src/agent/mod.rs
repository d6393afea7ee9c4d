//! Agents: the people who take contacts, with a login, an optional team and skills.
//!
//! The login name is the agent's login key, so it is unique (case-insensitively) and holds no
//! whitespace; the display name is required but may repeat (two people can share a name).
//! Skills are stored sorted by skill id, so equal agents serialize to equal bytes.

pub(crate) mod digital;
pub(crate) mod state;
pub(crate) mod status;
pub(crate) mod voice_state;

use crate::agent::digital::Blending;
use crate::agent::digital::DigitalState;
use crate::agent::digital::DigitalStateRequest;
use crate::agent::state::AgentState;
use crate::agent::state::AgentStateRequest;
use crate::agent::status::PendingState;
use crate::authorization::Scope;
use crate::center::Center;
use crate::outcome::Concern;
use serde::{Deserialize, Serialize};

use crate::agent::status::AgentStatus;
use crate::config::skill::{SkillListFields, SkillListItem};
use crate::ids::{AgentId, SkillId, TeamId};
use crate::limits::{AGENT_COUNT_MAX, AGENT_SKILL_COUNT_MAX, LOGIN_NAME_LENGTH_MAX, NAME_LENGTH_MAX};
use crate::outcome::{Applied, EntityRef, Event};
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{folded, text_optional, text_required};

/// An agent as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Assigned by the center.
    pub id: AgentId,
    /// The login key: unique case-insensitively, no whitespace, stored trimmed.
    pub login_name: String,
    /// The display name; required, need not be unique.
    pub name: String,
    /// What customers see instead of the name (e.g. in email signatures), if set.
    pub alias: Option<String>,
    /// The agent's team, if any.
    pub team: Option<TeamId>,
    /// The agent's skills, sorted by skill id, each skill at most once.
    pub skills: Vec<SkillLevel>,
    /// The agent's extension on the built-in switch: digits, unique among extensions and
    /// dialed numbers. Other agents reach the agent by dialing it.
    #[serde(default)]
    pub extension: Option<String>,
}

/// The fields a client sets on an agent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSpec {
    /// 1 to [`LOGIN_NAME_LENGTH_MAX`] characters, no whitespace, unique case-insensitively.
    pub login_name: String,
    /// 1 to [`NAME_LENGTH_MAX`] characters after trimming.
    pub name: String,
    /// Optional; blank means none.
    #[serde(default)]
    pub alias: Option<String>,
    /// Optional; the team must exist.
    #[serde(default)]
    pub team: Option<TeamId>,
    /// Any order; each skill must exist and appear once. Omitted means none.
    #[serde(default)]
    pub skills: Vec<SkillLevel>,
    /// Optional; 1 to [`crate::EXTENSION_LENGTH_MAX`] digits, unique among extensions and
    /// dialed numbers.
    #[serde(default)]
    pub extension: Option<String>,
}

/// An agent's competence in one skill.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillLevel {
    /// The skill.
    pub skill: SkillId,
    /// From [`crate::COMPETENCE_MIN`] to [`crate::COMPETENCE_MAX`].
    pub competence: u8,
}

impl Center {
    /// The agent whose login name is `login_name`, ignoring case.
    pub fn agent_by_login_name(&self, login_name: &str) -> Option<AgentId> {
        self.login_names.get(&folded(login_name.trim())).copied()
    }

    pub(crate) fn agent_create(&mut self, spec: &AgentSpec) -> Result<Applied, Rejection> {
        let id = self.agents.id_next("agent")?;
        let agent = self.agent_checked(id, spec, None)?;
        self.agents.check_room("agents", AGENT_COUNT_MAX)?;
        self.login_names.insert(folded(&agent.login_name), id);
        if let Some(extension) = &agent.extension {
            self.extensions.insert(extension.clone(), id);
        }
        self.agents.insert_new(id, agent.clone());
        self.statuses.insert(id, AgentStatus::logged_out(id, self.time_ms));
        self.routing_agent_added(id);
        Ok(Applied::created(Event::Agent(AgentEvent::AgentCreated(agent)), EntityRef::Agent(id)))
    }

    pub(crate) fn agent_update(&mut self, id: AgentId, spec: &AgentSpec) -> Result<Applied, Rejection> {
        if !self.agents.contains(id) {
            return Err(Rejection::not_found("agent", id));
        }
        let agent = self.agent_checked(id, spec, Some(id))?;
        if let Some(previous) = self.agents.get(id) {
            self.login_names.remove(&folded(&previous.login_name));
            if let Some(extension) = previous.extension.clone() {
                self.extensions.remove(&extension);
            }
        }
        self.login_names.insert(folded(&agent.login_name), id);
        if let Some(extension) = &agent.extension {
            self.extensions.insert(extension.clone(), id);
        }
        self.agents.replace(id, agent.clone());
        let mut events = vec![Event::Agent(AgentEvent::AgentUpdated(agent))];
        self.routing_agent_changed(id, &mut events);
        Ok(Applied::events(events))
    }

    pub(crate) fn agent_delete(&mut self, id: AgentId) -> Result<Applied, Rejection> {
        if !self.agents.contains(id) {
            return Err(Rejection::not_found("agent", id));
        }
        let references: Vec<String> = self
            .teams
            .values()
            .filter(|team| team.is_supervised_by(id))
            .map(|team| format!("team {} (as supervisor)", team.id))
            .chain(self.agent_user_references(id))
            .collect();
        if !references.is_empty() {
            return Err(Rejection::in_use(&format!("agent {id}"), &references));
        }
        if self.status(id).state.is_logged_in() {
            return Err(Rejection::new(
                RejectionCode::InUse,
                format!("agent {id} is logged in; log the agent out first"),
            ));
        }
        let mut events = Vec::new();
        self.agent_sticky_release(id, &mut events);
        self.routing_agent_removed(id);
        if let Some(agent) = self.agents.get(id) {
            self.login_names.remove(&folded(&agent.login_name));
            if let Some(extension) = agent.extension.clone() {
                self.extensions.remove(&extension);
            }
        }
        self.agents.remove(id);
        self.statuses.remove(&id);
        self.chats.remove(id);
        events.insert(0, Event::Agent(AgentEvent::AgentDeleted(id)));
        Ok(Applied::events(events))
    }

    /// Validates `spec` as agent `id`; `except` is the agent being updated, whose own login
    /// name does not count as a duplicate.
    fn agent_checked(&self, id: AgentId, spec: &AgentSpec, except: Option<AgentId>) -> Result<Agent, Rejection> {
        let login_name = login_name_checked(&spec.login_name)?;
        let name = text_required("name", &spec.name, NAME_LENGTH_MAX)?;
        let alias = text_optional("alias", spec.alias.as_deref(), NAME_LENGTH_MAX)?;
        let fields = SkillListFields {
            list: "skills",
            competence: "competence",
            count_min: 0,
            count_max: AGENT_SKILL_COUNT_MAX,
        };
        let items: Vec<SkillListItem> = spec
            .skills
            .iter()
            .map(|level| SkillListItem { skill: level.skill, competence: level.competence })
            .collect();
        self.skill_list_checked(&fields, &items)?;
        if let Some(team) = spec.team {
            if !self.teams.contains(team) {
                return Err(Rejection::new(RejectionCode::UnknownTeam, format!("team: team {team} does not exist")));
            }
        }
        let duplicate = match self.login_names.get(&folded(&login_name)) {
            Some(&other) if Some(other) != except => self.agents.get(other),
            _ => None,
        };
        if let Some(duplicate) = duplicate {
            let message = format!(
                "an agent with login name \"{}\" already exists (agent {})",
                duplicate.login_name, duplicate.id
            );
            return Err(Rejection::new(RejectionCode::DuplicateName, message));
        }
        let extension = self.extension_checked(spec.extension.as_deref(), except)?;
        let mut skills = spec.skills.clone();
        skills.sort_by_key(|level| level.skill);
        Ok(Agent { id, login_name, name, alias, team: spec.team, skills, extension })
    }
}

/// A login name is a name without whitespace inside.
fn login_name_checked(value: &str) -> Result<String, Rejection> {
    let login_name = text_required("login_name", value, LOGIN_NAME_LENGTH_MAX)?;
    if login_name.chars().any(char::is_whitespace) {
        return Err(Rejection::invalid_field("login_name must not contain whitespace"));
    }
    Ok(login_name)
}

// The channel's commands and events.

/// The shared agent part: agents as configured, their voice and digital states, and their sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum AgentCommand {
    /// Adds an agent.
    CreateAgent(AgentSpec),
    /// Replaces an agent's fields.
    UpdateAgent {
        /// The agent to change.
        id: AgentId,
        /// Its new fields.
        spec: AgentSpec,
    },
    /// Removes an agent who supervises no team.
    DeleteAgent {
        /// The agent to remove.
        id: AgentId,
    },
    /// An agent's `SetAgentState`: login, logout, Not Ready, Ready, or a wrap-up state.
    SetAgentState {
        /// The agent.
        agent: AgentId,
        /// The requested state.
        state: AgentStateRequest,
        /// The reason code value for Not Ready and Logout (0 or absent: none).
        #[serde(default)]
        reason: Option<u16>,
    },
    /// An agent's desktop session closed without a logout.
    CloseSession {
        /// The agent.
        agent: AgentId,
    },
    /// An agent's chat and email state: Ready or Not Ready.
    SetDigitalState {
        /// The agent.
        agent: AgentId,
        /// The requested state.
        state: DigitalStateRequest,
    },
}

/// What agent commands and deadlines change, as pushed to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgentEvent {
    /// An agent was created.
    AgentCreated(Agent),
    /// An agent was updated; this is its new value.
    AgentUpdated(Agent),
    /// An agent was deleted.
    AgentDeleted(AgentId),
    /// An agent's voice state changed (or was set again with a new reason).
    AgentStateChanged {
        /// The agent.
        agent: AgentId,
        /// The state before.
        previous: AgentState,
        /// The state now.
        state: AgentState,
        /// The reason code value, for Not Ready and Logout.
        reason: Option<u16>,
    },
    /// An agent on a call chose the state to enter when the call ends.
    AfterCallStateChosen {
        /// The agent.
        agent: AgentId,
        /// The chosen state and reason.
        pending: PendingState,
    },
    /// An agent's digital (chat and email) state changed.
    DigitalStateChanged {
        /// The agent.
        agent: AgentId,
        /// The state before.
        previous: DigitalState,
        /// The state now.
        state: DigitalState,
    },
    /// The blending rules in force for an agent changed.
    BlendingChanged {
        /// The agent.
        agent: AgentId,
        /// The rules now.
        blending: Blending,
    },
}

impl Center {
    /// Applies a agent command (see [`Center::apply`]).
    pub(crate) fn execute_agent(&mut self, command: &AgentCommand) -> Result<Applied, Rejection> {
        match command {
            AgentCommand::CreateAgent(spec) => self.agent_create(spec),
            AgentCommand::UpdateAgent { id, spec } => self.agent_update(*id, spec),
            AgentCommand::DeleteAgent { id } => self.agent_delete(*id),
            AgentCommand::SetAgentState { agent, state, reason } => self.agent_set_state(*agent, *state, *reason),
            AgentCommand::CloseSession { agent } => self.agent_close_session(*agent),
            AgentCommand::SetDigitalState { agent, state } => self.agent_set_digital_state(*agent, *state),
        }
    }
}

impl AgentCommand {
    /// Which agent the command acts for, and as whom: what [`crate::Center::authorize`] checks.
    pub(crate) fn scope(&self) -> Scope {
        match self {
            AgentCommand::SetAgentState { agent, .. }
            | AgentCommand::CloseSession { agent }
            | AgentCommand::SetDigitalState { agent, .. } => Scope::Agent(*agent),
            AgentCommand::CreateAgent(_) | AgentCommand::UpdateAgent { .. } | AgentCommand::DeleteAgent { .. } => {
                Scope::Administration
            }
        }
    }
}

impl AgentEvent {
    /// Whom the event is about: what [`crate::Center::audience`] resolves into who sees it.
    pub(crate) fn concerns(&self) -> Concern<'_> {
        match self {
            AgentEvent::AgentCreated(agent) | AgentEvent::AgentUpdated(agent) => Concern::Agent(agent.id),
            AgentEvent::AgentDeleted(agent) => Concern::Agent(*agent),
            AgentEvent::AgentStateChanged { agent, .. }
            | AgentEvent::AfterCallStateChosen { agent, .. }
            | AgentEvent::DigitalStateChanged { agent, .. }
            | AgentEvent::BlendingChanged { agent, .. } => Concern::Agent(*agent),
        }
    }
}
