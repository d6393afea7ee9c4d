//! A blocking HTTP client for one node's API, and the retrying create that clients of a
//! replicated service must write.
//!
//! Every request has a bounded timeout, so a hung node fails a test instead of stalling it. The
//! client never interprets a reply beyond parsing its JSON: tests assert on status and code.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

/// How long one HTTP request may take, connect included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long connecting may take; loopback either answers at once or refuses.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts of one create before [`create_with_retry`] gives up.
pub const CREATE_ATTEMPT_COUNT_MAX: u32 = 20;
/// Total time one create may spend retrying.
pub const CREATE_RETRY_DURATION_MAX: Duration = Duration::from_secs(30);
/// Pause between attempts of one create.
const CREATE_RETRY_PAUSE: Duration = Duration::from_millis(150);

/// A client for one node's API with a bearer token (or none, to test refusals).
#[derive(Clone, Debug)]
pub struct ApiClient {
    http: reqwest::blocking::Client,
    base_url: String,
    token: Option<String>,
}

/// What a request body is: JSON, or raw text sent as `application/json` (to test parsing).
#[derive(Clone, Debug)]
pub enum Body {
    None,
    Json(Value),
    Raw(String),
}

/// A reply: the status, the raw text, and the text parsed as JSON (`Null` if it is not JSON).
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub text: String,
    pub json: Value,
}

/// How a create ended after its retries.
#[derive(Clone, Debug)]
pub enum CreateOutcome {
    /// 201 with the created entity.
    Created(Value),
    /// A final answer other than 201 (a rejection); retrying would not change it.
    Refused(Reply),
    /// Every attempt failed with a connection error or 503; the create may or may not have applied.
    GaveUp(String),
}

/// A create's outcome, which node gave the final answer and how many attempts it took.
#[derive(Clone, Debug)]
pub struct CreateReport {
    pub outcome: CreateOutcome,
    pub answered_by: u64,
    pub attempt_count: u32,
    /// From the first attempt to the final answer.
    pub elapsed: Duration,
    /// Each failed attempt (transport error or 503), with when it ended.
    pub failed_attempts: Vec<String>,
}

impl ApiClient {
    pub fn new(base_url: &str, token: Option<&str>) -> ApiClient {
        let http = reqwest::blocking::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .expect("building the HTTP client");
        ApiClient { http, base_url: base_url.trim_end_matches('/').to_string(), token: token.map(str::to_string) }
    }

