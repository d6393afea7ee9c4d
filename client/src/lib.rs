//! The desktop client library: one session to a Tandem cluster that survives the loss of a node.
//!
//! A desktop names a primary and a secondary node (the CTI OS profile's `CtiOsA`/`CtiOsB`,
//! seeds-ctios.md §2.5). The library logs in to one, heartbeats it, and on a socket break or
//! `max_heartbeats` unanswered heartbeats (a half-open link, §2.4.1) moves to the other. There it
//! logs back in with the resume token (AutoLogin: nobody retypes a password) and asks for the
//! events after the last index it holds, so the desktop sees every event once, in order. Requests
//! the desktop makes meanwhile wait in a buffer; a request sent but not answered before the break
//! is sent again with the same request id, which the cluster applies once.
//!
//! The library owns no UI and makes no decision: it hands [`Update`]s to the application.

pub mod alarm;
pub mod proto;
pub mod session;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::alarm::Alarm;
use crate::proto::{
    ClientBody, ClientMessage, Encoding, Frame, Heartbeat, Login, LoginResult, Reply, Request, ServerBody,
    ServerMessage, PROTOCOL_VERSION,
};
use crate::session::{Cursor, Outstanding, Silence, SilenceAction};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where and how to connect: the connection profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The primary node's CTI endpoint, e.g. `ws://127.0.0.1:8080/api/v1/cti`.
    pub primary: String,
    /// The secondary node's, if any.
    pub secondary: Option<String>,
    /// Silence after which the client sends a heartbeat request (the profile's `Heartbeat`).
    pub heartbeat: Duration,
    /// Heartbeat requests left unanswered before failing over (`MaxHeartbeats`): the client
    /// gives up on a node after `heartbeat × (max_heartbeats + 1)` of silence.
    pub max_heartbeats: u32,
    /// Log back in by itself after a failure (AutoLogin).
    pub auto_login: bool,
    /// How long one connect-and-login attempt may take.
    pub connect_timeout: Duration,
    /// Who the client is, for the node's logs.
    pub client_name: String,
    /// TLS for `wss://` URLs; `None` trusts the public web roots (see [`tls_config`]).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Profile {
    /// A profile with the spec's defaults (5 s heartbeat, 5 missed heartbeats, AutoLogin on).
    pub fn new(primary: impl Into<String>, secondary: Option<String>) -> Profile {
        Profile {
            primary: primary.into(),
            secondary,
            heartbeat: Duration::from_secs(5),
            max_heartbeats: 5,
            auto_login: true,
            connect_timeout: Duration::from_secs(3),
            client_name: format!("tandem-client/{}", env!("CARGO_PKG_VERSION")),
            tls: None,
        }
    }
}

/// A node's CTI endpoint from its API base URL (`http://host:port` → `ws://host:port/api/v1/cti`).
pub fn cti_url(api_url: &str) -> String {
    let url = api_url.trim().trim_end_matches('/');
    let url = match url.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}"),
        Some(("http", rest)) => format!("ws://{rest}"),
        Some(_) => url.to_owned(),
        None => format!("ws://{url}"),
    };
    if url.ends_with("/api/v1/cti") {
        url
    } else {
        format!("{url}/api/v1/cti")
    }
}

