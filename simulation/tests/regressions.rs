//! Seeds that once failed, kept passing.

use openraft::Vote;
use tandem_simulation::{run, SimOptions};

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

/// The checker's election rule rests on openraft's leader-id order: without the
/// `single-term-leader` feature, a greater node id in the same term is a greater vote, even over
/// a committed one. If someone enables that feature, this fails and the checker must be revisited.
#[test]
fn a_same_term_vote_for_a_greater_node_supersedes_a_committed_one() {
    let committed: Vote<u64> = Vote::new_committed(3, 1);
    let candidate: Vote<u64> = Vote::new(3, 2);
    assert!(candidate > committed, "openraft runs in advanced mode: (term, node) is totally ordered");
    assert!(Vote::<u64>::new(3, 1) < Vote::<u64>::new(3, 2));
}
