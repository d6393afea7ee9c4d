//! The switch's primitives: begin a call, add, change and remove connections, clear a call, and
//! re-derive the agents' voice states from their connections.
//!
//! Handlers call these only after every check passed, so they never fail; a broken internal
//! rule is an assertion. They keep three things in step with the connections: each agent's line
//! (`AgentStatus::calls` and the after-call record `AgentStatus::call`), the routed contact
//! riding on the call (offered, handled by one agent, closed), and the events. Agents whose
//! connections changed are collected in a [`Touched`] set; [`Center::agents_sync`] then moves
//! each to the state its connections imply, once, at the end of the command.

use crate::VoiceEvent;
use std::collections::BTreeSet;

use crate::agent::state::{AgentState, CallDirection};
use crate::agent::status::{AgentCall, PendingState};
use crate::center::Center;
use crate::ids::{AgentId, CallId, ContactId};
use crate::limits::CALL_COUNT_MAX;
use crate::outcome::Event;
use crate::queue::contact::{ContactOutcome, ContactState};
use crate::rejection::Rejection;

use super::{Call, CallData, CallKind, ClearCause, Connection, ConnectionState, Party};

/// The agents whose connections a command changed, synced at its end.
pub(crate) type Touched = BTreeSet<AgentId>;

impl Center {
    /// A call known to exist.
    pub(crate) fn call_known(&self, id: CallId) -> &Call {
        match self.calls.get(id) {
            Some(call) => call,
            None => panic!("call {id} exists"),
        }
    }

    fn call_mut(&mut self, id: CallId) -> &mut Call {
        match self.calls.get_mut(id) {
            Some(call) => call,
            None => panic!("call {id} exists"),
        }
    }

    /// The id the next call gets, refused when the switch holds [`CALL_COUNT_MAX`] calls.
    pub(crate) fn call_room_checked(&self) -> Result<CallId, Rejection> {
        let id = self.calls.id_next("call")?;
        self.calls.check_room("calls", CALL_COUNT_MAX)?;
        Ok(id)
    }

    /// Begins call `id` (from [`Center::call_room_checked`]). The first connection is the
    /// originator's; each later one is announced as delivered (alerting) or established.
    #[allow(clippy::too_many_arguments, reason = "a call's fields, then the command's event and touched lists")]
    pub(crate) fn call_begin(
        &mut self,
        id: CallId,
        kind: CallKind,
        data: CallData,
        contact: Option<ContactId>,
        connections: Vec<Connection>,
        events: &mut Vec<Event>,
        touched: &mut Touched,
    ) {
        let call = Call {
            id,
            kind,
            connections: Vec::new(),
            data,
            contact,
            controllers: Vec::new(),
            barged_by: None,
            started_ms: self.time_ms,
        };
        self.calls.insert_new(id, call);
        for (index, connection) in connections.iter().enumerate() {
            let direction = if index == 0 { CallDirection::Outgoing } else { CallDirection::Incoming };
            self.connection_attach(id, connection.party.clone(), connection.state, direction, touched);
        }
        let call = self.call_known(id);
        events.push(Event::Voice(VoiceEvent::BeginCall { call: Box::new(call.clone()), agents: call.audience(&[]) }));
        for connection in connections.iter().skip(1) {
            self.connection_announce(id, &connection.party, connection.state, events);
        }
    }

    /// Adds a party to an existing call, with its event.
    pub(crate) fn connection_add(
        &mut self,
        call: CallId,
        party: Party,
        state: ConnectionState,
        direction: CallDirection,
        events: &mut Vec<Event>,
        touched: &mut Touched,
    ) {
        self.connection_attach(call, party.clone(), state, direction, touched);
        if let Party::Agent(agent) = party {
            self.call_appeared(call, vec![agent], events);
        }
        self.connection_announce(call, &party, state, events);
    }

