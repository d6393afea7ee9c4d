//! Every setting the spec defines is reachable over REST: the wrap-up categories, predefined
//! responses and email signatures (seeds-uccx.md §2.13–2.15) as entities, the channel
//! parameters (§2.7) and statistics settings as records. A table per entity: create, read,
//! update, delete, then each limit refused with its status, code and text, changing nothing.
//!
//! Runs against the embedded single node with no demo.

use serde_json::{json, Value};
use tandem_tests::{ApiClient, Body, Cluster, Method};

/// One refusal: what is sent, and the status, code and message it must get.
struct Refusal {
    rule: &'static str,
    method: Method,
    path: String,
    body: Value,
    status: u16,
    code: &'static str,
    message: String,
}

fn refusal(rule: &'static str, method: Method, path: &str, body: Value, answer: (u16, &'static str, &str)) -> Refusal {
    let (status, code, message) = answer;
    Refusal { rule, method, path: path.to_owned(), body, status, code, message: message.to_owned() }
}

fn created(api: &ApiClient, path: &str, body: Value) -> Value {
    let reply = api.post(path, &body).expect("a reply");
    assert_eq!(reply.status, 201, "POST {path} {body}: {}", reply.text);
    reply.json
}

fn id_of(entity: &Value) -> u64 {
    entity["id"].as_u64().unwrap_or_else(|| panic!("an id in {entity}"))
}

/// Sends each refusal and checks its answer, and that the collection (or record) at `watched`
/// is unchanged by all of them.
fn check_refusals(api: &ApiClient, watched: &str, refusals: &[Refusal]) {
    let before = api.get(watched).expect("a reply").json;
    for refusal in refusals {
        let reply = api.send(refusal.method.clone(), &refusal.path, &Body::Json(refusal.body.clone()), None);
        let reply = reply.expect("a reply");
        assert_eq!(
            (reply.status, reply.code(), reply.message()),
            (refusal.status, refusal.code, refusal.message.as_str()),
            "{}: {} {} {}",
            refusal.rule,
            refusal.method,
            refusal.path,
            refusal.body
        );
    }
    assert_eq!(api.get(watched).expect("a reply").json, before, "the refusals changed {watched}");
}

/// Create, read, update and delete one entity of `path`; `spec` and `changed` are two valid
/// specs; each field of the spec comes back as sent.
fn crud(api: &ApiClient, path: &str, spec: Value, changed: Value) {
    let entity = created(api, path, spec.clone());
    let id = id_of(&entity);
    for (field, value) in spec.as_object().into_iter().flatten() {
        assert_eq!(&entity[field], value, "{path}: {field} as sent");
    }
    assert_eq!(api.get(&format!("{path}/{id}")).expect("a reply").json, entity);
    assert!(api.list(path.trim_start_matches("/api/v1/")).expect("a list").contains(&entity));
    let reply = api.send(Method::PUT, &format!("{path}/{id}"), &Body::Json(changed.clone()), None).expect("a reply");
    assert_eq!(reply.status, 200, "PUT {path}/{id}: {}", reply.text);
    for (field, value) in changed.as_object().into_iter().flatten() {
        assert_eq!(&reply.json[field], value, "{path}: {field} as updated");
    }
    assert_eq!(api.delete(&format!("{path}/{id}")).expect("a reply").status, 204);
    let gone = api.get(&format!("{path}/{id}")).expect("a reply");
    assert_eq!((gone.status, gone.code()), (404, "not_found"), "{}", gone.text);
}

