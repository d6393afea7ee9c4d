//! `tandem`: run a node, operate a cluster, make certificates.
//!
//! The binary is the wiring layer: it reads configuration, opens RocksDB, starts the Raft
//! replica and the HTTP listeners, and offers the operator commands. No contact-center rule
//! lives here; requests become domain commands and go through Raft.

mod call;

// The client library retries a request only while every node still remembers it.
const _: () =
    assert!(2 * tandem_client::session::REQUEST_RETRY_AGE_MAX_MS <= tandem_domain::REQUEST_ID_REMEMBERED_WINDOW_MS);

mod certs;
mod cli;
mod config;
mod credentials;
mod demo_traffic;
mod http;
mod mail;
mod metrics;
mod run;
mod secrets;
mod sim;
mod token;

use clap::{Parser, Subcommand};

/// Tandem: an open-source, highly available contact center.
#[derive(Debug, Parser)]
#[command(name = "tandem", version, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// How log lines are written to stderr: `text` for people, `json` (one object per line)
    /// for a log pipeline. The access log (target `access`) and the audit log (target
    /// `audit`: logins and every change through the API, with the acting user) are among them.
    #[arg(long, global = true, value_enum, default_value = "text", env = "TANDEM_LOG_FORMAT")]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a node. With no options: a single-node contact center on http://127.0.0.1:8080 with its
    /// data in ./tandem-data and a demo configuration.
    Run(run::RunArgs),
    /// Inspect and change cluster membership through any node's API.
    #[command(subcommand)]
    Cluster(cli::ClusterCommand),
    /// Create a cluster CA and node certificates for node-to-node mutual TLS (`rotate`: reissue them).
    Certs(certs::CertsArgs),
    /// Simulate a cluster deterministically under faults, from a seed (replays exactly).
    Sim(sim::SimArgs),
    /// Place calls to a dialed number at a steady rate, as callers who wait, talk and hang up.
    Call(call::CallArgs),
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The simulator injects faults on purpose; their log lines would bury its report.
    let default_filter = if matches!(args.command, Command::Sim(_)) { "off" } else { "info,openraft=warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TANDEM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Text => logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(false).init(),
    }
    match args.command {
        Command::Run(args) => run::run(args),
        Command::Cluster(command) => cli::cluster(command),
        Command::Certs(args) => certs::run(args),
        Command::Sim(args) => sim::sim(args),
        Command::Call(args) => call::call(args),
    }
}