    /// `BEGIN_CALL` at the devices of `agents`, which just joined a call already under way: the
    /// call's whole value, so a desktop that never saw the call begin knows it (CTI OS sends
    /// BEGIN_CALL per device).
    fn call_appeared(&self, call: CallId, mut agents: Vec<AgentId>, events: &mut Vec<Event>) {
        if agents.is_empty() {
            return;
        }
        agents.sort_unstable();
        events.push(Event::Voice(VoiceEvent::BeginCall { call: Box::new(self.call_known(call).clone()), agents }));
    }

    /// Sets an existing connection's state (answer, hold, retrieve).
    pub(crate) fn connection_set(
        &mut self,
        call: CallId,
        party: &Party,
        state: ConnectionState,
        touched: &mut Touched,
    ) {
        let call = self.call_mut(call);
        let Some(connection) = call.connections.iter_mut().find(|connection| connection.party == *party) else {
            panic!("call {} has a connection for {party:?}", call.id);
        };
        connection.state = state;
        if let Party::Agent(agent) = party {
            touched.insert(*agent);
        }
    }

    /// Removes a party's connection. An agent's line loses the call, and a routed contact the
    /// agent held moves on (see [`Center::contact_owner_left`]). The call may be left with too
    /// few parties: the caller settles it.
    pub(crate) fn connection_remove(
        &mut self,
        call: CallId,
        party: &Party,
        cause: ClearCause,
        events: &mut Vec<Event>,
        touched: &mut Touched,
    ) {
        let connections = &mut self.call_mut(call).connections;
        let Some(index) = connections.iter().position(|connection| connection.party == *party) else {
            panic!("call {call} has a connection for {party:?}");
        };
        connections.remove(index);
        let mut also = Vec::new();
        if let Party::Agent(agent) = party {
            self.status_mut(*agent).calls.retain(|held| *held != call);
            touched.insert(*agent);
            also.push(*agent);
            self.contact_owner_left(call, *agent, events);
        }
        let agents = self.call_known(call).audience(&also);
        events.push(Event::Voice(VoiceEvent::CallConnectionCleared { call, party: party.clone(), cause, agents }));
    }

    /// A call with one party left is over, unless that party is a caller waiting in a queue;
    /// a call with none is over anyway.
    pub(crate) fn call_settle(&mut self, call: CallId, events: &mut Vec<Event>, touched: &mut Touched) {
        let Some(found) = self.calls.get(call) else { return };
        let waiting = found.contact.is_some_and(|contact| self.contact_known(contact).state == ContactState::Queued);
        let count = found.connections.len();
        if count == 0 || (count == 1 && !waiting) {
            self.call_clear(call, ClearCause::Normal, events, touched);
        }
    }

    /// Clears a whole call: its contact closes (abandoned if no agent took it, handled if one
    /// did), every connection is cleared, and the call is gone.
    pub(crate) fn call_clear(
        &mut self,
        call: CallId,
        cause: ClearCause,
        events: &mut Vec<Event>,
        touched: &mut Touched,
    ) {
        self.call_contact_release(call, events);
        let parties: Vec<Party> =
            self.call_known(call).connections.iter().map(|connection| connection.party.clone()).collect();
        let agents = self.call_known(call).audience(&[]);
        for party in &parties {
            self.connection_remove(call, party, cause, events, touched);
        }
        events.push(Event::Voice(VoiceEvent::CallCleared { call, agents: agents.clone() }));
        events.push(Event::Voice(VoiceEvent::EndCall { call, agents }));
        self.calls.remove(call);
    }

    /// Removes an agent from every call it is on (its desktop session closed). The other
    /// agents are synced; the agent itself is left to the caller.
    pub(crate) fn agent_connections_drop(&mut self, agent: AgentId, events: &mut Vec<Event>) {
        let mut touched = Touched::new();
        for call in self.status(agent).calls.clone() {
            if self.calls.get(call).is_some_and(|found| found.agent_connection(agent).is_some()) {
                let party = Party::Agent(agent);
                self.connection_remove(call, &party, ClearCause::SessionClosed, events, &mut touched);
                self.call_settle(call, events, &mut touched);
            }
        }
        touched.remove(&agent);
        self.agents_sync(touched, events);
    }

