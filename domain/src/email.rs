//! The email contact lifecycle: injected, sticky wait, queued, assigned (auto-accepted), closed.

use crate::center::Center;
use crate::chat::insert_sorted;
use crate::contact::ContactState;
use crate::csq::Channel;
use crate::ids::{AgentId, ContactId};
use crate::outcome::Event;

impl Center {
    /// A new email waits in its CSQ.
    pub(crate) fn email_injected(&mut self, id: ContactId, events: &mut Vec<Event>) {
        self.contact_enqueue(id, events);
    }

    /// A deleted agent's sticky emails go to their CSQs at once.
    pub(crate) fn agent_sticky_release(&mut self, id: AgentId, events: &mut Vec<Event>) {
        for contact in self.agent_sticky_emails(id) {
            self.contact_unqueue(contact);
            self.contact_enqueue(contact, events);
        }
    }

    /// The agent logs out or its desktop closes: the email goes back to the same CSQ.
    pub(crate) fn email_released_by(&mut self, agent: AgentId, id: ContactId, events: &mut Vec<Event>) {
        crate::chat::remove_sorted(&mut self.status_mut(agent).emails, id);
        self.contact_enqueue(id, events);
        self.agent_availability_changed(agent, events);
    }

    /// Assigns an email to an available agent: emails are auto-accepted, with no offer step.
    pub(crate) fn email_assign(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        let now = self.time_ms;
        let contact = self.contact_mut(id);
        contact.state = ContactState::Active { agents: vec![agent] };
        let (csq, waited_ms) = (contact.csq, now.saturating_sub(contact.created_ms));
        insert_sorted(&mut self.status_mut(agent).emails, id);
        events.push(Event::ContactAccepted { contact: id, agent, channel: Channel::Email, csq, waited_ms });
        self.agent_availability_changed(agent, events);
    }
}
