//! CSQ queues and agent selection, indexed so a decision never scans all agents.
//!
//! Each CSQ keeps three ordered sets: the agents who meet its skill requirements (with their
//! Most Skilled score), those of them available for its channel now, ranked best first, and
//! its waiting contacts, first to route first. Each agent keeps the CSQs it qualifies for and
//! the sequence it is indexed with per channel. Routing a contact is therefore the first
//! acceptable entry of one ordered set, and an agent becoming available looks only at the
//! heads of its own CSQs' queues (seeds-uccx.md §2.5; `docs/decisions/0013-routing.md`).
//!
//! - Contacts wait ordered by priority (higher first), then arrival sequence. A contact put
//!   back (ring-no-answer, chat no-answer, requeue) keeps its arrival sequence, so it goes back
//!   ahead of everything that arrived after it: the head of its queue.
//! - Longest Available ranks agents by the sequence of their last move into Ready (voice) or
//!   digital Ready (chat, email): the lower, the longer available. Most Skilled ranks by the
//!   sum of the agent's competences in the CSQ's required skills, highest first, and breaks
//!   ties with the same sequence: the agent "updated first" wins, and keeps winning until full.
//!   The agent id breaks what is left, so the order is total.
//! - Eligibility is the index (logged in, Ready, skills, capacity, blending) plus the contact's
//!   own exclusions (agents who requeued an email), checked while walking the ranked set.
//!
//! Every assignment goes through [`Center::route_contact`], which offers a contact to the best
//! eligible agent of its CSQ. Commands change states first and queue work (contacts to route,
//! agents who became available) in a transient list; [`Center::dispatch`] then drains it before
//! the command returns, so after every command no waiting contact has an eligible available
//! agent. When an agent becomes available, the best contact it could take is routed, and that
//! contact still goes to the best agent for it, which keeps the choice right when several
//! agents become available in one command.

use crate::QueueEvent;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::agent::status::AgentStatus;
use crate::agent::Agent;
use crate::center::Center;
use crate::ids::{AgentId, ContactId, CsqId};
use crate::limits::{DISPATCH_STEP_COUNT_MAX, PRIORITY_MAX};
use crate::outcome::Event;
use crate::queue::contact::ContactState;
use crate::queue::csq::{Channel, Csq, Selection};

/// The routing index. Derived from configuration, statuses and contacts, and kept in step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Routing {
    csqs: BTreeMap<CsqId, CsqRouting>,
    agents: BTreeMap<AgentId, AgentRouting>,
    /// The simulator's planted bugs; all off unless a run plants one.
    #[cfg(feature = "planted-bugs")]
    #[serde(default)]
    pub(crate) planted: crate::system::planted::PlantedBugs,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsqRouting {
    channel: Channel,
    selection: Selection,
    /// Agents meeting every requirement, with their total competence in the required skills.
    qualified: BTreeMap<AgentId, u32>,
    /// Qualified agents available for the channel now, best first.
    available: BTreeSet<Rank>,
    /// Waiting contacts, first to route first.
    queue: BTreeSet<QueueKey>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentRouting {
    /// The CSQs the agent qualifies for.
    csqs: BTreeSet<CsqId>,
    /// The sequence the agent is indexed with, per channel; `None`: not available.
    voice: Option<u64>,
    chat: Option<u64>,
    email: Option<u64>,
    /// Emails waiting for this agent as the last agent of their conversation.
    sticky: BTreeSet<(u64, ContactId)>,
}

/// An available agent's place in one CSQ: lower is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Rank {
    /// `u32::MAX - score` for Most Skilled, 0 for Longest Available.
    score_inverse: u32,
    /// The agent's Ready sequence for the channel: earlier is better.
    sequence: u64,
    agent: AgentId,
}

/// A waiting contact's place in its queue: lower goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct QueueKey {
    priority_inverse: u8,
    arrival_sequence: u64,
    contact: ContactId,
}

/// Routing work a command queued; empty between commands, never persisted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Work {
    contacts: BTreeSet<QueueKey>,
    agents: BTreeSet<AgentId>,
}

const CHANNELS: [Channel; 3] = [Channel::Voice, Channel::Chat, Channel::Email];

