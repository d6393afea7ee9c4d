//! One desktop's session on a node, as a sans-IO state machine: what the desktop said, what the
//! cluster applied and what time it is go in; frames to send, requests to propose and the next
//! deadline come out.
//!
//! The node's CTI handler owns the socket, the clock and the fan-out queue and drives this
//! machine; the simulator drives the same machine over simulated sockets and virtual time, so
//! the rules a desktop lives by (heartbeats both ways, requests in flight, each event once and
//! in order, statistics on their schedule, buttons with the events about the own agent) run
//! under faults. It holds no socket, timer, lock or clock, reads no center, and decides nothing
//! the domain decides: a request becomes a proposal under the client's id and the domain's
//! answer goes back as it came. Login (passwords, tokens, the already-logged-in rule) happens
//! before; this machine starts with the session's identity and where its stream starts.

use std::collections::VecDeque;
use tandem_domain::VoiceEvent;

use tandem_client::proto::{ErrorFrame, Heartbeat, Reply, Request, ServerBody};
use tandem_client::session::{Cursor, Silence, SilenceAction};
use tandem_domain::{Actor, AgentId, Event, RequestId, Viewer};

use crate::Dispatched;

/// The rules a node applies to its desk sessions (`[cti]` in its configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskSettings {
    /// Silence after which the node sends a heartbeat request (0: none).
    pub heartbeat_interval_ms: u64,
    /// Heartbeat requests left unanswered before the node closes the session.
    pub heartbeat_retries: u32,
    /// Requests one session may have waiting for an answer; more are refused.
    pub requests_in_flight_max: u32,
    /// Agent statistics pushed to agents' and supervisors' desktops (not `DisableAgentStatistics`).
    pub agent_statistics: bool,
    /// `PollForAgentStatsAtEndCall`: at the end of each call of the session's agents, rather
    /// than every `agent_statistics_interval_ms`.
    pub agent_statistics_at_end_call: bool,
    /// `PollingIntervalSec` for agent statistics, in milliseconds.
    pub agent_statistics_interval_ms: u64,
    /// Skill-group statistics pushed (not `DisableSkillGroupStatistics`).
    pub skill_group_statistics: bool,
    /// Their interval, in milliseconds.
    pub skill_group_statistics_interval_ms: u64,
}

/// Who the session is: decided at login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskIdentity {
    /// What it may see.
    pub viewer: Viewer,
    /// Who its requests are from.
    pub actor: Actor,
}

/// Something for the owner to send or render.
#[derive(Debug, Clone, PartialEq)]
pub enum Transmit {
    /// A frame, ready to encode.
    Frame(ServerBody),
    /// An event's frame: [`Dispatched::frame`], or its bytes shared with the node's other
    /// sessions, [`Dispatched::encoded`].
    Event(Dispatched),
    /// The desk view: read it from the applied center, send it, and report its index with
    /// [`DeskSession::handle_snapshot`].
    Snapshot,
    /// The agent statistics of the session's agents (`only`: of these of them alone).
    AgentStatistics {
        /// The agents whose call just ended, or `None` for all of the session's agents.
        only: Option<Vec<AgentId>>,
    },
    /// The skill-group statistics of the CSQs the session's agents serve.
    SkillGroupStatistics,
}

/// A request to propose to the cluster under the client's id, on behalf of the session's actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The client's request id: a retry applies once.
    pub request_id: String,
    /// The agent the request is for.
    pub agent: AgentId,
    /// The action as the client sent it (the REST API's `AgentAction` JSON); the owner decodes
    /// it, and answers a malformed one with [`DeskSession::handle_reply`] like any refusal.
    pub action: String,
    /// Who asks.
    pub actor: Actor,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The desktop closed it (without logging out: the forced-logout setting applies).
    ClosedByClient,
    /// The socket broke.
    Gone,
    /// The desktop stopped answering heartbeats.
    HeartbeatsUnanswered,
    /// The desktop sent what the protocol does not allow; the session said why.
    ProtocolError,
    /// The session fell too far behind its events; it said so.
    TooSlow,
    /// The node can no longer serve (its Raft stopped): the socket closes with no word, as if
    /// the process had died, so the desktop fails over to the other side.
    NodeFailed,
}

