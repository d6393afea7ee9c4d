//! Desktop sessions over the CTI protocol (`GET /api/v1/cti`, WebSocket; docs/protocol.md).
//!
//! This handler logs the desktop in (password or resume token, the already-logged-in rule,
//! AutoLogin) and hands the socket to the user's agent actor (`tandem_actors::AgentDesk`),
//! which catches the desktop up where it left off (or from a snapshot), turns its requests into
//! domain commands under the client's request ids, and keeps the link alive with heartbeats
//! both ways (seeds-ctios.md §2.4.1). Neither decides anything: who sees which event is the
//! event's `Audience`, what a request does is `Center::apply`. Everything a desktop needs to
//! survive a node loss (event indexes, request ids, resume tokens) is the same on every node,
//! so the session moves to the other side without the user noticing.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tandem_domain::AgentCommand;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use futures::future::LocalBoxFuture;
use futures::stream::{LocalBoxStream, StreamExt};
use tandem_actors::{
    refusal, DeskIdentity, DeskPorts, DeskSettings, Desks, Edge, End, Incoming, OpenSeat, Proposal, ReplicaCore, Tasks,
};
use tandem_client::proto::{ClientBody, ErrorFrame, Login, LoginResult, Notice, Reply, ServerBody, PROTOCOL_VERSION};
use tandem_domain::{AgentId, AgentStateRequest, Command, Outcome, Role, UserId, Viewer};
use tokio::time::Instant;

use super::contacts::AgentAction;
use super::principal::{self, Principal};
use super::ws_link::{self, WsLink};
use super::{refuse_unless_serving, submit_as, submit_by, ApiError, AppState};
use crate::credentials;
use crate::run::NodeTransport;

/// Requests one session may have in flight; more are refused with `too_many_requests`.
const REQUESTS_IN_FLIGHT_MAX: u32 = 64;

/// One HTTP worker's agent actors (a socket stays on the worker that accepted it).
pub type NodeDesks = Desks<ReplicaCore<NodeTransport>>;

/// The agent actors' registry for one worker, built in its app factory.
pub fn worker_desks(state: &Arc<AppState>) -> NodeDesks {
    let core = ReplicaCore::new(state.replica.clone(), state.clock.clone());
    let edge = Edge { events: state.events.clone(), fanout: state.fanout.clone() };
    let ports = Rc::new(NodePorts { state: state.clone() });
    // Nothing ends a node's actors but the process's end: no task list to abort.
    Desks::new(core, edge, state.queues.clone(), desk_settings(&state.config.cti), ports, Tasks::default())
}

pub fn routes(scope: Scope) -> Scope {
    scope.route("/cti", web::get().to(open))
}

async fn open(
    state: web::Data<AppState>,
    desks: web::Data<NodeDesks>,
    request: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    refuse_unless_serving(&state)?;
    let (response, mut link, mut input) = ws_link::accept(&request, body).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "websocket_required",
            format!("This endpoint is a WebSocket (the CTI protocol, docs/protocol.md): {error}"),
        )
    })?;
    let state = state.into_inner();
    let peer = request.peer_addr().map(|address| address.ip());
    actix_web::rt::spawn(async move {
        match log_in(&state, peer, &mut link, &mut input).await {
            Ok((identity, after, login, notice)) => {
                desks.open(identity, OpenSeat { after, login, notice, link: Box::new(link), input })
            }
            Err(reason) => {
                tracing::debug!(reason, "desktop session ended before login");
                tandem_actors::DeskLink::close(&mut link);
            }
        }
    });
    Ok(response)
}

/// Sends a refusal; the session then ends.
fn refuse(link: &mut WsLink, code: &str, message: impl Into<String>) -> &'static str {
    link.send_body(ServerBody::Error(ErrorFrame { code: code.into(), message: message.into() }));
    "refused"
}

/// What a logged-in desktop brings to its actor: who it is, its last event index, the login's
/// answer and a notice for it.
type LoggedIn = (DeskIdentity, u64, LoginResult, Option<Notice>);

