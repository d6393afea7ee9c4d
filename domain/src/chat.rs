//! The chat contact lifecycle: queued, offered with a no-answer timeout, active, ended, closed.

use crate::center::Center;
use crate::contact::ContactState;
use crate::csq::Channel;
use crate::deadline::Deadline;
use crate::ids::{AgentId, ContactId};
use crate::outcome::Event;

impl Center {
    /// A new chat waits in its CSQ.
    pub(crate) fn chat_injected(&mut self, id: ContactId, events: &mut Vec<Event>) {
        self.contact_enqueue(id, events);
    }

    /// Offers a chat to an available agent; the offer takes one of the agent's chat slots.
    pub(crate) fn chat_offer(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        let seconds = self.contact_known(id).timeouts.no_answer_timeout_seconds;
        let due_ms = self.time_ms.saturating_add(u64::from(seconds) * 1_000);
        let timer = self.timer_start(Deadline::NoAnswer(id), due_ms);
        let contact = self.contact_mut(id);
        contact.state = ContactState::Offered { agent };
        contact.timers.no_answer = Some(timer);
        insert_sorted(&mut self.status_mut(agent).chats, id);
        events.push(Event::ContactOffered { contact: id, agent, channel: Channel::Chat, no_answer_due_ms: due_ms });
        self.blending_chat_received(agent, events);
        self.agent_availability_changed(agent, events);
    }
}

impl Center {
    /// The customer left a chat (filled in with the chat lifecycle).
    pub(crate) fn chat_customer_left(&mut self, _id: ContactId, _events: &mut Vec<Event>) {}

    /// A chat offer lapsed (filled in with the chat lifecycle).
    pub(crate) fn chat_not_answered(&mut self, _id: ContactId, _agent: AgentId, _events: &mut Vec<Event>) {}
}

/// Inserts `id` into a sorted list that does not hold it.
pub(crate) fn insert_sorted(list: &mut Vec<ContactId>, id: ContactId) {
    match list.binary_search(&id) {
        Ok(_) => panic!("contact {id} is held once"),
        Err(index) => list.insert(index, id),
    }
}

/// Removes `id` from a sorted list that holds it.
#[allow(dead_code)] // Used by the contact lifecycles that follow.
pub(crate) fn remove_sorted(list: &mut Vec<ContactId>, id: ContactId) {
    match list.binary_search(&id) {
        Ok(index) => {
            list.remove(index);
        }
        Err(_) => panic!("contact {id} is held"),
    }
}
