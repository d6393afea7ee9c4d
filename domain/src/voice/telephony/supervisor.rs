//! Supervisor features on calls: SUPERVISE (clear, barge-in, intercept) and the agent's
//! emergency and assistance calls to its supervisor (seeds-ctios.md §2.8).
//!
//! Only a supervisor of the agent's team (primary or secondary) may supervise the agent. A
//! barge-in conferences the supervisor into the agent's call, at most once per call; an
//! intercept then drops the agent, leaving the supervisor with the customer, never dropping
//! everyone. The supervisor joins from Not Ready, as for any call it makes, so it is never
//! already talking: the direct barge-in of 13120 does not arise here.

use crate::agent::state::{make_call_checked, CallDirection};
use crate::center::Center;
use crate::ids::{AgentId, CallId};
use crate::limits::CONFERENCE_PARTY_COUNT_MAX;
use crate::outcome::{Applied, Event};
use crate::rejection::Rejection;
use crate::spec_error::SpecError;
use crate::VoiceEvent;

use super::dial::reachable;
use super::switch::Touched;
use super::{
    AlertType, CallData, CallKind, ClearCause, Connection, ConnectionState, ConsultPurpose, Party, SuperviseAction,
};

/// How an escape call reaches the supervisor.
enum Escape {
    /// Hold the agent's call and place a consult call to the supervisor.
    Consult { call: CallId, id: CallId },
    /// Add the supervisor, ringing, to the agent's call.
    Blind { call: CallId },
    /// The agent is on no call: call the supervisor.
    Fresh { id: CallId },
}

impl Center {
    pub(crate) fn supervise(
        &mut self,
        supervisor: AgentId,
        agent: AgentId,
        call: CallId,
        action: SuperviseAction,
    ) -> Result<Applied, Rejection> {
        self.supervise_checked(supervisor, agent, call, action)?;
        let mut events = Vec::new();
        let mut touched = Touched::new();
        match action {
            SuperviseAction::Clear => self.call_clear(call, ClearCause::Normal, &mut events, &mut touched),
            SuperviseAction::BargeIn => self.barge_in_write(supervisor, call, &mut events, &mut touched),
            SuperviseAction::Intercept => {
                if self.agent_connection_on(supervisor, call).is_none() {
                    self.barge_in_write(supervisor, call, &mut events, &mut touched);
                }
                self.connection_remove(call, &Party::Agent(agent), ClearCause::Intercepted, &mut events, &mut touched);
                self.call_settle(call, &mut events, &mut touched);
            }
            SuperviseAction::Unknown => unreachable!("refused by supervise_checked"),
        }
        self.agents_sync(touched, &mut events);
        Ok(Applied::events(events))
    }

    /// SUPERVISE's preconditions: the action (13109), the supervisor's team (not a spec code),
    /// the call (13111), the agent's connections (13110, 13112, 13095), then per action the
    /// barge-in rules (13096, the supervisor free to call, 20070).
    pub(crate) fn supervise_checked(
        &self,
        supervisor: AgentId,
        agent: AgentId,
        call: CallId,
        action: SuperviseAction,
    ) -> Result<(), Rejection> {
        self.status_checked(supervisor)?;
        let status = self.status_checked(agent)?;
        if action == SuperviseAction::Unknown {
            return Err(SpecError::SuperviseInvalidAction.into());
        }
        if !self.supervises(supervisor, agent) {
            return Err(Rejection::invalid_state(format!(
                "agent {supervisor} is not a supervisor of agent {agent}'s team and cannot supervise it"
            )));
        }
        let Some(found) = self.calls.get(call) else { return Err(SpecError::SuperviseBadCallId.into()) };
        if status.calls.is_empty() {
            return Err(SpecError::SuperviseNoActiveConnection.into());
        }
        match found.agent_connection(agent) {
            None => return Err(SpecError::SuperviseBadAgentCallId.into()),
            Some(ConnectionState::Talking) => {}
            Some(_) => return Err(SpecError::SuperviseActiveNotTalking.into()),
        }
        let barged = found.barged_by == Some(supervisor) && found.agent_connection(supervisor).is_some();
        match action {
            SuperviseAction::Clear => Ok(()),
            SuperviseAction::Intercept if barged => Ok(()),
            SuperviseAction::BargeIn | SuperviseAction::Intercept => self.barge_in_checked(supervisor, call),
            SuperviseAction::Unknown => Err(SpecError::SuperviseInvalidAction.into()),
        }
    }

