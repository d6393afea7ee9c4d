//! The API's refusals, as a table: each row is a request and the status and code it must get,
//! and every refusal must leave every entity list exactly as it was.
//!
//! Runs against the embedded single node (`tandem run --data-dir D --listen ... --no-demo`), which
//! generates its own admin token.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tandem_tests::{ApiClient, Body, Cluster, Method, Reply};

/// Every entity collection, compared before and after each refusal.
const KINDS: [&str; 5] = ["skills", "agents", "teams", "csqs", "reason-codes"];
/// The spec's limit on email CSQs and its exact refusal text (seeds-uccx.md §2.5).
const EMAIL_CSQ_COUNT_MAX: usize = 100;
const EMAIL_CSQ_LIMIT_MESSAGE: &str =
    "Tandem supports a maximum of 100 Email CSQs. Exceeded maximum limit for Email CSQs.";
const WRONG_TOKEN: &str = "wrong-token-0123456789abcdef";

/// Which credentials a request carries.
#[derive(Clone, Copy, Debug)]
enum Auth {
    Token,
    Wrong,
    Missing,
}

/// One request of the table.
struct Request {
    rule: String,
    method: Method,
    path: String,
    body: Body,
    auth: Auth,
}

/// The node and its token-bearing client.
struct Api {
    client: ApiClient,
}

/// The ids the table refers to.
struct Fixture {
    sales: u64,
    support: u64,
}

#[test]
fn refusals_have_the_right_status_and_code_and_change_nothing() {
    let cluster = Cluster::embedded_single();
    let api = Api { client: cluster.client(1) };
    let fixture = seed(&api);

    for (request, status, code) in rows(&fixture) {
        check(&api, &request, status, code);
    }

    let label_42 = "x".repeat(42);
    let accepted = post(
        "a 42-character label is accepted",
        "/api/v1/reason-codes",
        json!({ "kind": "not_ready", "value": 3, "label": label_42 }),
    );
    check(&api, &accepted, 201, "");

    check_email_csq_limit(&api, &fixture);
    check_idempotency_key(&api);
    check_documents(&api);
    check_actions(&api);
}

/// What an action refusal must not change: agent 1's status and every contact.
fn runtime_state(api: &Api) -> (Value, Value) {
    let status = api.client.get("/api/v1/agents/1/status").expect("agent status").json;
    let contacts = api.client.get("/api/v1/contacts?all=true").expect("contacts").json;
    (status, contacts)
}

