//! The agent and queue actors against a fake core and fake sockets: one agent actor and one
//! fan-out subscription per user however many desktops it has, each event to each desktop
//! once, an actor that ends with its last desktop, a silent desktop closed while its twin
//! stays, and CSQ figures computed once per CSQ and refresh for every desktop, and not at all
//! when nobody watches.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tandem_domain::AgentCommand;

use futures::channel::mpsc;
use futures::future::LocalBoxFuture;
use futures::StreamExt;
use support::FakeCore;
use tandem_actors::{
    run_fanout, Core, DeskIdentity, DeskLink, DeskPorts, DeskSettings, Desks, Edge, End, EventLog, Fanout, Incoming,
    OpenSeat, Outgoing, Proposal, Queues, Tasks,
};
use tandem_client::proto::{LoginResult, Reply, ServerBody};
use tandem_domain::{Actor, AgentId, AgentStateRequest, Command, CsqId, UserId, Viewer};

const REFRESH_MS: u64 = 1_000;
const SKILL_GROUP_INTERVAL_MS: u64 = 5_000;
/// How far the core's clock moves at once in a test (the actors' timers move smoothly).
const STEP_MS: u64 = 100;

/// What a desktop received, and whether its socket was closed.
#[derive(Default)]
struct Screen {
    frames: Vec<ServerBody>,
    closed: bool,
}

struct FakeLink(Rc<RefCell<Screen>>);

impl DeskLink for FakeLink {
    fn send(&mut self, frame: Outgoing<'_>) -> bool {
        let mut screen = self.0.borrow_mut();
        if screen.closed {
            return false;
        }
        match frame {
            Outgoing::Body(body) => screen.frames.push(body),
            Outgoing::Event(dispatched) => screen.frames.push(dispatched.frame()),
            Outgoing::Pong(_) => {}
        }
        true
    }
    fn close(&mut self) {
        self.0.borrow_mut().closed = true;
    }
}

#[derive(Default)]
struct FakePorts {
    ended: RefCell<Vec<(Actor, End)>>,
}

impl DeskPorts for FakePorts {
    fn propose(&self, _: Proposal) -> LocalBoxFuture<'static, Reply> {
        Box::pin(async { Reply::default() })
    }
    fn seat_ended(&self, identity: &DeskIdentity, end: End) {
        self.ended.borrow_mut().push((identity.actor, end));
    }
}

struct Node {
    core: FakeCore,
    events: Arc<EventLog>,
    fanout: Arc<Fanout>,
    queues: Queues<FakeCore>,
    desks: Desks<FakeCore>,
    ports: Rc<FakePorts>,
}

/// A desktop: what it sees and its side of the socket.
struct Desktop {
    screen: Rc<RefCell<Screen>>,
    input: Option<mpsc::UnboundedSender<Incoming>>,
}

impl Desktop {
    fn say(&self, incoming: Incoming) {
        if let Some(input) = &self.input {
            let _ = input.unbounded_send(incoming);
        }
    }
    fn events(&self) -> Vec<u64> {
        let screen = self.screen.borrow();
        screen
            .frames
            .iter()
            .filter_map(|frame| if let ServerBody::Event(e) = frame { Some(e.index) } else { None })
            .collect()
    }
    fn queue_frames(&self) -> Vec<(u64, String)> {
        let screen = self.screen.borrow();
        screen
            .frames
            .iter()
            .filter_map(|frame| match frame {
                ServerBody::SkillGroupStatistics(figures) => Some((figures.time_ms, figures.csqs.clone())),
                _ => None,
            })
            .collect()
    }
}

fn settings(heartbeat_interval_ms: u64) -> DeskSettings {
    DeskSettings {
        heartbeat_interval_ms,
        heartbeat_retries: 2,
        requests_in_flight_max: 8,
        agent_statistics: false,
        agent_statistics_at_end_call: false,
        agent_statistics_interval_ms: 10_000,
        skill_group_statistics: true,
        skill_group_statistics_interval_ms: SKILL_GROUP_INTERVAL_MS,
    }
}

