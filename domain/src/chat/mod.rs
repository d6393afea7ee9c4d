//! The chat contact lifecycle, group chat included (seeds-uccx.md §2.7, §2.10, §2.12, §2.27).
//!
//! A chat waits in its CSQ with two timers: the join timeout (the customer is shown the join
//! timeout message and the chat stays routable) and, only when Join Timeout > Inactivity
//! Timeout, the customer inactivity timeout. An offer holds one of the agent's chat slots for
//! the No Answer Timeout; on expiry the chat goes back to the head of its queue and the agent
//! goes digital Not Ready. Once accepted the chat is active with one agent, and the inactivity
//! timer runs from the join. The agent may invite a second agent from a chat CSQ: the invite
//! is never queued (no eligible agent refuses it; an unanswered one is dropped), decliners are
//! excluded until someone accepts, and a chat has at most 3 participants. The customer leaving
//! or going inactive ends a joined chat on the agents' desktops until they end it; before a
//! join it abandons the chat. Decisions: `docs/decisions/0015-chat-lifecycle.md`.

use crate::authorization::Scope;
use crate::center::Center;
use crate::outcome::Concern;
use crate::QueueEvent;
use serde::{Deserialize, Serialize};

use crate::agent::digital::DigitalState;
use crate::deadline::{Deadline, Timer};
use crate::ids::{AgentId, ContactId, CsqId};
use crate::limits::{
    CHAT_AGENT_COUNT_MAX, CHAT_INACTIVITY_AGENT_MESSAGE, CHAT_INACTIVITY_CUSTOMER_MESSAGE, CHAT_JOIN_TIMEOUT_MESSAGE,
    CHAT_UNAVAILABLE_MESSAGE, GROUP_CHAT_FULL_MESSAGE, GROUP_CHAT_NOTES_LENGTH_MAX,
};
use crate::outcome::{Applied, Event};
use crate::queue::contact::{Contact, ContactOutcome, ContactState, EndedBy, Invite};
use crate::queue::csq::Channel;
use crate::rejection::{Rejection, RejectionCode};
use crate::text::text_optional;

/// Why a group chat invite ended without an acceptance.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteDropReason {
    /// The invitee declined.
    Declined,
    /// The No Answer Timeout passed; the invite is not requeued.
    Expired,
    /// The chat ended or its agents left before an answer.
    Withdrawn,
}

impl Center {
    /// A new chat waits in its CSQ; its join and (maybe) inactivity timers start.
    pub(crate) fn chat_injected(&mut self, id: ContactId, events: &mut Vec<Event>) {
        let minutes = self.contact_known(id).timeouts.join_timeout_minutes;
        let timer = self.timer_start(Deadline::Join(id), self.time_ms.saturating_add(u64::from(minutes) * 60_000));
        self.contact_mut(id).timers.join = Some(timer);
        if inactivity_ends_waiting_chats(self.contact_known(id)) {
            self.chat_inactivity_restart(id);
        }
        self.contact_enqueue(id, events);
    }

    /// Offers a chat to an available agent; the offer takes one of the agent's chat slots.
    pub(crate) fn chat_offer(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        let due_ms = self.no_answer_due_ms(id);
        let timer = self.timer_start(Deadline::NoAnswer(id), due_ms);
        let contact = self.contact_mut(id);
        contact.state = ContactState::Offered { agent };
        contact.timers.no_answer = Some(timer);
        insert_sorted(&mut self.status_mut(agent).chats, id);
        events.push(Event::Queue(QueueEvent::ContactOffered {
            contact: id,
            agent,
            channel: Channel::Chat,
            no_answer_due_ms: due_ms,
        }));
        self.blending_chat_received(agent, events);
        self.agent_availability_changed(agent, events);
    }

    pub(crate) fn chat_accept(&mut self, agent: AgentId, id: ContactId) -> Result<Applied, Rejection> {
        self.status_checked(agent)?;
        let contact = self.chat_checked(id)?;
        if contact.state != (ContactState::Offered { agent }) {
            return Err(Rejection::invalid_state(format!("chat {id} is not offered to agent {agent}")));
        }
        let mut events = Vec::new();
        self.contact_no_answer_stop(id);
        if let Some(timer) = self.contact_mut(id).timers.join.take() {
            self.timer_stop(Deadline::Join(id), timer);
        }
        self.chat_inactivity_restart(id);
        let now = self.time_ms;
        let contact = self.contact_mut(id);
        contact.state = ContactState::Active { agents: vec![agent] };
        let (csq, waited_ms) = (contact.csq, now.saturating_sub(contact.created_ms));
        events.push(Event::Queue(QueueEvent::ContactAccepted {
            contact: id,
            agent,
            channel: Channel::Chat,
            csq,
            waited_ms,
        }));
        Ok(Applied::events(events))
    }