/// Agent and contact actions, batches and streams: each refusal has its status, code and (where
/// the spec numbers it) the spec's code and text, and changes nothing.
fn check_actions(api: &Api) {
    let act = |state: &str| json!({ "action": "set_state", "state": state });
    let refused = |rule: &str, path: &str, body: Value, status: u16, code: &str, spec: Option<(u64, &str)>| {
        let before = runtime_state(api);
        let reply = api.client.post(path, &body).unwrap_or_else(|e| panic!("{rule}: {e}"));
        assert_eq!(reply.status, status, "{rule}: {}", reply.text);
        assert_eq!(reply.json["code"], code, "{rule}: {}", reply.text);
        if let Some((spec_code, text)) = spec {
            assert_eq!(reply.json["spec_code"].as_u64(), Some(spec_code), "{rule}: {}", reply.text);
            assert_eq!(reply.json["message"], text, "{rule}: {}", reply.text);
        }
        assert_eq!(runtime_state(api), before, "{rule}: a refusal changed the state");
    };
    let agent = "/api/v1/agents/1/actions";
    refused("an unknown action", agent, json!({ "action": "dance" }), 422, "invalid_body", None);
    refused("an action's unknown field", agent, json!({ "action": "answer_call", "x": 1 }), 422, "invalid_body", None);
    refused(
        "logout when logged out (10101)",
        agent,
        act("logout"),
        409,
        "invalid_state",
        Some((10101, "The agent is already LOGGED out.")),
    );
    refused("an action for a missing agent", "/api/v1/agents/99/actions", act("login"), 404, "not_found", None);

    assert_eq!(api.client.post(agent, &act("login")).expect("login").status, 200);
    assert_eq!(api.client.post(agent, &act("ready")).expect("ready").status, 200);
    refused(
        "logout from Ready (10112)",
        agent,
        act("logout"),
        409,
        "invalid_state",
        Some((10112, "The agent cannot log out from the current state.")),
    );
    refused(
        "make call while Ready (10103)",
        agent,
        json!({ "action": "make_call" }),
        409,
        "invalid_state",
        Some((
            10103,
            "The requested function cannot be performed since the agent is AVAILABLE or in a CALL WORK State.",
        )),
    );

    let contacts = "/api/v1/contacts";
    refused(
        "a contact for a missing CSQ",
        contacts,
        json!({ "channel": "voice", "csq": 9999 }),
        422,
        "unknown_csq",
        None,
    );
    refused("a chat in a voice CSQ", contacts, json!({ "channel": "chat", "csq": 1 }), 422, "invalid_field", None);
    refused(
        "a subject on a call",
        contacts,
        json!({ "channel": "voice", "csq": 1, "subject": "Hi" }),
        422,
        "invalid_field",
        None,
    );
    refused(
        "a missing contact's customer leaves",
        "/api/v1/contacts/99/actions",
        json!({ "action": "customer_left" }),
        404,
        "not_found",
        None,
    );
    refused(
        "a batch with one malformed item applies nothing",
        "/api/v1/batch",
        json!({ "items": [{ "inject": { "channel": "voice", "csq": 1 } }, { "agent": 1 }] }),
        422,
        "invalid_body",
        None,
    );
    let items: Vec<Value> = (0..1001).map(|_| json!({ "inject": { "channel": "voice", "csq": 1 } })).collect();
    refused("a batch over 1,000 items", "/api/v1/batch", json!({ "items": items }), 422, "limit_exceeded", None);

    let reply = api.client.get("/api/v1/events").expect("GET /events");
    assert_eq!((reply.status, reply.json["code"].as_str()), (400, Some("websocket_required")), "{}", reply.text);
    let reply = api.client.get("/api/v1/statistics/stream?interval_ms=5").expect("GET statistics stream");
    assert_eq!((reply.status, reply.json["code"].as_str()), (422, Some("invalid_field")), "{}", reply.text);
    let reply = api.client.get("/api/v1/agents/99/status").expect("GET status");
    assert_eq!((reply.status, reply.json["code"].as_str()), (404, Some("not_found")), "{}", reply.text);
    let reply = api.client.with_token(None).get("/api/v1/events").expect("GET /events without a token");
    assert_eq!(reply.status, 401, "{}", reply.text);
}

/// Two skills, an agent, a CSQ and a reason code for the rows to collide with.
fn seed(api: &Api) -> Fixture {
    let sales = id_of(&check(api, &post("seed", "/api/v1/skills", json!({ "name": "Sales" })), 201, "").json);
    let support = id_of(&check(api, &post("seed", "/api/v1/skills", json!({ "name": "Support" })), 201, "").json);
    let agent = json!({ "login_name": "alice", "name": "Alice", "alias": null, "team": null,
                        "skills": [{ "skill": sales, "competence": 5 }] });
    check(api, &post("seed", "/api/v1/agents", agent), 201, "");
    let csq = json!({ "name": "Voice Sales", "channel": "voice", "selection": "longest_available",
                      "skills": [{ "skill": sales, "min_competence": 1 }] });
    check(api, &post("seed", "/api/v1/csqs", csq), 201, "");
    check(
        api,
        &post("seed", "/api/v1/reason-codes", json!({ "kind": "not_ready", "value": 1, "label": "Lunch" })),
        201,
        "",
    );
    Fixture { sales, support }
}

