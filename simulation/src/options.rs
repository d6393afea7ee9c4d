//! What one run is: the seed, how long, which faults at what rates, and which center.
//!
//! Everything a run does follows from these values, so printing them is printing the replay
//! command. The fault mix is a small text format (`default`, `none`, `heavy`, or
//! `kind=rate,...` with rates in faults per simulated minute) because it has to fit on one
//! command line; the center is a TOML file because operators write it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use crate::config::CenterConfig;

/// The fault kinds the harness injects, in the order the schedule draws them.
pub const FAULT_KINDS: [FaultKind; 13] = [
    FaultKind::PartitionSides,
    FaultKind::IsolateLeader,
    FaultKind::IsolateWitness,
    FaultKind::Flapping,
    FaultKind::Asymmetric,
    FaultKind::Delay,
    FaultKind::Loss,
    FaultKind::Duplicate,
    FaultKind::Reorder,
    FaultKind::Crash,
    FaultKind::KillLeader,
    FaultKind::Disk,
    FaultKind::Clock,
];

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    /// Side A cut from side B (the witness reaches both).
    PartitionSides,
    /// The current leader cut from everyone.
    IsolateLeader,
    /// The witness cut from everyone.
    IsolateWitness,
    /// One link going down and up several times.
    Flapping,
    /// One direction of one link cut.
    Asymmetric,
    /// Extra delay on every link of one node.
    Delay,
    /// Message loss on every link of one node.
    Loss,
    /// Messages delivered twice on every link of one node.
    Duplicate,
    /// Wide delay jitter on every link of one node, so messages overtake each other.
    Reorder,
    /// A random node crashes (unsynced writes lost) and restarts later.
    Crash,
    /// The current leader crashes, at whatever point its work has reached.
    KillLeader,
    /// A failing write or sync on one node's disk.
    Disk,
    /// One node's clock jumps or drifts.
    Clock,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::PartitionSides => "partition",
            FaultKind::IsolateLeader => "isolate-leader",
            FaultKind::IsolateWitness => "isolate-witness",
            FaultKind::Flapping => "flapping",
            FaultKind::Asymmetric => "asymmetric",
            FaultKind::Delay => "delay",
            FaultKind::Loss => "loss",
            FaultKind::Duplicate => "duplicate",
            FaultKind::Reorder => "reorder",
            FaultKind::Crash => "crash",
            FaultKind::KillLeader => "kill-leader",
            FaultKind::Disk => "disk",
            FaultKind::Clock => "clock",
        }
    }

    fn from_name(name: &str) -> Option<FaultKind> {
        FAULT_KINDS.into_iter().find(|kind| kind.name() == name)
    }
}

/// Faults per simulated minute of the fault phase, per kind, and whether operators change the
/// membership during the run.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultMix {
    /// The text it was parsed from, for the replay command.
    pub spec: String,
    pub rates: BTreeMap<FaultKind, f64>,
    /// Operators add a node, promote it and remove the witness mid-run.
    pub operators: bool,
}

/// A `--faults` value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --faults '{spec}': {reason}")]
pub struct FaultMixError {
    pub spec: String,
    pub reason: String,
}

/// The rate cap: more faults per minute than this only keeps the cluster down.
pub const FAULT_RATE_PER_MINUTE_MAX: f64 = 60.0;

impl FaultMix {
    /// The default mix: every kind, each one to three times a simulated minute.
    pub fn default_mix() -> FaultMix {
        FaultMix::parse("default").unwrap_or_else(|_| FaultMix::none())
    }

    pub fn none() -> FaultMix {
        FaultMix { spec: "none".into(), rates: BTreeMap::new(), operators: false }
    }

    /// `default`, `none`, `heavy`, or a comma-separated list of `kind=rate` (faults per
    /// simulated minute) and `operators=on|off`, applied over `default` when it starts with
    /// `default,` and over `none` otherwise.
    pub fn parse(spec: &str) -> Result<FaultMix, FaultMixError> {
        let error = |reason: String| FaultMixError { spec: spec.to_string(), reason };
        let mut parts = spec.split(',').map(str::trim).filter(|part| !part.is_empty()).peekable();
        let mut mix = FaultMix { spec: spec.to_string(), rates: BTreeMap::new(), operators: false };
        match parts.peek().copied() {
            Some("default") => {
                parts.next();
                mix.rates = default_rates(3.0);
                mix.operators = true;
            }
            Some("heavy") => {
                parts.next();
                mix.rates = default_rates(10.0);
                mix.operators = true;
            }
            Some("none") => {
                parts.next();
            }
            _ => {}
        }
        for part in parts {
            let Some((key, value)) = part.split_once('=') else {
                return Err(error(format!("'{part}' is not kind=rate")));
            };
            let (key, value) = (key.trim(), value.trim());
            if key == "operators" {
                mix.operators = match value {
                    "on" | "true" | "1" => true,
                    "off" | "false" | "0" => false,
                    other => return Err(error(format!("operators must be on or off, not '{other}'"))),
                };
                continue;
            }
            let Some(kind) = FaultKind::from_name(key) else {
                let known: Vec<&str> = FAULT_KINDS.iter().map(|kind| kind.name()).collect();
                return Err(error(format!("unknown fault '{key}'; known: {}, operators", known.join(", "))));
            };
            let rate: f64 = value.parse().map_err(|_| error(format!("rate '{value}' for {key} is not a number")))?;
            if !(0.0..=FAULT_RATE_PER_MINUTE_MAX).contains(&rate) {
                return Err(error(format!("rate {rate} for {key} must be between 0 and {FAULT_RATE_PER_MINUTE_MAX}")));
            }
            mix.rates.insert(kind, rate);
        }
        Ok(mix)
    }

