//! Who sees an event: decided once, at apply, against the center the event was applied to.
//!
//! Sam supervises team 1 (alice, bruno); chen is in team 2, which has no supervisor.

use super::routing::{csq_with, digital_ready, inject};
use super::script::Script;
use super::{agent_spec, floor_setup, skill};
use crate::{AgentCommand, AgentEvent, ChatCommand, ChatEvent, QueueCommand, SupervisionCommand, SupervisionEvent};
use crate::{
    AgentId, AgentSpec, AgentStateRequest, Audience, Channel, Command, ContactId, CsqId, Event, Selection, TeamId,
    TeamMessageSpec, Viewer,
};

const SAM: AgentId = AgentId(1);
const ALICE: AgentId = AgentId(2);
const BRUNO: AgentId = AgentId(3);
const CHEN: AgentId = AgentId(4);
const CHAT: ContactId = ContactId(1);

fn floor() -> Script {
    let mut setup = floor_setup(Channel::Chat);
    setup.push(csq_with("Consults", Channel::Chat, Selection::LongestAvailable, &[(1, 1)]));
    Script::new(&setup)
}

fn agent(agent: AgentId) -> Viewer {
    Viewer::Agent { agent }
}

fn supervisor(agent: AgentId) -> Viewer {
    Viewer::Supervisor { agent }
}

/// Who of sam, alice, bruno and chen (as their roles) sees an audience.
fn seen_by(audience: &Audience) -> Vec<&'static str> {
    let viewers = [("sam", supervisor(SAM)), ("alice", agent(ALICE)), ("bruno", agent(BRUNO)), ("chen", agent(CHEN))];
    viewers.into_iter().filter(|(_, viewer)| audience.reaches(viewer)).map(|(name, _)| name).collect()
}

fn find(published: &[(Event, Audience)], what: impl Fn(&Event) -> bool) -> &Audience {
    match published.iter().find(|(event, _)| what(event)) {
        Some((_, audience)) => audience,
        None => panic!("no such event in {published:?}"),
    }
}

#[test]
fn configuration_reaches_everyone_and_an_administrator_sees_all() {
    let mut script = floor();
    let published = script.published(skill("Billing"));
    assert!(published[0].1.is_everyone());
    assert_eq!(seen_by(&published[0].1), ["sam", "alice", "bruno", "chen"]);
    let published = script.published(Command::Agent(AgentCommand::SetAgentState {
        agent: CHEN,
        state: AgentStateRequest::Ready,
        reason: None,
    }));
    assert!(published.iter().all(|(_, audience)| audience.reaches(&Viewer::Everything)));
}

#[test]
fn an_agents_events_reach_it_and_the_supervisors_of_its_team() {
    let mut script = floor();
    let published = script.published(Command::Agent(AgentCommand::SetAgentState {
        agent: ALICE,
        state: AgentStateRequest::Ready,
        reason: None,
    }));
    let audience = find(&published, |event| matches!(event, Event::Agent(AgentEvent::AgentStateChanged { .. })));
    assert_eq!(audience.agents(), [ALICE]);
    assert_eq!(audience.supervisors(), [SAM]);
    assert_eq!(seen_by(audience), ["sam", "alice"]);
    let published = script.published(Command::Agent(AgentCommand::SetAgentState {
        agent: CHEN,
        state: AgentStateRequest::Ready,
        reason: None,
    }));
    let audience = find(&published, |event| matches!(event, Event::Agent(AgentEvent::AgentStateChanged { .. })));
    assert_eq!(seen_by(audience), ["chen"], "team 2 has no supervisor");
}

/// The one the node's agent stream and the desktops disagreed on: a pending invitee holds the
/// chat's slot and must see the invite.
#[test]
fn a_chat_invite_reaches_the_chat_and_the_invitee() {
    let mut script = floor();
    script.ok(digital_ready(2));
    script.ok(inject(Channel::Chat, 1));
    script.ok(Command::Chat(ChatCommand::AcceptChat { agent: ALICE, contact: CHAT }));
    script.ok(digital_ready(3));
    let invite =
        Command::Chat(ChatCommand::InviteToGroupChat { agent: ALICE, contact: CHAT, csq: CsqId(2), notes: None });
    let published = script.published(invite);
    let audience = find(&published, |event| matches!(event, Event::Chat(ChatEvent::GroupChatInviteOffered { .. })));
    assert_eq!(audience.agents(), [ALICE, BRUNO]);
    assert_eq!(seen_by(audience), ["sam", "alice", "bruno"]);
    let published = script.published(Command::Queue(QueueCommand::CustomerLeft { contact: CHAT }));
    assert!(!published.is_empty());
    for (event, audience) in &published {
        assert!(!audience.reaches(&agent(CHEN)), "chen never sees {event:?}");
        match event {
            Event::Chat(ChatEvent::GroupChatInviteDropped { agent, .. }) => {
                assert_eq!(audience.agents(), [*agent], "the invitee")
            }
            _ => assert!(audience.includes_agent(ALICE), "the chat's agent sees {event:?}"),
        }
    }
    assert!(
        published.iter().any(|(event, _)| matches!(event, Event::Chat(ChatEvent::ChatEnded { .. }))),
        "{published:?}"
    );
}

