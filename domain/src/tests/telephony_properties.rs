//! Property tests of the switch: random call control, far-end actions, supervisor requests and
//! state changes for a few agents, checked after every step.
//!
//! Calls, numbers and agents come from small pools, so sequences hit existing and missing
//! calls, busy and free agents, wrong states and every code often. After each step: an applied
//! command leaves every call's connections in a legal combination and each agent's voice state
//! matching its connections (`assert_telephony_invariants`, part of `assert_invariants`); a
//! refused one leaves the center byte-identical; and every button `call_controls` enables is a
//! request the center accepts, and every one it disables is refused.

use crate::{AgentCommand, ConfigCommand, QueueCommand, SystemCommand, VoiceCommand};
use proptest::prelude::*;

use super::{assert_invariants, center_from, json};
use crate::{
    AgentId, AgentSpec, AgentStateRequest, AlertType, CallDataChanges, CallId, CallRequest, Center, Channel, Command,
    ConsultPurpose, ContactId, CsqId, CsqSpec, DeskSettings, DialedNumberSpec, Entry, InboundCallSpec, Selection,
    SkillId, SkillLevel, SkillRequirement, SkillSpec, SuperviseAction, TeamId, TeamSpec, WrapUpMode,
};

const AGENT_COUNT: u64 = 5;
const CALL_ID_MAX: u64 = 8;

/// Five agents with extensions 101–105 and skill 1; agents 1–3 in team 1, supervised by 4
/// (primary) and 5 (secondary); dialed number 800 routes to voice CSQ 1; all logged in, 1–3
/// Ready.
fn setup() -> Vec<Command> {
    let mut setup = vec![Command::Config(ConfigCommand::CreateSkill(SkillSpec { name: "Voice".into() }))];
    for index in 1..=AGENT_COUNT {
        setup.push(Command::Agent(AgentCommand::CreateAgent(AgentSpec {
            login_name: format!("agent{index}"),
            name: format!("Agent {index}"),
            alias: None,
            team: None,
            skills: vec![SkillLevel { skill: SkillId(1), competence: 5 }],
            extension: Some(format!("10{index}")),
        })));
    }
    setup.push(Command::Config(ConfigCommand::CreateTeam(TeamSpec {
        name: "Team".into(),
        primary_supervisor: Some(AgentId(4)),
        secondary_supervisors: vec![AgentId(5)],
    })));
    for index in 1..=3 {
        setup.push(Command::Agent(AgentCommand::UpdateAgent {
            id: AgentId(index),
            spec: AgentSpec {
                login_name: format!("agent{index}"),
                name: format!("Agent {index}"),
                alias: None,
                team: Some(TeamId(1)),
                skills: vec![SkillLevel { skill: SkillId(1), competence: 5 }],
                extension: Some(format!("10{index}")),
            },
        }));
    }
    setup.push(Command::Queue(QueueCommand::CreateCsq(CsqSpec {
        name: "Voice".into(),
        channel: Channel::Voice,
        selection: Selection::LongestAvailable,
        skills: vec![SkillRequirement { skill: SkillId(1), min_competence: 1 }],
    })));
    setup.push(Command::Voice(VoiceCommand::CreateDialedNumber(DialedNumberSpec {
        number: "800".into(),
        csq: CsqId(1),
    })));
    for index in 1..=AGENT_COUNT {
        setup.push(Command::Agent(AgentCommand::SetAgentState {
            agent: AgentId(index),
            state: AgentStateRequest::Login,
            reason: None,
        }));
    }
    for index in 1..=3 {
        setup.push(Command::Agent(AgentCommand::SetAgentState {
            agent: AgentId(index),
            state: AgentStateRequest::Ready,
            reason: None,
        }));
    }
    setup
}

fn agent() -> impl Strategy<Value = AgentId> {
    (1..=AGENT_COUNT).prop_map(AgentId)
}

fn call() -> impl Strategy<Value = CallId> {
    (1..=CALL_ID_MAX).prop_map(CallId)
}

fn number() -> impl Strategy<Value = String> {
    let outside = ["5550001", "5550002"].map(str::to_owned).to_vec();
    let extensions = ["101", "102", "103", "104", "105"].map(str::to_owned).to_vec();
    let invalid = ["800", "", "12x"].map(str::to_owned).to_vec();
    prop_oneof![
        4 => prop::sample::select(outside),
        4 => prop::sample::select(extensions),
        1 => prop::sample::select(invalid),
    ]
}