    pub fn rate(&self, kind: FaultKind) -> f64 {
        self.rates.get(&kind).copied().unwrap_or(0.0)
    }
}

fn default_rates(scale: f64) -> BTreeMap<FaultKind, f64> {
    let base = [
        (FaultKind::PartitionSides, 1.0),
        (FaultKind::IsolateLeader, 1.0),
        (FaultKind::IsolateWitness, 0.5),
        (FaultKind::Flapping, 0.5),
        (FaultKind::Asymmetric, 0.5),
        (FaultKind::Delay, 1.0),
        (FaultKind::Loss, 1.0),
        (FaultKind::Duplicate, 1.0),
        (FaultKind::Reorder, 1.0),
        (FaultKind::Crash, 1.0),
        (FaultKind::KillLeader, 1.0),
        (FaultKind::Disk, 0.5),
        (FaultKind::Clock, 0.5),
    ];
    base.into_iter().map(|(kind, rate)| (kind, rate * scale)).collect()
}

/// A bug to plant, to show the harness finds it. Hidden from `tandem sim --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Plant {
    /// (a) chat and email capacity ignored by routing (in the domain).
    Capacity,
    /// (b) the node answers a write before it is committed (in the node shell).
    EarlyAck,
    /// (c) routing ties broken in hash order (in the domain).
    Tie,
    /// A `HashSet` iterated in apply (in the domain): caught by the determinism check.
    HashOrder,
    /// A node's desk host loses an event right after a desktop resumes on it (the classic
    /// failover gap; in the simulator's stand-in for the CTI handler).
    DeskGap,
    /// A node's desk host catches a desktop up with every event, not only those meant for it.
    DeskLeak,
}

impl Plant {
    pub const ALL: [Plant; 6] =
        [Plant::Capacity, Plant::EarlyAck, Plant::Tie, Plant::HashOrder, Plant::DeskGap, Plant::DeskLeak];

    /// Whether this build can plant bugs at all (the `planted-bugs` feature).
    pub const AVAILABLE: bool = cfg!(feature = "planted-bugs");

    pub fn name(self) -> &'static str {
        match self {
            Plant::Capacity => "capacity",
            Plant::EarlyAck => "early-ack",
            Plant::Tie => "tie",
            Plant::HashOrder => "hash-order",
            Plant::DeskGap => "desk-gap",
            Plant::DeskLeak => "desk-leak",
        }
    }

    pub fn parse(name: &str) -> Result<Plant, String> {
        if !Plant::AVAILABLE {
            return Err("this build plants no bugs: they are compiled only into the simulator's own tests \
                        (cargo test -p tandem-simulation --features planted-bugs)"
                .to_owned());
        }
        Plant::ALL.into_iter().find(|plant| plant.name() == name).ok_or_else(|| {
            let known: Vec<&str> = Plant::ALL.iter().map(|plant| plant.name()).collect();
            format!("unknown planted bug '{name}'; known: {}", known.join(", "))
        })
    }
}

/// One run of the simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub seed: u64,
    /// Simulated time of the whole run, the liveness phase included.
    pub duration_ms: u64,
    pub faults: FaultMix,
    pub center: CenterConfig,
    /// The `--config` path the center came from, for the replay command.
    pub config_path: Option<PathBuf>,
    pub plants: Vec<Plant>,
}

impl SimOptions {
    /// The default run: the built-in center (3 nodes, 200 agents, mixed traffic), default faults.
    pub fn new(seed: u64, duration_ms: u64) -> SimOptions {
        SimOptions {
            seed,
            duration_ms,
            faults: FaultMix::default_mix(),
            center: CenterConfig::default_center(),
            config_path: None,
            plants: Vec::new(),
        }
    }

    /// The one command that replays this run exactly.
    pub fn replay_command(&self) -> String {
        let mut command = format!("tandem sim --seed {} --duration {}", self.seed, format_duration(self.duration_ms));
        if self.faults.spec != "default" {
            command.push_str(&format!(" --faults '{}'", self.faults.spec));
        }
        if let Some(path) = &self.config_path {
            command.push_str(&format!(" --config '{}'", path.display()));
        }
        for plant in &self.plants {
            command.push_str(&format!(" --plant {}", plant.name()));
        }
        command
    }

    /// When faults stop and the liveness phase starts: the last quarter of the run, at least
    /// [`LIVENESS_PHASE_MS_MIN`].
    pub fn heal_at_ms(&self) -> u64 {
        let liveness = (self.duration_ms / 4).max(LIVENESS_PHASE_MS_MIN);
        self.duration_ms.saturating_sub(liveness)
    }
}

/// The shortest liveness phase: enough for restarts, an election and catch-up.
pub const LIVENESS_PHASE_MS_MIN: u64 = 8_000;

/// Parses `90`, `90s`, `15m`, `2h` or `500ms` into milliseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("invalid duration '{text}': expected e.g. 90s, 15m, 2h"))?;
    let scale = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        other => return Err(format!("invalid duration unit '{other}' in '{text}': use ms, s, m or h")),
    };
    number.checked_mul(scale).ok_or_else(|| format!("duration '{text}' is too long"))
}

pub fn format_duration(ms: u64) -> String {
    if ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1_000) {
        format!("{}s", ms / 1_000)
    } else {
        format!("{ms}ms")
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
