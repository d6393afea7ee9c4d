//! Property tests over random runtime command sequences (agents, contacts, timers, config):
//!
//! - (a) no contact is ever handed to two agents;
//! - (b) no agent is ever handed a contact beyond any capacity;
//! - (c) the chosen agent maximises the selection criterion among eligible agents, ties broken
//!   by the written rule (a scan of all agents recomputes it);
//! - (d) every contact is queued, active or in exactly one terminal state, which never changes;
//! - (e) applying the same command log twice from empty gives byte-identical state;
//!
//! and, as everywhere, a rejected command leaves the center byte-identical. Actions name agents
//! and contacts from small pools and are resolved against the state when run (the contact an
//! agent was offered, the next deadline with its real epoch, sometimes a stale one), so runs
//! reach deep states as well as refusals.

use crate::{
    AgentCommand, ChatCommand, ChatEvent, ConfigCommand, EmailCommand, EmailEvent, QueueCommand, QueueEvent,
    SystemCommand, VoiceCommand,
};
use std::collections::BTreeMap;

use proptest::prelude::*;

use super::invariants::{ranked_agents, score};
use super::routing::{csq_with, spec_of};
use super::{agent, assert_invariants, center_from, json, reason, skills};
use crate::{
    AgentId, AgentStateRequest, Center, Channel, ChannelParameters, Command, ContactId, ContactOutcome, ContactSpec,
    ContactState, CsqId, DeskSettings, DigitalStateRequest, Entry, Event, Outcome, ReasonKind, Selection, WrapUpMode,
};

const AGENT_COUNT: u64 = 4;
const CSQ_COUNT: u64 = 5;

/// What a step does; agents and CSQs are 1-based indexes into small pools.
#[derive(Debug, Clone)]
enum Action {
    Voice(u64, AgentStateRequest, bool),
    Digital(u64, bool),
    Inject(u64, u8, u8),
    Answer(u64),
    Hold(u64, bool),
    EndCall(u64),
    MakeCall(u64),
    CustomerLeft(u64),
    CustomerActivity(u64),
    AcceptChat(u64),
    EndChat(u64),
    LeaveChat(u64),
    Invite(u64, u64),
    AnswerInvite(u64, bool),
    Email(u64, u8, u64),
    RequeueAll,
    ExpireNext,
    ExpireStale,
    CloseSession(u64),
    Reskill(u64, u8),
    Capacity(u32, u32),
    Desk(u8),
    WrapUpData(u64),
    Tick(u64),
}

fn action() -> impl Strategy<Value = Action> {
    let agent = 1..=AGENT_COUNT;
    let request = prop_oneof![
        2 => Just(AgentStateRequest::Login),
        6 => Just(AgentStateRequest::Ready),
        2 => Just(AgentStateRequest::NotReady),
        1 => Just(AgentStateRequest::Logout),
        1 => Just(AgentStateRequest::WorkReady),
        1 => Just(AgentStateRequest::WorkNotReady),
    ];
    prop_oneof![
        10 => (agent.clone(), request, any::<bool>()).prop_map(|(agent, request, reason)| Action::Voice(agent, request, reason)),
        5 => (agent.clone(), prop::bool::weighted(0.8)).prop_map(|(agent, ready)| Action::Digital(agent, ready)),
        4 => (1..=CSQ_COUNT, 1u8..=10, 0u8..4).prop_map(|(csq, priority, thread)| Action::Inject(csq, priority, thread)),
        6 => agent.clone().prop_map(Action::Answer),
        1 => (agent.clone(), any::<bool>()).prop_map(|(agent, hold)| Action::Hold(agent, hold)),
        4 => agent.clone().prop_map(Action::EndCall),
        1 => agent.clone().prop_map(Action::MakeCall),
        2 => (1u64..=16).prop_map(Action::CustomerLeft),
        1 => (1u64..=16).prop_map(Action::CustomerActivity),
        6 => agent.clone().prop_map(Action::AcceptChat),
        5 => agent.clone().prop_map(Action::EndChat),
        1 => agent.clone().prop_map(Action::LeaveChat),
        4 => (agent.clone(), prop_oneof![3 => Just(2u64), 1 => Just(3u64)]).prop_map(|(agent, csq)| Action::Invite(agent, csq)),
        4 => (agent.clone(), prop::bool::weighted(0.7)).prop_map(|(agent, accept)| Action::AnswerInvite(agent, accept)),
        5 => (agent.clone(), 0u8..3, 4u64..=5).prop_map(|(agent, what, csq)| Action::Email(agent, what, csq)),
        1 => Just(Action::RequeueAll),
        6 => Just(Action::ExpireNext),
        1 => Just(Action::ExpireStale),
        1 => agent.clone().prop_map(Action::CloseSession),
        1 => (agent.clone(), 0u8..4).prop_map(|(agent, variant)| Action::Reskill(agent, variant)),
        1 => (1u32..=5, 1u32..=5).prop_map(|(chats, emails)| Action::Capacity(chats, emails)),
        1 => (0u8..4).prop_map(Action::Desk),
        1 => agent.clone().prop_map(Action::WrapUpData),
        3 => (0u64..30_000).prop_map(Action::Tick),
    ]
}

