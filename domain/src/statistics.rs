//! Statistics, derived from applied events only.
//!
//! The center feeds every applied command's events, with the entry's time, to
//! [`Statistics::observe`], which keeps counters and open intervals per agent and per CSQ. It
//! reads nothing else, so the figures are a projection of the event log: every replica has the
//! same ones, they survive failover in the snapshot, and a node could rebuild them from events.
//! Live figures (waiting contacts, agents per state, time in the current state) are added at
//! read time from the state and a caller-supplied `now_ms`, so reads need no command.
//!
//! Per CSQ, every contact that entered it is exactly one of handled, abandoned, requeued out or
//! still open: `offered = handled + abandoned + requeued_out + open`
//! (`docs/decisions/0018-statistics.md`).

use crate::{AgentEvent, ConfigEvent, EmailEvent, QueueEvent, VoiceEvent};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agent::digital::DigitalState;
use crate::agent::state::AgentState;
use crate::center::Center;
use crate::ids::{AgentId, CsqId};
use crate::limits::{
    SERVICE_LEVEL_THRESHOLD_SECONDS_DEFAULT, SERVICE_LEVEL_THRESHOLD_SECONDS_MAX, SERVICE_LEVEL_THRESHOLD_SECONDS_MIN,
};
use crate::outcome::{Applied, Event};
use crate::queue::contact::ContactOutcome;
use crate::queue::csq::Channel;
use crate::rejection::Rejection;
use crate::voice::telephony::{CallKind, Party};

/// The statistics settings.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsSettings {
    /// A contact answered within this many seconds of arriving counts toward the service
    /// level, [`SERVICE_LEVEL_THRESHOLD_SECONDS_MIN`] to [`SERVICE_LEVEL_THRESHOLD_SECONDS_MAX`].
    pub service_level_threshold_seconds: u32,
}

/// The counters and intervals kept from events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Statistics {
    settings: StatisticsSettings,
    agents: BTreeMap<AgentId, AgentCounters>,
    csqs: BTreeMap<CsqId, CsqCounters>,
}

/// One agent's figures.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentCounters {
    /// Time logged in, closed sessions only (the snapshot adds the current one).
    pub logged_in_ms: u64,
    /// When the current session began, if logged in.
    pub logged_in_since_ms: Option<u64>,
    /// Time in each voice state, closed intervals only.
    pub state_ms: BTreeMap<AgentState, u64>,
    /// The current voice state and when it began.
    pub state: Option<(AgentState, u64)>,
    /// Contacts taken (calls answered, chats accepted, emails assigned).
    pub accepted_count: u64,
    /// Contacts handled, per channel: calls and chats ended, emails sent or discarded.
    pub handled_count: BTreeMap<Channel, u64>,
    /// Offers not answered in time (voice ring no answer and chat).
    pub not_answered_count: u64,
    /// Calls the agent placed: outbound and internal (consults not counted).
    #[serde(default)]
    pub made_count: u64,
}

/// One CSQ's figures.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsqCounters {
    /// Contacts that entered the CSQ (injected, or requeued in from another CSQ).
    pub offered_count: u64,
    /// Contacts closed as handled, sent or discarded.
    pub handled_count: u64,
    /// Contacts closed as abandoned.
    pub abandoned_count: u64,
    /// Emails requeued to another CSQ.
    pub requeued_out_count: u64,
    /// Contacts taken by an agent (answered, accepted, assigned).
    pub answered_count: u64,
    /// Total wait of the answered contacts, from arrival to answer.
    pub answer_wait_total_ms: u64,
    /// Answered contacts that waited at most the service level threshold.
    pub answered_within_threshold_count: u64,
}

/// An agent's statistics at a moment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStatisticsSnapshot {
    /// The agent.
    pub agent: AgentId,
    /// Time logged in, the current session included.
    pub logged_in_ms: u64,
    /// Time in each voice state, the current one included.
    pub state_ms: BTreeMap<AgentState, u64>,
    /// The counters behind them.
    pub counters: AgentCounters,
}

/// A CSQ's live statistics at a moment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsqStatisticsSnapshot {
    /// The CSQ.
    pub csq: CsqId,
    /// Contacts waiting in its queue.
    pub waiting_count: u64,
    /// How long the longest-waiting contact has waited, if any waits.
    pub oldest_waiting_ms: Option<u64>,
    /// Contacts still open (waiting, offered, being handled).
    pub open_count: u64,
    /// Qualified agents ready (voice Ready; digital Ready holding none of the channel).
    pub agents_ready_count: u64,
    /// Qualified agents on a contact (voice Reserved, Talking, Hold; digital holding one).
    pub agents_talking_count: u64,
    /// Qualified agents logged in but not ready.
    pub agents_not_ready_count: u64,
    /// Qualified agents in after-call work (voice only).
    pub agents_wrap_up_count: u64,
    /// Average speed of answer, if anything was answered.
    pub average_speed_of_answer_ms: Option<u64>,
    /// Percentage answered within the threshold, of answered plus abandoned (rounded down).
    pub service_level_percent: Option<u64>,
    /// The counters behind them.
    pub counters: CsqCounters,
}

