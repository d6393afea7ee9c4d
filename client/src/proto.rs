//! The CTI protocol (version 1): the messages a desktop and a node exchange over one WebSocket.
//!
//! One set of types, two encodings. Binary WebSocket frames carry protobuf (these prost
//! messages; `proto/cti.proto` is the same schema for other languages); text frames carry JSON
//! for browsers: the message's `body` as an externally tagged object, e.g.
//! `{"login": {"login": "alice", "password": "..."}}`. A session answers in the encoding its
//! login used. Session fields (indexes, request ids, heartbeats, error codes) are typed; the
//! domain values inside (an agent action, an event, a snapshot view) travel as JSON text, the
//! same JSON the REST API documents in its OpenAPI schema, so there is one definition of each
//! (the node-to-node wire does the same, docs/decisions/0022). Decoding never panics: a bad
//! frame is a [`ProtocolError`].

use prost::Message;
use serde::{Deserialize, Serialize};

/// The protocol version this library speaks; a login names it and a node refuses others.
pub const PROTOCOL_VERSION: u32 = 1;

/// A frame could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The binary frame is not a valid protobuf message of the expected type.
    #[error("malformed protobuf frame: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// The text frame is not valid JSON of the expected type.
    #[error("malformed JSON frame: {0}")]
    Json(#[from] serde_json::Error),
    /// The message has no body.
    #[error("the message has no body")]
    Empty,
}

/// Which encoding a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Binary frames, protobuf.
    Protobuf,
    /// Text frames, JSON.
    Json,
}

/// Everything a client sends.
#[derive(Clone, PartialEq, Message)]
pub struct ClientMessage {
    #[prost(oneof = "ClientBody", tags = "1, 2, 3, 4")]
    pub body: Option<ClientBody>,
}

/// What a client message says.
#[derive(Clone, PartialEq, prost::Oneof, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientBody {
    /// Opens (or resumes) the session; must be the first message.
    #[prost(message, tag = "1")]
    Login(Login),
    /// "Are you there?": the node answers with `heartbeat_ack`.
    #[prost(message, tag = "2")]
    Heartbeat(Heartbeat),
    /// The answer to the node's `heartbeat`.
    #[prost(message, tag = "3")]
    HeartbeatAck(Heartbeat),
    /// An agent or supervisor action, applied once per request id.
    #[prost(message, tag = "4")]
    Request(Request),
}

/// Opens a session: by password, or by the resume token of an earlier session (AutoLogin).
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// [`PROTOCOL_VERSION`].
    #[prost(uint32, tag = "1")]
    #[serde(default)]
    pub version: u32,
    /// A user login name, an agent login name or an agent id.
    #[prost(string, tag = "2")]
    #[serde(default)]
    pub login: String,
    /// The user's password (ignored when `resume_token` is set).
    #[prost(string, tag = "3")]
    #[serde(default)]
    pub password: String,
    /// The token a `login_result` gave, to log back in after a failover without the password.
    #[prost(string, tag = "4")]
    #[serde(default)]
    pub resume_token: String,
    /// The last event index the client holds: the node sends every event after it, or a
    /// snapshot if it no longer has them. 0: a fresh start (a snapshot, then new events).
    #[prost(uint64, tag = "5")]
    #[serde(default)]
    pub after: u64,
    /// Who the client is, for logs (e.g. "tandem-desktop/1").
    #[prost(string, tag = "6")]
    #[serde(default)]
    pub client: String,
}

/// A heartbeat request or answer; it carries nothing.
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {}

/// An action with the client's request id.
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// 1 to 128 characters, unique per action: a retried or buffered request applies once.
    #[prost(string, tag = "1")]
    pub request_id: String,
    /// The agent the action is for; 0 means the session's own agent. Supervisors name agents
    /// of the teams they supervise; administrators any agent.
    #[prost(uint64, tag = "2")]
    #[serde(default)]
    pub agent: u64,
    /// The action as JSON, the REST API's `AgentAction` (e.g. `{"action":"answer_call"}`); in
    /// the JSON encoding it is that object itself, not a string.
    #[prost(string, tag = "3")]
    #[serde(with = "json_text")]
    pub action: String,
}

