//! The people: callers, chat customers, email senders, agents, supervisors, administrators.
//!
//! Each is a small state machine woken at times drawn from the run's generator. People act on
//! what their desktop shows, which is the state of the node their desktop is connected to (a
//! follower may lag the leader, as real desktops do), and send their commands as clients: to
//! their node, and on failure to the other side with the same request id, so a retry applies
//! once. Every answer goes back to the run loop, which hands it to the checker.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tandem_domain::{
    AgentCommand, ChatCommand, ConfigCommand, EmailCommand, QueueCommand, SupervisionCommand, VoiceCommand,
};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tandem_domain::{
    AgentId, AgentState, AgentStateRequest, CallId, CallRequest, Center, Channel, Command, ConnectionState,
    ConsultPurpose, ContactId, ContactSpec, ContactState, CsqId, CsqSpec, DigitalState, DigitalStateRequest, EntityRef,
    Entry, Outcome, RequestId, Selection, TeamId, TeamMessageSpec,
};
use tandem_raft::NodeId;
use tokio::sync::mpsc;

use crate::cluster::{ClientError, Cluster};
use crate::config::Traffic;

/// Attempts a client makes (alternating sides) before it gives up on a request.
const CLIENT_ATTEMPT_COUNT_MAX: u32 = 8;
/// How long one attempt may take before the client tries the other side.
const CLIENT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(7);
/// Customer addresses email senders write from (threads need repeat senders).
const EMAIL_ADDRESS_COUNT: u32 = 40;
const EMAIL_SUBJECTS: [&str; 6] =
    ["Invoice question", "Password reset", "Order 1234", "Refund", "Delivery late", "Change of address"];

/// Why a request was sent: what to do with its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Agent(usize),
    Inject(Channel),
    Other,
}

/// A client's final answer: an outcome, or `None` when every attempt failed.
#[derive(Debug)]
pub struct Reply {
    pub request_id: String,
    pub purpose: Purpose,
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Wake {
    Agent(usize),
    Call,
    Chat,
    Email,
    Supervisor,
    Admin,
    Customer(ContactId, CustomerAct),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum CustomerAct {
    /// Types a message (the inactivity timeout starts again); `u8` messages are left to type.
    Type(u8),
    /// Hangs up or closes the chat window.
    Leave,
}

struct Desk {
    agent: AgentId,
    node: NodeId,
    busy: bool,
}

/// The center's entities the people need, by id.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub agents: Vec<AgentId>,
    pub csqs: Vec<(CsqId, Channel)>,
    /// Teams with their primary supervisor and members.
    pub teams: Vec<(TeamId, AgentId, Vec<AgentId>)>,
    /// The users who sit at the simulated desktops, with their plans.
    pub desks: Vec<(crate::desktops::DeskPlan, tandem_domain::UserId)>,
}

pub struct Workload {
    rng: ChaCha8Rng,
    agenda: BTreeMap<(u64, u64), Wake>,
    sequence: u64,
    desks: Vec<Desk>,
    directory: Directory,
    traffic: Traffic,
    /// The nodes clients connect to: side A first, side B second.
    client_nodes: [NodeId; 2],
    replies: mpsc::UnboundedSender<Reply>,
    request_count: u64,
    arrivals_stopped: bool,
    threads: BTreeMap<u32, String>,
    pub contacts_injected_requested: u64,
}

impl Workload {
    pub fn new(
        rng: ChaCha8Rng,
        directory: Directory,
        traffic: Traffic,
        client_nodes: [NodeId; 2],
        replies: mpsc::UnboundedSender<Reply>,
        now_ms: u64,
    ) -> Workload {
        let desks = directory
            .agents
            .iter()
            .enumerate()
            .map(|(index, agent)| Desk { agent: *agent, node: client_nodes[index % 2], busy: false })
            .collect();
        let mut workload = Workload {
            rng,
            agenda: BTreeMap::new(),
            sequence: 0,
            desks,
            directory,
            traffic,
            client_nodes,
            replies,
            request_count: 0,
            arrivals_stopped: false,
            threads: BTreeMap::new(),
            contacts_injected_requested: 0,
        };
        for index in 0..workload.desks.len() {
            let delay = workload.rng.gen_range(0..2_000);
            workload.schedule(now_ms + delay, Wake::Agent(index));
        }
        for wake in [Wake::Call, Wake::Chat, Wake::Email, Wake::Supervisor, Wake::Admin] {
            if let Some(delay) = workload.interarrival_ms(wake) {
                workload.schedule(now_ms + delay, wake);
            }
        }
        workload
    }

