//! Who sees an applied event, decided once, when it applies.
//!
//! Every session (a desktop, a supervisor's grid, an agent's event stream) on every node, and
//! the simulator's desktops, must see the same events. If each reader decided for itself against
//! the center as it is when it reads, two readers would disagree (one reads before a chat
//! invite is accepted, one after) and a contact closed meanwhile would reach nobody. So the
//! domain resolves an event's [`Concern`](crate::outcome::Concern) against the center right
//! after the command that produced it, into an [`Audience`] of agent ids, and the edge only
//! matches a session's own agent against it: no reader consults the center to deliver.
//!
//! This module refuses to know about sessions or sockets: [`Viewer`] is what a session *is*
//! (its role and agent), not how it is reached.

use crate::center::Center;
use crate::ids::{AgentId, TeamId};
use crate::outcome::{Concern, Event};
use crate::{AgentCommand, AgentEvent, Command, ConfigCommand, ConfigEvent, Team};

/// Who sees one applied event: everyone, or the desktops of some agents and of some
/// supervisors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    everyone: bool,
    /// The agents the event is about (named in it, holding its contact, or members of the teams
    /// it is for); sorted, each once.
    agents: Vec<AgentId>,
    /// The supervisors (primary or secondary) of those agents' teams, and of the teams the event
    /// is for; sorted, each once.
    supervisors: Vec<AgentId>,
    /// The supervisors whose set of supervised agents the event changes (an agent joins, leaves
    /// or changes team; a team changes supervisors or goes): their desktops reload their view.
    /// Sorted, each once, and each also in `supervisors` (or the event is for everyone).
    reloads: Vec<AgentId>,
}

/// What one session may see.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Viewer {
    /// An agent: its own events and its team's messages.
    Agent {
        /// The agent.
        agent: AgentId,
    },
    /// A supervisor: its own events and every event of the agents of the teams it supervises
    /// (the teams as they are when the event applies, not when the session began).
    Supervisor {
        /// The supervisor's own agent.
        agent: AgentId,
    },
    /// An administrator (or a tool with the admin token): everything.
    Everything,
}

impl Audience {
    /// An event everyone sees (configuration and settings).
    pub fn everyone() -> Audience {
        Audience { everyone: true, ..Audience::default() }
    }

    /// Whether everyone sees it.
    pub fn is_everyone(&self) -> bool {
        self.everyone
    }

    /// The agents the event is about, sorted; empty when it is for everyone.
    pub fn agents(&self) -> &[AgentId] {
        &self.agents
    }

    /// The supervisors who see it through their teams, sorted.
    pub fn supervisors(&self) -> &[AgentId] {
        &self.supervisors
    }

    /// Whether the event is about `agent` itself: what an agent's own desktop and its event
    /// stream carry (and what changes its call-control buttons, unless it is for everyone).
    pub fn includes_agent(&self, agent: AgentId) -> bool {
        self.everyone || self.agents.binary_search(&agent).is_ok()
    }

    /// Whether the event may change `agent`'s call-control buttons, so its desktop gets them
    /// again with it: an event about that agent (configuration, for everyone, changes none).
    pub fn changes_controls_of(&self, agent: AgentId) -> bool {
        !self.everyone && self.agents.binary_search(&agent).is_ok()
    }

    /// Whether the event changes which agents `supervisor` supervises, so its desktops reload
    /// their view after it.
    pub fn reloads(&self, supervisor: AgentId) -> bool {
        self.reloads.binary_search(&supervisor).is_ok()
    }

    /// Whether `viewer` sees the event.
    pub fn reaches(&self, viewer: &Viewer) -> bool {
        match viewer {
            Viewer::Everything => true,
            Viewer::Agent { agent } => self.includes_agent(*agent),
            Viewer::Supervisor { agent, .. } => {
                self.includes_agent(*agent) || self.supervisors.binary_search(agent).is_ok()
            }
        }
    }
}

impl Viewer {
    /// The agent the session is (none for an administrator's or a tool's).
    pub fn agent(&self) -> Option<AgentId> {
        match self {
            Viewer::Agent { agent } | Viewer::Supervisor { agent, .. } => Some(*agent),
            Viewer::Everything => None,
        }
    }
}

impl Center {
    /// Whether `viewer` may read `agent`'s status and work as the center stands now: an agent
    /// itself, a supervisor also the agents of the teams it supervises, an administrator all.
    /// The read-side twin of [`Audience::reaches`] for what is read rather than pushed.
    pub fn viewer_sees_agent(&self, viewer: &Viewer, agent: AgentId) -> bool {
        match viewer {
            Viewer::Everything => true,
            Viewer::Agent { agent: own } => *own == agent,
            Viewer::Supervisor { agent: own, .. } => *own == agent || self.supervises(*own, agent),
        }
    }

