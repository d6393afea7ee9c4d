//! What the log carries: an [`Entry`] is one command, stamped with time and a request id.
//!
//! The leader stamps `time_ms` before proposing, so every replica applies the same time; the
//! domain never reads a clock. The client chooses the request id, so a retried or forwarded
//! request applies once (see [`crate::Center::apply`]).

use serde::{Deserialize, Serialize};

use crate::agent::AgentSpec;
use crate::agent_state::AgentStateRequest;
use crate::authorization::Actor;
use crate::contact::ContactSpec;
use crate::csq::CsqSpec;
use crate::deadline::Deadline;
use crate::digital::DigitalStateRequest;
use crate::ids::{
    AgentId, CallId, ContactId, CsqId, DialedNumberId, EmailSignatureId, PredefinedResponseId, ReasonCodeId, SkillId,
    TeamId, TeamMessageId, UserId, WrapUpCategoryId,
};
use crate::predefined_response::PredefinedResponseSpec;
use crate::reason_code::ReasonCodeSpec;
use crate::settings::{ChannelParameters, DeskSettings};
use crate::signature::EmailSignatureSpec;
use crate::skill::SkillSpec;
use crate::statistics::StatisticsSettings;
use crate::team::TeamSpec;
use crate::team_message::TeamMessageSpec;
use crate::telephony::{AlertType, CallRequest, DialedNumberSpec, InboundCallSpec, SuperviseAction};
use crate::user::UserSpec;
use crate::wrap_up::{WrapUpCategorySpec, WrapUpSelection};

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

