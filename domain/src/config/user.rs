//! Users: who may open a desktop session, with which role, and the hash of their password.
//!
//! An agent or supervisor user is the person behind an agent record (the CTI login is by agent
//! id or login name, seeds-ctios.md §2.5); an administrator user stands for itself. The role
//! decides what a session may see and do: an agent its own work, a supervisor also the agents
//! of the teams it supervises (primary or secondary), an administrator everything.
//!
//! The domain never sees a password: the node hashes it (a PHC string, e.g. Argon2id) before
//! proposing, because hashing needs a random salt and the log must not carry secrets. Events
//! carry [`UserView`], without the hash, so streams never leak it.

use crate::ConfigEvent;
use serde::{Deserialize, Serialize};

use crate::audience::{Audience, Viewer};
use crate::center::Center;
use crate::ids::{AgentId, TeamId, UserId};
use crate::limits::{
    LOGIN_LOCKOUT_MS, LOGIN_LOCKOUT_THRESHOLD, LOGIN_NAME_LENGTH_MAX, PASSWORD_HASH_LENGTH_MAX, USER_COUNT_MAX,
};
use crate::outcome::{Applied, EntityRef, Event};
use crate::rejection::{Rejection, RejectionCode};
use crate::text::{equal_ignoring_case, text_required};

/// What a user may do.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works contacts as its agent.
    Agent,
    /// An agent who also sees and steers the agents of the teams it supervises.
    Supervisor,
    /// Sees everything; has no agent.
    Administrator,
}

impl Role {
    /// The snake_case name, the same as the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Administrator => "administrator",
        }
    }
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Assigned by the center.
    pub id: UserId,
    /// Unique among users, case-insensitively; for agents and supervisors, the agent's login
    /// name is also accepted at login.
    pub login_name: String,
    /// What the user may do.
    pub role: Role,
    /// The agent this user is (agents and supervisors), `None` for administrators.
    pub agent: Option<AgentId>,
    /// The password hash in PHC string form, as the node wrote it.
    pub password_hash: String,
}

/// The fields a client sets on a user (through the node, which turns a password into the hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// 1 to [`LOGIN_NAME_LENGTH_MAX`] characters, no whitespace.
    pub login_name: String,
    /// What the user may do.
    pub role: Role,
    /// Required for agents and supervisors (an existing agent no other user has), absent for
    /// administrators.
    #[serde(default)]
    pub agent: Option<AgentId>,
    /// A PHC string (`$algorithm$...`), at most [`PASSWORD_HASH_LENGTH_MAX`] characters.
    pub password_hash: String,
}

/// A user as events and the API show it: everything but the hash.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserView {
    /// The user.
    pub id: UserId,
    /// The login name.
    pub login_name: String,
    /// What the user may do.
    pub role: Role,
    /// The agent this user is, if any.
    pub agent: Option<AgentId>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView { id: user.id, login_name: user.login_name.clone(), role: user.role, agent: user.agent }
    }
}

impl Center {
    /// One user.
    pub fn user(&self, id: UserId) -> Option<&User> {
        self.users.get(id)
    }

    /// Every user, in id order.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// The user who logs in with `login`: a user login name first, then an agent login name
    /// (case-insensitively), then, if `login` is a number, an agent id.
    pub fn user_for_login(&self, login: &str) -> Option<&User> {
        let login = login.trim();
        if let Some(user) = self.users.values().find(|user| equal_ignoring_case(&user.login_name, login)) {
            return Some(user);
        }
        let agent = self
            .agent_by_login_name(login)
            .or_else(|| login.parse::<u64>().ok().map(AgentId).filter(|id| self.agents.contains(*id)))?;
        self.user_for_agent(agent)
    }

    /// The user who is `agent`, if one is.
    pub fn user_for_agent(&self, agent: AgentId) -> Option<&User> {
        self.users.values().find(|user| user.agent == Some(agent))
    }

