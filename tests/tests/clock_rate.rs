//! `tandem run --clock-rate N`: the center's time runs N times faster, so what the spec times
//! in minutes or hours can be watched in seconds. A team message that expires after 30 minutes
//! is gone within a few seconds at 3,600 times; at real time it is still there.

use std::time::Duration;

use serde_json::{json, Value};
use tandem_tests::{created_id, wait_until, ApiClient, Cluster};

/// A supervisor of a team, and a 30-minute team message from them; returns the message.
fn publish(api: &ApiClient) -> Value {
    let supervisor = created_id(api, "/api/v1/agents", json!({"login_name": "sam", "name": "Sam"}));
    let team = created_id(api, "/api/v1/teams", json!({"name": "Floor", "primary_supervisor": supervisor}));
    let message = json!({"sender": supervisor, "text": "Stand-up in the lobby", "teams": [team], "expiry_minutes": 30});
    let reply = api.post("/api/v1/team-messages", &message).expect("a reply");
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json
}

fn messages(api: &ApiClient) -> Vec<Value> {
    api.list("team-messages").expect("the team messages")
}

#[test]
fn a_faster_clock_expires_a_team_message_in_seconds() {
    let fast = Cluster::embedded_single_with(&["--clock-rate", "3600"]);
    let api = fast.client(1);
    publish(&api);
    // 30 minutes at an hour a second: half a second, plus the leader's timer tick.
    wait_until(Duration::from_secs(10), "the team message expired", || match messages(&api).as_slice() {
        [] => Ok(()),
        shown => Err(format!("still active: {shown:?}")),
    });

    let real = Cluster::embedded_single();
    let api = real.client(1);
    let published = publish(&api);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(messages(&api), [published], "at real time it stays for its 30 minutes");
}