fn caller() -> impl Strategy<Value = String> {
    prop::sample::select(["5550100", "5550101", "", "5550001"].map(str::to_owned).to_vec())
}

fn purpose() -> impl Strategy<Value = ConsultPurpose> {
    prop_oneof![8 => Just(ConsultPurpose::Transfer), 8 => Just(ConsultPurpose::Conference), 1 => Just(ConsultPurpose::Unknown)]
}

fn request() -> impl Strategy<Value = CallRequest> {
    prop_oneof![
        10 => call().prop_map(|call| CallRequest::Answer { call }),
        2 => call().prop_map(|call| CallRequest::ClearCall { call }),
        4 => call().prop_map(|call| CallRequest::ClearConnection { call }),
        4 => call().prop_map(|call| CallRequest::Hold { call }),
        4 => call().prop_map(|call| CallRequest::Retrieve { call }),
        3 => (call(), call()).prop_map(|(active, held)| CallRequest::Alternate { active, held }),
        3 => (call(), call()).prop_map(|(active, held)| CallRequest::Reconnect { active, held }),
        8 => (call(), purpose(), number()).prop_map(|(call, purpose, number)| CallRequest::Consult { call, purpose, number }),
        4 => (call(), call()).prop_map(|(held, active)| CallRequest::TransferComplete { held, active }),
        4 => (call(), call()).prop_map(|(held, active)| CallRequest::ConferenceComplete { held, active }),
        2 => (call(), number()).prop_map(|(call, number)| CallRequest::SingleStepTransfer { call, number }),
        4 => number().prop_map(|number| CallRequest::MakeCall { number }),
        1 => call().prop_map(|call| CallRequest::SendDtmf { call, digits: "1#".into() }),
        2 => (call(), number()).prop_map(|(call, number)| CallRequest::Deflect { call, number }),
        1 => (call(), prop::option::of(Just("Sold".to_owned()))).prop_map(|(call, wrap_up)| CallRequest::SetCallData {
            call,
            changes: CallDataChanges { variables: [(1, "x".to_owned())].into(), wrap_up, ..CallDataChanges::default() },
        }),
    ]
}

fn desk() -> impl Strategy<Value = DeskSettings> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec![WrapUpMode::Optional, WrapUpMode::Required]),
    )
        .prop_map(|(controllers, at_once, force, mode)| DeskSettings {
            conference_supports_multiple_controllers: controllers,
            external_parties_answer_at_once: at_once,
            force_logout_on_session_close: force,
            wrap_up_incoming: mode,
            wrap_up_outgoing: mode,
            wrap_up_timer_seconds: 30,
            ..DeskSettings::default()
        })
}

/// One step: a command (retargeted with the seed, see [`retarget`]), or the leader's expiry of
/// the next deadline.
#[derive(Debug, Clone)]
enum Step {
    Apply(Command, u8),
    ExpireNext,
}

