//! `tandem sim`: the deterministic simulator from the command line.
//!
//! Operators run it against their own center (`--config`) before a busy hour; developers run
//! sweeps and replay failures. This module only parses arguments, draws the progress bar and
//! prints; the simulation itself is `tandem_simulation`. A failing seed prints its fault
//! schedule and the one command that replays it; the exit status is non-zero.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use tandem_simulation::{CenterConfig, FaultMix, Plant, Report, SimOptions};

/// Arguments of `tandem sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// The seed to run, or the first seed of a sweep.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many seeds to run, from --seed upward.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    /// Simulated time per seed, e.g. 90s, 15m, 2h (the last quarter, at least 8 s, has no faults).
    #[arg(long, default_value = "60s", value_parser = tandem_simulation::parse_duration)]
    duration: u64,
    /// Fault mix: default, none, heavy, or kind=rate,... in faults per simulated minute (kinds:
    /// partition, isolate-leader, isolate-witness, flapping, asymmetric, delay, loss, duplicate,
    /// reorder, crash, kill-leader, disk, clock; plus operators=on|off).
    #[arg(long, default_value = "default")]
    faults: String,
    /// The center to simulate: a TOML file with skills, teams, agents, CSQs and traffic.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print one JSON object per seed instead of text.
    #[arg(long)]
    json: bool,
    /// Run every seed twice and fail if the two traces differ.
    #[arg(long)]
    check_determinism: bool,
    /// Plant a bug to see the simulator find it (capacity, early-ack, tie, hash-order).
    #[arg(long, hide = true)]
    plant: Vec<String>,
}

pub fn sim(args: SimArgs) -> anyhow::Result<()> {
    let faults = FaultMix::parse(&args.faults)?;
    let center = match &args.config {
        Some(path) => CenterConfig::load(path)?,
        None => CenterConfig::default_center(),
    };
    let plants =
        args.plant.iter().map(|name| Plant::parse(name)).collect::<Result<Vec<_>, _>>().map_err(anyhow::Error::msg)?;
    let last = args.seed.checked_add(args.seeds.max(1) - 1).context("--seed + --seeds overflows")?;
    let started = std::time::Instant::now();
    let mut failed = Vec::new();
    let mut totals = Totals::default();
    let bar = progress_bar(&args);
    for seed in args.seed..=last {
        let options = SimOptions {
            seed,
            duration_ms: args.duration,
            faults: faults.clone(),
            center: center.clone(),
            config_path: args.config.clone(),
            plants: plants.clone(),
        };
        let (report, deterministic) = run_one(&options, args.check_determinism, &bar, args.seeds);
        if args.seeds > 1 {
            bar.inc(1);
        }
        totals.add(&report);
        if args.json {
            println!("{}", json(&report, deterministic));
        } else if args.seeds == 1 || !report.passed() || !deterministic {
            bar.suspend(|| print_report(&report, deterministic, args.seeds == 1));
        }
        if !report.passed() || !deterministic {
            failed.push(report.replay_command.clone());
        }
    }
    bar.finish_and_clear();
    let wall_s = started.elapsed().as_secs_f64();
    if !args.json && args.seeds > 1 {
        let per_minute = args.seeds as f64 / (wall_s / 60.0).max(1e-9);
        println!(
            "{} seeds in {wall_s:.1} s wall ({per_minute:.1} seeds/min): {} failed; {:.1} simulated s per wall s; \
             {} faults, {} invariant checks, {} contacts routed, {} calls transferred or conferenced, \
             worst failover gap {} ms; desktops: {} sessions, {} failovers, {} resumed, {} reloads",
            args.seeds,
            failed.len(),
            totals.simulated_ms as f64 / (totals.wall_ms.max(1) as f64),
            totals.faults,
            totals.checks,
            totals.routed,
            totals.call_control,
            totals.worst_gap_ms,
            totals.desk_sessions,
            totals.desk_failovers,
            totals.desk_resumes,
            totals.desk_reloads
        );
    }
    if let Some(first) = failed.first() {
        // A failing seed is a result, not an error of the command: print the summary and exit 1,
        // without the anyhow report (and its backtrace when RUST_BACKTRACE is set).
        eprintln!("{} of {} seeds failed; replay the first with: {first}", failed.len(), args.seeds);
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        std::process::exit(1);
    }
    Ok(())
}

fn run_one(options: &SimOptions, twice: bool, bar: &indicatif::ProgressBar, seeds: u64) -> (Report, bool) {
    let report = tandem_simulation::run_with_progress(options, &mut |progress| {
        if seeds == 1 {
            bar.set_length(progress.total_ms / 1_000);
            bar.set_position(progress.simulated_ms / 1_000);
        }
    });
    if !twice {
        return (report, true);
    }
    let again = tandem_simulation::run(options);
    let same = again.trace_hash == report.trace_hash && again.trace_record_count == report.trace_record_count;
    (report, same)
}