impl End {
    /// For the node's log.
    pub fn reason(self) -> &'static str {
        match self {
            End::ClosedByClient => "closed by the client",
            End::Gone => "client gone",
            End::HeartbeatsUnanswered => "heartbeats unanswered",
            End::ProtocolError => "protocol error",
            End::TooSlow => "dropped: too slow",
            End::NodeFailed => "the node stepped aside",
        }
    }
}

/// One desktop session.
#[derive(Debug)]
pub struct DeskSession {
    identity: DeskIdentity,
    settings: DeskSettings,
    cursor: Cursor,
    silence: Silence,
    in_flight: u32,
    agent_statistics_due_ms: Option<u64>,
    skill_group_statistics_due_ms: Option<u64>,
    transmits: VecDeque<Transmit>,
    proposals: VecDeque<Proposal>,
    end: Option<End>,
}

impl DeskSession {
    /// A session whose desktop has everything up to `cursor` (its snapshot or catch-up), at
    /// `now_ms`. Statistics go out at once where the settings push them.
    pub fn new(identity: DeskIdentity, settings: DeskSettings, cursor: u64, now_ms: u64) -> DeskSession {
        let silence = Silence::new(settings.heartbeat_interval_ms, settings.heartbeat_retries, now_ms);
        let has_agents = !matches!(identity.viewer, Viewer::Everything);
        let mut session = DeskSession {
            agent_statistics_due_ms: None,
            skill_group_statistics_due_ms: (has_agents && settings.skill_group_statistics).then_some(now_ms),
            identity,
            cursor: Cursor::new(cursor),
            silence,
            in_flight: 0,
            transmits: VecDeque::new(),
            proposals: VecDeque::new(),
            end: None,
            settings,
        };
        if session.agent_statistics_on() {
            session.transmits.push_back(Transmit::AgentStatistics { only: None });
            if !session.settings.agent_statistics_at_end_call {
                session.agent_statistics_due_ms =
                    Some(now_ms.saturating_add(session.settings.agent_statistics_interval_ms.max(1)));
            }
        }
        session.handle_timeout(now_ms);
        session
    }

    fn agent_statistics_on(&self) -> bool {
        self.settings.agent_statistics && !matches!(self.identity.viewer, Viewer::Everything)
    }

    /// Who the session is.
    pub fn identity(&self) -> &DeskIdentity {
        &self.identity
    }

    /// The last event index the desktop has.
    pub fn cursor(&self) -> u64 {
        self.cursor.last_index()
    }

    /// Why the session ended, once it has; the owner then sends what is left and closes.
    pub fn end(&self) -> Option<End> {
        self.end
    }

    fn finish(&mut self, end: End) {
        self.end.get_or_insert(end);
    }

    fn refuse(&mut self, code: &str, message: String, end: End) {
        let frame = ServerBody::Error(ErrorFrame { code: code.to_owned(), message });
        self.transmits.push_back(Transmit::Frame(frame));
        self.finish(end);
    }

    /// A frame from the desktop, decoded (`Err`: why it could not be), at `now_ms`.
    pub fn handle_frame(&mut self, now_ms: u64, frame: Result<tandem_client::proto::ClientBody, String>) {
        use tandem_client::proto::ClientBody;
        if self.end.is_some() {
            return;
        }
        self.silence.heard(now_ms);
        match frame {
            Ok(ClientBody::Heartbeat(_)) => {
                self.transmits.push_back(Transmit::Frame(ServerBody::HeartbeatAck(Heartbeat {})))
            }
            Ok(ClientBody::HeartbeatAck(_)) => {}
            Ok(ClientBody::Login(_)) => {
                self.refuse("bad_frame", "The session is already logged in.".into(), End::ProtocolError);
            }
            Ok(ClientBody::Request(request)) => self.request(request),
            Err(error) => self.refuse("bad_frame", format!("Undecodable frame: {error}"), End::ProtocolError),
        }
    }