    /// An emergency call (`emergency`) or an assistance request from an agent to its team's
    /// supervisor: the alert type (13078, 13079), the team (10105), the agent's line, then a
    /// supervisor who can take the call.
    pub(crate) fn supervisor_call(
        &mut self,
        agent: AgentId,
        alert: AlertType,
        emergency: bool,
    ) -> Result<Applied, Rejection> {
        let (escape, supervisor) = self.supervisor_call_checked(agent, alert, emergency)?;
        let mut events = Vec::new();
        let mut touched = Touched::new();
        let connection = Connection { party: Party::Agent(supervisor), state: ConnectionState::Alerting };
        let call = match escape {
            Escape::Consult { call, id } => {
                self.hold_write(agent, call, &mut events, &mut touched);
                let data = CallData { variables: self.call_known(call).data.variables.clone(), ..CallData::default() };
                let caller = Connection { party: Party::Agent(agent), state: ConnectionState::Talking };
                let kind = CallKind::Consult { of: call, purpose: ConsultPurpose::Conference, by: agent };
                self.call_begin(id, kind, data, None, vec![caller, connection], &mut events, &mut touched);
                id
            }
            Escape::Blind { call } => {
                let direction = CallDirection::Incoming;
                self.connection_add(call, connection.party, connection.state, direction, &mut events, &mut touched);
                call
            }
            Escape::Fresh { id } => {
                let caller = Connection { party: Party::Agent(agent), state: ConnectionState::Talking };
                let data = CallData::default();
                self.call_begin(
                    id,
                    CallKind::Internal,
                    data,
                    None,
                    vec![caller, connection],
                    &mut events,
                    &mut touched,
                );
                id
            }
        };
        let agents = self.call_known(call).audience(&[]);
        events.push(Event::Voice(VoiceEvent::SupervisorCallPlaced { call, agent, supervisor, emergency, agents }));
        self.agents_sync(touched, &mut events);
        Ok(Applied::events(events))
    }

    /// Whether the agent may place an emergency or assistance call now (for the buttons).
    pub(crate) fn supervisor_call_possible(&self, agent: AgentId) -> bool {
        self.supervisor_call_checked(agent, AlertType::Consult, true).is_ok()
    }

    fn supervisor_call_checked(
        &self,
        agent: AgentId,
        alert: AlertType,
        emergency: bool,
    ) -> Result<(Escape, AgentId), Rejection> {
        let status = self.status_checked(agent)?;
        if alert == AlertType::Unknown {
            let error =
                if emergency { SpecError::EmergencyInvalidAlertType } else { SpecError::AssistInvalidAlertType };
            return Err(error.into());
        }
        let team = self.agents.get(agent).and_then(|found| found.team).and_then(|team| self.teams.get(team));
        let Some(team) = team else { return Err(SpecError::NotTeamMember.into()) };
        let escape = match (self.agent_talking_call(agent), alert) {
            (Some(call), AlertType::BlindConference) => {
                if self.call_known(call).connections.len() as u64 >= u64::from(CONFERENCE_PARTY_COUNT_MAX) {
                    return Err(SpecError::ConferenceFull.into());
                }
                Escape::Blind { call }
            }
            (Some(call), _) => {
                self.consult_state_checked(agent, call, ConsultPurpose::Conference, None)?;
                Escape::Consult { call, id: self.call_room_checked()? }
            }
            (None, _) => {
                make_call_checked(status.state)?;
                Escape::Fresh { id: self.call_room_checked()? }
            }
        };
        let candidates = team.primary_supervisor.iter().chain(&team.secondary_supervisors);
        let supervisor = candidates
            .copied()
            .find(|&candidate| candidate != agent && self.statuses.get(&candidate).is_some_and(reachable));
        let Some(supervisor) = supervisor else {
            return Err(Rejection::invalid_state(format!(
                "no supervisor of team {} is logged in with a free line",
                team.id
            )));
        };
        Ok((escape, supervisor))
    }

    /// Whether `supervisor` is the primary or a secondary supervisor of `agent`'s team.
    pub(crate) fn supervises(&self, supervisor: AgentId, agent: AgentId) -> bool {
        let team = self.agents.get(agent).and_then(|found| found.team).and_then(|team| self.teams.get(team));
        team.is_some_and(|team| team.is_supervised_by(supervisor))
    }

    /// Barge-in: once per call (13096), the supervisor free to make a call (10103, 10106,
    /// 10108), room for one more party (20070).
    fn barge_in_checked(&self, supervisor: AgentId, call: CallId) -> Result<(), Rejection> {
        let found = self.call_known(call);
        if found.barged_by.is_some() {
            return Err(SpecError::SuperviseAlreadyBarged.into());
        }
        make_call_checked(self.status(supervisor).state)?;
        self.line_room_checked(supervisor)?;
        if found.connections.len() as u64 >= u64::from(CONFERENCE_PARTY_COUNT_MAX) {
            return Err(SpecError::ConferenceFull.into());
        }
        Ok(())
    }

    fn barge_in_write(&mut self, supervisor: AgentId, call: CallId, events: &mut Vec<Event>, touched: &mut Touched) {
        let party = Party::Agent(supervisor);
        self.connection_add(call, party, ConnectionState::Talking, CallDirection::Outgoing, events, touched);
        self.call_barged(call, supervisor);
        let found = self.call_known(call);
        let (connections, agents) = (found.connections.clone(), found.audience(&[]));
        events.push(Event::Voice(VoiceEvent::CallConferenced {
            call,
            secondary: None,
            controller: supervisor,
            connections,
            agents,
        }));
    }
}
