//! Voice commands on an agent: state changes, wrap-up data, a closed session, and the moves
//! into and out of calls.
//!
//! Each handler checks everything first (the transition table in `agent_state`, then wrap-up
//! data (280), then the reason (281 and that the code exists)) and only then writes, through
//! infallible helpers; so a refused request leaves the center as it was. The helpers here
//! ([`Center::agent_enter`], [`Center::call_end`]) are the only code that moves a voice state;
//! the switch (`telephony`) calls them when an agent's connections change.

use crate::agent::state::{
    after_call_step, voice_step, wrap_up_timer_target, AfterCallStep, AgentState, AgentStateRequest, CallDirection,
    VoiceStep,
};
use crate::agent::status::{AgentCall, AgentStatus, PendingState};
use crate::center::Center;
use crate::config::reason_code::ReasonKind;
use crate::config::settings::WrapUpMode;
use crate::deadline::Deadline;
use crate::ids::AgentId;
use crate::limits::WRAP_UP_DATA_LENGTH_MAX;
use crate::outcome::{Applied, Event};
use crate::rejection::Rejection;
use crate::spec_error::SpecError;
use crate::text::text_required;
use crate::{AgentEvent, VoiceEvent};

impl Center {
    pub(crate) fn agent_set_state(
        &mut self,
        id: AgentId,
        request: AgentStateRequest,
        reason: Option<u16>,
    ) -> Result<Applied, Rejection> {
        let status = self.status_checked(id)?;
        let call_mode = status.call.as_ref().map(|call| self.desk.wrap_up_mode(call.direction));
        let step = voice_step(status.state, request, call_mode)?;
        if let VoiceStep::To(target) = step {
            if status.state.is_wrap_up() && !target.is_wrap_up() {
                self.wrap_up_data_checked(status)?;
            }
        }
        let reason = self.reason_checked(request, reason)?;
        let (state, previous_reason) = (status.state, status.reason);
        let mut events = Vec::new();
        match step {
            VoiceStep::To(target) if target == state && reason == previous_reason => {}
            VoiceStep::To(AgentState::LoggedOut) => self.agent_log_out(id, reason, &mut events),
            VoiceStep::To(target) => self.agent_enter(id, target, reason, &mut events),
            VoiceStep::Pending(target) => {
                let pending = PendingState { state: target, reason };
                self.status_mut(id).pending = Some(pending);
                events.push(Event::Agent(AgentEvent::AfterCallStateChosen { agent: id, pending }));
            }
        }
        if request == AgentStateRequest::Login {
            self.agent_logged_in(id, &mut events);
        }
        Ok(Applied::events(events))
    }

    pub(crate) fn agent_set_wrap_up_data(&mut self, id: AgentId, data: &str) -> Result<Applied, Rejection> {
        let data = text_required("data", data, WRAP_UP_DATA_LENGTH_MAX)?;
        let status = self.status_checked(id)?;
        let on_call = matches!(status.state, AgentState::Talking | AgentState::Hold);
        let call = match (&status.call, &status.wrap_up) {
            (Some(call), _) if on_call => call,
            (_, Some(call)) => call,
            _ => return Err(Rejection::invalid_state(format!("agent {id} has no call to wrap up"))),
        };
        if call.direction == CallDirection::Outgoing {
            return Err(Rejection::invalid_state("wrap-up data is kept for incoming calls only"));
        }
        let status = self.status_mut(id);
        let call = if on_call { status.call.as_mut() } else { status.wrap_up.as_mut() };
        if let Some(call) = call {
            call.wrap_up_data = Some(data.clone());
        }
        let mut events = vec![Event::Voice(VoiceEvent::WrapUpDataSet { agent: id, data: data.clone() })];
        if on_call {
            self.wrap_up_data_onto_calls(id, &data, &mut events);
        }
        Ok(Applied::events(events))
    }

    /// A desktop session closed without a logout (seeds-ctios.md §2.6.6). With
    /// `force_logout_on_session_close` the agent is forced Not Ready, then logged out, each
    /// with its configured reason; a call the agent is on is dropped first.
    pub(crate) fn agent_close_session(&mut self, id: AgentId) -> Result<Applied, Rejection> {
        let status = self.status_checked(id)?;
        let mut events = Vec::new();
        if !status.state.is_logged_in() {
            return Ok(Applied::events(events));
        }
        self.agent_session_closed(id, &mut events);
        if !self.desk.force_logout_on_session_close {
            return Ok(Applied::events(events));
        }
        if self.status(id).state.is_on_call() {
            self.call_drop(id, &mut events);
        }
        let not_ready_reason = reason_value(self.desk.force_not_ready_reason);
        let logout_reason = reason_value(self.desk.force_logout_reason);
        self.agent_enter(id, AgentState::NotReady, not_ready_reason, &mut events);
        self.agent_log_out(id, logout_reason, &mut events);
        Ok(Applied::events(events))
    }

    /// The wrap-up timer fired: Work Ready goes to Ready, Work Not Ready to Not Ready.
    pub(crate) fn agent_wrap_up_expired(&mut self, id: AgentId, epoch: u64) -> Applied {
        let mut events = Vec::new();
        let Some(status) = self.statuses.get(&id) else {
            return Applied::events(events);
        };
        if status.state.is_wrap_up() && self.timer_fires(status.wrap_up_timer, epoch) {
            let target = wrap_up_timer_target(status.state);
            self.agent_enter(id, target, None, &mut events);
        }
        Applied::events(events)
    }