    /// No more customers arrive (the liveness phase); agents keep working.
    pub fn stop_arrivals(&mut self) {
        self.arrivals_stopped = true;
    }

    fn schedule(&mut self, at_ms: u64, wake: Wake) {
        self.sequence += 1;
        self.agenda.insert((at_ms, self.sequence), wake);
    }

    /// Exponential inter-arrival time for a per-minute rate; `None` for a zero rate.
    fn interarrival_ms(&mut self, wake: Wake) -> Option<u64> {
        let per_minute = match wake {
            Wake::Call => self.traffic.calls_per_minute,
            Wake::Chat => self.traffic.chats_per_minute,
            Wake::Email => self.traffic.emails_per_minute,
            Wake::Supervisor => self.traffic.supervisor_actions_per_minute,
            Wake::Admin => self.traffic.admin_changes_per_minute,
            _ => return None,
        };
        if per_minute <= 0.0 {
            return None;
        }
        let uniform: f64 = self.rng.gen_range(1e-9..1.0);
        Some(((-uniform.ln()) * 60_000.0 / per_minute).clamp(1.0, 3_600_000.0) as u64)
    }

    /// Wakes everyone due by `now_ms` and sends their commands.
    pub fn run_due(&mut self, cluster: &Arc<Cluster>, now_ms: u64) {
        while let Some(entry) = self.agenda.first_entry() {
            if entry.key().0 > now_ms {
                break;
            }
            let wake = entry.remove();
            self.wake(cluster, wake, now_ms);
        }
    }

    fn wake(&mut self, cluster: &Arc<Cluster>, wake: Wake, now_ms: u64) {
        match wake {
            Wake::Agent(index) => {
                let seconds = self.traffic.agent_action_seconds;
                let next = (self.rng.gen_range(0.5..1.5) * seconds * 1_000.0) as u64;
                self.schedule(now_ms + next.max(10), wake);
                self.agent_wakes(cluster, index);
            }
            Wake::Call | Wake::Chat | Wake::Email | Wake::Supervisor | Wake::Admin => {
                if let Some(delay) = self.interarrival_ms(wake) {
                    self.schedule(now_ms + delay, wake);
                }
                let command = match wake {
                    Wake::Call | Wake::Chat | Wake::Email if self.arrivals_stopped => None,
                    Wake::Call => self.arrival(Channel::Voice),
                    Wake::Chat => self.arrival(Channel::Chat),
                    Wake::Email => self.arrival(Channel::Email),
                    _ => {
                        let Some(replica) =
                            cluster.replica(self.client_nodes[0]).or_else(|| cluster.replica(self.client_nodes[1]))
                        else {
                            return;
                        };
                        let state = replica.state();
                        let data = state.read();
                        if wake == Wake::Supervisor {
                            self.supervisor(&data.center)
                        } else {
                            self.administrator(&data.center)
                        }
                    }
                };
                let purpose = match wake {
                    Wake::Call => Purpose::Inject(Channel::Voice),
                    Wake::Chat => Purpose::Inject(Channel::Chat),
                    Wake::Email => Purpose::Inject(Channel::Email),
                    _ => Purpose::Other,
                };
                if let Some(command) = command {
                    let node = self.client_nodes[self.rng.gen_range(0..2)];
                    self.send(cluster, node, command, purpose);
                }
            }
            Wake::Customer(contact, act) => {
                let command = match act {
                    CustomerAct::Leave => Command::Queue(QueueCommand::CustomerLeft { contact }),
                    CustomerAct::Type(left) => {
                        if left > 0 {
                            let delay = self.rng.gen_range(5_000..30_000);
                            self.schedule(now_ms + delay, Wake::Customer(contact, CustomerAct::Type(left - 1)));
                        }
                        Command::Chat(ChatCommand::CustomerActivity { contact })
                    }
                };
                let node = self.client_nodes[self.rng.gen_range(0..2)];
                self.send(cluster, node, command, Purpose::Other);
            }
        }
    }

