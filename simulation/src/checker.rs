//! The invariants, checked while the run goes, against a reference replica.
//!
//! The checker keeps its own [`Center`] (the reference) and feeds it the committed log, read
//! from a live node's disk up to that node's applied index. Applying entries one at a time,
//! outside openraft, lets it see each entry's own outcome: which entries are replays, which
//! expiry actually fired, who was offered what and at what capacity. Every replica must then
//! equal the reference whenever it has applied as far, and every node's log must hold the
//! reference's bytes at every committed index. The reference runs the same domain code, so a
//! planted nondeterminism makes it disagree with the replicas, which is the point.
//!
//! It never changes the cluster; it only reads stores, metrics and state handles.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tandem_domain::{AgentCommand, AgentEvent, ChatEvent, QueueEvent, SystemCommand, VoiceEvent};

use openraft::{EntryPayload, ServerState};
use tandem_domain::{
    Actor, AgentId, AgentState, Audience, Center, Channel, Command, ContactId, Deadline, Entry, Event, Outcome, Role,
};
use tandem_raft::{NodeId, TypeConfig};
use tandem_storage::{index_from_key, index_key, Cf, Store};

use crate::cluster::Cluster;
use crate::trace::{fnv, Kind, Trace};

/// How often a replica's state is compared with the reference, at most.
const COMPARE_INTERVAL_MS: u64 = 2_000;
/// How often a node's log is compared with the committed entries, at most.
const LOG_VERIFY_INTERVAL_MS: u64 = 500;
/// How often the reference's whole structure (holdings, queues) is checked, at most.
const STRUCTURE_INTERVAL_MS: u64 = 1_000;
/// Entries read from a disk per step, at most.
const READ_ENTRY_COUNT_MAX: u32 = 4096;

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at_ms: u64,
    pub invariant: &'static str,
    pub detail: String,
}

#[derive(Debug, Default)]
struct NodeCheck {
    verified_through: Option<u64>,
    verified_at_ms: u64,
    compared_at_ms: u64,
    incarnation: u64,
    term: u64,
    leader: Option<NodeId>,
    applied: Option<u64>,
}

pub struct Checker {
    pub violations: Vec<Violation>,
    pub check_count: u64,
    pub trace: Trace,
    pub routed_count: u64,
    /// Calls transferred or conferenced (consult completions and single-step transfers).
    pub call_control_count: u64,
    pub injected_count: u64,
    pub acked_count: u64,
    pub leader_change_count: u64,
    /// The longest stretch without any client write answered (ms).
    pub worst_gap_ms: u64,
    last_ack_ms: Option<u64>,
    /// Every leader id `(term, node)` seen leading.
    elected: BTreeSet<(u64, NodeId)>,
    reference: Center,
    reference_index: Option<u64>,
    committed_hash: BTreeMap<u64, u64>,
    committed_requests: BTreeSet<String>,
    acked_applied: Vec<String>,
    fired: BTreeSet<(Deadline, u64)>,
    injected: BTreeSet<ContactId>,
    closed: BTreeSet<ContactId>,
    nodes: BTreeMap<NodeId, NodeCheck>,
    structure_at_ms: u64,
    /// Every event the reference applied: its index, the hash of its JSON and its audience,
    /// for the desktops' invariants.
    pub published: BTreeMap<u64, (u64, Audience)>,
    /// How many times each desktop request id applied (not replayed).
    desk_requests_applied: BTreeMap<String, u32>,
}

impl Checker {
    pub fn new() -> Checker {
        Checker {
            violations: Vec::new(),
            check_count: 0,
            trace: Trace::default(),
            routed_count: 0,
            call_control_count: 0,
            injected_count: 0,
            acked_count: 0,
            leader_change_count: 0,
            worst_gap_ms: 0,
            last_ack_ms: None,
            elected: BTreeSet::new(),
            reference: Center::default(),
            reference_index: None,
            committed_hash: BTreeMap::new(),
            committed_requests: BTreeSet::new(),
            acked_applied: Vec::new(),
            fired: BTreeSet::new(),
            injected: BTreeSet::new(),
            closed: BTreeSet::new(),
            nodes: BTreeMap::new(),
            structure_at_ms: 0,
            published: BTreeMap::new(),
            desk_requests_applied: BTreeMap::new(),
        }
    }

    pub fn reference(&self) -> &Center {
        &self.reference
    }