impl Node {
    /// A node whose desk sessions heartbeat a desktop after `heartbeat_interval_ms` of silence.
    fn start(heartbeat_interval_ms: u64) -> Node {
        let core = FakeCore::demo();
        let last = core.read(|center| center.event_index());
        let events = Arc::new(EventLog::new(last, 1_000));
        let fanout = Fanout::new(last);
        tokio::task::spawn_local(run_fanout(fanout.clone(), events.clone(), core.clone()));
        let queues = Queues::new(core.clone(), Duration::from_millis(REFRESH_MS), Tasks::default());
        let ports = Rc::new(FakePorts::default());
        let edge = Edge { events: events.clone(), fanout: fanout.clone() };
        let desks = Desks::new(
            core.clone(),
            edge,
            queues.clone(),
            settings(heartbeat_interval_ms),
            ports.clone(),
            Tasks::default(),
        );
        Node { core, events, fanout, queues, desks, ports }
    }

    fn open(&self, user: u64, agent: u64) -> Desktop {
        let screen = Rc::new(RefCell::new(Screen::default()));
        let (input, output) = mpsc::unbounded();
        let identity =
            DeskIdentity { viewer: Viewer::Agent { agent: AgentId(agent) }, actor: Actor::User(UserId(user)) };
        let seat = OpenSeat {
            after: 0,
            login: LoginResult::default(),
            notice: None,
            link: Box::new(FakeLink(screen.clone())),
            input: output.boxed_local(),
        };
        self.desks.open(identity, seat);
        Desktop { screen, input: Some(input) }
    }

    /// Applies a command and publishes its events as the replica's feed would; returns the
    /// indices of those `viewer` sees.
    fn apply(&self, command: Command, viewer: &Viewer) -> Vec<u64> {
        let first = self.core.read(|center| center.event_index()) + 1;
        let applied = self.core.apply(command);
        let seen =
            (first..).zip(&applied.audiences).filter(|(_, audience)| audience.reaches(viewer)).map(|(index, _)| index);
        let seen = seen.collect();
        self.events.append(first, applied.events.into_iter().zip(applied.audiences));
        seen
    }

    /// Lets `ms` pass on both the actors' timers and the core's clock.
    async fn pass(&self, ms: u64) {
        for _ in 0..ms.div_ceil(STEP_MS) {
            self.core.now_ms.set(self.core.now_ms.get() + STEP_MS);
            tokio::time::sleep(Duration::from_millis(STEP_MS)).await;
        }
    }
}

#[actix::test]
async fn one_actor_and_one_subscription_per_user_and_each_event_once_to_each_desktop() {
    tokio::time::pause();
    let node = Node::start(60_000);
    let first = node.open(12, 2);
    let second = node.open(12, 2);
    let other = node.open(13, 3);
    node.pass(100).await;
    assert_eq!(node.desks.actor_count(), 2, "one actor per user");
    assert_eq!(node.fanout.session_count(), 2, "one subscription per user, not per desktop");
    for desktop in [&first, &second, &other] {
        let screen = desktop.screen.borrow();
        assert!(matches!(screen.frames.first(), Some(ServerBody::LoginResult(_))), "the login's answer first");
        assert!(matches!(screen.frames.get(1), Some(ServerBody::Snapshot(_))), "then the desk view");
    }

    let bruno = Viewer::Agent { agent: AgentId(2) };
    let mut meant = node.apply(
        Command::Agent(AgentCommand::SetAgentState {
            agent: AgentId(2),
            state: AgentStateRequest::Login,
            reason: None,
        }),
        &bruno,
    );
    meant.extend(node.apply(
        Command::Agent(AgentCommand::SetAgentState {
            agent: AgentId(2),
            state: AgentStateRequest::Ready,
            reason: None,
        }),
        &bruno,
    ));
    node.pass(100).await;
    let seen = first.events();
    assert!(meant.len() >= 2, "logging in and getting ready concern the agent: {meant:?}");
    assert_eq!(seen, meant, "every event meant for the agent, once, in order");
    assert_eq!(second.events(), seen, "the same events, once each, on the agent's other desktop");
    assert!(other.events().is_empty(), "another agent's events reach no one else: {:?}", other.events());

    first.say(Incoming::Closed);
    node.pass(100).await;
    assert!(first.screen.borrow().closed);
    assert_eq!(node.desks.actor_count(), 2, "the agent still has a desktop");
    let mut second = second;
    second.input = None; // The socket's stream ends: the desktop is gone.
    node.pass(100).await;
    assert_eq!(node.desks.actor_count(), 1, "the actor ended with its last desktop");
    assert_eq!(node.fanout.session_count(), 1, "and left the fan-out");
    let ended = node.ports.ended.borrow().clone();
    assert_eq!(ended, [(Actor::User(UserId(12)), End::ClosedByClient), (Actor::User(UserId(12)), End::Gone)]);
}

