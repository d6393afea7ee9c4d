//! The node's HTTP listeners: the public API (admin REST, health, metrics) and the
//! node-to-node listener (Raft RPC and forwarded writes, mutual TLS only).
//!
//! Handlers are thin: they authenticate, decode, turn a request into a domain command, submit
//! it through the replica, and encode the outcome. Errors are JSON `{code, message}`.

pub mod calls;
pub mod cluster;
pub mod contacts;
mod cti;
mod desktop;
pub mod doors;
mod email;
mod entities;
mod mail;
mod openapi;
pub mod principal;
mod session_keys;
mod settings;
mod stream;
pub mod users;
mod ws_link;

pub use cluster::local_status;
pub use principal::{authorize, guard, guard_user};

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, App, HttpMessage, HttpRequest, HttpResponse, HttpServer};
use serde::Serialize;
use tandem_actors::{EventLog, Fanout};
use tandem_domain::{Actor, Command, Entry, Outcome, Rejection, RequestId};
use tandem_raft::clock::Clock;
use tandem_raft::https::{PeerCertificate, TlsFiles};
use tandem_raft::service::{Caller, ServiceError};
use tandem_raft::{Side, WriteError};

use crate::config::{ApiTls, NodeConfig};
use crate::metrics::Metrics;
use crate::run::NodeReplica;

/// Largest accepted API request body.
const API_BODY_SIZE_MAX: usize = 1024 * 1024;
/// Largest accepted node-to-node body (append batches and snapshot chunks).
const RAFT_BODY_SIZE_MAX: usize = 64 * 1024 * 1024;
/// Request-id header: a retried request with the same id applies once.
pub const REQUEST_ID_HEADER: &str = "idempotency-key";

#[derive(Clone)]
pub struct AppState {
    pub replica: Arc<NodeReplica>,
    pub token: Arc<String>,
    pub config: Arc<NodeConfig>,
    pub metrics: Arc<Metrics>,
    /// Recent applied events, for the WebSocket streams.
    pub events: Arc<EventLog>,
    /// For live figures (statistics at "now").
    pub clock: Arc<dyn Clock>,
    /// Desktop sessions and the pump that queues them their events.
    pub fanout: Arc<Fanout>,
    /// The queue actors: each CSQ's live data, computed once per refresh for every desktop.
    pub queues: tandem_actors::Queues<tandem_actors::ReplicaCore<crate::run::NodeTransport>>,
    /// The Argon2id workers for logins and user changes.
    pub passwords: Arc<crate::credentials::PasswordWorkers>,
    /// Why this node stepped aside, once it has (its Raft stopped): it then serves nobody.
    pub failure: Arc<std::sync::OnceLock<String>>,
    /// How fast each client address may try passwords.
    pub logins: Arc<doors::LoginLimiter>,
    /// Seals and opens the secrets the replicated state holds (session keys).
    pub cluster_key: Arc<crate::secrets::ClusterKey>,
}

impl AppState {
    /// Refuses with `node_failed` once the node has stepped aside.
    pub fn serving(&self) -> Result<(), ApiError> {
        match self.failure.get() {
            None => Ok(()),
            Some(reason) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "node_failed",
                format!("Node {} can no longer serve ({reason}); use another node.", self.config.node_id),
            )),
        }
    }
}

/// The JSON error body of every refused request. A refusal the spec numbers (seeds-ctios.md
/// §2.6.3) also carries `spec_code` and, where the spec names it, `spec_name`
/// (e.g. `CF_WRAPUP_DATA_REQUIRED`), with the spec's text as the message.
#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_code: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_name: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_string(), message: message.into(), spec_code: None, spec_name: None }
    }

    pub fn response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(self)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl actix_web::ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        self.response()
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> ApiError {
        let status = StatusCode::from_u16(rejection.code.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        let spec_name = rejection.spec_error().and_then(|error| error.identifier());
        ApiError {
            status,
            code: rejection.code.as_str().to_string(),
            spec_code: rejection.spec_code.map(|code| code.0),
            spec_name,
            message: rejection.message,
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> ApiError {
        let code = match &error {
            WriteError::NoLeader { .. } => "no_leader",
            WriteError::Membership(_) => "membership_refused",
            WriteError::Fatal(_) => "node_failed",
        };
        let status = match &error {
            WriteError::Membership(_) => StatusCode::CONFLICT,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::new(status, code, error.to_string())
    }
}

/// Clients are served by side A and B nodes that have not stepped aside: a witness stores the
/// log and votes, and a node whose Raft stopped serves nobody.
pub fn refuse_unless_serving(state: &AppState) -> Result<(), ApiError> {
    state.serving()?;
    if state.config.side == Side::Witness {
        return Err(ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "witness",
            format!(
                "Node {} is a witness: it stores the log and votes but serves no clients. Use a side A or B node.",
                state.config.node_id
            ),
        ));
    }
    Ok(())
}

/// The request's Idempotency-Key, if it sent one.
pub fn request_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    match request.headers().get(REQUEST_ID_HEADER) {
        Some(value) => match value.to_str() {
            Ok(text) => Ok(Some(text.to_string())),
            Err(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request_id",
                "The Idempotency-Key header must be printable ASCII.",
            )),
        },
        None => Ok(None),
    }
}