    fn violation(&mut self, at_ms: u64, invariant: &'static str, detail: String) {
        if self.violations.len() < 16 {
            self.violations.push(Violation { at_ms, invariant, detail });
        }
    }

    /// One round of checks; called every simulated step.
    pub fn step(&mut self, cluster: &Arc<Cluster>, now_ms: u64) {
        self.check_leaders(cluster, now_ms);
        self.advance_reference(cluster, now_ms);
        for id in cluster.node_ids() {
            self.check_node(cluster, id, now_ms);
        }
        if now_ms >= self.structure_at_ms + STRUCTURE_INTERVAL_MS {
            self.structure_at_ms = now_ms;
            self.check_structure(now_ms);
        }
    }

    /// Records leader changes in the trace and counts leader ids; judges no election itself.
    ///
    /// openraft 0.9 is built without its `single-term-leader` feature (Tandem uses the default
    /// "advanced" mode): a leader is identified by `LeaderId = (term, node)`, which is totally
    /// ordered, and a voter grants any vote greater than the one it holds. So one term may elect
    /// several leaders, (3, 1) and then (3, 2) (seed 1561), and "one leader per term" is not an
    /// invariant. Nor is "leader ids are elected in increasing order", as observed: a delayed
    /// vote response can complete (10, 1)'s election after (10, 2)'s (seed 5476, heavy faults),
    /// and a restarted node resumes the leadership its committed vote names (seed 3450, 60 s).
    /// Such a stale leader is harmless as long as it cannot commit, which is what the log checks
    /// catch: entries carry their leader id (log id = term, node, index), every node's log must
    /// hold the committed bytes at every committed index, and every state equals the reference.
    fn check_leaders(&mut self, cluster: &Arc<Cluster>, now_ms: u64) {
        for id in cluster.node_ids() {
            let Some(replica) = cluster.replica(id) else { continue };
            let (term, leads, leader, applied) = {
                let raft = replica.raft();
                let metrics = raft.metrics();
                let metrics = metrics.borrow();
                // A leader is a node whose committed vote (granted by a quorum) names itself:
                // `state` alone can lag a vote change within one metrics update.
                let vote = metrics.vote;
                let leads = metrics.state == ServerState::Leader
                    && vote.committed
                    && vote.leader_id.voted_for() == Some(id)
                    && vote.leader_id.term == metrics.current_term;
                (vote.leader_id.term, leads, metrics.current_leader, metrics.last_applied.map(|id| id.index))
            };
            self.check_count += 1;
            if leads && self.elected.insert((term, id)) {
                self.leader_change_count += 1;
            }
            let node = self.nodes.entry(id).or_default();
            if node.term != term || node.leader != leader {
                node.term = term;
                node.leader = leader;
                self.trace.record(now_ms, id, Kind::Leader, term.wrapping_mul(31).wrapping_add(leader.unwrap_or(0)));
            }
            if node.applied != applied {
                node.applied = applied;
                self.trace.record(now_ms, id, Kind::Progress, applied.map_or(u64::MAX, |index| index));
            }
        }
    }

    /// Feeds the reference every entry committed since the last step.
    fn advance_reference(&mut self, cluster: &Arc<Cluster>, now_ms: u64) {
        let mut source: Option<(u64, NodeId)> = None;
        for id in cluster.node_ids() {
            let Some(replica) = cluster.replica(id) else { continue };
            let applied = replica.raft().metrics().borrow().last_applied.map(|log_id| log_id.index);
            if let Some(applied) = applied {
                if source.is_none_or(|(best, _)| applied > best) {
                    source = Some((applied, id));
                }
            }
        }
        let Some((target, id)) = source else { return };
        if self.reference_index.is_some_and(|index| index >= target) {
            return;
        }
        let Some(store) = cluster.store(id) else { return };
        let next = self.reference_index.map_or(0, |index| index + 1);
        let entries = match store.scan(Cf::Log, &index_key(next), Some(&index_key(target + 1)), READ_ENTRY_COUNT_MAX) {
            Ok(entries) => entries,
            Err(error) => {
                self.violation(now_ms, "committed log readable", format!("node {id}: {error}"));
                return;
            }
        };
        let mut expected = next;
        for (key, bytes) in entries {
            let Some(index) = index_from_key(&key) else { continue };
            if index != expected {
                break;
            }
            self.apply_committed(index, &bytes, now_ms);
            expected = index + 1;
        }
        if expected == next && self.reference_index.is_none_or(|index| index < target) {
            // The entries were purged after a snapshot: continue from that node's state.
            if let Some(replica) = cluster.replica(id) {
                let state = replica.state();
                let data = state.read();
                if let Some(applied) = data.last_applied {
                    if self.reference_index.is_none_or(|index| applied.index > index) {
                        self.reference = data.center.clone();
                        self.reference_index = Some(applied.index);
                    }
                }
            }
        }
    }

