//! The whole replicated state and the one function that changes it.
//!
//! [`Center::apply`] is pure: the same center and entry give the same outcome and the same new
//! center on every replica. Each command is validated completely against the current state
//! before anything is written, so a rejected command leaves the center byte-identical. The read
//! side yields entities in id order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agent::status::AgentStatus;
use crate::agent::Agent;
use crate::command::{Command, Entry, RequestId};
use crate::config::predefined_response::PredefinedResponse;
use crate::config::reason_code::ReasonCode;
use crate::config::settings::{ChannelParameters, DeskSettings};
use crate::config::skill::Skill;
use crate::config::team::Team;
use crate::config::user::User;
use crate::config::wrap_up::WrapUpCategory;
use crate::deadline::{Deadline, Deadlines};
use crate::email::signature::EmailSignature;
use crate::email::Conversations;
use crate::ids::{
    AgentId, CallId, ContactId, CsqId, DialedNumberId, EmailSignatureId, PredefinedResponseId, ReasonCodeId, SkillId,
    TeamId, TeamMessageId, UserId, WrapUpCategoryId,
};
use crate::outcome::{Applied, Outcome};
use crate::queue::contact::{ClosedContacts, Contact};
use crate::queue::csq::Csq;
use crate::queue::routing::{Routing, Work};
use crate::rejection::Rejection;
use crate::request_log::{duplicate_request, request_id_checked, Recall, RequestLog};
use crate::snapshot::StoredCenter;
use crate::statistics::Statistics;
use crate::supervision::agent_chat::ChatMailboxes;
use crate::supervision::team_message::{PublishLog, TeamMessage};
use crate::table::Table;
use crate::voice::telephony::{Call, DialedNumber};

/// The contact center's replicated state. `Default` is the empty center.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, from = "StoredCenter")]
pub struct Center {
    /// The latest time applied; never goes backwards.
    pub(crate) time_ms: u64,
    pub(crate) skills: Table<SkillId, Skill>,
    pub(crate) agents: Table<AgentId, Agent>,
    pub(crate) teams: Table<TeamId, Team>,
    pub(crate) csqs: Table<CsqId, Csq>,
    pub(crate) reason_codes: Table<ReasonCodeId, ReasonCode>,
    pub(crate) requests: RequestLog,
    /// The last number drawn from the center's sequence: ready order, arrival order, epochs.
    #[serde(default)]
    pub(crate) sequence_last: u64,
    /// Every running timer.
    #[serde(default)]
    pub(crate) deadlines: Deadlines,
    #[serde(default)]
    pub(crate) desk: DeskSettings,
    #[serde(default)]
    pub(crate) channel: ChannelParameters,
    /// One runtime status per agent.
    #[serde(default)]
    pub(crate) statuses: BTreeMap<AgentId, AgentStatus>,
    #[serde(default)]
    pub(crate) contacts: Table<ContactId, Contact>,
    #[serde(default)]
    pub(crate) closed_contacts: ClosedContacts,
    #[serde(default)]
    pub(crate) routing: Routing,
    #[serde(default)]
    pub(crate) wrap_up_categories: Table<WrapUpCategoryId, WrapUpCategory>,
    #[serde(default)]
    pub(crate) predefined_responses: Table<PredefinedResponseId, PredefinedResponse>,
    #[serde(default)]
    pub(crate) email_signatures: Table<EmailSignatureId, EmailSignature>,
    #[serde(default)]
    pub(crate) team_messages: Table<TeamMessageId, TeamMessage>,
    /// When team messages were last published, for the hourly cap.
    #[serde(default)]
    pub(crate) team_message_publishes: PublishLog,
    /// Figures derived from applied events.
    #[serde(default)]
    pub(crate) statistics: Statistics,
    /// The last agent of each remembered email conversation.
    #[serde(default)]
    pub(crate) conversations: Conversations,
    /// How many events applied commands have produced: the index of the last one. Replays add
    /// none. Identical on every replica, so a desktop can resume a stream on the other side.
    #[serde(default)]
    pub(crate) event_index: u64,
    /// Who may open desktop sessions.
    #[serde(default)]
    pub(crate) users: Table<UserId, User>,
    /// The keys nodes sign tokens with, sealed, so any node can check any token (the last
    /// signs new ones).
    #[serde(default)]
    pub(crate) session_keys: Vec<crate::SessionKey>,
    /// The center's mail server (seeds-uccx.md §2.4), once configured.
    #[serde(default)]
    pub(crate) mail_server: Option<crate::MailServer>,
    /// Email CSQs' mailboxes, credentials sealed.
    #[serde(default)]
    pub(crate) mailboxes: std::collections::BTreeMap<crate::CsqId, crate::Mailbox>,
    /// Each mailbox's ingest: cursor, recent content hashes, malformed messages.
    #[serde(default)]
    pub(crate) mail_inbound: BTreeMap<crate::CsqId, crate::email::inbound::MailInbound>,
    /// The envelopes of email contacts that arrived from a mailbox, while the contact is kept.
    #[serde(default)]
    pub(crate) inbound_emails: BTreeMap<crate::ContactId, crate::InboundEmail>,
    /// What each mailbox's reader last reported.
    #[serde(default)]
    pub(crate) mailbox_readers: BTreeMap<crate::CsqId, crate::ReaderStatus>,
    /// The drafts of replies being written, by email.
    #[serde(default)]
    pub(crate) email_drafts: BTreeMap<crate::ContactId, crate::EmailDraft>,
    /// The side the last leader said it was on (`EmailCommand::LeaderSide`).
    #[serde(default)]
    pub(crate) active_side: Option<String>,
    /// Replies to send, being sent, sent and failed (the last of the finished ones).
    #[serde(default)]
    pub(crate) outbox: Table<crate::OutboxId, crate::OutboundEmail>,
    /// Users whose last logins failed: consecutive failures and when the last one was. Kept in
    /// the replicated state so a lockout holds on every node (an attacker cannot rotate nodes).
    #[serde(default)]
    pub(crate) login_failures: BTreeMap<UserId, crate::config::user::LoginFailures>,
    /// When each user's session tokens were last revoked (logout, password or role change).
    #[serde(default)]
    pub(crate) tokens_revoked_at: BTreeMap<UserId, u64>,
    /// The calls on the built-in switch; a call is removed when it ends.
    #[serde(default)]
    pub(crate) calls: Table<CallId, Call>,
    /// The configured dialed numbers (route points to voice CSQs).
    #[serde(default)]
    pub(crate) dialed_numbers: Table<DialedNumberId, DialedNumber>,
    /// Each agent's last agent↔supervisor chat messages.
    #[serde(default)]
    pub(crate) chats: ChatMailboxes,
    /// Silent monitoring: supervisor → the agent it listens to.
    #[serde(default)]
    pub(crate) monitors: BTreeMap<AgentId, AgentId>,
    /// Agents by login name folded to lower case: login names are unique ignoring case.
    /// Derived from `agents`, rebuilt when a stored center is read.
    #[serde(skip)]
    pub(crate) login_names: BTreeMap<String, AgentId>,
    /// Agents by extension. Derived from `agents`, rebuilt when a stored center is read.
    #[serde(skip)]
    pub(crate) extensions: BTreeMap<String, AgentId>,
    /// Dialed numbers by number. Derived from `dialed_numbers`, rebuilt when a stored center is
    /// read.
    #[serde(skip)]
    pub(crate) numbers: BTreeMap<String, DialedNumberId>,
    /// Routing work of the command being applied; always empty between commands.
    #[serde(skip)]
    pub(crate) work: Work,
}