    /// End: the last agent of a joined chat closes it; any agent closes an ended one. In a group
    /// chat an agent leaves instead.
    pub(crate) fn chat_end(&mut self, agent: AgentId, id: ContactId) -> Result<Applied, Rejection> {
        self.status_checked(agent)?;
        let contact = self.chat_checked(id)?;
        match &contact.state {
            ContactState::Active { agents } if agents.as_slice() == [agent] => {}
            ContactState::Ended { agents, .. } if agents.contains(&agent) => {}
            ContactState::Active { agents } if agents.contains(&agent) => {
                return Err(Rejection::invalid_state(format!(
                    "chat {id} has two agents: leave it; the last agent ends it"
                )));
            }
            _ => return Err(Rejection::invalid_state(format!("agent {agent} is not in chat {id}"))),
        }
        let mut events = Vec::new();
        self.chat_close(id, &mut events);
        Ok(Applied::events(events))
    }

    /// Leave: one of two agents leaves; the other (and the customer) stay.
    pub(crate) fn chat_leave(&mut self, agent: AgentId, id: ContactId) -> Result<Applied, Rejection> {
        self.status_checked(agent)?;
        let contact = self.chat_checked(id)?;
        let agents = contact.agents();
        if !agents.contains(&agent) || contact.state == (ContactState::Offered { agent }) {
            return Err(Rejection::invalid_state(format!("agent {agent} is not in chat {id}")));
        }
        if agents.len() < 2 {
            return Err(Rejection::invalid_state(format!("agent {agent} is the last agent in chat {id}: end it")));
        }
        let mut events = Vec::new();
        self.chat_agent_leaves(id, agent, &mut events);
        Ok(Applied::events(events))
    }

    pub(crate) fn chat_customer_activity(&mut self, id: ContactId) -> Result<Applied, Rejection> {
        let contact = self.chat_checked(id)?;
        if matches!(contact.state, ContactState::Ended { .. }) {
            return Err(Rejection::invalid_state(format!("chat {id} has ended")));
        }
        let joined = matches!(contact.state, ContactState::Active { .. });
        if joined || inactivity_ends_waiting_chats(contact) {
            self.chat_inactivity_restart(id);
        }
        Ok(Applied::default())
    }

    /// The customer closed the chat: abandoned before a join, ended after.
    pub(crate) fn chat_customer_left(&mut self, id: ContactId, events: &mut Vec<Event>) {
        if matches!(self.contact_known(id).state, ContactState::Ended { .. }) {
            return;
        }
        self.chat_session_ends(id, EndedBy::Customer, events);
    }

    /// The offer lapsed: the chat goes back to the head of its queue, the agent Not Ready.
    pub(crate) fn chat_not_answered(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        self.contact_no_answer_stop(id);
        events.push(Event::Queue(QueueEvent::ContactNotAnswered { contact: id, agent, channel: Channel::Chat }));
        self.chat_slot_release(agent, id, events);
        if self.status(agent).digital == DigitalState::Ready {
            self.digital_enter(agent, DigitalState::NotReady, events);
        }
        self.contact_enqueue(id, events);
    }

    pub(crate) fn chat_join_expired(&mut self, id: ContactId, epoch: u64) -> Applied {
        let mut events = Vec::new();
        let Some(contact) = self.contacts.get(id) else { return Applied::events(events) };
        if !self.timer_fires(contact.timers.join, epoch) {
            return Applied::events(events);
        }
        if let Some(timer) = self.contact_mut(id).timers.join.take() {
            self.timer_stop(Deadline::Join(id), timer);
        }
        self.contact_mut(id).join_timed_out = true;
        events.push(Event::Chat(ChatEvent::ChatJoinTimedOut {
            contact: id,
            customer_message: CHAT_JOIN_TIMEOUT_MESSAGE.to_owned(),
        }));
        Applied::events(events)
    }

    pub(crate) fn chat_inactivity_expired(&mut self, id: ContactId, epoch: u64) -> Applied {
        let mut events = Vec::new();
        let Some(contact) = self.contacts.get(id) else { return Applied::events(events) };
        if !self.timer_fires(contact.timers.inactivity, epoch) {
            return Applied::events(events);
        }
        self.chat_session_ends(id, EndedBy::Inactivity, &mut events);
        Applied::events(events)
    }
}