    fn apply_committed(&mut self, index: u64, bytes: &[u8], now_ms: u64) {
        let hash = fnv(bytes);
        self.committed_hash.insert(index, hash);
        self.reference_index = Some(index);
        let entry: openraft::Entry<TypeConfig> = match serde_json::from_slice(bytes) {
            Ok(entry) => entry,
            Err(error) => {
                self.violation(now_ms, "committed log readable", format!("entry {index}: {error}"));
                return;
            }
        };
        let mut value = hash;
        if let EntryPayload::Normal(proposal) = entry.payload {
            for domain_entry in &proposal.entries {
                let outcome_hash = self.apply_reference(domain_entry, now_ms);
                value = value.wrapping_mul(31).wrapping_add(outcome_hash);
            }
        }
        self.trace.record(now_ms, 0, Kind::Applied, value);
    }

    /// Applies one domain entry to the reference and checks what it did. Returns a hash of it.
    fn apply_reference(&mut self, entry: &Entry, now_ms: u64) -> u64 {
        let replay = self.reference.entry_replays(entry);
        if let Some(id) = &entry.request_id {
            self.committed_requests.insert(id.0.clone());
        }
        let outside_teams = self.acts_outside_teams(entry);
        let first_index = self.reference.event_index() + 1;
        let outcome = self.reference.apply(entry);
        self.check_count += 1;
        let hash = fnv(format!("{outcome:?}").as_bytes());
        let Outcome::Applied(applied) = outcome else { return hash };
        if replay {
            return hash;
        }
        if let Some(agent) = outside_teams {
            let detail = format!("{:?} acted for agent {agent} outside its teams: {:?}", entry.by, entry.command);
            self.violation(now_ms, "a supervisor never acts outside its teams", detail);
        }
        if let Some(id) = entry.request_id.as_ref().filter(|id| id.0.starts_with("desk-")) {
            let applied_count = self.desk_requests_applied.entry(id.0.clone()).or_default();
            *applied_count += 1;
            let count = *applied_count;
            if count > 1 {
                self.violation(now_ms, "a desktop's request applies once", format!("{} applied {count} times", id.0));
            }
        }
        for (offset, (event, audience)) in applied.published().enumerate() {
            let json = serde_json::to_string(event).unwrap_or_default();
            self.published.insert(first_index + offset as u64, (fnv(json.as_bytes()), audience.clone()));
        }
        if let Command::System(SystemCommand::Expire { deadline, epoch }) = &entry.command {
            if !applied.events.is_empty() && !self.fired.insert((*deadline, *epoch)) {
                self.violation(now_ms, "each deadline fires once", format!("{deadline:?} epoch {epoch} fired again"));
            }
        }
        for event in &applied.events {
            self.check_event(event, now_ms);
        }
        hash
    }

    /// The agent a supervisor's entry acts for outside the teams it supervises, judged before
    /// the entry applies; such an entry must be refused.
    fn acts_outside_teams(&self, entry: &Entry) -> Option<AgentId> {
        let Actor::User(user) = entry.by else { return None };
        let user = self.reference.user(user)?;
        let Command::Agent(AgentCommand::SetAgentState { agent, .. }) = &entry.command else { return None };
        let viewer = self.reference.viewer_for(user);
        (user.role == Role::Supervisor && !self.reference.viewer_sees_agent(&viewer, *agent)).then_some(*agent)
    }

    /// The last event index the reference applied.
    pub fn reference_event_index(&self) -> u64 {
        self.reference.event_index()
    }

