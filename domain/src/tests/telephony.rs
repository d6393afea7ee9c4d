//! The built-in switch: every call-control precondition with its spec code and exact text, and
//! the flows (answer, hold, consult transfer and conference, alternate, reconnect, single step,
//! deflect, make call, DTMF, call data, barge-in, intercept, clear, emergency and assistance).
//!
//! Agents: alice (1, extension 101), bruno (2, 102), chen (3, 103), all in team 1 whose primary
//! supervisor is sam (4, 200); dave (5, 104) is in no team. Dialed number 800 routes to the
//! voice CSQ 1. Everyone is logged in (Not Ready); tests make agents Ready as they need.

use super::routing::{csq_with, login, ready, voice};
use super::script::Script;
use super::{agent_spec, skills};
use crate::{AgentCommand, ConfigCommand, QueueCommand, VoiceCommand, VoiceEvent};
use crate::{
    AgentId, AgentSpec, AgentState, AgentStateRequest, AlertType, CallDataChanges, CallId, CallKind, CallRequest,
    Channel, ClearCause, Command, Connection, ConnectionState, ConsultPurpose, ContactId, ContactState, DeskSettings,
    DialedNumberSpec, Event, InboundCallSpec, Party, RejectionCode, Selection, SpecError, SuperviseAction, TeamId,
    TeamSpec, WrapUpMode,
};
use ConnectionState::{Alerting, Held, Talking};

const ALICE: AgentId = AgentId(1);
const BRUNO: AgentId = AgentId(2);
const CHEN: AgentId = AgentId(3);
const SAM: AgentId = AgentId(4);
const DAVE: AgentId = AgentId(5);
const CALLER: &str = "5550100";

/// Every telephony spec error with its number and exact text, written out independently of
/// the table in `spec_error`.
pub(super) const SPEC_ROWS: [(SpecError, u32, &str); 38] = [
    (
        SpecError::NoInstrumentForExtension,
        10004,
        "The extension number specified is not associated with any known instrument.",
    ),
    (SpecError::NotTeamMember, 10105, "Agent is not a TEAM member\u{2013} cannot make supervisor call."),
    (
        SpecError::InvalidCallPlan,
        10109,
        "The agent is attempting to make a call that is not valid for their defined call plan.",
    ),
    (
        SpecError::ClearConnectionUnknownConnection,
        13044,
        "JTAPI Gateway \u{2013} Error on CLEARCONNECTION operation \u{2013} Unknown connection ID.",
    ),
    (
        SpecError::ConferenceActiveNotTalking,
        13045,
        "JTAPI Gateway \u{2013} Error on CONFERENCE operation \u{2013} ACTIVE connection not in proper state.",
    ),
    (
        SpecError::ConferenceActiveNotFound,
        13046,
        "JTAPI Gateway \u{2013} Error on CONFERENCE operation \u{2013} ACTIVE connection not found.",
    ),
    (
        SpecError::ConferenceHeldNotFound,
        13047,
        "JTAPI Gateway \u{2013} Error on CONFERENCE operation \u{2013} HELD connection not found.",
    ),
    (
        SpecError::ConferenceHeldNotHeld,
        13056,
        "JTAPI Gateway \u{2013} Error on CONFERENCE operation \u{2013} HELD connection not HELD.",
    ),
    (
        SpecError::ConferenceInvalidDialedNumber,
        13057,
        "JTAPI Gateway \u{2013} Error on CONFERENCE operation \u{2013} Invalid Dialed Number.",
    ),
    (
        SpecError::ConsultInvalidType,
        13062,
        "JTAPI Gateway \u{2013} Error on CONSULT operation \u{2013} Invalid Consult type.",
    ),
    (
        SpecError::ConsultNoActiveConnection,
        13063,
        "JTAPI Gateway \u{2013} Error on CONSULT operation \u{2013} No Active Connection.",
    ),
    (
        SpecError::EmergencyInvalidAlertType,
        13078,
        "JTAPI Gateway \u{2013} Error on SUPERVISOR operation \u{2013} Invalid Alert Type.",
    ),
    (
        SpecError::AssistInvalidAlertType,
        13079,
        "JTAPI Gateway \u{2013} Error on SUPERVISOR operation \u{2013} Invalid Alert Type.",
    ),
    (SpecError::HoldUncontrolledCall, 13081, "JTAPI Gateway \u{2013} Error on HOLD operation \u{2013} Uncontrolled Call."),
    (
        SpecError::MakeCallCannotCreate,
        13083,
        "JTAPI Gateway \u{2013} Error on MAKE CALL operation \u{2013} Can't create call.",
    ),
    (
        SpecError::RetrieveUncontrolledCall,
        13090,
        "JTAPI Gateway \u{2013} Error on RETRIEVE operation \u{2013} Uncontrolled Call.",
    ),
    (
        SpecError::SendDtmfInvalidConnection,
        13093,
        "JTAPI Gateway \u{2013} Error on SEND DTMF operation \u{2013} Invalid Connection ID.",
    ),
    (SpecError::SendDtmfNoMedia, 13094, "JTAPI Gateway \u{2013} Error on SEND DTMF operation \u{2013} No Media."),
    (
        SpecError::SuperviseActiveNotTalking,
        13095,
        "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} ACTIVE connection not in proper state.",
    ),
    (
        SpecError::SuperviseAlreadyBarged,
        13096,
        "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} Cannot Barge in, already barged into.",
    ),
    (
        SpecError::SuperviseInvalidAction,
        13109,
        "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} Invalid action. The action specified was not CLEAR, BARGE_IN or INTERCEPT.",
    ),
    (
        SpecError::SuperviseNoActiveConnection,
        13110,
        "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} No ACTIVE connection.",
    ),
    (SpecError::SuperviseBadCallId, 13111, "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} Bad Call ID."),
    (
        SpecError::SuperviseBadAgentCallId,
        13112,
        "JTAPI Gateway \u{2013} Error on SUPERVISE operation \u{2013} Bad Call ID.",
    ),
    (
        SpecError::TransferConnectionNotTalking,
        13121,
        "JTAPI Gateway \u{2013} Error on TRANSFER operation \u{2013} Connection not TALKING.",
    ),
    (
        SpecError::TransferHeldNotHeld,
        13125,
        "JTAPI Gateway \u{2013} Error on TRANSFER operation \u{2013} HELD connection not HELD.",
    ),
    (SpecError::TransferNoActive, 13126, "JTAPI Gateway \u{2013} Error on TRANSFER operation \u{2013} No ACTIVE."),
    (
        SpecError::TransferInvalidHeld,
        13127,
        "JTAPI Gateway \u{2013} Error on TRANSFER operation \u{2013} Invalid HELD connection.",
    ),
    (SpecError::CallAlreadyExists, 20007, "Another call already exists on the line."),
    (
        SpecError::NotIncomingCall,
        20010,
        "Attempt to answer a call that either does not exist or is not in the correct state.",
    ),
    (
        SpecError::TransferDestinationUnallocated,
        20011,
        "Attempt to transfer to a directory number that is not registered.",
    ),
    (SpecError::TransferDestinationBusy, 20013, "Attempt to transfer to a busy destination."),
    (
        SpecError::RedirectCallDoesNotExist,
        20029,
        "Attempt to redirect a call that does not exist or is no longer active.",
    ),
    (SpecError::RedirectUnknownDestination, 20052, "Attempt to redirect to an unknown destination."),
    (SpecError::RedirectDestinationBusy, 20063, "Redirect destination is busy."),
    (SpecError::OutstandingTransfer, 20066, "Existing transfer still in progress."),
    (SpecError::ConferenceFull, 20070, "Undescribed Error"),
    (SpecError::RetrieveActiveCallOnLine, 20112, "Undescribed Error"),
];

