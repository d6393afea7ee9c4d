//! Agent↔supervisor chat: short messages between logged-in desktops, allowed or refused by the
//! center-wide `AgentChatLevel` and `SupervisorChatLevel` (seeds-ctios.md §2.8).
//!
//! Who may write to whom is decided here once, from the sender's role: an agent that is the
//! primary or secondary supervisor of any team writes under `SupervisorChatLevel`, everyone
//! else under `AgentChatLevel`. The built-in switch is one peripheral, so "anyone on the same
//! peripheral" is any agent of the center. A message goes through the log like every other
//! change, so both desktops see it at the same event index and a resuming desktop gets the ones
//! it missed; the center keeps each agent's last [`AGENT_CHAT_MAILBOX_MAX`] messages so a
//! desktop that resynchronises from a snapshot still shows the conversation.

use crate::SupervisionEvent;
use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::ids::{AgentId, TeamId};
use crate::limits::{AGENT_CHAT_MAILBOX_MAX, AGENT_CHAT_TEXT_LENGTH_MAX};
use crate::outcome::{Applied, Event};
use crate::rejection::{Rejection, RejectionCode};
use crate::text::text_required;

/// `Server\Agent\AgentChatLevel`: whom an agent may chat with.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentChatLevel {
    /// Nobody: all agent chat is off.
    Disabled,
    /// Only the team's primary supervisor.
    PrimarySupervisor,
    /// The team's primary or secondary supervisors (the spec's default).
    #[default]
    TeamSupervisors,
    /// Anyone in the agent's team, its supervisors included.
    Team,
    /// Anyone in the center.
    Unrestricted,
}

/// `Server\Supervisor\SupervisorChatLevel`: whom a supervisor may chat with.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisorChatLevel {
    /// Nobody: all supervisor chat is off.
    Disabled,
    /// Anyone in the supervisor's primary team: the teams it is primary supervisor of and the
    /// team it belongs to as an agent.
    Team,
    /// Anyone in the center (the spec's default).
    #[default]
    Unrestricted,
}

/// One chat message between two agents' desktops.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentChatMessage {
    /// The writer.
    pub from: AgentId,
    /// The reader.
    pub to: AgentId,
    /// 1 to [`AGENT_CHAT_TEXT_LENGTH_MAX`] characters.
    pub text: String,
    /// When the center applied it.
    pub sent_ms: u64,
}

/// Each agent's last messages, sent or received, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct ChatMailboxes {
    by_agent: BTreeMap<AgentId, VecDeque<AgentChatMessage>>,
}

impl ChatMailboxes {
    fn push(&mut self, agent: AgentId, message: AgentChatMessage) {
        let mailbox = self.by_agent.entry(agent).or_default();
        if mailbox.len() >= AGENT_CHAT_MAILBOX_MAX {
            mailbox.pop_front();
        }
        mailbox.push_back(message);
    }

    pub(crate) fn remove(&mut self, agent: AgentId) {
        self.by_agent.remove(&agent);
    }
}

impl Center {
    /// Whether `from` may send a chat message to `to` under the chat levels in force.
    pub fn agent_chat_allowed(&self, from: AgentId, to: AgentId) -> bool {
        if from == to {
            return false;
        }
        let (Some(sender), Some(_)) = (self.agent(from), self.agent(to)) else { return false };
        let team_of = |agent: AgentId| self.agent(agent).and_then(|agent| agent.team);
        let supervises = |team: TeamId, agent: AgentId, primary_only: bool| {
            self.team(team).is_some_and(|team| {
                team.primary_supervisor == Some(agent) || (!primary_only && team.secondary_supervisors.contains(&agent))
            })
        };
        if self.is_supervisor(from) {
            return match self.desk.supervisor_chat_level {
                SupervisorChatLevel::Disabled => false,
                SupervisorChatLevel::Team => {
                    let primary: Vec<TeamId> = sender
                        .team
                        .into_iter()
                        .chain(self.teams.values().filter(|team| team.primary_supervisor == Some(from)).map(|t| t.id))
                        .collect();
                    primary.iter().any(|team| team_of(to) == Some(*team) || supervises(*team, to, false))
                }
                SupervisorChatLevel::Unrestricted => true,
            };
        }
        let Some(team) = sender.team else {
            return self.desk.agent_chat_level == AgentChatLevel::Unrestricted;
        };
        match self.desk.agent_chat_level {
            AgentChatLevel::Disabled => false,
            AgentChatLevel::PrimarySupervisor => supervises(team, to, true),
            AgentChatLevel::TeamSupervisors => supervises(team, to, false),
            AgentChatLevel::Team => team_of(to) == Some(team) || supervises(team, to, false),
            AgentChatLevel::Unrestricted => true,
        }
    }

    /// Whether the agent is the primary or a secondary supervisor of some team.
    pub fn is_supervisor(&self, agent: AgentId) -> bool {
        self.teams.values().any(|team| team.is_supervised_by(agent))
    }

    /// An agent's last chat messages, oldest first.
    pub fn agent_chat_messages(&self, agent: AgentId) -> impl Iterator<Item = &AgentChatMessage> {
        self.chats.by_agent.get(&agent).into_iter().flatten()
    }

    pub(crate) fn agent_chat_send(&mut self, from: AgentId, to: AgentId, text: &str) -> Result<Applied, Rejection> {
        let sender = self.status_checked(from)?;
        if !sender.state.is_logged_in() {
            return Err(Rejection::new(
                RejectionCode::InvalidState,
                format!("Agent {from} is not logged in; log in to chat."),
            ));
        }
        let recipient = self.statuses.get(&to).ok_or_else(|| Rejection::not_found("agent", to))?;
        if !recipient.state.is_logged_in() {
            return Err(Rejection::new(
                RejectionCode::InvalidState,
                format!("Agent {to} is not logged in; chat messages go to logged-in agents only."),
            ));
        }
        if !self.agent_chat_allowed(from, to) {
            return Err(Rejection::new(
                RejectionCode::NotPermitted,
                format!("Agent {from} may not chat with agent {to} under the chat levels in force."),
            ));
        }
        let text = text_required("text", text, AGENT_CHAT_TEXT_LENGTH_MAX)?;
        let message = AgentChatMessage { from, to, text, sent_ms: self.time_ms };
        self.chats.push(from, message.clone());
        self.chats.push(to, message.clone());
        let mut agents = vec![from, to];
        agents.sort_unstable();
        Ok(Applied::event(Event::Supervision(SupervisionEvent::AgentChatMessageSent { message, agents })))
    }
}
