//! What must hold after every applied command about agents, contacts and routing, checked
//! through the public read API against a brute-force recomputation (a scan of all agents),
//! so the index is checked by something that does not share its code.

use std::collections::{BTreeMap, BTreeSet};

use crate::{
    Agent, AgentId, AgentState, Center, Channel, ContactId, ContactState, Csq, Selection, CHAT_SESSIONS_PER_AGENT_MAX,
    CONTACT_OPEN_COUNT_MAX, EMAIL_SESSIONS_PER_AGENT_MAX,
};

/// The agent's Most Skilled total for `csq`, if it meets every minimum (recomputed).
pub(super) fn score(agent: &Agent, csq: &Csq) -> Option<u32> {
    csq.skills.iter().try_fold(0u32, |total, required| {
        let level = agent.skills.iter().find(|level| level.skill == required.skill)?;
        (level.competence >= required.min_competence).then(|| total + u32::from(level.competence))
    })
}

/// The eligible agents for `csq` now, best first, by a scan of all agents.
pub(super) fn ranked_agents(center: &Center, csq: &Csq) -> Vec<AgentId> {
    let mut ranked: Vec<(u32, u64, AgentId)> = Vec::new();
    for agent in center.agents() {
        let Some(total) = score(agent, csq) else { continue };
        let status = center.agent_status(agent.id).unwrap();
        if !center.agent_available(status, csq.channel) {
            continue;
        }
        let sequence = match csq.channel {
            Channel::Voice => status.ready_sequence,
            Channel::Chat | Channel::Email => status.digital_sequence,
        };
        let score_inverse = match csq.selection {
            Selection::MostSkilled => u32::MAX - total,
            Selection::LongestAvailable => 0,
        };
        ranked.push((score_inverse, sequence, agent.id));
    }
    ranked.sort();
    ranked.into_iter().map(|(_, _, agent)| agent).collect()
}

pub(super) fn assert_routing_invariants(center: &Center) {
    let mut queued: BTreeSet<ContactId> = BTreeSet::new();
    for csq in center.csqs() {
        let resources: Vec<(AgentId, u32)> =
            center.agents().filter_map(|agent| score(agent, csq).map(|total| (agent.id, total))).collect();
        assert_eq!(center.csq_resources(csq.id), resources, "CSQ {} qualified agents", csq.id);
        let ranked = ranked_agents(center, csq);
        assert_eq!(center.csq_available_agents(csq.id), ranked, "CSQ {} available agents in order", csq.id);
        for contact in center.csq_queue(csq.id) {
            let contact = center.contact(contact).unwrap();
            assert_eq!(contact.state, ContactState::Queued, "queued contacts are Queued");
            assert_eq!(contact.csq, csq.id);
            assert!(queued.insert(contact.id), "a contact waits in one queue");
            let eligible = ranked.iter().find(|agent| !contact.excludes(**agent));
            assert_eq!(eligible, None, "contact {} waits while agent {eligible:?} could take it", contact.id);
        }
    }
    let mut held: BTreeMap<ContactId, Vec<AgentId>> = BTreeMap::new();
    for status in center.agent_statuses() {
        assert_agent_holdings(center, status, &mut held);
    }
    let mut sticky: BTreeSet<ContactId> = BTreeSet::new();
    for agent in center.agents() {
        for contact in center.agent_sticky_emails(agent.id) {
            let state = &center.contact(contact).unwrap().state;
            assert_eq!(*state, ContactState::StickyWaiting { agent: agent.id });
            assert!(sticky.insert(contact));
        }
    }
    let mut open_count = 0u64;
    for contact in center.contacts() {
        let mut holders = held.remove(&contact.id).unwrap_or_default();
        holders.sort();
        let mut agents = contact.agents().to_vec();
        agents.extend(contact.invite.map(|invite| invite.agent));
        agents.sort();
        assert_eq!(holders, agents, "contact {} is held by exactly its agents", contact.id);
        assert!(contact.agents().len() <= 2, "at most two agents on a contact");
        if let Some(invite) = contact.invite {
            assert_eq!(contact.agents().len(), 1, "only a chat with one agent invites");
            assert!(!contact.agents().contains(&invite.agent), "the invitee is not in the chat yet");
            assert!(contact.timers.invite.is_some(), "an invite runs its timer");
        }
        match contact.state {
            ContactState::Queued => assert!(queued.remove(&contact.id), "Queued contacts are in their queue"),
            ContactState::StickyWaiting { .. } => assert!(sticky.remove(&contact.id)),
            _ => {}
        }
        if !contact.is_closed() {
            open_count += 1;
        }
        assert!(contact.excluded_agents.windows(2).all(|pair| pair[0] < pair[1]), "exclusions sorted, unique");
    }
    assert!(held.is_empty() && queued.is_empty() && sticky.is_empty(), "nothing held, queued or waiting twice");
    assert_eq!(center.contact_open_count(), open_count);
    for csq in center.csqs() {
        let statistics = center.csq_statistics(csq.id, center.time_ms()).unwrap();
        let open = center.contacts().filter(|contact| !contact.is_closed() && contact.csq == csq.id).count() as u64;
        let counters = &statistics.counters;
        let accounted = counters.handled_count + counters.abandoned_count + counters.requeued_out_count + open;
        assert_eq!(
            counters.offered_count, accounted,
            "CSQ {}: offered = handled + abandoned + requeued out + open",
            csq.id
        );
        assert_eq!(statistics.open_count, open);
    }
    assert!(open_count <= u64::from(CONTACT_OPEN_COUNT_MAX));
}