#[test]
fn telephony_spec_errors_numbers_texts_and_identifiers() {
    for (error, number, text) in SPEC_ROWS {
        assert_eq!(error.code().0, number, "{error:?}");
        assert_eq!(error.text(), text, "{error:?}");
        assert_eq!(SpecError::from_code(error.code()), Some(error));
    }
    let identifiers = [
        (SpecError::NoInstrumentForExtension, "PERERR_TELDRIVE_NOINSTRUMENTFOREXTENSION"),
        (SpecError::RetrieveActiveCallOnLine, "PERERR_CM_RETRIEVE_FAILED_ACTIVE_CALL_ON_LINE"),
        (SpecError::NotIncomingCall, "PERERR_CM_CALLHANDLE_NOTINCOMINGCALL"),
        (SpecError::HoldUncontrolledCall, "PERERR_GW_E_THREADHOLDCALL_UNCONTROLLED_CALL"),
        (SpecError::OutstandingTransfer, "PERERR_CM_TRANSFER_FAILED_OUTSTANDING_TRANSFER"),
    ];
    for (error, identifier) in identifiers {
        assert_eq!(error.identifier(), Some(identifier));
    }
    for (error, _, _) in SPEC_ROWS {
        let identifier = error.identifier().unwrap_or("PERERR_");
        assert!(identifier.starts_with("PERERR_") || error.code().0 < 13000, "{error:?}");
    }
}

fn with_extension(login_name: &str, extension: &str, team: Option<u64>) -> AgentSpec {
    AgentSpec { extension: Some(extension.into()), team: team.map(TeamId), ..agent_spec(login_name, &[(1, 5)]) }
}

/// The center every test starts from (see the module doc).
fn setup() -> Vec<Command> {
    let mut setup = skills(1);
    for (login_name, extension) in
        [("alice", "101"), ("bruno", "102"), ("chen", "103"), ("sam", "200"), ("dave", "104")]
    {
        setup.push(Command::Agent(AgentCommand::CreateAgent(with_extension(login_name, extension, None))));
    }
    setup.push(Command::Config(ConfigCommand::CreateTeam(TeamSpec {
        name: "Sales".into(),
        primary_supervisor: Some(SAM),
        secondary_supervisors: vec![],
    })));
    for (id, login_name, extension) in [(1, "alice", "101"), (2, "bruno", "102"), (3, "chen", "103")] {
        setup.push(Command::Agent(AgentCommand::UpdateAgent {
            id: AgentId(id),
            spec: with_extension(login_name, extension, Some(1)),
        }));
    }
    setup.push(csq_with("Sales", Channel::Voice, Selection::LongestAvailable, &[(1, 1)]));
    setup.push(Command::Voice(VoiceCommand::CreateDialedNumber(DialedNumberSpec {
        number: "800".into(),
        csq: crate::CsqId(1),
    })));
    setup.extend((1..=5).map(login));
    setup
}

fn cc(agent: AgentId, request: CallRequest) -> Command {
    Command::Voice(VoiceCommand::CallControl { agent, request })
}

fn inbound(ani: &str) -> Command {
    Command::Voice(VoiceCommand::InboundCall(InboundCallSpec {
        dialed_number: "800".into(),
        ani: ani.into(),
        ced: String::new(),
        data: CallDataChanges::default(),
    }))
}

fn consult(agent: AgentId, call: u64, purpose: ConsultPurpose, number: &str) -> Command {
    cc(agent, CallRequest::Consult { call: CallId(call), purpose, number: number.into() })
}

fn state(script: &Script, agent: AgentId) -> AgentState {
    script.center.agent_status(agent).unwrap().state
}

fn connections(script: &Script, call: u64) -> Vec<(Party, ConnectionState)> {
    let call = script.center.call(CallId(call)).unwrap_or_else(|| panic!("call {call} exists"));
    call.connections.iter().map(|connection| (connection.party.clone(), connection.state)).collect()
}

fn agent(id: AgentId) -> Party {
    Party::Agent(id)
}

fn outside(number: &str) -> Party {
    Party::External(number.into())
}

/// Alice Ready takes a routed call (call 1, contact 1) and answers it.
fn alice_talking() -> Script {
    let mut script = Script::new(&setup());
    script.ok(ready(1));
    script.ok(inbound(CALLER));
    script.ok(cc(ALICE, CallRequest::Answer { call: CallId(1) }));
    script
}

/// Alice talks with the caller on call 1 and consults bruno (call 2), who answers.
fn consulting(purpose: ConsultPurpose) -> Script {
    let mut script = alice_talking();
    script.ok(consult(ALICE, 1, purpose, "102"));
    script.ok(cc(BRUNO, CallRequest::Answer { call: CallId(2) }));
    script
}

#[test]
fn a_routed_call_rings_and_is_answered() {
    let mut script = Script::new(&setup());
    script.ok(ready(1));
    let events = script.ok(inbound(CALLER));
    assert!(events.contains(&Event::Voice(VoiceEvent::CallDelivered {
        call: CallId(1),
        party: agent(ALICE),
        agents: vec![ALICE]
    })));
    assert_eq!(state(&script, ALICE), AgentState::Reserved);
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Alerting)]);
    let call = script.center.call(CallId(1)).unwrap();
    assert_eq!((call.kind, call.contact), (CallKind::Inbound, Some(ContactId(1))));
    assert_eq!((call.data.ani.as_str(), call.data.dnis.as_str()), (CALLER, "800"));
    script.refused_spec(cc(BRUNO, CallRequest::Answer { call: CallId(1) }), SpecError::NotIncomingCall);
    script.refused_spec(cc(ALICE, CallRequest::Answer { call: CallId(9) }), SpecError::NotIncomingCall);
    let events = script.ok(cc(ALICE, CallRequest::Answer { call: CallId(1) }));
    assert!(events.contains(&Event::Voice(VoiceEvent::CallEstablished {
        call: CallId(1),
        party: agent(ALICE),
        agents: vec![ALICE]
    })));
    assert_eq!(state(&script, ALICE), AgentState::Talking);
    assert_eq!(script.center.contact(ContactId(1)).unwrap().state, ContactState::Active { agents: vec![ALICE] });
    script.refused_spec(cc(ALICE, CallRequest::Answer { call: CallId(1) }), SpecError::NotIncomingCall);
}

#[test]
fn an_unknown_dialed_number_or_a_missing_call_is_refused() {
    let mut script = Script::new(&setup());
    let mut spec = InboundCallSpec {
        dialed_number: "999".into(),
        ani: CALLER.into(),
        ced: String::new(),
        data: CallDataChanges::default(),
    };
    let rejection = script.refused(Command::Voice(VoiceCommand::InboundCall(spec.clone())));
    assert_eq!(rejection.code, RejectionCode::InvalidField);
    spec.dialed_number = "101".into();
    script.ok(Command::Voice(VoiceCommand::InboundCall(spec)));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Alerting)], "straight to 101");
    assert_eq!(state(&script, ALICE), AgentState::Reserved);
    let rejection =
        script.refused(Command::Voice(VoiceCommand::ExternalHangup { call: CallId(7), number: CALLER.into() }));
    assert_eq!(rejection.code, RejectionCode::NotFound);
    script.ok(Command::Voice(VoiceCommand::ExternalHangup { call: CallId(1), number: CALLER.into() }));
    assert_eq!(state(&script, ALICE), AgentState::NotReady, "rung while Not Ready, back to Not Ready");
    assert!(script.center.call(CallId(1)).is_none());
}

