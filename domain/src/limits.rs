//! Every bound the domain enforces, named once.
//!
//! Limits taken from the spec say where; the others are decisions recorded in
//! `docs/decisions/0003-config-validation.md`. Input over a limit gets a typed rejection; the
//! domain never grows a collection without one of these bounds.

/// Email CSQs a center may hold (spec: seeds-uccx.md §2.5, "at most 100 email CSQs").
pub const EMAIL_CSQ_COUNT_MAX: u32 = 100;

/// The spec's text for the 101st email CSQ (seeds-uccx.md §2.5), naming Tandem.
pub const EMAIL_CSQ_LIMIT_MESSAGE: &str =
    "Tandem supports a maximum of 100 Email CSQs. Exceeded maximum limit for Email CSQs.";

/// Characters in a reason code's label (spec: seeds-ctios.md §2.6.5, "42 characters").
pub const REASON_CODE_LABEL_LENGTH_MAX: u32 = 42;

/// Lowest competence of an agent's skill and of a CSQ's minimum competence.
pub const COMPETENCE_MIN: u8 = 1;

/// Highest competence of an agent's skill and of a CSQ's minimum competence.
pub const COMPETENCE_MAX: u8 = 10;

/// Characters in a client-chosen request id.
pub const REQUEST_ID_LENGTH_MAX: u32 = 64;

/// Applied request ids the center remembers with their whole outcome (a retry gets the same
/// events back); older ones of the window are held in a compact form.
pub const REQUEST_ID_REMEMBERED_COUNT_MAX: u32 = 10_000;

/// How long (center time) an applied request id is remembered: a retry within it applies
/// once. Ten minutes, twice the longest a client library retries a request
/// ([`REQUEST_RETRY_AGE_MAX_MS`]), which outlasts the slowest failover (heartbeats 5 s × 5,
/// then an election) many times over, with room for clocks that disagree by minutes.
pub const REQUEST_ID_REMEMBERED_WINDOW_MS: u64 = 10 * 60 * 1000;

/// How long a client keeps retrying a request (from when it first sent it) before it reports
/// the outcome unknown instead; within [`REQUEST_ID_REMEMBERED_WINDOW_MS`], so a retry the
/// client sends always meets the cluster's memory of the first.
pub const REQUEST_RETRY_AGE_MAX_MS: u64 = 5 * 60 * 1000;

/// Request ids the window may hold (about 60 bytes each): 2,000,000 is 3,300 requests/s for
/// ten minutes. When held, a new request with an id is refused as `rate_limited`.
pub const REQUEST_ID_WINDOW_COUNT_MAX: u32 = 2_000_000;

/// Consecutive failed logins that lock a user out (seeds-ctios.md §2.11,
/// `MonitorModeDisableThreshold`, default 3).
pub const LOGIN_LOCKOUT_THRESHOLD: u32 = 3;

/// How long a locked-out user stays locked after the last failed attempt (seeds-ctios.md
/// §2.11, `MonitorModeDisableDuration`, 15 minutes).
pub const LOGIN_LOCKOUT_MS: u64 = 15 * 60 * 1000;

/// Characters in a name: skill, team, CSQ, agent name and alias.
pub const NAME_LENGTH_MAX: u32 = 64;

/// Characters in an agent's login name.
pub const LOGIN_NAME_LENGTH_MAX: u32 = 64;

/// Skills one agent may hold.
pub const AGENT_SKILL_COUNT_MAX: u32 = 50;

/// Skill requirements one CSQ may list.
pub const CSQ_SKILL_COUNT_MAX: u32 = 50;

/// Skill requirements a CSQ needs at least: a CSQ without skills would route to anyone.
pub const CSQ_SKILL_COUNT_MIN: u32 = 1;

/// Secondary supervisors one team may have.
pub const TEAM_SECONDARY_SUPERVISOR_COUNT_MAX: u32 = 10;

/// Skills a center may hold.
pub const SKILL_COUNT_MAX: u32 = 1_000;

