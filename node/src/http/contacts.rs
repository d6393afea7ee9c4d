//! Contacts, agent actions and live statistics under `/api/v1`.
//!
//! Every action is one domain command: the JSON body names it (`"action": "answer_call"`) and
//! the handler submits it through Raft, so an agent's desktop, an integration and the simulated
//! telephony take the same path and get the same refusals, with the spec's code and text. A
//! successful action answers with the events it produced, so a client sees at once what
//! happened (an offer made, a contact requeued) without waiting for its stream.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use serde::{Deserialize, Serialize};
use tandem_domain::{AgentCommand, ChatCommand, EmailCommand, QueueCommand, SupervisionCommand, VoiceCommand};
use tandem_domain::{
    AgentId, AgentStateRequest, AlertType, CallId, CallRequest, Center, Command, ContactId, ContactSpec, CsqId,
    DigitalStateRequest, EntityRef, Event, Outcome, SuperviseAction, TeamId, TeamMessageId, TeamMessageSpec,
    WrapUpSelection,
};

use super::principal::{check_sees_agent, guard_user};
use super::{generated_request_id, guard, request_key, submit, submit_by, ApiError, AppState};

/// Contacts listed per page at most.
pub const CONTACT_PAGE_SIZE_MAX: usize = 1000;
/// Items one batch may carry.
pub const BATCH_ITEM_COUNT_MAX: usize = 1000;

/// What an agent's desktop asks for. Each maps to exactly one domain command. Variants without
/// fields are written `{}` so that `deny_unknown_fields` also refuses stray fields on them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentAction {
    /// Voice state: login, logout, not_ready, ready, work_ready, work_not_ready. `reason` is the
    /// reason code value for Not Ready and Logout.
    SetState {
        state: AgentStateRequest,
        #[serde(default)]
        reason: Option<u16>,
    },
    /// Chat and email state: ready or not_ready.
    SetDigitalState { state: DigitalStateRequest },
    /// Answer the ringing call.
    AnswerCall {},
    /// Put the call on hold.
    HoldCall {},
    /// Take the call off hold.
    RetrieveCall {},
    /// Hang up (either party ended the call).
    EndCall {},
    /// Make an outgoing call (from Not Ready only).
    MakeCall {},
    /// Wrap-up data for the incoming call, during it or in wrap-up.
    SetWrapUpData { data: String },
    /// The desktop closed without logging out.
    CloseSession {},
    /// Accept the chat offered.
    AcceptChat { contact: ContactId },
    /// End a chat.
    EndChat { contact: ContactId },
    /// Leave a group chat.
    LeaveChat { contact: ContactId },
    /// Invite an agent of a chat CSQ into a group chat.
    InviteToGroupChat {
        contact: ContactId,
        csq: CsqId,
        #[serde(default)]
        notes: Option<String>,
    },
    /// Accept a group chat invite.
    AcceptGroupChatInvite { contact: ContactId },
    /// Decline a group chat invite.
    DeclineGroupChatInvite { contact: ContactId },
    /// Close an email as answered, sending nothing (an email injected over the API, with no
    /// mailbox behind it).
    SendEmail { contact: ContactId },
    /// Reply to an email from its CSQ's mailbox: the reply is queued for sending, with the
    /// signature appended, and the email closes as sent.
    ReplyEmail { contact: ContactId, reply: tandem_domain::EmailReply },
    /// Forward an email from its CSQ's mailbox to someone outside the center, the original
    /// attached; Reply-To names the customer.
    ForwardEmail { contact: ContactId, forward: tandem_domain::EmailReply },
    /// Save the reply being written (the desktop does every 3 minutes and on demand).
    SaveEmailDraft { contact: ContactId, draft: tandem_domain::EmailReply },
    /// Discard an email.
    DiscardEmail { contact: ContactId },
    /// Requeue an email to an email CSQ (the same or another).
    RequeueEmail { contact: ContactId, csq: CsqId },
    /// Select wrap-up reasons for a chat or email.
    SetContactWrapUp { contact: ContactId, reasons: Vec<WrapUpSelection> },
    /// Call control on a named call of the built-in switch (seeds-ctios.md §2.7.4–2.7.5):
    /// answer, release, hold, retrieve, alternate, reconnect, consult, transfer and conference
    /// complete, single-step transfer, make call, DTMF, deflect, call data.
    CallControl { request: CallRequest },
    /// A supervisor's SUPERVISE on an agent's call (clear, barge_in, intercept); the acting
    /// agent is the supervisor.
    Supervise { agent: AgentId, call: CallId, supervise: SuperviseAction },
    /// An emergency call to the agent's team supervisor.
    EmergencyCall { alert: AlertType },
    /// A request for assistance from the agent's team supervisor.
    AssistanceRequest { alert: AlertType },
    /// A chat message to another agent's desktop, as the chat levels permit.
    SendChat { to: AgentId, text: String },
    /// A supervisor's team message to agents of teams it supervises, shown as a banner.
    PublishTeamMessage { text: String, teams: Vec<TeamId>, expiry_minutes: u32 },
    /// Deletes a team message this supervisor sent.
    DeleteTeamMessage { id: TeamMessageId },
    /// A supervisor starts silently monitoring an agent of a team it supervises.
    StartSilentMonitor { agent: AgentId },
    /// A supervisor stops silently monitoring.
    StopSilentMonitor {},
}