/// A TLS configuration for `wss://` nodes: trusting the CA certificates in `ca_pem` (e.g. the
/// certificate a node generated with `api_tls = "generate"`, or a private CA), or the public
/// web roots when `None`.
pub fn tls_config(ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            use rustls::pki_types::pem::PemObject;
            for certificate in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
                let certificate = certificate.map_err(|error| ClientError::Tls(format!("reading the CA: {error}")))?;
                roots.add(certificate).map_err(|error| ClientError::Tls(format!("adding the CA: {error}")))?;
            }
            if roots.is_empty() {
                return Err(ClientError::Tls("the CA file holds no certificate".into()));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ClientError::Tls(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Who logs in.
#[derive(Clone)]
pub struct Credentials {
    /// A user login name, an agent login name or an agent id.
    pub login: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("login", &self.login).finish_non_exhaustive()
    }
}

/// What the library tells the application.
#[derive(Debug, Clone)]
pub enum Update {
    /// A session is up on `url` (the first login, or after a failover).
    Connected { url: String, node: u64, failover: bool, resumed: bool },
    /// The whole view at `index`: replace what the desktop shows.
    Snapshot { index: u64, view: serde_json::Value },
    /// One event, in index order, each index once; `controls`, the own agent's enabled
    /// call-control buttons when the event concerns it.
    Event { index: u64, event: serde_json::Value, controls: Option<serde_json::Value> },
    /// Agent statistics computed by the cluster (`time_ms`; `agents`: a JSON array of
    /// `AgentStatisticsSnapshot`).
    Statistics { time_ms: u64, agents: serde_json::Value },
    /// CSQ statistics computed by the cluster (`csqs`: a JSON array of `CsqStatisticsSnapshot`).
    SkillGroupStatistics { time_ms: u64, csqs: serde_json::Value },
    /// A notice to show (e.g. the already-logged-in warning).
    Notice { code: String, message: String },
    /// The session to `url` broke; the library is failing over (show "Offline" or a banner).
    Disconnected { url: String, reason: String },
    /// The library stopped: the login was refused, or AutoLogin is off and the link broke.
    Stopped { code: String, message: String },
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node refused the login (`code` is the protocol's error code).
    #[error("login refused ({code}): {message}")]
    LoginRefused { code: String, message: String },
    /// No node could be reached.
    #[error("no node reachable: {0}")]
    Unreachable(String),
    /// The client stopped before the request was answered.
    #[error("the client stopped")]
    Stopped,
    /// The TLS configuration for `wss://` could not be built.
    #[error("TLS: {0}")]
    Tls(String),
}

enum Command {
    Request { request: Request, reply: oneshot::Sender<Reply> },
    Close,
}

struct Shared {
    last_index: AtomicU64,
    node: AtomicU64,
    login: Mutex<Option<LoginResult>>,
}

/// A handle on the session; cheap to clone.
#[derive(Clone)]
pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
    nonce: Arc<str>,
    sequence: Arc<AtomicU64>,
}

impl Client {
    /// Logs in to the primary (or, failing that, the secondary) and starts the session.
    pub async fn connect(
        profile: Profile,
        credentials: Credentials,
    ) -> Result<(Client, mpsc::UnboundedReceiver<Update>), ClientError> {
        let (updates, updates_rx) = mpsc::unbounded_channel();
        let mut driver = Driver {
            urls: std::iter::once(profile.primary.clone()).chain(profile.secondary.clone()).collect(),
            current: 0,
            profile,
            credentials,
            resume_token: None,
            updates,
            outstanding: Outstanding::default(),
            waiting: BTreeMap::new(),
            cursor: Cursor::default(),
            epoch: Instant::now(),
            shared: Arc::new(Shared {
                last_index: AtomicU64::new(0),
                node: AtomicU64::new(0),
                login: Mutex::new(None),
            }),
        };
        let socket = driver.first_login().await?;
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let client = Client {
            commands,
            shared: driver.shared.clone(),
            nonce: format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff).into(),
            sequence: Arc::new(AtomicU64::new(0)),
        };
        tokio::spawn(driver.run(socket, commands_rx));
        Ok((client, updates_rx))
    }

    /// A fresh request id for this client.
    pub fn next_request_id(&self) -> String {
        format!("{}-{}", self.nonce, self.sequence.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Sends an action (the REST API's `AgentAction` JSON) for `agent` (`None`: the session's
    /// own) and waits for its outcome, across failovers: it is applied once.
    pub async fn request(&self, agent: Option<u64>, action: serde_json::Value) -> Result<Reply, ClientError> {
        self.request_with_id(self.next_request_id(), agent, action).await
    }

    /// As [`Client::request`] with a chosen request id (a retry of an earlier one applies once).
    pub async fn request_with_id(
        &self,
        request_id: String,
        agent: Option<u64>,
        action: serde_json::Value,
    ) -> Result<Reply, ClientError> {
        let (reply, answer) = oneshot::channel();
        let request = Request { request_id, agent: agent.unwrap_or(0), action: action.to_string() };
        self.commands.send(Command::Request { request, reply }).map_err(|_| ClientError::Stopped)?;
        answer.await.map_err(|_| ClientError::Stopped)
    }

    /// The last event index delivered.
    pub fn last_index(&self) -> u64 {
        self.shared.last_index.load(Ordering::Acquire)
    }

    /// The node the session is on now (0 while failing over).
    pub fn node(&self) -> u64 {
        self.shared.node.load(Ordering::Acquire)
    }

    /// What the last login said (session id, role, agent, teams, heartbeat settings).
    pub fn login(&self) -> Option<LoginResult> {
        self.shared.login.lock().ok().and_then(|login| login.clone())
    }

    /// Closes the session (without logging the agent out).
    pub fn close(&self) {
        let _ = self.commands.send(Command::Close);
    }
}

/// The task that owns the socket.
struct Driver {
    profile: Profile,
    credentials: Credentials,
    urls: Vec<String>,
    current: usize,
    resume_token: Option<String>,
    updates: mpsc::UnboundedSender<Update>,
    /// Requests sent or buffered and not yet answered, in the order they were made.
    outstanding: Outstanding,
    /// Who waits for each outstanding request's answer, by its key.
    waiting: BTreeMap<u64, oneshot::Sender<Reply>>,
    /// The last event index delivered to the application.
    cursor: Cursor,
    /// Where the session's millisecond clock starts (for the sans-IO pieces).
    epoch: Instant,
    shared: Arc<Shared>,
}

/// How a connection ended.
enum End {
    Closed,
    Broken(String),
    /// The node refused the session for good (e.g. the user was deleted).
    Refused(String, String),
}

impl Driver {
    async fn first_login(&mut self) -> Result<Socket, ClientError> {
        let mut last_error = String::new();
        for attempt in 0..self.urls.len() {
            self.current = attempt;
            match self.login(false).await {
                Ok(socket) => return Ok(socket),
                Err(ClientError::Unreachable(reason)) => last_error = reason,
                Err(error) => return Err(error),
            }
        }
        Err(ClientError::Unreachable(last_error))
    }

    fn url(&self) -> &str {
        &self.urls[self.current]
    }

    /// Milliseconds on the session's monotonic clock.
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Connects to the current URL and logs in: with the resume token if there is one.
    async fn login(&mut self, failover: bool) -> Result<Socket, ClientError> {
        let url = self.url().to_owned();
        let timeout = self.profile.connect_timeout;
        let attempt = async {
            let connector = match &self.profile.tls {
                Some(config) => Some(tokio_tungstenite::Connector::Rustls(config.clone())),
                None if url.starts_with("wss:") => Some(tokio_tungstenite::Connector::Rustls(tls_config(None)?)),
                None => None,
            };
            let config = Some(socket_config());
            let (mut socket, _) =
                tokio_tungstenite::connect_async_tls_with_config(url.as_str(), config, true, connector)
                    .await
                    .map_err(|error| ClientError::Unreachable(format!("{url}: {error}")))?;
            let login = Login {
                version: PROTOCOL_VERSION,
                login: self.credentials.login.clone(),
                password: if self.resume_token.is_some() { String::new() } else { self.credentials.password.clone() },
                resume_token: self.resume_token.clone().unwrap_or_default(),
                after: self.shared.last_index.load(Ordering::Acquire),
                client: self.profile.client_name.clone(),
            };
            send(&mut socket, ClientBody::Login(login)).await.map_err(ClientError::Unreachable)?;
            loop {
                let Some(frame) = socket.next().await else {
                    return Err(ClientError::Unreachable(format!("{url}: closed during login")));
                };
                let frame = frame.map_err(|error| ClientError::Unreachable(format!("{url}: {error}")))?;
                match decode(frame) {
                    Some(ServerBody::LoginResult(result)) => return Ok((socket, result)),
                    Some(ServerBody::Error(error)) => {
                        return Err(ClientError::LoginRefused { code: error.code, message: error.message })
                    }
                    Some(ServerBody::Heartbeat(_)) => {
                        let _ = send(&mut socket, ClientBody::HeartbeatAck(Heartbeat {})).await;
                    }
                    _ => {}
                }
            }
        };
        let (socket, result) = match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok(done)) => done,
            Ok(Err(ClientError::LoginRefused { code, message })) if self.resume_token.is_some() => {
                // The token is no longer good (expired, or the user changed): the password next.
                tracing::debug!(%code, %message, "resume refused; logging in with the password");
                self.resume_token = None;
                return Err(ClientError::Unreachable(format!("resume refused: {message}")));
            }
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err(ClientError::Unreachable(format!("{url}: no login result within {timeout:?}"))),
        };
        self.resume_token = Some(result.resume_token.clone());
        for node in &result.nodes {
            let url = cti_url(node);
            if !self.urls.contains(&url) {
                self.urls.push(url);
            }
        }
        self.shared.node.store(result.node, Ordering::Release);
        let _ = self.updates.send(Update::Connected { url, node: result.node, failover, resumed: result.resumed });
        if let Ok(mut login) = self.shared.login.lock() {
            *login = Some(result);
        }
        Ok(socket)
    }

    async fn run(mut self, mut socket: Socket, mut commands: mpsc::UnboundedReceiver<Command>) {
        loop {
            let end = self.serve(&mut socket, &mut commands).await;
            let _ = socket.close(None).await;
            self.shared.node.store(0, Ordering::Release);
            let reason = match end {
                End::Closed => return,
                End::Refused(code, message) => {
                    let _ = self.updates.send(Update::Stopped { code, message });
                    return;
                }
                End::Broken(reason) => reason,
            };
            let _ = self.updates.send(Update::Disconnected { url: self.url().to_owned(), reason: reason.clone() });
            if !self.profile.auto_login {
                let _ = self.updates.send(Update::Stopped { code: "disconnected".into(), message: reason });
                return;
            }
            match self.fail_over(&mut commands).await {
                Some(next) => socket = next,
                None => return,
            }
        }
    }

    /// Tries the other node, then alternates with a growing pause, until a login works.
    /// Requests made meanwhile join the buffer.
    async fn fail_over(&mut self, commands: &mut mpsc::UnboundedReceiver<Command>) -> Option<Socket> {
        let mut pause = Duration::from_millis(50);
        loop {
            self.current = (self.current + 1) % self.urls.len();
            match self.login(true).await {
                Ok(socket) => return Some(socket),
                Err(ClientError::LoginRefused { code, message }) => {
                    let _ = self.updates.send(Update::Stopped { code, message });
                    return None;
                }
                Err(error) => tracing::debug!(url = self.url(), %error, "failover attempt failed"),
            }
            let wake = Instant::now() + pause;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(wake) => break,
                    command = commands.recv() => match command {
                        Some(Command::Request { request, reply }) => self.buffer(request, reply),
                        Some(Command::Close) | None => return None,
                    },
                }
            }
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    fn buffer(&mut self, request: Request, reply: oneshot::Sender<Reply>) {
        let key = self.outstanding.push(request, self.now_ms());
        self.waiting.insert(key, reply);
    }

    /// Runs one connection until it ends. Sends the buffered and unanswered requests first.
    async fn serve(&mut self, socket: &mut Socket, commands: &mut mpsc::UnboundedReceiver<Command>) -> End {
        for (key, request_id) in self.outstanding.expire(self.now_ms()) {
            if let Some(waiting) = self.waiting.remove(&key) {
                let message = format!(
                    "No answer within {} s across failovers; it may or may not have applied.",
                    session::REQUEST_RETRY_AGE_MAX_MS / 1000
                );
                let _ = waiting.send(Reply {
                    request_id,
                    ok: false,
                    code: "outcome_unknown".into(),
                    spec_code: 0,
                    message,
                });
            }
        }
        let again: Vec<Request> = self.outstanding.resend().cloned().collect();
        for request in again {
            if let Err(error) = send(socket, ClientBody::Request(request)).await {
                return End::Broken(error);
            }
        }
        let interval_ms = u64::try_from(self.profile.heartbeat.as_millis()).unwrap_or(u64::MAX);
        let mut silence = Silence::new(interval_ms, self.profile.max_heartbeats, self.now_ms());
        let mut alarm = Alarm::new();
        loop {
            alarm.set(silence.poll_timeout().map(|due| self.epoch + Duration::from_millis(due)));
            tokio::select! {
                frame = socket.next() => {
                    let frame = match frame {
                        None => return End::Broken("the node closed the connection".into()),
                        Some(Err(error)) => return End::Broken(format!("socket error: {error}")),
                        Some(Ok(frame)) => frame,
                    };
                    silence.heard(self.now_ms());
                    if let Message::Close(_) = frame {
                        return End::Broken("the node closed the session".into());
                    }
                    let Some(body) = decode(frame) else { continue };
                    if let Some(end) = self.on_server(socket, body).await {
                        return end;
                    }
                }
                command = commands.recv() => match command {
                    Some(Command::Request { request, reply }) => {
                        let message = ClientBody::Request(request.clone());
                        self.buffer(request, reply);
                        if let Err(error) = send(socket, message).await {
                            return End::Broken(error);
                        }
                    }
                    Some(Command::Close) | None => return End::Closed,
                },
                _ = alarm.ring() => {
                    match silence.handle_timeout(self.now_ms()) {
                        SilenceAction::Wait => {}
                        SilenceAction::SendHeartbeat => {
                            if let Err(error) = send(socket, ClientBody::Heartbeat(Heartbeat {})).await {
                                return End::Broken(error);
                            }
                        }
                        SilenceAction::GiveUp { unanswered } => {
                            return End::Broken(format!("no answer to {unanswered} heartbeats ({interval_ms} ms each)"));
                        }
                    }
                }
            }
        }
    }

    async fn on_server(&mut self, socket: &mut Socket, body: ServerBody) -> Option<End> {
        match body {
            ServerBody::Event(frame) => {
                if self.cursor.accept(frame.index) {
                    self.shared.last_index.store(frame.index, Ordering::Release);
                    let event = serde_json::from_str(&frame.event).unwrap_or(serde_json::Value::Null);
                    let controls = serde_json::from_str(&frame.controls).ok();
                    let _ = self.updates.send(Update::Event { index: frame.index, event, controls });
                }
            }
            ServerBody::Snapshot(snapshot) => {
                self.cursor.reset(snapshot.index);
                self.shared.last_index.store(snapshot.index, Ordering::Release);
                let view = serde_json::from_str(&snapshot.view).unwrap_or(serde_json::Value::Null);
                let _ = self.updates.send(Update::Snapshot { index: snapshot.index, view });
            }
            ServerBody::Reply(reply) => {
                let waiting = self.outstanding.answer(&reply.request_id).and_then(|key| self.waiting.remove(&key));
                if let Some(waiting) = waiting {
                    // The caller may have stopped waiting; the answer then goes nowhere.
                    let _ = waiting.send(reply);
                }
            }
            ServerBody::Heartbeat(_) => {
                if let Err(error) = send(socket, ClientBody::HeartbeatAck(Heartbeat {})).await {
                    return Some(End::Broken(error));
                }
            }
            ServerBody::HeartbeatAck(_) | ServerBody::LoginResult(_) => {}
            ServerBody::Statistics(frame) => {
                let agents = serde_json::from_str(&frame.agents).unwrap_or(serde_json::Value::Null);
                let _ = self.updates.send(Update::Statistics { time_ms: frame.time_ms, agents });
            }
            ServerBody::SkillGroupStatistics(frame) => {
                let csqs = serde_json::from_str(&frame.csqs).unwrap_or(serde_json::Value::Null);
                let _ = self.updates.send(Update::SkillGroupStatistics { time_ms: frame.time_ms, csqs });
            }
            ServerBody::Notice(notice) => {
                let _ = self.updates.send(Update::Notice { code: notice.code, message: notice.message });
            }
            ServerBody::Error(error) => {
                return Some(match error.code.as_str() {
                    "unauthorized" => End::Refused(error.code, error.message),
                    _ => End::Broken(format!("{}: {}", error.code, error.message)),
                });
            }
        }
        None
    }
}

async fn send(socket: &mut Socket, body: ClientBody) -> Result<(), String> {
    let Frame::Binary(bytes) = ClientMessage::new(body).encode_as(Encoding::Protobuf) else {
        unreachable!("protobuf frames are binary")
    };
    socket.send(Message::Binary(bytes.into())).await.map_err(|error| format!("send failed: {error}"))
}

fn decode(frame: Message) -> Option<ServerBody> {
    let decoded = match frame {
        Message::Binary(bytes) => ServerMessage::from_binary(&bytes),
        Message::Text(text) => ServerMessage::from_text(text.as_str()),
        _ => return None,
    };
    match decoded {
        Ok(body) => Some(body),
        Err(error) => {
            tracing::warn!(%error, "undecodable frame from the node");
            None
        }
    }
}

/// The socket's buffers. tungstenite's default read buffer is 128 KiB, zero-filled before every
/// read: a session receives small frames, and with the default a client holding many sessions
/// (a wallboard, a load tool, the benchmarks) spent most of its time in `memset`.
fn socket_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(SOCKET_READ_BUFFER_BYTES)
        .write_buffer_size(0)
}

/// Enough for a typical event frame (a few hundred bytes) in one read; larger frames
/// (snapshots) take several. tungstenite zero-fills the whole buffer before every read, so its
/// size is paid per frame: with 8 KiB, `memset` was a tenth of a 10,000-session client's CPU.
const SOCKET_READ_BUFFER_BYTES: usize = 2 * 1024;