/// Agents a center may hold: twice the largest UCCE reference design (50,000 agents), every one
/// of them able to be logged in at once.
pub const AGENT_COUNT_MAX: u32 = 100_000;

/// Users a center may hold: one per agent, plus administrators.
pub const USER_COUNT_MAX: u32 = AGENT_COUNT_MAX + 1_000;

/// Characters in a stored password hash (a PHC string; Argon2id's is about 100).
pub const PASSWORD_HASH_LENGTH_MAX: u32 = 256;

/// Teams a center may hold.
pub const TEAM_COUNT_MAX: u32 = 1_000;

/// CSQs of all channels a center may hold (email CSQs are further capped by
/// [`EMAIL_CSQ_COUNT_MAX`]).
pub const CSQ_COUNT_MAX: u32 = 1_000;

/// Reason codes of both kinds a center may hold.
pub const REASON_CODE_COUNT_MAX: u32 = 1_000;

/// How many referencing entities an `in_use` message names before it says "and N more".
pub const IN_USE_NAMED_COUNT_MAX: u32 = 5;

const _: () = assert!(COMPETENCE_MIN >= 1);
const _: () = assert!(COMPETENCE_MIN <= COMPETENCE_MAX);
const _: () = assert!(EMAIL_CSQ_COUNT_MAX <= CSQ_COUNT_MAX);
const _: () = assert!(CSQ_SKILL_COUNT_MIN <= CSQ_SKILL_COUNT_MAX);
const _: () = assert!(REQUEST_ID_REMEMBERED_COUNT_MAX >= 1);
const _: () = assert!(REQUEST_ID_REMEMBERED_COUNT_MAX <= REQUEST_ID_WINDOW_COUNT_MAX);
const _: () = assert!(2 * REQUEST_RETRY_AGE_MAX_MS <= REQUEST_ID_REMEMBERED_WINDOW_MS);

// Agent desk settings and the voice state machine (seeds-ctios.md §2.6;
// docs/decisions/0011-agent-voice-states.md).

/// Longest wrap-up timer; 0 turns the timer off.
pub const WRAP_UP_TIMER_SECONDS_MAX: u32 = 7_200;

/// Characters of wrap-up data on a call (spec: seeds-ctios.md §2.7.1, the WrapUp column's 40).
pub const WRAP_UP_DATA_LENGTH_MAX: u32 = 40;

/// Shortest time a voice call rings an agent before it is requeued (ring no answer).
pub const RING_NO_ANSWER_SECONDS_MIN: u32 = 5;

/// Longest time a voice call rings an agent before it is requeued (ring no answer).
pub const RING_NO_ANSWER_SECONDS_MAX: u32 = 300;

/// Default time a voice call rings an agent before it is requeued (ring no answer).
pub const RING_NO_ANSWER_SECONDS_DEFAULT: u32 = 15;

const _: () = assert!(RING_NO_ANSWER_SECONDS_MIN <= RING_NO_ANSWER_SECONDS_DEFAULT);
const _: () = assert!(RING_NO_ANSWER_SECONDS_DEFAULT <= RING_NO_ANSWER_SECONDS_MAX);

// Channel parameters (spec: seeds-uccx.md §2.7; docs/decisions/0012-digital-state-and-capacity.md).

/// Fewest concurrent chats (group chats included) an agent may be set to take.
pub const CHAT_SESSIONS_PER_AGENT_MIN: u32 = 1;

/// Most concurrent chats (group chats included) an agent may be set to take (spec: 1–5).
pub const CHAT_SESSIONS_PER_AGENT_MAX: u32 = 5;

/// Fewest concurrent emails an agent may be set to take.
pub const EMAIL_SESSIONS_PER_AGENT_MIN: u32 = 1;

/// Most concurrent emails an agent may be set to take (spec: 1–5).
pub const EMAIL_SESSIONS_PER_AGENT_MAX: u32 = 5;

/// Shortest Sticky Email Timeout (spec: 1–120 hours).
pub const STICKY_EMAIL_TIMEOUT_HOURS_MIN: u32 = 1;

