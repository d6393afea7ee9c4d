//! Event fan-out to desktop sessions: each applied event is matched once against the sessions
//! it reaches and queued to each of them.
//!
//! A node may hold ten thousand sessions. Having every session read and filter every event
//! would cost sessions × events; instead one pump reads the event log, asks the domain who an
//! event reaches (`Center::event_reach`), and looks the sessions up by agent and team. A session
//! subscribes at a position: events after it arrive on its queue; events up to it the session
//! reads from the event log itself (its catch-up after a failover), so nothing is missed or
//! sent twice. A session that does not keep up (its queue is full) is dropped rather than
//! allowed to grow without bound: its client resumes from its last index.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tandem_domain::{AgentId, Center, Reach, TeamId, Viewer};
use tokio::sync::mpsc;

use crate::event_log::{EventLog, EventRead, RetainedEvent};
use crate::Core;

/// Events queued for one session before it counts as not keeping up.
pub const SESSION_QUEUE_MAX: usize = 8_192;
/// Events the pump reads from the log at a time.
const EVENTS_PER_READ_MAX: usize = 1_024;

/// What a session's queue delivers.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// An event for the session, with its JSON rendered once for every session it reaches.
    Event(RetainedEvent, Arc<str>),
    /// The pump lost events (the log restarted after a snapshot): reload the view.
    Resync,
}

/// A session's subscription: its queue, and the index up to which it must read the event log
/// itself.
pub struct Subscription {
    /// The key to unsubscribe with.
    pub key: u64,
    /// Every event after `position` that the session sees, in order.
    pub queue: mpsc::Receiver<Delivery>,
    /// The last index dispatched before the subscription began.
    pub position: u64,
}

struct Session {
    viewer: Viewer,
    queue: mpsc::Sender<Delivery>,
}

#[derive(Default)]
struct Registry {
    /// The last event index dispatched.
    position: u64,
    key_last: u64,
    sessions: BTreeMap<u64, Session>,
    /// Sessions by their own agent (agents and supervisors).
    by_agent: BTreeMap<AgentId, BTreeSet<u64>>,
    /// Supervisor sessions by a team they supervise.
    by_supervised_team: BTreeMap<TeamId, BTreeSet<u64>>,
    /// Sessions that see everything.
    everything: BTreeSet<u64>,
}

/// The sessions of one node and the position of the pump.
pub struct Fanout {
    registry: Mutex<Registry>,
}