impl AgentAction {
    pub(crate) fn command(self, agent: AgentId) -> Command {
        match self {
            AgentAction::SetState { state, reason } => {
                Command::Agent(AgentCommand::SetAgentState { agent, state, reason })
            }
            AgentAction::SetDigitalState { state } => Command::Agent(AgentCommand::SetDigitalState { agent, state }),
            AgentAction::AnswerCall {} => Command::Voice(VoiceCommand::AnswerCall { agent }),
            AgentAction::HoldCall {} => Command::Voice(VoiceCommand::HoldCall { agent }),
            AgentAction::RetrieveCall {} => Command::Voice(VoiceCommand::RetrieveCall { agent }),
            AgentAction::EndCall {} => Command::Voice(VoiceCommand::EndCall { agent }),
            AgentAction::MakeCall {} => Command::Voice(VoiceCommand::MakeCall { agent }),
            AgentAction::SetWrapUpData { data } => Command::Voice(VoiceCommand::SetWrapUpData { agent, data }),
            AgentAction::CloseSession {} => Command::Agent(AgentCommand::CloseSession { agent }),
            AgentAction::AcceptChat { contact } => Command::Chat(ChatCommand::AcceptChat { agent, contact }),
            AgentAction::EndChat { contact } => Command::Chat(ChatCommand::EndChat { agent, contact }),
            AgentAction::LeaveChat { contact } => Command::Chat(ChatCommand::LeaveChat { agent, contact }),
            AgentAction::InviteToGroupChat { contact, csq, notes } => {
                Command::Chat(ChatCommand::InviteToGroupChat { agent, contact, csq, notes })
            }
            AgentAction::AcceptGroupChatInvite { contact } => {
                Command::Chat(ChatCommand::AcceptGroupChatInvite { agent, contact })
            }
            AgentAction::DeclineGroupChatInvite { contact } => {
                Command::Chat(ChatCommand::DeclineGroupChatInvite { agent, contact })
            }
            AgentAction::SendEmail { contact } => Command::Email(EmailCommand::SendEmail { agent, contact }),
            AgentAction::ReplyEmail { contact, reply } => {
                Command::Email(EmailCommand::ReplyEmail { agent, contact, reply: Box::new(reply) })
            }
            AgentAction::ForwardEmail { contact, forward } => {
                Command::Email(EmailCommand::ForwardEmail { agent, contact, forward: Box::new(forward) })
            }
            AgentAction::SaveEmailDraft { contact, draft } => {
                Command::Email(EmailCommand::SaveEmailDraft { agent, contact, draft: Box::new(draft) })
            }
            AgentAction::DiscardEmail { contact } => Command::Email(EmailCommand::DiscardEmail { agent, contact }),
            AgentAction::RequeueEmail { contact, csq } => {
                Command::Email(EmailCommand::RequeueEmail { agent, contact, csq })
            }
            AgentAction::SetContactWrapUp { contact, reasons } => {
                Command::Queue(QueueCommand::SetContactWrapUp { agent, contact, reasons })
            }
            AgentAction::CallControl { request } => Command::Voice(VoiceCommand::CallControl { agent, request }),
            AgentAction::Supervise { agent: supervised, call, supervise } => Command::Voice(VoiceCommand::Supervise {
                supervisor: agent,
                agent: supervised,
                call,
                action: supervise,
            }),
            AgentAction::EmergencyCall { alert } => Command::Voice(VoiceCommand::EmergencyCall { agent, alert }),
            AgentAction::AssistanceRequest { alert } => {
                Command::Voice(VoiceCommand::AssistanceRequest { agent, alert })
            }
            AgentAction::SendChat { to, text } => {
                Command::Supervision(SupervisionCommand::SendAgentChat { from: agent, to, text })
            }
            AgentAction::PublishTeamMessage { text, teams, expiry_minutes } => {
                Command::Supervision(SupervisionCommand::PublishTeamMessage(TeamMessageSpec {
                    sender: agent,
                    text,
                    teams,
                    expiry_minutes,
                }))
            }
            AgentAction::DeleteTeamMessage { id } => {
                Command::Supervision(SupervisionCommand::DeleteTeamMessage { id, by: Some(agent) })
            }
            AgentAction::StartSilentMonitor { agent: watched } => {
                Command::Voice(VoiceCommand::StartSilentMonitor { supervisor: agent, agent: watched })
            }
            AgentAction::StopSilentMonitor {} => Command::Voice(VoiceCommand::StopSilentMonitor { supervisor: agent }),
        }
    }
}