impl Center {
    /// Applies one committed entry.
    ///
    /// - An entry whose actor may not give its command is rejected as `forbidden`
    ///   ([`Center::authorize`]), before its request id is looked up.
    /// - An entry whose request id is remembered with the same command returns the remembered
    ///   outcome and changes nothing (not even time); with a different command it is rejected
    ///   as `duplicate_request`. An invalid request id is rejected as `invalid_request_id`.
    /// - An applied entry advances time to `max(entry.time_ms, self.time_ms())` and, if it
    ///   has a request id, is remembered (see [`crate::REQUEST_ID_REMEMBERED_COUNT_MAX`]).
    /// - A rejected entry changes nothing.
    ///
    /// Handlers read the entry's time as `self.time_ms` while they run; a rejection restores
    /// the time it had before, and handlers write nothing else before they know they apply.
    pub fn apply(&mut self, entry: &Entry) -> Outcome {
        if let Some(request_id) = &entry.request_id {
            if let Err(rejection) = request_id_checked(request_id) {
                return Outcome::Rejected(rejection);
            }
        }
        if let Err(rejection) = self.authorize(entry.by, &entry.command) {
            return Outcome::Rejected(rejection);
        }
        let request_key = entry.request_id.as_ref().map(|request_id| request_key(request_id, &entry.command));
        if let (Some(request_id), Some(key)) = (&entry.request_id, &request_key) {
            let now_ms = self.time_ms.max(entry.time_ms);
            match self.requests.recall(key, &entry.command, now_ms) {
                Recall::Fresh => {}
                Recall::Replay(applied) => return Outcome::Applied(applied),
                Recall::Conflict => return Outcome::Rejected(duplicate_request(request_id)),
            }
            if !matches!(entry.command, Command::System(_)) {
                if let Err(rejection) = self.requests.admits(now_ms) {
                    return Outcome::Rejected(rejection);
                }
            }
        }
        let time_before = self.time_ms;
        let supervision_before = self.supervision_before(&entry.command);
        self.time_ms = self.time_ms.max(entry.time_ms);
        let applied = match self.execute(&entry.command) {
            Ok(mut applied) => {
                self.dispatch(&mut applied.events);
                self.statistics.observe(&applied.events, self.time_ms);
                self.event_index += applied.events.len() as u64;
                applied.audiences =
                    applied.events.iter().map(|event| self.audience_after(event, &supervision_before)).collect();
                applied
            }
            Err(rejection) => {
                assert!(self.work == Work::default(), "a refused command queued no routing work");
                self.time_ms = time_before;
                return Outcome::Rejected(rejection);
            }
        };
        if let Some(key) = request_key {
            let remembered = Applied { audiences: Vec::new(), ..applied.clone() };
            self.requests.remember(key, entry.command.clone(), remembered, self.time_ms);
        }
        Outcome::Applied(applied)
    }

