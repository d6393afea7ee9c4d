//! The built-in switch's trunk side over REST and the `tandem call` load generator: dialed
//! numbers, calls arriving, outside parties hanging up, refusals that change nothing, and
//! generated callers that agents answer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tandem_tests::{created_id, run_cli, voice_csq, ApiClient, Cluster, RaftTuning};

fn state(client: &ApiClient, agent: u64) -> String {
    let reply = client.get(&format!("/api/v1/agents/{agent}/status")).expect("a status");
    reply.json["state"].as_str().unwrap_or_default().to_owned()
}

/// One node with a voice CSQ behind dialed number 5000 and `count` Ready agents.
fn center(count: u64) -> (Cluster, ApiClient, Vec<u64>) {
    let mut cluster = Cluster::new(&[(1, "a")], RaftTuning::fast());
    cluster.start_all();
    let admin = cluster.client(1);
    let (skill, csq) = voice_csq(&admin);
    created_id(&admin, "/api/v1/dialed-numbers", json!({"number": "5000", "csq": csq}));
    let agents: Vec<u64> = (1..=count)
        .map(|n| {
            let agent = created_id(
                &admin,
                "/api/v1/agents",
                json!({"login_name": format!("agent{n}"), "name": format!("Agent {n}"), "extension": format!("10{n:02}"),
                       "skills": [{"skill": skill, "competence": 5}]}),
            );
            for state in ["login", "ready"] {
                let reply = admin
                    .post(&format!("/api/v1/agents/{agent}/actions"), &json!({"action": "set_state", "state": state}))
                    .expect("a state change");
                assert_eq!(reply.status, 200, "{}", reply.text);
            }
            agent
        })
        .collect();
    (cluster, admin, agents)
}

#[test]
fn the_trunk_side_over_rest() {
    let (_cluster, admin, agents) = center(1);
    let agent = agents[0];

    // Dialed numbers are configuration: unique among numbers and extensions.
    let numbers = admin.get("/api/v1/dialed-numbers").expect("the list");
    assert_eq!(numbers.json.as_array().map(Vec::len), Some(1), "{}", numbers.text);
    for (number, code) in [("5000", "duplicate_value"), ("1001", "duplicate_value"), ("50a0", "invalid_field")] {
        let csq = numbers.json[0]["csq"].clone();
        let reply = admin.post("/api/v1/dialed-numbers", &json!({"number": number, "csq": csq})).expect("a reply");
        assert!(reply.status >= 400, "{number}: {}", reply.text);
        assert_eq!(reply.code(), code, "{number}: {}", reply.text);
    }

    // A call to a number that is neither a dialed number nor an extension changes nothing.
    let before = admin.get("/api/v1/calls").expect("the calls").text;
    let refused = admin.post("/api/v1/calls", &json!({"dialed_number": "999", "ani": "+15550100"})).expect("a reply");
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.code(), "invalid_field");
    assert!(refused.message().contains("neither a configured dialed number nor an extension"), "{}", refused.text);
    assert_eq!(admin.get("/api/v1/calls").expect("the calls").text, before);

    // A call to the dialed number rings the Ready agent; the agent's buttons say Answer.
    let call = admin.post("/api/v1/calls", &json!({"dialed_number": "5000", "ani": "+15550100"})).expect("a call");
    assert_eq!(call.status, 201, "{}", call.text);
    let id = call.json["call"].as_u64().unwrap_or_else(|| panic!("no call in {}", call.text));
    assert_eq!(state(&admin, agent), "reserved");
    let controls = admin.get(&format!("/api/v1/agents/{agent}/controls")).expect("controls");
    assert_eq!(controls.json["answer"], json!(true), "{}", controls.text);
    assert_eq!(controls.json["hold"], json!(false), "{}", controls.text);
    let found = admin.get(&format!("/api/v1/calls/{id}")).expect("the call");
    assert_eq!(found.json["data"]["ani"], "+15550100", "{}", found.text);
    assert_eq!(found.json["data"]["dialed_number"], "5000", "{}", found.text);

    // The agent answers through call control, naming the call; then Hold is enabled.
    let answer = admin
        .post(
            &format!("/api/v1/agents/{agent}/actions"),
            &json!({"action": "call_control", "request": {"answer": {"call": id}}}),
        )
        .expect("an answer");
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(state(&admin, agent), "talking");
    let controls = admin.get(&format!("/api/v1/agents/{agent}/controls")).expect("controls");
    assert_eq!(controls.json["hold"], json!(true), "{}", controls.text);

    // A hang-up by a number not on the call is refused; the caller's own ends the call.
    let wrong = admin
        .post(&format!("/api/v1/calls/{id}/actions"), &json!({"action": "hang_up", "number": "+15559999"}))
        .expect("a reply");
    assert!(wrong.status >= 400, "{}", wrong.text);
    let hang_up = admin
        .post(&format!("/api/v1/calls/{id}/actions"), &json!({"action": "hang_up", "number": "+15550100"}))
        .expect("a hang-up");
    assert_eq!(hang_up.status, 200, "{}", hang_up.text);
    assert_eq!(admin.get(&format!("/api/v1/calls/{id}")).expect("a reply").status, 404);
    assert_ne!(state(&admin, agent), "talking");

    // Call control on a call that is gone carries the spec's code.
    let gone = admin
        .post(
            &format!("/api/v1/agents/{agent}/actions"),
            &json!({"action": "call_control", "request": {"hold": {"call": id}}}),
        )
        .expect("a reply");
    assert!(gone.status >= 400, "{}", gone.text);
    assert!(gone.json["spec_code"].as_u64().is_some() || gone.code() == "not_found", "{}", gone.text);
}