#[actix::test]
async fn a_desktop_that_stops_answering_heartbeats_is_closed_and_its_twin_stays() {
    tokio::time::pause();
    let node = Node::start(1_000);
    let silent = node.open(12, 2);
    let alive = node.open(12, 2);
    for _ in 0..20 {
        alive.say(Incoming::Alive);
        node.pass(300).await;
    }
    assert!(silent.screen.borrow().closed, "closed after its heartbeat retries");
    assert!(!alive.screen.borrow().closed);
    assert_eq!(node.desks.actor_count(), 1);
    assert_eq!(node.ports.ended.borrow().clone(), [(Actor::User(UserId(12)), End::HeartbeatsUnanswered)]);
    let heartbeats =
        silent.screen.borrow().frames.iter().filter(|frame| matches!(frame, ServerBody::Heartbeat(_))).count();
    assert!(heartbeats >= 2, "the node asked before giving up: {heartbeats}");
}

#[actix::test]
async fn csq_figures_are_computed_once_per_csq_and_refresh_and_not_when_nobody_watches() {
    tokio::time::pause();
    let node = Node::start(60_000);
    let csqs = node.core.read(|center| center.viewer_csqs(&Viewer::Agent { agent: AgentId(2) }));
    assert!(!csqs.is_empty(), "the demo agent serves CSQs");
    let desktops: Vec<Desktop> = (0..3).map(|user| node.open(20 + user, 2)).collect();
    node.pass(100).await;
    assert_eq!(node.queues.actor_count(), csqs.len(), "one queue actor per CSQ, however many watch");

    let expected = |time_ms: u64| {
        let figures: Vec<_> = node
            .core
            .read(|center| csqs.iter().filter_map(|&csq: &CsqId| center.csq_statistics(csq, time_ms)).collect());
        serde_json::to_string(&figures).unwrap()
    };
    for desktop in &desktops {
        let frames = desktop.queue_frames();
        assert_eq!(frames.len(), 1, "figures at login");
        assert_eq!(frames[0].1, expected(frames[0].0), "the figures the domain computes");
    }
    let reads_before = node.core.reads.get();
    node.pass(SKILL_GROUP_INTERVAL_MS).await;
    for desktop in &desktops {
        let frames = desktop.queue_frames();
        assert_eq!(frames.len(), 2, "and on the desktop's schedule");
        assert!(frames[1].0 > frames[0].0, "newer figures");
        assert!(
            frames[1].0 + REFRESH_MS + STEP_MS >= frames[0].0 + SKILL_GROUP_INTERVAL_MS,
            "at most a refresh old: {frames:?}"
        );
    }
    let first = &desktops[0].queue_frames()[1];
    assert!(desktops.iter().all(|desktop| &desktop.queue_frames()[1] == first), "the same figures for all");
    let refreshes = (SKILL_GROUP_INTERVAL_MS / REFRESH_MS) * csqs.len() as u64;
    let reads = node.core.reads.get() - reads_before;
    // Each queue actor reads once per refresh; each desktop reads its CSQ list when due.
    assert!(reads <= refreshes + 3 * 2 + 3, "{reads} reads for {refreshes} refreshes and 3 desktops");

    drop(desktops);
    node.pass(2 * REFRESH_MS).await;
    assert_eq!(node.desks.actor_count(), 0);
    let idle = node.core.reads.get();
    node.pass(10 * REFRESH_MS).await;
    assert_eq!(node.core.reads.get(), idle, "nobody watches: no queue actor computes");
}