#[test]
fn hold_and_retrieve_need_a_controlled_call() {
    let mut script = alice_talking();
    script.refused_spec(cc(BRUNO, CallRequest::Hold { call: CallId(1) }), SpecError::HoldUncontrolledCall);
    script.refused_spec(cc(ALICE, CallRequest::Retrieve { call: CallId(1) }), SpecError::RetrieveUncontrolledCall);
    let events = script.ok(cc(ALICE, CallRequest::Hold { call: CallId(1) }));
    assert!(events.contains(&Event::Voice(VoiceEvent::CallHeld {
        call: CallId(1),
        agent: ALICE,
        agents: vec![ALICE]
    })));
    assert_eq!(state(&script, ALICE), AgentState::Hold);
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Held)], "hold is local");
    script.refused_spec(cc(ALICE, CallRequest::Hold { call: CallId(1) }), SpecError::HoldUncontrolledCall);
    script.ok(cc(ALICE, CallRequest::Retrieve { call: CallId(1) }));
    assert_eq!(state(&script, ALICE), AgentState::Talking);
}

#[test]
fn retrieve_with_another_call_active_on_the_line_is_20112() {
    let mut script = consulting(ConsultPurpose::Transfer);
    script.refused_spec(cc(ALICE, CallRequest::Retrieve { call: CallId(1) }), SpecError::RetrieveActiveCallOnLine);
    let rejection = script.refused(cc(ALICE, CallRequest::Retrieve { call: CallId(1) }));
    assert_eq!(
        rejection.spec_error().and_then(SpecError::identifier),
        Some("PERERR_CM_RETRIEVE_FAILED_ACTIVE_CALL_ON_LINE")
    );
}

#[test]
fn consult_transfer_hands_the_caller_to_the_consulted_agent() {
    let mut script = alice_talking();
    script.ok(cc(
        ALICE,
        CallRequest::SetCallData {
            call: CallId(1),
            changes: CallDataChanges { variables: [(1, "gold".to_owned())].into(), ..CallDataChanges::default() },
        },
    ));
    let events = script.ok(consult(ALICE, 1, ConsultPurpose::Transfer, "102"));
    assert!(events.contains(&Event::Voice(VoiceEvent::CallHeld {
        call: CallId(1),
        agent: ALICE,
        agents: vec![ALICE]
    })));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Held)]);
    assert_eq!(connections(&script, 2), [(agent(ALICE), Talking), (agent(BRUNO), Alerting)]);
    let kind = script.center.call(CallId(2)).unwrap().kind;
    assert_eq!(kind, CallKind::Consult { of: CallId(1), purpose: ConsultPurpose::Transfer, by: ALICE });
    assert_eq!((state(&script, ALICE), state(&script, BRUNO)), (AgentState::Talking, AgentState::Reserved));
    let complete = cc(ALICE, CallRequest::TransferComplete { held: CallId(1), active: CallId(2) });
    script.refused_spec(complete.clone(), SpecError::TransferConnectionNotTalking);
    script.ok(cc(BRUNO, CallRequest::Answer { call: CallId(2) }));
    let events = script.ok(complete);
    assert!(events
        .iter()
        .any(|event| matches!(event, Event::Voice(VoiceEvent::CallTransferred { call: CallId(1), by: ALICE, .. }))));
    assert!(events.contains(&Event::Voice(VoiceEvent::EndCall { call: CallId(2), agents: vec![ALICE, BRUNO] })));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(BRUNO), Talking)]);
    assert!(script.center.call(CallId(2)).is_none());
    assert_eq!(script.center.call(CallId(1)).unwrap().data.variables.get(&1).map(String::as_str), Some("gold"));
    assert_eq!(state(&script, ALICE), AgentState::Ready, "OPTIONAL wrap-up, incoming call: back to Ready");
    assert_eq!(state(&script, BRUNO), AgentState::Talking);
    assert_eq!(script.center.contact(ContactId(1)).unwrap().state, ContactState::Active { agents: vec![BRUNO] });
    script.ok(Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(1) }));
    assert!(script.center.contact(ContactId(1)).unwrap().is_closed());
    assert_eq!(state(&script, BRUNO), AgentState::NotReady, "rung while Not Ready, back to Not Ready");
}

#[test]
fn consult_conference_makes_three_parties_and_survives_a_release() {
    let mut script = consulting(ConsultPurpose::Conference);
    let events = script.ok(cc(ALICE, CallRequest::ConferenceComplete { held: CallId(1), active: CallId(2) }));
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Voice(VoiceEvent::CallConferenced { call: CallId(1), controller: ALICE, .. })
    )));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Talking), (agent(BRUNO), Talking)]);
    assert_eq!(script.center.call(CallId(1)).unwrap().controllers, [ALICE]);
    script.ok(cc(BRUNO, CallRequest::ClearConnection { call: CallId(1) }));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Talking)], "the call stays");
    assert_eq!(state(&script, BRUNO), AgentState::NotReady);
}

#[test]
fn alternate_twice_then_complete() {
    let mut script = consulting(ConsultPurpose::Transfer);
    script.ok(cc(ALICE, CallRequest::Alternate { active: CallId(2), held: CallId(1) }));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Talking)]);
    assert_eq!(connections(&script, 2), [(agent(ALICE), Held), (agent(BRUNO), Talking)]);
    let transfer =
        |held, active| cc(ALICE, CallRequest::TransferComplete { held: CallId(held), active: CallId(active) });
    let conference =
        |held, active| cc(ALICE, CallRequest::ConferenceComplete { held: CallId(held), active: CallId(active) });
    script.refused_spec(transfer(1, 2), SpecError::TransferHeldNotHeld);
    script.refused_spec(transfer(2, 1), SpecError::TransferConnectionNotTalking);
    script.refused_spec(conference(1, 2), SpecError::ConferenceHeldNotHeld);
    script.refused_spec(conference(2, 1), SpecError::ConferenceActiveNotTalking);
    assert!(!script.center.call_controls(ALICE).transfer_complete);
    script.ok(cc(ALICE, CallRequest::Alternate { active: CallId(1), held: CallId(2) }));
    assert!(script.center.call_controls(ALICE).transfer_complete);
    script.ok(transfer(1, 2));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(BRUNO), Talking)]);
}

#[test]
fn alternate_and_reconnect_check_both_calls() {
    let mut script = consulting(ConsultPurpose::Transfer);
    let alternate = |active, held| cc(ALICE, CallRequest::Alternate { active: CallId(active), held: CallId(held) });
    script.refused_spec(alternate(1, 2), SpecError::HoldUncontrolledCall);
    script.refused_spec(alternate(2, 2), SpecError::RetrieveUncontrolledCall);
    script.refused_spec(
        cc(ALICE, CallRequest::Reconnect { active: CallId(1), held: CallId(2) }),
        SpecError::ClearConnectionUnknownConnection,
    );
    script.refused_spec(
        cc(BRUNO, CallRequest::Reconnect { active: CallId(2), held: CallId(1) }),
        SpecError::RetrieveUncontrolledCall,
    );
    let events = script.ok(cc(ALICE, CallRequest::Reconnect { active: CallId(2), held: CallId(1) }));
    assert!(events.contains(&Event::Voice(VoiceEvent::EndCall { call: CallId(2), agents: vec![BRUNO] })));
    assert!(script.center.call(CallId(2)).is_none(), "the consult leg is gone");
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Talking)]);
    assert_eq!((state(&script, ALICE), state(&script, BRUNO)), (AgentState::Talking, AgentState::NotReady));
}