impl AgentRouting {
    fn indexed(&self, channel: Channel) -> Option<u64> {
        match channel {
            Channel::Voice => self.voice,
            Channel::Chat => self.chat,
            Channel::Email => self.email,
        }
    }

    fn indexed_set(&mut self, channel: Channel, sequence: Option<u64>) {
        match channel {
            Channel::Voice => self.voice = sequence,
            Channel::Chat => self.chat = sequence,
            Channel::Email => self.email = sequence,
        }
    }
}

impl CsqRouting {
    fn rank(&self, agent: AgentId, sequence: u64) -> Rank {
        let score = self.qualified.get(&agent).copied().unwrap_or(0);
        let score_inverse = match self.selection {
            Selection::MostSkilled => u32::MAX - score,
            Selection::LongestAvailable => 0,
        };
        Rank { score_inverse, sequence, agent }
    }
}

/// The agent's total competence in the CSQ's required skills, if it meets every minimum.
fn score(agent: &Agent, csq: &Csq) -> Option<u32> {
    let mut total = 0u32;
    for required in &csq.skills {
        let level = agent.skills.iter().find(|level| level.skill == required.skill)?;
        if level.competence < required.min_competence {
            return None;
        }
        total += u32::from(level.competence);
    }
    Some(total)
}

/// The sequence an available agent is ranked with on `channel`.
fn ready_sequence(status: &AgentStatus, channel: Channel) -> u64 {
    match channel {
        Channel::Voice => status.ready_sequence,
        Channel::Chat | Channel::Email => status.digital_sequence,
    }
}

impl Center {
    /// The contacts waiting in a CSQ, first to route first.
    pub fn csq_queue(&self, id: CsqId) -> Vec<ContactId> {
        self.routing.csqs.get(&id).map(|csq| csq.queue.iter().map(|key| key.contact).collect()).unwrap_or_default()
    }

    /// The agents qualified for a CSQ ("Show Resources") with their Most Skilled totals, in
    /// agent id order.
    pub fn csq_resources(&self, id: CsqId) -> Vec<(AgentId, u32)> {
        let csq = self.routing.csqs.get(&id);
        csq.map(|csq| csq.qualified.iter().map(|(&agent, &score)| (agent, score)).collect()).unwrap_or_default()
    }

    /// The agents available for a CSQ now, in selection order (best first).
    pub fn csq_available_agents(&self, id: CsqId) -> Vec<AgentId> {
        let csq = self.routing.csqs.get(&id);
        csq.map(|csq| csq.available.iter().map(|rank| rank.agent).collect()).unwrap_or_default()
    }

    /// The CSQs an agent qualifies for.
    pub fn agent_csqs(&self, id: AgentId) -> Vec<CsqId> {
        self.routing.agents.get(&id).map(|agent| agent.csqs.iter().copied().collect()).unwrap_or_default()
    }

    /// The emails waiting for an agent as the last agent of their conversation, oldest first.
    pub fn agent_sticky_emails(&self, id: AgentId) -> Vec<ContactId> {
        let agent = self.routing.agents.get(&id);
        agent.map(|agent| agent.sticky.iter().map(|&(_, contact)| contact).collect()).unwrap_or_default()
    }

    /// Adds an agent's routing entry if a restored snapshot lacks it.
    pub(crate) fn routing_agent_repaired(&mut self, id: AgentId) {
        if !self.routing.agents.contains_key(&id) {
            self.routing_agent_added(id);
        }
    }

    /// Builds a CSQ's routing entry if a restored snapshot lacks it.
    pub(crate) fn routing_csq_repaired(&mut self, id: CsqId) {
        if !self.routing.csqs.contains_key(&id) {
            self.routing_csq_changed(id);
        }
    }

    /// A new agent: find the CSQs it qualifies for. It starts logged out, so unindexed.
    pub(crate) fn routing_agent_added(&mut self, id: AgentId) {
        let previous = self.routing.agents.insert(id, AgentRouting::default());
        assert!(previous.is_none(), "an agent is added once");
        self.routing_qualify_agent(id);
    }

