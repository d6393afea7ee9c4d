//! The voice contact lifecycle: queued, offered (the agent Reserved), talking and hold, ended.
//!
//! A routed call is offered to one agent, who becomes Reserved while it rings for the ring no
//! answer time copied onto the call. The agent's side (states, hold, wrap-up) lives in
//! `agent_voice`; this module moves the contact in step with it.
//!
//! - Answer: Reserved to Talking; the contact becomes active.
//! - Ring no answer (the leader's expiry of the offer): the agent goes Not Ready, so the call
//!   is not offered to an absent agent again, and the call goes back to the head of its queue
//!   (its arrival place) and is routed again at once (`docs/decisions/0014-voice-lifecycle.md`).
//! - The caller hangs up: while waiting or ringing the call is abandoned (a ringing agent goes
//!   back to Ready and keeps its place); while talking or held it ends like any call.
//! - Ending a routed call closes it as handled; the agent goes on to wrap-up.

use crate::agent_state::{AgentState, CallDirection};
use crate::agent_status::Call;
use crate::center::Center;
use crate::contact::ContactOutcome;
use crate::contact::ContactState;
use crate::csq::Channel;
use crate::deadline::Deadline;
use crate::ids::{AgentId, ContactId};
use crate::outcome::{Applied, Event};
use crate::rejection::Rejection;
use crate::spec_error::SpecError;

impl Center {
    /// Offers a call to an available agent: the contact rings, the agent is Reserved.
    pub(crate) fn voice_offer(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        let seconds = self.contact_known(id).timeouts.ring_no_answer_seconds;
        let due_ms = self.time_ms.saturating_add(u64::from(seconds) * 1_000);
        let timer = self.timer_start(Deadline::NoAnswer(id), due_ms);
        let contact = self.contact_mut(id);
        contact.state = ContactState::Offered { agent };
        contact.timers.no_answer = Some(timer);
        let call = Call { contact: Some(id), direction: CallDirection::Incoming, wrap_up_data: None };
        self.status_mut(agent).call = Some(call);
        events.push(Event::ContactOffered { contact: id, agent, channel: Channel::Voice, no_answer_due_ms: due_ms });
        self.agent_enter(agent, AgentState::Reserved, None, events);
    }

    pub(crate) fn agent_answer_call(&mut self, agent: AgentId) -> Result<Applied, Rejection> {
        let status = self.status_checked(agent)?;
        let contact = status.call.as_ref().and_then(|call| call.contact);
        let (AgentState::Reserved, Some(id)) = (status.state, contact) else {
            return Err(SpecError::BadStateTransition.into());
        };
        let mut events = Vec::new();
        self.contact_no_answer_stop(id);
        let now = self.time_ms;
        let contact = self.contact_mut(id);
        contact.state = ContactState::Active { agents: vec![agent] };
        let (csq, waited_ms) = (contact.csq, now.saturating_sub(contact.created_ms));
        events.push(Event::ContactAccepted { contact: id, agent, channel: Channel::Voice, csq, waited_ms });
        events.push(Event::CallStarted { agent, contact: Some(id), direction: CallDirection::Incoming });
        self.agent_enter(agent, AgentState::Talking, None, &mut events);
        Ok(Applied::events(events))
    }

    /// Ring no answer: the agent goes Not Ready and the call back to the head of its queue.
    pub(crate) fn voice_not_answered(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        self.contact_no_answer_stop(id);
        let status = self.status_mut(agent);
        assert!(status.state == AgentState::Reserved, "a ringing call's agent is Reserved");
        status.call = None;
        events.push(Event::ContactNotAnswered { contact: id, agent, channel: Channel::Voice });
        self.agent_enter(agent, AgentState::NotReady, None, events);
        self.contact_enqueue(id, events);
    }

    /// The caller hung up.
    pub(crate) fn voice_customer_left(&mut self, id: ContactId, events: &mut Vec<Event>) {
        match self.contact_known(id).state.clone() {
            ContactState::Queued => self.contact_close(id, ContactOutcome::Abandoned, events),
            ContactState::Offered { agent } => {
                self.contact_no_answer_stop(id);
                self.status_mut(agent).call = None;
                self.contact_close(id, ContactOutcome::Abandoned, events);
                self.agent_enter(agent, AgentState::Ready, None, events);
            }
            ContactState::Active { agents } => {
                if let Some(&agent) = agents.first() {
                    self.call_end(agent, events);
                }
            }
            _ => panic!("an open voice contact is queued, ringing or active"),
        }
    }

    /// The agent's call ended or was dropped. A routed call that was talking closes as
    /// handled; one still ringing (a dropped session) goes back to its queue.
    pub(crate) fn voice_contact_ended(&mut self, call: &Call, _agent: AgentId, events: &mut Vec<Event>) {
        let Some(id) = call.contact else { return };
        match self.contact_known(id).state {
            ContactState::Offered { .. } => {
                self.contact_no_answer_stop(id);
                self.contact_enqueue(id, events);
            }
            _ => self.contact_close(id, ContactOutcome::Handled, events),
        }
    }

    /// Stops a contact's offer timer.
    pub(crate) fn contact_no_answer_stop(&mut self, id: ContactId) {
        if let Some(timer) = self.contact_mut(id).timers.no_answer.take() {
            self.timer_stop(Deadline::NoAnswer(id), timer);
        }
    }
}