/// Longest Sticky Email Timeout (spec: 1–120 hours).
pub const STICKY_EMAIL_TIMEOUT_HOURS_MAX: u32 = 120;

/// Default Sticky Email Timeout (spec: 4 hours).
pub const STICKY_EMAIL_TIMEOUT_HOURS_DEFAULT: u32 = 4;

/// Shortest Join Timeout.
pub const JOIN_TIMEOUT_MINUTES_MIN: u32 = 1;

/// Longest Join Timeout (spec: maximum 60 minutes).
pub const JOIN_TIMEOUT_MINUTES_MAX: u32 = 60;

/// Default Join Timeout (spec: 1 minute).
pub const JOIN_TIMEOUT_MINUTES_DEFAULT: u32 = 1;

/// Shortest customer Inactivity Timeout (not in the spec).
pub const INACTIVITY_TIMEOUT_MINUTES_MIN: u32 = 1;

/// Longest customer Inactivity Timeout (not in the spec).
pub const INACTIVITY_TIMEOUT_MINUTES_MAX: u32 = 60;

/// Default customer Inactivity Timeout (not in the spec).
pub const INACTIVITY_TIMEOUT_MINUTES_DEFAULT: u32 = 5;

/// Shortest No Answer Timeout for chat offers and group chat invites (not in the spec).
pub const NO_ANSWER_TIMEOUT_SECONDS_MIN: u32 = 5;

/// Longest No Answer Timeout for chat offers and group chat invites (not in the spec).
pub const NO_ANSWER_TIMEOUT_SECONDS_MAX: u32 = 600;

/// Default No Answer Timeout: the 20 s after which browsers fade the chat toaster anyway.
pub const NO_ANSWER_TIMEOUT_SECONDS_DEFAULT: u32 = 20;

const _: () = assert!(CHAT_SESSIONS_PER_AGENT_MIN >= 1);
const _: () = assert!(CHAT_SESSIONS_PER_AGENT_MIN <= CHAT_SESSIONS_PER_AGENT_MAX);
const _: () = assert!(EMAIL_SESSIONS_PER_AGENT_MIN >= 1);
const _: () = assert!(EMAIL_SESSIONS_PER_AGENT_MIN <= EMAIL_SESSIONS_PER_AGENT_MAX);
const _: () = assert!(STICKY_EMAIL_TIMEOUT_HOURS_MIN <= STICKY_EMAIL_TIMEOUT_HOURS_DEFAULT);
const _: () = assert!(STICKY_EMAIL_TIMEOUT_HOURS_DEFAULT <= STICKY_EMAIL_TIMEOUT_HOURS_MAX);
const _: () = assert!(JOIN_TIMEOUT_MINUTES_MIN <= JOIN_TIMEOUT_MINUTES_DEFAULT);
const _: () = assert!(JOIN_TIMEOUT_MINUTES_DEFAULT <= JOIN_TIMEOUT_MINUTES_MAX);
const _: () = assert!(INACTIVITY_TIMEOUT_MINUTES_MIN <= INACTIVITY_TIMEOUT_MINUTES_DEFAULT);
const _: () = assert!(INACTIVITY_TIMEOUT_MINUTES_DEFAULT <= INACTIVITY_TIMEOUT_MINUTES_MAX);
const _: () = assert!(NO_ANSWER_TIMEOUT_SECONDS_MIN <= NO_ANSWER_TIMEOUT_SECONDS_DEFAULT);
const _: () = assert!(NO_ANSWER_TIMEOUT_SECONDS_DEFAULT <= NO_ANSWER_TIMEOUT_SECONDS_MAX);

// Contacts and routing (docs/decisions/0013-routing.md).

/// Contacts open at once (queued, waiting for their last agent, offered or being handled).
pub const CONTACT_OPEN_COUNT_MAX: u32 = 100_000;

/// Closed contacts kept for reading after they close; the oldest is forgotten first.
pub const CONTACT_CLOSED_RETAINED_COUNT_MAX: u32 = 10_000;