/// Points a generated command at the calls that exist now, so sequences reach deep states
/// (consults answered, conferences, barge-ins) instead of mostly missing calls. Seven seeds in
/// eight retarget: a call-control request goes to an agent with calls (odd seeds) and names
/// that agent's calls (the generated id picks which); a far-end action names an existing call
/// and one of its outside parties; a supervisor's request names a busy agent and its call.
fn retarget(center: &Center, command: Command, seed: u8) -> Command {
    if seed.is_multiple_of(8) {
        return command;
    }
    let calls: Vec<CallId> = center.calls().map(|call| call.id).collect();
    let line_max = center.agent_statuses().map(|status| status.calls.len()).max().unwrap_or(0);
    let line_min = if seed % 16 >= 8 { line_max.max(1) } else { 1 };
    let busy: Vec<AgentId> =
        center.agent_statuses().filter(|status| status.calls.len() >= line_min).map(|status| status.agent).collect();
    let pick_in = |pool: &[CallId], call: CallId| -> CallId {
        if pool.is_empty() {
            call
        } else {
            pool[(call.0 as usize).saturating_sub(1) % pool.len()]
        }
    };
    let pick = |agent: AgentId, call: CallId| -> CallId {
        let line = &center.agent_status(agent).unwrap().calls;
        if line.is_empty() {
            pick_in(&calls, call)
        } else {
            pick_in(line, call)
        }
    };
    let in_state = |state: crate::AgentState| -> Vec<AgentId> {
        let agents = center.agent_statuses().filter(|status| status.calls.len() >= line_min && status.state == state);
        agents.map(|status| status.agent).collect()
    };
    let choose = |pool: Vec<AgentId>, agent: AgentId| -> AgentId {
        let pool = if pool.is_empty() { busy.clone() } else { pool };
        if !seed.is_multiple_of(4) && !pool.is_empty() {
            pool[(seed as usize / 4) % pool.len()]
        } else {
            agent
        }
    };
    let busy_agent = |agent: AgentId| choose(in_state(crate::AgentState::Talking), agent);
    let ringing_agent = |agent: AgentId| choose(in_state(crate::AgentState::Reserved), agent);
    let outside_party = |call: CallId, number: String| -> String {
        let parties = center.call(call).map(|call| call.connections.clone()).unwrap_or_default();
        let outside = parties.into_iter().find_map(|connection| match connection.party {
            crate::Party::External(number) => Some(number),
            crate::Party::Agent(_) => None,
        });
        outside.filter(|_| !seed.is_multiple_of(4)).unwrap_or(number)
    };
    match command {
        Command::Voice(VoiceCommand::CallControl { agent, request }) => {
            let ringing = matches!(request, CallRequest::Answer { .. } | CallRequest::Deflect { .. });
            let agent = if ringing { ringing_agent(agent) } else { busy_agent(agent) };
            let talking = center.agent_status(agent).unwrap().calls.iter().copied().find(|call| {
                center.call(*call).and_then(|found| found.agent_connection(agent))
                    == Some(crate::ConnectionState::Talking)
            });
            let at = |call: CallId| match talking {
                Some(talking) if !seed.is_multiple_of(3) => talking,
                _ => pick(agent, call),
            };
            // Mostly name the agent's held and active calls the right way round.
            let line = center.agent_status(agent).unwrap().calls.clone();
            let held_call = line.iter().copied().find(|call| {
                center.call(*call).and_then(|found| found.agent_connection(agent)) == Some(crate::ConnectionState::Held)
            });
            let other = |held: CallId| line.iter().copied().find(|call| *call != held);
            let ordered = match held_call.and_then(|held| other(held).map(|active| (held, active))) {
                Some(pair) if !seed.is_multiple_of(3) => Some(pair),
                _ => None,
            };
            let pair = |held: CallId, active: CallId| ordered.unwrap_or((at(held), at(active)));
            let request = match request {
                CallRequest::Answer { call } => CallRequest::Answer { call: at(call) },
                CallRequest::ClearCall { call } => CallRequest::ClearCall { call: at(call) },
                CallRequest::ClearConnection { call } => CallRequest::ClearConnection { call: at(call) },
                CallRequest::Hold { call } => CallRequest::Hold { call: at(call) },
                CallRequest::Retrieve { call } => CallRequest::Retrieve { call: at(call) },
                CallRequest::Alternate { active, held } => {
                    let (held, active) = pair(held, active);
                    CallRequest::Alternate { active, held }
                }
                CallRequest::Reconnect { active, held } => {
                    let (held, active) = pair(held, active);
                    CallRequest::Reconnect { active, held }
                }
                CallRequest::Consult { call, purpose, number } => {
                    CallRequest::Consult { call: at(call), purpose, number }
                }
                CallRequest::TransferComplete { held, active } => {
                    let (held, active) = pair(held, active);
                    CallRequest::TransferComplete { held, active }
                }
                CallRequest::ConferenceComplete { held, active } => {
                    let (held, active) = pair(held, active);
                    CallRequest::ConferenceComplete { held, active }
                }
                CallRequest::SingleStepTransfer { call, number } => {
                    CallRequest::SingleStepTransfer { call: at(call), number }
                }
                CallRequest::SendDtmf { call, digits } => CallRequest::SendDtmf { call: at(call), digits },
                CallRequest::Deflect { call, number } => CallRequest::Deflect { call: at(call), number },
                CallRequest::SetCallData { call, changes } => CallRequest::SetCallData { call: at(call), changes },
                CallRequest::MakeCall { number } => CallRequest::MakeCall { number },
            };
            Command::Voice(VoiceCommand::CallControl { agent, request })
        }
        Command::Voice(VoiceCommand::ExternalHangup { call, number }) => {
            let call = pick_in(&calls, call);
            Command::Voice(VoiceCommand::ExternalHangup { call, number: outside_party(call, number) })
        }
        Command::Voice(VoiceCommand::ExternalAnswer { call, number }) => {
            let call = pick_in(&calls, call);
            Command::Voice(VoiceCommand::ExternalAnswer { call, number: outside_party(call, number) })
        }
        Command::Voice(VoiceCommand::Supervise { supervisor, agent, call, action }) => {
            let agent = busy_agent(agent);
            Command::Voice(VoiceCommand::Supervise { supervisor, agent, call: pick(agent, call), action })
        }
        other => other,
    }
}