#[test]
fn single_step_transfer_leaves_no_held_state() {
    let mut script = alice_talking();
    script.refused_spec(
        cc(BRUNO, CallRequest::SingleStepTransfer { call: CallId(1), number: "103".into() }),
        SpecError::TransferNoActive,
    );
    let events = script.ok(cc(ALICE, CallRequest::SingleStepTransfer { call: CallId(1), number: "102".into() }));
    let redirected = Event::Voice(VoiceEvent::CallConnectionCleared {
        call: CallId(1),
        party: agent(ALICE),
        cause: ClearCause::Redirected,
        agents: vec![ALICE, BRUNO],
    });
    assert!(events.contains(&redirected), "{events:?}");
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(BRUNO), Alerting)]);
    assert_eq!((state(&script, ALICE), state(&script, BRUNO)), (AgentState::Ready, AgentState::Reserved));
    assert_eq!(script.center.contact(ContactId(1)).unwrap().state, ContactState::Active { agents: vec![BRUNO] });
    script.ok(cc(BRUNO, CallRequest::Answer { call: CallId(1) }));
    assert_eq!(state(&script, BRUNO), AgentState::Talking);
}

#[test]
fn transfer_destinations_unregistered_busy_and_outside() {
    let mut script = alice_talking();
    script.ok(voice(5, AgentStateRequest::Logout));
    script.refused_spec(consult(ALICE, 1, ConsultPurpose::Transfer, "104"), SpecError::TransferDestinationUnallocated);
    script.refused_spec(consult(ALICE, 1, ConsultPurpose::Transfer, "101"), SpecError::TransferDestinationBusy);
    script.refused_spec(consult(ALICE, 1, ConsultPurpose::Transfer, "800"), SpecError::InvalidCallPlan);
    let rejection = script.refused(consult(ALICE, 1, ConsultPurpose::Transfer, "12ab"));
    assert_eq!(rejection.code, RejectionCode::InvalidField);
    script.ok(consult(ALICE, 1, ConsultPurpose::Transfer, "5550199"));
    assert_eq!(connections(&script, 2), [(agent(ALICE), Talking), (outside("5550199"), Talking)], "connected at once");
    script.ok(cc(ALICE, CallRequest::TransferComplete { held: CallId(1), active: CallId(2) }));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (outside("5550199"), Talking)]);
    assert!(script.center.contact(ContactId(1)).unwrap().is_closed(), "handled: it left the center");
    script.ok(Command::Voice(VoiceCommand::ExternalHangup { call: CallId(1), number: "5550199".into() }));
    assert!(script.center.call(CallId(1)).is_none());
}

#[test]
fn consult_preconditions() {
    let mut script = alice_talking();
    script.refused_spec(consult(ALICE, 1, ConsultPurpose::Unknown, "102"), SpecError::ConsultInvalidType);
    script.refused_spec(consult(BRUNO, 1, ConsultPurpose::Transfer, "103"), SpecError::ConsultNoActiveConnection);
    script.refused_spec(consult(ALICE, 1, ConsultPurpose::Conference, " "), SpecError::ConferenceInvalidDialedNumber);
    script.ok(consult(ALICE, 1, ConsultPurpose::Transfer, "102"));
    script.refused_spec(consult(ALICE, 1, ConsultPurpose::Transfer, "103"), SpecError::ConsultNoActiveConnection);
    script.refused_spec(consult(ALICE, 2, ConsultPurpose::Transfer, "103"), SpecError::CallAlreadyExists);
    let parsed: ConsultPurpose = serde_json::from_str("\"blind\"").unwrap();
    assert_eq!(parsed, ConsultPurpose::Unknown, "an unknown consult type reaches the domain");
}

#[test]
fn complete_preconditions() {
    let mut script = consulting(ConsultPurpose::Transfer);
    let transfer =
        |agent, held, active| cc(agent, CallRequest::TransferComplete { held: CallId(held), active: CallId(active) });
    let conference =
        |agent, held, active| cc(agent, CallRequest::ConferenceComplete { held: CallId(held), active: CallId(active) });
    script.refused_spec(transfer(BRUNO, 1, 2), SpecError::TransferInvalidHeld);
    script.refused_spec(transfer(ALICE, 1, 9), SpecError::TransferNoActive);
    script.refused_spec(conference(BRUNO, 1, 2), SpecError::ConferenceHeldNotFound);
    script.refused_spec(conference(ALICE, 1, 9), SpecError::ConferenceActiveNotFound);
    script.ok(cc(BRUNO, CallRequest::Hold { call: CallId(2) }));
    script.refused_spec(transfer(ALICE, 1, 2), SpecError::TransferConnectionNotTalking);
    script.refused_spec(conference(ALICE, 1, 2), SpecError::ConferenceActiveNotTalking);
    script.ok(cc(ALICE, CallRequest::Hold { call: CallId(2) }));
    script.refused_spec(transfer(ALICE, 1, 2), SpecError::TransferNoActive);
    script.refused_spec(conference(ALICE, 1, 2), SpecError::ConferenceActiveNotTalking);
}

#[test]
fn overlapping_consults_on_one_call_are_refused_with_20066() {
    let mut script = consulting(ConsultPurpose::Conference);
    script.ok(cc(ALICE, CallRequest::ConferenceComplete { held: CallId(1), active: CallId(2) }));
    script.ok(consult(ALICE, 1, ConsultPurpose::Conference, "103"));
    script.refused_spec(consult(BRUNO, 1, ConsultPurpose::Transfer, "104"), SpecError::OutstandingTransfer);
    script.ok(cc(CHEN, CallRequest::Answer { call: CallId(3) }));
    script.ok(cc(ALICE, CallRequest::ConferenceComplete { held: CallId(1), active: CallId(3) }));
    assert_eq!(script.center.call(CallId(1)).unwrap().connections.len(), 4);
}

#[test]
fn only_controllers_add_parties_when_multiple_controllers_is_off() {
    let desk = DeskSettings { conference_supports_multiple_controllers: false, ..DeskSettings::default() };
    let mut script = consulting(ConsultPurpose::Conference);
    script.ok(cc(ALICE, CallRequest::ConferenceComplete { held: CallId(1), active: CallId(2) }));
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(desk)));
    let rejection = script.refused(consult(BRUNO, 1, ConsultPurpose::Conference, "103"));
    assert!(rejection.message.starts_with("Control Failure"), "{rejection:?}");
    assert!(!script.center.call_controls(BRUNO).conference_init);
    assert!(script.center.call_controls(BRUNO).transfer_init, "a transfer consult is not a conference");
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(DeskSettings::default())));
    script.ok(consult(BRUNO, 1, ConsultPurpose::Conference, "103"));
}

#[test]
fn a_seventh_party_is_conference_full() {
    let mut script = alice_talking();
    for (index, number) in ["5550001", "5550002", "5550003", "5550004"].iter().enumerate() {
        let consult_call = 2 + index as u64;
        script.ok(consult(ALICE, 1, ConsultPurpose::Conference, number));
        script.ok(cc(ALICE, CallRequest::ConferenceComplete { held: CallId(1), active: CallId(consult_call) }));
    }
    assert_eq!(script.center.call(CallId(1)).unwrap().connections.len(), 6);
    script.ok(consult(ALICE, 1, ConsultPurpose::Conference, "5550005"));
    script.refused_spec(
        cc(ALICE, CallRequest::ConferenceComplete { held: CallId(1), active: CallId(6) }),
        SpecError::ConferenceFull,
    );
}

