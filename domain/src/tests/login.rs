//! Login lockout (seeds-ctios.md §2.11): consecutive failures lock a user out on every node;
//! and the session keys tokens are signed with (sealed, rotated, retired).

use super::json;
use crate::{Actor, Center, Command, ConfigCommand, Entry, Role, SystemCommand, UserId, UserSpec};
use crate::{LOGIN_LOCKOUT_MS, LOGIN_LOCKOUT_THRESHOLD};

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
const ROOT: UserId = UserId(1);

fn at(time_ms: u64, command: Command) -> Entry {
    Entry { request_id: None, time_ms, command, by: Actor::Operator }
}

fn failed(center: &mut Center, time_ms: u64) {
    assert!(center.apply(&at(time_ms, Command::System(SystemCommand::LoginFailed { user: ROOT }))).is_applied());
}

fn center() -> Center {
    let mut center = Center::default();
    let spec =
        UserSpec { login_name: "root".into(), role: Role::Administrator, agent: None, password_hash: HASH.into() };
    assert!(center.apply(&at(1, Command::Config(ConfigCommand::CreateUser(spec)))).is_applied());
    center
}

/// Hardening hole 5 (login lockout): three wrong passwords in a row lock the user out for 15
/// minutes after the last failed attempt (attempts while locked are not checked and change
/// nothing), and a success or an administrator's change starts over.
#[test]
fn hole_5_consecutive_failed_logins_lock_the_user_out_for_15_minutes_after_the_last_checked() {
    let mut center = center();
    failed(&mut center, 1_000);
    failed(&mut center, 2_000);
    assert_eq!(center.login_locked_until(ROOT, 2_001), None, "two failures do not lock");
    failed(&mut center, 3_000);
    assert_eq!(LOGIN_LOCKOUT_THRESHOLD, 3);
    assert_eq!(center.login_locked_until(ROOT, 3_001), Some(3_000 + LOGIN_LOCKOUT_MS));
    failed(&mut center, 60_000);
    assert_eq!(
        center.login_locked_until(ROOT, 60_000),
        Some(3_000 + LOGIN_LOCKOUT_MS),
        "an attempt while locked was not checked: it does not extend the lockout"
    );
    assert_eq!(center.login_locked_until(ROOT, 3_000 + LOGIN_LOCKOUT_MS), None, "15 minutes after the last");
    failed(&mut center, 3_000 + LOGIN_LOCKOUT_MS);
    assert_eq!(center.login_failures(ROOT), 1, "after a lockout the count starts over");
    assert!(center
        .apply(&at(2 * LOGIN_LOCKOUT_MS, Command::System(SystemCommand::LoginSucceeded { user: ROOT })))
        .is_applied());
    assert_eq!(center.login_failures(ROOT), 0, "a success starts over");
}

#[test]
fn a_failed_login_of_an_unknown_user_changes_nothing() {
    let mut center = center();
    let before = center.clone();
    assert!(center.apply(&at(5, Command::System(SystemCommand::LoginFailed { user: UserId(99) }))).is_applied());
    assert_eq!(center.login_failures(UserId(99)), 0);
    assert_eq!(center.login_failures, before.login_failures);
}

fn add_key(center: &mut Center, time_ms: u64, sealed: &str, replaces: Option<u32>, retire_others: bool) -> bool {
    let command = Command::System(SystemCommand::AddSessionKey { sealed: sealed.into(), replaces, retire_others });
    center.apply(&at(time_ms, command)).is_applied()
}

fn key_ids(center: &Center) -> Vec<u32> {
    center.session_keys().iter().map(|key| key.id).collect()
}

/// Hardening hole 4: the one session key sat in the log in clear and could not change. Now keys
/// arrive sealed (the domain stores what the node sealed), the first proposal wins a race for
/// the first key, a rotation keeps the earlier keys for their tokens' grace, and a rotation
/// can retire them all at once.
#[test]
fn hole_4_session_keys_are_added_sealed_rotated_with_grace_and_retired() {
    let mut center = center();
    assert!(add_key(&mut center, 10, "s1.first", None, false));
    assert!(add_key(&mut center, 11, "s1.lost-the-race", None, false), "a lost race is no error");
    assert_eq!(key_ids(&center), [1]);
    assert_eq!(center.session_key_current().map(|key| (key.sealed.as_str(), key.created_ms)), Some(("s1.first", 10)));

    assert!(add_key(&mut center, 20, "s1.second", Some(1), false));
    assert!(!add_key(&mut center, 21, "s1.stale-rotation", Some(1), true), "a lost rotation is refused");
    assert_eq!(key_ids(&center), [1, 2], "the first key stays for the tokens it signed");
    assert_eq!(center.session_key(1).map(|key| key.sealed.as_str()), Some("s1.first"));

    for (step, time_ms) in (2..12).zip(30..) {
        assert!(add_key(&mut center, time_ms, &format!("s1.key-{step}"), Some(step), false));
    }
    assert_eq!(center.session_keys().len(), crate::SESSION_KEY_COUNT_MAX as usize, "the oldest go first");
    assert_eq!(center.session_key_current().map(|key| key.id), Some(12));

    assert!(add_key(&mut center, 50, "s1.after-a-leak", Some(12), true));
    assert_eq!(key_ids(&center), [13], "every other key retired");

    let before = json(&center);
    for sealed in ["", "has space", &"x".repeat(crate::SESSION_KEY_SEALED_LENGTH_MAX as usize + 1)] {
        assert!(!add_key(&mut center, 60, sealed, Some(13), false), "{sealed:?}");
    }
    let clear = Command::System(SystemCommand::SetSessionKey { key: "0".repeat(64) });
    assert!(!center.apply(&at(61, clear)).is_applied(), "a key in clear is refused");
    assert_eq!(json(&center), before, "refusals changed nothing");
}