    fn agent_wakes(&mut self, cluster: &Arc<Cluster>, index: usize) {
        let Some(desk) = self.desks.get(index) else { return };
        if desk.busy {
            return;
        }
        let (agent, mut node) = (desk.agent, desk.node);
        if self.rng.gen_bool(0.01) || !cluster.is_up(node) {
            // The desktop reconnects to the other side.
            node = if node == self.client_nodes[0] { self.client_nodes[1] } else { self.client_nodes[0] };
            if let Some(desk) = self.desks.get_mut(index) {
                desk.node = node;
            }
        }
        let Some(replica) = cluster.replica(node) else { return };
        let command = {
            let state = replica.state();
            let data = state.read();
            self.agent_decides(&data.center, agent)
        };
        if let Some(command) = command {
            if let Some(desk) = self.desks.get_mut(index) {
                desk.busy = true;
            }
            self.send(cluster, node, command, Purpose::Agent(index));
        }
    }

    /// One agent's next move, from what its desktop shows.
    fn agent_decides(&mut self, center: &Center, agent: AgentId) -> Option<Command> {
        let status = center.agent_status(agent)?;
        for contact_id in status.chats.iter().chain(&status.emails) {
            let contact = *contact_id;
            let state = center.contact(contact).map(|c| (c.state.clone(), c.channel, c.csq))?;
            match state {
                (ContactState::Offered { agent: offered }, Channel::Chat, _)
                    if offered == agent && self.rng.gen_bool(0.85) =>
                {
                    return Some(Command::Chat(ChatCommand::AcceptChat { agent, contact }));
                }
                (ContactState::Ended { .. }, Channel::Chat, _) => {
                    return Some(Command::Chat(ChatCommand::EndChat { agent, contact }))
                }
                (ContactState::Active { .. }, Channel::Chat, _) if self.rng.gen_bool(0.25) => {
                    return Some(Command::Chat(ChatCommand::EndChat { agent, contact }));
                }
                (ContactState::Active { .. }, Channel::Email, csq) => {
                    let roll: f64 = self.rng.gen();
                    if roll < 0.4 {
                        return Some(Command::Email(EmailCommand::SendEmail { agent, contact }));
                    }
                    if roll < 0.45 {
                        return Some(Command::Email(EmailCommand::DiscardEmail { agent, contact }));
                    }
                    if roll < 0.5 {
                        let to = self.csq_of(Channel::Email).unwrap_or(csq);
                        return Some(Command::Email(EmailCommand::RequeueEmail { agent, contact, csq: to }));
                    }
                }
                _ => {}
            }
        }
        let roll: f64 = self.rng.gen();
        let reason = Some(self.rng.gen_range(1..=4));
        match status.state {
            AgentState::LoggedOut => (roll < 0.6).then_some(Command::Agent(AgentCommand::SetAgentState {
                agent,
                state: AgentStateRequest::Login,
                reason: None,
            })),
            AgentState::NotReady => {
                if status.digital == DigitalState::NotReady && roll < 0.5 {
                    Some(Command::Agent(AgentCommand::SetDigitalState { agent, state: DigitalStateRequest::Ready }))
                } else if roll < 0.52 {
                    Some(Command::Agent(AgentCommand::SetAgentState {
                        agent,
                        state: AgentStateRequest::Logout,
                        reason: Some(1),
                    }))
                } else if roll < 0.55 {
                    Some(Command::Voice(VoiceCommand::MakeCall { agent }))
                } else if roll < 0.95 {
                    Some(Command::Agent(AgentCommand::SetAgentState {
                        agent,
                        state: AgentStateRequest::Ready,
                        reason: None,
                    }))
                } else {
                    None
                }
            }
            AgentState::Ready if roll < 0.03 => {
                Some(Command::Agent(AgentCommand::SetAgentState { agent, state: AgentStateRequest::NotReady, reason }))
            }
            AgentState::Ready if roll < 0.05 => {
                Some(Command::Agent(AgentCommand::SetDigitalState { agent, state: DigitalStateRequest::NotReady }))
            }
            AgentState::Ready => None,
            AgentState::Reserved => (roll < 0.85).then_some(Command::Voice(VoiceCommand::AnswerCall { agent })),
            AgentState::Talking => self.call_control_decides(center, agent, roll),
            AgentState::Hold => Some(Command::Voice(VoiceCommand::RetrieveCall { agent })),
            AgentState::WorkReady | AgentState::WorkNotReady if roll < 0.6 => {
                Some(Command::Agent(AgentCommand::SetAgentState {
                    agent,
                    state: AgentStateRequest::Ready,
                    reason: None,
                }))
            }
            _ => None,
        }
    }