    fn check_event(&mut self, event: &Event, now_ms: u64) {
        match event {
            Event::Agent(AgentEvent::AgentStateChanged { agent, previous, state, .. })
                if !voice_transition_legal(*previous, *state) =>
            {
                let detail = format!("agent {agent}: {previous:?} -> {state:?}");
                self.violation(now_ms, "agent state transitions are legal", detail);
            }
            Event::Queue(QueueEvent::ContactInjected(contact)) => {
                self.injected.insert(contact.id);
                self.injected_count += 1;
            }
            Event::Queue(QueueEvent::ContactClosed { contact, .. }) => {
                self.closed.insert(*contact);
            }
            Event::Queue(QueueEvent::ContactOffered { contact, agent, .. })
            | Event::Queue(QueueEvent::ContactAccepted { contact, agent, .. }) => {
                if matches!(event, Event::Queue(QueueEvent::ContactOffered { .. }))
                    || matches!(event, Event::Queue(QueueEvent::ContactAccepted { channel: Channel::Email, .. }))
                {
                    self.routed_count += 1;
                }
                // Accepting a chat adds nothing (its offer already counted), and capacity may
                // have been lowered since; only offers and email assignments take capacity.
                match event {
                    Event::Queue(QueueEvent::ContactOffered { channel: Channel::Chat, .. }) => {
                        self.check_capacity(*agent, Channel::Chat, now_ms)
                    }
                    Event::Queue(QueueEvent::ContactAccepted { channel: Channel::Email, .. }) => {
                        self.check_capacity(*agent, Channel::Email, now_ms)
                    }
                    _ => {}
                }
                self.check_assignment(*contact, now_ms);
            }
            Event::Chat(ChatEvent::GroupChatInviteOffered { agent, .. }) => {
                self.check_capacity(*agent, Channel::Chat, now_ms)
            }
            Event::Voice(VoiceEvent::CallTransferred { .. }) | Event::Voice(VoiceEvent::CallConferenced { .. }) => {
                self.call_control_count += 1
            }
            _ => {}
        }
    }

    /// No agent over capacity on a channel at the moment a contact of it is handed to it.
    fn check_capacity(&mut self, agent: AgentId, channel: Channel, now_ms: u64) {
        self.check_count += 1;
        let parameters = self.reference.channel_parameters();
        let Some(status) = self.reference.agent_status(agent) else { return };
        let (held, max) = match channel {
            Channel::Email => (status.emails.len() as u32, parameters.max_email_sessions_per_agent),
            _ => (status.chats.len() as u32, parameters.max_chat_sessions_per_agent),
        };
        if held > max {
            let detail = format!("agent {agent} was handed a {channel:?} contact and holds {held} (max {max})");
            self.violation(now_ms, "no agent over capacity", detail);
        }
    }

    /// A contact is held by the agents it names and nobody else; one agent unless a group chat.
    fn check_assignment(&mut self, contact_id: ContactId, now_ms: u64) {
        self.check_count += 1;
        let Some(contact) = self.reference.contact(contact_id) else { return };
        let limit = if contact.channel == Channel::Chat { 2 } else { 1 };
        let agents = contact.agents().to_vec();
        let invitee = contact.invite.map(|invite| invite.agent);
        let channel = contact.channel;
        if agents.len() > limit {
            let detail = format!("contact {contact_id} ({channel:?}) assigned to {agents:?}");
            self.violation(now_ms, "no contact assigned to two agents", detail);
        }
        let mut holders = Vec::new();
        for status in self.reference.agent_statuses() {
            let voice = status.call.as_ref().and_then(|call| call.contact) == Some(contact_id);
            if voice || status.chats.contains(&contact_id) || status.emails.contains(&contact_id) {
                holders.push(status.agent);
            }
        }
        let mut expected = agents;
        expected.extend(invitee);
        expected.sort();
        if holders != expected {
            let detail = format!("contact {contact_id} names {expected:?} but is held by {holders:?}");
            self.violation(now_ms, "no contact assigned to two agents", detail);
        }
    }

    /// Whole-state checks on the reference: holdings match contacts, no contact vanished.
    fn check_structure(&mut self, now_ms: u64) {
        self.check_count += 1;
        let mut held: BTreeMap<ContactId, Vec<AgentId>> = BTreeMap::new();
        for status in self.reference.agent_statuses() {
            let voice = status.call.as_ref().and_then(|call| call.contact);
            for contact in voice.iter().chain(&status.chats).chain(&status.emails) {
                held.entry(*contact).or_default().push(status.agent);
            }
        }
        let mut problems = Vec::new();
        for (contact, agents) in &held {
            match self.reference.contact(*contact) {
                None => problems.push(format!("agents {agents:?} hold unknown contact {contact}")),
                Some(found) if found.is_closed() => {
                    problems.push(format!("agents {agents:?} hold closed contact {contact}"))
                }
                Some(found) if agents.len() > 1 && found.channel != Channel::Chat => {
                    problems.push(format!("{:?} contact {contact} held by {agents:?}", found.channel))
                }
                Some(_) => {}
            }
        }
        for contact in &self.injected {
            if self.reference.contact(*contact).is_none() && !self.closed.contains(contact) {
                problems.push(format!("contact {contact} vanished: neither open nor closed"));
            }
        }
        if let Some(problem) = problems.into_iter().next() {
            self.violation(now_ms, "contacts are held consistently and never vanish", problem);
        }
    }

