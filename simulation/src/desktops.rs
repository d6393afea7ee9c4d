//! Desktops in the simulator: the real agent actors on the nodes, and desktops that fail over
//! between side A and side B the way the client library does, under the run's faults.
//!
//! A desktop connecting to a node incarnation hands a simulated socket (a pair of channels that
//! a crash of the node breaks) to that node's real `tandem_actors::Desks`, as the CTI handler
//! hands over a WebSocket after the login: the user's `AgentDesk` actor drives the real
//! `DeskSession` over the node's real `Edge` (event log and fan-out) and renders the desk view
//! and statistics from the node's applied center. The desktop side keeps the client library's
//! sans-IO pieces (`Silence`, `Cursor`), its buffer of unanswered requests re-sent under their
//! ids after a failover, and a record of what it saw. At the end the checker compares every
//! desktop's record with the reference replica: each event meant for it seen once and in order
//! since its last reload, none not meant for it, each request applied at most once and
//! answered once faults stopped, and a supervisor's requests outside its teams refused.
//!
//! What stands in for the node: the login (the simulator logs in by user id, without a
//! password), and a request's action, decoded as a domain `Command` JSON where the real
//! handler decodes the REST `AgentAction`, as the workload's `client_write` stands in for the
//! REST handler.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tandem_domain::{AgentCommand, ConfigCommand};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::rc::Rc;

use futures::future::LocalBoxFuture;
use futures::stream::StreamExt;
use tandem_actors::{
    Core, DeskIdentity, DeskLink, DeskPorts, DeskSettings, Desks, End, Incoming, OpenSeat, Outgoing, Proposal,
    ReplicaCore,
};
use tandem_client::proto::{ClientBody, Heartbeat, LoginResult, Reply, Request, ServerBody};
use tandem_client::session::{Cursor, Outstanding, Silence, SilenceAction};
use tandem_domain::{
    Actor, AgentId, AgentStateRequest, Audience, Command, Entry, Outcome, RequestId, Role, UserId, UserSpec, Viewer,
};
use tandem_raft::NodeId;
use tokio::sync::mpsc;

use crate::checker::Violation;
use crate::cluster::{Cluster, SimTransport};
use crate::trace::fnv;

/// Desktops' heartbeat: every second of silence, giving up after three.
const DESKTOP_HEARTBEAT_MS: u64 = 1_000;
const DESKTOP_MAX_HEARTBEATS: u32 = 3;
/// Pause before a desktop tries a node again after a failed connect.
const RECONNECT_PAUSE_MS: u64 = 100;
/// How often a desktop acts, on average.
const ACTION_INTERVAL_MS: u64 = 3_000;
/// Supervisors' and agents' desktops per team, at most, and teams with desktops.
const TEAM_DESKTOP_COUNT_MAX: usize = 3;
const TEAMS_WITH_DESKTOPS_MAX: usize = 2;

/// The node's `[cti]` rules as the simulated nodes apply them.
fn host_settings() -> DeskSettings {
    DeskSettings {
        heartbeat_interval_ms: 2_000,
        heartbeat_retries: 3,
        requests_in_flight_max: 16,
        agent_statistics: true,
        agent_statistics_at_end_call: true,
        agent_statistics_interval_ms: 15_000,
        skill_group_statistics: true,
        skill_group_statistics_interval_ms: 10_000,
    }
}

/// Who sits at a simulated desktop.
#[derive(Debug, Clone)]
pub struct DeskPlan {
    pub login_name: String,
    pub role: Role,
    pub agent: Option<AgentId>,
    /// The agents of the teams it supervises (supervisors), for its requests.
    pub team_agents: Vec<AgentId>,
    /// Agents outside its teams, to try to act for (supervisors): each must be refused.
    pub outside_agents: Vec<AgentId>,
}