    /// An agent on a call: consult an outside number and complete (transfer, conference) or
    /// reconnect, blind-transfer, hold, or hang up. External parties answer at once (the desk
    /// setting's default), so a consult is talking when the agent next wakes.
    fn call_control_decides(&mut self, center: &Center, agent: AgentId, roll: f64) -> Option<Command> {
        let status = center.agent_status(agent)?;
        let on = |state: ConnectionState| -> Option<CallId> {
            status
                .calls
                .iter()
                .copied()
                .find(|call| center.call(*call).and_then(|found| found.agent_connection(agent)) == Some(state))
        };
        let (held, active) = (on(ConnectionState::Held), on(ConnectionState::Talking));
        let control = |request| Some(Command::Voice(VoiceCommand::CallControl { agent, request }));
        let mut outside = || format!("555{:04}", self.rng.gen_range(0..10_000));
        match (held, active) {
            (Some(held), Some(active)) if roll < 0.4 => control(CallRequest::TransferComplete { held, active }),
            (Some(held), Some(active)) if roll < 0.7 => control(CallRequest::ConferenceComplete { held, active }),
            (Some(held), Some(active)) if roll < 0.9 => control(CallRequest::Reconnect { active, held }),
            (Some(_), Some(_)) => None,
            (_, Some(call)) if roll < 0.08 => {
                control(CallRequest::Consult { call, purpose: ConsultPurpose::Transfer, number: outside() })
            }
            (_, Some(call)) if roll < 0.12 => {
                control(CallRequest::Consult { call, purpose: ConsultPurpose::Conference, number: outside() })
            }
            (_, Some(call)) if roll < 0.15 => control(CallRequest::SingleStepTransfer { call, number: outside() }),
            (_, Some(_)) if roll < 0.18 => Some(Command::Voice(VoiceCommand::HoldCall { agent })),
            (_, Some(_)) if roll < 0.45 => Some(Command::Voice(VoiceCommand::EndCall { agent })),
            _ => None,
        }
    }

    fn csq_of(&mut self, channel: Channel) -> Option<CsqId> {
        let csqs: Vec<CsqId> = self.directory.csqs.iter().filter(|(_, c)| *c == channel).map(|(id, _)| *id).collect();
        if csqs.is_empty() {
            return None;
        }
        csqs.get(self.rng.gen_range(0..csqs.len())).copied()
    }

    /// A customer arrives: a call, a chat, or an email (new, a reply, or a changed subject).
    fn arrival(&mut self, channel: Channel) -> Option<Command> {
        let csq = self.csq_of(channel)?;
        self.contacts_injected_requested += 1;
        let mut spec = ContactSpec {
            channel,
            csq,
            priority: Some(self.rng.gen_range(1..=10)),
            customer_name: Some(format!("Customer {}", self.rng.gen_range(0..100_000))),
            customer_address: None,
            subject: None,
        };
        if channel == Channel::Email {
            let sender = self.rng.gen_range(0..EMAIL_ADDRESS_COUNT);
            spec.customer_address = Some(format!("customer{sender}@example.com"));
            let roll: f64 = self.rng.gen();
            let subject = match self.threads.get(&sender) {
                Some(previous) if roll < 0.5 => format!("Re: {previous}"),
                _ => EMAIL_SUBJECTS[self.rng.gen_range(0..EMAIL_SUBJECTS.len())].to_string(),
            };
            self.threads.insert(sender, subject.trim_start_matches("Re: ").to_string());
            spec.subject = Some(subject);
        }
        Some(Command::Queue(QueueCommand::InjectContact(spec)))
    }

    /// A supervisor messages a team or changes an agent's state.
    fn supervisor(&mut self, center: &Center) -> Option<Command> {
        if self.directory.teams.is_empty() {
            return None;
        }
        let (team, supervisor, members) =
            self.directory.teams[self.rng.gen_range(0..self.directory.teams.len())].clone();
        if self.rng.gen_bool(0.6) {
            let text = format!("Queue update {}", self.rng.gen_range(0..1000));
            return Some(Command::Supervision(SupervisionCommand::PublishTeamMessage(TeamMessageSpec {
                sender: supervisor,
                text,
                teams: vec![team],
                expiry_minutes: tandem_domain::TEAM_MESSAGE_EXPIRY_MINUTES_MIN,
            })));
        }
        let agent = *members.get(self.rng.gen_range(0..members.len().max(1)))?;
        let state = center.agent_status(agent)?.state;
        let request =
            if state == AgentState::NotReady { AgentStateRequest::Ready } else { AgentStateRequest::NotReady };
        Some(Command::Agent(AgentCommand::SetAgentState { agent, state: request, reason: Some(3) }))
    }