/// Lowest contact priority.
pub const PRIORITY_MIN: u8 = 1;

/// Highest contact priority; higher priorities are routed first.
pub const PRIORITY_MAX: u8 = 10;

/// Priority of a contact injected without one.
pub const PRIORITY_DEFAULT: u8 = 1;

/// Characters in a customer's name.
pub const CUSTOMER_NAME_LENGTH_MAX: u32 = 64;

/// Characters in a customer's address (an email address is at most 254).
pub const CUSTOMER_ADDRESS_LENGTH_MAX: u32 = 254;

/// Characters in an email's subject.
pub const EMAIL_SUBJECT_LENGTH_MAX: u32 = 255;

/// Routing steps one command may take; far above what the bounds allow, so reaching it is a bug.
pub const DISPATCH_STEP_COUNT_MAX: u64 = 10_000_000;

const _: () = assert!(PRIORITY_MIN <= PRIORITY_DEFAULT);
const _: () = assert!(PRIORITY_DEFAULT <= PRIORITY_MAX);

// Chat (spec: seeds-uccx.md §2.7, §2.10, §2.11, §2.12; docs/decisions/0015-chat-lifecycle.md).

/// Participants of a group chat, the customer included (spec: at most 3).
pub const GROUP_CHAT_PARTICIPANT_COUNT_MAX: u32 = 3;

/// Agents in one chat: every participant but the customer.
pub const CHAT_AGENT_COUNT_MAX: u32 = GROUP_CHAT_PARTICIPANT_COUNT_MAX - 1;

/// Characters in a group chat invite's notes (the spec's agent message limit, 1500).
pub const GROUP_CHAT_NOTES_LENGTH_MAX: u32 = 1_500;

/// The spec's default Join Time-out Message (seeds-uccx.md §2.11).
pub const CHAT_JOIN_TIMEOUT_MESSAGE: &str =
    "All customer care representatives are busy. Please wait or try again later.";

/// What the agent sees when the customer's inactivity ends a chat (seeds-uccx.md §2.7).
pub const CHAT_INACTIVITY_AGENT_MESSAGE: &str =
    "You are alone in the chat room. Click End to close the chat interface.";

/// What the customer sees when inactivity ends a joined chat (seeds-uccx.md §2.7).
pub const CHAT_INACTIVITY_CUSTOMER_MESSAGE: &str =
    "Warning: the server connection was lost due to an inactivity timeout or connection failure.";

/// What the customer sees when inactivity ends a chat no agent had joined (seeds-uccx.md §2.7).
pub const CHAT_UNAVAILABLE_MESSAGE: &str =
    "Sorry, the chat service is currently not available. Please try again later.";

/// The refusal of a third agent (a fourth participant) in a group chat.
pub const GROUP_CHAT_FULL_MESSAGE: &str = "A group chat has at most 3 participants, including the customer.";

const _: () = assert!(CHAT_AGENT_COUNT_MAX == 2);

// Email (spec: seeds-uccx.md §2.6, §2.9; docs/decisions/0016-email-lifecycle.md).

/// Conversations whose last agent the center remembers for sticky routing; the conversation
/// answered longest ago is forgotten first.
pub const CONVERSATION_REMEMBERED_COUNT_MAX: u32 = 100_000;

// Desktop content (spec: seeds-uccx.md §2.13–2.15, §2.22; docs/decisions/0017-desktop-content.md).

/// Wrap-up categories a center may hold (spec: 25).
pub const WRAP_UP_CATEGORY_COUNT_MAX: u32 = 25;

/// Reasons in one wrap-up category (spec: 25).
pub const WRAP_UP_REASON_COUNT_MAX: u32 = 25;

/// Characters in a wrap-up category name or reason (spec: 40).
pub const WRAP_UP_TEXT_LENGTH_MAX: u32 = 40;

/// Wrap-up categories tagged to one CSQ (spec: 10).
pub const WRAP_UP_CATEGORY_PER_CSQ_COUNT_MAX: u32 = 10;