/// Chat-heavy runs, to reach group chats, invites and their ends often.
fn chat_action() -> impl Strategy<Value = Action> {
    let agent = 1..=AGENT_COUNT;
    prop_oneof![
        2 => agent.clone().prop_map(|agent| Action::Voice(agent, AgentStateRequest::Login, false)),
        4 => (agent.clone(), prop::bool::weighted(0.85)).prop_map(|(agent, ready)| Action::Digital(agent, ready)),
        6 => (2u64..=3, 1u8..=10).prop_map(|(csq, priority)| Action::Inject(csq, priority, 0)),
        8 => agent.clone().prop_map(Action::AcceptChat),
        4 => agent.clone().prop_map(Action::EndChat),
        3 => agent.clone().prop_map(Action::LeaveChat),
        8 => (agent.clone(), 2u64..=3).prop_map(|(agent, csq)| Action::Invite(agent, csq)),
        8 => (agent.clone(), prop::bool::weighted(0.6)).prop_map(|(agent, accept)| Action::AnswerInvite(agent, accept)),
        3 => (1u64..=12).prop_map(Action::CustomerLeft),
        2 => (1u64..=12).prop_map(Action::CustomerActivity),
        4 => Just(Action::ExpireNext),
        1 => agent.clone().prop_map(Action::CloseSession),
        1 => (1u32..=5, 1u32..=5).prop_map(|(chats, emails)| Action::Capacity(chats, emails)),
        2 => (0u64..30_000).prop_map(Action::Tick),
    ]
}