fn state_request() -> impl Strategy<Value = AgentStateRequest> {
    prop::sample::select(vec![
        AgentStateRequest::Ready,
        AgentStateRequest::Ready,
        AgentStateRequest::NotReady,
        AgentStateRequest::Login,
        AgentStateRequest::Logout,
        AgentStateRequest::WorkReady,
    ])
}

fn step() -> impl Strategy<Value = Step> {
    let command = prop_oneof![
        30 => (agent(), request()).prop_map(|(agent, request)| Command::Voice(VoiceCommand::CallControl { agent, request })),
        8 => (agent(), state_request()).prop_map(|(agent, state)| Command::Agent(AgentCommand::SetAgentState { agent, state, reason: None })),
        6 => (prop::sample::select(vec!["800", "800", "101", "102", "999"]), caller()).prop_map(|(dialed, ani)| {
            Command::Voice(VoiceCommand::InboundCall(InboundCallSpec {
                dialed_number: dialed.into(),
                ani,
                ced: String::new(),
                data: CallDataChanges::default(),
            }))
        }),
        2 => (call(), caller()).prop_map(|(call, number)| Command::Voice(VoiceCommand::ExternalHangup { call, number })),
        2 => (call(), number()).prop_map(|(call, number)| Command::Voice(VoiceCommand::ExternalHangup { call, number })),
        2 => (call(), number()).prop_map(|(call, number)| Command::Voice(VoiceCommand::ExternalAnswer { call, number })),
        2 => (1u64..6).prop_map(|contact| Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(contact) })),
        3 => (agent(), agent(), call(), prop::sample::select(vec![
            SuperviseAction::Clear,
            SuperviseAction::BargeIn,
            SuperviseAction::Intercept,
            SuperviseAction::Unknown,
        ]))
        .prop_map(|(supervisor, agent, call, action)| Command::Voice(VoiceCommand::Supervise { supervisor, agent, call, action })),
        2 => (agent(), prop::sample::select(vec![AlertType::Consult, AlertType::BlindConference, AlertType::Unknown]), any::<bool>())
            .prop_map(|(agent, alert, emergency)| if emergency {
                Command::Voice(VoiceCommand::EmergencyCall { agent, alert })
            } else {
                Command::Voice(VoiceCommand::AssistanceRequest { agent, alert })
            }),
        2 => agent().prop_map(|agent| Command::Voice(VoiceCommand::AnswerCall { agent })),
        1 => agent().prop_map(|agent| Command::Voice(VoiceCommand::HoldCall { agent })),
        1 => agent().prop_map(|agent| Command::Voice(VoiceCommand::RetrieveCall { agent })),
        2 => agent().prop_map(|agent| Command::Voice(VoiceCommand::EndCall { agent })),
        1 => agent().prop_map(|agent| Command::Voice(VoiceCommand::MakeCall { agent })),
        1 => agent().prop_map(|agent| Command::Voice(VoiceCommand::SetWrapUpData { agent, data: "Done".into() })),
        1 => agent().prop_map(|agent| Command::Agent(AgentCommand::CloseSession { agent })),
        1 => desk().prop_map(|value| Command::Config(ConfigCommand::SetDeskSettings(value))),
    ];
    prop_oneof![20 => (command, any::<u8>()).prop_map(|(command, seed)| Step::Apply(command, seed)), 1 => Just(Step::ExpireNext)]
}

