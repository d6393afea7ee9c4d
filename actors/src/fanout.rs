//! Event fan-out to desktop sessions: each applied event is matched once against the sessions
//! it reaches and queued to each of them.
//!
//! A node may hold ten thousand sessions. Having every session read and filter every event
//! would cost sessions × events; instead one pump reads the event log and looks the sessions up
//! by the agents the event's audience names (decided by the domain when the event applied:
//! `Center::audience`), so dispatch never asks the center who sees what. The center is read
//! once per batch, for the call-control buttons of the agents the batch is about. A session
//! subscribes at a position: events after it arrive on its queue; events up to it the session
//! reads from the event log itself (its catch-up after a failover), so nothing is missed or
//! sent twice. The frame an event makes is encoded once per wire encoding and shared by every
//! session that gets the same bytes. A session that does not keep up (its queue is full) is dropped rather than
//! allowed to grow without bound: its client resumes from its last index.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use bytestring::ByteString;
use tandem_client::proto::{Encoding, EventFrame, Frame, ServerBody, ServerMessage};
use tandem_domain::{AgentId, Audience, Center, Viewer};
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
    /// An event for the session.
    Event(Dispatched),
    /// The pump lost events (the log restarted after a snapshot): reload the view.
    Resync,
    /// The node can no longer serve: end the session so its desktop fails over.
    NodeFailed,
}

/// One event as dispatched: rendered once for every session it reaches.
#[derive(Debug, Clone)]
pub struct Dispatched {
    /// The event, its index and audience.
    pub event: RetainedEvent,
    /// The event as JSON.
    pub json: Arc<str>,
    /// The session's own agent's call-control buttons as JSON, when the event is about that
    /// agent (computed once per batch and agent); empty otherwise.
    pub controls: Arc<str>,
    /// The frame, encoded once per wire encoding for every session that gets the same bytes
    /// (all those without buttons of their own in it).
    encoded: Arc<EncodedFrames>,
}

/// A frame in the encodings sessions asked for, each made on first use.
#[derive(Debug, Default)]
struct EncodedFrames {
    protobuf: OnceLock<Bytes>,
    json: OnceLock<ByteString>,
}

/// A frame ready for the socket, cheap to clone: the bytes are shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodedFrame {
    Binary(Bytes),
    Text(ByteString),
}

impl PartialEq for Dispatched {
    /// The same event with the same buttons (the encodings made so far do not matter).
    fn eq(&self, other: &Dispatched) -> bool {
        self.event == other.event && self.json == other.json && self.controls == other.controls
    }
}

impl Dispatched {
    /// An event with its JSON and the session's buttons, encoded for this session alone.
    pub fn new(event: RetainedEvent, json: Arc<str>, controls: Arc<str>) -> Dispatched {
        Dispatched { event, json, controls, encoded: Arc::default() }
    }

    /// The event's frame for this session.
    pub fn frame(&self) -> ServerBody {
        ServerBody::Event(EventFrame {
            index: self.event.index,
            event: self.json.to_string(),
            controls: self.controls.to_string(),
        })
    }