/// Reads the desktop's login and logs it in; `Err` says why not (the desktop was told).
async fn log_in(
    state: &Arc<AppState>,
    peer: Option<std::net::IpAddr>,
    link: &mut WsLink,
    input: &mut LocalBoxStream<'static, Incoming>,
) -> Result<LoggedIn, &'static str> {
    let settings = state.config.cti.clone();
    let login_timeout = Duration::from_millis(settings.login_timeout_ms);
    let login = match tokio::time::timeout(login_timeout, input.next()).await {
        Err(_) => return Err(refuse(link, "login_timeout", "No login within the login timeout; connect again.")),
        Ok(Some(Incoming::Frame(Ok(ClientBody::Login(login))))) => login,
        Ok(Some(Incoming::Frame(Err(error)))) => {
            return Err(refuse(link, "bad_frame", format!("The frame is not a login: {error}")))
        }
        Ok(Some(Incoming::Frame(Ok(_)) | Incoming::Alive | Incoming::Ping(_))) => {
            return Err(refuse(link, "login_required", "The first message of a session must be a login."))
        }
        Ok(Some(Incoming::Closed | Incoming::Gone) | None) => return Err("client gone before login"),
    };
    if login.version != PROTOCOL_VERSION {
        let message = format!("This node speaks CTI protocol version {PROTOCOL_VERSION}, not {}.", login.version);
        return Err(refuse(link, "unsupported_version", message));
    }
    let resuming = !login.resume_token.is_empty();
    let identity = match authenticate(state, peer, &login).await {
        Ok(identity) => identity,
        Err((code, message)) => return Err(refuse(link, &code, message)),
    };
    let agent = identity.agent();
    let mut notice = None;
    if let Some(agent) = agent {
        let logged_in = state.replica.state().read().center.agent_status(agent).is_some_and(|s| s.state.is_logged_in());
        if logged_in && !resuming {
            let message = format!("Agent {agent} is already logged in.");
            if settings.reject_if_already_logged_in {
                return Err(refuse(link, "already_logged_in", message));
            }
            if settings.warn_if_already_logged_in {
                notice = Some(Notice { code: "already_logged_in".into(), message });
            }
        }
    }
    let key = match super::session_keys::current(state).await {
        Ok(key) => key,
        Err(error) => return Err(refuse(link, "no_leader", error)),
    };
    let session_id = super::generated_request_id().replacen("node-", "s-", 1);
    let user_id = identity.user().map_or(UserId(0), |user| user.id);
    // Log the agent in if it is out (a first login, or AutoLogin after a forced logout).
    if let Some(agent) = agent {
        let logged_out =
            state.replica.state().read().center.agent_status(agent).is_some_and(|s| !s.state.is_logged_in());
        if logged_out {
            let command =
                Command::Agent(AgentCommand::SetAgentState { agent, state: AgentStateRequest::Login, reason: None });
            match submit_by(state, identity.actor(), format!("login-{session_id}"), command).await {
                Ok(Outcome::Applied(_)) => {
                    // The first snapshot shows the agent logged in.
                    let logged_in = |center: &tandem_domain::Center| {
                        center.agent_status(agent).filter(|status| status.state.is_logged_in()).map(|_| ())
                    };
                    let _ = applied_here(state, logged_in).await;
                }
                Ok(Outcome::Rejected(rejection)) => return Err(refuse(link, "login_refused", rejection.message)),
                Err(error) => return Err(refuse(link, &error.code, error.message)),
            }
        }
    }
    let result = LoginResult {
        session_id,
        resume_token: credentials::resume_token(&key, user_id, principal::token_issued_ms(state)),
        user: user_id.get(),
        role: identity.user().map_or(Role::Administrator, |user| user.role).as_str().into(),
        agent: agent.map_or(0, AgentId::get),
        node: state.config.node_id,
        heartbeat_interval_ms: settings.heartbeat_interval_ms,
        heartbeat_retries: settings.heartbeat_retries,
        client_heartbeat_ms: settings.client_heartbeat_ms,
        client_max_heartbeats: settings.client_max_heartbeats,
        auto_login: settings.auto_login,
        resumed: false,
        teams: match &identity.viewer() {
            Viewer::Supervisor { agent } => {
                let teams = state.replica.state().read().center.supervised_by(*agent);
                teams.into_iter().map(|team| team.get()).collect()
            }
            _ => Vec::new(),
        },
        nodes: desktop_nodes(state),
    };
    let desk = DeskIdentity { viewer: identity.viewer(), actor: identity.actor() };
    Ok((desk, login.after, result, notice))
}

