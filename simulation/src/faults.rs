//! The fault schedule: drawn from the seed before the run starts, so it can be printed.
//!
//! Every fault has a start, a duration and a target. Targets that depend on the run ("the
//! leader") are named symbolically in the schedule and resolved when the fault fires, which is
//! still deterministic: the run up to that point is. Faults stop at the start of the liveness
//! phase, when everything is healed at once.

use std::fmt;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::options::{FaultKind, FaultMix, FAULT_KINDS};

/// One scheduled fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Simulated time from the start of traffic.
    pub at_ms: u64,
    pub kind: FaultKind,
    pub duration_ms: u64,
    /// Which node or link, as an index into the nodes present when it fires.
    pub pick: u32,
    /// The fault's strength: delay, per-mille rate, clock jump, or disk fault kind.
    pub amount: i64,
}

/// Draws the faults of one run's fault phase (`0..fault_phase_ms` of traffic time).
pub fn schedule(rng: &mut ChaCha8Rng, mix: &FaultMix, fault_phase_ms: u64) -> Vec<Fault> {
    let mut faults = Vec::new();
    if fault_phase_ms == 0 {
        return faults;
    }
    let minutes = fault_phase_ms as f64 / 60_000.0;
    for kind in FAULT_KINDS {
        let expected = mix.rate(kind) * minutes;
        let mut count = expected.floor() as u64;
        if rng.gen_bool((expected - expected.floor()).clamp(0.0, 1.0)) {
            count += 1;
        }
        for _ in 0..count {
            let at_ms = rng.gen_range(0..fault_phase_ms);
            let duration_ms = match kind {
                FaultKind::Disk => 0,
                FaultKind::Crash | FaultKind::KillLeader => rng.gen_range(300..6_000),
                _ => rng.gen_range(500..8_000),
            };
            let amount = match kind {
                FaultKind::Delay => rng.gen_range(20..300),
                FaultKind::Loss => rng.gen_range(50..500),
                FaultKind::Duplicate => rng.gen_range(50..500),
                FaultKind::Reorder => rng.gen_range(10..200),
                FaultKind::Disk => rng.gen_range(0..2),
                FaultKind::Clock => {
                    let jump_seconds = rng.gen_range(1..600);
                    if rng.gen_bool(0.5) {
                        jump_seconds
                    } else {
                        -jump_seconds
                    }
                }
                FaultKind::Flapping => rng.gen_range(200..1_000),
                _ => 0,
            };
            faults.push(Fault { at_ms, kind, duration_ms, pick: rng.gen(), amount });
        }
    }
    faults.sort_by_key(|fault| (fault.at_ms, fault.kind));
    faults
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.at_ms as f64 / 1_000.0;
        let lasting = self.duration_ms as f64 / 1_000.0;
        let what = match self.kind {
            FaultKind::PartitionSides => "side A cut from side B".to_string(),
            FaultKind::IsolateLeader => "the leader isolated".to_string(),
            FaultKind::IsolateWitness => "the witness isolated".to_string(),
            FaultKind::Flapping => format!("link #{} flapping every {} ms", self.pick % 16, self.amount),
            FaultKind::Asymmetric => format!("one direction of link #{} cut", self.pick % 16),
            FaultKind::Delay => format!("node #{} links +{} ms", self.pick % 4, self.amount),
            FaultKind::Loss => format!("node #{} links lose {}‰", self.pick % 4, self.amount),
            FaultKind::Duplicate => format!("node #{} links duplicate {}‰", self.pick % 4, self.amount),
            FaultKind::Reorder => format!("node #{} links jitter {} ms", self.pick % 4, self.amount),
            FaultKind::Crash => format!("node #{} crashes", self.pick % 4),
            FaultKind::KillLeader => "the leader crashes".to_string(),
            FaultKind::Disk => {
                let what = if self.amount == 0 { "write" } else { "sync" };
                return write!(f, "{at:>9.3}s  disk: node #{} fails its next {what}", self.pick % 4);
            }
            FaultKind::Clock if self.pick.is_multiple_of(2) => {
                format!("node #{} clock jumps {:+} s", self.pick % 4, self.amount)
            }
            FaultKind::Clock => format!("node #{} clock drifts {:+} %", self.pick % 4, self.amount.signum() * 5),
        };
        write!(f, "{at:>9.3}s  {}: {what} for {lasting:.1}s", self.kind)
    }
}
