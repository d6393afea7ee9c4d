//! The voice contact lifecycle: queued, offered (the agent Reserved), talking and hold, ended.
//!
//! A routed call is offered to one agent, who becomes Reserved while it rings for the ring no
//! answer time copied onto the call. The agent's side (states, hold, wrap-up) lives in
//! `agent_voice`; this module moves the contact in step with it.

use crate::agent_state::{AgentState, CallDirection};
use crate::agent_status::Call;
use crate::center::Center;
use crate::contact::ContactState;
use crate::csq::Channel;
use crate::deadline::Deadline;
use crate::ids::{AgentId, ContactId};
use crate::outcome::Event;

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

    /// The agent's call ended; its contact (if routed) closes as handled.
    pub(crate) fn voice_contact_ended(&mut self, _call: &Call, _id: AgentId, _events: &mut Vec<Event>) {}
}
