//! Acceptance: a node added to a live cluster catches up from a snapshot, is promoted, and the
//! witness is removed, while a client keeps writing and loses nothing.
//!
//! Snapshots every 50 entries and keeping 10 behind them means that after 300 writes the leader
//! has purged the start of its log, so a new node cannot catch up from the log alone.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tandem_tests::{
    check_listed, create_many, create_with_retry, wait_until, ApiClient, Cluster, CreateOutcome, RaftTuning,
};

/// Skills written before the new node joins: enough for several snapshots and a purge.
const INITIAL_SKILL_COUNT: usize = 400;
/// Most skills the background writer creates (400 + 400 stays under the domain's 1000 skills).
const BACKGROUND_SKILL_COUNT_MAX: usize = 400;
/// Pause between background writes, so the writer spans the membership changes without racing
/// to its cap.
const BACKGROUND_WRITE_PAUSE: Duration = Duration::from_millis(50);
/// Background writes that must be acknowledged after the witness is removed.
const WRITES_AFTER_REMOVAL_COUNT: usize = 10;
/// How long catching up, membership changes and convergence may each take.
const STEP_TIMEOUT: Duration = Duration::from_secs(40);
const WITNESS: u64 = 3;
const NEW_NODE: u64 = 4;

/// The background writer's shared state.
struct Writer {
    targets: Vec<(u64, ApiClient)>,
    stop: AtomicBool,
    acknowledged: Mutex<Vec<Value>>,
    acknowledged_count: AtomicUsize,
    failures: Mutex<Vec<String>>,
}

#[test]
fn new_node_catches_up_from_a_snapshot_then_replaces_the_witness() {
    let tuning = RaftTuning { snapshot_every_entries: 50, keep_entries_after_snapshot: 10, ..RaftTuning::fast() };
    let mut cluster = Cluster::new(&[(1, "a"), (2, "b"), (WITNESS, "witness")], tuning);
    for id in [1, 2] {
        cluster.start(id);
    }
    cluster.wait_for_leader();
    cluster.start(WITNESS);
    cluster.wait_healthy(WITNESS);
    let leader = cluster.wait_for_leader();

    let targets: Vec<(u64, ApiClient)> = [1, 2].iter().map(|id| (*id, cluster.client(*id))).collect();
    let items = (0..INITIAL_SKILL_COUNT)
        .map(|index| (format!("membership-skill-{index}"), json!({ "name": format!("Skill {index:03}") })))
        .collect();
    let mut expected: BTreeMap<u64, Value> = BTreeMap::new();
    for report in create_many(&targets, "/api/v1/skills", items, 4) {
        let entity = report.expect_created("an initial skill").clone();
        expected.insert(id_of(&entity), entity);
    }
    assert_eq!(expected.len(), INITIAL_SKILL_COUNT);

    let purged = wait_until(STEP_TIMEOUT, &format!("leader {leader} to purge log entries behind a snapshot"), || {
        let status = cluster.status(leader)?;
        match status.purged_index {
            Some(index) if index > 0 => Ok(index),
            other => Err(format!("purged_index {other:?}, snapshot_index {:?}", status.snapshot_index)),
        }
    });
    eprintln!("leader {leader} purged its log up to index {purged}");

    cluster.add_joining_node(NEW_NODE, "b");
    cluster.start(NEW_NODE);
    cluster.wait_healthy(NEW_NODE);

    let writer = Writer {
        targets,
        stop: AtomicBool::new(false),
        acknowledged: Mutex::new(Vec::new()),
        acknowledged_count: AtomicUsize::new(0),
        failures: Mutex::new(Vec::new()),
    };
    std::thread::scope(|scope| {
        scope.spawn(|| write_in_background(&writer));
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| change_membership(&cluster, &writer, purged)));
        writer.stop.store(true, Ordering::SeqCst);
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    });

    let failures = writer.failures.into_inner().expect("failures lock");
    assert!(failures.is_empty(), "background writes not acknowledged:\n{}", failures.join("\n"));
    let background = writer.acknowledged.into_inner().expect("acknowledged lock");
    eprintln!("{} background skills acknowledged during the membership changes", background.len());
    for entity in background {
        let id = id_of(&entity);
        assert!(expected.insert(id, entity).is_none(), "two acknowledged creates returned id {id}");
    }

    for id in [1, 2, NEW_NODE] {
        wait_members(&cluster, id);
        wait_converged(&cluster, id, &expected);
    }
}