    /// Whether `viewer` may read `contact`: one of the agents holding it (or invited to it) is
    /// an agent the viewer sees. A queued contact is the administrators' alone.
    pub fn viewer_sees_contact(&self, viewer: &Viewer, contact: &crate::Contact) -> bool {
        matches!(viewer, Viewer::Everything)
            || contact
                .agents()
                .iter()
                .copied()
                .chain(contact.invite.map(|invite| invite.agent))
                .any(|agent| self.viewer_sees_agent(viewer, agent))
    }

    /// The supervisors who supervise what `command` may move between teams, before it runs: the
    /// team of an agent it updates or deletes, a team it updates or deletes. [`Center::apply`]
    /// passes them to [`Center::audience_after`], so the former supervisors learn too.
    pub(crate) fn supervision_before(&self, command: &Command) -> Vec<AgentId> {
        let team = match command {
            Command::Agent(AgentCommand::UpdateAgent { id, .. } | AgentCommand::DeleteAgent { id }) => {
                self.agents.get(*id).and_then(|agent| agent.team)
            }
            Command::Config(ConfigCommand::UpdateTeam { id, .. } | ConfigCommand::DeleteTeam { id }) => Some(*id),
            _ => None,
        };
        team.and_then(|team| self.teams.get(team)).map(team_supervisors).unwrap_or_default()
    }

    /// Who sees `event` (see [`Center::audience`]), and, for an event that changes supervision,
    /// which supervisors reload: `before` (from [`Center::supervision_before`]) and those of the
    /// agent's or team's team now.
    pub(crate) fn audience_after(&self, event: &Event, before: &[AgentId]) -> Audience {
        let mut audience = self.audience(event);
        let team = match event {
            Event::Agent(AgentEvent::AgentCreated(agent) | AgentEvent::AgentUpdated(agent)) => agent.team,
            Event::Agent(AgentEvent::AgentDeleted(_)) => None,
            Event::Config(ConfigEvent::TeamCreated(team) | ConfigEvent::TeamUpdated(team)) => Some(team.id),
            Event::Config(ConfigEvent::TeamDeleted(_)) => None,
            _ => return audience,
        };
        let mut reloads = before.to_vec();
        reloads.extend(team.and_then(|team| self.teams.get(team)).map(team_supervisors).unwrap_or_default());
        reloads.sort_unstable();
        reloads.dedup();
        if !audience.everyone {
            audience.supervisors.extend_from_slice(&reloads);
            audience.supervisors.sort_unstable();
            audience.supervisors.dedup();
        }
        audience.reloads = reloads;
        audience
    }

    /// Who sees `event`, resolved against the center as it is now. [`Center::apply`] calls this
    /// right after the command that produced the event, and hands the result out with it
    /// ([`crate::Applied::audiences`]); readers never call it again.
    pub fn audience(&self, event: &Event) -> Audience {
        let (mut agents, mut supervisors) = match event.concerns() {
            Concern::All => return Audience::everyone(),
            Concern::Administrators => return Audience::default(),
            Concern::Agent(agent) => (vec![agent], Vec::new()),
            Concern::Agents(agents) => (agents.to_vec(), Vec::new()),
            Concern::Contact(contact) => match self.contact(contact) {
                Some(contact) => {
                    let mut agents = contact.agents().to_vec();
                    agents.extend(contact.invite.map(|invite| invite.agent));
                    (agents, Vec::new())
                }
                None => (Vec::new(), Vec::new()),
            },
            Concern::Teams(teams) => {
                let members = self
                    .agents
                    .values()
                    .filter(|agent| agent.team.is_some_and(|team| teams.contains(&team)))
                    .map(|agent| agent.id)
                    .collect();
                let supervisors =
                    teams.iter().filter_map(|team| self.teams.get(*team)).flat_map(team_supervisors).collect();
                (members, supervisors)
            }
        };
        for agent in &agents {
            let Some(team) = self.agents.get(*agent).and_then(|agent| agent.team) else { continue };
            supervisors.extend(self.teams.get(team).map(team_supervisors).unwrap_or_default());
        }
        agents.sort_unstable();
        agents.dedup();
        supervisors.sort_unstable();
        supervisors.dedup();
        Audience { everyone: false, agents, supervisors, reloads: Vec::new() }
    }

    /// The teams `supervisor` supervises now (primary or secondary), in id order.
    pub fn supervised_by(&self, supervisor: AgentId) -> Vec<TeamId> {
        self.teams.values().filter(|team| team.is_supervised_by(supervisor)).map(|team| team.id).collect()
    }
}

fn team_supervisors(team: &Team) -> Vec<AgentId> {
    team.primary_supervisor.into_iter().chain(team.secondary_supervisors.iter().copied()).collect()
}