/// Every agent's and CSQ's statistics at a moment: the live-data snapshot.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatisticsSnapshot {
    /// The moment.
    pub time_ms: u64,
    /// Per agent, in agent id order.
    pub agents: Vec<AgentStatisticsSnapshot>,
    /// Per CSQ, in CSQ id order.
    pub csqs: Vec<CsqStatisticsSnapshot>,
}

impl Default for Statistics {
    fn default() -> Self {
        Statistics {
            settings: StatisticsSettings { service_level_threshold_seconds: SERVICE_LEVEL_THRESHOLD_SECONDS_DEFAULT },
            agents: BTreeMap::new(),
            csqs: BTreeMap::new(),
        }
    }
}

impl Statistics {
    /// Takes in one applied command's events, which happened at `time_ms`.
    pub(crate) fn observe(&mut self, events: &[Event], time_ms: u64) {
        for event in events {
            self.observe_one(event, time_ms);
        }
    }

    fn observe_one(&mut self, event: &Event, time_ms: u64) {
        match event {
            Event::Agent(AgentEvent::AgentStateChanged { agent, previous, state, .. }) => {
                self.agents.entry(*agent).or_default().state_changed(*previous, *state, time_ms);
            }
            Event::Queue(QueueEvent::ContactInjected(contact)) => self.csq(contact.csq).offered_count += 1,
            Event::Email(EmailEvent::EmailRequeued { from_csq, to_csq, .. }) if from_csq != to_csq => {
                self.csq(*from_csq).requeued_out_count += 1;
                self.csq(*to_csq).offered_count += 1;
            }
            Event::Queue(QueueEvent::ContactAccepted { agent, csq, waited_ms, .. }) => {
                let threshold_ms = u64::from(self.settings.service_level_threshold_seconds) * 1_000;
                let counters = self.csq(*csq);
                counters.answered_count += 1;
                counters.answer_wait_total_ms = counters.answer_wait_total_ms.saturating_add(*waited_ms);
                if *waited_ms <= threshold_ms {
                    counters.answered_within_threshold_count += 1;
                }
                self.agents.entry(*agent).or_default().accepted_count += 1;
            }
            Event::Queue(QueueEvent::ContactClosed { csq, outcome, agent, channel, .. }) => {
                if *outcome == ContactOutcome::Abandoned {
                    self.csq(*csq).abandoned_count += 1;
                    return;
                }
                self.csq(*csq).handled_count += 1;
                if let Some(agent) = agent {
                    *self.agents.entry(*agent).or_default().handled_count.entry(*channel).or_default() += 1;
                }
            }
            Event::Queue(QueueEvent::ContactNotAnswered { agent, .. }) => {
                self.agents.entry(*agent).or_default().not_answered_count += 1
            }
            // A call begun by an agent's dial; a BeginCall sent to agents joining later does not
            // name the dialer among its agents.
            Event::Voice(VoiceEvent::BeginCall { call, agents })
                if matches!(call.kind, CallKind::Outbound | CallKind::Internal) =>
            {
                if let Some(Party::Agent(dialer)) = call.connections.first().map(|connection| &connection.party) {
                    if agents.contains(dialer) {
                        self.agents.entry(*dialer).or_default().made_count += 1;
                    }
                }
            }
            Event::Agent(AgentEvent::AgentDeleted(agent)) => {
                self.agents.remove(agent);
            }
            Event::Queue(QueueEvent::CsqDeleted(csq)) => {
                self.csqs.remove(csq);
            }
            _ => {}
        }
    }

    fn csq(&mut self, csq: CsqId) -> &mut CsqCounters {
        self.csqs.entry(csq).or_default()
    }
}

impl AgentCounters {
    fn state_changed(&mut self, previous: AgentState, state: AgentState, time_ms: u64) {
        if let Some((current, since_ms)) = self.state {
            *self.state_ms.entry(current).or_default() += time_ms.saturating_sub(since_ms);
        }
        self.state = Some((state, time_ms));
        if previous == AgentState::LoggedOut && state != AgentState::LoggedOut {
            self.logged_in_since_ms = Some(time_ms);
        }
        if state == AgentState::LoggedOut {
            if let Some(since_ms) = self.logged_in_since_ms.take() {
                self.logged_in_ms += time_ms.saturating_sub(since_ms);
            }
        }
    }
}

impl Center {
    pub(crate) fn statistics_settings_set(&mut self, settings: &StatisticsSettings) -> Result<Applied, Rejection> {
        let seconds = settings.service_level_threshold_seconds;
        if !(SERVICE_LEVEL_THRESHOLD_SECONDS_MIN..=SERVICE_LEVEL_THRESHOLD_SECONDS_MAX).contains(&seconds) {
            return Err(Rejection::invalid_field(format!(
                "service_level_threshold_seconds must be between {SERVICE_LEVEL_THRESHOLD_SECONDS_MIN} and {SERVICE_LEVEL_THRESHOLD_SECONDS_MAX} (got {seconds})"
            )));
        }
        self.statistics.settings = settings.clone();
        Ok(Applied::event(Event::Config(ConfigEvent::StatisticsSettingsUpdated(settings.clone()))))
    }

