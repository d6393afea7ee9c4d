//! Login lockout (seeds-ctios.md §2.11): consecutive failures lock a user out on every node.

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
/// minutes after the last failed attempt, attempts while locked extend it, and a success or an
/// administrator's change starts over.
#[test]
fn hole_5_consecutive_failed_logins_lock_the_user_out_for_15_minutes_after_the_last() {
    let mut center = center();
    failed(&mut center, 1_000);
    failed(&mut center, 2_000);
    assert_eq!(center.login_locked_until(ROOT, 2_001), None, "two failures do not lock");
    failed(&mut center, 3_000);
    assert_eq!(LOGIN_LOCKOUT_THRESHOLD, 3);
    assert_eq!(center.login_locked_until(ROOT, 3_001), Some(3_000 + LOGIN_LOCKOUT_MS));
    failed(&mut center, 60_000);
    assert_eq!(
        center.login_locked_until(ROOT, 60_000 + LOGIN_LOCKOUT_MS - 1),
        Some(60_000 + LOGIN_LOCKOUT_MS),
        "extended"
    );
    assert_eq!(center.login_locked_until(ROOT, 60_000 + LOGIN_LOCKOUT_MS), None, "15 minutes after the last");
    failed(&mut center, 60_000 + LOGIN_LOCKOUT_MS);
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
