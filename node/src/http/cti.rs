//! Desktop sessions over the CTI protocol (`GET /api/v1/cti`, WebSocket; docs/protocol.md).
//!
//! A session is one task: it logs the user in, starts the agent's event stream where the
//! client left off (or from a snapshot), turns requests into domain commands under the client's
//! request ids, and keeps the link alive with heartbeats both ways (seeds-ctios.md §2.4.1). It
//! decides nothing: who sees which event is the event's `Audience`, what a request does is
//! `Center::apply`. Everything a desktop needs to survive a node loss (event indexes, request
//! ids, resume tokens) is the same on every node, so the session moves to the other side
//! without the user noticing.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use actix_ws::{Message, MessageStream, Session};
use tandem_actors::{
    refusal, CatchUp, CatchUpStep, Delivery, DeskIdentity, DeskSession, DeskSettings, EncodedFrame, End, Proposal,
    Subscription, Transmit,
};
use tandem_client::alarm::Alarm;
use tandem_client::proto::ClientMessage;
use tandem_client::proto::{
    ClientBody, Encoding, ErrorFrame, EventFrame, Frame, Login, LoginResult, Notice, Reply, ServerBody, ServerMessage,
    SkillGroupStatisticsFrame, Snapshot, StatisticsFrame, PROTOCOL_VERSION,
};
use tandem_domain::{Actor, AgentId, AgentStateRequest, Command, Outcome, Role, User, UserId, Viewer};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::contacts::AgentAction;
use super::{refuse_on_witness, submit_as, submit_by, ApiError, AppState};
use crate::credentials;

/// Requests one session may have in flight; more are refused with `too_many_requests`.
const REQUESTS_IN_FLIGHT_MAX: u32 = 64;

pub fn routes(scope: Scope) -> Scope {
    scope.route("/cti", web::get().to(open))
}

async fn open(state: web::Data<AppState>, request: HttpRequest, body: web::Payload) -> Result<HttpResponse, ApiError> {
    refuse_on_witness(&state)?;
    let (response, session, messages) = actix_ws::handle(&request, body).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "websocket_required",
            format!("This endpoint is a WebSocket (the CTI protocol, docs/protocol.md): {error}"),
        )
    })?;
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        let mut link = Link { session, messages, encoding: Encoding::Json };
        let reason = run(&state, &mut link).await;
        tracing::debug!(reason, "desktop session ended");
        let _ = link.session.close(None).await;
    });
    Ok(response)
}

/// The socket and the encoding the client chose with its login.
struct Link {
    session: Session,
    messages: MessageStream,
    encoding: Encoding,
}

impl Link {
    async fn send(&mut self, body: ServerBody) -> bool {
        match ServerMessage::new(body).encode_as(self.encoding) {
            Frame::Binary(bytes) => self.session.binary(bytes).await.is_ok(),
            Frame::Text(text) => self.session.text(text).await.is_ok(),
        }
    }

    /// Sends a frame encoded once for every session that gets it (the bytes are shared).
    async fn send_encoded(&mut self, frame: EncodedFrame) -> bool {
        match frame {
            EncodedFrame::Binary(bytes) => self.session.binary(bytes).await.is_ok(),
            EncodedFrame::Text(text) => self.session.text(text).await.is_ok(),
        }
    }

    async fn refuse(&mut self, code: &str, message: impl Into<String>) -> &'static str {
        let _ = self.send(ServerBody::Error(ErrorFrame { code: code.into(), message: message.into() })).await;
        "refused"
    }
}

/// A frame from the client, decoded.
enum Incoming {
    Body(ClientBody),
    /// Not decodable: the text says why.
    Bad(String),
    /// A control frame or ping: the client is alive, nothing to do.
    Alive,
    /// The client closed the session on purpose.
    Closed,
    /// The socket broke.
    Gone,
}

