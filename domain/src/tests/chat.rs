//! The chat lifecycle: join timeout, no-answer, inactivity (including Join > Inactivity),
//! customer and agent ends, sign-out requeue, and group chat with its cap of 3 participants.

use super::routing::{csq_with, digital_ready, handed, inject, login, parameters, voice};
use super::script::Script;
use super::{agent, skills};
use crate::{
    AgentId, AgentStateRequest, Channel, Command, ContactId, ContactOutcome, ContactState, CsqId, DigitalState,
    EndedBy, Event, InviteDropReason, RejectionCode, Selection, CHAT_INACTIVITY_AGENT_MESSAGE,
    CHAT_INACTIVITY_CUSTOMER_MESSAGE, CHAT_JOIN_TIMEOUT_MESSAGE, CHAT_UNAVAILABLE_MESSAGE, GROUP_CHAT_FULL_MESSAGE,
};
use crate::{ChatCommand, ChatEvent, QueueCommand, QueueEvent, SystemCommand};

const ALICE: AgentId = AgentId(1);
const BRUNO: AgentId = AgentId(2);
const CHEN: AgentId = AgentId(3);
const CHAT: ContactId = ContactId(1);

/// Skill 1; alice, bruno, chen; chat CSQs 1 (customers) and 2 (consults), Longest Available.
fn agents_only() -> Vec<Command> {
    let mut setup = skills(1);
    setup.extend([agent("alice", &[(1, 5)]), agent("bruno", &[(1, 5)]), agent("chen", &[(1, 5)])]);
    setup.push(csq_with("Customers", Channel::Chat, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(csq_with("Consults", Channel::Chat, Selection::LongestAvailable, &[(1, 1)]));
    setup.extend([login(1), login(2), login(3)]);
    setup
}

/// As [`agents_only`], only alice digital Ready, and chat 1 accepted by alice.
fn alice_chatting() -> Script {
    let mut script = Script::new(&agents_only());
    script.ok(digital_ready(1));
    script.ok(inject(Channel::Chat, 1));
    script.ok(Command::Chat(ChatCommand::AcceptChat { agent: ALICE, contact: CHAT }));
    script
}

fn state(script: &Script, contact: ContactId) -> ContactState {
    script.center.contact(contact).unwrap().state.clone()
}

fn chats(script: &Script, agent: AgentId) -> Vec<ContactId> {
    script.center.agent_status(agent).unwrap().chats.clone()
}

fn outcome(script: &Script, contact: ContactId) -> Option<ContactOutcome> {
    match state(script, contact) {
        ContactState::Closed { outcome, .. } => Some(outcome),
        _ => None,
    }
}

fn invite(agent: AgentId) -> Command {
    Command::Chat(ChatCommand::InviteToGroupChat {
        agent,
        contact: CHAT,
        csq: CsqId(2),
        notes: Some("Billing question".into()),
    })
}

#[test]
fn a_chat_is_offered_accepted_and_ended() {
    let mut script = Script::new(&agents_only());
    script.ok(digital_ready(1));
    let events = script.ok(inject(Channel::Chat, 1));
    assert_eq!(handed(&events), [(1, 1)]);
    assert_eq!(chats(&script, ALICE), [CHAT], "the offer takes a slot");
    script.refused(Command::Chat(ChatCommand::AcceptChat { agent: BRUNO, contact: CHAT }));
    script.after(4_000).ok(Command::Chat(ChatCommand::AcceptChat { agent: ALICE, contact: CHAT }));
    assert_eq!(state(&script, CHAT), ContactState::Active { agents: vec![ALICE] });
    script.ok(Command::Chat(ChatCommand::CustomerActivity { contact: CHAT }));
    script.ok(Command::Chat(ChatCommand::EndChat { agent: ALICE, contact: CHAT }));
    assert_eq!(outcome(&script, CHAT), Some(ContactOutcome::Handled));
    assert!(chats(&script, ALICE).is_empty());
    assert_eq!(script.center.deadline_next(), None, "no timer outlives the chat");
}

#[test]
fn the_join_timeout_shows_its_message_and_the_chat_stays_routable() {
    let mut script = Script::new(&agents_only());
    script.ok(inject(Channel::Chat, 1));
    let due = script.center.deadline_next().unwrap();
    assert_eq!(due.due_ms, script.now() + 60_000, "the spec's default Join Timeout is 1 minute");
    let events = script.expire_next();
    assert_eq!(
        events,
        [Event::Chat(ChatEvent::ChatJoinTimedOut {
            contact: CHAT,
            customer_message: CHAT_JOIN_TIMEOUT_MESSAGE.to_owned()
        })]
    );
    assert_eq!(
        CHAT_JOIN_TIMEOUT_MESSAGE,
        "All customer care representatives are busy. Please wait or try again later."
    );
    assert!(script.center.contact(CHAT).unwrap().join_timed_out);
    assert_eq!(handed(&script.ok(digital_ready(2))), [(1, 2)], "an agent can still join afterwards");
}

#[test]
fn an_unanswered_offer_goes_back_to_the_queue_and_the_agent_not_ready() {
    let mut script = Script::new(&agents_only());
    script.ok(digital_ready(1));
    script.ok(inject(Channel::Chat, 1));
    let epoch = script.center.contact(CHAT).unwrap().timers.no_answer.unwrap().epoch;
    let events = script
        .after(20_000)
        .ok(Command::System(SystemCommand::Expire { deadline: crate::Deadline::NoAnswer(CHAT), epoch }));
    assert!(events.contains(&Event::Queue(QueueEvent::ContactNotAnswered {
        contact: CHAT,
        agent: ALICE,
        channel: Channel::Chat
    })));
    assert_eq!(script.center.agent_status(ALICE).unwrap().digital, DigitalState::NotReady);
    assert!(chats(&script, ALICE).is_empty());
    assert_eq!(script.center.csq_queue(CsqId(1)), [CHAT]);
    assert_eq!(handed(&script.ok(digital_ready(2))), [(1, 2)]);
}

#[test]
fn inactivity_ends_a_joined_chat_with_the_spec_messages() {
    let mut script = alice_chatting();
    let due = script.center.deadline_next().unwrap();
    assert_eq!(due.deadline, crate::Deadline::Inactivity(CHAT));
    let events = script.expire_next();
    assert!(events.contains(&Event::Chat(ChatEvent::ChatEnded {
        contact: CHAT,
        by: EndedBy::Inactivity,
        agent_message: Some(CHAT_INACTIVITY_AGENT_MESSAGE.to_owned()),
        customer_message: Some(CHAT_INACTIVITY_CUSTOMER_MESSAGE.to_owned()),
    })));
    assert_eq!(CHAT_INACTIVITY_AGENT_MESSAGE, "You are alone in the chat room. Click End to close the chat interface.");
    assert_eq!(
        CHAT_INACTIVITY_CUSTOMER_MESSAGE,
        "Warning: the server connection was lost due to an inactivity timeout or connection failure."
    );
    assert_eq!(state(&script, CHAT), ContactState::Ended { agents: vec![ALICE], by: EndedBy::Inactivity });
    assert_eq!(chats(&script, ALICE), [CHAT], "the ended chat stays on the desktop until End");
    script.ok(Command::Chat(ChatCommand::EndChat { agent: ALICE, contact: CHAT }));
    assert_eq!(outcome(&script, CHAT), Some(ContactOutcome::Handled));
}

#[test]
fn customer_activity_restarts_inactivity() {
    let mut script = alice_chatting();
    let first = script.center.deadline_next().unwrap().due_ms;
    script.after(60_000).ok(Command::Chat(ChatCommand::CustomerActivity { contact: CHAT }));
    assert_eq!(script.center.deadline_next().unwrap().due_ms, first + 60_000);
}

#[test]
fn inactivity_ends_waiting_chats_only_when_join_exceeds_inactivity() {
    let mut script = Script::new(&agents_only());
    script.ok(inject(Channel::Chat, 1));
    let deadlines: Vec<crate::Deadline> =
        script.center.deadlines_due(u64::MAX, 10).iter().map(|due| due.deadline).collect();
    assert_eq!(deadlines, [crate::Deadline::Join(CHAT)], "by default (join 1 < inactivity 5) only the join timer");

    let mut script = Script::new(&agents_only());
    script.ok(parameters(|p| {
        p.join_timeout_minutes = 10;
        p.inactivity_timeout_minutes = 2;
    }));
    script.ok(inject(Channel::Chat, 1));
    let events = script.expire_next();
    assert!(events.contains(&Event::Chat(ChatEvent::ChatEnded {
        contact: CHAT,
        by: EndedBy::Inactivity,
        agent_message: None,
        customer_message: Some(CHAT_UNAVAILABLE_MESSAGE.to_owned()),
    })));
    assert_eq!(CHAT_UNAVAILABLE_MESSAGE, "Sorry, the chat service is currently not available. Please try again later.");
    assert_eq!(outcome(&script, CHAT), Some(ContactOutcome::Abandoned));
}

#[test]
fn the_customer_leaving_abandons_before_a_join_and_ends_after() {
    let mut script = Script::new(&agents_only());
    script.ok(inject(Channel::Chat, 1));
    script.ok(Command::Queue(QueueCommand::CustomerLeft { contact: CHAT }));
    assert_eq!(outcome(&script, CHAT), Some(ContactOutcome::Abandoned));

    let mut script = alice_chatting();
    script.ok(Command::Queue(QueueCommand::CustomerLeft { contact: CHAT }));
    assert_eq!(state(&script, CHAT), ContactState::Ended { agents: vec![ALICE], by: EndedBy::Customer });
    let rejection = script.refused(Command::Chat(ChatCommand::CustomerActivity { contact: CHAT }));
    assert_eq!(rejection.message, "chat 1 has ended");
    script.ok(Command::Chat(ChatCommand::EndChat { agent: ALICE, contact: CHAT }));
    assert_eq!(outcome(&script, CHAT), Some(ContactOutcome::Handled));
}

#[test]
fn signing_out_requeues_held_chats_to_the_same_csq() {
    let mut script = alice_chatting();
    script.ok(digital_ready(2));
    script.ok(voice(1, AgentStateRequest::NotReady));
    let events = script.ok(voice(1, AgentStateRequest::Logout));
    assert_eq!(handed(&events), [(1, 2)], "requeued to CSQ 1 and routed to bruno");
    assert_eq!(script.center.contact(CHAT).unwrap().csq, CsqId(1));
}

#[test]
fn group_chat_invite_decline_accept_and_the_cap_of_three() {
    let mut script = alice_chatting();
    script.ok(digital_ready(2));
    script.ok(digital_ready(3));
    script.refused(invite(BRUNO));
    let events = script.ok(invite(ALICE));
    assert!(
        matches!(events.first(), Some(Event::Chat(ChatEvent::GroupChatInviteOffered { agent: BRUNO, .. }))),
        "{events:?}"
    );
    assert_eq!(chats(&script, BRUNO), [CHAT], "the invite counts toward bruno's chats");
    let rejection = script.refused(invite(ALICE));
    assert_eq!(rejection.message, "chat 1 already has a pending invite");
    let events = script.ok(Command::Chat(ChatCommand::DeclineGroupChatInvite { agent: BRUNO, contact: CHAT }));
    assert!(events.contains(&Event::Chat(ChatEvent::GroupChatInviteDropped {
        contact: CHAT,
        agent: BRUNO,
        reason: InviteDropReason::Declined
    })));
    let events = script.ok(invite(ALICE));
    assert!(
        matches!(events.first(), Some(Event::Chat(ChatEvent::GroupChatInviteOffered { agent: CHEN, .. }))),
        "decliners are skipped"
    );
    script.ok(Command::Chat(ChatCommand::DeclineGroupChatInvite { agent: CHEN, contact: CHAT }));
    let rejection = script.refused(invite(ALICE));
    assert_eq!(rejection.message, "no agent of CSQ 2 is available for a group chat", "both declined; nobody left");
    let mut script = accepted_group_chat();
    let rejection = script.refused(invite(ALICE));
    assert_eq!((rejection.code, rejection.message.as_str()), (RejectionCode::LimitExceeded, GROUP_CHAT_FULL_MESSAGE));
    assert_eq!(GROUP_CHAT_FULL_MESSAGE, "A group chat has at most 3 participants, including the customer.");
    let rejection = script.refused(Command::Chat(ChatCommand::EndChat { agent: ALICE, contact: CHAT }));
    assert_eq!(rejection.message, "chat 1 has two agents: leave it; the last agent ends it");
    script.ok(Command::Chat(ChatCommand::LeaveChat { agent: ALICE, contact: CHAT }));
    assert_eq!(state(&script, CHAT), ContactState::Active { agents: vec![BRUNO] });
    let rejection = script.refused(Command::Chat(ChatCommand::LeaveChat { agent: BRUNO, contact: CHAT }));
    assert_eq!(rejection.message, "agent 2 is the last agent in chat 1: end it");
    script.ok(Command::Chat(ChatCommand::EndChat { agent: BRUNO, contact: CHAT }));
    assert_eq!(outcome(&script, CHAT), Some(ContactOutcome::Handled));
}

/// Alice chatting, and bruno invited from CSQ 2 and accepted: a group chat of three.
fn accepted_group_chat() -> Script {
    let mut script = alice_chatting();
    script.ok(digital_ready(2));
    script.ok(invite(ALICE));
    script.ok(Command::Chat(ChatCommand::AcceptGroupChatInvite { agent: BRUNO, contact: CHAT }));
    assert_eq!(state(&script, CHAT), ContactState::Active { agents: vec![ALICE, BRUNO] });
    script
}

#[test]
fn an_accept_clears_the_decliners() {
    let mut script = alice_chatting();
    script.ok(digital_ready(2));
    script.ok(invite(ALICE));
    script.ok(Command::Chat(ChatCommand::DeclineGroupChatInvite { agent: BRUNO, contact: CHAT }));
    assert_eq!(script.center.contact(CHAT).unwrap().declined_agents, [BRUNO]);
    script.ok(digital_ready(3));
    script.ok(invite(ALICE));
    script.ok(Command::Chat(ChatCommand::AcceptGroupChatInvite { agent: CHEN, contact: CHAT }));
    assert!(script.center.contact(CHAT).unwrap().declined_agents.is_empty());
    script.ok(Command::Chat(ChatCommand::LeaveChat { agent: CHEN, contact: CHAT }));
    let events = script.ok(invite(ALICE));
    assert!(
        matches!(events.first(), Some(Event::Chat(ChatEvent::GroupChatInviteOffered { agent: BRUNO, .. }))),
        "{events:?}"
    );
}

#[test]
fn an_unanswered_invite_is_dropped_not_requeued() {
    let mut script = alice_chatting();
    script.ok(digital_ready(2));
    script.ok(Command::Chat(ChatCommand::CustomerActivity { contact: CHAT }));
    script.ok(invite(ALICE));
    let due = script.center.contact(CHAT).unwrap().timers.invite.unwrap();
    let events = script.after(20_000).ok(Command::System(SystemCommand::Expire {
        deadline: crate::Deadline::InviteNoAnswer(CHAT),
        epoch: due.epoch,
    }));
    assert!(events.contains(&Event::Chat(ChatEvent::GroupChatInviteDropped {
        contact: CHAT,
        agent: BRUNO,
        reason: InviteDropReason::Expired
    })));
    assert!(chats(&script, BRUNO).is_empty());
    assert_eq!(script.center.agent_status(BRUNO).unwrap().digital, DigitalState::Ready, "the invitee stays Ready");
    assert_eq!(state(&script, CHAT), ContactState::Active { agents: vec![ALICE] });
}

#[test]
fn the_customer_leaving_during_an_invite_counts_as_abandoned() {
    let mut script = alice_chatting();
    script.ok(digital_ready(2));
    script.ok(invite(ALICE));
    script.ok(Command::Queue(QueueCommand::CustomerLeft { contact: CHAT }));
    assert!(chats(&script, BRUNO).is_empty(), "the invite is withdrawn");
    script.ok(Command::Chat(ChatCommand::EndChat { agent: ALICE, contact: CHAT }));
    assert_eq!(outcome(&script, CHAT), Some(ContactOutcome::Abandoned));
}

#[test]
fn group_chats_count_toward_the_chat_capacity() {
    let mut script = alice_chatting();
    script.ok(parameters(|p| p.max_chat_sessions_per_agent = 1));
    script.ok(digital_ready(2));
    script.ok(inject(Channel::Chat, 1));
    assert_eq!(chats(&script, BRUNO), [ContactId(2)], "bruno takes the second customer");
    let rejection = script.refused(invite(ALICE));
    assert_eq!(rejection.message, "no agent of CSQ 2 is available for a group chat", "bruno is full");
}