#[test]
fn deflect_redirects_a_ringing_call() {
    let mut script = Script::new(&setup());
    script.ok(cc(BRUNO, CallRequest::MakeCall { number: "101".into() }));
    assert_eq!(connections(&script, 1), [(agent(BRUNO), Talking), (agent(ALICE), Alerting)]);
    assert_eq!(script.center.call(CallId(1)).unwrap().kind, CallKind::Internal);
    let deflect = |number: &str| cc(ALICE, CallRequest::Deflect { call: CallId(1), number: number.into() });
    script.refused_spec(
        cc(CHEN, CallRequest::Deflect { call: CallId(1), number: "103".into() }),
        SpecError::RedirectCallDoesNotExist,
    );
    script.refused_spec(
        cc(ALICE, CallRequest::Deflect { call: CallId(5), number: "103".into() }),
        SpecError::RedirectCallDoesNotExist,
    );
    script.refused_spec(deflect(""), SpecError::RedirectUnknownDestination);
    script.ok(voice(5, AgentStateRequest::Logout));
    script.refused_spec(deflect("104"), SpecError::RedirectUnknownDestination);
    script.refused_spec(deflect("102"), SpecError::RedirectDestinationBusy);
    let events = script.ok(deflect("103"));
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Voice(VoiceEvent::CallConnectionCleared { cause: ClearCause::Redirected, .. })
    )));
    assert_eq!(connections(&script, 1), [(agent(BRUNO), Talking), (agent(CHEN), Alerting)]);
    assert_eq!(state(&script, ALICE), AgentState::NotReady);
    assert_eq!(state(&script, CHEN), AgentState::Reserved);
}

#[test]
fn a_routed_offer_is_not_deflected() {
    let mut script = Script::new(&setup());
    script.ok(ready(1));
    script.ok(inbound(CALLER));
    let rejection = script.refused(cc(ALICE, CallRequest::Deflect { call: CallId(1), number: "102".into() }));
    assert_eq!(rejection.code, RejectionCode::InvalidState);
    assert!(!script.center.call_controls(ALICE).deflect);
    assert!(script.center.call_controls(ALICE).answer);
}

#[test]
fn make_call_only_from_not_ready() {
    let mut script = Script::new(&setup());
    let make = |number: &str| cc(ALICE, CallRequest::MakeCall { number: number.into() });
    script.ok(ready(1));
    script.refused_spec(make("5550199"), SpecError::AvailableOrInCallWork);
    script.ok(inbound(CALLER));
    script.refused_spec(make("5550199"), SpecError::ReservedCannotMakeCall);
    script.ok(cc(ALICE, CallRequest::Answer { call: CallId(1) }));
    script.refused_spec(make("5550199"), SpecError::BadStateTransition);
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(DeskSettings {
        wrap_up_incoming: WrapUpMode::Required,
        ..DeskSettings::default()
    })));
    script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    assert_eq!(state(&script, ALICE), AgentState::WorkReady);
    script.refused_spec(make("5550199"), SpecError::AvailableOrInCallWork);
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(DeskSettings::default())));
    script.ok(voice(1, AgentStateRequest::NotReady));
    script.ok(voice(5, AgentStateRequest::Logout));
    script.refused_spec(make("104"), SpecError::NoInstrumentForExtension);
    script.refused_spec(make("101"), SpecError::MakeCallCannotCreate);
    script.refused_spec(make("800"), SpecError::InvalidCallPlan);
    script.ok(make("102"));
    script.refused_spec(cc(CHEN, CallRequest::MakeCall { number: "101".into() }), SpecError::MakeCallCannotCreate);
    script.ok(cc(BRUNO, CallRequest::Answer { call: CallId(2) }));
    script.ok(cc(ALICE, CallRequest::ClearCall { call: CallId(2) }));
    assert_eq!((state(&script, ALICE), state(&script, BRUNO)), (AgentState::NotReady, AgentState::NotReady));
    let events = script.ok(make("5550199"));
    assert!(events.iter().any(|event| matches!(event, Event::Voice(VoiceEvent::BeginCall { .. }))));
    assert_eq!(script.center.call(CallId(3)).unwrap().kind, CallKind::Outbound);
}

#[test]
fn release_needs_a_connection() {
    let mut script = alice_talking();
    script.refused_spec(
        cc(BRUNO, CallRequest::ClearConnection { call: CallId(1) }),
        SpecError::ClearConnectionUnknownConnection,
    );
    script.refused_spec(
        cc(BRUNO, CallRequest::ClearCall { call: CallId(1) }),
        SpecError::ClearConnectionUnknownConnection,
    );
    script.ok(cc(ALICE, CallRequest::ClearConnection { call: CallId(1) }));
    assert!(script.center.call(CallId(1)).is_none(), "a two-party call ends with its agent");
    assert!(script.center.contact(ContactId(1)).unwrap().is_closed());
}

#[test]
fn dtmf_needs_a_talking_connection() {
    let mut script = alice_talking();
    let dtmf = |agent, digits: &str| cc(agent, CallRequest::SendDtmf { call: CallId(1), digits: digits.into() });
    script.refused_spec(dtmf(BRUNO, "1"), SpecError::SendDtmfInvalidConnection);
    let events = script.ok(dtmf(ALICE, "12#"));
    assert!(events.contains(&Event::Voice(VoiceEvent::DtmfSent {
        call: CallId(1),
        agent: ALICE,
        digits: "12#".into(),
        agents: vec![ALICE]
    })));
    assert_eq!(script.refused(dtmf(ALICE, "x")).code, RejectionCode::InvalidField);
    script.ok(cc(ALICE, CallRequest::Hold { call: CallId(1) }));
    script.refused_spec(dtmf(ALICE, "1"), SpecError::SendDtmfNoMedia);
    assert!(!script.center.call_controls(ALICE).send_dtmf);
}

#[test]
fn call_data_updates_reach_every_party() {
    let mut script = consulting(ConsultPurpose::Conference);
    script.ok(cc(ALICE, CallRequest::ConferenceComplete { held: CallId(1), active: CallId(2) }));
    let changes = CallDataChanges {
        user_to_user: Some("vip".into()),
        variables: [(1, "gold".to_owned()), (10, "x".to_owned())].into(),
        ecc: [("bobc[0]".to_owned(), "7".to_owned())].into(),
        wrap_up: Some("Sold".into()),
    };
    let events = script.ok(cc(ALICE, CallRequest::SetCallData { call: CallId(1), changes }));
    let Some(Event::Voice(VoiceEvent::CallDataUpdate { data, agents, .. })) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!(agents, &[ALICE, BRUNO]);
    assert_eq!((data.user_to_user.as_str(), data.variables.len(), data.wrap_up.as_deref()), ("vip", 2, Some("Sold")));
    let data_of = |variables: Vec<(u8, String)>| CallRequest::SetCallData {
        call: CallId(1),
        changes: CallDataChanges { variables: variables.into_iter().collect(), ..CallDataChanges::default() },
    };
    assert_eq!(script.refused(cc(ALICE, data_of(vec![(11, "x".into())]))).code, RejectionCode::InvalidField);
    assert_eq!(script.refused(cc(ALICE, data_of(vec![(1, "x".repeat(41))]))).code, RejectionCode::InvalidField);
    let too_long = CallDataChanges { user_to_user: Some("u".repeat(130)), ..CallDataChanges::default() };
    assert_eq!(
        script.refused(cc(ALICE, CallRequest::SetCallData { call: CallId(1), changes: too_long })).code,
        RejectionCode::InvalidField
    );
    assert_eq!(script.refused(cc(CHEN, data_of(vec![]))).code, RejectionCode::InvalidState);
    script.ok(cc(ALICE, data_of(vec![(1, String::new())])));
    assert_eq!(script.center.call(CallId(1)).unwrap().data.variables.len(), 1, "an empty value clears");
    script.ok(cc(ALICE, CallRequest::ClearConnection { call: CallId(1) }));
    let wrap_up = script.center.agent_status(ALICE).unwrap().wrap_up.clone();
    assert_eq!(wrap_up, None, "OPTIONAL mode: no wrap-up");
}