    /// Takes a call out of the table after its parties moved to another call (transfer,
    /// conference), leaving `agent`, who completed it.
    pub(crate) fn call_merged_away(&mut self, call: CallId, into: CallId, agent: AgentId, events: &mut Vec<Event>) {
        let merged = self.call_known(call);
        assert!(merged.contact.is_none(), "a consult call carries no contact");
        let agents = merged.audience(&[agent]);
        let movers: Vec<AgentId> = merged.agents().filter(|other| *other != agent).collect();
        self.calls.remove(call);
        self.status_mut(agent).calls.retain(|held| *held != call);
        for mover in movers {
            let line = &mut self.status_mut(mover).calls;
            line.retain(|held| *held != call);
            if let Err(place) = line.binary_search(&into) {
                line.insert(place, into);
            }
        }
        events.push(Event::Voice(VoiceEvent::EndCall { call, agents }));
    }

    /// Appends connections to a call (the parties of a merged call), keeping their states.
    pub(crate) fn connections_join(&mut self, call: CallId, connections: Vec<Connection>, events: &mut Vec<Event>) {
        let joining: Vec<AgentId> = connections
            .iter()
            .filter_map(|connection| match connection.party {
                Party::Agent(agent) => Some(agent),
                Party::External(_) => None,
            })
            .collect();
        self.call_mut(call).connections.extend(connections);
        self.call_appeared(call, joining, events);
    }

    /// Marks `agent` a conference controller of `call`.
    pub(crate) fn call_controller_add(&mut self, call: CallId, agent: AgentId) {
        let controllers = &mut self.call_mut(call).controllers;
        if let Err(place) = controllers.binary_search(&agent) {
            controllers.insert(place, agent);
        }
    }

    /// Records the supervisor who barged into a call.
    pub(crate) fn call_barged(&mut self, call: CallId, supervisor: AgentId) {
        self.call_mut(call).barged_by = Some(supervisor);
    }

    /// Replaces a call's data.
    pub(crate) fn call_data_set(&mut self, call: CallId, data: CallData) {
        self.call_mut(call).data = data;
    }

    /// Moves every touched agent to the voice state its connections imply: alerting is
    /// Reserved, any talking is Talking, only held is Hold. An agent left with no connection
    /// goes to the after-call handling of `agent_voice`, or, if it never answered, back to
    /// where it was (Ready keeping its place, or the Not Ready it rang in).
    pub(crate) fn agents_sync(&mut self, touched: Touched, events: &mut Vec<Event>) {
        for agent in touched {
            if self.statuses.contains_key(&agent) {
                self.agent_line_sync(agent, events);
            }
        }
    }

    /// The voice state an agent's connections put it in; `None` without any.
    pub(crate) fn line_state(&self, agent: AgentId) -> Option<AgentState> {
        let states: Vec<ConnectionState> = self
            .status(agent)
            .calls
            .iter()
            .filter_map(|call| self.calls.get(*call).and_then(|call| call.agent_connection(agent)))
            .collect();
        if states.contains(&ConnectionState::Talking) {
            Some(AgentState::Talking)
        } else if states.contains(&ConnectionState::Held) {
            Some(AgentState::Hold)
        } else if states.contains(&ConnectionState::Alerting) {
            Some(AgentState::Reserved)
        } else {
            None
        }
    }

    /// Sets the routed contact on an agent's after-call record.
    pub(crate) fn agent_call_contact_set(&mut self, agent: AgentId, contact: Option<ContactId>) {
        let Some(call) = self.status_mut(agent).call.as_mut() else {
            panic!("agent {agent} with a connection has a call record");
        };
        call.contact = contact;
    }

    fn agent_line_sync(&mut self, agent: AgentId, events: &mut Vec<Event>) {
        let derived = self.line_state(agent);
        let status = self.status(agent);
        match derived {
            Some(state) if state != status.state => self.agent_enter(agent, state, None, events),
            Some(_) => {}
            None if status.call.is_none() => {}
            None if status.state == AgentState::Reserved => {
                let status = self.status_mut(agent);
                let call = status.call.take();
                let pending = status.pending.take();
                assert!(call.is_some_and(|call| call.contact.is_none()), "an unanswered agent holds no contact");
                let (state, reason) =
                    pending.map_or((AgentState::Ready, None), |pending| (pending.state, pending.reason));
                self.agent_enter(agent, state, reason, events);
            }
            None => self.call_end(agent, events),
        }
    }