/// Submits a command through Raft and returns its outcome, timing it for `/metrics`.
/// The entry names the principal the request's guard authenticated.
pub async fn submit(state: &AppState, request: &HttpRequest, command: Command) -> Result<Outcome, ApiError> {
    let principal = principal::recorded(request)?;
    let request_id = request_key(request)?.unwrap_or_else(generated_request_id);
    let kind = command_kind(&command);
    let result = submit_by(state, principal.actor(), request_id.clone(), command).await;
    let actor = principal.describe();
    match &result {
        Ok(Outcome::Applied(applied)) => {
            let created = applied.created.map(|created| format!("{created:?}")).unwrap_or_default();
            tracing::info!(target: "audit", %actor, command = kind, request_id, outcome = "applied", created);
        }
        Ok(Outcome::Rejected(rejection)) => {
            tracing::info!(target: "audit", %actor, command = kind, request_id, outcome = "rejected", code = rejection.code.as_str());
        }
        Err(error) => {
            tracing::info!(target: "audit", %actor, command = kind, request_id, outcome = "failed", code = %error.code);
        }
    }
    match result? {
        // A REST answer is built from the events; a retry this late has only the created id.
        Outcome::Applied(applied) if applied.answer_forgotten => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_applied",
            format!(
                "The request {request_id} was applied earlier and is not applied again; its answer is no longer held, so read the current state."
            ),
        )),
        outcome => Ok(outcome),
    }
}

/// A command's name for the audit log (`CreateUser`, `SetAgentState`): never its fields, which
/// may hold a password hash or a customer's words.
fn command_kind(command: &Command) -> String {
    match serde_json::to_value(command) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(serde_json::Value::Object(map)) => map.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Submits a command under a given request id, as the operator.
pub async fn submit_as(state: &AppState, request_id: String, command: Command) -> Result<Outcome, ApiError> {
    submit_by(state, Actor::Operator, request_id, command).await
}

/// Submits a command under a given request id on behalf of `by`; the domain decides whether
/// they may (a refusal is `forbidden`).
pub async fn submit_by(state: &AppState, by: Actor, request_id: String, command: Command) -> Result<Outcome, ApiError> {
    state.serving()?;
    let entry = Entry { request_id: Some(RequestId(request_id)), time_ms: 0, command, by };
    let started = tokio::time::Instant::now();
    let result = state.replica.write(entry).await;
    state.metrics.observe_write(started.elapsed(), result.is_ok());
    result.map_err(ApiError::from)
}

/// A request id for requests that came without one, so the node's own retries apply once.
pub fn generated_request_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("node-{hex}")
}

fn json_error_handler(error: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    let api_error = match &error {
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON with 'Content-Type: application/json'.",
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", format!("Invalid request body: {e}"))
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("Malformed JSON: {e}"))
        }
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("The request body is larger than {API_BODY_SIZE_MAX} bytes."),
        ),
        other => ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", other.to_string()),
    };
    api_error.into()
}

fn path_error_handler(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_id", format!("Invalid id in the path: {error}")).into()
}

fn query_error_handler(error: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", format!("Invalid query string: {error}")).into()
}

