//! Teams: groups of agents with a primary and secondary supervisors.
//!
//! The spec gives a team a primary and a secondary supervisor (seeds-ctios.md §2.8) and leaves
//! the other fields to us (seeds-uccx.md §2.16). Supervisors must be existing agents; they need
//! not be members. An agent who supervises a team cannot be deleted, nor a team with members.

use crate::ConfigEvent;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::ids::{AgentId, TeamId};
use crate::limits::{NAME_LENGTH_MAX, TEAM_COUNT_MAX, TEAM_SECONDARY_SUPERVISOR_COUNT_MAX};
use crate::outcome::{Applied, EntityRef, Event};
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{equal_ignoring_case, text_required};

/// A team as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Assigned by the center.
    pub id: TeamId,
    /// Unique among teams, case-insensitively; stored trimmed.
    pub name: String,
    /// The primary supervisor, if any.
    pub primary_supervisor: Option<AgentId>,
    /// The secondary supervisors, sorted by agent id, without the primary.
    pub secondary_supervisors: Vec<AgentId>,
}

/// The fields a client sets on a team.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSpec {
    /// 1 to [`NAME_LENGTH_MAX`] characters after trimming.
    pub name: String,
    /// Optional; the agent must exist.
    #[serde(default)]
    pub primary_supervisor: Option<AgentId>,
    /// Any order; each agent must exist, appear once and not be the primary. Omitted means none.
    #[serde(default)]
    pub secondary_supervisors: Vec<AgentId>,
}

impl Team {
    /// Whether `agent` supervises this team, as primary or secondary supervisor.
    pub fn is_supervised_by(&self, agent: AgentId) -> bool {
        self.primary_supervisor == Some(agent) || self.secondary_supervisors.contains(&agent)
    }
}

impl Center {
    pub(crate) fn team_create(&mut self, spec: &TeamSpec) -> Result<Applied, Rejection> {
        let id = self.teams.id_next("team")?;
        let team = self.team_checked(id, spec, None)?;
        self.teams.check_room("teams", TEAM_COUNT_MAX)?;
        self.teams.insert_new(id, team.clone());
        Ok(Applied::created(Event::Config(ConfigEvent::TeamCreated(team)), EntityRef::Team(id)))
    }

    pub(crate) fn team_update(&mut self, id: TeamId, spec: &TeamSpec) -> Result<Applied, Rejection> {
        if !self.teams.contains(id) {
            return Err(Rejection::not_found("team", id));
        }
        let team = self.team_checked(id, spec, Some(id))?;
        self.teams.replace(id, team.clone());
        Ok(Applied::event(Event::Config(ConfigEvent::TeamUpdated(team))))
    }

    pub(crate) fn team_delete(&mut self, id: TeamId) -> Result<Applied, Rejection> {
        if !self.teams.contains(id) {
            return Err(Rejection::not_found("team", id));
        }
        let references: Vec<String> = self
            .agents
            .values()
            .filter(|agent| agent.team == Some(id))
            .map(|agent| format!("agent {} (as member)", agent.id))
            .chain(
                self.team_messages
                    .values()
                    .filter(|message| message.teams.contains(&id))
                    .map(|message| format!("team message {}", message.id)),
            )
            .collect();
        if !references.is_empty() {
            return Err(Rejection::in_use(&format!("team {id}"), &references));
        }
        self.teams.remove(id);
        Ok(Applied::event(Event::Config(ConfigEvent::TeamDeleted(id))))
    }

    /// Validates `spec` as team `id`; `except` is the team being updated, whose own name does
    /// not count as a duplicate.
    fn team_checked(&self, id: TeamId, spec: &TeamSpec, except: Option<TeamId>) -> Result<Team, Rejection> {
        let name = text_required("name", &spec.name, NAME_LENGTH_MAX)?;
        supervisors_checked(spec)?;
        if let Some(agent) = spec.primary_supervisor {
            if !self.agents.contains(agent) {
                let message = format!("primary_supervisor: agent {agent} does not exist");
                return Err(Rejection::new(RejectionCode::UnknownAgent, message));
            }
        }
        for (index, agent) in spec.secondary_supervisors.iter().enumerate() {
            if !self.agents.contains(*agent) {
                let message = format!("secondary_supervisors[{index}]: agent {agent} does not exist");
                return Err(Rejection::new(RejectionCode::UnknownAgent, message));
            }
        }
        let duplicate =
            self.teams.values().find(|team| Some(team.id) != except && equal_ignoring_case(&team.name, &name));
        if let Some(duplicate) = duplicate {
            let message = format!("a team named \"{}\" already exists (team {})", duplicate.name, duplicate.id);
            return Err(Rejection::new(RejectionCode::DuplicateName, message));
        }
        let mut secondary_supervisors = spec.secondary_supervisors.clone();
        secondary_supervisors.sort();
        Ok(Team { id, name, primary_supervisor: spec.primary_supervisor, secondary_supervisors })
    }
}

/// The supervisor lists' shape: bounded, no agent twice, the primary not also secondary.
fn supervisors_checked(spec: &TeamSpec) -> Result<(), Rejection> {
    let count = spec.secondary_supervisors.len() as u64;
    if count > u64::from(TEAM_SECONDARY_SUPERVISOR_COUNT_MAX) {
        let message = format!(
            "secondary_supervisors must list at most {TEAM_SECONDARY_SUPERVISOR_COUNT_MAX} agents (got {count})"
        );
        return Err(Rejection::invalid_field(message));
    }
    let mut seen = BTreeSet::new();
    for agent in &spec.secondary_supervisors {
        if Some(*agent) == spec.primary_supervisor {
            let message = format!("secondary_supervisors lists agent {agent}, who is the primary_supervisor");
            return Err(Rejection::invalid_field(message));
        }
        if !seen.insert(*agent) {
            let message = format!("secondary_supervisors lists agent {agent} more than once");
            return Err(Rejection::invalid_field(message));
        }
    }
    Ok(())
}