#[test]
fn a_team_message_reaches_its_teams_members_and_supervisors() {
    let mut script = floor();
    let spec = TeamMessageSpec { sender: SAM, text: "Lunch".into(), teams: vec![TeamId(1)], expiry_minutes: 30 };
    let published = script.published(Command::Supervision(SupervisionCommand::PublishTeamMessage(spec)));
    let audience =
        find(&published, |event| matches!(event, Event::Supervision(SupervisionEvent::TeamMessagePublished(_))));
    assert_eq!(audience.agents(), [ALICE, BRUNO]);
    assert_eq!(audience.supervisors(), [SAM]);
    assert_eq!(seen_by(audience), ["sam", "alice", "bruno"]);
}

/// A supervisor sees an agent through the agent's team as it is when the event applies, not
/// as it was when the supervisor's session began.
#[test]
fn visibility_follows_team_changes_at_apply() {
    let mut script = floor();
    let moved = AgentSpec { team: Some(TeamId(2)), ..agent_spec("alice", &[(1, 5)]) };
    let published = script.published(Command::Agent(AgentCommand::UpdateAgent { id: ALICE, spec: moved }));
    let moved = &published[0].1;
    assert_eq!(seen_by(moved), ["sam", "alice"], "the move is seen by the team alice left (team 2 has none)");
    assert!(moved.reloads(SAM), "sam's desktops drop alice from their view");
    assert!(!moved.reloads(ALICE) && !moved.reloads(CHEN));
    let published = script.published(Command::Agent(AgentCommand::SetAgentState {
        agent: ALICE,
        state: AgentStateRequest::Ready,
        reason: None,
    }));
    let audience = find(&published, |event| matches!(event, Event::Agent(AgentEvent::AgentStateChanged { .. })));
    assert_eq!(seen_by(audience), ["alice"], "sam no longer supervises alice");
}

/// Audiences are not remembered with a request id: a replay publishes nothing.
#[test]
fn a_replay_carries_no_audience() {
    let mut center = floor().center;
    let entry = crate::Entry {
        request_id: Some(crate::RequestId("r-1".into())),
        time_ms: 2_000_000,
        command: Command::Agent(AgentCommand::SetAgentState {
            agent: ALICE,
            state: AgentStateRequest::Ready,
            reason: None,
        }),
        by: crate::Actor::Operator,
    };
    let first = center.apply(&entry);
    let replay = center.apply(&entry);
    assert_eq!(first, replay, "the same outcome");
    assert_eq!(first.applied().map(|applied| applied.audiences.len()), Some(1));
    assert_eq!(replay.applied().map(|applied| applied.audiences.len()), Some(0));
}

/// A team that changes supervisor: the supervisor it had and the one it has reload; an event
/// of its agents then reaches the new supervisor alone.
#[test]
fn a_new_team_supervisor_reloads_with_the_former_one() {
    let mut script = floor();
    let update = Command::Config(crate::ConfigCommand::UpdateTeam {
        id: TeamId(1),
        spec: super::team_spec("Floor", Some(CHEN.0), &[]),
    });
    let published = script.published(update);
    let audience = &published[0].1;
    assert!(audience.is_everyone(), "configuration");
    assert!(audience.reloads(SAM) && audience.reloads(CHEN));
    assert!(!audience.reloads(ALICE));
    let published = script.published(Command::Agent(AgentCommand::SetAgentState {
        agent: ALICE,
        state: AgentStateRequest::Ready,
        reason: None,
    }));
    let audience = find(&published, |event| matches!(event, Event::Agent(AgentEvent::AgentStateChanged { .. })));
    assert_eq!(audience.supervisors(), [CHEN]);
    let view = script.center.desk_view(&Viewer::Supervisor { agent: CHEN });
    let shown: Vec<AgentId> = view.agents.iter().map(|desk| desk.agent.id).collect();
    assert_eq!(shown, [CHEN, ALICE, BRUNO], "chen's view lists the team it supervises now");
    assert!(script.center.desk_view(&supervisor(SAM)).agents.iter().all(|desk| desk.agent.id == SAM));
}

/// Users (login names, roles) are the administrators' business alone.
#[test]
fn user_changes_reach_administrators_only() {
    let mut script = floor();
    let spec = crate::UserSpec {
        login_name: "alice.user".into(),
        role: crate::Role::Agent,
        agent: Some(ALICE),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
    };
    let published = script.published(Command::Config(crate::ConfigCommand::CreateUser(spec)));
    let audience = &published[0].1;
    assert!(seen_by(audience).is_empty(), "{published:?}");
    assert!(audience.reaches(&Viewer::Everything));
}