    /// Moves an agent to `state`, stopping the wrap-up timer and dropping the wrap-up call
    /// when leaving wrap-up, and records the event. Entering Ready draws a new ready sequence,
    /// except straight back from Reserved.
    pub(crate) fn agent_enter(&mut self, id: AgentId, state: AgentState, reason: Option<u16>, events: &mut Vec<Event>) {
        let now = self.time_ms;
        let previous = self.status(id).state;
        // Back to Ready from Reserved (the caller hung up while it rang) keeps the agent's place.
        let new_stay = !matches!(previous, AgentState::Ready | AgentState::Reserved);
        let ready_sequence = (state == AgentState::Ready && new_stay).then(|| self.sequence_next());
        let status = self.status_mut(id);
        let leaving_wrap_up = previous.is_wrap_up() && !state.is_wrap_up();
        let timer = if leaving_wrap_up { status.wrap_up_timer.take() } else { None };
        if leaving_wrap_up {
            status.wrap_up = None;
        }
        if state != previous {
            status.state_since_ms = now;
        }
        status.state = state;
        status.reason = reason;
        if let Some(sequence) = ready_sequence {
            status.ready_sequence = sequence;
        }
        if !state.is_on_call() {
            status.pending = None;
        }
        if let Some(timer) = timer {
            self.timer_stop(Deadline::WrapUp(id), timer);
        }
        events.push(Event::Agent(AgentEvent::AgentStateChanged { agent: id, previous, state, reason }));
        if state == AgentState::LoggedOut && previous != AgentState::LoggedOut {
            self.monitors_end_for(id, events);
        }
        self.agent_availability_changed(id, events);
    }

    /// The agent's last connection is gone: the after-call state (wrap-up per the mode of the
    /// call's direction, or the state chosen during the call).
    pub(crate) fn call_end(&mut self, id: AgentId, events: &mut Vec<Event>) {
        let status = self.status_mut(id);
        assert!(status.calls.is_empty(), "an agent whose call ends has no connection left");
        let (Some(call), pending) = (status.call.take(), status.pending.take()) else {
            panic!("agent {id} ending a call is on one");
        };
        assert!(call.contact.is_none(), "the switch released the agent's contact first");
        self.blending_call_ended(id, events);
        let mode = self.desk.wrap_up_mode(call.direction);
        match after_call_step(call.direction, mode, pending.map(|pending| pending.state)) {
            AfterCallStep::Work(state) => {
                self.agent_enter(id, state, None, events);
                self.wrap_up_begin(id, call);
            }
            AfterCallStep::To(state) => {
                let reason = pending.and_then(|pending| pending.reason);
                self.agent_enter(id, state, reason, events);
            }
        }
    }

    /// Logs an agent out: no call, no wrap-up, no pending state remain.
    pub(crate) fn agent_log_out(&mut self, id: AgentId, reason: Option<u16>, events: &mut Vec<Event>) {
        assert!(self.status(id).call.is_none(), "a logged-out agent holds no call");
        self.agent_enter(id, AgentState::LoggedOut, reason, events);
        self.agent_logged_out(id, events);
    }

    fn wrap_up_begin(&mut self, id: AgentId, call: AgentCall) {
        let seconds = self.desk.wrap_up_timer_seconds;
        let timer = (seconds > 0).then(|| {
            let due_ms = self.time_ms.saturating_add(u64::from(seconds) * 1_000);
            self.timer_start(Deadline::WrapUp(id), due_ms)
        });
        let status = self.status_mut(id);
        status.wrap_up = Some(call);
        status.wrap_up_timer = timer;
    }

    /// 280: leaving wrap-up of an incoming call in REQUIRED_WITH_DATA mode needs data.
    fn wrap_up_data_checked(&self, status: &AgentStatus) -> Result<(), Rejection> {
        let Some(call) = &status.wrap_up else {
            return Ok(());
        };
        let required = self.desk.wrap_up_mode(call.direction) == WrapUpMode::RequiredWithData;
        if required && call.wrap_up_data.is_none() {
            return Err(SpecError::WrapUpDataRequired.into());
        }
        Ok(())
    }

    /// 281 when a required reason is missing; otherwise the reason must be a configured code of
    /// the request's kind. A value of 0 means "no reason", as in the CTI protocol.
    fn reason_checked(&self, request: AgentStateRequest, reason: Option<u16>) -> Result<Option<u16>, Rejection> {
        let reason = reason.and_then(reason_value);
        let (kind, required) = match request {
            AgentStateRequest::NotReady => (ReasonKind::NotReady, self.desk.not_ready_reason_required),
            AgentStateRequest::Logout => (ReasonKind::Logout, self.desk.logout_reason_required),
            _ if reason.is_some() => {
                return Err(Rejection::invalid_field("reason applies only to not_ready and logout"));
            }
            _ => return Ok(None),
        };
        let Some(value) = reason else {
            if required {
                return Err(SpecError::ReasonCodeRequired.into());
            }
            return Ok(None);
        };
        if self.reason_codes.values().any(|code| code.kind == kind && code.value == value) {
            return Ok(Some(value));
        }
        Err(Rejection::invalid_field(format!("reason {value} is not a configured {kind} reason code")))
    }
}

/// A reason value as stored: 0 means none.
fn reason_value(value: u16) -> Option<u16> {
    (value != 0).then_some(value)
}

impl Center {
    /// Drops the agent from every call without after-call work (the desktop is gone): a
    /// ringing routed call goes back to its queue, a handled contact passes on or closes.
    pub(crate) fn call_drop(&mut self, id: AgentId, events: &mut Vec<Event>) {
        self.agent_connections_drop(id, events);
        let status = self.status_mut(id);
        status.pending = None;
        if status.call.take().is_some() {
            self.blending_call_ended(id, events);
        }
    }
}