    /// The desktop is alive (a ping or control frame) but said nothing to handle.
    pub fn handle_alive(&mut self, now_ms: u64) {
        self.silence.heard(now_ms);
    }

    /// The desktop closed the session, or the socket broke.
    pub fn handle_close(&mut self, end: End) {
        self.finish(end);
    }

    fn request(&mut self, request: Request) {
        let id = request.request_id;
        if self.in_flight >= self.settings.requests_in_flight_max {
            let message = format!(
                "At most {} requests may wait for an answer; wait for replies.",
                self.settings.requests_in_flight_max
            );
            self.reply_now(refusal(&id, "too_many_requests", message));
            return;
        }
        if let Err(rejection) = RequestId(id.clone()).check() {
            self.reply_now(refusal(&id, rejection.code.as_str(), rejection.message));
            return;
        }
        let agent = match (request.agent, self.identity.viewer.agent()) {
            (0, Some(own)) => own,
            (0, None) => {
                let message = "agent: an administrator session must name the agent".to_owned();
                self.reply_now(refusal(&id, "invalid_body", message));
                return;
            }
            (agent, _) => AgentId(agent),
        };
        self.in_flight += 1;
        self.proposals.push_back(Proposal {
            request_id: id,
            agent,
            action: request.action,
            actor: self.identity.actor,
        });
    }

    fn reply_now(&mut self, reply: Reply) {
        self.transmits.push_back(Transmit::Frame(ServerBody::Reply(reply)));
    }

    /// The cluster's answer to a proposal this session made (or the owner's refusal of it).
    pub fn handle_reply(&mut self, reply: Reply) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.end.is_none() {
            self.reply_now(reply);
        }
    }

    /// An event the fan-out queued for this session. Each index goes out once, in order; the
    /// end of a call of the session's agents brings their statistics when the settings say so.
    pub fn handle_event(&mut self, delivery: &Dispatched) {
        if self.end.is_some() || !self.cursor.accept(delivery.event.index) {
            return;
        }
        self.transmits.push_back(Transmit::Event(delivery.clone()));
        if let Some(own) = self.identity.viewer.agent() {
            if delivery.event.audience.reloads(own) {
                // The agents this supervisor sees changed: the desktop reloads its view.
                self.transmits.push_back(Transmit::Snapshot);
            }
        }
        if let Event::Voice(VoiceEvent::EndCall { agents, .. }) = &*delivery.event.event {
            if self.agent_statistics_on() && self.settings.agent_statistics_at_end_call {
                self.transmits.push_back(Transmit::AgentStatistics { only: Some(agents.clone()) });
            }
        }
    }

    /// The fan-out lost events this session needed: the desktop reloads its view.
    pub fn handle_resync(&mut self) {
        if self.end.is_none() {
            self.transmits.push_back(Transmit::Snapshot);
        }
    }

    /// The snapshot asked for went out at `index`: events up to it are in the view.
    pub fn handle_snapshot(&mut self, index: u64) {
        self.cursor.reset(index);
    }

    /// The node stepped aside: the session ends and its desktop fails over.
    pub fn handle_node_failed(&mut self) {
        self.finish(End::NodeFailed);
    }

    /// The fan-out dropped the session: it did not keep up with its events.
    pub fn handle_dropped(&mut self) {
        let message = "The session fell too far behind its events; resume from your last index.".to_owned();
        self.refuse("overloaded", message, End::TooSlow);
    }

    /// Time passed: heartbeats, silence and statistics.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        if self.end.is_some() {
            return;
        }
        match self.silence.handle_timeout(now_ms) {
            SilenceAction::Wait => {}
            SilenceAction::SendHeartbeat => {
                self.transmits.push_back(Transmit::Frame(ServerBody::Heartbeat(Heartbeat {})));
            }
            SilenceAction::GiveUp { .. } => {
                self.finish(End::HeartbeatsUnanswered);
                return;
            }
        }
        if let Some(due) = self.agent_statistics_due_ms.filter(|due| now_ms >= *due) {
            self.transmits.push_back(Transmit::AgentStatistics { only: None });
            self.agent_statistics_due_ms = Some(next_due(due, now_ms, self.settings.agent_statistics_interval_ms));
        }
        if let Some(due) = self.skill_group_statistics_due_ms.filter(|due| now_ms >= *due) {
            self.transmits.push_back(Transmit::SkillGroupStatistics);
            let interval_ms = self.settings.skill_group_statistics_interval_ms;
            self.skill_group_statistics_due_ms = Some(next_due(due, now_ms, interval_ms));
        }
    }

    /// When to call [`DeskSession::handle_timeout`] next; `None` once the session ended.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.end.is_some() {
            return None;
        }
        [self.silence.poll_timeout(), self.agent_statistics_due_ms, self.skill_group_statistics_due_ms]
            .into_iter()
            .flatten()
            .min()
    }

    /// The next thing to send or render.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next request to propose.
    pub fn poll_proposal(&mut self) -> Option<Proposal> {
        self.proposals.pop_front()
    }
}