    /// An agent's skills may have changed: requalify, re-rank and route.
    pub(crate) fn routing_agent_changed(&mut self, id: AgentId, events: &mut Vec<Event>) {
        for channel in CHANNELS {
            self.index_set(id, channel, None);
        }
        let csqs = std::mem::take(&mut self.routing_agent_mut(id).csqs);
        for csq in csqs {
            self.routing_csq_mut(csq).qualified.remove(&id);
        }
        self.routing_qualify_agent(id);
        self.agent_availability_changed(id, events);
    }

    /// A deleted agent (logged out, so unindexed) leaves every CSQ.
    pub(crate) fn routing_agent_removed(&mut self, id: AgentId) {
        let Some(agent) = self.routing.agents.remove(&id) else {
            panic!("agent {id} has routing");
        };
        assert!(
            agent.voice.is_none() && agent.chat.is_none() && agent.email.is_none(),
            "deleted agents are logged out"
        );
        assert!(agent.sticky.is_empty(), "sticky emails move to their CSQ before the agent goes");
        for csq in agent.csqs {
            self.routing_csq_mut(csq).qualified.remove(&id);
        }
    }

    /// A new or changed CSQ: (re)build its qualified and available sets, keep its queue, and
    /// route every waiting contact again. Control plane: one pass over the agents.
    pub(crate) fn routing_csq_changed(&mut self, id: CsqId) {
        let Some(csq) = self.csqs.get(id) else { panic!("CSQ {id} exists") };
        let queue = self.routing.csqs.remove(&id).map(|routing| routing.queue).unwrap_or_default();
        let mut routing = CsqRouting {
            channel: csq.channel,
            selection: csq.selection,
            qualified: BTreeMap::new(),
            available: BTreeSet::new(),
            queue,
        };
        for agent in self.agents.values() {
            let agent_routing = self.routing.agents.get_mut(&agent.id);
            let Some(agent_routing) = agent_routing else { panic!("agent {} has routing", agent.id) };
            agent_routing.csqs.remove(&id);
            let Some(total) = score(agent, csq) else { continue };
            agent_routing.csqs.insert(id);
            routing.qualified.insert(agent.id, total);
            if let Some(sequence) = agent_routing.indexed(csq.channel) {
                let rank = routing.rank(agent.id, sequence);
                routing.available.insert(rank);
            }
        }
        self.work.contacts.extend(routing.queue.iter().copied());
        self.routing.csqs.insert(id, routing);
    }

    /// A deleted CSQ (with no open contacts) leaves every agent.
    pub(crate) fn routing_csq_removed(&mut self, id: CsqId) {
        let Some(routing) = self.routing.csqs.remove(&id) else { panic!("CSQ {id} has routing") };
        assert!(routing.queue.is_empty(), "deleted CSQs hold no contacts");
        for agent in routing.qualified.keys() {
            self.routing_agent_mut(*agent).csqs.remove(&id);
        }
    }

    /// Re-indexes an agent after anything that can change its availability (state, capacity,
    /// blending, call). An agent that became available on a channel is queued for routing.
    pub(crate) fn agent_availability_changed(&mut self, id: AgentId, _events: &mut Vec<Event>) {
        let status = self.status(id);
        let desired =
            CHANNELS.map(|channel| self.agent_available(status, channel).then(|| ready_sequence(status, channel)));
        let mut became_available = false;
        for (channel, desired) in CHANNELS.into_iter().zip(desired) {
            let current = self.routing_agent(id).indexed(channel);
            if current != desired {
                became_available |= desired.is_some();
                self.index_set(id, channel, desired);
            }
        }
        if became_available {
            self.work.agents.insert(id);
        }
    }

    /// Puts a contact in its CSQ's queue (state Queued) and queues it for routing.
    pub(crate) fn contact_enqueue(&mut self, id: ContactId, events: &mut Vec<Event>) {
        let contact = self.contact_mut(id);
        contact.state = ContactState::Queued;
        let (csq, channel) = (contact.csq, contact.channel);
        let key = queue_key(contact);
        let inserted = self.routing_csq_mut(csq).queue.insert(key);
        assert!(inserted, "a contact waits in one queue once");
        self.work.contacts.insert(key);
        events.push(Event::Queue(QueueEvent::ContactQueued { contact: id, csq, channel }));
    }