impl Fanout {
    /// A fan-out whose first event to dispatch is `position + 1`.
    pub fn new(position: u64) -> Arc<Fanout> {
        Arc::new(Fanout { registry: Mutex::new(Registry { position, ..Registry::default() }) })
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        match self.registry.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Registers a session.
    pub fn subscribe(&self, viewer: Viewer) -> Subscription {
        let (queue, receiver) = mpsc::channel(SESSION_QUEUE_MAX);
        let mut registry = self.registry();
        registry.key_last += 1;
        let key = registry.key_last;
        match &viewer {
            Viewer::Agent { agent } => {
                registry.by_agent.entry(*agent).or_default().insert(key);
            }
            Viewer::Supervisor { agent, teams } => {
                registry.by_agent.entry(*agent).or_default().insert(key);
                for team in teams {
                    registry.by_supervised_team.entry(*team).or_default().insert(key);
                }
            }
            Viewer::Everything => {
                registry.everything.insert(key);
            }
        }
        registry.sessions.insert(key, Session { viewer, queue });
        Subscription { key, queue: receiver, position: registry.position }
    }

    /// Removes a session (it closed, or it was dropped).
    pub fn unsubscribe(&self, key: u64) {
        let mut registry = self.registry();
        remove(&mut registry, key);
    }

    /// How many sessions are registered.
    pub fn session_count(&self) -> usize {
        self.registry().sessions.len()
    }

    /// Queues each event to the sessions it reaches.
    pub fn dispatch(&self, center: &Center, events: &[RetainedEvent]) {
        let mut registry = self.registry();
        let mut dropped = Vec::new();
        for event in events {
            if event.index <= registry.position {
                continue;
            }
            registry.position = event.index;
            let reach = center.event_reach(&event.event);
            let keys = recipients(&registry, center, &reach);
            let mut json: Option<Arc<str>> = None;
            for key in keys {
                let Some(session) = registry.sessions.get(&key) else { continue };
                if !center.viewer_sees(&session.viewer, &reach) {
                    continue;
                }
                let json =
                    json.get_or_insert_with(|| serde_json::to_string(&*event.event).unwrap_or_default().into()).clone();
                if session.queue.try_send(Delivery::Event(event.clone(), json)).is_err() {
                    dropped.push(key);
                }
            }
        }
        for key in dropped {
            tracing::info!(session = key, "dropping a session that does not keep up with its events");
            remove(&mut registry, key);
        }
    }

    /// Tells every session to reload: the pump skipped events it no longer has.
    fn resync_all(&self, position: u64) {
        let mut registry = self.registry();
        registry.position = position;
        let mut dropped = Vec::new();
        for (key, session) in &registry.sessions {
            if session.queue.try_send(Delivery::Resync).is_err() {
                dropped.push(*key);
            }
        }
        for key in dropped {
            remove(&mut registry, key);
        }
    }

    fn position(&self) -> u64 {
        self.registry().position
    }
}

fn remove(registry: &mut Registry, key: u64) {
    let Some(session) = registry.sessions.remove(&key) else { return };
    fn forget<Id: Ord>(index: &mut BTreeMap<Id, BTreeSet<u64>>, id: Id, key: u64) {
        if let Some(keys) = index.get_mut(&id) {
            keys.remove(&key);
            if keys.is_empty() {
                index.remove(&id);
            }
        }
    }
    match session.viewer {
        Viewer::Agent { agent } => forget(&mut registry.by_agent, agent, key),
        Viewer::Supervisor { agent, teams } => {
            forget(&mut registry.by_agent, agent, key);
            for team in teams {
                forget(&mut registry.by_supervised_team, team, key);
            }
        }
        Viewer::Everything => {
            registry.everything.remove(&key);
        }
    }
}

/// The sessions that may see an event of `reach`: a superset the caller checks with
/// `Center::viewer_sees`, found through the indexes rather than by visiting every session.
fn recipients(registry: &Registry, center: &Center, reach: &Reach) -> BTreeSet<u64> {
    let Reach::Some { agents, teams } = reach else { return registry.sessions.keys().copied().collect() };
    let mut keys: BTreeSet<u64> = registry.everything.clone();
    let supervised = |team: TeamId, keys: &mut BTreeSet<u64>| {
        if let Some(found) = registry.by_supervised_team.get(&team) {
            keys.extend(found);
        }
    };
    for agent in agents {
        if let Some(found) = registry.by_agent.get(agent) {
            keys.extend(found);
        }
        if let Some(team) = center.agent(*agent).and_then(|agent| agent.team) {
            supervised(team, &mut keys);
        }
    }
    if !teams.is_empty() {
        for team in teams {
            supervised(*team, &mut keys);
        }
        // Team messages: the agents of the teams. Rare, so a scan of the agent index is fine.
        for (agent, found) in &registry.by_agent {
            if center.agent(*agent).and_then(|agent| agent.team).is_some_and(|team| teams.contains(&team)) {
                keys.extend(found);
            }
        }
    }
    keys
}

/// The pump: reads the node's event log as it grows and dispatches every event.
pub async fn run_fanout<C: Core>(fanout: Arc<Fanout>, log: Arc<EventLog>, core: C) {
    let mut watch = log.watch();
    loop {
        let position = fanout.position();
        match log.read_after(position, EVENTS_PER_READ_MAX) {
            EventRead::Gap { oldest } => {
                tracing::info!(position, oldest, "fan-out skipped events it no longer has; sessions reload");
                fanout.resync_all(oldest.saturating_sub(1));
            }
            EventRead::Events(events) if !events.is_empty() => {
                core.read(|center| fanout.dispatch(center, &events));
            }
            EventRead::Events(_) => {
                if watch.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}
