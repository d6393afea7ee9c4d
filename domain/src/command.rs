//! What the log carries: an [`Entry`] is one command, stamped with time and a request id.
//!
//! The leader stamps `time_ms` before proposing, so every replica applies the same time; the
//! domain never reads a clock. The client chooses the request id, so a retried or forwarded
//! request applies once (see [`crate::Center::apply`]).

use serde::{Deserialize, Serialize};

use crate::authorization::Actor;
use crate::{
    AgentCommand, ChatCommand, ConfigCommand, EmailCommand, QueueCommand, SupervisionCommand, SystemCommand,
    VoiceCommand,
};

/// One replicated log entry: the command, when the leader stamped it, and who asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The client's id for this request; entries carrying a remembered id apply once.
    pub request_id: Option<RequestId>,
    /// Milliseconds since the Unix epoch on the leader's clock when it proposed the entry.
    pub time_ms: u64,
    /// What to do.
    pub command: Command,
    /// Who asked: the domain decides whether they may ([`crate::Center::authorize`]). Left out
    /// when it is the operator, so entries from before actors were recorded read the same.
    #[serde(default, skip_serializing_if = "Actor::is_operator")]
    pub by: Actor,
}

/// A client-chosen request id: 1 to [`crate::REQUEST_ID_LENGTH_MAX`] characters, no control
/// characters. Longer or empty ids are rejected with `invalid_request_id`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub String);

grouped! {
    /// Everything the center can be asked to do. Updates replace the whole entity (like HTTP PUT).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Command {
        /// Configuration shared by every channel: skills, teams, reason codes, users, desk and channel settings, wrap-up categories and predefined responses.
        Config(ConfigCommand),
        /// The shared agent part: agents as configured, their voice and digital states, and their sessions.
        Agent(AgentCommand),
        /// The shared queue part: CSQs, contacts arriving and queued, offered, accepted and closed, and their wrap-up.
        Queue(QueueCommand),
        /// The voice channel: calls and their control on the built-in switch, the trunk side, dialed numbers, and supervisors on calls.
        Voice(VoiceCommand),
        /// The web chat channel: customers chatting, agents accepting, leaving and inviting to group chats.
        Chat(ChatCommand),
        /// The email channel: replies sent or discarded, requeued emails and email signatures.
        Email(EmailCommand),
        /// Messages between supervisors and agents: team messages and agent chat.
        Supervision(SupervisionCommand),
        /// The cluster's own entries: no-ops, deadline expiries, the session key, and the simulator's planted bugs.
        System(SystemCommand),
    }
}