impl Center {
    pub(crate) fn chat_invite(
        &mut self,
        agent: AgentId,
        id: ContactId,
        csq: CsqId,
        notes: Option<&str>,
    ) -> Result<Applied, Rejection> {
        self.status_checked(agent)?;
        let notes = text_optional("notes", notes, GROUP_CHAT_NOTES_LENGTH_MAX)?;
        let contact = self.chat_checked(id)?;
        let ContactState::Active { agents } = &contact.state else {
            return Err(Rejection::invalid_state(format!("agent {agent} is not in chat {id}")));
        };
        if !agents.contains(&agent) {
            return Err(Rejection::invalid_state(format!("agent {agent} is not in chat {id}")));
        }
        if agents.len() as u64 >= u64::from(CHAT_AGENT_COUNT_MAX) {
            return Err(Rejection::new(RejectionCode::LimitExceeded, GROUP_CHAT_FULL_MESSAGE));
        }
        if contact.invite.is_some() {
            return Err(Rejection::invalid_state(format!("chat {id} already has a pending invite")));
        }
        let invitee = self.invitee_best(contact, csq)?;
        let mut events = Vec::new();
        let due_ms = self.no_answer_due_ms(id);
        let timer = self.timer_start(Deadline::InviteNoAnswer(id), due_ms);
        let contact = self.contact_mut(id);
        contact.invite = Some(Invite { agent: invitee, inviter: agent, csq });
        contact.timers.invite = Some(timer);
        insert_sorted(&mut self.status_mut(invitee).chats, id);
        events.push(Event::Chat(ChatEvent::GroupChatInviteOffered {
            contact: id,
            inviter: agent,
            agent: invitee,
            csq,
            notes,
            no_answer_due_ms: due_ms,
        }));
        self.blending_chat_received(invitee, &mut events);
        self.agent_availability_changed(invitee, &mut events);
        Ok(Applied::events(events))
    }

    pub(crate) fn chat_invite_accept(&mut self, agent: AgentId, id: ContactId) -> Result<Applied, Rejection> {
        self.invitee_checked(agent, id)?;
        let mut events = Vec::new();
        self.invite_timer_stop(id);
        let contact = self.contact_mut(id);
        contact.invite = None;
        contact.declined_agents.clear();
        if let ContactState::Active { agents } = &mut contact.state {
            agents.push(agent);
        }
        events.push(Event::Chat(ChatEvent::GroupChatInviteAccepted { contact: id, agent }));
        Ok(Applied::events(events))
    }

    pub(crate) fn chat_invite_decline(&mut self, agent: AgentId, id: ContactId) -> Result<Applied, Rejection> {
        self.invitee_checked(agent, id)?;
        let mut events = Vec::new();
        self.invite_drop(id, InviteDropReason::Declined, &mut events);
        let declined = &mut self.contact_mut(id).declined_agents;
        if let Err(index) = declined.binary_search(&agent) {
            declined.insert(index, agent);
        }
        Ok(Applied::events(events))
    }

    pub(crate) fn chat_invite_expired(&mut self, id: ContactId, epoch: u64) -> Applied {
        let mut events = Vec::new();
        let Some(contact) = self.contacts.get(id) else { return Applied::events(events) };
        if self.timer_fires(contact.timers.invite, epoch) {
            self.invite_drop(id, InviteDropReason::Expired, &mut events);
        }
        Applied::events(events)
    }

    /// The agent logs out or its desktop closes: an offer goes back to the queue, an invite is
    /// withdrawn, a group chat loses the agent, a chat the agent alone holds is requeued to
    /// the same CSQ, and an ended one closes.
    pub(crate) fn chat_released_by(&mut self, agent: AgentId, id: ContactId, events: &mut Vec<Event>) {
        let contact = self.contact_known(id);
        if contact.invite.is_some_and(|invite| invite.agent == agent) {
            self.invite_drop(id, InviteDropReason::Withdrawn, events);
            return;
        }
        let alone = contact.agents() == [agent];
        match (&contact.state, alone) {
            (ContactState::Offered { .. }, _) => {
                self.contact_no_answer_stop(id);
                self.chat_slot_release(agent, id, events);
                self.contact_enqueue(id, events);
            }
            (ContactState::Active { .. }, true) => {
                if self.contact_known(id).invite.is_some() {
                    self.invite_drop(id, InviteDropReason::Withdrawn, events);
                }
                self.chat_slot_release(agent, id, events);
                self.contact_enqueue(id, events);
            }
            (ContactState::Ended { .. }, true) => self.chat_close(id, events),
            _ => self.chat_agent_leaves(id, agent, events),
        }
    }
}