async fn receive(link: &mut Link) -> Incoming {
    use futures::StreamExt;
    match link.messages.next().await {
        Some(Ok(Message::Binary(bytes))) => {
            link.encoding = Encoding::Protobuf;
            match ClientMessage::from_binary(&bytes) {
                Ok(body) => Incoming::Body(body),
                Err(error) => Incoming::Bad(error.to_string()),
            }
        }
        Some(Ok(Message::Text(text))) => {
            link.encoding = Encoding::Json;
            match ClientMessage::from_text(&text) {
                Ok(body) => Incoming::Body(body),
                Err(error) => Incoming::Bad(error.to_string()),
            }
        }
        Some(Ok(Message::Ping(bytes))) => {
            let _ = link.session.pong(&bytes).await;
            Incoming::Alive
        }
        Some(Ok(Message::Close(_))) => Incoming::Closed,
        Some(Ok(_)) => Incoming::Alive,
        Some(Err(_)) | None => Incoming::Gone,
    }
}

/// Who logged in.
struct Identity {
    user: Option<User>,
    viewer: Viewer,
}

impl Identity {
    fn agent(&self) -> Option<AgentId> {
        self.user.as_ref().and_then(|user| user.agent)
    }

    /// Who the session's requests are from: its user, or the operator for a tool's session.
    fn actor(&self) -> Actor {
        self.user.as_ref().map_or(Actor::Operator, |user| Actor::User(user.id))
    }
}

async fn run(state: &Arc<AppState>, link: &mut Link) -> &'static str {
    let settings = state.config.cti.clone();
    let login_timeout = Duration::from_millis(settings.login_timeout_ms);
    let login = match tokio::time::timeout(login_timeout, receive(link)).await {
        Err(_) => return link.refuse("login_timeout", "No login within the login timeout; connect again.").await,
        Ok(Incoming::Body(ClientBody::Login(login))) => login,
        Ok(Incoming::Bad(error)) => {
            return link.refuse("bad_frame", format!("The frame is not a login: {error}")).await
        }
        Ok(Incoming::Body(_) | Incoming::Alive) => {
            return link.refuse("login_required", "The first message of a session must be a login.").await
        }
        Ok(Incoming::Closed | Incoming::Gone) => return "client gone before login",
    };
    if login.version != PROTOCOL_VERSION {
        let message = format!("This node speaks CTI protocol version {PROTOCOL_VERSION}, not {}.", login.version);
        return link.refuse("unsupported_version", message).await;
    }
    let resuming = !login.resume_token.is_empty();
    let identity = match authenticate(state, &login).await {
        Ok(identity) => identity,
        Err((code, message)) => return link.refuse(code, message).await,
    };
    let agent = identity.agent();
    let mut notice = None;
    if let Some(agent) = agent {
        let logged_in = state.replica.state().read().center.agent_status(agent).is_some_and(|s| s.state.is_logged_in());
        if logged_in && !resuming {
            let message = format!("Agent {agent} is already logged in.");
            if settings.reject_if_already_logged_in {
                return link.refuse("already_logged_in", message).await;
            }
            if settings.warn_if_already_logged_in {
                notice = Some(Notice { code: "already_logged_in".into(), message });
            }
        }
    }
    let key = match session_key(state).await {
        Ok(key) => key,
        Err(error) => return link.refuse("no_leader", error).await,
    };
    let session_id = super::generated_request_id().replacen("node-", "s-", 1);
    let user_id = identity.user.as_ref().map_or(UserId(0), |user| user.id);
    let now_ms = state.clock.now_ms();
    // Log the agent in if it is out (a first login, or AutoLogin after a forced logout).
    if let Some(agent) = agent {
        let logged_out =
            state.replica.state().read().center.agent_status(agent).is_some_and(|s| !s.state.is_logged_in());
        if logged_out {
            let command = Command::SetAgentState { agent, state: AgentStateRequest::Login, reason: None };
            match submit_by(state, identity.actor(), format!("login-{session_id}"), command).await {
                Ok(Outcome::Applied(_)) => {
                    // The first snapshot shows the agent logged in.
                    let logged_in = |center: &tandem_domain::Center| {
                        center.agent_status(agent).filter(|status| status.state.is_logged_in()).map(|_| ())
                    };
                    let _ = applied_here(state, logged_in).await;
                }
                Ok(Outcome::Rejected(rejection)) => return link.refuse("login_refused", rejection.message).await,
                Err(error) => return link.refuse(&error.code, error.message).await,
            }
        }
    }
    let subscription = state.fanout.subscribe(identity.viewer.clone());
    let key_to_drop = subscription.key;
    let outcome = serve(
        state,
        link,
        &identity,
        &login,
        subscription,
        LoginResult {
            session_id,
            resume_token: credentials::resume_token(&key, user_id, now_ms),
            user: user_id.get(),
            role: identity.user.as_ref().map_or(Role::Administrator, |user| user.role).as_str().into(),
            agent: agent.map_or(0, AgentId::get),
            node: state.config.node_id,
            heartbeat_interval_ms: settings.heartbeat_interval_ms,
            heartbeat_retries: settings.heartbeat_retries,
            client_heartbeat_ms: settings.client_heartbeat_ms,
            client_max_heartbeats: settings.client_max_heartbeats,
            auto_login: settings.auto_login,
            resumed: false,
            teams: match &identity.viewer {
                Viewer::Supervisor { teams, .. } => teams.iter().map(|team| team.get()).collect(),
                _ => Vec::new(),
            },
            nodes: desktop_nodes(state),
        },
        notice,
    )
    .await;
    state.fanout.unsubscribe(key_to_drop);
    if let (End::ClosedByClient, Some(agent)) = (outcome, agent) {
        // The desktop closed without logging out (seeds-ctios.md §2.6.6): the domain applies
        // the forced-logout setting.
        let _ =
            submit_as(state, format!("close-{}", super::generated_request_id()), Command::CloseSession { agent }).await;
    }
    outcome.reason()
}