#[test]
fn wrap_up_data_is_one_value_in_two_places() {
    let desk = DeskSettings { wrap_up_incoming: WrapUpMode::RequiredWithData, ..DeskSettings::default() };
    let mut script = alice_talking();
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(desk)));
    let events = script.ok(Command::Voice(VoiceCommand::SetWrapUpData { agent: ALICE, data: "Upsell".into() }));
    assert!(events
        .iter()
        .any(|event| matches!(event, Event::Voice(VoiceEvent::CallDataUpdate { call: CallId(1), .. }))));
    assert_eq!(script.center.call(CallId(1)).unwrap().data.wrap_up.as_deref(), Some("Upsell"));
    script.ok(Command::Voice(VoiceCommand::EndCall { agent: ALICE }));
    script.ok(ready(1));
}

#[test]
fn barge_in_intercept_and_clear() {
    let mut script = alice_talking();
    let supervise = |supervisor, agent, call, action| {
        Command::Voice(VoiceCommand::Supervise { supervisor, agent, call: CallId(call), action })
    };
    script.refused_spec(supervise(SAM, ALICE, 1, SuperviseAction::Unknown), SpecError::SuperviseInvalidAction);
    let rejection = script.refused(supervise(BRUNO, ALICE, 1, SuperviseAction::BargeIn));
    assert_eq!(rejection.code, RejectionCode::InvalidState, "only the team's supervisors");
    script.refused_spec(supervise(SAM, ALICE, 9, SuperviseAction::BargeIn), SpecError::SuperviseBadCallId);
    script.refused_spec(supervise(SAM, BRUNO, 1, SuperviseAction::BargeIn), SpecError::SuperviseNoActiveConnection);
    script.ok(cc(ALICE, CallRequest::Hold { call: CallId(1) }));
    script.refused_spec(supervise(SAM, ALICE, 1, SuperviseAction::BargeIn), SpecError::SuperviseActiveNotTalking);
    script.ok(cc(ALICE, CallRequest::Retrieve { call: CallId(1) }));
    let events = script.ok(supervise(SAM, ALICE, 1, SuperviseAction::BargeIn));
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Voice(VoiceEvent::CallConferenced { controller: SAM, secondary: None, .. })
    )));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Talking), (agent(SAM), Talking)]);
    assert_eq!(state(&script, SAM), AgentState::Talking);
    script.refused_spec(supervise(SAM, ALICE, 1, SuperviseAction::BargeIn), SpecError::SuperviseAlreadyBarged);
    let events = script.ok(supervise(SAM, ALICE, 1, SuperviseAction::Intercept));
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Voice(VoiceEvent::CallConnectionCleared { cause: ClearCause::Intercepted, .. })
    )));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(SAM), Talking)], "not all parties dropped");
    assert_eq!(script.center.contact(ContactId(1)).unwrap().state, ContactState::Active { agents: vec![SAM] });
    assert_eq!(state(&script, ALICE), AgentState::Ready);

    // A call on another agent: the supervisor clears it.
    script.ok(cc(BRUNO, CallRequest::MakeCall { number: "5550123".into() }));
    script.refused_spec(supervise(SAM, ALICE, 2, SuperviseAction::Clear), SpecError::SuperviseNoActiveConnection);
    script.ok(cc(CHEN, CallRequest::MakeCall { number: "5550124".into() }));
    script.refused_spec(supervise(SAM, CHEN, 2, SuperviseAction::Clear), SpecError::SuperviseBadAgentCallId);
    script.ok(supervise(SAM, BRUNO, 2, SuperviseAction::Clear));
    assert!(script.center.call(CallId(2)).is_none());
    assert_eq!(state(&script, BRUNO), AgentState::NotReady);
}

#[test]
fn intercept_without_a_barge_in_barges_first() {
    let mut script = alice_talking();
    let intercept = Command::Voice(VoiceCommand::Supervise {
        supervisor: SAM,
        agent: ALICE,
        call: CallId(1),
        action: SuperviseAction::Intercept,
    });
    script.ok(intercept);
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(SAM), Talking)]);
    assert_eq!(script.center.call(CallId(1)).unwrap().barged_by, Some(SAM));
    let action: SuperviseAction = serde_json::from_str("\"silent_monitor\"").unwrap();
    assert_eq!(action, SuperviseAction::Unknown);
}

#[test]
fn emergency_and_assistance_calls_reach_the_supervisor() {
    let mut script = Script::new(&setup());
    script.refused_spec(
        Command::Voice(VoiceCommand::EmergencyCall { agent: DAVE, alert: AlertType::Consult }),
        SpecError::NotTeamMember,
    );
    script.refused_spec(
        Command::Voice(VoiceCommand::EmergencyCall { agent: ALICE, alert: AlertType::Unknown }),
        SpecError::EmergencyInvalidAlertType,
    );
    script.refused_spec(
        Command::Voice(VoiceCommand::AssistanceRequest { agent: ALICE, alert: AlertType::Unknown }),
        SpecError::AssistInvalidAlertType,
    );
    assert!(!script.center.call_controls(DAVE).supervisor_call);
    let events = script.ok(Command::Voice(VoiceCommand::EmergencyCall { agent: ALICE, alert: AlertType::Consult }));
    assert!(events.contains(&Event::Voice(VoiceEvent::SupervisorCallPlaced {
        call: CallId(1),
        agent: ALICE,
        supervisor: SAM,
        emergency: true,
        agents: vec![ALICE, SAM]
    })));
    assert_eq!(connections(&script, 1), [(agent(ALICE), Talking), (agent(SAM), Alerting)]);
    let rejection =
        script.refused(Command::Voice(VoiceCommand::AssistanceRequest { agent: BRUNO, alert: AlertType::Consult }));
    assert_eq!(rejection.code, RejectionCode::InvalidState, "the supervisor's line is busy");
}

#[test]
fn assistance_on_a_call_consults_or_blind_conferences_the_supervisor() {
    let mut script = alice_talking();
    script.ok(Command::Voice(VoiceCommand::AssistanceRequest { agent: ALICE, alert: AlertType::Consult }));
    let kind = script.center.call(CallId(2)).unwrap().kind;
    assert_eq!(kind, CallKind::Consult { of: CallId(1), purpose: ConsultPurpose::Conference, by: ALICE });
    script.ok(cc(SAM, CallRequest::Answer { call: CallId(2) }));
    script.ok(cc(ALICE, CallRequest::ConferenceComplete { held: CallId(1), active: CallId(2) }));
    assert_eq!(script.center.call(CallId(1)).unwrap().connections.len(), 3);

    let mut script = alice_talking();
    script.ok(Command::Voice(VoiceCommand::EmergencyCall { agent: ALICE, alert: AlertType::BlindConference }));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Talking), (agent(SAM), Alerting)]);
}

#[test]
fn outside_parties_ring_until_the_far_end_answers_when_configured() {
    let desk = DeskSettings { external_parties_answer_at_once: false, ..DeskSettings::default() };
    let mut script = alice_talking();
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(desk)));
    script.ok(consult(ALICE, 1, ConsultPurpose::Transfer, "5550199"));
    assert_eq!(connections(&script, 2), [(agent(ALICE), Talking), (outside("5550199"), Alerting)]);
    let complete = cc(ALICE, CallRequest::TransferComplete { held: CallId(1), active: CallId(2) });
    script.refused_spec(complete.clone(), SpecError::TransferConnectionNotTalking);
    assert_eq!(
        script.refused(Command::Voice(VoiceCommand::ExternalAnswer { call: CallId(2), number: "5550100".into() })).code,
        RejectionCode::InvalidState
    );
    script.ok(Command::Voice(VoiceCommand::ExternalAnswer { call: CallId(2), number: "5550199".into() }));
    script.ok(complete);
}