/// An agent's holdings match its state and the capacities.
fn assert_agent_holdings(center: &Center, status: &crate::AgentStatus, held: &mut BTreeMap<ContactId, Vec<AgentId>>) {
    // Lowering a capacity takes nothing away, so the held counts are bounded by the largest
    // capacity here; that no contact is handed to a full agent is checked on every offer.
    assert!(status.chats.len() as u32 <= CHAT_SESSIONS_PER_AGENT_MAX, "chat capacity");
    assert!(status.emails.len() as u32 <= EMAIL_SESSIONS_PER_AGENT_MAX, "email capacity");
    assert!(status.chats.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(status.emails.windows(2).all(|pair| pair[0] < pair[1]));
    assert_eq!(status.call.is_some(), status.state.is_on_call(), "a call exactly when on a call");
    assert_eq!(status.wrap_up.is_some(), status.state.is_wrap_up(), "a wrapped-up call exactly in wrap-up");
    if status.wrap_up_timer.is_some() {
        assert!(status.state.is_wrap_up());
    }
    if status.state == AgentState::LoggedOut {
        assert!(status.chats.is_empty() && status.emails.is_empty(), "logged-out agents hold nothing");
    }
    let voice = status.call.as_ref().and_then(|call| call.contact);
    for contact in voice.iter().chain(&status.chats).chain(&status.emails) {
        held.entry(*contact).or_default().push(status.agent);
        let channel = center.contact(*contact).unwrap().channel;
        let expected = if Some(*contact) == voice {
            Channel::Voice
        } else if status.chats.contains(contact) {
            Channel::Chat
        } else {
            Channel::Email
        };
        assert_eq!(channel, expected, "contact {contact} is held on its own channel");
    }
}

/// The switch's calls and the agents' lines agree, and every connection combination is legal.
pub(super) fn assert_telephony_invariants(center: &Center) {
    use crate::{ConnectionState, Party, CONFERENCE_PARTY_COUNT_MAX, LINE_CALL_COUNT_MAX};
    for status in center.agent_statuses() {
        if let Some(agent) = center.monitoring(status.agent) {
            let watched = center.agent_status(agent).map(|status| status.state);
            assert!(status.state.is_logged_in(), "a monitoring supervisor {} is logged in", status.agent);
            assert!(watched.is_some_and(|state| state.is_logged_in()), "a monitored agent {agent} is logged in");
        }
    }
    let mut lines: BTreeMap<AgentId, Vec<(crate::CallId, ConnectionState)>> = BTreeMap::new();
    for call in center.calls() {
        let count = call.connections.len();
        assert!(count >= 1, "call {} with no connection does not exist", call.id);
        assert!(count as u32 <= CONFERENCE_PARTY_COUNT_MAX, "call {} within the party limit", call.id);
        let contact = call.contact.map(|id| center.contact(id).unwrap());
        if count == 1 {
            assert_eq!(
                contact.map(|c| &c.state),
                Some(&ContactState::Queued),
                "a one-party call {} waits in a queue",
                call.id
            );
        }
        if let Some(contact) = contact {
            assert!(!contact.is_closed(), "call {}'s contact is open", call.id);
            assert_eq!(contact.call, Some(call.id), "contact {} rides on call {}", contact.id, call.id);
            match &contact.state {
                ContactState::Queued => assert!(call.agents().next().is_none(), "a queued call rings nobody"),
                ContactState::Offered { agent } => {
                    assert_eq!(call.agent_connection(*agent), Some(ConnectionState::Alerting), "the offer rings");
                }
                ContactState::Active { agents } => {
                    assert_eq!(agents.len(), 1, "one agent handles a call");
                    assert!(call.agent_connection(agents[0]).is_some(), "the handling agent is on the call");
                }
                state => panic!("call {}'s contact is {state:?}", call.id),
            }
        }
        let mut parties = BTreeSet::new();
        for connection in &call.connections {
            match &connection.party {
                Party::Agent(agent) => {
                    assert!(parties.insert(*agent), "agent {agent} is on call {} once", call.id);
                    lines.entry(*agent).or_default().push((call.id, connection.state));
                }
                Party::External(_) => {
                    assert_ne!(connection.state, ConnectionState::Held, "only agents hold");
                }
            }
        }
        assert!(call.controllers.windows(2).all(|pair| pair[0] < pair[1]), "controllers sorted");
        if call.connections.iter().any(|connection| connection.state == ConnectionState::Held) {
            assert!(call.agents().next().is_some(), "a held call has an agent holding it");
        }
    }
    for contact in center.contacts() {
        if contact.channel == Channel::Voice && !contact.is_closed() {
            let call = contact.call.and_then(|call| center.call(call));
            assert_eq!(
                call.and_then(|call| call.contact),
                Some(contact.id),
                "open voice contact {} has its call",
                contact.id
            );
        }
    }
    for status in center.agent_statuses() {
        let line = lines.remove(&status.agent).unwrap_or_default();
        let calls: Vec<crate::CallId> = line.iter().map(|(call, _)| *call).collect();
        assert_eq!(status.calls, calls, "agent {}'s line lists its calls, sorted", status.agent);
        assert!(calls.len() as u32 <= LINE_CALL_COUNT_MAX, "agent {}'s line holds at most two calls", status.agent);
        let count = |state| line.iter().filter(|(_, held)| *held == state).count();
        assert!(count(ConnectionState::Talking) <= 1, "agent {} talks on one call at most", status.agent);
        if count(ConnectionState::Alerting) > 0 {
            assert_eq!(line.len(), 1, "agent {} rings only with a free line", status.agent);
        }
        let expected = if count(ConnectionState::Talking) > 0 {
            Some(AgentState::Talking)
        } else if count(ConnectionState::Held) > 0 {
            Some(AgentState::Hold)
        } else if count(ConnectionState::Alerting) > 0 {
            Some(AgentState::Reserved)
        } else {
            None
        };
        match expected {
            Some(state) => assert_eq!(status.state, state, "agent {}'s state follows its connections", status.agent),
            None => assert!(!status.state.is_on_call(), "agent {} without connections is not on a call", status.agent),
        }
        assert_eq!(
            status.call.is_some(),
            !calls.is_empty(),
            "agent {}'s call record exactly with connections",
            status.agent
        );
        if let Some(contact) = status.call.as_ref().and_then(|call| call.contact) {
            let held = center.contact(contact).unwrap().agents().contains(&status.agent);
            assert!(held, "agent {} holds contact {contact}", status.agent);
        }
    }
    assert!(lines.is_empty(), "every agent on a call exists");
    for extension in center.agents().filter_map(|agent| agent.extension.clone()) {
        assert!(center.dialed_numbers().all(|dialed| dialed.number != extension), "numbers are unique");
    }
}