impl Center {
    /// The customer left or went inactive: before a join the chat is abandoned; after, it ends
    /// on the agents' desktops (a pending invite is withdrawn and the chat counts as abandoned).
    fn chat_session_ends(&mut self, id: ContactId, by: EndedBy, events: &mut Vec<Event>) {
        let contact = self.contact_known(id);
        let (agent_message, customer_message) = match by {
            EndedBy::Customer => (None, None),
            EndedBy::Inactivity => (Some(CHAT_INACTIVITY_AGENT_MESSAGE), Some(CHAT_INACTIVITY_CUSTOMER_MESSAGE)),
        };
        match contact.state.clone() {
            ContactState::Queued | ContactState::Offered { .. } => {
                let customer_message = (by == EndedBy::Inactivity).then(|| CHAT_UNAVAILABLE_MESSAGE.to_owned());
                events.push(Event::Chat(ChatEvent::ChatEnded {
                    contact: id,
                    by,
                    agent_message: None,
                    customer_message,
                }));
                if let ContactState::Offered { agent } = contact.state {
                    self.contact_no_answer_stop(id);
                    self.chat_slot_release(agent, id, events);
                }
                self.contact_close(id, ContactOutcome::Abandoned, events);
            }
            ContactState::Active { agents } => {
                if contact.invite.is_some() {
                    self.contact_mut(id).customer_left_during_invite = true;
                    self.invite_drop(id, InviteDropReason::Withdrawn, events);
                }
                self.contact_timers_stop(id);
                self.contact_mut(id).state = ContactState::Ended { agents, by };
                let agent_message = agent_message.map(str::to_owned);
                let customer_message = customer_message.map(str::to_owned);
                events.push(Event::Chat(ChatEvent::ChatEnded { contact: id, by, agent_message, customer_message }));
            }
            _ => panic!("an open chat that has not ended is waiting or active"),
        }
    }

    /// Closes a joined or ended chat: every agent's slot is freed.
    fn chat_close(&mut self, id: ContactId, events: &mut Vec<Event>) {
        if self.contact_known(id).invite.is_some() {
            self.invite_drop(id, InviteDropReason::Withdrawn, events);
        }
        let contact = self.contact_known(id);
        let outcome =
            if contact.customer_left_during_invite { ContactOutcome::Abandoned } else { ContactOutcome::Handled };
        let agents = contact.agents().to_vec();
        self.contact_close(id, outcome, events);
        for agent in agents {
            self.chat_slot_release(agent, id, events);
        }
    }

    /// One of the agents leaves a chat that keeps another.
    fn chat_agent_leaves(&mut self, id: ContactId, agent: AgentId, events: &mut Vec<Event>) {
        let contact = self.contact_mut(id);
        if let ContactState::Active { agents } | ContactState::Ended { agents, .. } = &mut contact.state {
            agents.retain(|other| *other != agent);
            assert!(!agents.is_empty(), "the last agent ends a chat instead of leaving it");
        }
        events.push(Event::Chat(ChatEvent::ChatParticipantLeft { contact: id, agent }));
        self.chat_slot_release(agent, id, events);
    }

    fn invite_drop(&mut self, id: ContactId, reason: InviteDropReason, events: &mut Vec<Event>) {
        self.invite_timer_stop(id);
        let Some(invite) = self.contact_mut(id).invite.take() else { panic!("chat {id} has an invite") };
        events.push(Event::Chat(ChatEvent::GroupChatInviteDropped { contact: id, agent: invite.agent, reason }));
        self.chat_slot_release(invite.agent, id, events);
    }

    fn invite_timer_stop(&mut self, id: ContactId) {
        if let Some(timer) = self.contact_mut(id).timers.invite.take() {
            self.timer_stop(Deadline::InviteNoAnswer(id), timer);
        }
    }

    /// Frees one of the agent's chat slots.
    fn chat_slot_release(&mut self, agent: AgentId, id: ContactId, events: &mut Vec<Event>) {
        remove_sorted(&mut self.status_mut(agent).chats, id);
        self.agent_availability_changed(agent, events);
    }