/// Everything the center can be asked to do. Updates replace the whole entity (like HTTP PUT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Command {
    /// Adds a skill.
    CreateSkill(SkillSpec),
    /// Replaces a skill's fields.
    UpdateSkill {
        /// The skill to change.
        id: SkillId,
        /// Its new fields.
        spec: SkillSpec,
    },
    /// Removes a skill no agent or CSQ uses.
    DeleteSkill {
        /// The skill to remove.
        id: SkillId,
    },
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
    /// Adds a team.
    CreateTeam(TeamSpec),
    /// Replaces a team's fields.
    UpdateTeam {
        /// The team to change.
        id: TeamId,
        /// Its new fields.
        spec: TeamSpec,
    },
    /// Removes a team with no agents.
    DeleteTeam {
        /// The team to remove.
        id: TeamId,
    },
    /// Adds a contact service queue.
    CreateCsq(CsqSpec),
    /// Replaces a CSQ's fields.
    UpdateCsq {
        /// The CSQ to change.
        id: CsqId,
        /// Its new fields.
        spec: CsqSpec,
    },
    /// Removes a CSQ.
    DeleteCsq {
        /// The CSQ to remove.
        id: CsqId,
    },
    /// Adds a Not Ready or Logout reason code.
    CreateReasonCode(ReasonCodeSpec),
    /// Replaces a reason code's fields.
    UpdateReasonCode {
        /// The reason code to change.
        id: ReasonCodeId,
        /// Its new fields.
        spec: ReasonCodeSpec,
    },
    /// Removes a reason code.
    DeleteReasonCode {
        /// The reason code to remove.
        id: ReasonCodeId,
    },
    /// Adds a user (the node hashed the password).
    CreateUser(UserSpec),
    /// Replaces a user's fields.
    UpdateUser {
        /// The user to change.
        id: UserId,
        /// Its new fields.
        spec: UserSpec,
    },
    /// Removes a user.
    DeleteUser {
        /// The user to remove.
        id: UserId,
    },
    /// Sets the key session resume tokens are signed with, if none is set yet (the first
    /// node to need one proposes it; later proposals change nothing).
    SetSessionKey {
        /// 64 hexadecimal digits (256 bits) the node drew from its random source.
        key: String,
    },
    /// Changes nothing but time; used by benchmarks and health probes.
    Noop,
    /// Replaces the agent desk settings.
    SetDeskSettings(DeskSettings),
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
    /// An agent makes an outgoing call on an outside line; only from Not Ready. Shorthand for
    /// `CallControl` `MakeCall` without a number.
    MakeCall {
        /// The agent.
        agent: AgentId,
    },
    /// An agent puts the call it talks on on hold (shorthand for `CallControl` `Hold`).
    HoldCall {
        /// The agent.
        agent: AgentId,
    },
    /// An agent in Hold takes its (first) held call off hold (shorthand for `Retrieve`).
    RetrieveCall {
        /// The agent.
        agent: AgentId,
    },
    /// The agent hangs up the call it talks on, or its held call (shorthand for
    /// `ClearConnection`).
    EndCall {
        /// The agent.
        agent: AgentId,
    },
    /// Sets wrap-up data on the agent's incoming call, during it or in wrap-up.
    SetWrapUpData {
        /// The agent.
        agent: AgentId,
        /// 1 to [`crate::WRAP_UP_DATA_LENGTH_MAX`] characters.
        data: String,
    },
    /// An agent's desktop session closed without a logout.
    CloseSession {
        /// The agent.
        agent: AgentId,
    },
    /// Replaces the digital channel parameters (new contacts only, see the type).
    SetChannelParameters(ChannelParameters),
    /// An agent's chat and email state: Ready or Not Ready.
    SetDigitalState {
        /// The agent.
        agent: AgentId,
        /// The requested state.
        state: DigitalStateRequest,
    },
    /// A new contact arrives in a CSQ (a call, a chat request, an ingested email).
    InjectContact(ContactSpec),
    /// An agent answers its ringing call (shorthand for `CallControl` `Answer`).
    AnswerCall {
        /// The agent.
        agent: AgentId,
    },
    /// The customer left: a caller hung up, a chat customer closed the window.
    CustomerLeft {
        /// The contact.
        contact: ContactId,
    },
    /// The chat customer did something (typed, sent): the inactivity timeout starts again.
    CustomerActivity {
        /// The chat.
        contact: ContactId,
    },
    /// An agent accepts the chat offered to it.
    AcceptChat {
        /// The agent.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
    },
    /// An agent ends a chat: the last agent of a joined chat, or any agent of an ended one.
    EndChat {
        /// The agent.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
    },
    /// One of the two agents of a group chat leaves it.
    LeaveChat {
        /// The agent.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
    },
    /// The only agent of a chat invites an agent of a chat CSQ to a group chat.
    InviteToGroupChat {
        /// The inviting agent.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
        /// The chat CSQ to pick the invitee from.
        csq: CsqId,
        /// Notes shown to the invitee only, never stored, at most
        /// [`crate::GROUP_CHAT_NOTES_LENGTH_MAX`] characters.
        #[serde(default)]
        notes: Option<String>,
    },
    /// The invitee accepts a group chat invite.
    AcceptGroupChatInvite {
        /// The invitee.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
    },
    /// The invitee declines a group chat invite.
    DeclineGroupChatInvite {
        /// The invitee.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
    },
    /// An agent sent the reply to an email: it closes, and its conversation remembers the agent.
    SendEmail {
        /// The agent.
        agent: AgentId,
        /// The email.
        contact: ContactId,
    },
    /// An agent discards an email (the original stays in the mailbox).
    DiscardEmail {
        /// The agent.
        agent: AgentId,
        /// The email.
        contact: ContactId,
    },
    /// An agent requeues an email to the same or another email CSQ; it never comes back to
    /// this agent and skips sticky routing.
    RequeueEmail {
        /// The agent.
        agent: AgentId,
        /// The email.
        contact: ContactId,
        /// The email CSQ to requeue to.
        csq: CsqId,
    },
    /// The new active side requeues and reroutes every open email (proposed after failover).
    RequeueOpenEmails,
    /// The agent handling a chat or email selects its wrap-up reasons (replacing earlier ones).
    SetContactWrapUp {
        /// The agent.
        agent: AgentId,
        /// The chat or email.
        contact: ContactId,
        /// At most [`crate::WRAP_UP_REASON_PER_CONTACT_COUNT_MAX`] reasons.
        reasons: Vec<WrapUpSelection>,
    },
    /// Adds a wrap-up category.
    CreateWrapUpCategory(WrapUpCategorySpec),
    /// Replaces a wrap-up category's fields.
    UpdateWrapUpCategory {
        /// The category to change.
        id: WrapUpCategoryId,
        /// Its new fields.
        spec: WrapUpCategorySpec,
    },
    /// Removes a wrap-up category.
    DeleteWrapUpCategory {
        /// The category to remove.
        id: WrapUpCategoryId,
    },
    /// Adds a predefined response.
    CreatePredefinedResponse(PredefinedResponseSpec),
    /// Replaces a predefined response's fields.
    UpdatePredefinedResponse {
        /// The response to change.
        id: PredefinedResponseId,
        /// Its new fields.
        spec: PredefinedResponseSpec,
    },
    /// Removes a predefined response.
    DeletePredefinedResponse {
        /// The response to remove.
        id: PredefinedResponseId,
    },
    /// Adds an email signature.
    CreateEmailSignature(EmailSignatureSpec),
    /// Replaces an email signature's fields.
    UpdateEmailSignature {
        /// The signature to change.
        id: EmailSignatureId,
        /// Its new fields.
        spec: EmailSignatureSpec,
    },
    /// Removes an email signature.
    DeleteEmailSignature {
        /// The signature to remove.
        id: EmailSignatureId,
    },
    /// A supervisor sends a team message.
    PublishTeamMessage(TeamMessageSpec),
    /// A supervisor starts silently monitoring an agent of a team it supervises.
    StartSilentMonitor {
        /// The supervisor.
        supervisor: AgentId,
        /// The agent.
        agent: AgentId,
    },
    /// A supervisor stops silently monitoring.
    StopSilentMonitor {
        /// The supervisor.
        supervisor: AgentId,
    },
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
    /// Replaces the statistics settings (the service level threshold).
    SetStatisticsSettings(StatisticsSettings),
    /// A deadline passed on the leader's clock. A stale epoch is a no-op.
    Expire {
        /// Which timer.
        deadline: Deadline,
        /// The epoch the leader saw in [`crate::Center::deadline_next`].
        epoch: u64,
    },
    /// Adds a dialed number: a route point whose calls are routed through a voice CSQ.
    CreateDialedNumber(DialedNumberSpec),
    /// Replaces a dialed number's fields (calls already routed stay where they are).
    UpdateDialedNumber {
        /// The dialed number to change.
        id: DialedNumberId,
        /// Its new fields.
        spec: DialedNumberSpec,
    },
    /// Removes a dialed number.
    DeleteDialedNumber {
        /// The dialed number to remove.
        id: DialedNumberId,
    },
    /// A call arrives from outside the center (the switch's trunk, the load generator).
    InboundCall(InboundCallSpec),
    /// An agent's call-control request on the built-in switch.
    CallControl {
        /// The agent.
        agent: AgentId,
        /// What it asks.
        request: CallRequest,
    },
    /// An outside party a call rang answered (the far end of an outbound or consult call).
    ExternalAnswer {
        /// The call.
        call: CallId,
        /// The party's number.
        number: String,
    },
    /// An outside party (a caller, an external destination) hung up.
    ExternalHangup {
        /// The call.
        call: CallId,
        /// The party's number.
        number: String,
    },
    /// A supervisor's SUPERVISE request on an agent's call: clear, barge in, intercept.
    Supervise {
        /// The supervisor, a primary or secondary supervisor of the agent's team.
        supervisor: AgentId,
        /// The agent.
        agent: AgentId,
        /// The agent's call.
        call: CallId,
        /// What to do.
        action: SuperviseAction,
    },
    /// An agent's emergency call to its team's supervisor.
    EmergencyCall {
        /// The agent.
        agent: AgentId,
        /// How the supervisor joins.
        alert: AlertType,
    },
    /// An agent's request for assistance from its team's supervisor.
    AssistanceRequest {
        /// The agent.
        agent: AgentId,
        /// How the supervisor joins.
        alert: AlertType,
    },
    /// Switches the simulator's planted bugs (test builds only; see `planted`).
    #[cfg(feature = "planted-bugs")]
    PlantBugs(crate::planted::PlantedBugs),
}