    /// The statistics settings in force.
    pub fn statistics_settings(&self) -> &StatisticsSettings {
        &self.statistics.settings
    }

    /// One agent's statistics at `now_ms` (not before the last applied time).
    pub fn agent_statistics(&self, id: AgentId, now_ms: u64) -> Option<AgentStatisticsSnapshot> {
        self.agents.get(id)?;
        let now_ms = now_ms.max(self.time_ms);
        let counters = self.statistics.agents.get(&id).cloned().unwrap_or_default();
        let mut state_ms = counters.state_ms.clone();
        if let Some((state, since_ms)) = counters.state {
            *state_ms.entry(state).or_default() += now_ms.saturating_sub(since_ms);
        }
        let current_ms = counters.logged_in_since_ms.map_or(0, |since_ms| now_ms.saturating_sub(since_ms));
        Some(AgentStatisticsSnapshot {
            agent: id,
            logged_in_ms: counters.logged_in_ms + current_ms,
            state_ms,
            counters,
        })
    }

    /// One CSQ's live statistics at `now_ms` (not before the last applied time). Reads the
    /// CSQ's queue and its qualified agents, never all agents.
    pub fn csq_statistics(&self, id: CsqId, now_ms: u64) -> Option<CsqStatisticsSnapshot> {
        let csq = self.csqs.get(id)?;
        let now_ms = now_ms.max(self.time_ms);
        let counters = self.statistics.csqs.get(&id).cloned().unwrap_or_default();
        let queue = self.csq_queue(id);
        let oldest = queue.iter().filter_map(|contact| self.contact(*contact)).map(|contact| contact.created_ms).min();
        let closed = counters.handled_count + counters.abandoned_count + counters.requeued_out_count;
        let mut snapshot = CsqStatisticsSnapshot {
            csq: id,
            waiting_count: queue.len() as u64,
            oldest_waiting_ms: oldest.map(|created_ms| now_ms.saturating_sub(created_ms)),
            open_count: counters.offered_count.saturating_sub(closed),
            agents_ready_count: 0,
            agents_talking_count: 0,
            agents_not_ready_count: 0,
            agents_wrap_up_count: 0,
            average_speed_of_answer_ms: (counters.answered_count > 0)
                .then(|| counters.answer_wait_total_ms / counters.answered_count),
            service_level_percent: service_level_percent(&counters),
            counters,
        };
        for (agent, _) in self.csq_resources(id) {
            if let Some(status) = self.agent_status(agent) {
                count_agent(&mut snapshot, status, csq.channel);
            }
        }
        Some(snapshot)
    }

    /// Every agent's and CSQ's statistics at `now_ms`: the live-data snapshot the node serves
    /// over REST and pushes over its event stream.
    pub fn statistics_snapshot(&self, now_ms: u64) -> StatisticsSnapshot {
        StatisticsSnapshot {
            time_ms: now_ms.max(self.time_ms),
            agents: self.agents().filter_map(|agent| self.agent_statistics(agent.id, now_ms)).collect(),
            csqs: self.csqs().filter_map(|csq| self.csq_statistics(csq.id, now_ms)).collect(),
        }
    }
}

fn service_level_percent(counters: &CsqCounters) -> Option<u64> {
    let base = counters.answered_count + counters.abandoned_count;
    (base > 0).then(|| counters.answered_within_threshold_count * 100 / base)
}

/// Counts one qualified agent into the CSQ's agent figures by the channel's state.
fn count_agent(snapshot: &mut CsqStatisticsSnapshot, status: &crate::AgentStatus, channel: Channel) {
    let counter = match channel {
        Channel::Voice => match status.state {
            AgentState::LoggedOut => return,
            AgentState::Ready => &mut snapshot.agents_ready_count,
            AgentState::Reserved | AgentState::Talking | AgentState::Hold => &mut snapshot.agents_talking_count,
            AgentState::WorkReady | AgentState::WorkNotReady => &mut snapshot.agents_wrap_up_count,
            AgentState::NotReady | AgentState::BusyOther | AgentState::Unknown => &mut snapshot.agents_not_ready_count,
        },
        Channel::Chat | Channel::Email => {
            let holding = if channel == Channel::Chat { &status.chats } else { &status.emails };
            match status.digital {
                DigitalState::LoggedOut => return,
                _ if !holding.is_empty() => &mut snapshot.agents_talking_count,
                DigitalState::Ready => &mut snapshot.agents_ready_count,
                DigitalState::NotReady => &mut snapshot.agents_not_ready_count,
            }
        }
    };
    *counter += 1;
}
