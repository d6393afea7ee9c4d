//! Planted bugs are found: each test plants one, sweeps seeds until the harness reports a
//! violation (or, for nondeterminism, a trace mismatch), and checks the report names the
//! command that replays it. Every sweep is bounded by its seed count.

#![cfg(feature = "planted-bugs")]

use tandem_simulation::{check_determinism, run, Plant, Report, SimOptions};

/// Seeds a planted bug must be found within.
const SEED_COUNT_MAX: u64 = 100;
const DURATION_MS: u64 = 30_000;

fn options(seed: u64, plant: Plant) -> SimOptions {
    let mut options = SimOptions::new(seed, DURATION_MS);
    options.plants = vec![plant];
    options
}

fn first_failure(plant: Plant, invariant: &str) -> Report {
    for seed in 1..=SEED_COUNT_MAX {
        let report = run(&options(seed, plant));
        if let Some(violation) = report.violations.first() {
            assert_eq!(violation.invariant, invariant, "seed {seed}: {violation:?}");
            return report;
        }
    }
    panic!("planted bug {} not found within {SEED_COUNT_MAX} seeds", plant.name());
}

fn assert_replayable(report: &Report, plant: Plant) {
    let expected = format!("tandem sim --seed {} --duration 30s --plant {}", report.seed, plant.name());
    assert_eq!(report.replay_command, expected);
}

#[test]
fn skipping_the_capacity_check_is_found() {
    let report = first_failure(Plant::Capacity, "no agent over capacity");
    assert_replayable(&report, Plant::Capacity);
}

#[test]
fn acknowledging_before_commit_is_found() {
    let report = first_failure(Plant::EarlyAck, "acknowledged writes are committed");
    assert_replayable(&report, Plant::EarlyAck);
}

#[test]
fn a_desk_session_that_loses_an_event_after_a_resume_is_found() {
    let report = first_failure(Plant::DeskGap, "a desktop sees every event meant for it exactly once, in order");
    assert_replayable(&report, Plant::DeskGap);
}

#[test]
fn a_desk_session_that_shows_others_events_is_found() {
    let report = first_failure(Plant::DeskLeak, "a desktop never sees an event not meant for it");
    assert_replayable(&report, Plant::DeskLeak);
}

#[test]
fn a_nondeterministic_tie_rule_is_found() {
    let report = first_failure(Plant::Tie, "every replica applies the same prefix");
    assert_replayable(&report, Plant::Tie);
}

#[test]
fn hash_order_in_apply_is_caught_by_the_determinism_check() {
    // The tie bug iterates a HashSet in apply; run each seed twice until the traces differ.
    for seed in 1..=SEED_COUNT_MAX / 4 {
        let mut options = options(seed, Plant::Tie);
        options.duration_ms = 15_000;
        if let Err(pair) = check_determinism(&options) {
            let (first, second) = *pair;
            assert_ne!(first.trace_hash, second.trace_hash);
            assert!(first.replay_command.contains("--plant tie"), "{}", first.replay_command);
            return;
        }
    }
    panic!("two runs of every seed with a HashSet iterated in apply gave the same trace");
}