/// Every refusal is JSON: what actix answers by itself (a method a path does not take, a body
/// over a limit, a failed WebSocket handshake) comes as plain text or nothing, and is rewritten
/// here into `{code, message}` with the same status. JSON refusals pass untouched.
/// One line per request, target `access`: method, path (never the query, which could hold a
/// secret), status, time taken, the client's address and, once authenticated, who it was.
async fn access_log(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let (method, path) = (request.method().to_string(), request.path().to_owned());
    let peer = request.peer_addr().map(|address| address.ip().to_string()).unwrap_or_default();
    let result = next.call(request).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(response) => {
            let actor =
                response.request().extensions().get::<principal::Principal>().map(principal::Principal::describe);
            let status = response.status().as_u16();
            tracing::info!(target: "access", %method, %path, status, elapsed_ms, %peer, actor = actor.as_deref().unwrap_or("-"));
        }
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            tracing::info!(target: "access", %method, %path, status, elapsed_ms, %peer, actor = "-");
        }
    }
    result
}

async fn json_errors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (method, path) = (request.method().clone(), request.path().to_owned());
    let response = match next.call(request).await {
        Ok(response) => response.map_into_boxed_body(),
        Err(error) => return Err(error),
    };
    let status = response.status();
    let is_json = response
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return Ok(response);
    }
    let allow = response.headers().get(actix_web::http::header::ALLOW).cloned();
    let (request, response) = response.into_parts();
    let said = actix_web::body::to_bytes_limited(response.into_body(), 1024).await;
    let said = match said {
        Ok(Ok(bytes)) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        _ => String::new(),
    };
    let error = refusal_for(status, &method, &path, &said);
    let mut rewritten = error.response();
    if let Some(allow) = allow {
        rewritten.headers_mut().insert(actix_web::http::header::ALLOW, allow);
    }
    Ok(ServiceResponse::new(request, rewritten))
}

/// The JSON refusal for a status actix answered with by itself.
fn refusal_for(status: StatusCode, method: &actix_web::http::Method, path: &str, said: &str) -> ApiError {
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", format!("{path} does not take {method}.")),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "The request body is too large.".to_owned()),
        StatusCode::NOT_FOUND => ("not_found", format!("No such endpoint: {method} {path}")),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "Send the body as JSON.".to_owned()),
        status if status.is_server_error() => ("internal", "The node failed to answer this request.".to_owned()),
        _ => ("bad_request", "The request is malformed.".to_owned()),
    };
    let message = if said.is_empty() { message } else { format!("{message} ({said})") };
    ApiError::new(status, code, message)
}

async fn not_found(request: HttpRequest) -> HttpResponse {
    let (method, path) = (request.method(), request.path());
    match openapi::methods_of(path) {
        Some(allowed) => {
            let message = format!("{path} does not take {method}; it takes {}.", allowed.join(", "));
            let mut response = ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", message).response();
            if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed.join(", ")) {
                response.headers_mut().insert(actix_web::http::header::ALLOW, value);
            }
            response
        }
        None => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("No such endpoint: {method} {path}")).response()
        }
    }
}

/// The public API listener.
pub fn api_server(state: AppState) -> anyhow::Result<Server> {
    let config = state.config.clone();
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        // Each worker's agent actors run on that worker, beside the sockets they write to.
        let desks = web::Data::new(cti::worker_desks(&data.clone().into_inner()));
        App::new()
            .app_data(data.clone())
            .app_data(desks)
            .app_data(web::JsonConfig::default().limit(API_BODY_SIZE_MAX).error_handler(json_error_handler))
            .app_data(web::PathConfig::default().error_handler(path_error_handler))
            .app_data(web::QueryConfig::default().error_handler(query_error_handler))
            .wrap(actix_web::middleware::from_fn(json_errors))
            .wrap(actix_web::middleware::from_fn(access_log))
            .route("/healthz", web::get().to(cluster::healthz))
            .route("/readyz", web::get().to(cluster::readyz))
            .route("/metrics", web::get().to(crate::metrics::handler))
            .configure(desktop::configure)
            .service(principal::routes(settings::routes(calls::routes(users::routes(cti::routes(stream::routes(
                contacts::routes(email::routes(mail::routes(entities::routes_all(cluster::routes(
                    session_keys::routes(
                        web::scope("/api/v1")
                            .route("/openapi.json", web::get().to(openapi::handler))
                            .default_service(web::to(not_found)),
                    ),
                ))))),
            )))))))
            .default_service(web::to(not_found))
    })
    .workers(api_workers(config.api_workers))
    .max_connections(config.api_connections_max.div_ceil(api_workers(config.api_workers)).max(1))
    .shutdown_timeout(5);
    let server = match config.api_tls {
        ApiTls::None => server.bind(config.api_listen)?,
        ApiTls::Generate => {
            let (cert, key) = crate::certs::ensure_api_certificate(&config.data_dir.join("tls"))?;
            server.bind_rustls_0_23(config.api_listen, tandem_raft::https::server_config(&cert, &key)?)?
        }
        ApiTls::Files => {
            let (Some(cert), Some(key)) = (&config.api_cert, &config.api_key) else {
                anyhow::bail!("api_tls = \"files\" needs api_cert and api_key");
            };
            server.bind_rustls_0_23(config.api_listen, tandem_raft::https::server_config(cert, key)?)?
        }
    };
    Ok(server.run())
}