/// Checks the password or the resume token. Errors are `(code, message)`; an unknown user and a
/// wrong password get the same answer.
async fn authenticate(state: &AppState, login: &Login) -> Result<Identity, (&'static str, String)> {
    let refused = || ("unauthorized", "The login name or password is not valid.".to_string());
    let center_user = |id: UserId| state.replica.state().read().center.user(id).cloned();
    let user = if !login.resume_token.is_empty() {
        let key = state.replica.state().read().center.session_key().map(str::to_owned);
        let now_ms = state.clock.now_ms();
        let id = key
            .and_then(|key| credentials::check_resume_token(&key, &login.resume_token, now_ms))
            .ok_or_else(|| ("unauthorized", "The resume token is not valid or has expired; log in again.".into()))?;
        center_user(id).ok_or_else(refused)?
    } else if login.login.is_empty() {
        // Tools log in with the administrator token as the password.
        if crate::token::matches(&state.token, &login.password) {
            return Ok(Identity { user: None, viewer: Viewer::Everything });
        }
        return Err(refused());
    } else {
        let user = state.replica.state().read().center.user_for_login(&login.login).cloned().ok_or_else(refused)?;
        let (hash, password) = (user.password_hash.clone(), login.password.clone());
        match state.passwords.verify(hash, password).await {
            Some(true) => {}
            Some(false) => return Err(refused()),
            None => {
                return Err(("overloaded", "Too many logins are waiting for a password check; retry shortly.".into()))
            }
        }
        user
    };
    let viewer = state.replica.state().read().center.viewer_for(&user);
    Ok(Identity { user: Some(user), viewer })
}

/// The cluster's session key, proposing one if nobody has yet.
pub(super) async fn session_key(state: &AppState) -> Result<String, String> {
    if let Some(key) = state.replica.state().read().center.session_key() {
        return Ok(key.to_owned());
    }
    let command = Command::SetSessionKey { key: credentials::new_session_key() };
    submit_as(state, super::generated_request_id(), command).await.map_err(|error| error.message)?;
    applied_here(state, |center| center.session_key().map(str::to_owned))
        .await
        .ok_or_else(|| "the session key was set but has not reached this node yet; log in again".to_owned())
}

