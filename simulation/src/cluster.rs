//! The simulated world the real replicas run in: network links, disks, clocks, restarts.
//!
//! Each node is a real [`Replica`] (openraft, the log store and state machine over
//! [`SimStore`], the domain) started exactly as the node binary starts one, except for the I/O
//! seams: [`SimTransport`] instead of HTTPS, a fenced [`SimStore`] instead of RocksDB, a
//! [`SimClock`] instead of the system clock, and `Flush::Inline` instead of a flusher thread.
//! Everything shares one current-thread Tokio runtime with a paused clock, so the whole cluster
//! runs on one thread in virtual time, and every random choice the network makes comes from
//! one generator seeded by the run.
//!
//! A crash is abrupt: the node's store is fenced first (its tasks can no longer write), then
//! loses what was not synced, then the old Raft instance is stopped. Messages to a crashed node
//! are refused, messages from it that were in flight are dropped, and replies it owes vanish.
//! Each incarnation is assembled by `tandem_actors::NodeHost`, the function that assembles the
//! node binary's: the replica, the edge (event log and fan-out) and the actors (`LeaderTimers`).
//! A crash aborts the actors' and the edge's tasks (with every proposal in flight), and a
//! restart starts a new host.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tandem_actors::{Edge, NodeHost, NodeSeams, Queues, ReplicaCore, Tasks};
use tandem_domain::{Entry, Outcome};
use tandem_raft::clock::Clock;
use tandem_raft::service::Caller;
use tandem_raft::{Flush, Member, NodeId, Replica, SharedState, Side, Transport, TransportError, WriteError};
use tandem_storage::{Batch, Cf, Durability, KeyValue, SimFaults, SimStore, StorageError, Store};
use tokio::time::Instant;

/// Milliseconds since the Unix epoch when every simulation starts (2023-11-14).
pub const EPOCH_MS: u64 = 1_700_000_000_000;
/// How often the leader's deadline timer looks for due deadlines (the node's `TIMER_TICK_MS`).
pub const LEADER_TIMER_TICK: Duration = Duration::from_millis(50);
/// How long a node's write may wait for a leader (the node's default).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Applied events a simulated node keeps for desk sessions to resume from.
const EVENT_LOG_RETAINED_MAX: usize = 20_000;
/// Retired state handles kept per node, for checking acknowledgements made before a crash.
const RETIRED_STATE_COUNT_MAX: usize = 4;

/// One direction of one link: what the network does to messages on it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Link {
    pub cut: bool,
    pub extra_delay_ms: u64,
    pub jitter_ms: u64,
    pub loss_per_mille: u32,
    pub duplicate_per_mille: u32,
}

/// Counters of what the network did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    pub message_count: u64,
    pub dropped_count: u64,
    pub duplicated_count: u64,
}

/// A running node incarnation's parts that desktops' agent actors are built from.
pub struct DeskSeams {
    pub incarnation: u64,
    pub core: ReplicaCore<SimTransport>,
    pub edge: Edge,
    pub queues: Queues<ReplicaCore<SimTransport>>,
    pub tasks: Tasks,
    #[cfg(feature = "planted-bugs")]
    pub plants: crate::desktops::DeskPlants,
}

/// One node as the world sees it: its disk survives crashes, its process does not.
pub struct Slot {
    pub side: Side,
    pub store: SimStore,
    pub replica: Option<Arc<Replica<SimTransport>>>,
    pub incarnation: u64,
    pub clock: Arc<SimClock>,
    fence: Arc<AtomicBool>,
    /// The running incarnation, assembled as the node binary assembles one; a crash ends its
    /// actors and edge at once.
    host: Option<NodeHost<SimTransport>>,
    /// State handles of earlier incarnations: what they had applied when they crashed.
    pub retired: Vec<SharedState>,
}

struct World {
    rng: ChaCha8Rng,
    links: BTreeMap<(NodeId, NodeId), Link>,
    nodes: BTreeMap<NodeId, Slot>,
    stats: NetStats,
    #[cfg(feature = "planted-bugs")]
    early_ack: bool,
    #[cfg(feature = "planted-bugs")]
    desk_plants: crate::desktops::DeskPlants,
}