    /// The teams `user` supervises (as primary or secondary supervisor); empty for agents
    /// and administrators (who see every team anyway).
    pub fn supervised_teams(&self, user: &User) -> Vec<TeamId> {
        let (Role::Supervisor, Some(agent)) = (user.role, user.agent) else { return Vec::new() };
        self.supervised_by(agent)
    }

    pub(crate) fn user_create(&mut self, spec: &UserSpec) -> Result<Applied, Rejection> {
        let id = self.users.id_next("user")?;
        let user = self.user_checked(id, spec, None)?;
        self.users.check_room("users", USER_COUNT_MAX)?;
        self.users.insert_new(id, user.clone());
        Ok(Applied::created(Event::Config(ConfigEvent::UserCreated(UserView::from(&user))), EntityRef::User(id)))
    }

    pub(crate) fn user_update(&mut self, id: UserId, spec: &UserSpec) -> Result<Applied, Rejection> {
        if !self.users.contains(id) {
            return Err(Rejection::not_found("user", id));
        }
        let user = self.user_checked(id, spec, Some(id))?;
        let before = self.users.get(id).cloned();
        self.users.replace(id, user.clone());
        // An administrator who sets a user's password or role lifts a lockout.
        self.login_failures.remove(&id);
        // A new password, role or agent ends every session token issued before it.
        let changed = before.is_some_and(|before| {
            (before.password_hash.as_str(), before.role, before.agent)
                != (user.password_hash.as_str(), user.role, user.agent)
        });
        if changed {
            self.tokens_revoked_at.insert(id, self.time_ms);
        }
        Ok(Applied::event(Event::Config(ConfigEvent::UserUpdated(UserView::from(&user)))))
    }

    pub(crate) fn user_delete(&mut self, id: UserId) -> Result<Applied, Rejection> {
        if !self.users.contains(id) {
            return Err(Rejection::not_found("user", id));
        }
        self.users.remove(id);
        self.login_failures.remove(&id);
        self.tokens_revoked_at.remove(&id);
        Ok(Applied::event(Event::Config(ConfigEvent::UserDeleted(id))))
    }

    /// The users who are `agent`: an agent with a user cannot be deleted before its user.
    pub(crate) fn agent_user_references(&self, agent: AgentId) -> Vec<String> {
        self.users.values().filter(|user| user.agent == Some(agent)).map(|user| format!("user {}", user.id)).collect()
    }

    fn user_checked(&self, id: UserId, spec: &UserSpec, except: Option<UserId>) -> Result<User, Rejection> {
        let login_name = text_required("login_name", &spec.login_name, LOGIN_NAME_LENGTH_MAX)?;
        if login_name.chars().any(char::is_whitespace) {
            return Err(Rejection::invalid_field("login_name must not contain whitespace"));
        }
        let hash = spec.password_hash.as_str();
        if !hash.starts_with('$') || hash.chars().count() > PASSWORD_HASH_LENGTH_MAX as usize {
            return Err(Rejection::invalid_field(format!(
                "password_hash must be a PHC string starting with '$', at most {PASSWORD_HASH_LENGTH_MAX} characters"
            )));
        }
        match (spec.role, spec.agent) {
            (Role::Administrator, Some(_)) => {
                return Err(Rejection::invalid_field("agent: an administrator is not an agent; omit agent"));
            }
            (Role::Agent | Role::Supervisor, None) => {
                return Err(Rejection::invalid_field(format!(
                    "agent: a user with role {} must name its agent",
                    spec.role.as_str()
                )));
            }
            (_, Some(agent)) => {
                if !self.agents.contains(agent) {
                    return Err(Rejection::not_found("agent", agent));
                }
                if let Some(other) =
                    self.users.values().find(|user| user.agent == Some(agent) && Some(user.id) != except)
                {
                    let message = format!("agent {agent} already has a user (user {})", other.id);
                    return Err(Rejection::new(RejectionCode::DuplicateValue, message));
                }
            }
            (Role::Administrator, None) => {}
        }
        let duplicate = self
            .users
            .values()
            .find(|user| Some(user.id) != except && equal_ignoring_case(&user.login_name, &login_name));
        if let Some(duplicate) = duplicate {
            let message =
                format!("a user with login name \"{}\" already exists (user {})", duplicate.login_name, duplicate.id);
            return Err(Rejection::new(RejectionCode::DuplicateName, message));
        }
        Ok(User { id, login_name, role: spec.role, agent: spec.agent, password_hash: spec.password_hash.clone() })
    }
}