/// The users the desktops log in as: a supervisor and a few agents of the first teams, and an
/// administrator who sees everything.
pub fn plans(teams: &[(tandem_domain::TeamId, AgentId, Vec<AgentId>)]) -> Vec<DeskPlan> {
    let mut plans = Vec::new();
    let all: BTreeSet<AgentId> = teams.iter().flat_map(|(_, _, members)| members.iter().copied()).collect();
    for (team_index, (_, supervisor, members)) in teams.iter().take(TEAMS_WITH_DESKTOPS_MAX).enumerate() {
        let outside: Vec<AgentId> =
            all.iter().copied().filter(|agent| !members.contains(agent) && agent != supervisor).take(4).collect();
        plans.push(DeskPlan {
            login_name: format!("desk-sup-{team_index}"),
            role: Role::Supervisor,
            agent: Some(*supervisor),
            team_agents: members.iter().copied().filter(|agent| agent != supervisor).collect(),
            outside_agents: outside,
        });
        for member in members.iter().filter(|agent| *agent != supervisor).take(TEAM_DESKTOP_COUNT_MAX) {
            plans.push(DeskPlan {
                login_name: format!("desk-agent-{}", member.get()),
                role: Role::Agent,
                agent: Some(*member),
                team_agents: Vec::new(),
                outside_agents: Vec::new(),
            });
        }
    }
    plans.push(DeskPlan {
        login_name: "desk-admin".into(),
        role: Role::Administrator,
        agent: None,
        team_agents: Vec::new(),
        outside_agents: Vec::new(),
    });
    plans
}

/// The command that creates a plan's user (no password: the simulator logs in by id).
pub fn user_command(plan: &DeskPlan) -> Command {
    Command::Config(ConfigCommand::CreateUser(UserSpec {
        login_name: plan.login_name.clone(),
        role: plan.role,
        agent: plan.agent,
        password_hash: "$simulated$no-password".into(),
    }))
}

/// The desk side's planted bugs (test builds only).
#[cfg(feature = "planted-bugs")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeskPlants {
    pub gap_after_resume: bool,
    pub leak_in_catch_up: bool,
}

/// The agent actors of each node's running incarnation, started by the desktops' logins.
#[derive(Default)]
struct Hosts {
    by_node: BTreeMap<NodeId, (u64, Desks<ReplicaCore<SimTransport>>)>,
}

impl Hosts {
    /// Opens a desktop's connection to a node: a seat with the user's agent actor on the node,
    /// reached through a pair of channels that the node's crash breaks. `None` if it is down.
    fn connect(
        &mut self,
        cluster: &Cluster,
        node: NodeId,
        identity: DeskIdentity,
        after: u64,
    ) -> Option<(mpsc::UnboundedSender<ClientBody>, mpsc::UnboundedReceiver<ServerBody>)> {
        let seams = cluster.desk_seams(node)?;
        let desks = match self.by_node.get(&node) {
            Some((incarnation, desks)) if *incarnation == seams.incarnation => desks.clone(),
            _ => {
                let ports = Rc::new(SimPorts { core: seams.core.clone() });
                let desks = Desks::new(seams.core, seams.edge, seams.queues, host_settings(), ports, seams.tasks);
                self.by_node.insert(node, (seams.incarnation, desks.clone()));
                desks
            }
        };
        let (to_host, mut from_desktop) = mpsc::unbounded_channel();
        let (to_desktop, from_host) = mpsc::unbounded_channel();
        #[cfg(feature = "planted-bugs")]
        let identity = match seams.plants.leak_in_catch_up && after > 0 {
            // Planted `desk-leak`: a resuming desktop's session is opened as if it saw everything.
            true => DeskIdentity { viewer: Viewer::Everything, ..identity },
            false => identity,
        };
        let link = SimLink {
            to_desktop: Some(to_desktop),
            #[cfg(feature = "planted-bugs")]
            plants: seams.plants,
            #[cfg(feature = "planted-bugs")]
            resumed: false,
            #[cfg(feature = "planted-bugs")]
            events_sent: 0,
        };
        let input = futures::stream::poll_fn(move |cx| from_desktop.poll_recv(cx))
            .map(|body| Incoming::Frame(Ok(body)))
            .boxed_local();
        let login = LoginResult::default();
        desks.open(identity, OpenSeat { after, login, notice: None, link: Box::new(link), input });
        Some((to_host, from_host))
    }
}