    /// The same node with another token (or none).
    pub fn with_token(&self, token: Option<&str>) -> ApiClient {
        ApiClient { http: self.http.clone(), base_url: self.base_url.clone(), token: token.map(str::to_string) }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Sends one request. `Err` is a transport failure (refused, reset, timed out).
    pub fn send(&self, method: Method, path: &str, body: &Body, key: Option<&str>) -> Result<Reply, String> {
        let mut request = self.http.request(method.clone(), self.url(path));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::Raw(text) => request.header("Content-Type", "application/json").body(text.clone()),
        };
        let response = match request.send() {
            Ok(response) => response,
            Err(error) => return Err(format!("{method} {path} to {}: {error}", self.base_url)),
        };
        let status = response.status().as_u16();
        let text = match response.text() {
            Ok(text) => text,
            Err(error) => return Err(format!("{method} {path} to {}: reading the body: {error}", self.base_url)),
        };
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply { status, text, json })
    }

    pub fn get(&self, path: &str) -> Result<Reply, String> {
        self.send(Method::GET, path, &Body::None, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Reply, String> {
        self.send(Method::POST, path, &Body::Json(body.clone()), None)
    }

    pub fn post_with_key(&self, path: &str, body: &Value, key: &str) -> Result<Reply, String> {
        self.send(Method::POST, path, &Body::Json(body.clone()), Some(key))
    }

    pub fn delete(&self, path: &str) -> Result<Reply, String> {
        self.send(Method::DELETE, path, &Body::None, None)
    }

    /// `GET /api/v1/<kind>` as a JSON array; `Err` on a transport failure or a non-200 answer.
    pub fn list(&self, kind: &str) -> Result<Vec<Value>, String> {
        let reply = self.get(&format!("/api/v1/{kind}"))?;
        if reply.status != 200 {
            return Err(format!("GET /api/v1/{kind} on {}: {} {}", self.base_url, reply.status, reply.text));
        }
        match reply.json {
            Value::Array(items) => Ok(items),
            other => Err(format!("GET /api/v1/{kind} on {}: not a JSON array: {other}", self.base_url)),
        }
    }
}

impl Reply {
    /// The `code` of a JSON error body, or "" if there is none.
    pub fn code(&self) -> &str {
        self.json.get("code").and_then(Value::as_str).unwrap_or("")
    }

    /// The `message` of a JSON error body, or "" if there is none.
    pub fn message(&self) -> &str {
        self.json.get("message").and_then(Value::as_str).unwrap_or("")
    }
}

impl CreateReport {
    /// The created entity; panics naming `what` and the outcome otherwise.
    pub fn expect_created(&self, what: &str) -> &Value {
        match &self.outcome {
            CreateOutcome::Created(entity) => entity,
            other => panic!("{what}: expected 201, got {other:?} (from node {})", self.answered_by),
        }
    }
}

/// Creates one entity with an idempotency key, retrying the same request with the same key on a
/// transport failure or a 503, as a client of a replicated service must. `target(attempt)` picks
/// the node for each attempt (returning its id and client), so a retry can move to a survivor.
pub fn create_with_retry(
    mut target: impl FnMut(u32) -> (u64, ApiClient),
    path: &str,
    body: &Value,
    key: &str,
) -> CreateReport {
    let started = Instant::now();
    let mut failed_attempts = Vec::new();
    let mut attempt_count = 0;
    let outcome = loop {
        if attempt_count > 0 {
            if attempt_count >= CREATE_ATTEMPT_COUNT_MAX || started.elapsed() >= CREATE_RETRY_DURATION_MAX {
                let last = failed_attempts.last().cloned().unwrap_or_default();
                let message = format!("key {key}: gave up after {:?}; last failure: {last}", started.elapsed());
                break (CreateOutcome::GaveUp(message), 0);
            }
            std::thread::sleep(CREATE_RETRY_PAUSE);
        }
        let (node_id, client) = target(attempt_count);
        attempt_count += 1;
        match client.post_with_key(path, body, key) {
            Ok(reply) if reply.status == 201 => break (CreateOutcome::Created(reply.json), node_id),
            Ok(reply) if reply.status == 503 => {
                failed_attempts.push(format!("{:?} node {node_id}: 503 {}", started.elapsed(), reply.text));
            }
            Ok(reply) => break (CreateOutcome::Refused(reply), node_id),
            Err(error) => failed_attempts.push(format!("{:?} node {node_id}: {error}", started.elapsed())),
        }
    };
    let (outcome, answered_by) = outcome;
    CreateReport { outcome, answered_by, attempt_count, elapsed: started.elapsed(), failed_attempts }
}

/// Creates every `(key, body)` at `path` from `worker_count` threads, sending item `i` first to
/// `targets[i % len]` and each retry to the next target. Reports come back in item order.
pub fn create_many(
    targets: &[(u64, ApiClient)],
    path: &str,
    items: Vec<(String, Value)>,
    worker_count: usize,
) -> Vec<CreateReport> {
    assert!(!targets.is_empty(), "create_many needs a target");
    assert!(worker_count >= 1, "create_many needs a worker");
    let next = std::sync::atomic::AtomicUsize::new(0);
    let reports = std::sync::Mutex::new(vec![None; items.len()]);
    std::thread::scope(|scope| {
        for _ in 0..worker_count {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((key, body)) = items.get(index) else { break };
                let target = |attempt: u32| targets[(index + attempt as usize) % targets.len()].clone();
                let report = create_with_retry(target, path, body, key);
                reports.lock().expect("reports lock")[index] = Some(report);
            });
        }
    });
    let reports = reports.into_inner().expect("reports lock");
    reports.into_iter().map(|report| report.expect("every item was attempted")).collect()
}