/// Everything a node sends.
#[derive(Clone, PartialEq, Message)]
pub struct ServerMessage {
    #[prost(oneof = "ServerBody", tags = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10")]
    pub body: Option<ServerBody>,
}

/// What a server message says.
#[derive(Clone, PartialEq, prost::Oneof, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerBody {
    /// The login worked.
    #[prost(message, tag = "1")]
    LoginResult(LoginResult),
    /// The session's whole view at an event index; events after it follow.
    #[prost(message, tag = "2")]
    Snapshot(Snapshot),
    /// One applied event for this session.
    #[prost(message, tag = "3")]
    Event(EventFrame),
    /// The outcome of a request.
    #[prost(message, tag = "4")]
    Reply(Reply),
    /// "Are you there?": the client answers with `heartbeat_ack`.
    #[prost(message, tag = "5")]
    Heartbeat(Heartbeat),
    /// The answer to the client's `heartbeat`.
    #[prost(message, tag = "6")]
    HeartbeatAck(Heartbeat),
    /// The session cannot go on (bad login, bad frame, node stopping); the node closes it.
    #[prost(message, tag = "7")]
    Error(ErrorFrame),
    /// A notice that changes nothing (e.g. the already-logged-in warning).
    #[prost(message, tag = "8")]
    Notice(Notice),
    /// The agent statistics of the session's agents (seeds-ctios.md §2.10).
    #[prost(message, tag = "9")]
    Statistics(StatisticsFrame),
    /// The skill-group (CSQ) statistics of the CSQs the session's agents serve (§2.10).
    #[prost(message, tag = "10")]
    SkillGroupStatistics(SkillGroupStatisticsFrame),
}

/// CSQ statistics computed by the cluster, pushed every `skill_group_stats_polling_interval_sec`.
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillGroupStatisticsFrame {
    /// The moment they are computed at (ms since the epoch).
    #[prost(uint64, tag = "1")]
    pub time_ms: u64,
    /// JSON: `[CsqStatisticsSnapshot...]` in CSQ id order.
    #[prost(string, tag = "2")]
    #[serde(with = "json_text")]
    pub csqs: String,
}

/// Agent statistics computed by the cluster: pushed at login, when a call of one of the
/// session's agents ends (`PollForAgentStatsAtEndCall`, the default) or every polling interval.
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsFrame {
    /// The moment they are computed at (the applied center's time, ms since the epoch).
    #[prost(uint64, tag = "1")]
    pub time_ms: u64,
    /// JSON: `[AgentStatisticsSnapshot...]`, the own agent first, then supervised agents.
    #[prost(string, tag = "2")]
    #[serde(with = "json_text")]
    pub agents: String,
}

/// The login worked: who the session is and how it keeps alive.
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginResult {
    /// This session's id, for logs.
    #[prost(string, tag = "1")]
    pub session_id: String,
    /// Give this back in `login.resume_token` to log in again after a failover.
    #[prost(string, tag = "2")]
    pub resume_token: String,
    /// The user.
    #[prost(uint64, tag = "3")]
    pub user: u64,
    /// `agent`, `supervisor` or `administrator`.
    #[prost(string, tag = "4")]
    pub role: String,
    /// The user's agent; 0 for an administrator.
    #[prost(uint64, tag = "5")]
    pub agent: u64,
    /// The node serving the session.
    #[prost(uint64, tag = "6")]
    pub node: u64,
    /// The node's heartbeat interval (ms; 0: off) and retries (seeds-ctios.md §2.4.1): the node
    /// closes a session it has heard nothing from for interval × (retries + 1).
    #[prost(uint64, tag = "7")]
    pub heartbeat_interval_ms: u64,
    #[prost(uint32, tag = "8")]
    pub heartbeat_retries: u32,
    /// The client heartbeat the profile asks for (ms) and the missed heartbeats before the
    /// client fails over to the other side (§2.5 `Heartbeat`, `MaxHeartbeats`).
    #[prost(uint64, tag = "9")]
    pub client_heartbeat_ms: u64,
    #[prost(uint32, tag = "10")]
    pub client_max_heartbeats: u32,
    /// Whether the client should log the user back in by itself after a failure (AutoLogin).
    #[prost(bool, tag = "11")]
    pub auto_login: bool,
    /// True when the node resumed the event stream after `login.after`; false when a snapshot
    /// follows.
    #[prost(bool, tag = "12")]
    pub resumed: bool,
    /// The teams the session sees as a supervisor.
    #[prost(uint64, repeated, tag = "13")]
    pub teams: Vec<u64>,
    /// The API base URLs of the cluster's side A and side B nodes (never the witness), from
    /// the replicated membership: where else the desktop can go when this node fails.
    #[prost(string, repeated, tag = "14")]
    #[serde(default)]
    pub nodes: Vec<String>,
}

