//! Deterministic simulation of a whole Tandem cluster, reproducible from one seed.
//!
//! Why: Raft and the routing core are only as good as their behaviour under partitions,
//! crashes, slow and failing disks and skewed clocks, and those faults are rare, racy and
//! unrepeatable on real machines. Here the real replicas (openraft, the log store and state
//! machine, the domain) run side by side on one thread in virtual time, the network, disks and
//! clocks are simulated behind the same seams production uses, and every choice comes from the
//! seed. A failing seed replays exactly; the harness prints the command that does it.
//!
//! What it refuses: no code path differs from production except those seams (`Transport`,
//! `Store`, `Clock`, `Flush::Inline`, openraft's seeded generator); nothing reads the wall
//! clock or an unseeded random source inside a run; no checker changes the cluster.
//!
//! Start at [`run`]; `tandem sim` is its command line (docs/decisions/0020-simulation.md).

pub mod checker;
pub mod cluster;
pub mod config;
pub mod desktops;
pub mod faults;
pub mod options;
pub mod run;
pub mod trace;
pub mod workload;

pub use checker::Violation;
pub use config::{CenterConfig, ConfigError};
pub use options::{parse_duration, FaultKind, FaultMix, Plant, SimOptions};
pub use run::{check_determinism, run, run_with_progress, Progress, Report};