/// What the customer's side reports about a contact (telephony, the chat widget).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ContactAction {
    /// The caller hung up, the chat customer closed the window.
    CustomerLeft {},
    /// The chat customer typed or sent something.
    CustomerActivity {},
}

impl ContactAction {
    fn command(self, contact: ContactId) -> Command {
        match self {
            ContactAction::CustomerLeft {} => Command::Queue(QueueCommand::CustomerLeft { contact }),
            ContactAction::CustomerActivity {} => Command::Chat(ChatCommand::CustomerActivity { contact }),
        }
    }
}

/// An applied command's answer: the events it produced, and the id it created, if any.
#[derive(Debug, Serialize)]
pub struct Applied {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactId>,
    pub events: Vec<Event>,
}

fn applied(outcome: Outcome) -> Result<Applied, ApiError> {
    match outcome {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(applied) => {
            let contact = match applied.created {
                Some(EntityRef::Contact(id)) => Some(id),
                _ => None,
            };
            Ok(Applied { contact, events: applied.events })
        }
    }
}

fn not_found(what: &str, id: u64) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("There is no {what} with id {id}."))
}

/// The time live figures are computed at: this node's clock, never before the applied time.
fn now_ms(state: &AppState, center: &Center) -> u64 {
    state.clock.now_ms().max(center.time_ms())
}