impl Center {
    /// What `user` may see.
    pub fn viewer_for(&self, user: &User) -> Viewer {
        match (user.role, user.agent) {
            (Role::Supervisor, Some(agent)) => Viewer::Supervisor { agent },
            (Role::Agent, Some(agent)) => Viewer::Agent { agent },
            _ => Viewer::Everything,
        }
    }
}

/// A key resume tokens and users' REST tokens are signed with, as the replicated state holds
/// it: sealed by a node with the cluster key (which never enters the log), so the log and the
/// snapshots never carry it in clear (decision 0027).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionKey {
    /// Numbered from 1 in the order keys were added; a token names the key that signed it.
    pub id: u32,
    /// The key as the node sealed it (opaque here).
    pub sealed: String,
    /// Center time it was added.
    pub created_ms: u64,
}

impl Center {
    /// The keys tokens may be signed with, oldest first; the last signs new tokens.
    pub fn session_keys(&self) -> &[SessionKey] {
        &self.session_keys
    }

    /// The key new tokens are signed with, once a node has added one.
    pub fn session_key_current(&self) -> Option<&SessionKey> {
        self.session_keys.last()
    }

    /// The key with this id, while it is held.
    pub fn session_key(&self, id: u32) -> Option<&SessionKey> {
        self.session_keys.iter().find(|key| key.id == id)
    }

    /// Adds a sealed key if the current key is still `replaces` (none: the first key). A
    /// proposal that lost a race (two nodes adding the first key, two rotations at once)
    /// changes nothing: the winner's key serves. `retire_others` drops every other key, so
    /// every token signed before stops working (a key that may have leaked).
    pub(crate) fn session_key_add(
        &mut self,
        sealed: &str,
        replaces: Option<u32>,
        retire_others: bool,
    ) -> Result<Applied, Rejection> {
        if sealed.is_empty()
            || sealed.len() > crate::limits::SESSION_KEY_SEALED_LENGTH_MAX as usize
            || !sealed.bytes().all(|byte| byte.is_ascii_graphic())
        {
            return Err(Rejection::invalid_field(format!(
                "sealed must be 1 to {} printable ASCII characters",
                crate::limits::SESSION_KEY_SEALED_LENGTH_MAX
            )));
        }
        let current = self.session_key_current().map(|key| key.id);
        if current != replaces {
            let Some(replaces) = replaces else {
                // Nodes race to add the first key at start: the first wins, the rest change nothing.
                return Ok(Applied::events(Vec::new()));
            };
            // An operator's rotation lost a race with another: it must not answer as if its own
            // key (or its retirement of the others, after a leak) had taken effect.
            return Err(Rejection::new(
                crate::RejectionCode::InvalidState,
                format!(
                    "the session keys changed during the rotation (key {} is current, not key {replaces}); list them and rotate again",
                    current.unwrap_or(0)
                ),
            ));
        }
        let id = replaces.map_or(1, |id| id.saturating_add(1));
        if retire_others {
            self.session_keys.clear();
        }
        self.session_keys.push(SessionKey { id, sealed: sealed.to_owned(), created_ms: self.time_ms });
        let excess = self.session_keys.len().saturating_sub(crate::limits::SESSION_KEY_COUNT_MAX as usize);
        self.session_keys.drain(..excess);
        Ok(Applied::events(Vec::new()))
    }
}

/// A user's consecutive failed logins (seeds-ctios.md §2.11, monitor-mode lockout, applied to
/// every login): at [`LOGIN_LOCKOUT_THRESHOLD`] every login fails until
/// [`LOGIN_LOCKOUT_MS`] have passed since the last failed one; a success starts over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginFailures {
    /// Failures in a row.
    pub consecutive: u32,
    /// Center time of the last one.
    pub last_ms: u64,
}