/// Adds node 4 as a learner, waits for it to catch up, checks it was sent a snapshot, promotes it
/// and removes the witness. Runs while the background writer writes.
fn change_membership(cluster: &Cluster, writer: &Writer, purged: u64) {
    let node = cluster.node(NEW_NODE);
    let body = json!({
        "node_id": NEW_NODE,
        "side": "b",
        "raft_addr": node.raft_addr().expect("a raft address"),
        "api_url": node.api_url(),
    });
    // Sent to node 2, which forwards it if it does not lead.
    let reply = cluster.client(2).post("/api/v1/cluster/nodes", &body).expect("POST /cluster/nodes");
    assert_eq!(reply.status, 202, "adding node {NEW_NODE} as a learner: {}", reply.text);

    let caught_up = wait_until(STEP_TIMEOUT, &format!("learner {NEW_NODE} to catch up with the leader"), || {
        let leader = cluster.leader_id().ok_or("no leader")?;
        let leader_applied = cluster.status(leader)?.applied_index;
        let status = cluster.status(NEW_NODE)?;
        if status.applied_index.is_some() && status.applied_index >= leader_applied {
            Ok(status)
        } else {
            Err(format!(
                "node {NEW_NODE} applied {:?}, leader {leader} applied {leader_applied:?}",
                status.applied_index
            ))
        }
    });
    eprintln!("node {NEW_NODE} caught up: {caught_up:?}");
    assert_eq!(caught_up.role, "learner", "node {NEW_NODE} is a learner until promoted");
    let snapshot = caught_up.snapshot_index.unwrap_or_else(|| {
        panic!("node {NEW_NODE} caught up without a snapshot although the leader purged up to {purged}: {caught_up:?}")
    });
    assert!(
        snapshot >= purged,
        "node {NEW_NODE}'s snapshot ends at {snapshot}, before the leader's purge point {purged}"
    );

    let reply = cluster.client(1).post(&format!("/api/v1/cluster/nodes/{NEW_NODE}/promote"), &json!({}));
    let reply = reply.expect("POST promote");
    assert_eq!(reply.status, 200, "promoting node {NEW_NODE}: {}", reply.text);
    let reply = cluster.client(1).delete(&format!("/api/v1/cluster/nodes/{WITNESS}")).expect("DELETE the witness");
    assert_eq!(reply.status, 204, "removing the witness: {}", reply.text);

    let after_removal = writer.acknowledged_count.load(Ordering::SeqCst);
    wait_until(STEP_TIMEOUT, "background writes acknowledged after the witness was removed", || {
        let count = writer.acknowledged_count.load(Ordering::SeqCst) - after_removal;
        let failed = writer.failures.lock().expect("failures lock").len();
        if failed > 0 {
            panic!("background writes failed: {:?}", writer.failures.lock().expect("failures lock"));
        }
        if count >= WRITES_AFTER_REMOVAL_COUNT {
            Ok(())
        } else {
            Err(format!("{count} acknowledged since the removal"))
        }
    });
}

/// Creates skills one at a time until told to stop, retrying each with its key.
fn write_in_background(writer: &Writer) {
    let started = Instant::now();
    for index in 0..BACKGROUND_SKILL_COUNT_MAX {
        if writer.stop.load(Ordering::SeqCst) || started.elapsed() > 3 * STEP_TIMEOUT {
            return;
        }
        let key = format!("membership-background-{index}");
        let body = json!({ "name": format!("Background {index:03}") });
        let target = |attempt: u32| writer.targets[(index + attempt as usize) % writer.targets.len()].clone();
        let report = create_with_retry(target, "/api/v1/skills", &body, &key);
        match report.outcome {
            CreateOutcome::Created(entity) => {
                writer.acknowledged.lock().expect("acknowledged lock").push(entity);
                writer.acknowledged_count.fetch_add(1, Ordering::SeqCst);
            }
            CreateOutcome::Refused(reply) => {
                let failure = format!("{key}: refused by node {}: {} {}", report.answered_by, reply.status, reply.text);
                writer.failures.lock().expect("failures lock").push(failure);
            }
            CreateOutcome::GaveUp(message) => writer.failures.lock().expect("failures lock").push(message),
        }
        std::thread::sleep(BACKGROUND_WRITE_PAUSE);
    }
}

/// Waits until node `id` sees voters 1, 2 and 4, no learners, and no node 3.
fn wait_members(cluster: &Cluster, id: u64) {
    wait_until(STEP_TIMEOUT, &format!("node {id} to see voters [1, 2, 4] and no witness"), || {
        let status = cluster.status(id)?;
        let members: Vec<u64> = status.members.keys().copied().collect();
        if status.voters == [1, 2, NEW_NODE] && status.learners.is_empty() && members == [1, 2, NEW_NODE] {
            Ok(())
        } else {
            Err(format!("voters {:?}, learners {:?}, members {members:?}", status.voters, status.learners))
        }
    });
}

/// Waits until node `id` lists exactly the acknowledged skills.
fn wait_converged(cluster: &Cluster, id: u64, expected: &BTreeMap<u64, Value>) {
    let client = cluster.client(id);
    wait_until(STEP_TIMEOUT, &format!("node {id} to list every acknowledged skill"), || {
        let list = client.list("skills")?;
        check_listed(&list, expected, "name")?;
        if list.len() != expected.len() {
            return Err(format!("{} skills listed, {} acknowledged", list.len(), expected.len()));
        }
        Ok(())
    });
}

fn id_of(entity: &Value) -> u64 {
    entity.get("id").and_then(Value::as_u64).unwrap_or_else(|| panic!("no id in {entity}"))
}