/// The next deadline of a schedule that was due at `due` and fired at `now_ms`: an interval
/// after it fired (a late tick does not fire twice to catch up).
fn next_due(due: u64, now_ms: u64, interval_ms: u64) -> u64 {
    now_ms.max(due).saturating_add(interval_ms.max(1))
}

/// A refusal of a request, with the protocol's code.
pub fn refusal(request_id: &str, code: &str, message: String) -> Reply {
    Reply { request_id: request_id.to_owned(), ok: false, code: code.to_owned(), spec_code: 0, message }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use tandem_domain::AgentEvent;

    use tandem_client::proto::{ClientBody, Heartbeat, Request, ServerBody};
    use tandem_domain::{Actor, AgentId, Audience, CallId, Event, UserId, Viewer};

    use super::*;
    use crate::RetainedEvent;

    const ALICE: AgentId = AgentId(2);

    fn settings() -> DeskSettings {
        DeskSettings {
            heartbeat_interval_ms: 1_000,
            heartbeat_retries: 2,
            requests_in_flight_max: 2,
            agent_statistics: true,
            agent_statistics_at_end_call: true,
            agent_statistics_interval_ms: 15_000,
            skill_group_statistics: true,
            skill_group_statistics_interval_ms: 10_000,
        }
    }

    fn alice() -> DeskIdentity {
        DeskIdentity { viewer: Viewer::Agent { agent: ALICE }, actor: Actor::User(UserId(7)) }
    }

    fn drain(desk: &mut DeskSession) -> Vec<Transmit> {
        std::iter::from_fn(|| desk.poll_transmit()).collect()
    }

    fn request(id: &str, agent: u64) -> Result<ClientBody, String> {
        Ok(ClientBody::Request(Request { request_id: id.into(), agent, action: r#"{"action":"answer_call"}"#.into() }))
    }

    fn dispatched(index: u64, event: Event) -> Dispatched {
        let audience = Arc::new(Audience::everyone());
        let event = RetainedEvent { index, event: Arc::new(event), audience };
        Dispatched::new(event, Arc::from("{}"), Arc::from(""))
    }

    fn event_indexes(transmits: &[Transmit]) -> Vec<u64> {
        transmits
            .iter()
            .filter_map(|transmit| match transmit {
                Transmit::Event(dispatched) => Some(dispatched.event.index),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn starts_with_statistics_and_heartbeats_a_silent_desktop_then_gives_up() {
        let mut desk = DeskSession::new(alice(), settings(), 5, 0);
        assert_eq!(drain(&mut desk), [Transmit::AgentStatistics { only: None }, Transmit::SkillGroupStatistics]);
        assert_eq!(desk.poll_timeout(), Some(1_000));
        desk.handle_timeout(1_000);
        assert_eq!(drain(&mut desk), [Transmit::Frame(ServerBody::Heartbeat(Heartbeat {}))]);
        desk.handle_frame(1_500, Ok(ClientBody::HeartbeatAck(Heartbeat {})));
        assert_eq!(desk.poll_timeout(), Some(2_500), "an answer starts the silence over");
        desk.handle_timeout(2_500);
        desk.handle_timeout(3_500);
        assert_eq!(desk.end(), None);
        desk.handle_timeout(4_500);
        assert_eq!(desk.end(), Some(End::HeartbeatsUnanswered), "two heartbeats unanswered, then one more interval");
        assert_eq!(desk.poll_timeout(), None);
    }

    #[test]
    fn answers_heartbeats_and_refuses_a_second_login() {
        let mut desk = DeskSession::new(alice(), settings(), 0, 0);
        drain(&mut desk);
        desk.handle_frame(10, Ok(ClientBody::Heartbeat(Heartbeat {})));
        assert_eq!(drain(&mut desk), [Transmit::Frame(ServerBody::HeartbeatAck(Heartbeat {}))]);
        desk.handle_frame(20, Err("not protobuf".into()));
        assert!(
            matches!(&drain(&mut desk)[..], [Transmit::Frame(ServerBody::Error(error))] if error.code == "bad_frame")
        );
        assert_eq!(desk.end(), Some(End::ProtocolError));
    }

    #[test]
    fn requests_become_proposals_under_the_sessions_actor_within_the_in_flight_cap() {
        let mut desk = DeskSession::new(alice(), settings(), 0, 0);
        drain(&mut desk);
        desk.handle_frame(1, request("r-1", 0));
        desk.handle_frame(2, request("r-2", 9));
        desk.handle_frame(3, request("r-3", 0));
        let first = desk.poll_proposal().expect("r-1");
        assert_eq!((first.agent, first.actor, first.request_id.as_str()), (ALICE, Actor::User(UserId(7)), "r-1"));
        let second = desk.poll_proposal().expect("r-2");
        assert_eq!(second.agent, AgentId(9), "the domain, not the session, decides whether alice may");
        assert_eq!(desk.poll_proposal(), None);
        let refused = drain(&mut desk);
        assert!(
            matches!(&refused[..], [Transmit::Frame(ServerBody::Reply(reply))] if reply.code == "too_many_requests" && reply.request_id == "r-3"),
            "{refused:?}"
        );
        desk.handle_reply(refusal("r-1", "forbidden", "no".into()));
        assert_eq!(drain(&mut desk).len(), 1, "the answer goes back as it came");
        desk.handle_frame(4, request("r-4", 0));
        assert!(desk.poll_proposal().is_some(), "room again after an answer");
        desk.handle_reply(refusal("r-2", "forbidden", "no".into()));
        drain(&mut desk);
        desk.handle_frame(5, request("", 0));
        let refused = drain(&mut desk);
        assert!(
            matches!(&refused[..], [Transmit::Frame(ServerBody::Reply(reply))] if reply.code == "invalid_request_id")
        );
    }

    #[test]
    fn an_administrators_session_names_the_agent_and_gets_no_statistics() {
        let identity = DeskIdentity { viewer: Viewer::Everything, actor: Actor::Operator };
        let mut desk = DeskSession::new(identity, settings(), 0, 0);
        assert_eq!(drain(&mut desk), []);
        desk.handle_frame(1, request("r-1", 0));
        let refused = drain(&mut desk);
        assert!(matches!(&refused[..], [Transmit::Frame(ServerBody::Reply(reply))] if reply.code == "invalid_body"));
        assert_eq!(desk.poll_timeout(), Some(1_001), "heartbeats only");
    }

    #[test]
    fn each_event_once_in_order_and_statistics_at_the_end_of_a_call() {
        let mut desk = DeskSession::new(alice(), settings(), 10, 0);
        drain(&mut desk);
        for index in [9, 10, 11, 11, 13, 12] {
            desk.handle_event(&dispatched(index, Event::Agent(AgentEvent::AgentDeleted(AgentId(1)))));
        }
        assert_eq!(event_indexes(&drain(&mut desk)), [11, 13]);
        assert_eq!(desk.cursor(), 13);
        let end_call = Event::Voice(VoiceEvent::EndCall { call: CallId(4), agents: vec![ALICE] });
        desk.handle_event(&dispatched(14, end_call));
        let sent = drain(&mut desk);
        assert_eq!(event_indexes(&sent), [14]);
        assert_eq!(sent.last(), Some(&Transmit::AgentStatistics { only: Some(vec![ALICE]) }));
        desk.handle_resync();
        assert_eq!(drain(&mut desk), [Transmit::Snapshot]);
        desk.handle_snapshot(40);
        desk.handle_event(&dispatched(40, Event::Agent(AgentEvent::AgentDeleted(AgentId(1)))));
        assert_eq!(drain(&mut desk), [], "in the snapshot already");
    }

    #[test]
    fn statistics_on_their_schedule_when_not_at_end_of_call() {
        let settings = DeskSettings { agent_statistics_at_end_call: false, heartbeat_interval_ms: 0, ..settings() };
        let mut desk = DeskSession::new(alice(), settings, 0, 0);
        drain(&mut desk);
        assert_eq!(desk.poll_timeout(), Some(10_000));
        desk.handle_timeout(10_000);
        assert_eq!(drain(&mut desk), [Transmit::SkillGroupStatistics]);
        desk.handle_timeout(15_000);
        assert_eq!(drain(&mut desk), [Transmit::AgentStatistics { only: None }]);
        desk.handle_timeout(26_000);
        assert_eq!(drain(&mut desk), [Transmit::SkillGroupStatistics], "late: once, not twice");
        assert_eq!(desk.poll_timeout(), Some(30_000));
    }

    /// A supervisor's view lists the agents of its teams: when an agent joins one, its
    /// desktops get the event and then reload; the agent's own desktop just gets the event.
    #[test]
    fn a_supervisor_reloads_when_the_agents_it_supervises_change() {
        use tandem_domain::{
            AgentCommand, AgentSpec, Center, Command, ConfigCommand, Entry, Outcome, TeamId, TeamSpec,
        };
        let mut center = Center::default();
        let mut apply = |command: Command| {
            let entry = Entry { request_id: None, time_ms: 1, command, by: Actor::Operator };
            match center.apply(&entry) {
                Outcome::Applied(applied) => applied,
                Outcome::Rejected(rejection) => panic!("{rejection:?}"),
            }
        };
        let spec = |login_name: &str, team: Option<TeamId>| AgentSpec {
            login_name: login_name.into(),
            name: login_name.into(),
            alias: None,
            team,
            skills: Vec::new(),
            extension: None,
        };
        apply(Command::Agent(AgentCommand::CreateAgent(spec("sam", None))));
        let team =
            TeamSpec { name: "Floor".into(), primary_supervisor: Some(AgentId(1)), secondary_supervisors: Vec::new() };
        apply(Command::Config(ConfigCommand::CreateTeam(team)));
        let applied = apply(Command::Agent(AgentCommand::CreateAgent(spec("alice", Some(TeamId(1))))));
        let Some((event, audience)) = applied.published().next() else { panic!("an event") };
        let joined = RetainedEvent { index: 3, event: Arc::new(event.clone()), audience: Arc::new(audience.clone()) };
        let joined = Dispatched::new(joined, Arc::from("{}"), Arc::from(""));

        let sam = DeskIdentity { viewer: Viewer::Supervisor { agent: AgentId(1) }, actor: Actor::User(UserId(1)) };
        let mut desk = DeskSession::new(sam, settings(), 2, 0);
        drain(&mut desk);
        desk.handle_event(&joined);
        assert_eq!(drain(&mut desk), [Transmit::Event(joined.clone()), Transmit::Snapshot]);

        let alice = DeskIdentity { viewer: Viewer::Agent { agent: AgentId(2) }, actor: Actor::User(UserId(2)) };
        let mut desk = DeskSession::new(alice, settings(), 2, 0);
        drain(&mut desk);
        desk.handle_event(&joined);
        assert_eq!(drain(&mut desk), [Transmit::Event(joined)]);
    }
}