impl Center {
    /// Until when (center or node time, ms) logins as `user` are refused, if they are at `now_ms`.
    pub fn login_locked_until(&self, user: UserId, now_ms: u64) -> Option<u64> {
        let failures = self.login_failures.get(&user)?;
        let until = failures.last_ms.saturating_add(LOGIN_LOCKOUT_MS);
        (failures.consecutive >= LOGIN_LOCKOUT_THRESHOLD && now_ms < until).then_some(until)
    }

    /// Consecutive failed logins of `user` now (0 once a lockout has passed).
    pub fn login_failures(&self, user: UserId) -> u32 {
        self.login_failures.get(&user).map_or(0, |failures| failures.consecutive)
    }

    pub(crate) fn login_failed(&mut self, user: UserId) -> Applied {
        if self.users.get(user).is_none() {
            return Applied::default();
        }
        let now_ms = self.time_ms;
        let failures = self.login_failures.entry(user).or_default();
        let lockout_passed = now_ms.saturating_sub(failures.last_ms) >= LOGIN_LOCKOUT_MS;
        if failures.consecutive >= LOGIN_LOCKOUT_THRESHOLD {
            if !lockout_passed {
                // Locked: the attempt was not checked, so it says nothing, and must not extend
                // the lockout (nodes do not even propose it; this covers a race).
                return Applied::default();
            }
            failures.consecutive = 0;
        }
        failures.consecutive = failures.consecutive.saturating_add(1);
        failures.last_ms = now_ms;
        Applied::default()
    }

    /// When `user`'s session tokens were last revoked (center time, ms): a token issued at or
    /// before it is no longer valid. 0: never.
    pub fn tokens_revoked_at(&self, user: UserId) -> u64 {
        self.tokens_revoked_at.get(&user).copied().unwrap_or(0)
    }

    pub(crate) fn tokens_revoked(&mut self, user: UserId) -> Applied {
        if self.users.get(user).is_some() {
            self.tokens_revoked_at.insert(user, self.time_ms);
        }
        Applied::default()
    }

    pub(crate) fn login_succeeded(&mut self, user: UserId) -> Applied {
        self.login_failures.remove(&user);
        Applied::default()
    }
}

/// What a desktop shows, as one value: the snapshot a session starts from (or reloads after a
/// gap), at the center's current event index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeskView<'a> {
    /// Events up to this index are reflected here.
    pub index: u64,
    /// The session's own agent first (if any), then its supervised agents in id order.
    pub agents: Vec<AgentDesk<'a>>,
    /// The teams the session sees.
    pub teams: Vec<&'a crate::Team>,
    /// Active team messages for the session's agents.
    pub team_messages: Vec<&'a crate::TeamMessage>,
    /// Reason codes, for the Not Ready and Logout dialogs.
    pub reason_codes: Vec<&'a crate::ReasonCode>,
    /// The call-control buttons enabled for the session's own agent (none for a tool).
    pub controls: Option<crate::CallControls>,
    /// The own agent's last agent↔supervisor chat messages, oldest first.
    pub chat_messages: Vec<&'a crate::AgentChatMessage>,
    /// The agent the session's own agent silently monitors, if any.
    pub monitoring: Option<AgentId>,
    /// Whether a supervisor silently monitors the own agent; only when
    /// `warn_if_silent_monitored` is on (otherwise always false).
    pub monitored: bool,
}

/// One agent on a desktop: configuration, runtime status and the contacts it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentDesk<'a> {
    /// The agent's configuration.
    pub agent: &'a crate::Agent,
    /// Its runtime status.
    pub status: &'a crate::AgentStatus,
    /// The open contacts it holds: its call's, its chats and its emails.
    pub contacts: Vec<&'a crate::Contact>,
    /// The switch calls it has a connection on (at most two: an active and a held one).
    pub calls: Vec<&'a crate::Call>,
}