/// The node's end of a simulated desktop connection.
struct SimLink {
    /// Gone once the node closed it.
    to_desktop: Option<mpsc::UnboundedSender<ServerBody>>,
    #[cfg(feature = "planted-bugs")]
    plants: DeskPlants,
    #[cfg(feature = "planted-bugs")]
    resumed: bool,
    #[cfg(feature = "planted-bugs")]
    events_sent: u32,
}

impl DeskLink for SimLink {
    fn send(&mut self, frame: Outgoing<'_>) -> bool {
        let body = match frame {
            Outgoing::Body(body) => body,
            Outgoing::Event(dispatched) => dispatched.frame(),
            Outgoing::Pong(_) => return true,
        };
        #[cfg(feature = "planted-bugs")]
        match &body {
            ServerBody::LoginResult(result) => self.resumed = result.resumed,
            ServerBody::Event(_) => {
                // Planted `desk-gap`: the third event after a resume is lost.
                self.events_sent += 1;
                if self.plants.gap_after_resume && self.resumed && self.events_sent == 3 {
                    return true;
                }
            }
            _ => {}
        }
        self.to_desktop.as_ref().is_some_and(|to_desktop| to_desktop.send(body).is_ok())
    }

    fn close(&mut self) {
        self.to_desktop = None;
    }
}

/// How the simulated nodes' agent actors reach the cluster: as the node's, but a request's
/// action is a domain `Command` as JSON (the node decodes the REST API's `AgentAction`).
struct SimPorts {
    core: ReplicaCore<SimTransport>,
}

impl DeskPorts for SimPorts {
    fn propose(&self, proposal: Proposal) -> LocalBoxFuture<'static, Reply> {
        let core = self.core.clone();
        Box::pin(async move { propose(&core, proposal).await })
    }

    /// The simulated desktops never close on purpose: they only lose their node.
    fn seat_ended(&self, _: &DeskIdentity, _: End) {}
}

async fn propose(core: &ReplicaCore<SimTransport>, proposal: Proposal) -> Reply {
    let Proposal { request_id, action, actor, .. } = proposal;
    let command: Command = match serde_json::from_str(&action) {
        Ok(command) => command,
        Err(error) => return tandem_actors::refusal(&request_id, "invalid_body", error.to_string()),
    };
    let entry = Entry { request_id: Some(RequestId(request_id.clone())), time_ms: 0, command, by: actor };
    match core.propose(entry).await {
        Ok(Outcome::Applied(_)) => Reply { request_id, ok: true, ..Reply::default() },
        Ok(Outcome::Rejected(rejection)) => {
            tandem_actors::refusal(&request_id, rejection.code.as_str(), rejection.message)
        }
        Err(error) => tandem_actors::refusal(&request_id, "write_failed", error),
    }
}

/// A desktop's connection to one node.
struct Connection {
    to_host: mpsc::UnboundedSender<ClientBody>,
    from_host: mpsc::UnboundedReceiver<ServerBody>,
    silence: Silence,
    /// The last event index this connection delivered, to catch a node sending one twice.
    last_raw_index: u64,
}

/// One simulated desktop.
struct Desktop {
    plan: DeskPlan,
    user: UserId,
    viewer: Viewer,
    nodes: [NodeId; 2],
    next_node: usize,
    connection: Option<Connection>,
    retry_at_ms: u64,
    cursor: Cursor,
    /// Requests made and not answered, in the order made: re-sent after every failover.
    outstanding: Outstanding,
    /// When each pending request was first made.
    made_at_ms: BTreeMap<String, u64>,
    sequence: u64,
    next_action_ms: u64,
    /// What the desktop saw: each delivered event's index and the hash of its JSON.
    delivered: Vec<(u64, u64)>,
    /// The indexes of the snapshots (reloads) it received.
    snapshots: Vec<u64>,
    replies: BTreeMap<String, Reply>,
    /// Requests for agents outside its teams (supervisors), which must be refused.
    outside_requests: BTreeSet<String>,
    duplicate_frames: u64,
    sessions: u64,
    failovers: u64,
    resumes: u64,
}

