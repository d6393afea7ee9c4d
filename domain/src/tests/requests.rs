//! Request ids (a retried or forwarded request applies once) and monotonic time.

use super::routing::inject;
use super::{center_from, floor_setup, json, skill};
use crate::{Center, Channel, Command, Entry, Outcome, RejectionCode, RequestId, SkillId};
use crate::{ConfigCommand, SystemCommand};
use crate::{REQUEST_ID_REMEMBERED_COUNT_MAX, REQUEST_ID_REMEMBERED_WINDOW_MS, REQUEST_ID_WINDOW_COUNT_MAX};

fn entry_with(request_id: &str, time_ms: u64, command: Command) -> Entry {
    Entry { request_id: Some(RequestId(request_id.to_owned())), time_ms, command, by: crate::Actor::Operator }
}

#[test]
fn replay_returns_the_remembered_outcome_and_changes_nothing() {
    let mut center = Center::default();
    let first = center.apply(&entry_with("r1", 10, skill("Sales")));
    assert!(first.is_applied());
    let before = center.clone();
    let bytes_before = json(&center);
    let replay = center.apply(&entry_with("r1", 99, skill("Sales")));
    assert_eq!(replay, first, "a replay gets the first outcome, created id included");
    assert_eq!(center, before);
    assert_eq!(json(&center), bytes_before);
    assert_eq!(center.time_ms(), 10, "a replay does not advance time");
    assert_eq!(center.skills().count(), 1);
}

#[test]
fn same_request_id_with_another_command_is_refused() {
    let mut center = Center::default();
    assert!(center.apply(&entry_with("r1", 1, skill("Sales"))).is_applied());
    let before = center.clone();
    let outcome = center.apply(&entry_with("r1", 2, skill("Support")));
    let rejection = outcome.rejection().unwrap();
    assert_eq!(rejection.code, RejectionCode::DuplicateRequest);
    assert_eq!(rejection.message, "request_id \"r1\" was already used for a different command");
    assert_eq!(center, before);
}

#[test]
fn request_id_rules() {
    let rows: [(&str, String, Option<RejectionCode>); 6] = [
        ("one character", "a".into(), None),
        ("64 characters", "r".repeat(64), None),
        ("64 multi-byte characters", "ř".repeat(64), None),
        ("65 characters", "r".repeat(65), Some(RejectionCode::InvalidRequestId)),
        ("empty", String::new(), Some(RejectionCode::InvalidRequestId)),
        ("control character", "r\n1".into(), Some(RejectionCode::InvalidRequestId)),
    ];
    for (rule, request_id, expected) in rows {
        let mut center = Center::default();
        let outcome = center.apply(&entry_with(&request_id, 5, Command::System(SystemCommand::Noop)));
        assert_eq!(outcome.rejection().map(|rejection| rejection.code), expected, "{rule}");
        if expected.is_some() {
            assert_eq!(center, Center::default(), "{rule}: rejection changed the center");
        } else {
            assert!(center.entry_replays(&entry_with(&request_id, 6, Command::System(SystemCommand::Noop))), "{rule}");
        }
    }
}

#[test]
fn rejected_requests_are_not_remembered() {
    let mut center = Center::default();
    assert!(center.apply(&entry_with("setup", 1, skill("Sales"))).is_applied());
    let duplicate = entry_with("r2", 2, skill("sales"));
    assert!(!center.apply(&duplicate).is_applied());
    assert!(!center.request_remembered(&RequestId("r2".into())));
    assert!(center
        .apply(&entry_with("fix", 3, Command::Config(ConfigCommand::DeleteSkill { id: SkillId(1) })))
        .is_applied());
    assert!(center.apply(&duplicate).is_applied(), "once the conflict is gone the retry applies");
}

/// Hardening hole 2: "applies once" held for the last 10,000 request ids only, under a second
/// at 15,000 commands/s, so a desktop that re-sent a buffered request after a failover had it
/// applied twice. Now an id is remembered for a window of center time, whatever came between.
#[test]
fn hole_2_a_request_retried_after_a_failover_at_15000_commands_per_second_applies_once() {
    let mut center = center_from("queue", &floor_setup(Channel::Chat));
    let first = entry_with("desk-1", 1_000, inject(Channel::Chat, 1));
    let Outcome::Applied(applied) = center.apply(&first) else { panic!("the contact arrives") };
    let created = applied.created.expect("a contact was created");
    let contacts = center.contacts().count();
    // One second at 15,000 commands/s from other desktops, then a 30 s failover.
    for index in 0..15_000_u64 {
        let settings = Command::Config(ConfigCommand::SetDeskSettings(crate::DeskSettings::default()));
        assert!(center.apply(&entry_with(&format!("other-{index}"), 1_000 + index / 15, settings)).is_applied());
    }
    let before = center.clone();
    let retry = Entry { time_ms: 32_000, ..first.clone() };
    let Outcome::Applied(replay) = center.apply(&retry) else { panic!("the retry is answered as applied") };
    assert_eq!(replay.created, Some(created), "the retry learns the contact it created");
    assert!(replay.answer_forgotten && replay.events.is_empty(), "its events are no longer held");
    assert_eq!(center.contacts().count(), contacts, "the retry created no second contact");
    assert_eq!(center, before, "the retry changed nothing");
    let other = entry_with("desk-1", 32_000, inject(Channel::Voice, 1));
    assert_eq!(center.apply(&other).rejection().map(|rejection| rejection.code), Some(RejectionCode::DuplicateRequest));
    // Past the window the id is forgotten: a client stops retrying long before.
    let late = Entry { time_ms: 1_000 + REQUEST_ID_REMEMBERED_WINDOW_MS, ..first };
    assert!(center.apply(&entry_with("tick", late.time_ms, Command::System(SystemCommand::Noop))).is_applied());
    let Outcome::Applied(again) = center.apply(&late) else { panic!("a new request") };
    assert!(!again.answer_forgotten && again.created != Some(created), "outside the window it is a new request");
}

