//! The CI sweep: 200 seeds of the default fault mix over the default center (3 nodes, 200
//! agents, mixed traffic), each a short run so the sweep fits the test budget. Longer runs are
//! the soak: `tandem sim --seeds 10000 --duration 60s` (see README).
//!
//! Four tests of 50 seeds each, so `--test-threads=2` runs two at once. Each seed also runs
//! desktops that fail over between the sides through the nodes' real desk sessions; every seed
//! prints how many sessions, failovers, resumes and reloads its desktops had (`scripts/test`
//! runs the sweep with `--nocapture`).

use tandem_simulation::{run, SimOptions};

const SEEDS_PER_TEST: u64 = 50;
const DURATION_MS: u64 = 20_000;

fn sweep(first: u64) {
    let mut failures = Vec::new();
    let mut call_control = 0;
    let (mut failovers, mut resumes) = (0, 0);
    for seed in first..first + SEEDS_PER_TEST {
        let report = run(&SimOptions::new(seed, DURATION_MS));
        call_control += report.calls_transferred_or_conferenced;
        failovers += report.desk_failovers;
        resumes += report.desk_resumes;
        println!("seed {seed}: {}", report.desk_summary());
        if let Some(violation) = report.violations.first() {
            failures.push(format!("{violation:?}\n  replay: {}", report.replay_command));
        }
    }
    assert!(failures.is_empty(), "{} seeds failed:\n{}", failures.len(), failures.join("\n"));
    assert!(call_control > 0, "the agents transferred or conferenced calls under faults");
    assert!(failovers > 0 && resumes > 0, "desktops failed over ({failovers}) and resumed ({resumes}) under faults");
}

#[test]
fn seeds_1_to_50() {
    sweep(1);
}

#[test]
fn seeds_51_to_100() {
    sweep(51);
}

#[test]
fn seeds_101_to_150() {
    sweep(101);
}

#[test]
fn seeds_151_to_200() {
    sweep(151);
}
