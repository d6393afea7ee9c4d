//! Reading a stored center back, upgrading snapshots written by older releases.
//!
//! A snapshot outlives the binary that wrote it. Fields added since have serde defaults, and
//! the state derived from configuration (each agent's status, the routing index) is filled in
//! when an older snapshot lacks it, the same way on every replica. A snapshot of this release
//! reads back unchanged.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::agent::status::AgentStatus;
use crate::agent::Agent;
use crate::center::Center;
use crate::config::predefined_response::PredefinedResponse;
use crate::config::reason_code::ReasonCode;
use crate::config::settings::{ChannelParameters, DeskSettings};
use crate::config::skill::Skill;
use crate::config::team::Team;
use crate::config::user::User;
use crate::config::wrap_up::WrapUpCategory;
use crate::deadline::Deadlines;
use crate::email::signature::EmailSignature;
use crate::email::Conversations;
use crate::ids::{
    AgentId, CallId, ContactId, CsqId, DialedNumberId, EmailSignatureId, PredefinedResponseId, ReasonCodeId, SkillId,
    TeamId, TeamMessageId, UserId, WrapUpCategoryId,
};
use crate::queue::contact::{ClosedContacts, Contact};
use crate::queue::csq::Csq;
use crate::queue::routing::{Routing, Work};
use crate::request_log::RequestLog;
use crate::statistics::Statistics;
use crate::supervision::agent_chat::ChatMailboxes;
use crate::supervision::team_message::{PublishLog, TeamMessage};
use crate::table::Table;
use crate::voice::telephony::{Call, DialedNumber};

/// The stored form of [`Center`], field for field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredCenter {
    time_ms: u64,
    skills: Table<SkillId, Skill>,
    agents: Table<AgentId, Agent>,
    teams: Table<TeamId, Team>,
    csqs: Table<CsqId, Csq>,
    reason_codes: Table<ReasonCodeId, ReasonCode>,
    requests: RequestLog,
    #[serde(default)]
    sequence_last: u64,
    #[serde(default)]
    deadlines: Deadlines,
    #[serde(default)]
    desk: DeskSettings,
    #[serde(default)]
    channel: ChannelParameters,
    #[serde(default)]
    statuses: BTreeMap<AgentId, AgentStatus>,
    #[serde(default)]
    contacts: Table<ContactId, Contact>,
    #[serde(default)]
    closed_contacts: ClosedContacts,
    #[serde(default)]
    routing: Routing,
    #[serde(default)]
    wrap_up_categories: Table<WrapUpCategoryId, WrapUpCategory>,
    #[serde(default)]
    predefined_responses: Table<PredefinedResponseId, PredefinedResponse>,
    #[serde(default)]
    email_signatures: Table<EmailSignatureId, EmailSignature>,
    #[serde(default)]
    team_messages: Table<TeamMessageId, TeamMessage>,
    #[serde(default)]
    team_message_publishes: PublishLog,
    #[serde(default)]
    statistics: Statistics,
    #[serde(default)]
    conversations: Conversations,
    #[serde(default)]
    event_index: u64,
    #[serde(default)]
    users: Table<UserId, User>,
    /// Before decision 0027 the one session key, in clear: read and dropped (users log in
    /// again).
    #[serde(default, rename = "session_key")]
    _legacy_session_key: Option<String>,
    #[serde(default)]
    session_keys: Vec<crate::SessionKey>,
    #[serde(default)]
    mail_server: Option<crate::MailServer>,
    #[serde(default)]
    mailboxes: BTreeMap<CsqId, crate::Mailbox>,
    #[serde(default)]
    mail_inbound: BTreeMap<CsqId, crate::email::inbound::MailInbound>,
    #[serde(default)]
    inbound_emails: BTreeMap<ContactId, crate::InboundEmail>,
    #[serde(default)]
    outbox: Table<crate::OutboxId, crate::OutboundEmail>,
    #[serde(default)]
    active_side: Option<String>,
    #[serde(default)]
    email_drafts: BTreeMap<ContactId, crate::EmailDraft>,
    #[serde(default)]
    mailbox_readers: BTreeMap<CsqId, crate::ReaderStatus>,
    #[serde(default)]
    login_failures: BTreeMap<UserId, crate::LoginFailures>,
    #[serde(default)]
    tokens_revoked_at: BTreeMap<UserId, u64>,
    #[serde(default)]
    calls: Table<CallId, Call>,
    #[serde(default)]
    dialed_numbers: Table<DialedNumberId, DialedNumber>,
    #[serde(default)]
    chats: ChatMailboxes,
    #[serde(default)]
    monitors: BTreeMap<AgentId, AgentId>,
}

impl From<StoredCenter> for Center {
    fn from(stored: StoredCenter) -> Self {
        let mut center = Center {
            time_ms: stored.time_ms,
            skills: stored.skills,
            agents: stored.agents,
            teams: stored.teams,
            csqs: stored.csqs,
            reason_codes: stored.reason_codes,
            requests: stored.requests,
            sequence_last: stored.sequence_last,
            deadlines: stored.deadlines,
            desk: stored.desk,
            channel: stored.channel,
            statuses: stored.statuses,
            contacts: stored.contacts,
            closed_contacts: stored.closed_contacts,
            routing: stored.routing,
            wrap_up_categories: stored.wrap_up_categories,
            predefined_responses: stored.predefined_responses,
            email_signatures: stored.email_signatures,
            team_messages: stored.team_messages,
            team_message_publishes: stored.team_message_publishes,
            statistics: stored.statistics,
            conversations: stored.conversations,
            event_index: stored.event_index,
            users: stored.users,
            session_keys: stored.session_keys,
            mail_server: stored.mail_server,
            mailboxes: stored.mailboxes,
            mail_inbound: stored.mail_inbound,
            inbound_emails: stored.inbound_emails,
            outbox: stored.outbox,
            active_side: stored.active_side,
            email_drafts: stored.email_drafts,
            mailbox_readers: stored.mailbox_readers,
            login_failures: stored.login_failures,
            tokens_revoked_at: stored.tokens_revoked_at,
            calls: stored.calls,
            dialed_numbers: stored.dialed_numbers,
            chats: stored.chats,
            monitors: stored.monitors,
            login_names: BTreeMap::new(),
            extensions: BTreeMap::new(),
            numbers: BTreeMap::new(),
            work: Work::default(),
        };
        center.derived_state_repaired();
        center
    }
}

impl Center {
    /// Gives every agent a status and the routing index an entry per agent and CSQ, where an
    /// older snapshot lacks them: agents start logged out, unindexed.
    fn derived_state_repaired(&mut self) {
        self.login_names =
            self.agents.values().map(|agent| (crate::text::folded(&agent.login_name), agent.id)).collect();
        self.extensions = self
            .agents
            .values()
            .filter_map(|agent| agent.extension.as_ref().map(|extension| (extension.clone(), agent.id)))
            .collect();
        self.numbers = self.dialed_numbers.values().map(|dialed| (dialed.number.clone(), dialed.id)).collect();
        let agents: Vec<AgentId> = self.agents.values().map(|agent| agent.id).collect();
        for id in agents {
            let time_ms = self.time_ms;
            self.statuses.entry(id).or_insert_with(|| AgentStatus::logged_out(id, time_ms));
            self.routing_agent_repaired(id);
        }
        let csqs: Vec<CsqId> = self.csqs.values().map(|csq| csq.id).collect();
        for id in csqs {
            self.routing_csq_repaired(id);
        }
        self.work = Work::default();
    }
}