/// The refusal table: request, expected status, expected code.
fn rows(fixture: &Fixture) -> Vec<(Request, u16, &'static str)> {
    let Fixture { sales, support } = *fixture;
    let agent = |competence: Value| json!({ "login_name": "bob", "name": "Bob", "skills": [{ "skill": sales, "competence": competence }] });
    let label_43 = "x".repeat(43);
    vec![
        (raw("malformed JSON", "/api/v1/skills", "{\"name\": "), 400, "malformed_json"),
        (raw("a body that is not an object", "/api/v1/skills", "[]"), 422, "invalid_body"),
        (
            post("an unknown field", "/api/v1/skills", json!({ "name": "Billing", "colour": "red" })),
            422,
            "invalid_body",
        ),
        (post("a field of the wrong type", "/api/v1/skills", json!({ "name": 5 })), 422, "invalid_body"),
        (post("competence 11", "/api/v1/agents", agent(json!(11))), 422, "invalid_field"),
        (post("competence 0", "/api/v1/agents", agent(json!(0))), 422, "invalid_field"),
        (post("competence 300 is not a u8", "/api/v1/agents", agent(json!(300))), 422, "invalid_body"),
        (
            post("a duplicate skill name in another case", "/api/v1/skills", json!({ "name": "sALES" })),
            409,
            "duplicate_name",
        ),
        (
            post(
                "a duplicate login name in another case",
                "/api/v1/agents",
                json!({ "login_name": "ALICE", "name": "A" }),
            ),
            409,
            "duplicate_name",
        ),
        (
            put(
                "renaming onto another skill's name",
                &format!("/api/v1/skills/{support}"),
                json!({ "name": " sales " }),
            ),
            409,
            "duplicate_name",
        ),
        (
            post(
                "a CSQ naming an unknown skill",
                "/api/v1/csqs",
                json!({ "name": "Ghost", "channel": "chat", "selection": "most_skilled",
                        "skills": [{ "skill": 999_999, "min_competence": 1 }] }),
            ),
            422,
            "unknown_skill",
        ),
        (with_auth(get("a wrong token on a read", "/api/v1/skills"), Auth::Wrong), 401, "unauthorized"),
        (
            with_auth(post("a wrong token on a write", "/api/v1/skills", json!({ "name": "Billing" })), Auth::Wrong),
            401,
            "unauthorized",
        ),
        (with_auth(get("a missing token on a read", "/api/v1/agents"), Auth::Missing), 401, "unauthorized"),
        (
            with_auth(
                post("a missing token on a write", "/api/v1/skills", json!({ "name": "Billing" })),
                Auth::Missing,
            ),
            401,
            "unauthorized",
        ),
        (
            with_auth(get("a missing token on cluster status", "/api/v1/cluster/status"), Auth::Missing),
            401,
            "unauthorized",
        ),
        (get("a non-numeric id on a read", "/api/v1/skills/abc"), 400, "invalid_id"),
        (delete("a non-numeric id on a delete", "/api/v1/agents/abc"), 400, "invalid_id"),
        (get("an unknown id on a read", "/api/v1/skills/999999"), 404, "not_found"),
        (put("an unknown id on an update", "/api/v1/skills/999999", json!({ "name": "Billing" })), 404, "not_found"),
        (delete("an unknown id on a delete", "/api/v1/agents/999999"), 404, "not_found"),
        (get("an unknown endpoint", "/api/v1/nothing-here"), 404, "not_found"),
        (
            post(
                "a 43-character reason label",
                "/api/v1/reason-codes",
                json!({ "kind": "logout", "value": 2, "label": label_43 }),
            ),
            422,
            "invalid_field",
        ),
        (
            put(
                "renaming a skill to its own name is accepted",
                &format!("/api/v1/skills/{sales}"),
                json!({ "name": "Sales" }),
            ),
            200,
            "",
        ),
    ]
}

/// Sends `request`, asserts its status and code, and for a refusal asserts a JSON error body and
/// that no entity list changed. Returns the reply.
fn check(api: &Api, request: &Request, status: u16, code: &str) -> Reply {
    let before = snapshot(api);
    let client = match request.auth {
        Auth::Token => api.client.clone(),
        Auth::Wrong => api.client.with_token(Some(WRONG_TOKEN)),
        Auth::Missing => api.client.with_token(None),
    };
    let rule = &request.rule;
    let reply = client
        .send(request.method.clone(), &request.path, &request.body, None)
        .unwrap_or_else(|error| panic!("{rule}: no answer: {error}"));
    assert_eq!(reply.status, status, "{rule}: {} {} answered {}", request.method, request.path, reply.text);
    if status < 400 {
        return reply;
    }
    assert_eq!(reply.code(), code, "{rule}: error body {}", reply.text);
    assert!(!reply.message().is_empty(), "{rule}: a refusal says why: {}", reply.text);
    let after = snapshot(api);
    assert_eq!(after, before, "{rule}: a refused request changed the entity lists");
    reply
}