    /// Takes a contact out of its queue or its last agent's personal queue, if it is in one.
    pub(crate) fn contact_unqueue(&mut self, id: ContactId) {
        let contact = self.contact_known(id);
        let key = queue_key(contact);
        match contact.state {
            ContactState::Queued => {
                let csq = contact.csq;
                let removed = self.routing_csq_mut(csq).queue.remove(&key);
                assert!(removed, "a queued contact is in its queue");
            }
            ContactState::StickyWaiting { agent } => {
                let sequence = contact.arrival_sequence;
                let removed = self.routing_agent_mut(agent).sticky.remove(&(sequence, id));
                assert!(removed, "a sticky email is in its agent's personal queue");
            }
            _ => {}
        }
    }

    /// Puts an email in its last agent's personal queue.
    pub(crate) fn sticky_enqueue(&mut self, id: ContactId, agent: AgentId) {
        let contact = self.contact_mut(id);
        contact.state = ContactState::StickyWaiting { agent };
        let sequence = contact.arrival_sequence;
        self.routing_agent_mut(agent).sticky.insert((sequence, id));
        self.work.agents.insert(agent);
    }

    /// Drains the routing work a command queued: contacts first, in queue order, then agents
    /// that became available, in id order, until nothing is left.
    pub(crate) fn dispatch(&mut self, events: &mut Vec<Event>) {
        let mut step_count = 0u64;
        loop {
            step_count += 1;
            assert!(step_count <= DISPATCH_STEP_COUNT_MAX, "dispatch terminates");
            if let Some(key) = self.work.contacts.pop_first() {
                self.route_contact(key.contact, events);
            } else if let Some(agent) = self.work_agent_next() {
                self.route_agent(agent, events);
            } else {
                return;
            }
        }
    }

    /// Offers a waiting contact to the best eligible agent of its CSQ, if there is one.
    /// Returns whether it was offered.
    pub(crate) fn route_contact(&mut self, id: ContactId, events: &mut Vec<Event>) -> bool {
        let Some(contact) = self.contacts.get(id) else { return false };
        if contact.state != ContactState::Queued {
            return false;
        }
        let csq = self.routing_csq(contact.csq);
        let best = csq.available.iter().find(|rank| !contact.excludes(rank.agent)).map(|rank| rank.agent);
        #[cfg(feature = "planted-bugs")]
        let best = match best {
            Some(best) if self.routing.planted.random_tie_break => Some(planted_tie_break(csq, contact, best)),
            other => other,
        };
        let Some(agent) = best else { return false };
        self.contact_offer(id, agent, events);
        true
    }

    /// An agent became available: per channel, take sticky emails first, then route the best
    /// contact the agent could take (which goes to the best agent for it), until the agent is
    /// full or nothing it could take is waiting.
    fn route_agent(&mut self, id: AgentId, events: &mut Vec<Event>) {
        for channel in CHANNELS {
            while self.routing_agent(id).indexed(channel).is_some() {
                if channel == Channel::Email {
                    if let Some(&(_, sticky)) = self.routing_agent(id).sticky.first() {
                        self.contact_offer(sticky, id, events);
                        continue;
                    }
                }
                let Some(candidate) = self.agent_best_contact(id, channel) else { break };
                let offered = self.route_contact(candidate, events);
                assert!(offered, "a contact an available agent can take is offered");
            }
        }
    }

    /// The first waiting contact the agent may take across its CSQs of `channel`.
    fn agent_best_contact(&self, id: AgentId, channel: Channel) -> Option<ContactId> {
        let mut best: Option<QueueKey> = None;
        for csq in &self.routing_agent(id).csqs {
            let routing = self.routing_csq(*csq);
            if routing.channel != channel {
                continue;
            }
            let head = routing.queue.iter().find(|key| !self.contact_known(key.contact).excludes(id));
            if let Some(head) = head {
                if best.is_none_or(|best| *head < best) {
                    best = Some(*head);
                }
            }
        }
        best.map(|key| key.contact)
    }

    /// Hands a contact to an agent the index says is eligible: an offer for voice and chat, an
    /// assignment for email (auto-accept).
    fn contact_offer(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        self.contact_unqueue(id);
        match self.contact_known(id).channel {
            Channel::Voice => self.voice_offer(id, agent, events),
            Channel::Chat => self.chat_offer(id, agent, events),
            Channel::Email => self.email_assign(id, agent, events),
        }
    }