fn progress_bar(args: &SimArgs) -> indicatif::ProgressBar {
    if args.json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let (length, template) = if args.seeds > 1 {
        (args.seeds, "{bar:40} {pos}/{len} seeds {elapsed_precise} eta {eta}")
    } else {
        (args.duration / 1_000, "{bar:40} {pos}/{len} simulated s {elapsed_precise}")
    };
    let bar = indicatif::ProgressBar::new(length);
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

#[derive(Default)]
struct Totals {
    simulated_ms: u64,
    wall_ms: u64,
    faults: u64,
    checks: u64,
    routed: u64,
    call_control: u64,
    worst_gap_ms: u64,
    desk_sessions: u64,
    desk_failovers: u64,
    desk_resumes: u64,
    desk_reloads: u64,
}

impl Totals {
    fn add(&mut self, report: &Report) {
        self.simulated_ms += report.simulated_ms;
        self.wall_ms += report.wall_ms;
        self.faults += report.faults_injected;
        self.checks += report.invariant_checks;
        self.routed += report.contacts_routed;
        self.call_control += report.calls_transferred_or_conferenced;
        self.worst_gap_ms = self.worst_gap_ms.max(report.worst_failover_gap_ms);
        self.desk_sessions += report.desk_sessions;
        self.desk_failovers += report.desk_failovers;
        self.desk_resumes += report.desk_resumes;
        self.desk_reloads += report.desk_reloads;
    }
}

fn print_report(report: &Report, deterministic: bool, with_schedule: bool) {
    let verdict = if report.passed() && deterministic { "passed" } else { "FAILED" };
    println!("seed {}: {verdict}", report.seed);
    println!(
        "  simulated {:.1} s in {:.2} s wall ({:.0}x); {} trace events, {} faults injected, {} invariant checks",
        report.simulated_ms as f64 / 1_000.0,
        report.wall_ms as f64 / 1_000.0,
        report.speed(),
        report.trace_record_count,
        report.faults_injected,
        report.invariant_checks
    );
    println!(
        "  {} contacts injected, {} routed, {} calls transferred or conferenced, {} writes acknowledged; \
         {} messages ({} dropped, {} duplicated); {} leaders; worst failover gap {} ms; converged {}",
        report.contacts_injected,
        report.contacts_routed,
        report.calls_transferred_or_conferenced,
        report.writes_acknowledged,
        report.messages,
        report.messages_dropped,
        report.messages_duplicated,
        report.leader_changes,
        report.worst_failover_gap_ms,
        report.converged_after_ms.map_or("never".to_string(), |ms| format!("{ms} ms after faults stopped"))
    );
    println!("  {}", report.desk_summary());
    println!("  trace hash {:016x}", report.trace_hash);
    if with_schedule || !report.passed() || !deterministic {
        println!("  fault schedule ({} faults, times from the start of traffic):", report.fault_schedule.len());
        for fault in &report.fault_schedule {
            println!("    {fault}");
        }
    }
    for violation in &report.violations {
        println!(
            "  VIOLATION at {:.3} s: {}: {}",
            violation.at_ms as f64 / 1_000.0,
            violation.invariant,
            violation.detail
        );
    }
    if !deterministic {
        println!("  NONDETERMINISM: a second run of this seed produced a different trace");
    }
    if !report.passed() || !deterministic {
        println!("  replay: {}", report.replay_command);
    }
}

fn json(report: &Report, deterministic: bool) -> serde_json::Value {
    serde_json::json!({
        "seed": report.seed,
        "passed": report.passed() && deterministic,
        "deterministic": deterministic,
        "replay": report.replay_command,
        "simulated_ms": report.simulated_ms,
        "wall_ms": report.wall_ms,
        "speed_simulated_per_wall": report.speed(),
        "trace_hash": format!("{:016x}", report.trace_hash),
        "trace_events": report.trace_record_count,
        "faults_injected": report.faults_injected,
        "fault_schedule": report.fault_schedule,
        "invariant_checks": report.invariant_checks,
        "contacts_injected": report.contacts_injected,
        "contacts_routed": report.contacts_routed,
        "calls_transferred_or_conferenced": report.calls_transferred_or_conferenced,
        "writes_acknowledged": report.writes_acknowledged,
        "messages": report.messages,
        "messages_dropped": report.messages_dropped,
        "messages_duplicated": report.messages_duplicated,
        "leader_changes": report.leader_changes,
        "worst_failover_gap_ms": report.worst_failover_gap_ms,
        "converged_after_ms": report.converged_after_ms,
        "desktops": report.desktops,
        "desk_sessions": report.desk_sessions,
        "desk_failovers": report.desk_failovers,
        "desk_resumes": report.desk_resumes,
        "desk_reloads": report.desk_reloads,
        "desk_events_delivered": report.desk_events_delivered,
        "violations": report.violations.iter().map(|v| serde_json::json!({
            "at_ms": v.at_ms, "invariant": v.invariant, "detail": v.detail
        })).collect::<Vec<_>>(),
    })
}