#[test]
fn the_caller_hanging_up_while_queued_or_ringing_abandons() {
    let mut script = Script::new(&setup());
    script.ok(inbound(CALLER));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking)], "the caller waits in the queue");
    script.ok(Command::Voice(VoiceCommand::ExternalHangup { call: CallId(1), number: CALLER.into() }));
    assert!(script.center.call(CallId(1)).is_none());
    let closed = script.center.contact(ContactId(1)).unwrap();
    assert!(matches!(closed.state, ContactState::Closed { outcome: crate::ContactOutcome::Abandoned, .. }));
    script.ok(ready(1));
    script.ok(inbound(""));
    script.ok(Command::Queue(QueueCommand::CustomerLeft { contact: ContactId(2) }));
    assert_eq!(state(&script, ALICE), AgentState::Ready);
}

#[test]
fn ring_no_answer_puts_the_caller_back_in_the_queue() {
    let mut script = Script::new(&setup());
    script.ok(ready(1));
    script.ok(inbound(CALLER));
    script.expire_next();
    assert_eq!(state(&script, ALICE), AgentState::NotReady);
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking)]);
    script.ok(ready(2));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(BRUNO), Alerting)]);
}

#[test]
fn extensions_are_digits_and_unique_across_dialed_numbers() {
    let mut script = Script::new(&setup());
    let create = |extension: &str| Command::Agent(AgentCommand::CreateAgent(with_extension("erin", extension, None)));
    assert_eq!(script.refused(create("1a")).code, RejectionCode::InvalidField);
    assert_eq!(script.refused(create(&"1".repeat(16))).code, RejectionCode::InvalidField);
    assert_eq!(script.refused(create("101")).code, RejectionCode::DuplicateValue);
    assert_eq!(script.refused(create("800")).code, RejectionCode::DuplicateValue);
    let dialed = |number: &str| {
        Command::Voice(VoiceCommand::CreateDialedNumber(DialedNumberSpec {
            number: number.into(),
            csq: crate::CsqId(1),
        }))
    };
    assert_eq!(script.refused(dialed("101")).code, RejectionCode::DuplicateValue);
    assert_eq!(script.refused(dialed("800")).code, RejectionCode::DuplicateValue);
    script.ok(create("105"));
    script.ok(dialed("801"));
    assert_eq!(script.center.agent_by_extension("105"), Some(AgentId(6)));
    let rejection = script.refused(Command::Queue(QueueCommand::DeleteCsq { id: crate::CsqId(1) }));
    assert_eq!(rejection.code, RejectionCode::InUse);
    let old: crate::AgentSpec = serde_json::from_str(r#"{"login_name":"x","name":"X"}"#).unwrap();
    assert_eq!(old.extension, None, "an agent written before extensions still reads");
}

#[test]
fn call_controls_follow_the_calls() {
    let mut script = Script::new(&setup());
    let controls = script.center.call_controls(ALICE);
    assert!(controls.make_call && controls.supervisor_call && !controls.answer && !controls.hold);
    script.ok(ready(1));
    script.ok(inbound(CALLER));
    let controls = script.center.call_controls(ALICE);
    assert!(controls.answer && !controls.make_call && !controls.release);
    script.ok(cc(ALICE, CallRequest::Answer { call: CallId(1) }));
    let controls = script.center.call_controls(ALICE);
    assert!(controls.hold && controls.release && controls.transfer_init && controls.conference_init);
    assert!(controls.single_step_transfer && controls.send_dtmf && !controls.retrieve && !controls.transfer_complete);
    script.ok(consult(ALICE, 1, ConsultPurpose::Transfer, "102"));
    let controls = script.center.call_controls(ALICE);
    assert!(controls.alternate && controls.reconnect && !controls.transfer_init && !controls.transfer_complete);
    script.ok(cc(BRUNO, CallRequest::Answer { call: CallId(2) }));
    let controls = script.center.call_controls(ALICE);
    assert!(controls.transfer_complete && controls.conference_complete && !controls.retrieve);
    assert_eq!(script.center.call_controls(AgentId(99)), crate::CallControls::default());
    let _unused: Vec<Connection> = Vec::new();
}

/// A desktop that never saw a call begin learns it whole when its agent joins: a routed call
/// rings an agent after it queued, and a transfer moves the consulted agent onto the held call.
#[test]
fn begin_call_reaches_agents_who_join_a_call_under_way() {
    let mut script = Script::new(&setup());
    script.ok(ready(1));
    let events = script.ok(inbound(CALLER));
    let joined: Vec<&Event> = events
        .iter()
        .filter(|event| matches!(event, Event::Voice(VoiceEvent::BeginCall { agents, .. }) if agents == &[ALICE]))
        .collect();
    match joined.as_slice() {
        [Event::Voice(VoiceEvent::BeginCall { call, .. })] => {
            assert_eq!(call.id, CallId(1));
            assert_eq!(call.connections.last(), Some(&Connection { party: agent(ALICE), state: Alerting }));
        }
        other => panic!("one BeginCall for alice, got {other:?}"),
    }
    let position = |events: &[Event], wanted: fn(&Event) -> bool| events.iter().position(wanted);
    let begin = position(
        &events,
        |event| matches!(event, Event::Voice(VoiceEvent::BeginCall { agents, .. }) if agents == &[ALICE]),
    );
    let delivered = position(&events, |event| matches!(event, Event::Voice(VoiceEvent::CallDelivered { .. })));
    assert!(begin < delivered, "BeginCall comes before CallDelivered: {events:?}");

    let mut script = consulting(ConsultPurpose::Transfer);
    let events = script.ok(cc(ALICE, CallRequest::TransferComplete { held: CallId(1), active: CallId(2) }));
    let begin = events.iter().position(
        |event| matches!(event, Event::Voice(VoiceEvent::BeginCall { call, agents }) if call.id == CallId(1) && agents == &[BRUNO]),
    );
    let transferred = events.iter().position(|event| matches!(event, Event::Voice(VoiceEvent::CallTransferred { .. })));
    assert!(begin.is_some() && begin < transferred, "bruno's desktop learns call 1 first: {events:?}");
}

/// The buttons sent with an event are the agent's, and only for events about that agent.
#[test]
fn controls_follow_the_events_about_the_agent() {
    let mut script = alice_talking();
    let events = script.ok(cc(ALICE, CallRequest::Hold { call: CallId(1) }));
    let held =
        events.iter().find(|event| matches!(event, Event::Voice(VoiceEvent::CallHeld { .. }))).expect("CallHeld");
    let audience = script.center.audience(held);
    let controls = script.center.controls_after(ALICE, &audience).expect("alice's buttons");
    assert!(controls.retrieve && !controls.hold && !controls.answer, "{controls:?}");
    assert_eq!(controls, script.center.call_controls(ALICE));
    assert_eq!(script.center.controls_after(BRUNO, &audience), None, "not bruno's event");
    let everyone = crate::Audience::everyone();
    assert_eq!(script.center.controls_after(ALICE, &everyone), None, "configuration changes no buttons");
}

fn monitor(supervisor: AgentId, agent: AgentId) -> Command {
    Command::Voice(VoiceCommand::StartSilentMonitor { supervisor, agent })
}

/// Silent monitoring, CTI OS-based (seeds-ctios.md §2.9): any logged-in state on both sides,
/// across calls until stopped, silent to the agent unless the settings warn, never a party.
#[test]
fn silent_monitoring_follows_the_agent_and_stays_silent() {
    let mut script = Script::new(&setup());
    // Alice is Not Ready with no call: CTI OS-based monitoring starts anyway.
    let events = script.ok(monitor(SAM, ALICE));
    assert_eq!(
        events,
        [Event::Voice(VoiceEvent::SilentMonitorStarted { supervisor: SAM, agent: ALICE, agents: vec![SAM] })]
    );
    assert_eq!(script.center.monitoring(SAM), Some(ALICE));
    let audience = script.center.audience(&events[0]);
    assert!(!audience.reaches(&crate::Viewer::Agent { agent: ALICE }), "silent to the agent");
    assert!(audience.reaches(&crate::Viewer::Agent { agent: SAM }), "the supervisor's own desktop");
    let view = script.center.desk_view(&crate::Viewer::Agent { agent: ALICE });
    assert!(!view.monitored, "no warning unless the settings ask for one");

    // One agent at a time; only a supervisor of the agent's team; not oneself.
    let refusal = script.refused(monitor(SAM, BRUNO));
    assert_eq!(refusal.code, RejectionCode::InvalidState, "{refusal:?}");
    assert!(refusal.message.contains("already monitors agent 1"), "{refusal:?}");
    let refusal = script.refused(monitor(ALICE, BRUNO));
    assert_eq!(refusal.code, RejectionCode::NotPermitted, "{refusal:?}");
    let refusal = script.refused(monitor(SAM, DAVE));
    assert_eq!(refusal.code, RejectionCode::NotPermitted, "dave is in no team: {refusal:?}");

    // A monitor is not a party: alice's call and states go on as without it, held included.
    script.ok(ready(1));
    script.ok(inbound(CALLER));
    script.ok(cc(ALICE, CallRequest::Answer { call: CallId(1) }));
    script.ok(cc(ALICE, CallRequest::Hold { call: CallId(1) }));
    assert_eq!(connections(&script, 1), [(outside(CALLER), Talking), (agent(ALICE), Held)]);
    assert_eq!(state(&script, SAM), AgentState::NotReady, "the supervisor's state is its own");
    // Barge-in is allowed while monitoring (CTI OS-based).
    script.ok(cc(ALICE, CallRequest::Retrieve { call: CallId(1) }));
    script.ok(Command::Voice(VoiceCommand::Supervise {
        supervisor: SAM,
        agent: ALICE,
        call: CallId(1),
        action: SuperviseAction::BargeIn,
    }));
    assert_eq!(script.center.monitoring(SAM), Some(ALICE), "monitoring goes on until stopped");

    // Stop; stopping again is refused and changes nothing.
    let events = script.ok(Command::Voice(VoiceCommand::StopSilentMonitor { supervisor: SAM }));
    assert!(matches!(
        events.as_slice(),
        [Event::Voice(VoiceEvent::SilentMonitorEnded { end: crate::MonitorEnd::Stopped, .. })]
    ));
    let refusal = script.refused(Command::Voice(VoiceCommand::StopSilentMonitor { supervisor: SAM }));
    assert!(refusal.message.contains("not monitoring anyone"), "{refusal:?}");
}

#[test]
fn silent_monitoring_warns_when_asked_ends_at_logout_and_can_be_disabled() {
    let mut script = Script::new(&setup());
    let settings = DeskSettings { warn_if_silent_monitored: true, ..DeskSettings::default() };
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(settings)));
    let events = script.ok(monitor(SAM, BRUNO));
    assert_eq!(
        events,
        [Event::Voice(VoiceEvent::SilentMonitorStarted { supervisor: SAM, agent: BRUNO, agents: vec![BRUNO, SAM] })]
    );
    assert!(script.center.desk_view(&crate::Viewer::Agent { agent: BRUNO }).monitored);
    assert_eq!(script.center.desk_view(&crate::Viewer::Agent { agent: SAM }).monitoring, Some(BRUNO));

    // The agent logging out ends it, with its own event.
    let logout =
        Command::Agent(AgentCommand::SetAgentState { agent: BRUNO, state: AgentStateRequest::Logout, reason: None });
    let events = script.ok(logout);
    assert!(events.contains(&Event::Voice(VoiceEvent::SilentMonitorEnded {
        supervisor: SAM,
        agent: BRUNO,
        end: crate::MonitorEnd::AgentLoggedOut,
        agents: vec![BRUNO, SAM],
    })));
    assert_eq!(script.center.monitoring(SAM), None);
    let refusal = script.refused(monitor(SAM, BRUNO));
    assert!(refusal.message.contains("not logged in"), "{refusal:?}");

    // The supervisor logging out ends it too.
    script.ok(monitor(SAM, CHEN));
    let logout =
        Command::Agent(AgentCommand::SetAgentState { agent: SAM, state: AgentStateRequest::Logout, reason: None });
    let events = script.ok(logout);
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Voice(VoiceEvent::SilentMonitorEnded { end: crate::MonitorEnd::SupervisorLoggedOut, .. })
    )));

    // Disabled in the settings: refused.
    script.ok(Command::Agent(AgentCommand::SetAgentState {
        agent: SAM,
        state: AgentStateRequest::Login,
        reason: None,
    }));
    script.ok(Command::Config(ConfigCommand::SetDeskSettings(DeskSettings {
        silent_monitor_enabled: false,
        ..DeskSettings::default()
    })));
    let refusal = script.refused(monitor(SAM, CHEN));
    assert!(refusal.message.contains("disabled"), "{refusal:?}");
}