/// Counters for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeskCounts {
    pub desktops: u64,
    pub sessions: u64,
    pub failovers: u64,
    pub resumes: u64,
    pub reloads: u64,
    pub events_delivered: u64,
    pub requests: u64,
}

/// Every simulated desktop.
pub struct Desktops {
    rng: ChaCha8Rng,
    desktops: Vec<Desktop>,
    hosts: Hosts,
}

impl Desktops {
    /// Desktops for the users created for `plans` (`users[i]` is the user of `plans[i]`), each
    /// starting on side A or B in turn.
    pub fn new(rng: ChaCha8Rng, plans: Vec<DeskPlan>, users: Vec<UserId>, nodes: [NodeId; 2], now_ms: u64) -> Desktops {
        let desktops = plans
            .into_iter()
            .zip(users)
            .enumerate()
            .map(|(index, (plan, user))| {
                let viewer = match (plan.role, plan.agent) {
                    (Role::Supervisor, Some(agent)) => Viewer::Supervisor { agent },
                    (Role::Agent, Some(agent)) => Viewer::Agent { agent },
                    _ => Viewer::Everything,
                };
                Desktop {
                    plan,
                    user,
                    viewer,
                    nodes,
                    next_node: index % 2,
                    connection: None,
                    retry_at_ms: now_ms,
                    cursor: Cursor::default(),
                    outstanding: Outstanding::default(),
                    made_at_ms: BTreeMap::new(),
                    sequence: 0,
                    next_action_ms: now_ms + ACTION_INTERVAL_MS / 2 + index as u64 * 97,
                    delivered: Vec::new(),
                    snapshots: Vec::new(),
                    replies: BTreeMap::new(),
                    outside_requests: BTreeSet::new(),
                    duplicate_frames: 0,
                    sessions: 0,
                    failovers: 0,
                    resumes: 0,
                }
            })
            .collect();
        Desktops { rng, desktops, hosts: Hosts::default() }
    }

    /// One step: connect, read what the nodes sent, heartbeat, act.
    pub fn step(&mut self, cluster: &Arc<Cluster>, now_ms: u64) {
        for desktop in &mut self.desktops {
            desktop.step(cluster, &mut self.hosts, &mut self.rng, now_ms);
        }
    }

    pub fn counts(&self) -> DeskCounts {
        let mut counts = DeskCounts { desktops: self.desktops.len() as u64, ..DeskCounts::default() };
        for desktop in &self.desktops {
            counts.sessions += desktop.sessions;
            counts.failovers += desktop.failovers;
            counts.resumes += desktop.resumes;
            counts.reloads += desktop.snapshots.len().saturating_sub(1) as u64;
            counts.events_delivered += desktop.delivered.len() as u64;
            counts.requests += desktop.sequence;
        }
        counts
    }