    /// Runs one command. On `Err` nothing has been written.
    fn execute(&mut self, command: &Command) -> Result<Applied, Rejection> {
        match command {
            Command::Config(command) => self.execute_config(command),
            Command::Agent(command) => self.execute_agent(command),
            Command::Queue(command) => self.execute_queue(command),
            Command::Voice(command) => self.execute_voice(command),
            Command::Chat(command) => self.execute_chat(command),
            Command::Email(command) => self.execute_email(command),
            Command::Supervision(command) => self.execute_supervision(command),
            Command::System(command) => self.execute_system(command),
        }
    }

    /// A deadline's expiry, proposed by the leader. A stale epoch, or a deadline not yet due by
    /// the entry's time, is a no-op.
    pub(crate) fn expire(&mut self, deadline: Deadline, epoch: u64) -> Applied {
        match deadline {
            Deadline::WrapUp(agent) => self.agent_wrap_up_expired(agent, epoch),
            Deadline::NoAnswer(contact) => self.contact_no_answer_expired(contact, epoch),
            Deadline::Join(contact) => self.chat_join_expired(contact, epoch),
            Deadline::Inactivity(contact) => self.chat_inactivity_expired(contact, epoch),
            Deadline::InviteNoAnswer(contact) => self.chat_invite_expired(contact, epoch),
            Deadline::Sticky(contact) => self.email_sticky_expired(contact, epoch),
            Deadline::TeamMessage(message) => self.team_message_expired(message, epoch),
        }
    }

    /// Draws the next number of the center's sequence.
    pub(crate) fn sequence_next(&mut self) -> u64 {
        assert!(self.sequence_last < u64::MAX, "the sequence outlasts any log");
        self.sequence_last += 1;
        self.sequence_last
    }

    /// All skills in id order.
    pub fn skills(&self) -> impl Iterator<Item = &Skill> {
        self.skills.values()
    }

    /// One skill.
    pub fn skill(&self, id: SkillId) -> Option<&Skill> {
        self.skills.get(id)
    }

    /// All agents in id order.
    pub fn agents(&self) -> impl Iterator<Item = &Agent> {
        self.agents.values()
    }

    /// One agent.
    pub fn agent(&self, id: AgentId) -> Option<&Agent> {
        self.agents.get(id)
    }

    /// All teams in id order.
    pub fn teams(&self) -> impl Iterator<Item = &Team> {
        self.teams.values()
    }

    /// One team.
    pub fn team(&self, id: TeamId) -> Option<&Team> {
        self.teams.get(id)
    }

    /// All CSQs in id order.
    pub fn csqs(&self) -> impl Iterator<Item = &Csq> {
        self.csqs.values()
    }

    /// One CSQ.
    pub fn csq(&self, id: CsqId) -> Option<&Csq> {
        self.csqs.get(id)
    }

    /// All reason codes in id order.
    pub fn reason_codes(&self) -> impl Iterator<Item = &ReasonCode> {
        self.reason_codes.values()
    }

    /// One reason code.
    pub fn reason_code(&self, id: ReasonCodeId) -> Option<&ReasonCode> {
        self.reason_codes.get(id)
    }

    /// The latest time applied, in milliseconds since the Unix epoch; never goes backwards.
    pub fn time_ms(&self) -> u64 {
        self.time_ms
    }

    /// The index of the last event produced (0: none yet). The events of an applied command are
    /// numbered consecutively up to this value; a replayed command's events have no new index.
    pub fn event_index(&self) -> u64 {
        self.event_index
    }

    /// How many request ids the center remembers (at most
    /// [`crate::REQUEST_ID_REMEMBERED_COUNT_MAX`]).
    pub fn request_remembered_count(&self) -> u32 {
        self.requests.count()
    }

    /// Whether the center remembers this client request id (a command of a client, not of the
    /// cluster itself), i.e. the request would replay.
    pub fn request_remembered(&self, request_id: &RequestId) -> bool {
        self.requests.contains(request_id)
    }

    /// Whether `entry` would replay a remembered request (in its namespace).
    pub fn entry_replays(&self, entry: &Entry) -> bool {
        entry
            .request_id
            .as_ref()
            .is_some_and(|request_id| self.requests.contains(&request_key(request_id, &entry.command)))
    }
}

/// The key a request is remembered under. The cluster's own commands (timers' expiries, the
/// session key, no-ops) are remembered in a namespace of their own, behind a control
/// character no client id may contain: a client cannot take the id a timer will use
/// (`expire-<epoch>`) and so turn that expiry into a refused duplicate that never fires.
fn request_key(request_id: &RequestId, command: &Command) -> RequestId {
    match command {
        Command::System(_) => RequestId(format!("\u{1}{}", request_id.0)),
        _ => request_id.clone(),
    }
}
