//! Every refusal is JSON `{code, message}` with the right status: the walk takes every path and
//! method of the OpenAPI document and sends each a malformed query string and, where it takes a
//! body, a malformed body and a body of the wrong shape; then the refusals actix makes by
//! itself (an unknown route, a method a path does not take, an oversized body, a WebSocket
//! endpoint opened without the upgrade). No request may crash the node or answer in plain text.

use serde_json::Value;
use tandem_tests::{ApiClient, Body, Cluster, Method, Reply};

/// An id no entity has: the walk must not change anything that exists.
const NO_SUCH_ID: &str = "999999";
/// A query string every parameter the API reads refuses (negative or non-numeric numbers, a
/// boolean that is not one).
const MALFORMED_QUERY: &str = "after=-1&limit=x&interval_ms=abc&all=maybe&csq=none";

/// A refusal must be JSON with a non-empty code and message; anything else fails with what
/// was sent.
fn assert_json_refusal(what: &str, reply: &Reply) {
    assert!(reply.status >= 400, "{what}: expected a refusal, got {} {}", reply.status, reply.text);
    assert!(reply.status < 500 || reply.status == 503, "{what}: the node failed: {} {}", reply.status, reply.text);
    let code = reply.json.get("code").and_then(Value::as_str).unwrap_or_default();
    let message = reply.json.get("message").and_then(Value::as_str).unwrap_or_default();
    assert!(!code.is_empty() && !message.is_empty(), "{what}: not a JSON refusal: {} {}", reply.status, reply.text);
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.to_ascii_uppercase().as_bytes()).unwrap_or(Method::GET)
}

fn send(api: &ApiClient, method: Method, path: &str, body: Body) -> Reply {
    api.send(method.clone(), path, &body, None).unwrap_or_else(|error| panic!("{method} {path}: {error}"))
}

#[test]
fn every_route_refuses_malformed_requests_in_json() {
    let cluster = Cluster::embedded_single();
    let api = cluster.client(1);
    let document = send(&api, Method::GET, "/api/v1/openapi.json", Body::None).json;
    let paths = document["paths"].as_object().expect("the document's paths");
    assert!(paths.len() > 30, "the document lists every route: {}", paths.len());
    let mut walked = 0;
    for (template, operations) in paths {
        let path = template.replace("{id}", NO_SUCH_ID);
        for (name, operation) in operations.as_object().into_iter().flatten() {
            let method = method(name);
            let what = format!("{method} {template}");
            // A query string that cannot be read: refused if the route reads it, else ignored.
            let reply = send(&api, method.clone(), &format!("{path}?{MALFORMED_QUERY}"), Body::None);
            if reply.status >= 400 {
                assert_json_refusal(&format!("{what} with a malformed query"), &reply);
            }
            if operation.get("requestBody").is_some() {
                let reply = send(&api, method.clone(), &path, Body::Raw("{\"not json".into()));
                assert_json_refusal(&format!("{what} with a malformed body"), &reply);
                let reply = send(&api, method.clone(), &path, Body::Raw("[1, 2, 3]".into()));
                assert_json_refusal(&format!("{what} with a body of the wrong shape"), &reply);
            }
            // An id that is not a number.
            if template.contains("{id}") {
                let reply = send(&api, method.clone(), &template.replace("{id}", "abc"), Body::None);
                assert_json_refusal(&format!("{what} with a non-numeric id"), &reply);
            }
            walked += 1;
        }
        // A method the path does not take.
        let reply = send(&api, Method::PATCH, &path, Body::None);
        assert_eq!(reply.status, 405, "PATCH {template}: {}", reply.text);
        assert_json_refusal(&format!("PATCH {template}"), &reply);
        assert_eq!(reply.code(), "method_not_allowed");
    }
    assert!(walked > 50, "every operation walked: {walked}");

    let reply = send(&api, Method::GET, "/api/v1/no-such-thing", Body::None);
    assert_eq!((reply.status, reply.code()), (404, "not_found"), "{}", reply.text);
    let reply = send(&api, Method::GET, "/no-such-page", Body::None);
    assert_eq!((reply.status, reply.code()), (404, "not_found"), "{}", reply.text);

    let oversized = format!("{{\"name\": \"{}\"}}", "x".repeat(4 * 1024 * 1024));
    let reply = send(&api, Method::POST, "/api/v1/skills", Body::Raw(oversized));
    assert_eq!(reply.status, 413, "{}", reply.text);
    assert_json_refusal("an oversized body", &reply);

    for stream in ["/api/v1/cti", "/api/v1/events", "/api/v1/statistics/stream", "/api/v1/agents/1/events"] {
        let reply = send(&api, Method::GET, stream, Body::None);
        assert_json_refusal(&format!("GET {stream} without the WebSocket upgrade"), &reply);
    }
    let reply = send(&api, Method::GET, "/api/v1/contacts?after=-1", Body::None);
    assert_eq!((reply.status, reply.code()), (400, "invalid_query"), "{}", reply.text);

    // Nothing the walk sent changed the center.
    for kind in ["skills", "agents", "teams", "csqs", "reason-codes", "dialed-numbers", "users"] {
        assert_eq!(api.list(kind).expect("a list"), Vec::<Value>::new(), "{kind}");
    }
}
