//! Who may do what, decided once, in the replicated path.
//!
//! Every entry names who proposed it ([`Actor`]), and [`Center::apply`] refuses a command the
//! actor may not give before anything else, with `forbidden`. The check reads the user's role
//! and teams from the center the entry applies to, so a role change, a team change or a deleted
//! user takes effect at the next entry on every replica alike, and there is no window between a
//! node's read and its submit. Nodes authenticate (password, token) and put the actor in the
//! entry; they decide nothing here.
//!
//! The rules: an agent acts only for itself; a supervisor also for the agents of the teams it
//! supervises, and as their supervisor (monitoring, barge-in, team messages) only as itself; an
//! administrator user, a tool holding the administrator token and the cluster itself do
//! everything. What the spec's settings permit (chat levels, which states allow which request)
//! is the commands' own business, checked after this.

use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::command::Command;
use crate::config::user::Role;
use crate::ids::{AgentId, UserId};
use crate::rejection::{Rejection, RejectionCode};

/// Who proposed an entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// A tool holding the administrator token, or the cluster itself (timers, bootstrap, the
    /// node's own housekeeping); also every entry written before entries named their actor.
    #[default]
    Operator,
    /// A user, by id: what its role allows, read when the entry applies.
    User(UserId),
}

impl Actor {
    /// Whether this is the operator (the default, left out of serialized entries).
    pub fn is_operator(&self) -> bool {
        matches!(self, Actor::Operator)
    }
}

/// Which agent a command acts for, and in which capacity.
pub(crate) enum Scope {
    /// Configuration, the trunk side, customers, housekeeping: administrators only.
    Administration,
    /// The agent's own work (its state, its calls, chats and emails); a supervisor of its team
    /// may act for it too.
    Agent(AgentId),
    /// Acting as this agent in person (a supervisor's monitoring, barge-in, team messages, a
    /// chat message's writer): nobody may act as someone else.
    AsSelf(AgentId),
    /// A team message deleted by an administrator (`by: None`) or its sender.
    TeamMessageDeletion(Option<AgentId>),
}

impl Command {
    fn scope(&self) -> Scope {
        match self {
            Command::Config(command) => command.scope(),
            Command::Agent(command) => command.scope(),
            Command::Queue(command) => command.scope(),
            Command::Voice(command) => command.scope(),
            Command::Chat(command) => command.scope(),
            Command::Email(command) => command.scope(),
            Command::Supervision(command) => command.scope(),
            Command::System(command) => command.scope(),
        }
    }
}

impl Center {
    /// Whether `actor` may give `command`; `forbidden` says why not. Changes nothing.
    pub fn authorize(&self, actor: Actor, command: &Command) -> Result<(), Rejection> {
        let Actor::User(id) = actor else { return Ok(()) };
        let Some(user) = self.users.get(id) else {
            return Err(forbidden(format!("User {id} no longer exists; log in again.")));
        };
        let own = match (user.role, user.agent) {
            (Role::Administrator, _) => return Ok(()),
            (_, Some(agent)) => agent,
            (_, None) => return Err(forbidden(format!("User {id} has no agent."))),
        };
        match command.scope() {
            Scope::Administration => Err(forbidden(format!(
                "Only an administrator may do this; user {} is {} {}.",
                user.login_name,
                article(user.role),
                user.role.as_str()
            ))),
            Scope::AsSelf(agent) | Scope::TeamMessageDeletion(Some(agent)) if agent == own => Ok(()),
            Scope::AsSelf(agent) | Scope::TeamMessageDeletion(Some(agent)) => {
                Err(forbidden(format!("User {} is agent {own} and may not act as agent {agent}.", user.login_name)))
            }
            Scope::TeamMessageDeletion(None) => {
                Err(forbidden("Only an administrator may delete a team message without naming its sender."))
            }
            Scope::Agent(agent) if agent == own || (user.role == Role::Supervisor && self.supervises(own, agent)) => {
                Ok(())
            }
            Scope::Agent(agent) => Err(forbidden(match user.role {
                Role::Supervisor => {
                    format!(
                        "User {} may not act for agent {agent}: it is not in a team they supervise.",
                        user.login_name
                    )
                }
                _ => format!("User {} is agent {own} and may act only for itself, not agent {agent}.", user.login_name),
            })),
        }
    }
}

fn forbidden(message: impl Into<String>) -> Rejection {
    Rejection::new(RejectionCode::Forbidden, message)
}

fn article(role: Role) -> &'static str {
    match role {
        Role::Administrator | Role::Agent => "an",
        Role::Supervisor => "a",
    }
}