/// Checks the password or the resume token (or, for a tool, the administrator token as the
/// password). Errors are `(code, message)`; an unknown user and a wrong password get the same
/// answer.
async fn authenticate(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    login: &Login,
) -> Result<Principal, (String, String)> {
    let principal = if !login.resume_token.is_empty() {
        principal::from_token(state, &login.resume_token, "resume token")
    } else if login.login.is_empty() && crate::token::matches(&state.token, &login.password) {
        Ok(Principal::Operator)
    } else {
        principal::password_user(state, peer, &login.login, login.password.clone())
            .await
            .map(|user| Principal::for_user(state, user))
    };
    principal.map_err(|error| (error.code.to_string(), error.message))
}

/// Waits until this node has applied what `read` looks for (a follower applies a write after
/// the leader commits it), up to the write timeout.
pub(super) async fn applied_here<T>(state: &AppState, read: impl Fn(&tandem_domain::Center) -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + Duration::from_millis(state.config.raft.write_timeout_ms);
    loop {
        if let Some(found) = read(&state.replica.state().read().center) {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The API URLs of the side A and B members, this node's first: where a desktop may go.
fn desktop_nodes(state: &AppState) -> Vec<String> {
    let raft = state.replica.raft();
    let metrics = raft.metrics().borrow().clone();
    let own = state.config.node_id;
    let mut nodes: Vec<(bool, String)> = metrics
        .membership_config
        .membership()
        .nodes()
        .filter(|(_, member)| member.side != tandem_raft::Side::Witness)
        .map(|(id, member)| (*id != own, member.api_url.clone()))
        .collect();
    nodes.sort();
    nodes.into_iter().map(|(_, url)| url).collect()
}

/// The node's `[cti]` settings as the desk sessions apply them.
fn desk_settings(settings: &crate::config::CtiSettings) -> DeskSettings {
    DeskSettings {
        heartbeat_interval_ms: settings.heartbeat_interval_ms,
        heartbeat_retries: settings.heartbeat_retries,
        requests_in_flight_max: REQUESTS_IN_FLIGHT_MAX,
        agent_statistics: !settings.disable_agent_statistics,
        agent_statistics_at_end_call: settings.poll_for_agent_stats_at_end_call,
        agent_statistics_interval_ms: settings.agent_stats_polling_interval_sec.saturating_mul(1_000),
        skill_group_statistics: !settings.disable_skill_group_statistics,
        skill_group_statistics_interval_ms: settings.skill_group_stats_polling_interval_sec.saturating_mul(1_000),
    }
}

/// How the node's agent actors reach the cluster.
struct NodePorts {
    state: Arc<AppState>,
}

impl DeskPorts for NodePorts {
    fn propose(&self, proposal: Proposal) -> LocalBoxFuture<'static, Reply> {
        let state = self.state.clone();
        Box::pin(async move { handle_proposal(&state, proposal).await })
    }

    fn seat_ended(&self, identity: &DeskIdentity, end: End) {
        let Some(agent) = identity.viewer.agent().filter(|_| end == End::ClosedByClient) else { return };
        // The desktop closed without logging out (seeds-ctios.md §2.6.6): the domain applies
        // the forced-logout setting.
        let state = self.state.clone();
        actix_web::rt::spawn(async move {
            let request_id = format!("close-{}", super::generated_request_id());
            let _ = submit_as(&state, request_id, Command::Agent(AgentCommand::CloseSession { agent })).await;
        });
    }
}

/// Decodes one proposal's action and submits it under the client's request id, on behalf of
/// the session's user: the domain decides whether they may (`forbidden` if not).
async fn handle_proposal(state: &AppState, proposal: Proposal) -> Reply {
    let Proposal { request_id: id, agent, action, actor } = proposal;
    let action: AgentAction = match serde_json::from_str(&action) {
        Ok(action) => action,
        Err(error) => return refusal(&id, "invalid_body", format!("Invalid action: {error}")),
    };
    match submit_by(state, actor, id.clone(), action.command(agent)).await {
        Ok(Outcome::Applied(_)) => {
            Reply { request_id: id, ok: true, code: String::new(), spec_code: 0, message: String::new() }
        }
        Ok(Outcome::Rejected(rejection)) => {
            let error = ApiError::from(rejection);
            Reply {
                request_id: id,
                ok: false,
                code: error.code,
                spec_code: error.spec_code.map_or(0, |code| code as i32),
                message: error.message,
            }
        }
        Err(error) => refusal(&id, &error.code, error.message),
    }
}