async fn inject(
    state: web::Data<AppState>,
    request: HttpRequest,
    spec: web::Json<ContactSpec>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let outcome = submit(&state, &request, Command::Queue(QueueCommand::InjectContact(spec.into_inner()))).await?;
    Ok(HttpResponse::Created().json(applied(outcome)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactQuery {
    /// Only open contacts (default) or every held one.
    #[serde(default)]
    all: bool,
    /// Only contacts in this CSQ.
    csq: Option<CsqId>,
    /// Only contacts with an id above this one (paging).
    after: Option<ContactId>,
    /// At most this many (default and maximum [`CONTACT_PAGE_SIZE_MAX`]).
    limit: Option<usize>,
}

async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<ContactQuery>,
) -> Result<HttpResponse, ApiError> {
    let viewer = guard_user(&state, &request)?.viewer();
    let limit = query.limit.unwrap_or(CONTACT_PAGE_SIZE_MAX).min(CONTACT_PAGE_SIZE_MAX);
    let shared = state.replica.state();
    let data = shared.read();
    let center = &data.center;
    let contacts: Vec<_> = center
        .contacts()
        .filter(|contact| query.after.is_none_or(|after| contact.id > after))
        .filter(|contact| query.all || !contact.is_closed())
        .filter(|contact| query.csq.is_none_or(|csq| contact.csq == csq))
        .filter(|contact| center.viewer_sees_contact(&viewer, contact))
        .take(limit)
        .cloned()
        .collect();
    Ok(HttpResponse::Ok().json(contacts))
}

/// One thing read from the applied center by id, or `not_found` naming it.
pub(super) fn read_one<T: Serialize>(
    state: &AppState,
    request: &HttpRequest,
    what: &str,
    id: u64,
    read: impl FnOnce(&Center) -> Option<T>,
) -> Result<HttpResponse, ApiError> {
    guard(state, request)?;
    let found = read(&state.replica.state().read().center);
    match found {
        Some(found) => Ok(HttpResponse::Ok().json(found)),
        None => Err(not_found(what, id)),
    }
}

/// Any user: an agent reads the contacts it holds, a supervisor also its teams' (others are
/// `not_found`, as if they did not exist).
async fn get(state: web::Data<AppState>, request: HttpRequest, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let viewer = guard_user(&state, &request)?.viewer();
    let id = id.into_inner();
    let found = {
        let shared = state.replica.state();
        let data = shared.read();
        let center = &data.center;
        center.contact(ContactId(id)).filter(|contact| center.viewer_sees_contact(&viewer, contact)).cloned()
    };
    found.map(|contact| HttpResponse::Ok().json(contact)).ok_or_else(|| not_found("contact", id))
}

async fn contact_action(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
    action: web::Json<ContactAction>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let contact = ContactId(id.into_inner());
    let outcome = submit(&state, &request, action.into_inner().command(contact)).await?;
    Ok(HttpResponse::Ok().json(applied(outcome)?))
}

async fn agent_action(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
    action: web::Json<AgentAction>,
) -> Result<HttpResponse, ApiError> {
    // Any user: the domain decides whether its role lets it act for this agent.
    guard_user(&state, &request)?;
    let command = action.into_inner().command(AgentId(id.into_inner()));
    let outcome = submit(&state, &request, command).await?;
    Ok(HttpResponse::Ok().json(applied(outcome)?))
}

async fn agent_status(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    let principal = guard_user(&state, &request)?;
    let id = id.into_inner();
    check_sees_agent(&state, &principal, AgentId(id))?;
    let found = state.replica.state().read().center.agent_status(AgentId(id)).cloned();
    found.map(|status| HttpResponse::Ok().json(status)).ok_or_else(|| not_found("agent", id))
}

async fn csq_queue(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let id = id.into_inner();
    let shared = state.replica.state();
    let data = shared.read();
    if data.center.csq(CsqId(id)).is_none() {
        return Err(not_found("CSQ", id));
    }
    Ok(HttpResponse::Ok().json(data.center.csq_queue(CsqId(id))))
}

async fn statistics(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let shared = state.replica.state();
    let data = shared.read();
    let snapshot = data.center.statistics_snapshot(now_ms(&state, &data.center));
    Ok(HttpResponse::Ok().json(snapshot))
}

/// The live statistics snapshot, for the statistics stream.
pub fn statistics_json(state: &AppState) -> String {
    let shared = state.replica.state();
    let data = shared.read();
    let snapshot = data.center.statistics_snapshot(now_ms(state, &data.center));
    serde_json::to_string(&serde_json::json!({ "statistics": snapshot })).unwrap_or_default()
}

/// A batch: `{"items": [...]}`, each item one of `{"inject": <contact>}`,
/// `{"agent": <id>, "action": <agent action>}` or `{"contact": <id>, "action": <contact action>}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    items: Vec<serde_json::Value>,
}

/// One batch item as a command, or why it is malformed.
fn batch_command(index: usize, item: serde_json::Value) -> Result<Command, ApiError> {
    let invalid = |message: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", format!("items[{index}]: {message}"))
    };
    let serde_json::Value::Object(mut fields) = item else {
        return Err(invalid("an item is a JSON object".into()));
    };
    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    match keys.as_slice() {
        ["inject"] => {
            let spec = fields.remove("inject").unwrap_or_default();
            let spec: ContactSpec = serde_json::from_value(spec).map_err(|e| invalid(format!("inject: {e}")))?;
            Ok(Command::Queue(QueueCommand::InjectContact(spec)))
        }
        ["action", "agent"] | ["agent", "action"] => {
            let agent: u64 = serde_json::from_value(fields.remove("agent").unwrap_or_default())
                .map_err(|e| invalid(format!("agent: {e}")))?;
            let action: AgentAction = serde_json::from_value(fields.remove("action").unwrap_or_default())
                .map_err(|e| invalid(format!("action: {e}")))?;
            Ok(action.command(AgentId(agent)))
        }
        ["action", "contact"] | ["contact", "action"] => {
            let contact = ContactId(
                serde_json::from_value(fields.remove("contact").unwrap_or_default())
                    .map_err(|e| invalid(format!("contact: {e}")))?,
            );
            let action: ContactAction = serde_json::from_value(fields.remove("action").unwrap_or_default())
                .map_err(|e| invalid(format!("action: {e}")))?;
            Ok(action.command(contact))
        }
        _ => Err(invalid(format!(
            "expected {{\"inject\": ...}}, {{\"agent\": id, \"action\": ...}} or {{\"contact\": id, \"action\": ...}}; got the keys {keys:?}"
        ))),
    }
}