/// Wrap-up reasons an agent may select for one contact (spec: 5).
pub const WRAP_UP_REASON_PER_CONTACT_COUNT_MAX: u32 = 5;

/// Predefined responses across chat and email (spec: 500).
pub const PREDEFINED_RESPONSE_COUNT_MAX: u32 = 500;

/// Characters in a predefined response's body, HTML tags included for email (spec: 1500).
pub const PREDEFINED_RESPONSE_BODY_LENGTH_MAX: u32 = 1_500;

/// Characters in a predefined response's title (not in the spec).
pub const PREDEFINED_RESPONSE_TITLE_LENGTH_MAX: u32 = 100;

/// CSQs a predefined response may be tagged to (spec: 10).
pub const PREDEFINED_RESPONSE_CSQ_COUNT_MAX: u32 = 10;

/// Characters a predefined response's title (and a chat response's body) must not contain.
pub const PREDEFINED_RESPONSE_FORBIDDEN_CHARACTERS: [char; 6] = ['<', '>', '(', ')', '"', '|'];

/// Characters in an email signature's name (spec: 100).
pub const EMAIL_SIGNATURE_NAME_LENGTH_MAX: u32 = 100;

/// Characters in an email signature's content (spec: 1500).
pub const EMAIL_SIGNATURE_CONTENT_LENGTH_MAX: u32 = 1_500;

/// CSQs an email signature may be tagged to (spec: 10).
pub const EMAIL_SIGNATURE_CSQ_COUNT_MAX: u32 = 10;

/// Email signatures a center may hold (not in the spec; one per CSQ plus one global fits).
pub const EMAIL_SIGNATURE_COUNT_MAX: u32 = 1_001;

/// The variable in a signature that becomes the agent's alias (or login name) at send time.
pub const EMAIL_SIGNATURE_AGENT_ALIAS_VARIABLE: &str = "{{agent_alias}}";

/// Characters in a team message (spec: 255).
pub const TEAM_MESSAGE_TEXT_LENGTH_MAX: u32 = 255;

/// Characters in an agent↔supervisor chat message (the spec's agent chat message length).
pub const AGENT_CHAT_TEXT_LENGTH_MAX: u32 = 1500;

/// Chat messages the center keeps per agent, sent and received, for a desktop that resyncs.
pub const AGENT_CHAT_MAILBOX_MAX: usize = 50;

/// Shortest team message expiry (spec: 5 minutes).
pub const TEAM_MESSAGE_EXPIRY_MINUTES_MIN: u32 = 5;

/// Longest team message expiry (spec: 23:55 hours).
pub const TEAM_MESSAGE_EXPIRY_MINUTES_MAX: u32 = 23 * 60 + 55;

/// Team message publishes (creates and deletes) per hour, system-wide (spec: 100).
pub const TEAM_MESSAGE_PUBLISH_COUNT_PER_HOUR_MAX: u32 = 100;

/// Active team messages, system-wide (spec: 1600).
pub const TEAM_MESSAGE_ACTIVE_COUNT_MAX: u32 = 1_600;

const _: () = assert!(EMAIL_SIGNATURE_COUNT_MAX > CSQ_COUNT_MAX);
const _: () = assert!(TEAM_MESSAGE_EXPIRY_MINUTES_MIN <= TEAM_MESSAGE_EXPIRY_MINUTES_MAX);

// Statistics (docs/decisions/0018-statistics.md).

/// Shortest service level threshold.
pub const SERVICE_LEVEL_THRESHOLD_SECONDS_MIN: u32 = 1;

/// Longest service level threshold.
pub const SERVICE_LEVEL_THRESHOLD_SECONDS_MAX: u32 = 3_600;

/// Default service level threshold: the common "answered within 20 seconds".
pub const SERVICE_LEVEL_THRESHOLD_SECONDS_DEFAULT: u32 = 20;

const _: () = assert!(SERVICE_LEVEL_THRESHOLD_SECONDS_MIN <= SERVICE_LEVEL_THRESHOLD_SECONDS_DEFAULT);
const _: () = assert!(SERVICE_LEVEL_THRESHOLD_SECONDS_DEFAULT <= SERVICE_LEVEL_THRESHOLD_SECONDS_MAX);