    fn chat_inactivity_restart(&mut self, id: ContactId) {
        let minutes = self.contact_known(id).timeouts.inactivity_timeout_minutes;
        if let Some(timer) = self.contact_mut(id).timers.inactivity.take() {
            self.timer_stop(Deadline::Inactivity(id), timer);
        }
        let due_ms = self.time_ms.saturating_add(u64::from(minutes) * 60_000);
        let timer: Timer = self.timer_start(Deadline::Inactivity(id), due_ms);
        self.contact_mut(id).timers.inactivity = Some(timer);
    }

    fn no_answer_due_ms(&self, id: ContactId) -> u64 {
        let seconds = self.contact_known(id).timeouts.no_answer_timeout_seconds;
        self.time_ms.saturating_add(u64::from(seconds) * 1_000)
    }

    /// The best agent of a chat CSQ for an invite: eligible, not in the chat, not a decliner.
    fn invitee_best(&self, contact: &Contact, csq: CsqId) -> Result<AgentId, Rejection> {
        let Some(target) = self.csqs.get(csq) else {
            return Err(Rejection::new(RejectionCode::UnknownCsq, format!("csq: CSQ {csq} does not exist")));
        };
        if target.channel != Channel::Chat {
            return Err(Rejection::invalid_field(format!(
                "csq: CSQ {csq} is {} CSQ, not chat",
                target.channel.with_article()
            )));
        }
        let excluded = |agent: &AgentId| contact.agents().contains(agent) || contact.declined_agents.contains(agent);
        let best = self.csq_available_agents(csq).into_iter().find(|agent| !excluded(agent));
        best.ok_or_else(|| Rejection::invalid_state(format!("no agent of CSQ {csq} is available for a group chat")))
    }

    fn invitee_checked(&self, agent: AgentId, id: ContactId) -> Result<(), Rejection> {
        self.status_checked(agent)?;
        let contact = self.chat_checked(id)?;
        if contact.invite.is_some_and(|invite| invite.agent == agent) {
            return Ok(());
        }
        Err(Rejection::invalid_state(format!("agent {agent} has no invite to chat {id}")))
    }

    /// The open chat a command names.
    fn chat_checked(&self, id: ContactId) -> Result<&Contact, Rejection> {
        let contact = self.contact_checked(id)?;
        if contact.channel != Channel::Chat {
            return Err(Rejection::invalid_state(format!("contact {id} is not a chat")));
        }
        if contact.is_closed() {
            return Err(Rejection::invalid_state(format!("contact {id} is closed")));
        }
        Ok(contact)
    }
}

/// Whether customer inactivity ends a chat no agent has joined yet: only when the Join Timeout
/// is longer than the Inactivity Timeout (seeds-uccx.md §2.7).
fn inactivity_ends_waiting_chats(contact: &Contact) -> bool {
    contact.timeouts.join_timeout_minutes > contact.timeouts.inactivity_timeout_minutes
}

/// Inserts `id` into a sorted list that does not hold it.
pub(crate) fn insert_sorted(list: &mut Vec<ContactId>, id: ContactId) {
    match list.binary_search(&id) {
        Ok(_) => panic!("contact {id} is held once"),
        Err(index) => list.insert(index, id),
    }
}

/// Removes `id` from a sorted list that holds it.
pub(crate) fn remove_sorted(list: &mut Vec<ContactId>, id: ContactId) {
    match list.binary_search(&id) {
        Ok(index) => {
            list.remove(index);
        }
        Err(_) => panic!("contact {id} is held"),
    }
}

// The channel's commands and events.

/// The web chat channel: customers chatting, agents accepting, leaving and inviting to group chats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ChatCommand {
    /// The chat customer did something (typed, sent): the inactivity timeout starts again.
    CustomerActivity {
        /// The chat.
        contact: ContactId,
    },
    /// An agent accepts the chat offered to it.
    AcceptChat {
        /// The agent.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
    },
    /// An agent ends a chat: the last agent of a joined chat, or any agent of an ended one.
    EndChat {
        /// The agent.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
    },
    /// One of the two agents of a group chat leaves it.
    LeaveChat {
        /// The agent.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
    },
    /// The only agent of a chat invites an agent of a chat CSQ to a group chat.
    InviteToGroupChat {
        /// The inviting agent.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
        /// The chat CSQ to pick the invitee from.
        csq: CsqId,
        /// Notes shown to the invitee only, never stored, at most
        /// [`crate::GROUP_CHAT_NOTES_LENGTH_MAX`] characters.
        #[serde(default)]
        notes: Option<String>,
    },
    /// The invitee accepts a group chat invite.
    AcceptGroupChatInvite {
        /// The invitee.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
    },
    /// The invitee declines a group chat invite.
    DeclineGroupChatInvite {
        /// The invitee.
        agent: AgentId,
        /// The chat.
        contact: ContactId,
    },
}