impl Center {
    /// The desk view of `viewer`. An administrator's view lists no agents (it would be the
    /// whole center); tools read what they need over REST.
    pub fn desk_view(&self, viewer: &Viewer) -> DeskView<'_> {
        let (own, teams): (Option<AgentId>, Vec<TeamId>) = match viewer {
            Viewer::Agent { agent } => (Some(*agent), self.agent(*agent).and_then(|a| a.team).into_iter().collect()),
            Viewer::Supervisor { agent } => {
                let mut all = self.supervised_by(*agent);
                all.extend(self.agent(*agent).and_then(|a| a.team));
                all.sort_unstable();
                all.dedup();
                (Some(*agent), all)
            }
            Viewer::Everything => (None, Vec::new()),
        };
        let agents = self.viewer_agents(viewer).into_iter().filter_map(|id| self.agent_desk(id)).collect();
        let mut team_messages: Vec<&crate::TeamMessage> =
            self.team_messages().filter(|message| message.teams.iter().any(|team| teams.contains(team))).collect();
        team_messages.dedup_by_key(|message| message.id);
        DeskView {
            index: self.event_index(),
            agents,
            teams: teams.iter().filter_map(|team| self.team(*team)).collect(),
            team_messages,
            reason_codes: self.reason_codes().collect(),
            controls: own.map(|agent| self.call_controls(agent)),
            chat_messages: own.map(|agent| self.agent_chat_messages(agent).collect()).unwrap_or_default(),
            monitoring: own.and_then(|agent| self.monitoring(agent)),
            monitored: self.desk.warn_if_silent_monitored
                && own.is_some_and(|agent| !self.monitored_by(agent).is_empty()),
        }
    }

    /// The call-control buttons to send to the desktop of `own` with an event of `audience`:
    /// `None` when the event is not about that agent (its buttons did not change).
    pub fn controls_after(&self, own: AgentId, audience: &Audience) -> Option<crate::CallControls> {
        audience.changes_controls_of(own).then(|| self.call_controls(own))
    }

    /// The agents a session shows: its own agent first (if any), then the agents of the teams
    /// it supervises in id order. None for a tool's session (it would be the whole center).
    pub fn viewer_agents(&self, viewer: &Viewer) -> Vec<AgentId> {
        let (own, supervised): (Option<AgentId>, Vec<TeamId>) = match viewer {
            Viewer::Agent { agent } => (Some(*agent), Vec::new()),
            Viewer::Supervisor { agent } => (Some(*agent), self.supervised_by(*agent)),
            Viewer::Everything => (None, Vec::new()),
        };
        let mut ids: Vec<AgentId> = own.into_iter().collect();
        if supervised.is_empty() {
            // An agent's desk: its own agent alone, without visiting every agent (a node asks
            // this for each of its desktops on every statistics push).
            return ids;
        }
        ids.extend(
            self.agents()
                .filter(|agent| Some(agent.id) != own && agent.team.is_some_and(|team| supervised.contains(&team)))
                .map(|agent| agent.id),
        );
        ids
    }

    /// The CSQs a session's agents serve, in id order: whose statistics its desktop is pushed.
    pub fn viewer_csqs(&self, viewer: &Viewer) -> Vec<crate::CsqId> {
        let mut csqs: Vec<crate::CsqId> =
            self.viewer_agents(viewer).into_iter().flat_map(|agent| self.agent_csqs(agent)).collect();
        csqs.sort_unstable();
        csqs.dedup();
        csqs
    }

    fn agent_desk(&self, id: AgentId) -> Option<AgentDesk<'_>> {
        let agent = self.agent(id)?;
        let status = self.agent_status(id)?;
        let mut contact_ids: Vec<crate::ContactId> = status.chats.iter().chain(&status.emails).copied().collect();
        contact_ids.extend(status.call.as_ref().and_then(|call| call.contact));
        contact_ids.sort_unstable();
        contact_ids.dedup();
        let contacts = contact_ids.into_iter().filter_map(|contact| self.contact(contact)).collect();
        let calls = status.calls.iter().filter_map(|call| self.call(*call)).collect();
        Some(AgentDesk { agent, status, contacts, calls })
    }
}
