//! The agent's digital (chat and email) state, capacity and voice/chat blending.
//!
//! One digital state serves chat and email and is separate from the voice state
//! (seeds-uccx.md §2.8): logging in makes it Not Ready, and the agent sets Ready to receive
//! contacts. Whether an agent can take one more contact of a channel is one predicate,
//! [`Center::agent_available`], used by routing and nowhere else. It combines the state, the
//! capacities of the channel parameters (1–5 chats, group chats included, and 1–5 emails) and
//! the two blending rules, each taking effect with the spec's timing: "Offer Chat Contact When
//! On Voice Call" when the agent's current voice call ends, "Offer Voice Call When On Chat"
//! when the agent receives a new chat (`docs/decisions/0012-digital-state-and-capacity.md`).

use crate::AgentEvent;
use serde::{Deserialize, Serialize};

use crate::agent::status::AgentStatus;
use crate::center::Center;
use crate::ids::AgentId;
use crate::outcome::{Applied, Event};
use crate::queue::csq::Channel;
use crate::rejection::Rejection;

/// An agent's chat and email state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigitalState {
    /// Not logged in.
    LoggedOut,
    /// Logged in, receiving no new chats or emails.
    NotReady,
    /// Receiving chats and emails up to the capacities.
    Ready,
}

/// What an agent may ask for with `SetDigitalState`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DigitalStateRequest {
    /// Receive chats and emails.
    Ready,
    /// Receive no new chats or emails; held ones stay.
    NotReady,
}

/// The blending rules in force for one agent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blending {
    /// Chats may be offered while the agent is on a voice call.
    pub offer_chat_when_on_voice_call: bool,
    /// Voice calls may be offered while the agent holds a chat.
    pub offer_voice_call_when_on_chat: bool,
}

impl Center {
    pub(crate) fn agent_set_digital_state(
        &mut self,
        id: AgentId,
        request: DigitalStateRequest,
    ) -> Result<Applied, Rejection> {
        let status = self.status_checked(id)?;
        if status.digital == DigitalState::LoggedOut {
            return Err(Rejection::invalid_state(format!("agent {id} is logged out")));
        }
        let target = match request {
            DigitalStateRequest::Ready => DigitalState::Ready,
            DigitalStateRequest::NotReady => DigitalState::NotReady,
        };
        let mut events = Vec::new();
        if target != status.digital {
            self.digital_enter(id, target, &mut events);
        }
        Ok(Applied::events(events))
    }

    /// Whether the agent can take one more contact of `channel` now: the state, the capacity
    /// and the blending rules. Skills and per-contact exclusions are routing's to check.
    pub fn agent_available(&self, status: &AgentStatus, channel: Channel) -> bool {
        let chat_count = status.chats.len() as u64;
        #[cfg(feature = "planted-bugs")]
        if self.routing.planted.skip_capacity_check && channel != Channel::Voice {
            return status.digital == DigitalState::Ready;
        }
        match channel {
            Channel::Voice => {
                status.state == crate::AgentState::Ready
                    && (chat_count == 0 || status.blending.offer_voice_call_when_on_chat)
            }
            Channel::Chat => {
                status.digital == DigitalState::Ready
                    && chat_count < u64::from(self.channel.max_chat_sessions_per_agent)
                    && (!status.state.is_on_call() || status.blending.offer_chat_when_on_voice_call)
            }
            Channel::Email => {
                status.digital == DigitalState::Ready
                    && (status.emails.len() as u64) < u64::from(self.channel.max_email_sessions_per_agent)
            }
        }
    }

    /// Moves the digital state; entering Ready draws a new digital sequence.
    pub(crate) fn digital_enter(&mut self, id: AgentId, state: crate::DigitalState, events: &mut Vec<Event>) {
        let now = self.time_ms;
        let previous = self.status(id).digital;
        let sequence = (state == DigitalState::Ready && previous != DigitalState::Ready).then(|| self.sequence_next());
        let status = self.status_mut(id);
        if state != previous {
            status.digital_since_ms = now;
        }
        status.digital = state;
        if let Some(sequence) = sequence {
            status.digital_sequence = sequence;
        }
        events.push(Event::Agent(AgentEvent::DigitalStateChanged { agent: id, previous, state }));
        self.agent_availability_changed(id, events);
    }