/// The shared world. Cheap to clone through `Arc`; the lock is never held across an await.
pub struct Cluster {
    world: Mutex<World>,
    started: Instant,
}

/// Why a client's write got no outcome from the node it asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The node is down: the desktop reconnects to the other side.
    Unreachable,
    /// The node crashed while the write was in flight: the answer is lost.
    Lost,
    /// The node answered with an error (no leader within the write timeout, ...).
    Write(WriteError),
}

impl Cluster {
    pub fn new(seed: u64) -> Arc<Cluster> {
        let world = World {
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6e65_7477_6f72_6b00),
            links: BTreeMap::new(),
            nodes: BTreeMap::new(),
            stats: NetStats::default(),
            #[cfg(feature = "planted-bugs")]
            early_ack: false,
            #[cfg(feature = "planted-bugs")]
            desk_plants: crate::desktops::DeskPlants::default(),
        };
        Arc::new(Cluster { world: Mutex::new(world), started: Instant::now() })
    }

    fn world(&self) -> MutexGuard<'_, World> {
        // Everything runs on one thread; a poisoned lock means a panic already failed the run.
        match self.world.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Simulated milliseconds since the run started.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Adds a node slot with an empty disk, unless the node already has one (its disk stays).
    pub fn add_slot(self: &Arc<Self>, id: NodeId, side: Side) {
        if self.world().nodes.contains_key(&id) {
            return;
        }
        let clock =
            Arc::new(SimClock { started: self.started, offset_ms: AtomicI64::new(0), drift_ppm: AtomicI64::new(0) });
        let slot = Slot {
            side,
            store: SimStore::new(),
            replica: None,
            incarnation: 0,
            clock,
            fence: Arc::new(AtomicBool::new(true)),
            host: None,
            retired: Vec::new(),
        };
        self.world().nodes.insert(id, slot);
    }

    /// Plants the desk host's bugs: a gap after a resume, or a leak in the catch-up.
    #[cfg(feature = "planted-bugs")]
    pub fn plant_desk(&self, plants: crate::desktops::DeskPlants) {
        self.world().desk_plants = plants;
    }

    /// Plants bug (b): from now on nodes answer writes before committing them.
    #[cfg(feature = "planted-bugs")]
    pub fn plant_early_ack(&self) {
        self.world().early_ack = true;
    }

    pub fn node_ids(&self) -> Vec<NodeId> {
        self.world().nodes.keys().copied().collect()
    }

    pub fn side(&self, id: NodeId) -> Option<Side> {
        self.world().nodes.get(&id).map(|slot| slot.side)
    }

    pub fn replica(&self, id: NodeId) -> Option<Arc<Replica<SimTransport>>> {
        self.world().nodes.get(&id).and_then(|slot| slot.replica.clone())
    }

    pub fn store(&self, id: NodeId) -> Option<SimStore> {
        self.world().nodes.get(&id).map(|slot| slot.store.clone())
    }

    pub fn clock(&self, id: NodeId) -> Option<Arc<SimClock>> {
        self.world().nodes.get(&id).map(|slot| slot.clock.clone())
    }

    pub fn is_up(&self, id: NodeId) -> bool {
        self.world().nodes.get(&id).is_some_and(|slot| slot.replica.is_some())
    }

    /// Every state handle a node has had: the running one and those of crashed incarnations.
    pub fn states_ever(&self, id: NodeId) -> Vec<SharedState> {
        let world = self.world();
        let Some(slot) = world.nodes.get(&id) else { return Vec::new() };
        let mut states = slot.retired.clone();
        states.extend(slot.replica.as_ref().map(|replica| replica.state()));
        states
    }

    pub fn stats(&self) -> NetStats {
        self.world().stats
    }

    pub fn member(id: NodeId, side: Side) -> Member {
        Member { side, raft_addr: address(id), api_url: format!("sim://{}", address(id)) }
    }

    /// Starts (or restarts) a node's process on its disk.
    pub async fn start(self: &Arc<Self>, id: NodeId) -> Result<(), String> {
        let (store, clock, incarnation) = {
            let mut world = self.world();
            let Some(slot) = world.nodes.get_mut(&id) else { return Err(format!("no node {id}")) };
            if slot.replica.is_some() {
                return Ok(());
            }
            slot.incarnation += 1;
            slot.fence = Arc::new(AtomicBool::new(false));
            let store = FencedStore { store: slot.store.clone(), fenced: slot.fence.clone() };
            (store, slot.clock.clone(), slot.incarnation)
        };
        let seams = NodeSeams {
            node_id: id,
            cluster_name: "tandem-sim",
            timing: RAFT_TIMING,
            write_timeout: WRITE_TIMEOUT,
            flush: Flush::Inline,
            store: Arc::new(store),
            transport: SimTransport { from: id, incarnation, cluster: self.clone() },
            clock,
            event_log_retained_max: EVENT_LOG_RETAINED_MAX,
            timer_tick: LEADER_TIMER_TICK,
        };
        let host = NodeHost::start(seams).await?;
        let mut world = self.world();
        let Some(slot) = world.nodes.get_mut(&id) else { return Err(format!("no node {id}")) };
        slot.replica = Some(host.replica.clone());
        slot.host = Some(host);
        Ok(())
    }

    /// Power loss: fence the disk, lose unsynced writes, stop the process.
    pub async fn crash(self: &Arc<Self>, id: NodeId) {
        let replica = {
            let mut world = self.world();
            let Some(slot) = world.nodes.get_mut(&id) else { return };
            let Some(replica) = slot.replica.take() else { return };
            if let Some(host) = slot.host.take() {
                host.abort();
            }
            slot.fence.store(true, Ordering::SeqCst);
            slot.store.crash();
            slot.retired.push(replica.state());
            if slot.retired.len() > RETIRED_STATE_COUNT_MAX {
                slot.retired.remove(0);
            }
            replica
        };
        // The process is gone; stopping the old instance only ends its tasks. Its disk is fenced,
        // so nothing it does meanwhile reaches the store. Its outcome does not matter.
        let _ = tokio::time::timeout(Duration::from_secs(2), replica.raft().shutdown()).await;
    }

    /// What a desktop's agent actor on a node is built from: the running incarnation's core,
    /// edge and tasks (its crash ends the actors with them). `None` if the node is down.
    pub fn desk_seams(&self, id: NodeId) -> Option<DeskSeams> {
        let world = self.world();
        let slot = world.nodes.get(&id)?;
        let host = slot.host.as_ref()?;
        Some(DeskSeams {
            incarnation: slot.incarnation,
            core: host.core.clone(),
            edge: host.edge.clone(),
            queues: host.queues.clone(),
            tasks: host.tasks.clone(),
            #[cfg(feature = "planted-bugs")]
            plants: world.desk_plants,
        })
    }

    /// Arms a disk fault on a node: the next write or sync fails.
    pub fn inject_disk(&self, id: NodeId, faults: SimFaults) {
        if let Some(slot) = self.world().nodes.get(&id) {
            slot.store.inject(faults);
        }
    }

    pub fn link(&self, from: NodeId, to: NodeId) -> Link {
        self.world().links.get(&(from, to)).copied().unwrap_or_default()
    }

    pub fn set_link(&self, from: NodeId, to: NodeId, link: Link) {
        let mut world = self.world();
        if link == Link::default() {
            world.links.remove(&(from, to));
        } else {
            world.links.insert((from, to), link);
        }
    }

    pub fn heal_all_links(&self) {
        self.world().links.clear();
    }

    /// Draws the fate of one message on a link: its delay, and whether it is lost or doubled.
    fn plan(&self, from: NodeId, to: NodeId) -> Plan {
        let mut world = self.world();
        let link = world.links.get(&(from, to)).copied().unwrap_or_default();
        let same_side = world.nodes.get(&from).map(|s| s.side) == world.nodes.get(&to).map(|s| s.side);
        let base = if same_side { world.rng.gen_range(1..=2) } else { world.rng.gen_range(2..=8) };
        let jitter = if link.jitter_ms > 0 { world.rng.gen_range(0..=link.jitter_ms) } else { 0 };
        let lost = link.loss_per_mille > 0 && world.rng.gen_range(0..1000) < link.loss_per_mille;
        let duplicate = link.duplicate_per_mille > 0 && world.rng.gen_range(0..1000) < link.duplicate_per_mille;
        world.stats.message_count += 1;
        if lost {
            world.stats.dropped_count += 1;
        }
        if duplicate {
            world.stats.duplicated_count += 1;
        }
        Plan { delay: Duration::from_millis(base + link.extra_delay_ms + jitter), lost, duplicate }
    }

    /// The target's replica if the link delivers now; `Err(true)` if the node is down (refused),
    /// `Err(false)` if the link is cut (silence).
    fn reachable(&self, from: NodeId, to: NodeId) -> Result<(Arc<Replica<SimTransport>>, u64), bool> {
        let world = self.world();
        let sender_up = world.nodes.get(&from).is_some_and(|slot| slot.replica.is_some());
        if !sender_up || world.links.get(&(from, to)).is_some_and(|link| link.cut) {
            return Err(false);
        }
        match world.nodes.get(&to) {
            Some(Slot { replica: Some(replica), incarnation, .. }) => Ok((replica.clone(), *incarnation)),
            _ => Err(true),
        }
    }

    pub fn incarnation(&self, id: NodeId) -> Option<u64> {
        let world = self.world();
        world.nodes.get(&id).filter(|slot| slot.replica.is_some()).map(|slot| slot.incarnation)
    }

    async fn deliver(
        self: Arc<Self>,
        from: NodeId,
        to: NodeId,
        path: &'static str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, TransportError> {
        let plan = self.plan(from, to);
        let sender = self.incarnation(from);
        tokio::time::sleep(plan.delay).await;
        if self.incarnation(from) != sender {
            return std::future::pending().await;
        }
        let (replica, incarnation) = match self.reachable(from, to) {
            Ok(target) => target,
            Err(true) => return Err(TransportError::Unreachable(address(to))),
            Err(false) => return std::future::pending().await,
        };
        if plan.lost {
            return std::future::pending().await;
        }
        if plan.duplicate {
            let copy = replica.clone();
            let body = body.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(3)).await;
                // The copy's answer goes nowhere, as a duplicated packet's would.
                let _ = copy.handle_rpc(path, &body, &Caller::Node(from)).await;
            });
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let result = replica.handle_rpc(path, &body, &Caller::Node(from)).await.map_err(|e| e.to_string());
            // The caller may have given up; then nobody listens.
            let _ = reply.send(result);
        });
        let Ok(result) = answer.await else { return std::future::pending().await };
        let back = self.plan(to, from);
        tokio::time::sleep(back.delay).await;
        let cut = self.link(to, from).cut;
        if back.lost || cut || self.incarnation(to) != Some(incarnation) || self.incarnation(from) != sender {
            return std::future::pending().await;
        }
        result.map_err(TransportError::Network)
    }

    /// A desktop or client sends a write to one node and waits for its answer.
    pub async fn client_write(self: &Arc<Self>, node: NodeId, entry: Entry) -> Result<Outcome, ClientError> {
        let delay = Duration::from_millis(self.world().rng.gen_range(1..=3));
        tokio::time::sleep(delay).await;
        let (replica, incarnation) = {
            let world = self.world();
            match world.nodes.get(&node) {
                Some(Slot { replica: Some(replica), incarnation, .. }) => (replica.clone(), *incarnation),
                _ => return Err(ClientError::Unreachable),
            }
        };
        #[cfg(feature = "planted-bugs")]
        if self.world().early_ack {
            // Planted bug (b): answer first, replicate later.
            tokio::spawn(async move {
                let _ = replica.write(entry).await;
            });
            tokio::time::sleep(delay).await;
            return Ok(Outcome::Applied(tandem_domain::Applied::default()));
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let _ = reply.send(replica.write(entry).await);
        });
        let Ok(result) = answer.await else { return Err(ClientError::Lost) };
        tokio::time::sleep(delay).await;
        if self.incarnation(node) != Some(incarnation) {
            return Err(ClientError::Lost);
        }
        result.map_err(ClientError::Write)
    }
}