    /// An administrator changes configuration mid-traffic.
    fn administrator(&mut self, center: &Center) -> Option<Command> {
        match self.rng.gen_range(0..3) {
            0 => {
                let mut parameters = center.channel_parameters().clone();
                parameters.max_chat_sessions_per_agent = self.rng.gen_range(1..=3);
                parameters.max_email_sessions_per_agent = self.rng.gen_range(1..=3);
                parameters.no_answer_timeout_seconds = self.rng.gen_range(10..=60);
                Some(Command::Config(ConfigCommand::SetChannelParameters(parameters)))
            }
            1 => {
                let channel = [Channel::Voice, Channel::Chat, Channel::Email][self.rng.gen_range(0..3)];
                let csq_id = self.csq_of(channel)?;
                let csq = center.csq(csq_id)?;
                let selection = match csq.selection {
                    Selection::LongestAvailable => Selection::MostSkilled,
                    Selection::MostSkilled => Selection::LongestAvailable,
                };
                let spec =
                    CsqSpec { name: csq.name.clone(), channel: csq.channel, selection, skills: csq.skills.clone() };
                Some(Command::Queue(QueueCommand::UpdateCsq { id: csq_id, spec }))
            }
            _ => {
                let mut desk = center.desk_settings().clone();
                desk.wrap_up_timer_seconds = [0, 30, 60][self.rng.gen_range(0..3)];
                Some(Command::Config(ConfigCommand::SetDeskSettings(desk)))
            }
        }
    }

    fn send(&mut self, cluster: &Arc<Cluster>, node: NodeId, command: Command, purpose: Purpose) {
        self.request_count += 1;
        let request_id = format!("sim-{}", self.request_count);
        let entry = Entry {
            request_id: Some(RequestId(request_id.clone())),
            time_ms: 0,
            command,
            by: tandem_domain::Actor::Operator,
        };
        let other = if node == self.client_nodes[0] { self.client_nodes[1] } else { self.client_nodes[0] };
        tokio::spawn(submit(cluster.clone(), [node, other], entry, purpose, self.replies.clone()));
    }

    /// Handles a client's answer: frees the agent, gives a new contact its customer.
    pub fn on_reply(&mut self, reply: &Reply, now_ms: u64) {
        match reply.purpose {
            Purpose::Agent(index) => {
                if let Some(desk) = self.desks.get_mut(index) {
                    desk.busy = false;
                }
            }
            Purpose::Inject(channel) => {
                let created = reply.outcome.as_ref().and_then(Outcome::applied).and_then(|applied| applied.created);
                let Some(EntityRef::Contact(contact)) = created else { return };
                match channel {
                    Channel::Voice => {
                        let patience = self.rng.gen_range(20_000..180_000);
                        self.schedule(now_ms + patience, Wake::Customer(contact, CustomerAct::Leave));
                    }
                    Channel::Chat => {
                        let roll: f64 = self.rng.gen();
                        let messages = if roll < 0.2 { 0 } else { self.rng.gen_range(1..8) };
                        self.schedule(now_ms + 2_000, Wake::Customer(contact, CustomerAct::Type(messages)));
                        if roll > 0.7 {
                            let leave = self.rng.gen_range(10_000..240_000);
                            self.schedule(now_ms + leave, Wake::Customer(contact, CustomerAct::Leave));
                        }
                    }
                    Channel::Email => {}
                }
            }
            Purpose::Other => {}
        }
    }
}

/// One client request: to the preferred side, then alternating, with the same request id.
pub async fn submit(
    cluster: Arc<Cluster>,
    nodes: [NodeId; 2],
    entry: Entry,
    purpose: Purpose,
    replies: mpsc::UnboundedSender<Reply>,
) {
    let request_id = entry.request_id.as_ref().map(|id| id.0.clone()).unwrap_or_default();
    let mut outcome = None;
    for attempt in 0..CLIENT_ATTEMPT_COUNT_MAX {
        let node = nodes[(attempt % 2) as usize];
        match tokio::time::timeout(CLIENT_ATTEMPT_TIMEOUT, cluster.client_write(node, entry.clone())).await {
            Ok(Ok(answer)) => {
                outcome = Some(answer);
                break;
            }
            Ok(Err(ClientError::Write(_) | ClientError::Lost | ClientError::Unreachable)) | Err(_) => {
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt + 1))).await;
            }
        }
    }
    // The run loop may have finished; then nobody needs the answer.
    let _ = replies.send(Reply { request_id, purpose, outcome });
}