#[test]
fn wrap_up_predefined_responses_and_signatures_over_rest() {
    let cluster = Cluster::embedded_single();
    let api = cluster.client(1);
    let skill = id_of(&created(&api, "/api/v1/skills", json!({"name": "Service"})));
    let csq = |name: &str, channel: &str| {
        let skills = json!([{"skill": skill, "min_competence": 1}]);
        let body = json!({"name": name, "channel": channel, "selection": "longest_available", "skills": skills});
        id_of(&created(&api, "/api/v1/csqs", body))
    };
    let (chat, email, voice) = (csq("Chat", "chat"), csq("Email", "email"), csq("Voice", "voice"));
    let chats: Vec<u64> = std::iter::once(chat).chain((1..11).map(|n| csq(&format!("Chat {n}"), "chat"))).collect();

    // Wrap-up categories (§2.14): 25 reasons of at most 40 characters, 10 per CSQ, chat and email.
    let path = "/api/v1/wrap-up-categories";
    crud(
        &api,
        path,
        json!({"name": "Outcome", "reasons": ["Sold", "Not interested"], "tags": "global"}),
        json!({"name": "Result", "reasons": ["Sold"], "tags": {"csqs": [chat]}}),
    );
    let forty_one = "x".repeat(41);
    let many: Vec<String> = (0..26).map(|n| format!("Reason {n}")).collect();
    for n in 0..10 {
        created(&api, path, json!({"name": format!("Category {n}"), "reasons": ["Done"], "tags": {"csqs": [email]}}));
    }
    check_refusals(
        &api,
        path,
        &[
            refusal(
                "a name of 41 characters",
                Method::POST,
                path,
                json!({"name": forty_one, "reasons": ["Done"], "tags": "global"}),
                (422, "invalid_field", "name must be at most 40 characters (got 41)"),
            ),
            refusal(
                "an empty name",
                Method::POST,
                path,
                json!({"name": " ", "reasons": ["Done"], "tags": "global"}),
                (422, "invalid_field", "name must not be empty"),
            ),
            refusal(
                "26 reasons",
                Method::POST,
                path,
                json!({"name": "Long", "reasons": many, "tags": "global"}),
                (422, "invalid_field", "reasons must list 1 to 25 reasons (got 26)"),
            ),
            refusal(
                "a voice CSQ",
                Method::POST,
                path,
                json!({"name": "Voice", "reasons": ["Done"], "tags": {"csqs": [voice]}}),
                (
                    422,
                    "invalid_field",
                    &format!("tags: CSQ {voice} is a voice CSQ; wrap-up reasons are for chat and email"),
                ),
            ),
            refusal(
                "an 11th category on one CSQ",
                Method::POST,
                path,
                json!({"name": "Eleventh", "reasons": ["Done"], "tags": {"csqs": [email]}}),
                (
                    409,
                    "limit_exceeded",
                    &format!("CSQ {email} already has 10 wrap-up categories, the most a CSQ may have"),
                ),
            ),
            refusal(
                "a duplicate name",
                Method::POST,
                path,
                json!({"name": "category 0", "reasons": ["Done"], "tags": "global"}),
                (409, "duplicate_name", "a wrap-up category named \"Category 0\" already exists (wrap-up category 2)"),
            ),
            refusal(
                "an unknown category",
                Method::PUT,
                &format!("{path}/999"),
                json!({"name": "X", "reasons": ["Done"], "tags": "global"}),
                (404, "not_found", "wrap-up category 999 does not exist"),
            ),
        ],
    );

    // 25 categories in all: 10 so far, 15 more, then the 26th is refused.
    for n in 10..25 {
        created(&api, path, json!({"name": format!("Category {n}"), "reasons": ["Done"], "tags": "global"}));
    }
    let body = json!({"name": "Twenty-sixth", "reasons": ["Done"], "tags": "global"});
    let answer = (409, "limit_exceeded", "Tandem supports a maximum of 25 wrap-up categories.");
    check_refusals(&api, path, &[refusal("a 26th category", Method::POST, path, body, answer)]);

    // Predefined responses (§2.13): titles of 100 characters without < > ( ) " |, bodies of 1,500.
    let path = "/api/v1/predefined-responses";
    crud(
        &api,
        path,
        json!({"title": "Greeting", "channel": "chat", "body": "Hello, how can I help?", "tags": "global"}),
        json!({"title": "Welcome", "channel": "email", "body": "Thank you for writing.", "tags": {"csqs": [email]}}),
    );
    check_refusals(
        &api,
        path,
        &[
            refusal(
                "a title with a parenthesis",
                Method::POST,
                path,
                json!({"title": "Hi (there)", "channel": "chat", "body": "Hi", "tags": "global"}),
                (422, "invalid_field", "title must not contain < > ( ) \" | (found ()"),
            ),
            refusal(
                "a body of 1,501 characters",
                Method::POST,
                path,
                json!({"title": "Long", "channel": "chat", "body": "x".repeat(1501), "tags": "global"}),
                (422, "invalid_field", "body must be at most 1500 characters (got 1501)"),
            ),
            refusal(
                "a voice response",
                Method::POST,
                path,
                json!({"title": "Voice", "channel": "voice", "body": "Hi", "tags": "global"}),
                (422, "invalid_field", "channel must be chat or email"),
            ),
        ],
    );

    let response = |title: String, tags: Value| json!({"title": title, "channel": "chat", "body": "Hi", "tags": tags});
    check_refusals(
        &api,
        path,
        &[
            refusal(
                "a title of 101 characters",
                Method::POST,
                path,
                response("t".repeat(101), json!("global")),
                (422, "invalid_field", "title must be at most 100 characters (got 101)"),
            ),
            refusal(
                "eleven CSQs",
                Method::POST,
                path,
                response("Many".into(), json!({"csqs": chats})),
                (422, "invalid_field", "tags must list 1 to 10 CSQs (got 11)"),
            ),
            refusal(
                "an email CSQ on a chat response",
                Method::POST,
                path,
                response("Mixed".into(), json!({"csqs": [email]})),
                (422, "invalid_field", &format!("tags: CSQ {email} is an email CSQ, not chat")),
            ),
        ],
    );
    // 500 responses in all.
    for n in 0..500 {
        created(&api, path, response(format!("Response {n}"), json!("global")));
    }
    let answer = (409, "limit_exceeded", "Tandem supports a maximum of 500 predefined responses.");
    check_refusals(
        &api,
        path,
        &[refusal("a 501st response", Method::POST, path, response("One more".into(), json!("global")), answer)],
    );

    // Email signatures (§2.15): one Global, one per email CSQ.
    let path = "/api/v1/email-signatures";
    crud(
        &api,
        path,
        json!({"name": "Support", "content": "Regards, {{agent_alias}}", "tags": {"csqs": [email]}}),
        json!({"name": "Everyone", "content": "Regards", "tags": "global"}),
    );
    let global = id_of(&created(&api, path, json!({"name": "Global", "content": "Regards", "tags": "global"})));
    let own = id_of(&created(
        &api,
        path,
        json!({"name": "Email team", "content": "The email team", "tags": {"csqs": [email]}}),
    ));
    check_refusals(
        &api,
        path,
        &[
            refusal(
                "a second Global signature",
                Method::POST,
                path,
                json!({"name": "Another", "content": "Hi", "tags": "global"}),
                (
                    409,
                    "duplicate_value",
                    &format!("only one email signature may be Global; signature {global} already is"),
                ),
            ),
            refusal(
                "a second signature for a CSQ",
                Method::POST,
                path,
                json!({"name": "Another", "content": "Hi", "tags": {"csqs": [email]}}),
                (409, "duplicate_value", &format!("CSQ {email} already has an email signature (signature {own})")),
            ),
            refusal(
                "an empty content",
                Method::POST,
                path,
                json!({"name": "Empty", "content": "", "tags": {"csqs": [chat]}}),
                (422, "invalid_field", "content must not be empty"),
            ),
        ],
    );
    let signature =
        |name: String, content: String| json!({"name": name, "content": content, "tags": {"csqs": [voice]}});
    check_refusals(
        &api,
        path,
        &[
            refusal(
                "a name of 101 characters",
                Method::POST,
                path,
                signature("n".repeat(101), "Hi".into()),
                (422, "invalid_field", "name must be at most 100 characters (got 101)"),
            ),
            refusal(
                "a content of 1,501 characters",
                Method::POST,
                path,
                signature("Long".into(), "x".repeat(1501)),
                (422, "invalid_field", "content must be at most 1500 characters (got 1501)"),
            ),
            refusal(
                "a voice CSQ",
                Method::POST,
                path,
                signature("Voice".into(), "Hi".into()),
                (422, "invalid_field", &format!("tags: CSQ {voice} is a voice CSQ, not email")),
            ),
        ],
    );
}