/// The session's view at `index`: for an agent its status (and calls and contacts); for a
/// supervisor also its teams' agents.
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// Events up to and including this index are reflected in `view`.
    #[prost(uint64, tag = "1")]
    pub index: u64,
    /// JSON: `{"agents": [AgentStatus...], "teams": [...], "team_messages": [...]}`.
    #[prost(string, tag = "2")]
    #[serde(with = "json_text")]
    pub view: String,
}

/// One event: its index in the center's event numbering (the same on every node) and the
/// domain event as JSON.
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFrame {
    #[prost(uint64, tag = "1")]
    pub index: u64,
    /// JSON of the domain `Event` (the REST event stream's `event`).
    #[prost(string, tag = "2")]
    #[serde(with = "json_text")]
    pub event: String,
    /// JSON of the session's own agent's enabled call-control buttons (`CallControls`) after
    /// this event, when the event concerns that agent; empty (absent in JSON) otherwise.
    #[prost(string, tag = "3")]
    #[serde(default, skip_serializing_if = "String::is_empty", with = "json_text")]
    pub controls: String,
}

/// A request's outcome. `ok` with the domain's `Applied` JSON, or a refusal with the code.
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    #[prost(string, tag = "1")]
    pub request_id: String,
    #[prost(bool, tag = "2")]
    pub ok: bool,
    /// The error code (`invalid_state`, `forbidden`, ...); empty when ok.
    #[prost(string, tag = "3")]
    #[serde(default)]
    pub code: String,
    /// The spec's numeric error code (e.g. 10111), 0 when none.
    #[prost(int32, tag = "4")]
    #[serde(default)]
    pub spec_code: i32,
    /// The message (the spec's text for spec errors).
    #[prost(string, tag = "5")]
    #[serde(default)]
    pub message: String,
}

/// A fatal session error.
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorFrame {
    /// `unauthorized`, `already_logged_in`, `unsupported_version`, `bad_frame`,
    /// `login_required`, `login_timeout`, `overloaded`, `node_stopping`, `witness`.
    #[prost(string, tag = "1")]
    pub code: String,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// A notice the desktop shows.
#[derive(Clone, PartialEq, Message, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// `already_logged_in`.
    #[prost(string, tag = "1")]
    pub code: String,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// A string field holding JSON: protobuf carries the text; the JSON encoding embeds the value
/// itself, so a browser reads `{"event": {"index": 3, "event": {...}}}` with no second parse.
mod json_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::value::RawValue;

    pub fn serialize<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
        match serde_json::from_str::<&RawValue>(text) {
            Ok(raw) => raw.serialize(serializer),
            Err(_) => serializer.serialize_str(text),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(raw.get().to_owned())
    }
}

/// A WebSocket frame's payload in one of the two encodings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Binary(Vec<u8>),
    Text(String),
}