/// Every button `call_controls` shows matches what the center does with the request.
fn assert_controls_truthful(center: &Center) {
    for index in 1..=AGENT_COUNT {
        let agent = AgentId(index);
        let controls = center.call_controls(agent);
        let calls = center.agent_status(agent).unwrap().calls.clone();
        let accepted = |request: CallRequest| {
            let mut probe = center.clone();
            probe
                .apply(&Entry {
                    request_id: None,
                    time_ms: 0,
                    command: Command::Voice(VoiceCommand::CallControl { agent, request }),
                    by: crate::Actor::Operator,
                })
                .is_applied()
        };
        let any = |make: &dyn Fn(CallId) -> CallRequest| calls.iter().any(|call| accepted(make(*call)));
        let pair = |make: &dyn Fn(CallId, CallId) -> CallRequest| {
            calls.iter().any(|first| calls.iter().any(|second| first != second && accepted(make(*first, *second))))
        };
        assert_eq!(controls.answer, any(&|call| CallRequest::Answer { call }), "answer for {agent}");
        assert_eq!(controls.release, any(&|call| CallRequest::ClearConnection { call }), "release for {agent}");
        assert_eq!(controls.clear_call, any(&|call| CallRequest::ClearCall { call }), "clear for {agent}");
        assert_eq!(controls.hold, any(&|call| CallRequest::Hold { call }), "hold for {agent}");
        assert_eq!(controls.retrieve, any(&|call| CallRequest::Retrieve { call }), "retrieve for {agent}");
        assert_eq!(controls.send_dtmf, any(&|call| CallRequest::SendDtmf { call, digits: "1".into() }), "dtmf");
        assert_eq!(controls.alternate, pair(&|active, held| CallRequest::Alternate { active, held }), "alternate");
        assert_eq!(controls.reconnect, pair(&|active, held| CallRequest::Reconnect { active, held }), "reconnect");
        let transfer = pair(&|held, active| CallRequest::TransferComplete { held, active });
        assert_eq!(controls.transfer_complete, transfer, "transfer complete for {agent}");
        let conference = pair(&|held, active| CallRequest::ConferenceComplete { held, active });
        assert_eq!(controls.conference_complete, conference, "conference complete for {agent}");
        let outside = "5559999".to_owned();
        let make = accepted(CallRequest::MakeCall { number: outside.clone() });
        assert_eq!(controls.make_call, make, "make call for {agent}");
        let single = any(&|call| CallRequest::SingleStepTransfer { call, number: outside.clone() });
        assert_eq!(controls.single_step_transfer, single, "single step for {agent}");
        let transfer_init =
            any(&|call| CallRequest::Consult { call, purpose: ConsultPurpose::Transfer, number: outside.clone() });
        assert_eq!(controls.transfer_init, transfer_init, "transfer init for {agent}");
        let deflect = any(&|call| CallRequest::Deflect { call, number: outside.clone() });
        assert_eq!(controls.deflect, deflect, "deflect for {agent}");
    }
}

/// A scripted start, so every case begins from a deep state as often as from a quiet one:
/// agent 1 talking to a routed caller (call 1), then consulting agent 4 (call 2, answered),
/// then the three in conference, then a conference consult to an outside number (call 3).
fn prefix(depth: usize) -> Vec<Command> {
    let control =
        |agent: u64, request: CallRequest| Command::Voice(VoiceCommand::CallControl { agent: AgentId(agent), request });
    let flow = vec![
        Command::Voice(VoiceCommand::InboundCall(InboundCallSpec {
            dialed_number: "800".into(),
            ani: "5550100".into(),
            ced: String::new(),
            data: CallDataChanges::default(),
        })),
        control(1, CallRequest::Answer { call: CallId(1) }),
        control(1, CallRequest::Consult { call: CallId(1), purpose: ConsultPurpose::Conference, number: "104".into() }),
        control(4, CallRequest::Answer { call: CallId(2) }),
        control(1, CallRequest::ConferenceComplete { held: CallId(1), active: CallId(2) }),
        control(
            1,
            CallRequest::Consult { call: CallId(1), purpose: ConsultPurpose::Conference, number: "5550001".into() },
        ),
    ];
    flow.into_iter().take(depth).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn call_control_keeps_connections_legal(depth in 0usize..=6, steps in prop::collection::vec(step(), 1..60)) {
        let mut center = center_from("telephony", &[setup(), prefix(depth)].concat());
        let mut time_ms = 1_000_000u64;
        for step in steps {
            time_ms += 1_000;
            let command = match step {
                Step::Apply(command, seed) => retarget(&center, command, seed),
                Step::ExpireNext => match center.deadline_next() {
                    Some(due) => {
                        time_ms = time_ms.max(due.due_ms);
                        Command::System(SystemCommand::Expire { deadline: due.deadline, epoch: due.epoch })
                    }
                    None => continue,
                },
            };
            let before = json(&center);
            let outcome = center.apply(&Entry { request_id: None, time_ms, command: command.clone(), by: crate::Actor::Operator });
            if outcome.is_applied() {
                assert_invariants(&center);
            } else {
                prop_assert_eq!(json(&center), before, "{:?} was refused but changed the center", command);
            }
            assert_controls_truthful(&center);
        }
    }
}
