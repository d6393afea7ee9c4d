//! A two-node cluster that loses a node refuses writes (no split brain) until the operator runs
//! `force-single` on the survivor; also runs `tandem cluster status` once.
//!
//! Node 2 is given slow elections through an environment override, so node 1 leads: the
//! survivor is the old leader, the case where accepting writes alone would split the brain.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tandem_tests::{create_with_retry, run_cli, wait_until, Cluster, RaftTuning};

/// How long a write waits for a leader before failing (short, to keep the test fast).
const WRITE_TIMEOUT_MS: u64 = 2_000;
/// How long the survivor may take to lead alone after `force-single`.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(20);

#[test]
fn survivor_refuses_writes_until_force_single() {
    let tuning = RaftTuning { write_timeout_ms: WRITE_TIMEOUT_MS, ..RaftTuning::fast() };
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b")], tuning);
    cluster.set_env(2, "TANDEM_RAFT__ELECTION_TIMEOUT_MIN_MS", "2000");
    cluster.set_env(2, "TANDEM_RAFT__ELECTION_TIMEOUT_MAX_MS", "3000");
    // A node campaigns as soon as it initialises. Node 2 starts first and campaigns alone, then
    // waits seconds before its next campaign; node 1 starts and campaigns within a second.
    cluster.start(2);
    cluster.wait_healthy(2);
    cluster.start(1);
    let leader = cluster.wait_for_leader();
    assert_eq!(leader, 1, "node 1 (fast elections, started first) leads");

    for (id, name) in [(1, "Sales"), (2, "Support")] {
        let reply = cluster.client(id).post("/api/v1/skills", &json!({ "name": name })).expect("a create");
        assert_eq!(reply.status, 201, "a write on node {id} of a healthy two-node cluster: {}", reply.text);
    }
    check_cli_status(&cluster);

    cluster.kill(2);
    let before = cluster.client(1).list("skills").expect("skills on node 1");
    let started = Instant::now();
    let reply = cluster.client(1).post_with_key("/api/v1/skills", &json!({ "name": "Alone" }), "two-node-alone");
    let elapsed = started.elapsed();
    let reply = reply.unwrap_or_else(|error| {
        panic!(
            "a write on node 1 without a quorum must fail with 503 no_leader after write_timeout_ms = \
             {WRITE_TIMEOUT_MS}, but got no answer after {elapsed:?}: {error}"
        )
    });
    eprintln!("write without quorum answered after {elapsed:?}: {} {}", reply.status, reply.text);
    assert_eq!(reply.status, 503, "node 1 alone cannot accept a write: {}", reply.text);
    assert_eq!(reply.code(), "no_leader");
    assert!(reply.message().contains("force-single"), "the refusal says how to recover: {:?}", reply.message());
    let after = cluster.client(1).list("skills").expect("skills on node 1");
    assert_eq!(after, before, "the refused write is not visible on node 1");

    let reply = cluster.client(1).post("/api/v1/cluster/force-single", &json!({})).expect("POST force-single");
    assert_eq!(reply.status, 200, "force-single on node 1: {}", reply.text);

    let target = |_attempt: u32| (1, cluster.client(1));
    let report = create_with_retry(target, "/api/v1/skills", &json!({ "name": "Recovered" }), "two-node-recovered");
    report.expect_created("a write on node 1 after force-single");
    // The refused write may still sit in node 1's log and commit with force-single: Raft cannot
    // tell a write that timed out from one that failed. Retried with its key, it applies once.
    let report = create_with_retry(target, "/api/v1/skills", &json!({ "name": "Alone" }), "two-node-alone");
    report.expect_created("the refused write, retried with its key after force-single");
    wait_until(RECOVERY_TIMEOUT, "node 1 to lead as the only voter", || {
        let status = cluster.status(1)?;
        let members: Vec<u64> = status.members.keys().copied().collect();
        if status.voters == [1] && status.role == "leader" && members == [1] {
            Ok(())
        } else {
            Err(format!("role {}, voters {:?}, members {members:?}", status.role, status.voters))
        }
    });
    let names: Vec<String> = cluster
        .client(1)
        .list("skills")
        .expect("skills on node 1")
        .iter()
        .filter_map(|skill| skill.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    eprintln!("skills on node 1 after force-single: {names:?}");
    assert_eq!(names.iter().filter(|name| *name == "Recovered").count(), 1, "the write after force-single: {names:?}");
    assert_eq!(names.iter().filter(|name| *name == "Alone").count(), 1, "the retried write applied once: {names:?}");
}

/// `tandem cluster status --json` against node 1 exits 0 and lists both members as up.
fn check_cli_status(cluster: &Cluster) {
    let node_url = cluster.node(1).api_url();
    let output = run_cli(&["cluster", "status", "--node", node_url.as_str(), "--token", cluster.token(), "--json"]);
    assert!(output.success, "tandem cluster status failed:\nstdout: {}\nstderr: {}", output.stdout, output.stderr);
    let view: Value = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|e| panic!("tandem cluster status --json printed no JSON ({e}): {}", output.stdout));
    let members = view.get("members").and_then(Value::as_array).unwrap_or_else(|| panic!("no members in {view}"));
    let ids: Vec<u64> = members.iter().filter_map(|member| member.get("node_id").and_then(Value::as_u64)).collect();
    assert_eq!(ids, [1, 2], "cluster status lists both members: {view}");
    for member in members {
        assert_eq!(member.get("health").and_then(Value::as_str), Some("up"), "every member is up: {member}");
    }
    assert!(view.get("leader_id").and_then(Value::as_u64).is_some(), "cluster status names the leader: {view}");
}