/// Every entity list, keyed by kind.
fn snapshot(api: &Api) -> BTreeMap<&'static str, Vec<Value>> {
    KINDS.iter().map(|kind| (*kind, api.client.list(kind).unwrap_or_else(|e| panic!("listing {kind}: {e}")))).collect()
}

/// 100 email CSQs are accepted, the 101st is refused with the spec's text, and other channels
/// still have room.
fn check_email_csq_limit(api: &Api, fixture: &Fixture) {
    let email_csq = |index: usize| {
        json!({ "name": format!("Email {index:03}"), "channel": "email", "selection": "longest_available",
                "skills": [{ "skill": fixture.support, "min_competence": 2 }] })
    };
    for index in 1..=EMAIL_CSQ_COUNT_MAX {
        let reply = api.client.post("/api/v1/csqs", &email_csq(index)).expect("creating an email CSQ");
        assert_eq!(reply.status, 201, "email CSQ {index} of {EMAIL_CSQ_COUNT_MAX} is accepted: {}", reply.text);
    }
    let reply = check(
        api,
        &post("the 101st email CSQ", "/api/v1/csqs", email_csq(EMAIL_CSQ_COUNT_MAX + 1)),
        409,
        "email_csq_limit",
    );
    assert_eq!(reply.message(), EMAIL_CSQ_LIMIT_MESSAGE);
    let voice = json!({ "name": "Voice Support", "channel": "voice", "selection": "most_skilled",
                        "skills": [{ "skill": fixture.support, "min_competence": 2 }] });
    check(api, &post("a voice CSQ after the email limit", "/api/v1/csqs", voice), 201, "");
}

/// The same key and body apply once and answer the same; the same key with another body is refused.
fn check_idempotency_key(api: &Api) {
    let body = Body::Json(json!({ "name": "Billing" }));
    let send = |body: &Body| {
        api.client.send(Method::POST, "/api/v1/skills", body, Some("bad-input-billing")).expect("a keyed create")
    };
    let first = send(&body);
    assert_eq!(first.status, 201, "a keyed create: {}", first.text);
    let before = snapshot(api);
    let second = send(&body);
    assert_eq!(second.status, 201, "a retry with the same key answers as the first time: {}", second.text);
    assert_eq!(second.json, first.json, "a retry with the same key returns the same entity");
    assert_eq!(snapshot(api), before, "a retry with the same key applies once");
    let other = send(&Body::Json(json!({ "name": "Refunds" })));
    assert_eq!(other.status, 409, "the same key for another command: {}", other.text);
    assert_eq!(other.code(), "duplicate_request");
    assert_eq!(snapshot(api), before, "a refused reuse of a key changes nothing");
}

/// The OpenAPI document and the Prometheus metrics.
fn check_documents(api: &Api) {
    let reply = api.client.get("/api/v1/openapi.json").expect("GET openapi.json");
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json.get("openapi").is_some(), "the OpenAPI document has an openapi key: {}", reply.text);
    let reply = api.client.get("/metrics").expect("GET /metrics");
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.text.lines().any(|line| line.starts_with("tandem_raft_term ")), "metrics: {}", reply.text);
}

fn request(rule: &str, method: Method, path: &str, body: Body) -> Request {
    Request { rule: rule.to_string(), method, path: path.to_string(), body, auth: Auth::Token }
}

fn get(rule: &str, path: &str) -> Request {
    request(rule, Method::GET, path, Body::None)
}

fn post(rule: &str, path: &str, body: Value) -> Request {
    request(rule, Method::POST, path, Body::Json(body))
}

fn put(rule: &str, path: &str, body: Value) -> Request {
    request(rule, Method::PUT, path, Body::Json(body))
}

fn delete(rule: &str, path: &str) -> Request {
    request(rule, Method::DELETE, path, Body::None)
}

fn raw(rule: &str, path: &str, text: &str) -> Request {
    request(rule, Method::POST, path, Body::Raw(text.to_string()))
}

fn with_auth(request: Request, auth: Auth) -> Request {
    Request { auth, ..request }
}

fn id_of(entity: &Value) -> u64 {
    entity.get("id").and_then(Value::as_u64).unwrap_or_else(|| panic!("no id in {entity}"))
}