struct Plan {
    delay: Duration,
    lost: bool,
    duplicate: bool,
}

pub fn address(id: NodeId) -> String {
    format!("node-{id}")
}

fn node_of(address: &str) -> Option<NodeId> {
    address.strip_prefix("node-")?.parse().ok()
}

/// The simulated nodes' Raft timing: the node binary's defaults, with snapshots often enough
/// to exercise them.
const RAFT_TIMING: tandem_raft::RaftTiming = tandem_raft::RaftTiming {
    heartbeat_ms: 100,
    election_timeout_min_ms: 400,
    election_timeout_max_ms: 800,
    snapshot_every_entries: 2_000,
    keep_entries_after_snapshot: 500,
};

/// The node-to-node transport of one node: every call crosses the simulated network.
#[derive(Clone)]
pub struct SimTransport {
    from: NodeId,
    /// The sender's incarnation: a crashed process's leftover tasks must not reach anyone.
    incarnation: u64,
    cluster: Arc<Cluster>,
}

impl Transport for SimTransport {
    async fn call(
        &self,
        _target: NodeId,
        raft_addr: &str,
        path: &'static str,
        body: Vec<u8>,
        deadline: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let Some(to) = node_of(raft_addr) else { return Err(TransportError::Unreachable(raft_addr.to_string())) };
        if self.cluster.incarnation(self.from) != Some(self.incarnation) {
            return Err(TransportError::Unreachable(raft_addr.to_string()));
        }
        let delivery = self.cluster.clone().deliver(self.from, to, path, body);
        match tokio::time::timeout(deadline, delivery).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Network(format!("no answer from {raft_addr} within {deadline:?}"))),
        }
    }
}

