//! The voice contact lifecycle: queued, offered (the agent Reserved), talking and hold, ended.
//!
//! Every routed call rides on a call of the built-in switch (`telephony`): the caller's
//! connection waits while the contact is queued, the offered agent's connection rings, and the
//! switch moves the contact with the agents' connections. This module keeps the contact's side.
//!
//! - Offer: the agent's connection alerts (Reserved) for the ring no answer time copied onto
//!   the call.
//! - Answer: the contact becomes active; its agent handles it.
//! - Ring no answer (the leader's expiry of the offer): the agent goes Not Ready, so the call
//!   is not offered to an absent agent again, and the call goes back to the head of its queue
//!   (its arrival place) and is routed again at once (`docs/decisions/0014-voice-lifecycle.md`).
//! - The caller hangs up: while waiting or ringing the call is abandoned (a ringing agent goes
//!   back to Ready and keeps its place); while talking or held it ends like any call.
//! - The contact closes as handled when no agent who could handle it is left on the call.

use crate::agent_state::CallDirection;
use crate::center::Center;
use crate::contact::ContactState;
use crate::csq::Channel;
use crate::deadline::Deadline;
use crate::ids::{AgentId, ContactId};
use crate::outcome::Event;
use crate::telephony::{ClearCause, ConnectionState, Party, Touched};

impl Center {
    /// Offers a call to an available agent: the contact rings, the agent is Reserved.
    pub(crate) fn voice_offer(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        let seconds = self.contact_known(id).timeouts.ring_no_answer_seconds;
        let due_ms = self.time_ms.saturating_add(u64::from(seconds) * 1_000);
        let timer = self.timer_start(Deadline::NoAnswer(id), due_ms);
        let contact = self.contact_mut(id);
        contact.state = ContactState::Offered { agent };
        contact.timers.no_answer = Some(timer);
        let Some(call) = contact.call else { panic!("voice contact {id} rides on a call") };
        events.push(Event::ContactOffered { contact: id, agent, channel: Channel::Voice, no_answer_due_ms: due_ms });
        let mut touched = Touched::new();
        let party = Party::Agent(agent);
        let state = ConnectionState::Alerting;
        self.connection_add(call, party, state, CallDirection::Incoming, events, &mut touched);
        self.agent_call_contact_set(agent, Some(id));
        self.agents_sync(touched, events);
    }

    /// The offered agent answered: the contact is active on it.
    pub(crate) fn voice_accepted(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        self.contact_no_answer_stop(id);
        let now = self.time_ms;
        let contact = self.contact_mut(id);
        contact.state = ContactState::Active { agents: vec![agent] };
        let (csq, waited_ms) = (contact.csq, now.saturating_sub(contact.created_ms));
        events.push(Event::ContactAccepted { contact: id, agent, channel: Channel::Voice, csq, waited_ms });
    }

    /// A handled contact passes to another agent on its call (a transfer, an intercept).
    pub(crate) fn contact_handed_to(&mut self, id: ContactId, agent: AgentId) {
        let contact = self.contact_mut(id);
        assert!(matches!(contact.state, ContactState::Active { .. }), "a handled contact is active");
        contact.state = ContactState::Active { agents: vec![agent] };
    }

    /// Ring no answer: the agent goes Not Ready and the call back to the head of its queue.
    pub(crate) fn voice_not_answered(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        let status = self.status_mut(agent);
        assert!(status.state == crate::AgentState::Reserved, "a ringing call's agent is Reserved");
        status.pending = Some(crate::PendingState { state: crate::AgentState::NotReady, reason: None });
        events.push(Event::ContactNotAnswered { contact: id, agent, channel: Channel::Voice });
        let Some(call) = self.contact_known(id).call else { panic!("voice contact {id} rides on a call") };
        let mut touched = Touched::new();
        self.connection_remove(call, &Party::Agent(agent), ClearCause::NoAnswer, events, &mut touched);
        self.agents_sync(touched, events);
    }

    /// Stops a contact's offer timer.
    pub(crate) fn contact_no_answer_stop(&mut self, id: ContactId) {
        if let Some(timer) = self.contact_mut(id).timers.no_answer.take() {
            self.timer_stop(Deadline::NoAnswer(id), timer);
        }
    }
}