// The built-in telephony switch (spec: seeds-ctios.md §2.7, §2.8, §3;
// docs/decisions/0022-telephony-switch.md).

/// Parties on one call, the conference limit (spec: Avaya Communication Manager's 6; a 7th is
/// rejected with 20070 CONFERENCE_FULL).
pub const CONFERENCE_PARTY_COUNT_MAX: u32 = 6;

/// Calls one agent's line holds at once: one active and one held (a consult in progress).
pub const LINE_CALL_COUNT_MAX: u32 = 2;

/// Calls the switch holds at once: every open contact's call plus two per agent line, rounded.
pub const CALL_COUNT_MAX: u32 = 400_000;

/// Characters in an agent's extension (digits only; the E.164 maximum).
pub const EXTENSION_LENGTH_MAX: u32 = 15;

/// Characters in a dialed or configured number (digits, `*`, `#`, a leading `+`).
pub const NUMBER_LENGTH_MAX: u32 = 32;

/// Dialed numbers (route points to CSQs) a center may hold.
pub const DIALED_NUMBER_COUNT_MAX: u32 = 1_000;

/// Characters of a call's user-to-user information (spec: seeds-ctios.md §2.7.1, 129).
pub const USER_TO_USER_INFO_LENGTH_MAX: u32 = 129;

/// Call variables per call, Var1 to Var10 (spec: seeds-ctios.md §2.7.1).
pub const CALL_VARIABLE_COUNT: u8 = 10;

/// Characters of one call variable (spec: seeds-ctios.md §2.7.1, 40 each).
pub const CALL_VARIABLE_LENGTH_MAX: u32 = 40;

/// Characters of caller-entered digits, ANI and DNIS (not in the spec; a number's bound).
pub const CALL_DIGITS_LENGTH_MAX: u32 = NUMBER_LENGTH_MAX;

/// Expanded call context (ECC) variables per call (not in the spec).
pub const ECC_VARIABLE_COUNT_MAX: u32 = 50;

/// Characters of an ECC variable's name, index included (not in the spec; UCCE's 32).
pub const ECC_NAME_LENGTH_MAX: u32 = 32;

/// Characters of an ECC variable's value (not in the spec; UCCE's 210).
pub const ECC_VALUE_LENGTH_MAX: u32 = 210;

/// DTMF digits one request may send.
pub const DTMF_DIGITS_LENGTH_MAX: u32 = 32;

/// Session keys held at once: the current one and those whose tokens may still be valid (not
/// in the spec). Rotating more often than this within a token's lifetime ends the oldest
/// keys' tokens early.
pub const SESSION_KEY_COUNT_MAX: u32 = 8;

/// Characters of a sealed session key (not in the spec; a sealed 32-byte key is 125).
pub const SESSION_KEY_SEALED_LENGTH_MAX: u32 = 256;

/// Characters of a mailbox address (RFC 5321's path limit).
pub const MAIL_ADDRESS_LENGTH_MAX: u32 = 254;

/// Characters of a mail server's host name (DNS's limit).
pub const MAIL_HOST_LENGTH_MAX: u32 = 253;

/// Characters of a mailbox folder name (not in the spec).
pub const MAIL_FOLDER_LENGTH_MAX: u32 = 255;

/// Characters of a sealed mail credential (not in the spec; room for an OAuth token).
pub const MAIL_SEALED_LENGTH_MAX: u32 = 16_384;

/// An email CSQ's poll interval, seconds (seeds-uccx.md §2.5).
pub const MAIL_POLL_INTERVAL_SECONDS_MIN: u32 = 60;
/// See [`MAIL_POLL_INTERVAL_SECONDS_MIN`].
pub const MAIL_POLL_INTERVAL_SECONDS_MAX: u32 = 3_600;
/// See [`MAIL_POLL_INTERVAL_SECONDS_MIN`].
pub const MAIL_POLL_INTERVAL_SECONDS_DEFAULT: u32 = 180;