/// A node's wall clock in virtual time, which faults can jump or make drift.
pub struct SimClock {
    started: Instant,
    offset_ms: AtomicI64,
    drift_ppm: AtomicI64,
}

impl SimClock {
    pub fn jump(&self, by_ms: i64) {
        self.offset_ms.fetch_add(by_ms, Ordering::SeqCst);
    }

    pub fn set_drift_ppm(&self, ppm: i64) {
        self.drift_ppm.store(ppm, Ordering::SeqCst);
    }

    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::SeqCst);
        self.drift_ppm.store(0, Ordering::SeqCst);
    }
}

impl Clock for SimClock {
    fn now_ms(&self) -> u64 {
        let elapsed = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let drift = elapsed.saturating_mul(self.drift_ppm.load(Ordering::SeqCst)) / 1_000_000;
        let skew = self.offset_ms.load(Ordering::SeqCst).saturating_add(drift);
        let now = i64::try_from(EPOCH_MS).unwrap_or(i64::MAX).saturating_add(elapsed).saturating_add(skew);
        u64::try_from(now).unwrap_or(0)
    }
}

/// A node's view of its disk: the shared [`SimStore`], cut off once the process crashed.
struct FencedStore {
    store: SimStore,
    fenced: Arc<AtomicBool>,
}

impl FencedStore {
    fn check(&self, verb: &'static str) -> Result<(), StorageError> {
        if self.fenced.load(Ordering::SeqCst) {
            return Err(StorageError { verb, cf: "any", message: "the process crashed".into() });
        }
        Ok(())
    }
}

impl Store for FencedStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.check("get")?;
        self.store.get(cf, key)
    }

    fn write(&self, batch: Batch, durability: Durability) -> Result<(), StorageError> {
        self.check("write")?;
        self.store.write(batch, durability)
    }

    fn scan(&self, cf: Cf, from: &[u8], to: Option<&[u8]>, limit: u32) -> Result<Vec<KeyValue>, StorageError> {
        self.check("scan")?;
        self.store.scan(cf, from, to, limit)
    }

    fn last(&self, cf: Cf) -> Result<Option<KeyValue>, StorageError> {
        self.check("last")?;
        self.store.last(cf)
    }

    fn sync(&self) -> Result<(), StorageError> {
        self.check("sync")?;
        self.store.sync()
    }
}