    /// Login: digital Not Ready, blending from the channel parameters.
    pub(crate) fn agent_logged_in(&mut self, id: AgentId, events: &mut Vec<Event>) {
        let blending = Blending {
            offer_chat_when_on_voice_call: self.channel.offer_chat_when_on_voice_call,
            offer_voice_call_when_on_chat: self.channel.offer_voice_call_when_on_chat,
        };
        self.blending_set(id, blending, events);
        self.digital_enter(id, DigitalState::NotReady, events);
    }

    /// Logout: every digital contact the agent holds is released, then digital Logout.
    pub(crate) fn agent_logged_out(&mut self, id: AgentId, events: &mut Vec<Event>) {
        self.digital_contacts_release(id, events);
        self.digital_enter(id, DigitalState::LoggedOut, events);
    }

    /// A desktop session closed: the agent's digital contacts are requeued (seeds-uccx.md
    /// §2.8) and the digital state becomes Not Ready until the desktop is back.
    pub(crate) fn agent_session_closed(&mut self, id: AgentId, events: &mut Vec<Event>) {
        if self.status(id).digital == DigitalState::NotReady {
            self.digital_contacts_release(id, events);
            return;
        }
        self.digital_enter(id, DigitalState::NotReady, events);
        self.digital_contacts_release(id, events);
    }

    /// Releases every chat and email the agent holds (logout, closed desktop): each goes back
    /// to its CSQ, or on with the other agent of a group chat.
    pub(crate) fn digital_contacts_release(&mut self, id: AgentId, events: &mut Vec<Event>) {
        for contact in self.status(id).chats.clone() {
            self.chat_released_by(id, contact, events);
        }
        for contact in self.status(id).emails.clone() {
            self.email_released_by(id, contact, events);
        }
        let status = self.status(id);
        assert!(status.chats.is_empty() && status.emails.is_empty(), "a released agent holds nothing");
    }

    /// The agent's voice call ended: "Offer Chat Contact When On Voice Call" takes effect.
    pub(crate) fn blending_call_ended(&mut self, id: AgentId, events: &mut Vec<Event>) {
        let blending = Blending {
            offer_chat_when_on_voice_call: self.channel.offer_chat_when_on_voice_call,
            ..self.status(id).blending
        };
        self.blending_set(id, blending, events);
    }

    /// The agent receives a new chat: "Offer Voice Call When On Chat" takes effect.
    pub(crate) fn blending_chat_received(&mut self, id: AgentId, events: &mut Vec<Event>) {
        let blending = Blending {
            offer_voice_call_when_on_chat: self.channel.offer_voice_call_when_on_chat,
            ..self.status(id).blending
        };
        self.blending_set(id, blending, events);
    }

    /// The channel parameters changed: agents the timing rules do not hold back take the new
    /// blending at once (not on a call; holding no chat), and capacities apply to everyone.
    /// Control plane: one pass over the agents.
    pub(crate) fn blending_parameters_changed(&mut self, events: &mut Vec<Event>) {
        let agents: Vec<AgentId> =
            self.statuses.values().filter(|status| status.state.is_logged_in()).map(|status| status.agent).collect();
        for id in agents {
            let status = self.status(id);
            let mut blending = status.blending;
            if !status.state.is_on_call() {
                blending.offer_chat_when_on_voice_call = self.channel.offer_chat_when_on_voice_call;
            }
            if status.chats.is_empty() {
                blending.offer_voice_call_when_on_chat = self.channel.offer_voice_call_when_on_chat;
            }
            self.blending_set(id, blending, events);
            self.agent_availability_changed(id, events);
        }
    }

    fn blending_set(&mut self, id: AgentId, blending: Blending, events: &mut Vec<Event>) {
        let status = self.status_mut(id);
        if status.blending == blending {
            return;
        }
        status.blending = blending;
        events.push(Event::Agent(AgentEvent::BlendingChanged { agent: id, blending }));
        self.agent_availability_changed(id, events);
    }
}
