//! WebSocket streams: applied events for a supervisor (all) or one agent, and live statistics.
//!
//! Events carry the center's event index, the same on every node, so a desktop that loses its
//! node reconnects to the other side with `?after=<last index seen>` and continues with no gap
//! and no duplicate. If the node no longer holds those events (or caught up by snapshot), the
//! stream says `gap` with the oldest index it has, and the client reloads its view over REST.
//!
//! Frames (JSON text): `{"hello": {"node", "after", "oldest"}}` first, then
//! `{"index": n, "event": {...}}` per event, `{"gap": {"after", "oldest"}}`, and
//! `{"heartbeat": {"index": n}}` when idle, so either end notices a dead connection.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use actix_ws::{Message, MessageStream, Session};
use serde::Deserialize;
use tandem_actors::{EventRead, RetainedEvent};
use tandem_domain::{AgentId, Viewer};

use super::principal::{authenticate, check_sees_agent};
use super::{refuse_unless_serving, ApiError, AppState};

/// Idle time between heartbeats.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// Events read from the log per batch.
const EVENTS_PER_READ_MAX: usize = 256;
/// Statistics push interval bounds and default.
const STATISTICS_INTERVAL_MS_MIN: u64 = 100;
const STATISTICS_INTERVAL_MS_MAX: u64 = 60_000;
const STATISTICS_INTERVAL_MS_DEFAULT: u64 = 1_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamQuery {
    /// Deliver events after this index (the last one the client saw). Omitted: only new ones.
    after: Option<u64>,
    /// The admin token, for clients that cannot set headers (browsers).
    access_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatisticsQuery {
    interval_ms: Option<u64>,
    access_token: Option<String>,
}

/// Which events a stream carries, by the audience the domain gave each event when it applied
/// (`Center::audience`).
#[derive(Debug, Clone)]
enum Filter {
    /// What the caller sees: everything for an administrator, what its desktop would get for
    /// an agent or supervisor.
    Viewer(Viewer),
    /// The events about one agent that the caller sees: what that agent's desktop gets about
    /// itself, as long as the caller sees them (a supervisor taken off the agent's team stops
    /// getting them: the audience names the supervisors as they are when each event applies).
    Agent { agent: AgentId, viewer: Viewer },
}

impl Filter {
    fn passes(&self, event: &RetainedEvent) -> bool {
        match self {
            Filter::Viewer(viewer) => event.audience.reaches(viewer),
            Filter::Agent { agent, viewer } => event.audience.includes_agent(*agent) && event.audience.reaches(viewer),
        }
    }
}

async fn all_events(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Payload,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = authenticate(&state, &request, query.access_token.as_deref())?;
    refuse_unless_serving(&state)?;
    open(state, &request, body, query.after, Filter::Viewer(principal.viewer()))
}

async fn agent_events(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Payload,
    id: web::Path<u64>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = authenticate(&state, &request, query.access_token.as_deref())?;
    refuse_unless_serving(&state)?;
    let agent = AgentId(id.into_inner());
    if state.replica.state().read().center.agent(agent).is_none() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("There is no agent with id {agent}.")));
    }
    check_sees_agent(&state, &principal, agent)?;
    open(state, &request, body, query.after, Filter::Agent { agent, viewer: principal.viewer() })
}

fn upgrade(request: &HttpRequest, body: web::Payload) -> Result<(HttpResponse, Session, MessageStream), ApiError> {
    actix_ws::handle(request, body).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "websocket_required",
            format!("This endpoint is a WebSocket stream; connect with a WebSocket client ({error})."),
        )
    })
}

fn open(
    state: web::Data<AppState>,
    request: &HttpRequest,
    body: web::Payload,
    after: Option<u64>,
    filter: Filter,
) -> Result<HttpResponse, ApiError> {
    let (response, session, messages) = upgrade(request, body)?;
    actix_web::rt::spawn(async move {
        let reason = stream_events(&state, session.clone(), messages, after, &filter).await;
        tracing::debug!(?filter, reason, "event stream closed");
        let _ = session.close(None).await;
    });
    Ok(response)
}

