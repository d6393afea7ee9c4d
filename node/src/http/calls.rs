//! The built-in switch's trunk side under `/api/v1/calls`: calls arriving from outside, and
//! what the outside parties do (answer, hang up).
//!
//! This is the peripheral boundary of decision 0022 as HTTP: the load generator (`tandem call`),
//! the tests and a future SIP front all drive the switch through these three commands
//! (`InboundCall`, `ExternalAnswer`, `ExternalHangup`); agents' call control goes through the
//! agent actions and the CTI protocol instead. The calls themselves are replicated state, read
//! here from this node's applied center.

use actix_web::{web, HttpRequest, HttpResponse, Scope};
use serde::{Deserialize, Serialize};
use tandem_domain::{AgentId, Call, CallId, Command, Event, InboundCallSpec, Outcome};
use tandem_domain::{VoiceCommand, VoiceEvent};

use super::contacts::read_one;
use super::{guard, submit, ApiError, AppState};

/// Calls listed per page at most.
pub const CALL_PAGE_SIZE_MAX: usize = 1000;

/// What an outside party on a call did.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum CallAction {
    /// The outside number a call rang answered (an outbound call, a consult to an outside
    /// number).
    Answer { number: String },
    /// The outside number (the caller, an outside destination) hung up.
    HangUp { number: String },
}

impl CallAction {
    fn command(self, call: CallId) -> Command {
        match self {
            CallAction::Answer { number } => Command::Voice(VoiceCommand::ExternalAnswer { call, number }),
            CallAction::HangUp { number } => Command::Voice(VoiceCommand::ExternalHangup { call, number }),
        }
    }
}

/// An applied call command's answer: the call it began, if any, and every event.
#[derive(Debug, Serialize)]
struct CallApplied {
    #[serde(skip_serializing_if = "Option::is_none")]
    call: Option<CallId>,
    events: Vec<Event>,
}

fn call_applied(outcome: Outcome) -> Result<CallApplied, ApiError> {
    match outcome {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(applied) => {
            let call = applied.events.iter().find_map(|event| match event {
                Event::Voice(VoiceEvent::BeginCall { call, .. }) => Some(call.id),
                _ => None,
            });
            Ok(CallApplied { call, events: applied.events })
        }
    }
}

/// `POST /api/v1/calls`: a call arrives at a dialed number (routed through its CSQ) or at an
/// agent's extension.
async fn arrive(
    state: web::Data<AppState>,
    request: HttpRequest,
    spec: web::Json<InboundCallSpec>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let outcome = submit(&state, &request, Command::Voice(VoiceCommand::InboundCall(spec.into_inner()))).await?;
    Ok(HttpResponse::Created().json(call_applied(outcome)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallQuery {
    /// Only calls with an id above this one (paging).
    after: Option<CallId>,
    /// At most this many (default and maximum [`CALL_PAGE_SIZE_MAX`]).
    limit: Option<usize>,
}

async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<CallQuery>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let limit = query.limit.unwrap_or(CALL_PAGE_SIZE_MAX).min(CALL_PAGE_SIZE_MAX);
    let shared = state.replica.state();
    let data = shared.read();
    let calls: Vec<&Call> =
        data.center.calls().filter(|call| query.after.is_none_or(|after| call.id > after)).take(limit).collect();
    Ok(HttpResponse::Ok().json(calls))
}

async fn get(state: web::Data<AppState>, request: HttpRequest, id: web::Path<u64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    read_one(&state, &request, "call", id, |center| center.call(CallId(id)).cloned())
}

async fn action(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
    action: web::Json<CallAction>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let outcome = submit(&state, &request, action.into_inner().command(CallId(id.into_inner()))).await?;
    Ok(HttpResponse::Ok().json(call_applied(outcome)?))
}

/// `GET /api/v1/agents/{id}/controls`: the call-control buttons enabled for an agent now.
async fn controls(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    read_one(&state, &request, "agent", id, |center| {
        center.agent(AgentId(id)).map(|_| center.call_controls(AgentId(id)))
    })
}

/// Adds the call routes to the `/api/v1` scope.
pub fn routes(scope: Scope) -> Scope {
    scope
        .route("/calls", web::post().to(arrive))
        .route("/calls", web::get().to(list))
        .route("/calls/{id}", web::get().to(get))
        .route("/calls/{id}/actions", web::post().to(action))
        .route("/agents/{id}/controls", web::get().to(controls))
}