#[test]
fn tandem_call_plays_callers_that_agents_answer() {
    let (cluster, admin, agents) = center(2);
    // The agents answer whatever rings, until the generator is done.
    let done = Arc::new(AtomicBool::new(false));
    let answering = {
        let (admin, agents, done) = (admin.clone(), agents.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                for &agent in &agents {
                    if state(&admin, agent) == "reserved" {
                        let _ =
                            admin.post(&format!("/api/v1/agents/{agent}/actions"), &json!({"action": "answer_call"}));
                    }
                    if state(&admin, agent) == "work_ready" || state(&admin, agent) == "work_not_ready" {
                        let _ = admin.post(
                            &format!("/api/v1/agents/{agent}/actions"),
                            &json!({"action": "set_state", "state": "ready"}),
                        );
                    }
                }
                std::thread::sleep(Duration::from_millis(30));
            }
        })
    };
    let node = admin.base_url().to_owned();
    let output = run_cli(&[
        "call",
        "--node",
        &node,
        "--token",
        cluster.token(),
        "--to",
        "5000",
        "--calls",
        "4",
        "--rate",
        "10",
        "--talk",
        "0.3",
        "--patience",
        "15",
        "--json",
    ]);
    done.store(true, Ordering::Relaxed);
    answering.join().expect("the answering thread");
    assert!(output.success, "tandem call failed: {}\n{}", output.stdout, output.stderr);
    let report: Value = serde_json::from_str(output.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", output.stdout));
    assert_eq!(report["placed"], 4, "{report}");
    assert_eq!(report["completed"], 4, "{report}");
    assert_eq!(report["refused"], 0, "{report}");
    assert!(report["wait_ms"]["max"].as_u64().is_some(), "{report}");
    assert_eq!(report["watched_by"], "events", "one CTI session watches every call: {report}");
    assert_eq!(admin.get("/api/v1/calls").expect("the calls").json, json!([]), "every caller hung up");

    // Bad input is refused before anything is placed; a number nobody answers is reported.
    let bad = run_cli(&["call", "--node", &node, "--token", cluster.token(), "--to", "5000", "--calls", "0"]);
    assert!(!bad.success);
    assert!(bad.stderr.contains("--calls must be 1 to"), "{}", bad.stderr);
    let nowhere =
        run_cli(&["call", "--node", &node, "--token", cluster.token(), "--to", "999", "--calls", "2", "--json"]);
    assert!(nowhere.success, "{}", nowhere.stderr);
    let report: Value =
        serde_json::from_str(nowhere.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", nowhere.stdout));
    assert_eq!(report["refused"], 2, "{report}");
}