    /// Per node: its log holds the committed bytes; its state equals the reference's.
    fn check_node(&mut self, cluster: &Arc<Cluster>, id: NodeId, now_ms: u64) {
        let Some(replica) = cluster.replica(id) else { return };
        let incarnation = cluster.incarnation(id).unwrap_or(0);
        let node = self.nodes.entry(id).or_default();
        if node.incarnation != incarnation {
            // A restarted node: verify its whole log again, crashes are where logs go wrong.
            node.incarnation = incarnation;
            node.verified_through = None;
        }
        let applied = replica.raft().metrics().borrow().last_applied.map(|log_id| log_id.index);
        let verify_due = now_ms >= node.verified_at_ms + LOG_VERIFY_INTERVAL_MS;
        let compare_due = now_ms >= node.compared_at_ms + COMPARE_INTERVAL_MS;
        let verified_through = node.verified_through;
        if verify_due {
            node.verified_at_ms = now_ms;
        }
        if compare_due && applied.is_some() && applied == self.reference_index {
            node.compared_at_ms = now_ms;
            self.check_count += 1;
            let state = replica.state();
            let data = state.read();
            if data.last_applied.map(|log_id| log_id.index) == self.reference_index && data.center != self.reference {
                let detail = format!(
                    "node {id} at index {} differs from the committed log's state{}",
                    applied.unwrap_or(0),
                    first_difference(&data.center, &self.reference)
                );
                drop(data);
                self.violation(now_ms, "every replica applies the same prefix", detail);
            }
        }
        if verify_due {
            if let (Some(store), Some(applied)) = (cluster.store(id), applied) {
                let through = applied.min(self.reference_index.unwrap_or(0));
                let from = verified_through.map_or(0, |index| index + 1);
                if from <= through {
                    self.verify_log(id, &store, from, through, now_ms);
                }
            }
        }
    }

    fn verify_log(&mut self, id: NodeId, store: &tandem_storage::SimStore, from: u64, through: u64, now_ms: u64) {
        let Ok(entries) = store.scan(Cf::Log, &index_key(from), Some(&index_key(through + 1)), READ_ENTRY_COUNT_MAX)
        else {
            return;
        };
        let mut last = None;
        for (key, bytes) in entries {
            let Some(index) = index_from_key(&key) else { continue };
            self.check_count += 1;
            if let Some(expected) = self.committed_hash.get(&index) {
                if *expected != fnv(&bytes) {
                    let detail = format!("node {id} holds a different entry at committed index {index}");
                    self.violation(now_ms, "a committed entry never changes", detail);
                }
            }
            last = Some(index);
        }
        if let Some(node) = self.nodes.get_mut(&id) {
            node.verified_through = last.or(node.verified_through).map(|index| index.max(through));
        }
    }

    /// A client got an answer. An applied write must already be in some replica's state.
    pub fn on_ack(&mut self, cluster: &Arc<Cluster>, request_id: &str, outcome: &Outcome, now_ms: u64) {
        self.acked_count += 1;
        if let Some(last) = self.last_ack_ms {
            self.worst_gap_ms = self.worst_gap_ms.max(now_ms.saturating_sub(last));
        }
        self.last_ack_ms = Some(now_ms);
        self.trace.record(now_ms, 0, Kind::Ack, fnv(request_id.as_bytes()) ^ u64::from(outcome.is_applied()));
        if !outcome.is_applied() {
            return;
        }
        self.check_count += 1;
        let id = tandem_domain::RequestId(request_id.to_string());
        let applied_somewhere = cluster
            .node_ids()
            .into_iter()
            .flat_map(|node| cluster.states_ever(node))
            .any(|state| state.read().center.request_remembered(&id));
        if !applied_somewhere {
            let detail = format!("request {request_id} was acknowledged but no replica has applied it");
            self.violation(now_ms, "acknowledged writes are committed", detail);
        }
        self.acked_applied.push(request_id.to_string());
    }

