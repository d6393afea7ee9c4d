//! Supervision over REST: the desk settings (chat levels, silent monitoring), team messages,
//! agent↔supervisor chat and silent monitoring, with refusals that carry a clear code and
//! change nothing.

use serde_json::{json, Value};
use tandem_tests::{created_id, ApiClient, Body, Cluster, Method, RaftTuning};

fn act(client: &ApiClient, agent: u64, action: Value) -> tandem_tests::Reply {
    client.post(&format!("/api/v1/agents/{agent}/actions"), &action).expect("a reply")
}

fn put_settings(client: &ApiClient, settings: &Value) -> tandem_tests::Reply {
    client.send(Method::PUT, "/api/v1/settings/desk", &Body::Json(settings.clone()), None).expect("a reply")
}

#[test]
fn settings_team_messages_chat_and_monitoring_over_rest() {
    let mut cluster = Cluster::new(&[(1, "a")], RaftTuning::fast());
    cluster.start_all();
    let admin = cluster.client(1);
    let boss = created_id(&admin, "/api/v1/agents", json!({"login_name": "sam", "name": "Sam"}));
    let team = created_id(&admin, "/api/v1/teams", json!({"name": "Blue", "primary_supervisor": boss}));
    let alice = created_id(&admin, "/api/v1/agents", json!({"login_name": "alice", "name": "Alice", "team": team}));
    let bob = created_id(&admin, "/api/v1/agents", json!({"login_name": "bob", "name": "Bob"}));
    for agent in [boss, alice, bob] {
        assert_eq!(act(&admin, agent, json!({"action": "set_state", "state": "login"})).status, 200);
    }

    // The spec's defaults; a bad value is refused and changes nothing.
    let defaults = admin.get("/api/v1/settings/desk").expect("the settings");
    assert_eq!(defaults.json["agent_chat_level"], "team_supervisors", "{}", defaults.text);
    assert_eq!(defaults.json["supervisor_chat_level"], "unrestricted");
    assert_eq!(defaults.json["silent_monitor_enabled"], true);
    assert_eq!(defaults.json["warn_if_silent_monitored"], false);
    let mut bad = defaults.json.clone();
    bad["agent_chat_level"] = json!("everyone");
    let refused = put_settings(&admin, &bad);
    assert!(refused.status == 400 || refused.status == 422, "{}", refused.text);
    assert!(
        refused.message().contains("agent_chat_level") || refused.message().contains("everyone"),
        "{}",
        refused.text
    );
    assert_eq!(admin.get("/api/v1/settings/desk").expect("the settings").json, defaults.json);

    // Chat: alice may write to her team's supervisor, not to bob (another team's agent).
    let sent = act(&admin, alice, json!({"action": "send_chat", "to": boss, "text": "Can you listen in?"}));
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(sent.json["events"][0]["AgentChatMessageSent"]["message"]["text"], "Can you listen in?");
    let refused = act(&admin, alice, json!({"action": "send_chat", "to": bob, "text": "hi"}));
    assert_eq!((refused.status, refused.code()), (403, "not_permitted"), "{}", refused.text);
    // With agent chat Disabled, even the supervisor is out of reach.
    let mut disabled = defaults.json.clone();
    disabled["agent_chat_level"] = json!("disabled");
    assert_eq!(put_settings(&admin, &disabled).status, 200);
    let refused = act(&admin, alice, json!({"action": "send_chat", "to": boss, "text": "hi"}));
    assert_eq!(refused.code(), "not_permitted", "{}", refused.text);

    // Team messages: only a supervisor of every team named; listed; deleted.
    let message = json!({"sender": alice, "text": "Queue is long", "teams": [team], "expiry_minutes": 30});
    let refused = admin.post("/api/v1/team-messages", &message).expect("a reply");
    assert!(refused.status >= 400, "an agent is not a supervisor: {}", refused.text);
    let message = json!({"sender": boss, "text": "Queue is long", "teams": [team], "expiry_minutes": 30});
    let published = admin.post("/api/v1/team-messages", &message).expect("a reply");
    assert_eq!(published.status, 201, "{}", published.text);
    let id = published.json["id"].as_u64().expect("an id");
    assert_eq!(admin.get("/api/v1/team-messages").expect("the list").json[0]["text"], "Queue is long");
    assert_eq!(admin.delete(&format!("/api/v1/team-messages/{id}")).expect("a reply").status, 204);
    assert_eq!(admin.get("/api/v1/team-messages").expect("the list").json, json!([]));

    // Silent monitoring: the supervisor of alice's team, one agent at a time, never bob.
    let started = act(&admin, boss, json!({"action": "start_silent_monitor", "agent": alice}));
    assert_eq!(started.status, 200, "{}", started.text);
    let again = act(&admin, boss, json!({"action": "start_silent_monitor", "agent": alice}));
    assert_eq!((again.status, again.code()), (409, "invalid_state"), "{}", again.text);
    assert!(again.message().contains("already monitors"), "{}", again.text);
    let stopped = act(&admin, boss, json!({"action": "stop_silent_monitor"}));
    assert_eq!(stopped.status, 200, "{}", stopped.text);
    let refused = act(&admin, boss, json!({"action": "start_silent_monitor", "agent": bob}));
    assert_eq!(refused.code(), "not_permitted", "{}", refused.text);
}