/// The API's worker threads: as configured, or one per core.
fn api_workers(configured: usize) -> usize {
    match configured {
        0 => std::thread::available_parallelism().map_or(1, |cores| cores.get()),
        workers => workers,
    }
}

async fn raft_rpc(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let path = format!("/raft/{}", path.into_inner());
    // The listener requires a client certificate, so a connection without one never gets here.
    let Some(certificate) = request.conn_data::<PeerCertificate>() else {
        return HttpResponse::Forbidden().body("no client certificate");
    };
    let caller = Caller::Certificate(certificate.clone());
    match state.replica.handle_rpc(&path, &body, &caller).await {
        Ok(reply) => HttpResponse::Ok().content_type("application/x-protobuf").body(reply),
        Err(ServiceError::Impostor(reason)) => {
            state.metrics.count_rpc_rejected();
            tracing::warn!(%reason, peer = ?request.peer_addr(), "node-to-node request refused");
            HttpResponse::Forbidden().body(reason)
        }
        Err(error) => {
            state.metrics.count_rpc_rejected();
            HttpResponse::BadRequest().body(error.to_string())
        }
    }
}

/// Keeps the certificate a peer presented with its connection, for [`raft_rpc`] to check which
/// node it names.
fn keep_peer_certificate(connection: &dyn std::any::Any, extensions: &mut actix_web::dev::Extensions) {
    type Tls = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
    let Some(tls) = connection.downcast_ref::<Tls>() else { return };
    let (_, session) = tls.get_ref();
    if let Some(end_entity) = session.peer_certificates().and_then(|chain| chain.first()) {
        extensions.insert(PeerCertificate(end_entity.clone().into_owned()));
    }
}

/// The node-to-node listener: mutual TLS, protobuf bodies.
pub fn raft_server(
    state: AppState,
    listen: SocketAddr,
    files: &TlsFiles,
    names: tandem_raft::https::OwnNames,
) -> anyhow::Result<Server> {
    let tls = tandem_raft::https::mutual_server_config(files, names)?;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(RAFT_BODY_SIZE_MAX))
            .route("/raft/{name}", web::post().to(raft_rpc))
    })
    .on_connect(keep_peer_certificate)
    .workers(2)
    .shutdown_timeout(2)
    .bind_rustls_0_23(listen, tls)?;
    Ok(server.run())
}

/// Seeds the demo contact center once this node leads a fresh cluster: its configuration, then
/// its users (`DEMO_USERS`) with `password`.
pub async fn seed_demo(
    replica: Arc<NodeReplica>,
    passwords: Arc<crate::credentials::PasswordWorkers>,
    password: String,
) {
    let mut commands = tandem_domain::demo_commands();
    for (login, role, agent) in tandem_domain::DEMO_USERS {
        // Each user gets its own salt, as any user created over the API does.
        let password_hash = match passwords.hash(password.clone()).await {
            Ok(hash) => hash,
            Err(error) => {
                tracing::warn!(%error, login, "could not hash a demo user's password");
                return;
            }
        };
        let spec = tandem_domain::UserSpec { login_name: login.to_owned(), role, agent, password_hash };
        commands.push(Command::Config(tandem_domain::ConfigCommand::CreateUser(spec)));
    }
    for (index, command) in commands.into_iter().enumerate() {
        let entry = Entry {
            request_id: Some(RequestId(format!("demo-seed-{index}"))),
            time_ms: 0,
            command,
            by: tandem_domain::Actor::Operator,
        };
        match replica.write(entry).await {
            Ok(Outcome::Applied(_)) => {}
            Ok(Outcome::Rejected(rejection)) => {
                tracing::warn!(code = rejection.code.as_str(), message = %rejection.message, "demo seed entry refused");
            }
            Err(error) => {
                tracing::warn!(%error, "could not seed the demo contact center");
                return;
            }
        }
    }
    tracing::info!("seeded the demo contact center");
}
