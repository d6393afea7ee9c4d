//! In-process clusters of real `Replica`s over an in-memory transport and `SimStore`s:
//! forwarding, elections, snapshots, membership changes, restart and two-node recovery,
//! without processes or sockets (the black-box tests in `tests/` do the same with processes).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tandem_domain::ConfigCommand;

use tandem_domain::{Command, Entry, Outcome, RequestId, SkillSpec};
use tandem_raft::clock::Clock;
use tandem_raft::service::Caller;
use tandem_raft::{Flush, Member, NodeId, Replica, ReplicaConfig, Side, Transport, TransportError, WriteError};
use tandem_storage::{SimStore, Store};

#[derive(Default)]
struct Registry {
    replicas: BTreeMap<String, Weak<Replica<MemTransport>>>,
    down: BTreeSet<String>,
}

/// Calls the target replica's RPC handler directly; a "down" address is unreachable.
#[derive(Clone, Default)]
struct MemTransport {
    registry: Arc<Mutex<Registry>>,
    /// The node this copy of the transport sends for.
    from: NodeId,
}

impl Transport for MemTransport {
    async fn call(
        &self,
        _target: NodeId,
        raft_addr: &str,
        path: &'static str,
        body: Vec<u8>,
        deadline: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let target = {
            let registry = self.registry.lock().unwrap();
            if registry.down.contains(raft_addr) {
                return Err(TransportError::Unreachable(raft_addr.to_string()));
            }
            registry.replicas.get(raft_addr).and_then(Weak::upgrade)
        };
        let Some(target) = target else { return Err(TransportError::Unreachable(raft_addr.to_string())) };
        match tokio::time::timeout(deadline, target.handle_rpc(path, &body, &Caller::Node(self.from))).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => Err(TransportError::Network(e.to_string())),
            Err(_) => Err(TransportError::Network("deadline".into())),
        }
    }
}

struct FixedClock;
impl Clock for FixedClock {
    fn now_ms(&self) -> u64 {
        1_700_000_000_000
    }
}

struct TestCluster {
    transport: MemTransport,
    replicas: BTreeMap<NodeId, Arc<Replica<MemTransport>>>,
    stores: BTreeMap<NodeId, SimStore>,
    snapshot_every: u64,
}

fn addr(id: NodeId) -> String {
    format!("node-{id}")
}

fn member(id: NodeId) -> Member {
    let side = match id {
        1 => Side::A,
        3 => Side::Witness,
        _ => Side::B,
    };
    Member { side, raft_addr: addr(id), api_url: format!("http://node-{id}") }
}

impl TestCluster {
    fn new(snapshot_every: u64) -> TestCluster {
        TestCluster {
            transport: MemTransport::default(),
            replicas: BTreeMap::new(),
            stores: BTreeMap::new(),
            snapshot_every,
        }
    }