/// Waits until this node has applied what `read` looks for (a follower applies a write after
/// the leader commits it), up to the write timeout.
async fn applied_here<T>(state: &AppState, read: impl Fn(&tandem_domain::Center) -> Option<T>) -> Option<T> {
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

/// Where the session's stream starts, and the catch-up it owes the client (`CatchUp`).
async fn start_stream(
    state: &AppState,
    link: &mut Link,
    identity: &Identity,
    after: u64,
    position: u64,
    mut result: LoginResult,
    notice: Option<Notice>,
) -> Option<u64> {
    let mut catch_up = CatchUp::new(&state.events, identity.viewer.clone(), after, position);
    result.resumed = catch_up.resumed();
    if !link.send(ServerBody::LoginResult(result)).await {
        return None;
    }
    if let Some(notice) = notice {
        if !link.send(ServerBody::Notice(notice)).await {
            return None;
        }
    }
    while let Some(step) = catch_up.next(&state.events) {
        let events = match step {
            CatchUpStep::Snapshot => {
                catch_up.handle_snapshot(send_snapshot(state, link, &identity.viewer).await?);
                continue;
            }
            CatchUpStep::Events(events) => events,
        };
        let frames: Vec<EventFrame> = {
            let shared = state.replica.state();
            let data = shared.read();
            let center = &data.center;
            events
                .iter()
                .map(|event| EventFrame {
                    index: event.index,
                    event: serde_json::to_string(&event.event).unwrap_or_default(),
                    controls: controls_json(center, identity.agent(), &event.audience),
                })
                .collect()
        };
        for frame in frames {
            if !link.send(ServerBody::Event(frame)).await {
                return None;
            }
        }
    }
    Some(catch_up.cursor())
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

/// The own agent's call-control buttons after an event of `audience`, as JSON; empty when the
/// event does not concern that agent. Read from the applied center when the frame is sent,
/// which may be a little ahead of the event: the buttons are then the newer ones, never older.
fn controls_json(center: &tandem_domain::Center, own: Option<AgentId>, audience: &tandem_domain::Audience) -> String {
    own.and_then(|own| center.controls_after(own, audience))
        .and_then(|controls| serde_json::to_string(&controls).ok())
        .unwrap_or_default()
}

/// Sends the agent statistics of the viewer's agents (own first, then supervised), computed
/// by the cluster at the applied center's time; with `only`, of those of them alone (the agents
/// whose call just ended). False when the socket is gone.
async fn send_statistics(state: &AppState, link: &mut Link, viewer: &Viewer, only: Option<&[AgentId]>) -> bool {
    let frame = {
        let shared = state.replica.state();
        let data = shared.read();
        let center = &data.center;
        let time_ms = state.clock.now_ms().max(center.time_ms());
        let agents: Vec<_> = center
            .viewer_agents(viewer)
            .into_iter()
            .filter(|agent| only.is_none_or(|only| only.contains(agent)))
            .filter_map(|agent| center.agent_statistics(agent, time_ms))
            .collect();
        if agents.is_empty() {
            return true;
        }
        StatisticsFrame { time_ms, agents: serde_json::to_string(&agents).unwrap_or_default() }
    };
    link.send(ServerBody::Statistics(frame)).await
}

/// Sends the statistics of the CSQs the viewer's agents serve, in CSQ id order, from the node's
/// queue board (each CSQ computed once per refresh for every desktop); nothing when they serve
/// none. False when the socket is gone.
async fn send_csq_statistics(state: &AppState, link: &mut Link, viewer: &Viewer) -> bool {
    let figures = {
        let shared = state.replica.state();
        let data = shared.read();
        let center = &data.center;
        state.queues.figures_for(center, viewer, state.clock.now_ms())
    };
    let Some(figures) = figures else { return true };
    link.send(ServerBody::SkillGroupStatistics(SkillGroupStatisticsFrame {
        time_ms: figures.time_ms,
        csqs: figures.json,
    }))
    .await
}

/// Sends the viewer's desk view; returns its index.
async fn send_snapshot(state: &AppState, link: &mut Link, viewer: &Viewer) -> Option<u64> {
    let (index, view) = {
        let shared = state.replica.state();
        let data = shared.read();
        let view = data.center.desk_view(viewer);
        (view.index, serde_json::to_string(&view).unwrap_or_default())
    };
    link.send(ServerBody::Snapshot(Snapshot { index, view })).await.then_some(index)
}

/// Serves a logged-in session: the desk session (`tandem_actors::DeskSession`) decides, this
/// loop feeds it the socket, the fan-out queue, the cluster's answers and the time, and sends,
/// renders and proposes what it asks.
async fn serve(
    state: &Arc<AppState>,
    link: &mut Link,
    identity: &Identity,
    login: &Login,
    mut subscription: Subscription,
    result: LoginResult,
    notice: Option<Notice>,
) -> End {
    let Some(cursor) = start_stream(state, link, identity, login.after, subscription.position, result, notice).await
    else {
        return End::Gone;
    };
    let epoch = Instant::now();
    let now_ms = || u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
    let desk_identity = DeskIdentity { viewer: identity.viewer.clone(), actor: identity.actor() };
    let mut desk = DeskSession::new(desk_identity, desk_settings(&state.config.cti), cursor, now_ms());
    let (replies, mut replies_rx) = mpsc::channel::<Reply>(REQUESTS_IN_FLIGHT_MAX as usize);
    let mut alarm = Alarm::new();
    loop {
        if !flush(state, link, &mut desk).await {
            return End::Gone;
        }
        while let Some(proposal) = desk.poll_proposal() {
            let (state, replies) = (state.clone(), replies.clone());
            actix_web::rt::spawn(async move {
                let reply = handle_proposal(&state, proposal).await;
                // The session may have ended meanwhile; nobody waits for the answer then.
                let _ = replies.send(reply).await;
            });
        }
        if let Some(end) = desk.end() {
            if end == End::HeartbeatsUnanswered {
                tracing::info!(agent = ?identity.agent(), "closing a desktop session that stopped answering heartbeats");
            }
            return end;
        }
        alarm.set(desk.poll_timeout().map(|due| epoch + Duration::from_millis(due)));
        tokio::select! {
            delivery = subscription.queue.recv() => match delivery {
                Some(Delivery::Event(dispatched)) => desk.handle_event(&dispatched),
                Some(Delivery::Resync) => desk.handle_resync(),
                None => desk.handle_dropped(),
            },
            reply = replies_rx.recv() => {
                if let Some(reply) = reply {
                    desk.handle_reply(reply);
                }
            }
            incoming = receive(link) => match incoming {
                Incoming::Body(body) => desk.handle_frame(now_ms(), Ok(body)),
                Incoming::Bad(error) => desk.handle_frame(now_ms(), Err(error)),
                Incoming::Alive => desk.handle_alive(now_ms()),
                Incoming::Closed => desk.handle_close(End::ClosedByClient),
                Incoming::Gone => desk.handle_close(End::Gone),
            },
            _ = alarm.ring() => {
                desk.handle_timeout(now_ms());
            }
        }
    }
}

/// Sends or renders what the session has for its desktop; false once the socket is gone.
async fn flush(state: &AppState, link: &mut Link, desk: &mut DeskSession) -> bool {
    while let Some(transmit) = desk.poll_transmit() {
        let viewer = desk.identity().viewer.clone();
        let sent = match transmit {
            Transmit::Frame(body) => link.send(body).await,
            Transmit::Event(dispatched) => link.send_encoded(dispatched.encoded(link.encoding)).await,
            Transmit::Snapshot => match send_snapshot(state, link, &viewer).await {
                Some(index) => {
                    desk.handle_snapshot(index);
                    true
                }
                None => false,
            },
            Transmit::AgentStatistics { only } => send_statistics(state, link, &viewer, only.as_deref()).await,
            Transmit::SkillGroupStatistics => send_csq_statistics(state, link, &viewer).await,
        };
        if !sent {
            return false;
        }
    }
    true
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
