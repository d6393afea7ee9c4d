//! Seeds that once failed, kept passing.

use openraft::Vote;
use tandem_simulation::{run, FaultMix, SimOptions};

/// Seed 1561 (20 s): node 4 granted (term 3, node 1), then (term 3, node 2), so both nodes were
/// elected in term 3, node 2 last. That is openraft's default ("advanced") election, not a
/// safety bug; the checker used to demand one leader per term. (Replay with
/// `TANDEM_LOG=openraft=info` to see both `become leader` lines in term 3.)
#[test]
fn two_leaders_in_one_term_are_openraft_advanced_mode_not_a_violation() {
    let report = run(&SimOptions::new(1561, 20_000));
    assert!(report.passed(), "{:?}", report.violations);
    assert!(report.converged_after_ms.is_some(), "the cluster converges after the heal");
}

/// Stale leaders, which an "increasing leader ids" rule wrongly flagged: seed 5476 (heavy faults,
/// 20 s) completes (term 10, node 1)'s election by a delayed vote response after (10, 2) was
/// elected; seed 3450 (60 s) restarts node 2, which resumes the leadership of (2, 2) from its
/// committed vote while the cluster is in term 6. Neither can commit; both must pass.
#[test]
fn stale_leaders_from_late_vote_responses_and_restarts_are_not_violations() {
    let mut heavy = SimOptions::new(5476, 20_000);
    heavy.faults = FaultMix::parse("heavy").expect("the heavy mix parses");
    let report = run(&heavy);
    assert!(report.passed(), "seed 5476 heavy: {:?}", report.violations);
    let report = run(&SimOptions::new(3450, 60_000));
    assert!(report.passed(), "seed 3450: {:?}", report.violations);
}

/// Seed 17924 (20 s): the witness, leading, committed the operator's removal of itself; the
/// operator's retried `Remove` (its first forwarded attempt had timed out) reached it before its
/// next tick stepped it down, and openraft 0.9.25 panicked in `append_membership` ("Only leader
/// is allowed to call update_effective_membership()"). A leader outside its own membership now
/// refuses membership changes, so the retry reaches the next leader (docs/decisions/0020).
#[test]
fn a_retried_removal_that_reaches_the_removed_leader_is_refused_not_a_panic() {
    let report = run(&SimOptions::new(17924, 20_000));
    assert!(report.passed(), "{:?}", report.violations);
    assert!(report.converged_after_ms.is_some(), "the cluster converges after the heal");
}

/// The checker's reading of leadership rests on openraft's leader-id order: without the
/// `single-term-leader` feature, a greater node id in the same term is a greater vote, even over
/// a committed one. If someone enables that feature, this fails and the checker must be revisited.
#[test]
fn a_same_term_vote_for_a_greater_node_supersedes_a_committed_one() {
    let committed: Vote<u64> = Vote::new_committed(3, 1);
    let candidate: Vote<u64> = Vote::new(3, 2);
    assert!(candidate > committed, "openraft runs in advanced mode: (term, node) is totally ordered");
    assert!(Vote::<u64>::new(3, 1) < Vote::<u64>::new(3, 2));
}
