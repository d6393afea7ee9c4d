//! Team messages: supervisor broadcasts to the agents of their teams (seeds-uccx.md §2.22).
//!
//! A message has at most 255 characters, one or more teams the sender supervises, and an
//! expiry from 5 minutes to 23:55 hours, held as a deadline. The whole center publishes at
//! most 100 times per sliding hour (creates and deletes both count) and keeps at most 1,600
//! active messages; at either cap a new broadcast is refused until a message is deleted or
//! expires. The creator or an administrator may delete one; agents see their team's active
//! messages newest first, so a deletion makes the previous one current again.

use crate::SupervisionEvent;
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::deadline::{Deadline, Timer};
use crate::ids::{AgentId, TeamId, TeamMessageId};
use crate::limits::{
    TEAM_MESSAGE_ACTIVE_COUNT_MAX, TEAM_MESSAGE_EXPIRY_MINUTES_MAX, TEAM_MESSAGE_EXPIRY_MINUTES_MIN,
    TEAM_MESSAGE_PUBLISH_COUNT_PER_HOUR_MAX, TEAM_MESSAGE_TEXT_LENGTH_MAX,
};
use crate::outcome::{Applied, EntityRef, Event};
use crate::rejection::{Rejection, RejectionCode};
use crate::text::text_required;

const HOUR_MS: u64 = 3_600_000;

/// An active team message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamMessage {
    /// Assigned by the center.
    pub id: TeamMessageId,
    /// At most [`TEAM_MESSAGE_TEXT_LENGTH_MAX`] characters.
    pub text: String,
    /// The teams whose agents see it, sorted.
    pub teams: Vec<TeamId>,
    /// The supervisor who sent it.
    pub sender: AgentId,
    /// The sender's name when it was sent.
    pub sender_name: String,
    /// When it was sent.
    pub created_ms: u64,
    /// Its expiry.
    pub expiry: Timer,
}

/// The fields a supervisor sets to send a team message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamMessageSpec {
    /// The sending supervisor: primary or secondary supervisor of every team.
    pub sender: AgentId,
    /// 1 to [`TEAM_MESSAGE_TEXT_LENGTH_MAX`] characters.
    pub text: String,
    /// One or more teams, each once.
    pub teams: Vec<TeamId>,
    /// [`TEAM_MESSAGE_EXPIRY_MINUTES_MIN`] (5 minutes) to [`TEAM_MESSAGE_EXPIRY_MINUTES_MAX`]
    /// (23:55).
    pub expiry_minutes: u32,
}

/// When the last publishes happened, oldest first; at most the hourly cap are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct PublishLog {
    times_ms: VecDeque<u64>,
}

impl Center {
    pub(crate) fn team_message_publish(&mut self, spec: &TeamMessageSpec) -> Result<Applied, Rejection> {
        let id = self.team_messages.id_next("team message")?;
        let text = text_required("text", &spec.text, TEAM_MESSAGE_TEXT_LENGTH_MAX)?;
        let minutes = spec.expiry_minutes;
        if !(TEAM_MESSAGE_EXPIRY_MINUTES_MIN..=TEAM_MESSAGE_EXPIRY_MINUTES_MAX).contains(&minutes) {
            return Err(Rejection::invalid_field(format!(
                "expiry_minutes must be between {TEAM_MESSAGE_EXPIRY_MINUTES_MIN} (00:05) and {TEAM_MESSAGE_EXPIRY_MINUTES_MAX} (23:55) (got {minutes})"
            )));
        }
        let teams = self.team_message_teams_checked(spec)?;
        if self.team_messages.count() >= u64::from(TEAM_MESSAGE_ACTIVE_COUNT_MAX) {
            let message = format!("Tandem supports a maximum of {TEAM_MESSAGE_ACTIVE_COUNT_MAX} active team messages.");
            return Err(Rejection::new(RejectionCode::LimitExceeded, message));
        }
        self.publish_room_checked()?;
        let sender_name = self.agents.get(spec.sender).map(|agent| agent.name.clone()).unwrap_or_default();
        let due_ms = self.time_ms.saturating_add(u64::from(minutes) * 60_000);
        let expiry = self.timer_start(Deadline::TeamMessage(id), due_ms);
        let message =
            TeamMessage { id, text, teams, sender: spec.sender, sender_name, created_ms: self.time_ms, expiry };
        self.publish_record();
        self.team_messages.insert_new(id, message.clone());
        Ok(Applied::created(
            Event::Supervision(SupervisionEvent::TeamMessagePublished(message)),
            EntityRef::TeamMessage(id),
        ))
    }