    /// Adds a connection without an event; an agent's line gains the call, and an agent's
    /// first connection opens its after-call record. An agent rung while Not Ready returns to
    /// Not Ready (with its reason) after the call.
    fn connection_attach(
        &mut self,
        call: CallId,
        party: Party,
        state: ConnectionState,
        direction: CallDirection,
        touched: &mut Touched,
    ) {
        if let Party::Agent(agent) = party {
            assert!(self.call_known(call).agent_connection(agent).is_none(), "an agent joins a call once");
            let status = self.status_mut(agent);
            if let Err(place) = status.calls.binary_search(&call) {
                status.calls.insert(place, call);
            }
            if status.call.is_none() {
                status.call = Some(AgentCall { contact: None, direction, wrap_up_data: None });
                if status.state == AgentState::NotReady && state == ConnectionState::Alerting {
                    status.pending = Some(PendingState { state: AgentState::NotReady, reason: status.reason });
                }
            }
            touched.insert(agent);
        }
        self.call_mut(call).connections.push(Connection { party, state });
    }

    fn connection_announce(&self, call: CallId, party: &Party, state: ConnectionState, events: &mut Vec<Event>) {
        let agents = self.call_known(call).audience(&[]);
        let party = party.clone();
        events.push(match state {
            ConnectionState::Alerting => Event::Voice(VoiceEvent::CallDelivered { call, party, agents }),
            ConnectionState::Talking | ConnectionState::Held => {
                Event::Voice(VoiceEvent::CallEstablished { call, party, agents })
            }
        });
    }

    /// An agent left a call that carries a routed contact. A ringing offer goes back to its
    /// queue (the caller still waits); a contact the agent handled passes to another agent on
    /// the call (talking or held first, then ringing), or closes as handled if none is left.
    fn contact_owner_left(&mut self, call: CallId, agent: AgentId, events: &mut Vec<Event>) {
        let Some(contact) = self.call_known(call).contact else { return };
        match self.contact_known(contact).state.clone() {
            ContactState::Offered { agent: offered } if offered == agent => {
                self.contact_no_answer_stop(contact);
                self.agent_call_contact_set(agent, None);
                self.contact_enqueue(contact, events);
            }
            ContactState::Active { agents } if agents.first() == Some(&agent) => {
                self.agent_call_contact_set(agent, None);
                let found = self.call_known(call);
                let connected =
                    found.agents().find(|other| found.agent_connection(*other) != Some(ConnectionState::Alerting));
                match connected.or_else(|| found.agents().next()) {
                    Some(next) => {
                        let record = self.status(next).call.as_ref().and_then(|record| record.contact);
                        assert!(record.is_none(), "agent {next} takes over contact {contact} holding no other");
                        self.contact_handed_to(contact, next);
                        self.agent_call_contact_set(next, Some(contact));
                    }
                    None => {
                        self.call_mut(call).contact = None;
                        self.contact_close(contact, ContactOutcome::Handled, events);
                    }
                }
            }
            _ => {}
        }
    }

    /// Detaches a call's contact as the call ends.
    fn call_contact_release(&mut self, call: CallId, events: &mut Vec<Event>) {
        let Some(contact) = self.call_mut(call).contact.take() else { return };
        match self.contact_known(contact).state.clone() {
            ContactState::Queued => self.contact_close(contact, ContactOutcome::Abandoned, events),
            ContactState::Offered { agent } => {
                self.agent_call_contact_set(agent, None);
                self.contact_close(contact, ContactOutcome::Abandoned, events);
            }
            ContactState::Active { agents } => {
                for agent in agents {
                    self.agent_call_contact_set(agent, None);
                }
                self.contact_close(contact, ContactOutcome::Handled, events);
            }
            state => panic!("an open call's contact {contact} is queued, ringing or active, not {state:?}"),
        }
    }
}