/// Calls made are counted once, for the dialer, when the call begins; agents who join it later
/// (a transfer) do not count it.
#[test]
fn calls_made_are_counted_for_the_dialer_once() {
    let mut script = Script::new(&setup());
    script.ok(cc(ALICE, CallRequest::MakeCall { number: "5550199".into() }));
    script.ok(consult(ALICE, 1, ConsultPurpose::Transfer, "102"));
    script.ok(cc(BRUNO, CallRequest::Answer { call: CallId(2) }));
    script.ok(cc(ALICE, CallRequest::TransferComplete { held: CallId(1), active: CallId(2) }));
    let made = |agent| script.center.agent_statistics(agent, 0).unwrap().counters.made_count;
    assert_eq!((made(ALICE), made(BRUNO)), (1, 0), "the consult is not a call made; bruno joined");
}

/// Call variable numbers arrive as JSON object keys, also inside an internally tagged wrapper
/// (the REST and CTI agent actions); a key that is not a number is refused with a clear text.
#[test]
fn call_variable_numbers_read_from_json_keys() {
    #[derive(serde::Deserialize)]
    #[serde(tag = "action", rename_all = "snake_case")]
    enum Wrapped {
        CallControl { request: CallRequest },
    }
    let text = r#"{"action": "call_control", "request": {"set_call_data": {"call": 1, "changes": {"variables": {"3": "VIP"}}}}}"#;
    let Wrapped::CallControl { request } = serde_json::from_str(text).unwrap();
    let CallRequest::SetCallData { changes, .. } = request else { panic!("set_call_data") };
    assert_eq!(changes.variables.get(&3).map(String::as_str), Some("VIP"));
    let bad = r#"{"variables": {"three": "VIP"}}"#;
    let error = serde_json::from_str::<CallDataChanges>(bad).unwrap_err().to_string();
    assert!(error.contains("not a number from 1 to 10"), "{error}");
}