/// An email CSQ's snapshot age: only emails received this many minutes back are fetched
/// (seeds-uccx.md §2.5).
pub const MAIL_SNAPSHOT_AGE_MINUTES_MIN: u32 = 60;
/// See [`MAIL_SNAPSHOT_AGE_MINUTES_MIN`].
pub const MAIL_SNAPSHOT_AGE_MINUTES_MAX: u32 = 43_200;
/// See [`MAIL_SNAPSHOT_AGE_MINUTES_MIN`].
pub const MAIL_SNAPSHOT_AGE_MINUTES_DEFAULT: u32 = 120;

/// The spec's default ports: secure IMAP and SMTP submission (seeds-uccx.md §2.4).
pub const MAIL_IMAP_PORT_DEFAULT: u16 = 993;
/// See [`MAIL_IMAP_PORT_DEFAULT`].
pub const MAIL_SMTP_PORT_DEFAULT: u16 = 587;

const _: () = assert!(CONFERENCE_PARTY_COUNT_MAX >= 3);
const _: () = assert!(LINE_CALL_COUNT_MAX == 2);
const _: () = assert!(EXTENSION_LENGTH_MAX <= NUMBER_LENGTH_MAX);
const _: () = assert!(WRAP_UP_DATA_LENGTH_MAX == CALL_VARIABLE_LENGTH_MAX);

/// Content hashes each mailbox remembers to recognise a message after its folder is renumbered
/// (a new UIDVALIDITY).
pub const MAIL_SEEN_REMEMBERED_MAX: u32 = 10_000;

/// Malformed messages each mailbox keeps for administrators.
pub const MAIL_ERRORS_REMEMBERED_MAX: u32 = 100;

/// A malformed message's stored error, in characters.
pub const MAIL_ERROR_LENGTH_MAX: u32 = 500;

/// A Message-ID, In-Reply-To or References entry: RFC 5322's line length.
pub const MAIL_MESSAGE_ID_LENGTH_MAX: u32 = 998;

/// References kept of an inbound email (the last ones: enough to thread, small in the log).
pub const MAIL_REFERENCES_MAX: u32 = 10;

/// Addresses per To, Cc or Bcc (seeds-uccx.md §2.9: a reply's 20).
pub const MAIL_RECIPIENTS_MAX: u32 = 20;

/// A reply's body, in characters. Replies travel in the log whole (they are the agent's own
/// words, so small); larger ones wait for the blob store (decision 0029).
pub const EMAIL_REPLY_BODY_LENGTH_MAX: u32 = 100_000;

/// Replies waiting to be sent: a mail server down for long fills the outbox, and new replies
/// are refused rather than let the state grow without bound.
pub const OUTBOX_PENDING_MAX: u32 = 10_000;

/// Sent or failed replies kept for administrators (the oldest go first).
pub const OUTBOX_FINISHED_KEPT_MAX: u32 = 10_000;

/// Attempts at sending one reply before it is marked failed (transient errors only: a
/// permanent one fails it at once).
pub const OUTBOX_ATTEMPTS_MAX: u32 = 12;

/// The first wait after a transient send error; each further attempt doubles it up to
/// [`OUTBOX_RETRY_DELAY_MAX_MS`].
pub const OUTBOX_RETRY_DELAY_MIN_MS: u64 = 5_000;

/// The longest wait between attempts at one reply.
pub const OUTBOX_RETRY_DELAY_MAX_MS: u64 = 15 * 60 * 1_000;

/// An auto-acknowledgement's body, in characters (a knowledge-base article's worth).
pub const AUTO_ACKNOWLEDGEMENT_LENGTH_MAX: u32 = 4_000;

/// The decoded size of an incoming customer email's attachments (seeds-uccx.md §2.9: 20 MB).
/// A larger email is stored with an error for administrators, not routed; the original stays
/// in the mailbox.
pub const MAIL_INBOUND_ATTACHMENTS_BYTES_MAX: u64 = 20 * 1024 * 1024;