/// `POST /api/v1/batch`: many commands in one request, proposed together (one Raft entry when
/// the leader is keeping up). Items are independent: each gets its own result, in order, and a
/// refused item does not stop the others; send actions that depend on each other in separate
/// batches. A malformed item refuses the whole batch before anything is submitted. With an
/// Idempotency-Key `K`, item `i` is the request `K/i`, so a retried batch applies once.
async fn batch(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<Batch>,
) -> Result<HttpResponse, ApiError> {
    let actor = guard(&state, &request)?.actor();
    let items = body.into_inner().items;
    if items.len() > BATCH_ITEM_COUNT_MAX {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit_exceeded",
            format!("A batch carries at most {BATCH_ITEM_COUNT_MAX} items; this one has {}.", items.len()),
        ));
    }
    let commands =
        items.into_iter().enumerate().map(|(index, item)| batch_command(index, item)).collect::<Result<Vec<_>, _>>()?;
    let key = request_key(&request)?;
    let writes = commands.into_iter().enumerate().map(|(index, command)| {
        let request_id = match &key {
            Some(key) => format!("{key}/{index}"),
            None => generated_request_id(),
        };
        submit_by(&state, actor, request_id, command)
    });
    let results: Vec<serde_json::Value> = futures::future::join_all(writes)
        .await
        .into_iter()
        .map(|result| {
            let answer = result.and_then(applied);
            match answer {
                Ok(applied) => serde_json::to_value(applied).unwrap_or_default(),
                Err(error) => serde_json::json!({ "error": error }),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "results": results })))
}

/// Adds the contact, action and statistics routes to the `/api/v1` scope.
pub fn routes(scope: Scope) -> Scope {
    scope
        .route("/contacts", web::post().to(inject))
        .route("/contacts", web::get().to(list))
        .route("/contacts/{id}", web::get().to(get))
        .route("/contacts/{id}/actions", web::post().to(contact_action))
        .route("/agents/{id}/actions", web::post().to(agent_action))
        .route("/agents/{id}/status", web::get().to(agent_status))
        .route("/csqs/{id}/queue", web::get().to(csq_queue))
        .route("/statistics", web::get().to(statistics))
        .route("/batch", web::post().to(batch))
}