/// Skills 1 and 2; four agents; CSQs: 1 voice LA (skill 1), 2 chat MS (skill 1), 3 chat LA
/// (skill 2), 4 email MS (both skills), 5 email LA (skill 1); one reason of each kind; every
/// agent logged in and Ready on both sides.
fn world(offer_voice_on_chat: bool, offer_chat_on_voice: bool) -> Vec<Command> {
    let mut setup = skills(2);
    setup.push(agent("a1", &[(1, 5), (2, 3)]));
    setup.push(agent("a2", &[(1, 7)]));
    setup.push(agent("a3", &[(2, 6)]));
    setup.push(agent("a4", &[(1, 5), (2, 5)]));
    setup.push(csq_with("Voice", Channel::Voice, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(csq_with("Chat MS", Channel::Chat, Selection::MostSkilled, &[(1, 1)]));
    setup.push(csq_with("Chat LA", Channel::Chat, Selection::LongestAvailable, &[(2, 1)]));
    setup.push(csq_with("Email MS", Channel::Email, Selection::MostSkilled, &[(1, 1), (2, 1)]));
    setup.push(csq_with("Email LA", Channel::Email, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(reason(ReasonKind::NotReady, 1, "Break"));
    setup.push(reason(ReasonKind::Logout, 1, "Done"));
    setup.push(Command::Config(ConfigCommand::SetChannelParameters(ChannelParameters {
        offer_voice_call_when_on_chat: offer_voice_on_chat,
        offer_chat_when_on_voice_call: offer_chat_on_voice,
        max_chat_sessions_per_agent: 3,
        max_email_sessions_per_agent: 2,
        ..ChannelParameters::default()
    })));
    for agent in 1..=AGENT_COUNT {
        setup.push(super::routing::login(agent));
        setup.push(super::routing::ready(agent));
        setup.push(super::routing::digital_ready(agent));
    }
    setup
}

/// The first contact `agent` holds that satisfies `wanted`, else contact 1 (to reach refusals).
fn held(center: &Center, agent: AgentId, wanted: impl Fn(&crate::Contact) -> bool) -> ContactId {
    center
        .contacts()
        .filter(|contact| contact.held_by(agent))
        .find(|contact| wanted(contact))
        .map_or(ContactId(1), |contact| contact.id)
}

/// Turns an action into a concrete command against the current state.
fn command(center: &Center, action: &Action, parameters: &mut ChannelParameters) -> Command {
    let id = |agent: &u64| AgentId(*agent);
    match action {
        Action::Voice(agent, state, with_reason) => {
            let reason =
                (*with_reason && matches!(state, AgentStateRequest::NotReady | AgentStateRequest::Logout)).then_some(1);
            Command::Agent(AgentCommand::SetAgentState { agent: id(agent), state: *state, reason })
        }
        Action::Digital(agent, ready) => {
            let state = if *ready { DigitalStateRequest::Ready } else { DigitalStateRequest::NotReady };
            Command::Agent(AgentCommand::SetDigitalState { agent: id(agent), state })
        }
        Action::Inject(csq, priority, thread) => inject(center, *csq, *priority, *thread),
        Action::Answer(agent) => Command::Voice(VoiceCommand::AnswerCall { agent: id(agent) }),
        Action::Hold(agent, true) => Command::Voice(VoiceCommand::HoldCall { agent: id(agent) }),
        Action::Hold(agent, false) => Command::Voice(VoiceCommand::RetrieveCall { agent: id(agent) }),
        Action::EndCall(agent) => Command::Voice(VoiceCommand::EndCall { agent: id(agent) }),
        Action::MakeCall(agent) => Command::Voice(VoiceCommand::MakeCall { agent: id(agent) }),
        Action::CustomerLeft(contact) => Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(*contact) }),
        Action::CustomerActivity(contact) => {
            Command::Chat(ChatCommand::CustomerActivity { contact: ContactId(*contact) })
        }
        Action::AcceptChat(agent) => {
            let contact = held(center, id(agent), |contact| matches!(contact.state, ContactState::Offered { .. }));
            Command::Chat(ChatCommand::AcceptChat { agent: id(agent), contact })
        }
        Action::EndChat(agent) => Command::Chat(ChatCommand::EndChat {
            agent: id(agent),
            contact: held(center, id(agent), |contact| contact.channel == Channel::Chat),
        }),
        Action::LeaveChat(agent) => Command::Chat(ChatCommand::LeaveChat {
            agent: id(agent),
            contact: held(center, id(agent), |contact| contact.agents().len() == 2),
        }),
        Action::Invite(agent, csq) => {
            let contact = held(center, id(agent), |contact| {
                matches!(contact.state, ContactState::Active { .. }) && contact.channel == Channel::Chat
            });
            Command::Chat(ChatCommand::InviteToGroupChat { agent: id(agent), contact, csq: CsqId(*csq), notes: None })
        }
        Action::AnswerInvite(agent, accept) => {
            let contact =
                held(center, id(agent), |contact| contact.invite.is_some_and(|invite| invite.agent == id(agent)));
            if *accept {
                Command::Chat(ChatCommand::AcceptGroupChatInvite { agent: id(agent), contact })
            } else {
                Command::Chat(ChatCommand::DeclineGroupChatInvite { agent: id(agent), contact })
            }
        }
        Action::Email(agent, what, csq) => {
            let contact = held(center, id(agent), |contact| contact.channel == Channel::Email);
            match what {
                0 => Command::Email(EmailCommand::SendEmail { agent: id(agent), contact }),
                1 => Command::Email(EmailCommand::DiscardEmail { agent: id(agent), contact }),
                _ => Command::Email(EmailCommand::RequeueEmail { agent: id(agent), contact, csq: CsqId(*csq) }),
            }
        }
        Action::RequeueAll => Command::Email(EmailCommand::RequeueOpenEmails),
        Action::ExpireNext => match center.deadline_next() {
            Some(due) => Command::System(SystemCommand::Expire { deadline: due.deadline, epoch: due.epoch }),
            None => Command::System(SystemCommand::Noop),
        },
        Action::ExpireStale => match center.deadline_next() {
            Some(due) => {
                Command::System(SystemCommand::Expire { deadline: due.deadline, epoch: due.epoch.saturating_sub(1) })
            }
            None => Command::System(SystemCommand::Noop),
        },
        Action::CloseSession(agent) => Command::Agent(AgentCommand::CloseSession { agent: id(agent) }),
        Action::Reskill(agent, variant) => {
            let levels: &[(u64, u8)] = match variant {
                0 => &[(1, 2)],
                1 => &[(2, 9)],
                2 => &[(1, 9), (2, 1)],
                _ => &[],
            };
            Command::Agent(AgentCommand::UpdateAgent {
                id: id(agent),
                spec: super::agent_spec(&format!("a{agent}"), levels),
            })
        }
        Action::Capacity(chats, emails) => {
            parameters.max_chat_sessions_per_agent = *chats;
            parameters.max_email_sessions_per_agent = *emails;
            Command::Config(ConfigCommand::SetChannelParameters(parameters.clone()))
        }
        Action::Desk(variant) => Command::Config(ConfigCommand::SetDeskSettings(desk(*variant))),
        Action::WrapUpData(agent) => {
            Command::Voice(VoiceCommand::SetWrapUpData { agent: id(agent), data: "Done".into() })
        }
        Action::Tick(_) => Command::System(SystemCommand::Noop),
    }
}

fn inject(center: &Center, csq: u64, priority: u8, thread: u8) -> Command {
    let channel = center.csq(CsqId(csq)).map_or(Channel::Voice, |csq| csq.channel);
    let email = channel == Channel::Email;
    Command::Queue(QueueCommand::InjectContact(ContactSpec {
        priority: Some(priority),
        customer_address: email.then(|| format!("customer{}@example.com", thread % 2)),
        subject: email.then(|| format!("Re: Order {thread}")),
        ..spec_of(super::routing::inject(channel, csq))
    }))
}

fn desk(variant: u8) -> DeskSettings {
    let defaults = DeskSettings::default();
    match variant {
        0 => defaults,
        1 => DeskSettings { wrap_up_incoming: WrapUpMode::Required, wrap_up_timer_seconds: 20, ..defaults },
        2 => DeskSettings {
            wrap_up_incoming: WrapUpMode::RequiredWithData,
            wrap_up_outgoing: WrapUpMode::Required,
            ..defaults
        },
        _ => DeskSettings { wrap_up_incoming: WrapUpMode::NotAllowed, force_logout_on_session_close: true, ..defaults },
    }
}

/// An available agent's rank in a CSQ (lower is better), recomputed from the public state.
fn rank(center: &Center, agent: AgentId, csq: &crate::Csq) -> Option<(u32, u64, AgentId)> {
    let total = score(center.agent(agent)?, csq)?;
    let status = center.agent_status(agent)?;
    let sequence = match csq.channel {
        Channel::Voice => status.ready_sequence,
        Channel::Chat | Channel::Email => status.digital_sequence,
    };
    let score_inverse = if csq.selection == Selection::MostSkilled { u32::MAX - total } else { 0 };
    Some((score_inverse, sequence, agent))
}

/// (a), (b), (c) for one applied command's hand-outs, checked against the state after it.
fn check_hand_outs(before: &Center, after: &Center, events: &[Event]) {
    let mut handed: BTreeMap<ContactId, u32> = BTreeMap::new();
    let sticky: Vec<ContactId> = events
        .iter()
        .filter_map(|event| match event {
            Event::Email(EmailEvent::EmailStickyWaiting { contact, .. }) => Some(*contact),
            _ => None,
        })
        .collect();
    for event in events {
        let (contact, agent) = match event {
            Event::Queue(QueueEvent::ContactOffered { contact, agent, .. }) => (*contact, *agent),
            Event::Queue(QueueEvent::ContactAccepted { contact, agent, channel: Channel::Email, .. }) => {
                let was_sticky = matches!(
                    before.contact(*contact).map(|contact| &contact.state),
                    Some(ContactState::StickyWaiting { .. })
                );
                if was_sticky || sticky.contains(contact) {
                    continue;
                }
                (*contact, *agent)
            }
            Event::Chat(ChatEvent::GroupChatInviteOffered { contact, agent, csq, .. }) => {
                let chat = after.contact(*contact).unwrap();
                let mut excluded = chat.agents().to_vec();
                excluded.extend(&chat.declined_agents);
                check_choice(after, *csq, *contact, *agent, &excluded);
                continue;
            }
            _ => continue,
        };
        let count = handed.entry(contact).or_default();
        *count += 1;
        assert_eq!(*count, 1, "(a) contact {contact} handed out twice in one command");
        let holders: Vec<AgentId> = after
            .agent_statuses()
            .filter(|status| after.contact(contact).unwrap().held_by(status.agent))
            .map(|status| status.agent)
            .collect();
        let agents = after.contact(contact).unwrap().agents();
        if agents.contains(&agent) {
            assert_eq!(holders, [agent], "(a) contact {contact} held by {holders:?}");
        }
        check_capacity(after, agent, contact);
        let contact_now = after.contact(contact).unwrap();
        check_choice(after, contact_now.csq, contact, agent, &contact_now.excluded_agents);
    }
}

/// (b) an agent handed a contact is within the capacity of its channel (a lowered capacity
/// takes nothing away, so only the channel handed out must fit).
fn check_capacity(center: &Center, agent: AgentId, contact: ContactId) {
    let status = center.agent_status(agent).unwrap();
    let parameters = center.channel_parameters();
    match center.contact(contact).unwrap().channel {
        Channel::Voice => {
            let call = status.call.as_ref().and_then(|call| call.contact);
            assert_eq!(call, Some(contact), "(b) agent {agent} is on exactly this call");
        }
        Channel::Chat => {
            let count = status.chats.len() as u32;
            assert!(count <= parameters.max_chat_sessions_per_agent, "(b) agent {agent} over chat capacity");
        }
        Channel::Email => {
            let count = status.emails.len() as u32;
            assert!(count <= parameters.max_email_sessions_per_agent, "(b) agent {agent} over email capacity");
        }
    }
}

/// (c) nobody eligible and still available ranks better than the chosen agent.
fn check_choice(center: &Center, csq: CsqId, contact: ContactId, chosen: AgentId, excluded: &[AgentId]) {
    let csq = center.csq(csq).unwrap();
    let Some(chosen_rank) = rank(center, chosen, csq) else {
        panic!("(c) agent {chosen} was handed contact {contact} without meeting CSQ {}'s requirements", csq.id);
    };
    assert!(!excluded.contains(&chosen), "(c) contact {contact} went to excluded agent {chosen}");
    for better in ranked_agents(center, csq) {
        if excluded.contains(&better) || better == chosen {
            continue;
        }
        let better_rank = rank(center, better, csq).unwrap();
        assert!(
            better_rank > chosen_rank,
            "(c) contact {contact} went to {chosen} {chosen_rank:?} while {better} {better_rank:?} was eligible"
        );
    }
}

/// (d) a closed contact stays closed with its one outcome (until it is forgotten).
fn check_terminal(before: &Center, after: &Center) {
    for contact in before.contacts() {
        if let ContactState::Closed { outcome, .. } = contact.state {
            if let Some(now) = after.contact(contact.id) {
                let same: Option<ContactOutcome> = match now.state {
                    ContactState::Closed { outcome, .. } => Some(outcome),
                    _ => None,
                };
                assert_eq!(same, Some(outcome), "(d) contact {} left its terminal state", contact.id);
            }
        }
    }
}

fn run(setup: &[Command], actions: &[Action]) -> (Center, Vec<Entry>) {
    let mut center = center_from("properties", setup);
    let mut parameters = center.channel_parameters().clone();
    let mut entries = Vec::new();
    let mut time_ms = 1_000_000u64;
    for action in actions {
        match action {
            Action::Tick(delta_ms) => time_ms += delta_ms,
            Action::ExpireNext => time_ms = time_ms.max(center.deadline_next().map_or(0, |due| due.due_ms)),
            _ => time_ms += 100,
        }
        let command = command(&center, action, &mut parameters);
        let entry = Entry { request_id: None, time_ms, command, by: crate::Actor::Operator };
        let before = center.clone();
        let bytes_before = json(&center);
        let outcome = center.apply(&entry);
        match &outcome {
            Outcome::Applied(applied) => {
                assert_invariants(&center);
                check_hand_outs(&before, &center, &applied.events);
                check_terminal(&before, &center);
            }
            Outcome::Rejected(_) => {
                assert_eq!(center, before, "a rejection changed the center");
                assert_eq!(json(&center), bytes_before, "a rejection changed the bytes");
                parameters = center.channel_parameters().clone();
            }
        }
        entries.push(entry);
    }
    (center, entries)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    /// (a)–(d) after every command, and (e) the same log replayed from empty (with a snapshot
    /// restore halfway) reaches the same bytes.
    #[test]
    fn routing_properties_hold_over_random_runs(
        offer_voice_on_chat in any::<bool>(),
        offer_chat_on_voice in any::<bool>(),
        actions in prop::collection::vec(action(), 1..120),
        restore_at in 0usize..120,
    ) {
        let setup = world(offer_voice_on_chat, offer_chat_on_voice);
        let (center, entries) = run(&setup, &actions);
        let mut again = center_from("replay", &setup);
        for (index, entry) in entries.iter().enumerate() {
            if index == restore_at {
                again = serde_json::from_slice(&json(&again)).unwrap();
            }
            let _outcome = again.apply(entry);
        }
        prop_assert_eq!(json(&again), json(&center), "(e) the same log gives the same bytes");
    }

    /// The same properties over chat-heavy runs (group chats, invites, declines, leaves).
    #[test]
    fn routing_properties_hold_over_chat_runs(
        offer_voice_on_chat in any::<bool>(),
        actions in prop::collection::vec(chat_action(), 1..120),
    ) {
        let setup = world(offer_voice_on_chat, true);
        let (center, entries) = run(&setup, &actions);
        let mut again = center_from("replay", &setup);
        for entry in &entries {
            let _outcome = again.apply(entry);
        }
        prop_assert_eq!(json(&again), json(&center), "(e) the same log gives the same bytes");
    }
}