    async fn start(&mut self, id: NodeId) -> Arc<Replica<MemTransport>> {
        let store = self.stores.entry(id).or_default().clone();
        let raft = openraft::Config {
            heartbeat_interval: 50,
            election_timeout_min: 200,
            election_timeout_max: 400,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.snapshot_every),
            max_in_snapshot_log_to_keep: 5,
            purge_batch_size: 1,
            ..Default::default()
        };
        let config = ReplicaConfig {
            node_id: id,
            raft: Arc::new(raft.validate().unwrap()),
            write_timeout: Duration::from_secs(3),
            flush: Flush::Background,
        };
        let store: Arc<dyn Store> = Arc::new(store);
        let replica = Arc::new(
            Replica::start(config, store, MemTransport { from: id, ..self.transport.clone() }, Arc::new(FixedClock))
                .await
                .unwrap(),
        );
        let mut registry = self.transport.registry.lock().unwrap();
        registry.replicas.insert(addr(id), Arc::downgrade(&replica));
        registry.down.remove(&addr(id));
        self.replicas.insert(id, replica.clone());
        replica
    }

    async fn stop(&mut self, id: NodeId) {
        self.transport.registry.lock().unwrap().down.insert(addr(id));
        if let Some(replica) = self.replicas.remove(&id) {
            replica.raft().shutdown().await.unwrap();
        }
    }

    async fn boot(&mut self, ids: &[NodeId]) {
        for id in ids {
            self.start(*id).await;
        }
        let voters: BTreeMap<_, _> = ids.iter().map(|id| (*id, member(*id))).collect();
        self.replicas[&ids[0]].initialize(voters).await.unwrap();
    }

    fn replica(&self, id: NodeId) -> &Arc<Replica<MemTransport>> {
        &self.replicas[&id]
    }

    async fn wait_for(&self, what: &str, mut condition: impl FnMut(&TestCluster) -> bool) {
        for _ in 0..200 {
            if condition(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("timed out waiting for {what}");
    }

    fn skill_names(&self, id: NodeId) -> Vec<String> {
        self.replica(id).state().read().center.skills().map(|s| s.name.clone()).collect()
    }
}

fn create_skill(name: &str) -> Entry {
    Entry {
        request_id: Some(RequestId(format!("req-{name}"))),
        time_ms: 0,
        command: Command::Config(ConfigCommand::CreateSkill(SkillSpec { name: name.to_string() })),
        by: tandem_domain::Actor::Operator,
    }
}

async fn write(replica: &Replica<MemTransport>, name: &str) -> Result<Outcome, WriteError> {
    replica.write(create_skill(name)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_to_a_follower_are_forwarded_and_replicated_everywhere() {
    let mut cluster = TestCluster::new(1000);
    cluster.boot(&[1, 2, 3]).await;
    for index in 0..20 {
        let node = 1 + index % 3;
        let outcome = write(cluster.replica(node), &format!("skill-{index}")).await.unwrap();
        assert!(outcome.is_applied(), "{outcome:?}");
    }
    cluster.wait_for("all replicas to hold 20 skills", |c| (1..=3).all(|id| c.skill_names(id).len() == 20)).await;
    assert_eq!(cluster.skill_names(1), cluster.skill_names(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_request_applies_once() {
    let mut cluster = TestCluster::new(1000);
    cluster.boot(&[1, 2, 3]).await;
    let first = write(cluster.replica(2), "sales").await.unwrap();
    let again = write(cluster.replica(3), "sales").await.unwrap();
    assert_eq!(first, again, "the same request id returns the remembered outcome");
    cluster.wait_for("replication", |c| c.skill_names(1).len() == 1).await;
    assert_eq!(cluster.skill_names(1), vec!["sales".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_is_replaced_and_nothing_acknowledged_is_lost() {
    let mut cluster = TestCluster::new(1000);
    cluster.boot(&[1, 2, 3]).await;
    cluster.wait_for("a leader", |c| c.replica(2).raft().metrics().borrow().current_leader.is_some()).await;
    let leader = cluster.replica(2).raft().metrics().borrow().current_leader.unwrap();
    let survivor = (1..=3).find(|id| *id != leader).unwrap();
    for index in 0..10 {
        assert!(write(cluster.replica(survivor), &format!("before-{index}")).await.unwrap().is_applied());
    }
    cluster.stop(leader).await;
    for index in 0..10 {
        assert!(write(cluster.replica(survivor), &format!("after-{index}")).await.unwrap().is_applied());
    }
    // The old leader restarts from its store and catches up.
    cluster.start(leader).await;
    cluster.wait_for("the old leader to catch up", |c| c.skill_names(leader).len() == 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_node_catches_up_from_a_snapshot_then_the_witness_leaves() {
    let mut cluster = TestCluster::new(20);
    cluster.boot(&[1, 2, 3]).await;
    for index in 0..100 {
        assert!(write(cluster.replica(1), &format!("skill-{index}")).await.unwrap().is_applied());
    }
    cluster
        .wait_for("the leader to purge its log", |c| {
            (1..=3).any(|id| c.replica(id).raft().metrics().borrow().purged.is_some_and(|p| p.index > 0))
        })
        .await;
    cluster.start(4).await;
    cluster.replica(2).add_learner(4, member(4)).await.unwrap();
    cluster.wait_for("node 4 to catch up", |c| c.skill_names(4).len() == 100).await;
    let snapshot = cluster.replica(4).raft().metrics().borrow().snapshot;
    assert!(snapshot.is_some(), "node 4 installed a snapshot: the log it needed was purged");
    cluster.replica(1).promote(4).await.unwrap();
    cluster.replica(2).remove(3).await.unwrap();
    cluster
        .wait_for("voters 1, 2, 4", |c| {
            let metrics = c.replica(1).raft().metrics().borrow().clone();
            metrics.membership_config.membership().voter_ids().collect::<Vec<_>>() == vec![1, 2, 4]
        })
        .await;
    cluster.stop(3).await;
    assert!(write(cluster.replica(4), "after-membership-change").await.unwrap().is_applied());
    cluster.wait_for("replication to node 2", |c| c.skill_names(2).len() == 101).await;
}

/// Seed 17924 of the simulator (docs/decisions/0020): openraft 0.9 keeps a leader that committed
/// its own removal in office until its next tick, and a membership change that reaches it then
/// panicked its Raft core ("Only leader is allowed to call update_effective_membership()"). With
/// its tick off, the removed leader stays in that window for as long as the test needs; the
/// retried removal must be refused (the caller would ask the next leader), not crash the node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_removed_itself_refuses_further_membership_changes_instead_of_panicking() {
    let mut cluster = TestCluster::new(1000);
    cluster.boot(&[1, 2, 3]).await;
    cluster.wait_for("a leader", |c| c.replica(2).raft().metrics().borrow().current_leader.is_some()).await;
    let leader = cluster.replica(2).raft().metrics().borrow().current_leader.unwrap();
    let removed = cluster.replica(leader);
    removed.raft().runtime_config().tick(false);
    removed.remove(leader).await.unwrap();
    let metrics = removed.raft().metrics().borrow().clone();
    assert_eq!(metrics.current_leader, Some(leader), "without a tick the removed leader has not stepped down");
    assert!(metrics.membership_config.membership().get_node(&leader).is_none(), "{metrics:?}");

    let retried = removed.remove(leader).await;
    assert!(matches!(retried, Err(WriteError::NoLeader { .. })), "refused until the deadline: {retried:?}");
    let running = removed.raft().metrics().borrow().running_state.clone();
    assert!(running.is_ok(), "the removed leader's Raft core is still running: {running:?}");

    let survivor = (1..=3).find(|id| *id != leader).unwrap();
    assert!(write(cluster.replica(survivor), "after-removal").await.unwrap().is_applied());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_stop_on_a_loss_and_force_single_restores_writes() {
    let mut cluster = TestCluster::new(1000);
    cluster.boot(&[1, 2]).await;
    assert!(write(cluster.replica(1), "before").await.unwrap().is_applied());
    cluster.stop(2).await;
    let error = write(cluster.replica(1), "during").await.unwrap_err();
    assert!(matches!(error, WriteError::NoLeader { .. }), "{error:?}");
    assert!(error.to_string().contains("force-single"), "{error}");

    cluster.replica(1).force_single().await.unwrap();
    assert!(write(cluster.replica(1), "after").await.unwrap().is_applied());
    let names = cluster.skill_names(1);
    assert!(names.contains(&"before".to_string()) && names.contains(&"after".to_string()), "{names:?}");
    let voters: Vec<_> =
        cluster.replica(1).raft().metrics().borrow().membership_config.membership().voter_ids().collect();
    assert_eq!(voters, vec![1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_single_node_rebuilds_its_state_from_checkpoint_and_log() {
    let mut cluster = TestCluster::new(7);
    cluster.boot(&[1]).await;
    for index in 0..30 {
        assert!(write(cluster.replica(1), &format!("skill-{index}")).await.unwrap().is_applied());
    }
    let before = cluster.skill_names(1);
    cluster.stop(1).await;
    // A crash loses only what was not synced; the log and checkpoints were.
    cluster.stores[&1].crash();
    cluster.start(1).await;
    cluster.wait_for("state rebuilt", |c| c.skill_names(1) == before).await;
}
