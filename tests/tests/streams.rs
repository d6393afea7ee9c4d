//! A desktop's stream resumes on the other side: events are numbered identically on side A and
//! side B, so a client that read up to index K on one node and reconnects to the other with
//! `?after=K` gets exactly the events after K, the same ones, and then keeps up with new ones,
//! including after the node it first used is killed.

use serde_json::{json, Value};
use tandem_tests::{ApiClient, Cluster, EventStream, RaftTuning};

/// Reads `count` event frames (skipping hello and heartbeats), as (index, event).
fn events(stream: &mut EventStream, count: usize) -> Vec<(u64, Value)> {
    let mut events = Vec::new();
    let mut idle = 0;
    while events.len() < count {
        match stream.next_frame().expect("the stream") {
            Some(frame) => {
                assert!(frame.get("gap").is_none(), "no gap: {frame}");
                if let Some(index) = frame["index"].as_u64() {
                    events.push((index, frame["event"].clone()));
                }
            }
            None => {
                idle += 1;
                assert!(idle < 40, "only {} of {count} events came", events.len());
            }
        }
    }
    events
}

fn act(client: &ApiClient, agent: u64, action: Value) {
    let reply = client.post(&format!("/api/v1/agents/{agent}/actions"), &action).expect("an action");
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[test]
fn a_stream_resumes_on_the_other_side_with_the_same_events() {
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (3, "witness")], RaftTuning::fast());
    cluster.start_all();
    let (a, b) = (cluster.client(1), cluster.client(2));
    let token = cluster.token().to_string();

    let mut on_a = EventStream::connect(a.base_url(), "/api/v1/events?after=0", &token).expect("stream on A");
    let skill = a.post("/api/v1/skills", &json!({"name": "Sales"})).expect("skill").json["id"].as_u64().expect("id");
    for n in 1..=5 {
        let body = json!({"login_name": format!("agent{n}"), "name": format!("Agent {n}"),
            "skills": [{"skill": skill, "competence": n}]});
        assert_eq!(b.post("/api/v1/agents", &body).expect("agent").status, 201);
        act(&a, n, json!({"action": "set_state", "state": "login"}));
    }
    // Skill, five agents, and each login's voice and digital state changes.
    let seen = events(&mut on_a, 1 + 5 + 5 * 2);
    assert_eq!(seen.first().map(|(index, _)| *index), Some(1), "numbering starts at 1");

    // Reconnect to side B after the fourth event: the same events follow, in the same order.
    let (resume_after, _) = seen[3];
    let mut on_b = EventStream::connect(b.base_url(), &format!("/api/v1/events?after={resume_after}"), &token)
        .expect("stream on B");
    let replayed = events(&mut on_b, seen.len() - 4);
    assert_eq!(replayed, seen[4..].to_vec(), "side B numbers and carries the same events");

    // Side A goes away; B's stream keeps up with new events, still numbered in sequence.
    cluster.kill(1);
    cluster.wait_for_leader();
    let ready = json!({"action": "set_state", "state": "ready"});
    let reply = tandem_tests::wait_until(std::time::Duration::from_secs(20), "a write through side B", || {
        let reply = b.post("/api/v1/agents/2/actions", &ready)?;
        if reply.status == 503 {
            return Err(reply.text);
        }
        Ok(reply)
    });
    assert_eq!(reply.status, 200, "{}", reply.text);
    let next = events(&mut on_b, 1);
    assert_eq!(next[0].0, seen.last().map(|(index, _)| index + 1).unwrap_or(0), "the next index follows");
    assert!(next[0].1.get("AgentStateChanged").is_some(), "{:?}", next[0]);
}