#[test]
fn recent_requests_keep_their_whole_answer_and_older_ones_a_digest() {
    let mut center = Center::default();
    let count = u64::from(REQUEST_ID_REMEMBERED_COUNT_MAX) + 1;
    let settings = Command::Config(ConfigCommand::SetDeskSettings(crate::DeskSettings::default()));
    let mut answers = Vec::new();
    for index in 0..count {
        answers.push(center.apply(&entry_with(&format!("r{index}"), index, settings.clone())));
    }
    assert_eq!(center.request_remembered_count(), REQUEST_ID_REMEMBERED_COUNT_MAX + 1);
    assert!(center.request_remembered(&RequestId("r0".into())), "the first id is still held");
    let before = center.clone();
    let Outcome::Applied(aged) = center.apply(&entry_with("r0", count, settings.clone())) else { panic!("replay") };
    assert!(aged.answer_forgotten, "r0 moved to the compact tier");
    assert_eq!(center.apply(&entry_with("r1", count, settings)), answers[1], "r1 is answered in full");
    assert!(center.apply(&entry_with("r0", count, skill("Other"))).rejection().is_some(), "r0 still guards");
    assert!(center.apply(&entry_with("r1", count, skill("Other"))).rejection().is_some(), "r1 still guards");
    assert_eq!(center, before);
}

#[test]
fn a_window_full_of_ids_refuses_new_ones_rather_than_forget_early() {
    let mut log = crate::request_log::RequestLog::default();
    let settings = Command::Config(ConfigCommand::SetDeskSettings(crate::DeskSettings::default()));
    let applied = crate::Applied::default();
    for index in 0..u64::from(REQUEST_ID_WINDOW_COUNT_MAX) {
        assert!(log.admits(index / 1_000).is_ok());
        log.remember(RequestId(format!("r{index}")), settings.clone(), applied.clone(), index / 1_000);
    }
    let now_ms = u64::from(REQUEST_ID_WINDOW_COUNT_MAX) / 1_000;
    let refusal = log.admits(now_ms).expect_err("the window is full");
    assert_eq!(refusal.code, RejectionCode::RateLimited);
    assert!(log.admits(REQUEST_ID_REMEMBERED_WINDOW_MS).is_ok(), "once the oldest leaves the window");
}

#[test]
fn time_never_goes_backwards() {
    let mut center = Center::default();
    let steps: [(&str, Command, u64, u64); 5] = [
        ("first entry sets time", Command::System(SystemCommand::Noop), 100, 100),
        ("an earlier stamp keeps the later time", Command::System(SystemCommand::Noop), 50, 100),
        ("a later stamp advances time", skill("Sales"), 200, 200),
        ("a rejected entry does not advance time", skill("SALES"), 300, 200),
        ("equal stamps keep time", Command::System(SystemCommand::Noop), 200, 200),
    ];
    for (rule, command, time_ms, expected_ms) in steps {
        let _outcome: Outcome = center.apply(&Entry { request_id: None, time_ms, command, by: crate::Actor::Operator });
        assert_eq!(center.time_ms(), expected_ms, "{rule}");
    }
}

/// Hardening hole 3: the cluster's own request ids live in a namespace no client can write. A
/// client that used the id the next timer expiry will carry does not stop that expiry.
#[test]
fn a_client_cannot_take_the_request_id_of_a_timer() {
    let mut center = Center::default();
    assert!(center.apply(&entry_with("expire-7", 1, skill("Sales"))).is_applied());
    let noop = Command::System(SystemCommand::Noop);
    let outcome = center.apply(&entry_with("expire-7", 2, noop.clone()));
    assert!(outcome.is_applied(), "the cluster's command applies: {outcome:?}");
    assert!(center.entry_replays(&entry_with("expire-7", 3, noop)), "and is remembered in its own namespace");
    assert!(center.request_remembered(&RequestId("expire-7".into())), "the client's stays remembered too");
    let outcome = center.apply(&entry_with("expire-7", 4, skill("Support")));
    assert_eq!(outcome.rejection().map(|rejection| rejection.code), Some(RejectionCode::DuplicateRequest));
}
