//! The contact center as pure data and logic: the replicated state machine's core.
//!
//! Every replica runs the same [`Center::apply`] on the same committed [`Entry`] and must reach
//! the same state, so this crate refuses everything that could make replicas disagree: it does
//! no I/O, reads no clock, draws no random numbers, starts no threads and is not async. Time
//! arrives inside the entry, collections are ordered (`BTreeMap`, sorted vectors), persisted
//! numbers are `u32`/`u64`, and bad input gets a typed [`Rejection`], never a panic.
//!
//! Start at [`Center::apply`]. The API boundary is [`Entry`]/[`Command`] in and
//! [`Outcome`]/[`Event`]/[`Rejection`] out; spec limits live in [`limits`], and the spec's
//! numbered error codes in [`SpecError`].
//!
//! Beyond configuration, the center holds the routing runtime: each agent's voice and digital
//! state ([`AgentStatus`]), contacts and their lifecycles per channel ([`Contact`]), CSQ queues
//! with an index of available agents per CSQ, desktop content (wrap-up, predefined responses,
//! signatures, team messages) and statistics derived from applied events. Timers are deadlines
//! in the state: [`Center::deadline_next`] says what is due next, and the leader proposes
//! [`SystemCommand::Expire`] with the epoch it saw.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

#[macro_use]
mod grouped;

mod center;
mod command;
mod ids;
pub mod limits;
mod outcome;
#[cfg(feature = "planted-bugs")]
mod planted;
mod rejection;
mod request_log;
mod routing;
mod snapshot;
mod table;
mod text;

// The channels and the shared parts, each with its commands and events (issue 11).
mod agent;
mod chat;
mod config;
mod email;
mod queue;
mod supervision;
mod system;
mod voice;

mod agent_chat;
mod agent_state;
mod agent_status;
mod agent_voice;
mod audience;
mod authorization;
mod contact;
mod content;
mod csq;
mod deadline;
mod digital;
mod predefined_response;
mod reason_code;
mod settings;
mod signature;
mod skill;
mod spec_error;
mod statistics;
mod team;
mod team_message;
mod telephony;
mod user;
mod wrap_up;

pub mod demo;

pub use agent::{Agent, AgentSpec, SkillLevel};
pub use agent::{AgentCommand, AgentEvent};
pub use agent_chat::{AgentChatLevel, AgentChatMessage, SupervisorChatLevel};
pub use agent_state::{AgentState, AgentStateRequest, CallDirection};
pub use agent_status::{AgentCall, AgentStatus, PendingState};
pub use audience::{Audience, Viewer};
pub use authorization::Actor;
pub use center::Center;
pub use chat::InviteDropReason;
pub use chat::{ChatCommand, ChatEvent};
pub use command::{Command, Entry, RequestId};
pub use config::{ConfigCommand, ConfigEvent};
pub use contact::{
    Contact, ContactOutcome, ContactSpec, ContactState, ContactTimeouts, ContactTimers, Customer, EndedBy, Invite,
};
pub use content::CsqTags;
pub use csq::{Channel, Csq, CsqSpec, Selection, SkillRequirement};
pub use deadline::{Deadline, DueDeadline, Timer};
pub use demo::demo_commands;
pub use digital::{Blending, DigitalState, DigitalStateRequest};
pub use email::{EmailCommand, EmailEvent};
pub use ids::{
    AgentId, CallId, ContactId, CsqId, DialedNumberId, EmailSignatureId, PredefinedResponseId, ReasonCodeId, SkillId,
    TeamId, TeamMessageId, UserId, WrapUpCategoryId,
};
pub use limits::*;
pub use outcome::{Applied, EntityRef, Event, Outcome};
#[cfg(feature = "planted-bugs")]
pub use planted::PlantedBugs;
pub use predefined_response::{PredefinedResponse, PredefinedResponseSpec};
pub use queue::{QueueCommand, QueueEvent};
pub use reason_code::{ReasonCode, ReasonCodeSpec, ReasonKind};
pub use rejection::{Rejection, RejectionCode};
pub use settings::{ChannelParameters, DeskSettings, WrapUpMode};
pub use signature::{EmailSignature, EmailSignatureSpec};
pub use skill::{Skill, SkillSpec};
pub use spec_error::{SpecCode, SpecError};
pub use statistics::{
    AgentCounters, AgentStatisticsSnapshot, CsqCounters, CsqStatisticsSnapshot, StatisticsSettings, StatisticsSnapshot,
};
pub use supervision::{SupervisionCommand, SupervisionEvent};
pub use system::SystemCommand;
pub use team::{Team, TeamSpec};
pub use team_message::{TeamMessage, TeamMessageSpec};
pub use telephony::{
    AlertType, Call, CallControls, CallData, CallDataChanges, CallKind, CallRequest, ClearCause, Connection,
    ConnectionState, ConsultPurpose, DialedNumber, DialedNumberSpec, InboundCallSpec, MonitorEnd, Party,
    SuperviseAction,
};
pub use user::{AgentDesk, DeskView, Role, User, UserSpec, UserView};
pub use voice::{VoiceCommand, VoiceEvent};
pub use wrap_up::{WrapUpCategory, WrapUpCategorySpec, WrapUpSelection};

#[cfg(test)]
mod tests;