    /// The cluster has converged: one leader that every member follows, every member applied
    /// everything the leader did, and every member's state equals the reference.
    pub fn converged(&mut self, cluster: &Arc<Cluster>) -> bool {
        self.advance_reference(cluster, 0);
        let mut leader = None;
        for id in cluster.node_ids() {
            let Some(replica) = cluster.replica(id) else { continue };
            if replica.raft().metrics().borrow().state == ServerState::Leader {
                if leader.is_some() {
                    return false;
                }
                leader = Some(replica);
            }
        }
        let Some(leader) = leader else { return false };
        let (leader_id, last_log, members) = {
            let raft = leader.raft();
            let metrics = raft.metrics();
            let metrics = metrics.borrow();
            let membership = metrics.membership_config.membership();
            let members: Vec<NodeId> = membership.nodes().map(|(id, _)| *id).collect();
            (metrics.id, metrics.last_log_index, members)
        };
        for id in members {
            let Some(replica) = cluster.replica(id) else { return false };
            let (follows, applied) = {
                let raft = replica.raft();
                let metrics = raft.metrics();
                let metrics = metrics.borrow();
                (metrics.current_leader == Some(leader_id), metrics.last_applied.map(|log_id| log_id.index))
            };
            if !follows || applied != last_log || applied != self.reference_index {
                return false;
            }
            if replica.state().read().center != self.reference {
                return false;
            }
        }
        true
    }

    /// The checks that only make sense once faults stopped and the cluster converged.
    pub fn finish(&mut self, now_ms: u64) {
        self.check_structure(now_ms);
        let lost: Vec<&String> =
            self.acked_applied.iter().filter(|id| !self.committed_requests.contains(*id)).take(3).collect();
        self.check_count += self.acked_applied.len() as u64;
        if let Some(first) = lost.first() {
            let detail = format!("acknowledged request {first} is not in the committed log");
            self.violation(now_ms, "acknowledged writes survive", detail);
        }
        for csq in self.reference.csqs() {
            let available = self.reference.csq_available_agents(csq.id);
            for contact_id in self.reference.csq_queue(csq.id) {
                let Some(contact) = self.reference.contact(contact_id) else { continue };
                if let Some(agent) = available.iter().find(|agent| !contact.excludes(**agent)) {
                    let detail =
                        format!("contact {contact_id} waits in CSQ {} while agent {agent} is available", csq.id);
                    self.violations.push(Violation { at_ms: now_ms, invariant: "queued contacts are routed", detail });
                    return;
                }
            }
        }
    }
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new()
    }
}

/// The voice transitions the spec allows (seeds-ctios.md §2.6.2-2.6.4), written independently
/// of the domain's table so that a wrong table is caught.
pub fn voice_transition_legal(previous: AgentState, next: AgentState) -> bool {
    use AgentState as S;
    match (previous, next) {
        (S::BusyOther | S::Unknown, _) | (_, S::BusyOther | S::Unknown) => false,
        (S::LoggedOut, next) => next == S::NotReady,
        (_, S::LoggedOut) => previous == S::NotReady,
        (S::NotReady, next) => matches!(next, S::NotReady | S::Ready | S::Talking),
        (S::Ready, next) => matches!(next, S::NotReady | S::Ready | S::Reserved),
        (S::Reserved, next) => matches!(next, S::Talking | S::NotReady | S::Ready),
        (S::Talking, next) => matches!(next, S::Hold | S::WorkReady | S::WorkNotReady | S::Ready | S::NotReady),
        (S::Hold, next) => matches!(next, S::Talking | S::WorkReady | S::WorkNotReady | S::Ready | S::NotReady),
        (S::WorkReady | S::WorkNotReady, next) => {
            matches!(next, S::Ready | S::NotReady | S::WorkReady | S::WorkNotReady)
        }
    }
}

/// Names the first part of two centers that differs, for the report.
fn first_difference(node: &Center, reference: &Center) -> String {
    for status in reference.agent_statuses() {
        if node.agent_status(status.agent) != Some(status) {
            return format!(": agent {} status", status.agent);
        }
    }
    for contact in reference.contacts() {
        if node.contact(contact.id) != Some(contact) {
            return format!(": contact {}", contact.id);
        }
    }
    String::new()
}