    /// Deletes an active message: `by` is its creator, or `None` for an administrator.
    pub(crate) fn team_message_delete(&mut self, id: TeamMessageId, by: Option<AgentId>) -> Result<Applied, Rejection> {
        let Some(message) = self.team_messages.get(id) else {
            return Err(Rejection::not_found("team message", id));
        };
        if let Some(agent) = by.filter(|agent| *agent != message.sender) {
            let message = format!(
                "agent {agent} did not send team message {id}; only its sender or an administrator may delete it"
            );
            return Err(Rejection::invalid_state(message));
        }
        self.publish_room_checked()?;
        let expiry = message.expiry;
        self.publish_record();
        self.timer_stop(Deadline::TeamMessage(id), expiry);
        self.team_messages.remove(id);
        Ok(Applied::event(Event::Supervision(SupervisionEvent::TeamMessageDeleted(id))))
    }

    pub(crate) fn team_message_expired(&mut self, id: TeamMessageId, epoch: u64) -> Applied {
        let Some(message) = self.team_messages.get(id) else { return Applied::default() };
        if !self.timer_fires(Some(message.expiry), epoch) {
            return Applied::default();
        }
        let expiry = message.expiry;
        self.timer_stop(Deadline::TeamMessage(id), expiry);
        self.team_messages.remove(id);
        Applied::event(Event::Supervision(SupervisionEvent::TeamMessageExpired(id)))
    }

    /// All active team messages in id order.
    pub fn team_messages(&self) -> impl Iterator<Item = &TeamMessage> {
        self.team_messages.values()
    }

    /// The active messages an agent sees (its team's), newest first.
    pub fn team_messages_for(&self, agent: AgentId) -> Vec<&TeamMessage> {
        let Some(team) = self.agents.get(agent).and_then(|agent| agent.team) else { return Vec::new() };
        let mut messages: Vec<&TeamMessage> =
            self.team_messages.values().filter(|message| message.teams.contains(&team)).collect();
        messages.reverse();
        messages
    }

    fn team_message_teams_checked(&self, spec: &TeamMessageSpec) -> Result<Vec<TeamId>, Rejection> {
        if spec.teams.is_empty() {
            return Err(Rejection::invalid_field("teams must list at least one team"));
        }
        let mut teams = spec.teams.clone();
        teams.sort();
        teams.dedup();
        if teams.len() != spec.teams.len() {
            return Err(Rejection::invalid_field("teams lists a team more than once"));
        }
        for team_id in &teams {
            let Some(team) = self.teams.get(*team_id) else {
                return Err(Rejection::new(
                    RejectionCode::UnknownTeam,
                    format!("teams: team {team_id} does not exist"),
                ));
            };
            if !team.is_supervised_by(spec.sender) {
                let message = format!("agent {} does not supervise team {team_id}", spec.sender);
                return Err(Rejection::invalid_state(message));
            }
        }
        Ok(teams)
    }

    /// Refuses a publish when the last hour already holds the hourly cap.
    fn publish_room_checked(&self) -> Result<(), Rejection> {
        let since = self.time_ms.saturating_sub(HOUR_MS);
        let recent_count = self.team_message_publishes.times_ms.iter().filter(|time| **time > since).count() as u64;
        if recent_count < u64::from(TEAM_MESSAGE_PUBLISH_COUNT_PER_HOUR_MAX) {
            return Ok(());
        }
        let message = format!(
            "Tandem allows {TEAM_MESSAGE_PUBLISH_COUNT_PER_HOUR_MAX} team message publishes per hour; try again later."
        );
        Err(Rejection::new(RejectionCode::RateLimited, message))
    }

    fn publish_record(&mut self) {
        let since = self.time_ms.saturating_sub(HOUR_MS);
        let times = &mut self.team_message_publishes.times_ms;
        while times.front().is_some_and(|time| *time <= since) {
            times.pop_front();
        }
        times.push_back(self.time_ms);
        assert!(times.len() as u64 <= u64::from(TEAM_MESSAGE_PUBLISH_COUNT_PER_HOUR_MAX), "the log holds one hour");
    }
}