    /// The next agent whose availability a command changed: lowest id first.
    fn work_agent_next(&mut self) -> Option<AgentId> {
        #[cfg(feature = "planted-bugs")]
        #[allow(clippy::disallowed_types, reason = "the planted bug is hash order")]
        if self.routing.planted.hash_order_dispatch {
            let agents: std::collections::HashSet<AgentId> = self.work.agents.iter().copied().collect();
            let agent = agents.into_iter().next()?;
            self.work.agents.remove(&agent);
            return Some(agent);
        }
        self.work.agents.pop_first()
    }

    /// Switches the planted bugs.
    #[cfg(feature = "planted-bugs")]
    pub(crate) fn bugs_planted(&mut self, bugs: crate::system::planted::PlantedBugs) -> crate::outcome::Applied {
        self.routing.planted = bugs;
        crate::outcome::Applied::default()
    }

    fn routing_qualify_agent(&mut self, id: AgentId) {
        let Some(agent) = self.agents.get(id) else { panic!("agent {id} exists") };
        let mut csqs = BTreeSet::new();
        for csq in self.csqs.values() {
            if let Some(total) = score(agent, csq) {
                csqs.insert(csq.id);
                self.routing.csqs.get_mut(&csq.id).map(|routing| routing.qualified.insert(id, total));
            }
        }
        self.routing_agent_mut(id).csqs = csqs;
    }

    /// Moves an agent's entries for `channel` to `sequence` (or removes them).
    fn index_set(&mut self, id: AgentId, channel: Channel, sequence: Option<u64>) {
        let current = self.routing_agent(id).indexed(channel);
        let csqs: Vec<CsqId> = self.routing_agent(id).csqs.iter().copied().collect();
        for csq in csqs {
            let routing = self.routing_csq_mut(csq);
            if routing.channel != channel {
                continue;
            }
            if let Some(current) = current {
                let rank = routing.rank(id, current);
                let removed = routing.available.remove(&rank);
                assert!(removed, "an indexed agent is in its CSQs' available sets");
            }
            if let Some(sequence) = sequence {
                let rank = routing.rank(id, sequence);
                routing.available.insert(rank);
            }
        }
        self.routing_agent_mut(id).indexed_set(channel, sequence);
    }

    fn routing_agent(&self, id: AgentId) -> &AgentRouting {
        match self.routing.agents.get(&id) {
            Some(agent) => agent,
            None => panic!("agent {id} has routing"),
        }
    }

    fn routing_agent_mut(&mut self, id: AgentId) -> &mut AgentRouting {
        match self.routing.agents.get_mut(&id) {
            Some(agent) => agent,
            None => panic!("agent {id} has routing"),
        }
    }

    fn routing_csq(&self, id: CsqId) -> &CsqRouting {
        match self.routing.csqs.get(&id) {
            Some(csq) => csq,
            None => panic!("CSQ {id} has routing"),
        }
    }

    fn routing_csq_mut(&mut self, id: CsqId) -> &mut CsqRouting {
        match self.routing.csqs.get_mut(&id) {
            Some(csq) => csq,
            None => panic!("CSQ {id} has routing"),
        }
    }
}

/// The planted tie bug: any eligible agent tied with the best on the selection criterion, in
/// hash order (which differs between replicas) instead of by the written tie rule.
#[cfg(feature = "planted-bugs")]
#[allow(clippy::disallowed_types, reason = "the planted bug is hash order")]
fn planted_tie_break(csq: &CsqRouting, contact: &crate::queue::contact::Contact, best: AgentId) -> AgentId {
    let Some(best_rank) = csq.available.iter().find(|rank| rank.agent == best) else { return best };
    let tied: std::collections::HashSet<AgentId> = csq
        .available
        .iter()
        .filter(|rank| rank.score_inverse == best_rank.score_inverse && !contact.excludes(rank.agent))
        .map(|rank| rank.agent)
        .collect();
    tied.into_iter().next().unwrap_or(best)
}

fn queue_key(contact: &crate::queue::contact::Contact) -> QueueKey {
    QueueKey {
        priority_inverse: PRIORITY_MAX - contact.priority,
        arrival_sequence: contact.arrival_sequence,
        contact: contact.id,
    }
}