    /// The end-of-run invariants, against the reference's published events (index → JSON hash
    /// and audience, up to `reference_last`) and its applied request ids.
    pub fn check(
        &self,
        published: &BTreeMap<u64, (u64, Audience)>,
        reference_last: u64,
        healed_at_ms: u64,
        now_ms: u64,
    ) -> Vec<Violation> {
        let mut violations = Vec::new();
        let mut violate = |invariant: &'static str, detail: String| {
            if violations.len() < 8 {
                violations.push(Violation { at_ms: now_ms, invariant, detail });
            }
        };
        for desktop in &self.desktops {
            let who = &desktop.plan.login_name;
            if desktop.duplicate_frames > 0 {
                violate(
                    "a desk session sends each event once",
                    format!("{who}: {} repeated", desktop.duplicate_frames),
                );
            }
            let delivered: BTreeSet<u64> = desktop.delivered.iter().map(|(index, _)| *index).collect();
            for (index, hash) in &desktop.delivered {
                match published.get(index) {
                    Some((expected, audience)) if expected == hash && audience.reaches(&desktop.viewer) => {}
                    Some((expected, _)) if expected != hash => {
                        violate("a desktop's events are the cluster's", format!("{who}: event {index} differs"))
                    }
                    Some(_) => {
                        violate("a desktop never sees an event not meant for it", format!("{who}: event {index}"))
                    }
                    None if *index > reference_last => {}
                    None => violate("a desktop's events are the cluster's", format!("{who}: no event {index}")),
                }
            }
            let reloaded = desktop.snapshots.last().copied().unwrap_or(0);
            let through = desktop.cursor.last_index().min(reference_last).max(reloaded);
            let missed: Vec<u64> = published
                .range(reloaded..=through)
                .filter(|(index, _)| **index > reloaded)
                .filter(|(index, (_, audience))| audience.reaches(&desktop.viewer) && !delivered.contains(index))
                .map(|(index, _)| *index)
                .take(5)
                .collect();
            if !missed.is_empty() {
                let detail = format!("{who}: events {missed:?} after its reload at {reloaded} were never delivered");
                violate("a desktop sees every event meant for it exactly once, in order", detail);
            }
            for (request_id, made_ms) in &desktop.made_at_ms {
                match desktop.replies.get(request_id) {
                    None if *made_ms < healed_at_ms => violate(
                        "a request buffered across failovers is answered once faults stop",
                        format!("{who}: {request_id} made at {made_ms} ms"),
                    ),
                    Some(reply) if desktop.outside_requests.contains(request_id) && reply.ok => violate(
                        "a supervisor never acts outside its teams",
                        format!("{who}: {request_id} answered {:?} {}", reply.code, reply.message),
                    ),
                    _ => {}
                }
            }
        }
        violations
    }
}

impl Desktop {
    fn step(&mut self, cluster: &Arc<Cluster>, hosts: &mut Hosts, rng: &mut ChaCha8Rng, now_ms: u64) {
        if self.connection.is_none() && now_ms >= self.retry_at_ms {
            self.connect(cluster, hosts, now_ms);
        }
        let Some(mut connection) = self.connection.take() else { return };
        let alive = self.read(&mut connection, now_ms) && self.heartbeat(&mut connection, now_ms);
        if !alive {
            // The node went away (or stopped answering): the other side next, buffered requests
            // and the last index going with the desktop.
            self.failovers += 1;
            self.next_node = (self.next_node + 1) % 2;
            self.retry_at_ms = now_ms + RECONNECT_PAUSE_MS;
            return;
        }
        self.connection = Some(connection);
        if now_ms >= self.next_action_ms {
            self.next_action_ms = now_ms + rng.gen_range(ACTION_INTERVAL_MS / 2..=ACTION_INTERVAL_MS * 3 / 2);
            self.act(rng, now_ms);
        }
    }

    fn connect(&mut self, cluster: &Arc<Cluster>, hosts: &mut Hosts, now_ms: u64) {
        let node = self.nodes[self.next_node];
        let identity = DeskIdentity { viewer: self.viewer.clone(), actor: Actor::User(self.user) };
        let Some((to_host, from_host)) = hosts.connect(cluster, node, identity, self.cursor.last_index()) else {
            self.next_node = (self.next_node + 1) % 2;
            self.retry_at_ms = now_ms + RECONNECT_PAUSE_MS;
            return;
        };
        self.sessions += 1;
        for request in self.outstanding.resend() {
            // A closed channel shows at the next read.
            let _ = to_host.send(ClientBody::Request(request.clone()));
        }
        let silence = Silence::new(DESKTOP_HEARTBEAT_MS, DESKTOP_MAX_HEARTBEATS, now_ms);
        self.connection = Some(Connection { to_host, from_host, silence, last_raw_index: 0 });
    }