macro_rules! codec {
    ($message:ident, $body:ident) => {
        impl $message {
            /// Wraps a body.
            pub fn new(body: $body) -> Self {
                $message { body: Some(body) }
            }

            /// Encodes in `encoding`.
            pub fn encode_as(&self, encoding: Encoding) -> Frame {
                match encoding {
                    Encoding::Protobuf => Frame::Binary(self.encode_to_vec()),
                    Encoding::Json => Frame::Text(match &self.body {
                        Some(body) => serde_json::to_string(body).unwrap_or_default(),
                        None => "{}".to_owned(),
                    }),
                }
            }

            /// Decodes a binary (protobuf) frame.
            pub fn from_binary(bytes: &[u8]) -> Result<$body, ProtocolError> {
                $message::decode(bytes)?.body.ok_or(ProtocolError::Empty)
            }

            /// Decodes a text (JSON) frame.
            pub fn from_text(text: &str) -> Result<$body, ProtocolError> {
                Ok(serde_json::from_str(text)?)
            }
        }
    };
}

codec!(ClientMessage, ClientBody);
codec!(ServerMessage, ServerBody);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn json_mapping_is_the_tagged_body() {
        let login = ClientMessage::new(ClientBody::Login(Login {
            version: 1,
            login: "alice".into(),
            password: "pw".into(),
            ..Login::default()
        }));
        let Frame::Text(text) = login.encode_as(Encoding::Json) else { panic!("text") };
        assert!(text.starts_with("{\"login\":{"), "{text}");
        let minimal = ClientMessage::from_text(r#"{"login": {"login": "alice", "password": "pw"}}"#).unwrap();
        assert!(matches!(minimal, ClientBody::Login(Login { ref login, .. }) if login == "alice"));
        let heartbeat = ClientMessage::from_text(r#"{"heartbeat": {}}"#).unwrap();
        assert!(matches!(heartbeat, ClientBody::Heartbeat(_)));
        let request =
            ClientMessage::from_text(r#"{"request": {"request_id": "r1", "action": {"action": "answer_call"}}}"#)
                .unwrap();
        let ClientBody::Request(request) = request else { panic!("a request") };
        assert_eq!(request.action, r#"{"action": "answer_call"}"#);
        let event = ServerMessage::new(ServerBody::Event(EventFrame {
            index: 3,
            event: r#"{"a":1}"#.into(),
            controls: String::new(),
        }));
        let Frame::Text(text) = event.encode_as(Encoding::Json) else { panic!("text") };
        assert_eq!(text, r#"{"event":{"index":3,"event":{"a":1}}}"#);
    }

    #[test]
    fn bad_frames_are_errors() {
        assert!(ClientMessage::from_text("{\"login\": {\"password\": 3}}").is_err());
        assert!(ClientMessage::from_text("{\"nonsense\": {}}").is_err());
        assert!(matches!(ClientMessage::from_binary(&[]), Err(ProtocolError::Empty)));
        assert!(ClientMessage::from_binary(&[0xff, 0xff, 0xff]).is_err());
    }

    proptest! {
        /// Any bytes decode to a message or an error, never a panic.
        #[test]
        fn decoding_arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = ClientMessage::from_binary(&bytes);
            let _ = ServerMessage::from_binary(&bytes);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let _ = ClientMessage::from_text(text);
                let _ = ServerMessage::from_text(text);
            }
        }

        #[test]
        fn requests_round_trip_in_both_encodings(id in "[a-z0-9-]{1,40}", agent in any::<u64>(), name in ".{0,60}") {
            let action = serde_json::json!({"action": name}).to_string();
            let body = ClientBody::Request(Request { request_id: id, agent, action });
            let message = ClientMessage::new(body.clone());
            let Frame::Binary(bytes) = message.encode_as(Encoding::Protobuf) else { unreachable!() };
            prop_assert!(ClientMessage::from_binary(&bytes).unwrap() == body);
            let Frame::Text(text) = message.encode_as(Encoding::Json) else { unreachable!() };
            prop_assert!(ClientMessage::from_text(&text).unwrap() == body);
        }
    }
}