/// What the client sent, handled; `false` once it is gone.
async fn client_message(session: &mut Session, message: Option<Result<Message, actix_ws::ProtocolError>>) -> bool {
    match message {
        Some(Ok(Message::Ping(bytes))) => session.pong(&bytes).await.is_ok(),
        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => false,
        Some(Ok(_)) => true,
    }
}

async fn send(session: &mut Session, value: serde_json::Value) -> bool {
    session.text(value.to_string()).await.is_ok()
}

async fn stream_events(
    state: &AppState,
    mut session: Session,
    mut messages: MessageStream,
    after: Option<u64>,
    filter: &Filter,
) -> &'static str {
    let log = &state.events;
    let mut watch = log.watch();
    let mut cursor = after.unwrap_or_else(|| log.last_index());
    let oldest = match log.read_after(0, 0) {
        EventRead::Gap { oldest } => oldest,
        EventRead::Events(_) => 1,
    };
    let hello = serde_json::json!({"hello": {"node": state.config.node_id, "after": cursor, "oldest": oldest}});
    if !send(&mut session, hello).await {
        return "client gone";
    }
    loop {
        match log.read_after(cursor, EVENTS_PER_READ_MAX) {
            EventRead::Gap { oldest } => {
                if !send(&mut session, serde_json::json!({"gap": {"after": cursor, "oldest": oldest}})).await {
                    return "client gone";
                }
                cursor = oldest - 1;
            }
            EventRead::Events(events) if !events.is_empty() => {
                let frames: Vec<String> = events
                    .iter()
                    .filter(|event| filter.passes(event))
                    .map(|event| serde_json::json!({"index": event.index, "event": &*event.event}).to_string())
                    .collect();
                for frame in frames {
                    if session.text(frame).await.is_err() {
                        return "client gone";
                    }
                }
                cursor = events.last().map_or(cursor, |event| event.index);
            }
            EventRead::Events(_) => {
                tokio::select! {
                    biased;
                    changed = watch.changed() => if changed.is_err() { return "node stopping" },
                    message = messages.recv() => if !client_message(&mut session, message).await { return "client gone" },
                    _ = tokio::time::sleep(HEARTBEAT_INTERVAL) => {
                        if !send(&mut session, serde_json::json!({"heartbeat": {"index": cursor}})).await {
                            return "client gone";
                        }
                    }
                }
            }
        }
    }
}

async fn statistics_stream(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Payload,
    query: web::Query<StatisticsQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = authenticate(&state, &request, query.access_token.as_deref())?;
    if !matches!(principal.viewer(), Viewer::Everything) {
        let message = "Only an administrator may stream the center's statistics.";
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", message));
    }
    refuse_unless_serving(&state)?;
    let interval_ms = query.interval_ms.unwrap_or(STATISTICS_INTERVAL_MS_DEFAULT);
    if !(STATISTICS_INTERVAL_MS_MIN..=STATISTICS_INTERVAL_MS_MAX).contains(&interval_ms) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!(
                "interval_ms must be from {STATISTICS_INTERVAL_MS_MIN} to {STATISTICS_INTERVAL_MS_MAX}; got {interval_ms}."
            ),
        ));
    }
    let (response, mut session, mut messages) = upgrade(&request, body)?;
    actix_web::rt::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(interval_ms));
        loop {
            tokio::select! {
                biased;
                message = messages.recv() => if !client_message(&mut session, message).await { break },
                _ = interval.tick() => {
                    if session.text(super::contacts::statistics_json(&state)).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}

/// Adds the stream routes to the `/api/v1` scope.
pub fn routes(scope: Scope) -> Scope {
    scope
        .route("/events", web::get().to(all_events))
        .route("/agents/{id}/events", web::get().to(agent_events))
        .route("/statistics/stream", web::get().to(statistics_stream))
}