    /// The frame encoded as `encoding`: encoded by the first session that needs it, shared by
    /// the others.
    pub fn encoded(&self, encoding: Encoding) -> EncodedFrame {
        let encode = || ServerMessage::new(self.frame()).encode_as(encoding);
        match encoding {
            Encoding::Protobuf => EncodedFrame::Binary(
                self.encoded
                    .protobuf
                    .get_or_init(|| match encode() {
                        Frame::Binary(bytes) => Bytes::from(bytes),
                        Frame::Text(text) => Bytes::from(text),
                    })
                    .clone(),
            ),
            Encoding::Json => EncodedFrame::Text(
                self.encoded
                    .json
                    .get_or_init(|| match encode() {
                        Frame::Text(text) => ByteString::from(text),
                        Frame::Binary(bytes) => ByteString::from(String::from_utf8_lossy(&bytes).into_owned()),
                    })
                    .clone(),
            ),
        }
    }
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
    /// Sessions that see everything.
    everything: BTreeSet<u64>,
    /// The node stepped aside ([`Fanout::shut`]): every session, and every later one, is told so.
    shut: bool,
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
        match viewer.agent() {
            Some(agent) => {
                registry.by_agent.entry(agent).or_default().insert(key);
            }
            None => {
                registry.everything.insert(key);
            }
        }
        if registry.shut {
            let _ = queue.try_send(Delivery::NodeFailed);
        }
        registry.sessions.insert(key, Session { viewer, queue });
        Subscription { key, queue: receiver, position: registry.position }
    }

    /// The node can no longer serve: tells every session, now and later, to end, so that its
    /// desktop fails over to the other side.
    pub fn shut(&self) {
        let mut registry = self.registry();
        registry.shut = true;
        for session in registry.sessions.values() {
            let _ = session.queue.try_send(Delivery::NodeFailed);
        }
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

    /// The agents with a session here whose buttons a batch may change: those its events are
    /// about (an event for everyone names no agent).
    pub fn agents_with_controls(&self, events: &[RetainedEvent]) -> BTreeSet<AgentId> {
        let registry = self.registry();
        events
            .iter()
            .flat_map(|event| event.audience.agents())
            .filter(|agent| registry.by_agent.contains_key(agent))
            .copied()
            .collect()
    }

    /// Queues each event of a batch to the sessions its audience reaches, with the buttons
    /// (`controls`, as JSON, read once for the batch) of the session's own agent when the
    /// event is about it. Reads nothing from the center.
    pub fn dispatch(&self, events: &[RetainedEvent], controls: &BTreeMap<AgentId, Arc<str>>) {
        let mut registry = self.registry();
        let mut dropped = Vec::new();
        let none: Arc<str> = Arc::from("");
        for event in events {
            if event.index <= registry.position {
                continue;
            }
            registry.position = event.index;
            let audience = &*event.audience;
            let keys = recipients(&registry, audience);
            let mut json: Option<Arc<str>> = None;
            let shared = Arc::new(EncodedFrames::default());
            for key in keys {
                let Some(session) = registry.sessions.get(&key) else { continue };
                if !audience.reaches(&session.viewer) {
                    continue;
                }
                let json =
                    json.get_or_insert_with(|| serde_json::to_string(&*event.event).unwrap_or_default().into()).clone();
                let (own_controls, encoded) = match session.viewer.agent() {
                    Some(own) if audience.changes_controls_of(own) => {
                        let own_controls = controls.get(&own).cloned().unwrap_or_else(|| none.clone());
                        (own_controls, Arc::new(EncodedFrames::default()))
                    }
                    _ => (none.clone(), shared.clone()),
                };
                let delivery = Dispatched { event: event.clone(), json, controls: own_controls, encoded };
                if session.queue.try_send(Delivery::Event(delivery)).is_err() {
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
    match session.viewer.agent() {
        Some(agent) => {
            if let Some(keys) = registry.by_agent.get_mut(&agent) {
                keys.remove(&key);
                if keys.is_empty() {
                    registry.by_agent.remove(&agent);
                }
            }
        }
        None => {
            registry.everything.remove(&key);
        }
    }
}

/// The buttons of `agents` as JSON.
fn controls_json(center: &Center, agents: &BTreeSet<AgentId>) -> BTreeMap<AgentId, Arc<str>> {
    let json = |agent: AgentId| serde_json::to_string(&center.call_controls(agent)).unwrap_or_default().into();
    agents.iter().map(|agent| (*agent, json(*agent))).collect()
}

/// The sessions an event of `audience` may reach: a superset the caller checks with
/// `Audience::reaches`, found through the agent index rather than by visiting every session.
fn recipients(registry: &Registry, audience: &Audience) -> BTreeSet<u64> {
    if audience.is_everyone() {
        return registry.sessions.keys().copied().collect();
    }
    let mut keys: BTreeSet<u64> = registry.everything.clone();
    for agent in audience.agents().iter().chain(audience.supervisors()) {
        if let Some(found) = registry.by_agent.get(agent) {
            keys.extend(found);
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
                // The center's lock is held for the buttons only, not while queueing to sessions.
                let agents = fanout.agents_with_controls(&events);
                let controls = core.read(|center| controls_json(center, &agents));
                fanout.dispatch(&events, &controls);
            }
            EventRead::Events(_) => {
                if watch.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tandem_domain::{AgentEvent, ConfigEvent};
    use tandem_domain::{AgentState, Event, Skill, SkillId};

    use super::*;

    fn event(index: u64) -> RetainedEvent {
        let event =
            Event::Config(ConfigEvent::SkillCreated(Skill { id: SkillId(index), name: format!("skill-{index}") }));
        RetainedEvent { index, event: Arc::new(event), audience: Arc::new(Audience::everyone()) }
    }

    fn next_event(subscription: &mut Subscription) -> Dispatched {
        match subscription.queue.try_recv() {
            Ok(Delivery::Event(dispatched)) => dispatched,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn sessions_that_get_the_same_frame_share_its_encoded_bytes() {
        let fanout = Fanout::new(0);
        let mut admin = fanout.subscribe(Viewer::Everything);
        let mut agent = fanout.subscribe(Viewer::Agent { agent: AgentId(4) });
        fanout.dispatch(&[event(1)], &BTreeMap::new());
        let (first, second) = (next_event(&mut admin), next_event(&mut agent));
        assert_eq!(first, second);
        let (EncodedFrame::Binary(a), EncodedFrame::Binary(b)) =
            (first.encoded(Encoding::Protobuf), second.encoded(Encoding::Protobuf))
        else {
            panic!("protobuf frames are binary")
        };
        assert_eq!(a.as_ptr(), b.as_ptr(), "encoded once, shared");
        let EncodedFrame::Text(json) = second.encoded(Encoding::Json) else { panic!("JSON frames are text") };
        let Ok(decoded) = ServerMessage::from_text(&json) else { panic!("the shared JSON frame decodes") };
        assert_eq!(decoded, first.frame());
        let Ok(decoded) = ServerMessage::from_binary(&a) else { panic!("the shared protobuf frame decodes") };
        assert_eq!(decoded, first.frame());
    }

    #[test]
    fn a_frame_made_for_one_session_is_encoded_for_it_alone() {
        let fanout = Fanout::new(0);
        let mut admin = fanout.subscribe(Viewer::Everything);
        let mut own = fanout.subscribe(Viewer::Agent { agent: AgentId(4) });
        let event = Event::Agent(AgentEvent::AgentStateChanged {
            agent: AgentId(4),
            previous: AgentState::NotReady,
            state: AgentState::Ready,
            reason: None,
        });
        let audience = Center::default().audience(&event);
        let retained = RetainedEvent { index: 1, event: Arc::new(event), audience: Arc::new(audience) };
        let controls = BTreeMap::from([(AgentId(4), Arc::from(r#"{"answer":true}"#))]);
        fanout.dispatch(&[retained], &controls);
        let (for_admin, for_own) = (next_event(&mut admin), next_event(&mut own));
        // The administrator's copy is encoded first; the agent's must not reuse it.
        let EncodedFrame::Text(admin_json) = for_admin.encoded(Encoding::Json) else { panic!("JSON frames are text") };
        let EncodedFrame::Text(own_json) = for_own.encoded(Encoding::Json) else { panic!("JSON frames are text") };
        assert_ne!(admin_json, own_json);
        let frame = |json: &str| match ServerMessage::from_text(json) {
            Ok(ServerBody::Event(frame)) => frame,
            other => panic!("an event frame, got {other:?}"),
        };
        assert_eq!(frame(&own_json).controls, r#"{"answer":true}"#, "the agent gets its buttons");
        assert_eq!(frame(&admin_json).controls, "", "others do not");
    }
}