#[test]
fn channel_parameters_and_statistics_settings_over_rest() {
    let cluster = Cluster::embedded_single();
    let api = cluster.client(1);
    let path = "/api/v1/settings/channels";
    let defaults = api.get(path).expect("a reply");
    assert_eq!(defaults.status, 200, "{}", defaults.text);
    assert_eq!(
        defaults.json,
        json!({"no_answer_timeout_seconds": 20, "join_timeout_minutes": 1, "inactivity_timeout_minutes": 5,
               "offer_chat_when_on_voice_call": false, "offer_voice_call_when_on_chat": false,
               "max_chat_sessions_per_agent": 5, "max_email_sessions_per_agent": 5, "sticky_email_timeout_hours": 4}),
        "the spec's defaults"
    );
    // A chat capacity of 2 and a join timeout longer than the inactivity timeout are both valid.
    let mut chosen = defaults.json.clone();
    chosen["max_chat_sessions_per_agent"] = json!(2);
    chosen["join_timeout_minutes"] = json!(10);
    chosen["inactivity_timeout_minutes"] = json!(3);
    let reply = api.send(Method::PUT, path, &Body::Json(chosen.clone()), None).expect("a reply");
    assert_eq!((reply.status, &reply.json), (200, &chosen), "{}", reply.text);
    assert_eq!(api.get(path).expect("a reply").json, chosen);
    let with = |field: &str, value: Value| {
        let mut body = chosen.clone();
        body[field] = value;
        body
    };
    let ranges = [
        ("no_answer_timeout_seconds", 5, 600),
        ("join_timeout_minutes", 1, 60),
        ("inactivity_timeout_minutes", 1, 60),
        ("max_chat_sessions_per_agent", 1, 5),
        ("max_email_sessions_per_agent", 1, 5),
        ("sticky_email_timeout_hours", 1, 120),
    ];
    let mut refusals = Vec::new();
    for (field, min, max) in ranges {
        for value in [min - 1, max + 1] {
            refusals.push(refusal(
                "out of the spec's range",
                Method::PUT,
                path,
                with(field, json!(value)),
                (422, "invalid_field", &format!("{field} must be between {min} and {max} (got {value})")),
            ));
        }
    }
    check_refusals(&api, path, &refusals);

    let path = "/api/v1/settings/statistics";
    let reply = api.send(Method::PUT, path, &Body::Json(json!({"service_level_threshold_seconds": 30})), None);
    assert_eq!(reply.expect("a reply").json, json!({"service_level_threshold_seconds": 30}));
    let refused = api.send(Method::PUT, path, &Body::Json(json!({"service_level_threshold_seconds": 0})), None);
    let refused = refused.expect("a reply");
    assert_eq!((refused.status, refused.code()), (422, "invalid_field"), "{}", refused.text);
    assert_eq!(api.get(path).expect("a reply").json, json!({"service_level_threshold_seconds": 30}));
}