    /// Reads what the node sent; false once the connection is gone.
    fn read(&mut self, connection: &mut Connection, now_ms: u64) -> bool {
        loop {
            let body = match connection.from_host.try_recv() {
                Ok(body) => body,
                Err(mpsc::error::TryRecvError::Empty) => return true,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            };
            connection.silence.heard(now_ms);
            match body {
                ServerBody::LoginResult(result) => {
                    if result.resumed {
                        self.resumes += 1;
                    }
                }
                ServerBody::Snapshot(snapshot) => {
                    self.cursor.reset(snapshot.index);
                    self.snapshots.push(snapshot.index);
                    connection.last_raw_index = snapshot.index;
                }
                ServerBody::Event(frame) => {
                    if frame.index <= connection.last_raw_index {
                        self.duplicate_frames += 1;
                    }
                    connection.last_raw_index = connection.last_raw_index.max(frame.index);
                    if self.cursor.accept(frame.index) {
                        self.delivered.push((frame.index, fnv(frame.event.as_bytes())));
                    }
                }
                ServerBody::Reply(reply) => {
                    if self.outstanding.answer(&reply.request_id).is_some() {
                        self.replies.insert(reply.request_id.clone(), reply);
                    }
                }
                ServerBody::Heartbeat(_) => {
                    if connection.to_host.send(ClientBody::HeartbeatAck(Heartbeat {})).is_err() {
                        return false;
                    }
                }
                ServerBody::Error(_) => return false,
                ServerBody::HeartbeatAck(_)
                | ServerBody::Notice(_)
                | ServerBody::Statistics(_)
                | ServerBody::SkillGroupStatistics(_) => {}
            }
        }
    }

    fn heartbeat(&mut self, connection: &mut Connection, now_ms: u64) -> bool {
        match connection.silence.handle_timeout(now_ms) {
            SilenceAction::Wait => true,
            SilenceAction::SendHeartbeat => connection.to_host.send(ClientBody::Heartbeat(Heartbeat {})).is_ok(),
            SilenceAction::GiveUp { .. } => false,
        }
    }

    /// Makes one request: an agent toggles its own Not Ready and Ready; a supervisor sets an
    /// agent of its team Not Ready or Ready, or now and then tries one outside its teams.
    fn act(&mut self, rng: &mut ChaCha8Rng, now_ms: u64) {
        let state = if rng.gen_bool(0.5) { AgentStateRequest::NotReady } else { AgentStateRequest::Ready };
        let (agent, outside) = match self.plan.role {
            Role::Agent => match self.plan.agent {
                Some(agent) => (agent, false),
                None => return,
            },
            Role::Supervisor if !self.plan.outside_agents.is_empty() && rng.gen_bool(0.3) => {
                (self.plan.outside_agents[rng.gen_range(0..self.plan.outside_agents.len())], true)
            }
            Role::Supervisor if !self.plan.team_agents.is_empty() => {
                (self.plan.team_agents[rng.gen_range(0..self.plan.team_agents.len())], false)
            }
            _ => return,
        };
        let command = Command::Agent(AgentCommand::SetAgentState { agent, state, reason: None });
        self.sequence += 1;
        let request_id = format!("desk-{}-{}", self.user.get(), self.sequence);
        let action = serde_json::to_string(&command).unwrap_or_default();
        let request = Request { request_id: request_id.clone(), agent: agent.get(), action };
        if outside {
            self.outside_requests.insert(request_id.clone());
        }
        self.made_at_ms.insert(request_id, now_ms);
        if let Some(connection) = &self.connection {
            // A closed channel shows at the next read; the request stays pending meanwhile.
            let _ = connection.to_host.send(ClientBody::Request(request.clone()));
        }
        self.outstanding.push(request, now_ms);
    }
}
