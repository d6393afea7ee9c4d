//! The serde forms: limits serde enforces, stable names, and lossless snapshots.

use super::{center_from, json};
use crate::{
    demo_commands, AgentSpec, Center, Channel, Command, Entry, ReasonCodeSpec, ReasonKind, Rejection, RejectionCode,
    Selection, SkillId, SkillSpec,
};
use crate::{AgentCommand, SystemCommand};

#[test]
fn reason_code_value_is_a_u16() {
    let rows = [
        ("65535 fits", r#"{"kind":"not_ready","value":65535,"label":"Break"}"#, true),
        ("65536 is outside u16", r#"{"kind":"not_ready","value":65536,"label":"Break"}"#, false),
        ("negative is outside u16", r#"{"kind":"logout","value":-1,"label":"Break"}"#, false),
        ("fractions are not values", r#"{"kind":"logout","value":1.5,"label":"Break"}"#, false),
        ("unknown kind", r#"{"kind":"ready","value":1,"label":"Break"}"#, false),
        ("unknown field", r#"{"kind":"logout","value":1,"label":"Break","colour":"red"}"#, false),
    ];
    for (rule, text, accepted) in rows {
        let parsed = serde_json::from_str::<ReasonCodeSpec>(text);
        assert_eq!(parsed.is_ok(), accepted, "{rule}: {parsed:?}");
    }
}

#[test]
fn specs_refuse_unknown_fields_and_default_optional_ones() {
    assert!(serde_json::from_str::<SkillSpec>(r#"{"name":"Sales","colour":"red"}"#).is_err());
    let agent: AgentSpec = serde_json::from_str(r#"{"login_name":"alice","name":"Alice"}"#).unwrap();
    assert_eq!((agent.alias, agent.team, agent.skills.len()), (None, None, 0));
    let bad_entry = r#"{"request_id":null,"time_ms":1,"command":"Noop","extra":1}"#;
    assert!(serde_json::from_str::<Entry>(bad_entry).is_err());
    let entry: Entry = serde_json::from_str(r#"{"time_ms":1,"command":"Noop"}"#).unwrap();
    assert_eq!(entry.request_id, None);
}

#[test]
fn names_on_the_wire() {
    assert_eq!(serde_json::to_string(&Channel::Email).unwrap(), r#""email""#);
    assert_eq!(serde_json::to_string(&Selection::LongestAvailable).unwrap(), r#""longest_available""#);
    assert_eq!(serde_json::to_string(&Selection::MostSkilled).unwrap(), r#""most_skilled""#);
    assert_eq!(serde_json::to_string(&ReasonKind::NotReady).unwrap(), r#""not_ready""#);
    assert_eq!(serde_json::to_string(&SkillId(7)).unwrap(), "7");
    assert_eq!("7".parse::<SkillId>().unwrap(), SkillId(7));
    assert_eq!(SkillId(7).to_string(), "7");
    for code in RejectionCode::ALL {
        assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{}\"", code.as_str()));
    }
    let rejection = Rejection::new(RejectionCode::EmailCsqLimit, "full");
    assert_eq!(rejection.to_string(), "email_csq_limit: full");
}

#[test]
fn a_spec_rejection_carries_its_number_and_others_omit_it() {
    let plain = Rejection::new(RejectionCode::NotFound, "skill 9 does not exist");
    assert_eq!(serde_json::to_string(&plain).unwrap(), r#"{"code":"not_found","message":"skill 9 does not exist"}"#);
    let spec = Rejection::from(crate::SpecError::CannotTransitionToReady);
    let text = serde_json::to_string(&spec).unwrap();
    assert_eq!(
        text,
        r#"{"code":"invalid_state","message":"Cannot transition to READY from current state.","spec_code":10111}"#
    );
    assert_eq!(serde_json::from_str::<Rejection>(&text).unwrap(), spec);
    let unknown: Rejection =
        serde_json::from_str(r#"{"code":"invalid_state","message":"x","spec_code":77777}"#).unwrap();
    assert_eq!(unknown.spec_code, Some(crate::SpecCode(77777)), "unknown numbers survive");
    assert_eq!(unknown.spec_error(), None);
}

#[test]
fn http_statuses() {
    use RejectionCode::*;
    let rows = [
        (NotFound, 404),
        (DuplicateName, 409),
        (DuplicateValue, 409),
        (InUse, 409),
        (EmailCsqLimit, 409),
        (LimitExceeded, 409),
        (DuplicateRequest, 409),
        (InvalidField, 422),
        (UnknownSkill, 422),
        (UnknownTeam, 422),
        (UnknownAgent, 422),
        (InvalidRequestId, 422),
        (InvalidState, 409),
        (UnknownCsq, 422),
        (RateLimited, 429),
        (NotPermitted, 403),
        (Forbidden, 403),
    ];
    assert_eq!(rows.len(), RejectionCode::ALL.len(), "every code has a row");
    for (code, status) in rows {
        assert_eq!(code.http_status(), status, "{code}");
    }
}

#[test]
fn a_center_survives_a_snapshot_round_trip() {
    let mut center = center_from("demo", &demo_commands());
    let request = Entry {
        request_id: Some(crate::RequestId("r".into())),
        time_ms: 5,
        command: Command::System(SystemCommand::Noop),
        by: crate::Actor::Operator,
    };
    assert!(center.apply(&request).is_applied());
    let bytes = json(&center);
    let restored: Center = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(restored, center);
    assert_eq!(json(&restored), bytes);
    let outcome: crate::Outcome =
        serde_json::from_str(&serde_json::to_string(&center.clone().apply(&request)).unwrap()).unwrap();
    assert!(outcome.is_applied());
}

#[test]
fn a_configuration_only_snapshot_of_the_previous_release_is_upgraded() {
    let center = center_from("demo", &demo_commands());
    let mut value: serde_json::Value = serde_json::from_slice(&json(&center)).unwrap();
    let kept = ["time_ms", "skills", "agents", "teams", "csqs", "reason_codes", "requests"];
    value.as_object_mut().unwrap().retain(|key, _| kept.contains(&key.as_str()));
    let mut restored: Center = serde_json::from_value(value).unwrap();
    super::assert_invariants(&restored);
    assert_eq!(restored.agent_statuses().count(), 8, "every agent has a status again");
    for csq in center.csqs() {
        assert_eq!(restored.csq_resources(csq.id), center.csq_resources(csq.id), "CSQ {} index rebuilt", csq.id);
    }
    let current: Center = serde_json::from_slice(&json(&center)).unwrap();
    assert_eq!(current, center, "a snapshot of this release reads back unchanged");
    let login = Command::Agent(AgentCommand::SetAgentState {
        agent: crate::AgentId(1),
        state: crate::AgentStateRequest::Login,
        reason: None,
    });
    assert!(restored
        .apply(&Entry { request_id: None, time_ms: 100, command: login, by: crate::Actor::Operator })
        .is_applied());
}

/// Every command and event as the code before the domain was grouped by channel wrote them
/// (recorded from the domain's tests, the simulator and the black-box tests, one line per
/// variant and shape): they must read back and write out byte for byte, so Raft logs,
/// snapshots, remembered requests, forwarded writes and the public event JSON stay as they
/// were. `C` lines are entries, `E` lines events.
const FORMAT_1: &str = include_str!("fixtures/wire-format1.tsv");

#[test]
fn commands_and_events_read_and_write_as_format_1_did() {
    let (mut commands, mut events) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    for (number, line) in FORMAT_1.lines().enumerate() {
        let (kind, text) = line.split_once('\t').unwrap_or_else(|| panic!("line {}: no tab", number + 1));
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let (written, tagged) = match kind {
            "C" => {
                let entry: Entry = serde_json::from_str(text).unwrap_or_else(|error| panic!("{text}: {error}"));
                (serde_json::to_string(&entry).unwrap(), value["command"].clone())
            }
            "E" => {
                let event: crate::Event = serde_json::from_str(text).unwrap_or_else(|error| panic!("{text}: {error}"));
                (serde_json::to_string(&event).unwrap(), value)
            }
            other => panic!("line {}: kind {other}", number + 1),
        };
        assert_eq!(written, text, "written back byte for byte");
        let name = match &tagged {
            serde_json::Value::String(name) => name.clone(),
            serde_json::Value::Object(map) => map.keys().next().cloned().unwrap_or_default(),
            other => panic!("{other}"),
        };
        if kind == "C" {
            commands.insert(name)
        } else {
            events.insert(name)
        };
    }
    // Every variant but the simulator's PlantBugs.
    assert_eq!((commands.len(), events.len()), (83, 81), "every command and event is pinned");
}

#[test]
fn unknown_or_malformed_commands_and_events_are_refused_with_serdes_reason() {
    let unknown = serde_json::from_str::<Command>(r#"{"Teleport":{"agent":1}}"#).unwrap_err().to_string();
    assert!(unknown.starts_with("unknown variant `Teleport`, expected one of"), "{unknown}");
    let missing = serde_json::from_str::<Command>(r#"{"SetAgentState":{"state":"login"}}"#).unwrap_err().to_string();
    assert!(missing.starts_with("missing field `agent`"), "{missing}");
    let extra = serde_json::from_str::<Command>(r#"{"DeleteUser":{"id":1,"colour":"red"}}"#).unwrap_err().to_string();
    assert!(extra.starts_with("unknown field `colour`"), "{extra}");
    let unit = serde_json::from_str::<Command>(r#""Noop""#);
    assert_eq!(unit.ok(), Some(Command::System(SystemCommand::Noop)));
    let event = serde_json::from_str::<crate::Event>(r#"{"Teleported":1}"#).unwrap_err().to_string();
    assert!(event.starts_with("unknown variant `Teleported`, expected one of"), "{event}");
}

#[test]
fn a_variant_name_belongs_to_one_group() {
    for names in [Command::variant_names(), crate::Event::variant_names()] {
        let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "a name in two groups would be read as the first's: {names:?}");
    }
    let planted = usize::from(cfg!(feature = "planted-bugs"));
    assert_eq!((Command::variant_names().len(), crate::Event::variant_names().len()), (86 + planted, 81));
}
