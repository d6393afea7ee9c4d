//! Messages between supervisors and agents: team messages and agent chat.
//!
//! Its commands and events nest in [`crate::Command`] and [`crate::Event`] under one variant,
//! and serialize as if they were theirs (`crate::grouped`): the log, snapshots and the public
//! event JSON name the variant alone.

pub(crate) mod agent_chat;
pub(crate) mod team_message;

use crate::authorization::Scope;
use crate::outcome::Concern;
use serde::{Deserialize, Serialize};

use crate::ids::AgentId;
use crate::ids::TeamMessageId;
use crate::outcome::Applied;
use crate::rejection::Rejection;
use crate::supervision::agent_chat::AgentChatMessage;
use crate::supervision::team_message::TeamMessage;
use crate::supervision::team_message::TeamMessageSpec;
use crate::Center;

/// Messages between supervisors and agents: team messages and agent chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SupervisionCommand {
    /// A supervisor sends a team message.
    PublishTeamMessage(TeamMessageSpec),
    /// An agent or supervisor sends a chat message to another agent's desktop.
    SendAgentChat {
        /// The writer.
        from: AgentId,
        /// The reader.
        to: AgentId,
        /// The text.
        text: String,
    },
    /// Deletes an active team message.
    DeleteTeamMessage {
        /// The message.
        id: TeamMessageId,
        /// Its sender, or `None` for an administrator.
        #[serde(default)]
        by: Option<AgentId>,
    },
}

/// What supervision commands and deadlines change, as pushed to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SupervisionEvent {
    /// A team message was sent.
    TeamMessagePublished(TeamMessage),
    /// A chat message between two agents' desktops.
    AgentChatMessageSent {
        /// The message.
        message: AgentChatMessage,
        /// Its writer and reader, sorted.
        agents: Vec<AgentId>,
    },
    /// A team message was deleted.
    TeamMessageDeleted(TeamMessageId),
    /// A team message expired.
    TeamMessageExpired(TeamMessageId),
}

impl Center {
    /// Applies a supervision command (see [`Center::apply`]).
    pub(crate) fn execute_supervision(&mut self, command: &SupervisionCommand) -> Result<Applied, Rejection> {
        match command {
            SupervisionCommand::PublishTeamMessage(spec) => self.team_message_publish(spec),
            SupervisionCommand::DeleteTeamMessage { id, by } => self.team_message_delete(*id, *by),
            SupervisionCommand::SendAgentChat { from, to, text } => self.agent_chat_send(*from, *to, text),
        }
    }
}

impl SupervisionCommand {
    /// Which agent the command acts for, and as whom: what [`crate::Center::authorize`] checks.
    pub(crate) fn scope(&self) -> Scope {
        match self {
            SupervisionCommand::SendAgentChat { from, .. } => Scope::AsSelf(*from),
            SupervisionCommand::PublishTeamMessage(spec) => Scope::AsSelf(spec.sender),
            SupervisionCommand::DeleteTeamMessage { by, .. } => Scope::TeamMessageDeletion(*by),
        }
    }
}

impl SupervisionEvent {
    /// Whom the event is about: what [`crate::Center::audience`] resolves into who sees it.
    pub(crate) fn concerns(&self) -> Concern<'_> {
        match self {
            SupervisionEvent::AgentChatMessageSent { agents, .. } => Concern::Agents(agents),
            SupervisionEvent::TeamMessagePublished(message) => Concern::Teams(&message.teams),
            SupervisionEvent::TeamMessageDeleted(_) | SupervisionEvent::TeamMessageExpired(_) => Concern::All,
        }
    }
}
