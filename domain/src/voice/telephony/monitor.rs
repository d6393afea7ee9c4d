//! Silent monitoring: a supervisor listens to an agent's calls without being a party to them
//! (seeds-ctios.md §2.9).
//!
//! We follow the CTI OS-based implementation, the spec's default when `CCMBasedSilentMonitor`
//! is absent: the agent may be in any state as long as it is logged in (held calls and consult
//! calls included), the supervisor in any state, barge-in is allowed while monitoring, and
//! monitoring follows the agent from call to call until the supervisor stops it. A monitor is
//! not a connection: it changes no call, no party count and no voice state, and monitoring time
//! is not tracked. The agent is told only when `warn_if_silent_monitored` is on; otherwise the
//! events reach the supervisor alone. A supervisor monitors one agent at a time; monitoring ends
//! by itself when either of them logs out or is deleted.

use crate::VoiceEvent;
use serde::{Deserialize, Serialize};

use crate::center::Center;
use crate::ids::AgentId;
use crate::outcome::{Applied, Event};
use crate::rejection::{Rejection, RejectionCode};

/// Why silent monitoring ended.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorEnd {
    /// The supervisor stopped it.
    Stopped,
    /// The agent logged out (or was deleted).
    AgentLoggedOut,
    /// The supervisor logged out (or was deleted).
    SupervisorLoggedOut,
}

impl Center {
    /// The agent this supervisor silently monitors, if any.
    pub fn monitoring(&self, supervisor: AgentId) -> Option<AgentId> {
        self.monitors.get(&supervisor).copied()
    }

    /// The supervisors silently monitoring this agent, in id order.
    pub fn monitored_by(&self, agent: AgentId) -> Vec<AgentId> {
        self.monitors.iter().filter(|(_, watched)| **watched == agent).map(|(supervisor, _)| *supervisor).collect()
    }

    /// Who is told of a monitor between these two: the supervisor, and the agent when the
    /// desk settings warn monitored agents.
    fn monitor_audience(&self, supervisor: AgentId, agent: AgentId) -> Vec<AgentId> {
        let mut agents = vec![supervisor];
        if self.desk.warn_if_silent_monitored {
            agents.push(agent);
            agents.sort_unstable();
        }
        agents
    }

    pub(crate) fn silent_monitor_start(&mut self, supervisor: AgentId, agent: AgentId) -> Result<Applied, Rejection> {
        if !self.desk.silent_monitor_enabled {
            return Err(Rejection::invalid_state("Silent monitoring is disabled in the desk settings."));
        }
        let watcher = self.status_checked(supervisor)?;
        if !watcher.state.is_logged_in() {
            return Err(Rejection::invalid_state(format!("Agent {supervisor} is not logged in.")));
        }
        let watched = self.status_checked(agent)?;
        if !watched.state.is_logged_in() {
            return Err(Rejection::invalid_state(format!("Agent {agent} is not logged in and cannot be monitored.")));
        }
        if supervisor == agent || !self.supervises(supervisor, agent) {
            return Err(Rejection::new(
                RejectionCode::NotPermitted,
                format!("Agent {supervisor} is not a supervisor of agent {agent}'s team and cannot monitor it."),
            ));
        }
        if let Some(current) = self.monitoring(supervisor) {
            return Err(Rejection::invalid_state(format!(
                "Agent {supervisor} already monitors agent {current}; stop that first."
            )));
        }
        self.monitors.insert(supervisor, agent);
        let agents = self.monitor_audience(supervisor, agent);
        Ok(Applied::event(Event::Voice(VoiceEvent::SilentMonitorStarted { supervisor, agent, agents })))
    }

    pub(crate) fn silent_monitor_stop(&mut self, supervisor: AgentId) -> Result<Applied, Rejection> {
        self.status_checked(supervisor)?;
        let Some(agent) = self.monitors.remove(&supervisor) else {
            return Err(Rejection::invalid_state(format!("Agent {supervisor} is not monitoring anyone.")));
        };
        let agents = self.monitor_audience(supervisor, agent);
        Ok(Applied::event(Event::Voice(VoiceEvent::SilentMonitorEnded {
            supervisor,
            agent,
            end: MonitorEnd::Stopped,
            agents,
        })))
    }

    /// Ends every monitor `gone` takes part in: it logged out or is being deleted.
    pub(crate) fn monitors_end_for(&mut self, gone: AgentId, events: &mut Vec<Event>) {
        let ended: Vec<(AgentId, AgentId)> = self
            .monitors
            .iter()
            .filter(|(supervisor, agent)| **supervisor == gone || **agent == gone)
            .map(|(supervisor, agent)| (*supervisor, *agent))
            .collect();
        for (supervisor, agent) in ended {
            self.monitors.remove(&supervisor);
            let end = if supervisor == gone { MonitorEnd::SupervisorLoggedOut } else { MonitorEnd::AgentLoggedOut };
            let agents = self.monitor_audience(supervisor, agent);
            events.push(Event::Voice(VoiceEvent::SilentMonitorEnded { supervisor, agent, end, agents }));
        }
    }
}