/// What chat commands and deadlines change, as pushed to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChatEvent {
    /// No agent joined a chat within the Join Timeout; it stays routable.
    ChatJoinTimedOut {
        /// The chat.
        contact: ContactId,
        /// What the customer is shown.
        customer_message: String,
    },
    /// The customer or inactivity ended a chat (abandoned before a join).
    ChatEnded {
        /// The chat.
        contact: ContactId,
        /// Who or what ended it.
        by: EndedBy,
        /// What the agents are shown, if anything.
        agent_message: Option<String>,
        /// What the customer is shown, if anything.
        customer_message: Option<String>,
    },
    /// A group chat invite was offered to an agent.
    GroupChatInviteOffered {
        /// The chat.
        contact: ContactId,
        /// The agent who invited.
        inviter: AgentId,
        /// The invitee.
        agent: AgentId,
        /// The CSQ the invitee was chosen from.
        csq: CsqId,
        /// Notes for the invitee only; not stored.
        notes: Option<String>,
        /// When the invite lapses.
        no_answer_due_ms: u64,
    },
    /// The invitee joined the group chat.
    GroupChatInviteAccepted {
        /// The chat.
        contact: ContactId,
        /// The invitee, now the second agent.
        agent: AgentId,
    },
    /// A group chat invite ended unanswered; it is never requeued.
    GroupChatInviteDropped {
        /// The chat.
        contact: ContactId,
        /// The invitee.
        agent: AgentId,
        /// Why.
        reason: InviteDropReason,
    },
    /// An agent left a group chat.
    ChatParticipantLeft {
        /// The chat.
        contact: ContactId,
        /// The agent who left.
        agent: AgentId,
    },
}

impl Center {
    /// Applies a chat command (see [`Center::apply`]).
    pub(crate) fn execute_chat(&mut self, command: &ChatCommand) -> Result<Applied, Rejection> {
        match command {
            ChatCommand::CustomerActivity { contact } => self.chat_customer_activity(*contact),
            ChatCommand::AcceptChat { agent, contact } => self.chat_accept(*agent, *contact),
            ChatCommand::EndChat { agent, contact } => self.chat_end(*agent, *contact),
            ChatCommand::LeaveChat { agent, contact } => self.chat_leave(*agent, *contact),
            ChatCommand::InviteToGroupChat { agent, contact, csq, notes } => {
                self.chat_invite(*agent, *contact, *csq, notes.as_deref())
            }
            ChatCommand::AcceptGroupChatInvite { agent, contact } => self.chat_invite_accept(*agent, *contact),
            ChatCommand::DeclineGroupChatInvite { agent, contact } => self.chat_invite_decline(*agent, *contact),
        }
    }
}

impl ChatCommand {
    /// Which agent the command acts for, and as whom: what [`crate::Center::authorize`] checks.
    pub(crate) fn scope(&self) -> Scope {
        match self {
            ChatCommand::AcceptChat { agent, .. }
            | ChatCommand::EndChat { agent, .. }
            | ChatCommand::LeaveChat { agent, .. }
            | ChatCommand::InviteToGroupChat { agent, .. }
            | ChatCommand::AcceptGroupChatInvite { agent, .. }
            | ChatCommand::DeclineGroupChatInvite { agent, .. } => Scope::Agent(*agent),
            ChatCommand::CustomerActivity { .. } => Scope::Administration,
        }
    }
}

impl ChatEvent {
    /// Whom the event is about: what [`crate::Center::audience`] resolves into who sees it.
    pub(crate) fn concerns(&self) -> Concern<'_> {
        match self {
            ChatEvent::GroupChatInviteAccepted { agent, .. }
            | ChatEvent::GroupChatInviteDropped { agent, .. }
            | ChatEvent::ChatParticipantLeft { agent, .. } => Concern::Agent(*agent),
            ChatEvent::GroupChatInviteOffered { contact, .. }
            | ChatEvent::ChatEnded { contact, .. }
            | ChatEvent::ChatJoinTimedOut { contact, .. } => Concern::Contact(*contact),
        }
    }
}
