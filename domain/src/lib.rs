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
mod rejection;
mod request_log;
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

mod audience;
mod authorization;
mod deadline;
mod spec_error;
mod statistics;

pub mod demo;

pub use agent::digital::{Blending, DigitalState, DigitalStateRequest};
pub use agent::state::{AgentState, AgentStateRequest, CallDirection};
pub use agent::status::{AgentCall, AgentStatus, PendingState};
pub use agent::{Agent, AgentSpec, SkillLevel};
pub use agent::{AgentCommand, AgentEvent};
pub use audience::{Audience, Viewer};
pub use authorization::Actor;
pub use center::Center;
pub use chat::InviteDropReason;
pub use chat::{ChatCommand, ChatEvent};
pub use command::{Command, Entry, RequestId};
pub use config::content::CsqTags;
pub use config::predefined_response::{PredefinedResponse, PredefinedResponseSpec};
pub use config::reason_code::{ReasonCode, ReasonCodeSpec, ReasonKind};
pub use config::settings::{ChannelParameters, DeskSettings, WrapUpMode};
pub use config::skill::{Skill, SkillSpec};
pub use config::team::{Team, TeamSpec};
pub use config::user::{AgentDesk, DeskView, LoginFailures, Role, SessionKey, User, UserSpec, UserView};
pub use config::wrap_up::{WrapUpCategory, WrapUpCategorySpec, WrapUpSelection};
pub use config::{ConfigCommand, ConfigEvent};
pub use deadline::{Deadline, DueDeadline, Timer};
pub use demo::{demo_commands, DEMO_DIALED_NUMBER, DEMO_USERS};
pub use email::inbound::{
    Envelope, InboundEmail, IngestResult, MailCursor, MailInboundView, MalformedEmail, ReaderStatus,
};
pub use email::mailbox::{
    mail_poll_interval_default, mail_snapshot_age_default, AutoAcknowledgement, MailCredentials, MailEndpoint,
    MailFolders, MailSecurity, MailServer, MailServerKind, Mailbox, MailboxView, OauthView,
};
pub use email::outbox::{
    EmailDraft, EmailReply, ForwardedOriginal, OutboundEmail, OutboxState, OutboxView, SendReport,
};
pub use email::signature::{EmailSignature, EmailSignatureSpec};
pub use email::{EmailCommand, EmailEvent};
pub use ids::{
    AgentId, CallId, ContactId, CsqId, DialedNumberId, EmailSignatureId, OutboxId, PredefinedResponseId, ReasonCodeId,
    SkillId, TeamId, TeamMessageId, UserId, WrapUpCategoryId,
};
pub use limits::*;
pub use outcome::{Applied, EntityRef, Event, Outcome};
pub use queue::contact::{
    Contact, ContactOutcome, ContactSpec, ContactState, ContactTimeouts, ContactTimers, Customer, EndedBy, Invite,
};
pub use queue::csq::{Channel, Csq, CsqSpec, Selection, SkillRequirement};
pub use queue::{QueueCommand, QueueEvent};
pub use rejection::{Rejection, RejectionCode};
pub use spec_error::{SpecCode, SpecError};
pub use statistics::{
    AgentCounters, AgentStatisticsSnapshot, CsqCounters, CsqStatisticsSnapshot, StatisticsSettings, StatisticsSnapshot,
};
pub use supervision::agent_chat::{AgentChatLevel, AgentChatMessage, SupervisorChatLevel};
pub use supervision::team_message::{TeamMessage, TeamMessageSpec};
pub use supervision::{SupervisionCommand, SupervisionEvent};
#[cfg(feature = "planted-bugs")]
pub use system::planted::PlantedBugs;
pub use system::SystemCommand;
pub use voice::telephony::{
    AlertType, Call, CallControls, CallData, CallDataChanges, CallKind, CallRequest, ClearCause, Connection,
    ConnectionState, ConsultPurpose, DialedNumber, DialedNumberSpec, InboundCallSpec, MonitorEnd, Party,
    SuperviseAction,
};
pub use voice::{VoiceCommand, VoiceEvent};

#[cfg(test)]
mod tests;
