//! `tandem run`: open storage, start the replica and the listeners, seed the demo, serve until
//! told to stop.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tandem_actors::{Edge, NodeHost, NodeSeams};
use tandem_raft::clock::{Clock, ScaledClock, SystemClock};
use tandem_raft::https::HttpsTransport;
use tandem_raft::{Replica, Transport, TransportError};
use tandem_storage::RocksStore;

use crate::config::{ApiTls, NodeConfig};
use crate::http;
use crate::metrics::Metrics;

/// Applied events a node keeps for streams to resume from (about 100 MB at most).
const EVENT_LOG_RETAINED_MAX: usize = 200_000;
/// How often the leader looks for due deadlines: a timer fires at most this late.
const TIMER_TICK_MS: u64 = 50;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A cluster member's configuration file (TOML; see deploy/local/ for examples). Every key
    /// can be overridden by an environment variable: TANDEM_NODE_ID, TANDEM_DATA_DIR,
    /// TANDEM_RAFT__HEARTBEAT_MS, ... Without a file: the embedded single-node default.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Do not seed the demo contact center on first start.
    #[arg(long)]
    pub no_demo: bool,
    /// Serve the API over HTTPS with a certificate generated on first start (in <data-dir>/tls).
    #[arg(long)]
    pub tls: bool,
    /// Where the data lives (default ./tandem-data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Where the API listens (default 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Play customers for the demo center (callers, chat customers, email senders, one every
    /// few seconds) so a desktop shows contacts arriving. For trying Tandem out, not production.
    #[arg(long)]
    pub demo_traffic: bool,
    /// Run the center's time N times faster than the wall clock (deadlines, timeouts, expiries,
    /// statistics), so a sticky email timeout of hours can be watched in minutes. For
    /// evaluating a single node only: refused in a cluster configuration.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=CLOCK_RATE_MAX as i64))]
    pub clock_rate: u32,
}

/// The fastest `--clock-rate`: an hour a second.
pub const CLOCK_RATE_MAX: u32 = 3_600;

/// `--clock-rate` above 1 is for one node alone: nodes of a cluster running their clocks at
/// different rates would stamp entries out of step, and a failover would turn time back.
fn clock_rate_checked(config: &NodeConfig, rate: u32) -> Result<(), String> {
    if rate > 1 && (config.raft_listen.is_some() || !config.initial_members.is_empty()) {
        return Err(format!(
            "--clock-rate {rate} is for evaluating a single node; this configuration is a cluster member \
             (raft_listen or initial_members is set). Run the embedded default to try it."
        ));
    }
    Ok(())
}

/// The node's transport: mutual-TLS HTTPS, or nothing for a single node with no peers.
#[derive(Clone)]
pub enum NodeTransport {
    Https(HttpsTransport),
    Alone,
}

impl Transport for NodeTransport {
    async fn call(
        &self,
        target: tandem_raft::NodeId,
        raft_addr: &str,
        path: &'static str,
        body: Vec<u8>,
        deadline: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        match self {
            NodeTransport::Https(https) => https.call(target, raft_addr, path, body, deadline).await,
            NodeTransport::Alone => Err(TransportError::Unreachable(format!(
                "{raft_addr}: this node has no node-to-node listener configured (raft_listen and tls)"
            ))),
        }
    }
}

pub type NodeReplica = Replica<NodeTransport>;

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut config = NodeConfig::load(args.config.as_deref()).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    if args.no_demo {
        config.demo = false;
    }
    if args.tls {
        config.api_tls = ApiTls::Generate;
    }
    if let Some(data_dir) = args.data_dir {
        config.data_dir = data_dir;
    }
    if let Some(listen) = args.listen {
        config.api_listen = listen;
    }
    config.validate().map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    clock_rate_checked(&config, args.clock_rate).map_err(anyhow::Error::msg)?;
    if args.demo_traffic && (!config.demo || config.side == tandem_raft::Side::Witness) {
        anyhow::bail!("--demo-traffic plays customers for the demo center: it needs the demo (not --no-demo) and a node that serves clients (not a witness)");
    }
    // An actix system on a multi-threaded tokio runtime: actors run on the system's thread,
    // Raft and the listeners on the runtime's workers.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    actix::System::with_tokio_rt(|| runtime).block_on(serve(config, args.demo_traffic, args.clock_rate))
}

/// An error opening the data directory; when RocksDB or the snapshot says it is corrupt, the
/// error says so and how to rebuild the node from its peers (it holds nothing they lack).
fn corrupt_or(config: &NodeConfig, message: String) -> anyhow::Error {
    if !message.contains("Corruption") && !message.contains("corrupt") {
        return anyhow::anyhow!("{message}");
    }
    let (id, dir) = (config.node_id, config.data_dir.display());
    anyhow::anyhow!(
        "the data directory {dir} is corrupt: {message}\n\
         This node cannot start from it. In a cluster its peers hold every write it acknowledged; rebuild it from them:\n  \
         1. on a running node: tandem cluster remove-node --node <its API URL> --id {id}\n  \
         2. move {dir} aside (keep it for a post-mortem)\n  \
         3. start this node with its configuration minus [[initial_members]], so it waits to be added\n  \
         4. tandem cluster add-node --node <API URL> --id {id} ... then tandem cluster promote --node <API URL> --id {id}\n\
         A single node has no peers: restore its data directory from a backup."
    )
}

/// The names this node's certificate must carry: its id and the host peers call it at.
fn own_names(config: &NodeConfig) -> anyhow::Result<tandem_raft::https::OwnNames> {
    Ok(tandem_raft::https::OwnNames::new(config.node_id, config.raft_addr().as_deref())?)
}

async fn serve(config: NodeConfig, demo_traffic: bool, clock_rate: u32) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let store = RocksStore::open(&config.data_dir.join("db")).map_err(|e| corrupt_or(&config, e.to_string()))?;
    let (token, token_created) = crate::token::load_or_create(&config.data_dir, config.admin_token.as_deref())?;

    let transport = match &config.tls {
        Some(files) => NodeTransport::Https(HttpsTransport::new(files, own_names(&config)?)?),
        None => NodeTransport::Alone,
    };
    let scaled = (clock_rate > 1).then(|| Arc::new(ScaledClock::new(clock_rate)));
    let clock: Arc<dyn Clock> = match &scaled {
        Some(scaled) => scaled.clone(),
        None => Arc::new(SystemClock),
    };
    let cluster_key = Arc::new(crate::secrets::load_cluster_key(&config)?);
    tracing::info!(fingerprint = cluster_key.fingerprint(), "cluster key loaded");
    let tuning = &config.raft;
    let host = NodeHost::start(NodeSeams {
        node_id: config.node_id,
        cluster_name: "tandem",
        timing: tandem_raft::RaftTiming {
            heartbeat_ms: tuning.heartbeat_ms,
            election_timeout_min_ms: tuning.election_timeout_min_ms,
            election_timeout_max_ms: tuning.election_timeout_max_ms,
            snapshot_every_entries: tuning.snapshot_every_entries,
            keep_entries_after_snapshot: tuning.keep_entries_after_snapshot,
        },
        write_timeout: Duration::from_millis(tuning.write_timeout_ms),
        flush: tandem_raft::Flush::Background,
        store: Arc::new(store),
        transport,
        clock: clock.clone(),
        event_log_retained_max: EVENT_LOG_RETAINED_MAX,
        timer_tick: Duration::from_millis(TIMER_TICK_MS),
    })
    .await
    .map_err(|error| corrupt_or(&config, error.to_string()))?;
    let replica = host.replica.clone();
    if let Some(scaled) = &scaled {
        scaled.continue_from(replica.state().read().center.time_ms());
    }

    let voters: BTreeMap<_, _> = if !config.initial_members.is_empty() {
        config.initial_members.iter().map(|m| (m.node_id, m.member())).collect()
    } else if config.raft_listen.is_none() {
        BTreeMap::from([(config.node_id, config.member())])
    } else {
        BTreeMap::new() // A joining node: the leader adds it.
    };
    // Initialising makes a node campaign at once. The witness does not initialise: it waits to
    // hear from side A or B, so the first leader is a node that serves clients.
    let initialises = !voters.is_empty() && config.side != tandem_raft::Side::Witness;
    let initialised = if initialises { replica.initialize(voters.clone()).await? } else { false };
    let seeds_demo = initialised && config.demo && voters.keys().next() == Some(&config.node_id);
    let passwords = Arc::new(crate::credentials::PasswordWorkers::start(password_threads())?);
    let demo_password = if seeds_demo {
        let (password, _) = crate::token::demo_password(&config.data_dir)?;
        tokio::spawn(crate::http::seed_demo(replica.clone(), passwords.clone(), password.clone()));
        Some(password)
    } else {
        None
    };

    let Edge { events, fanout } = host.edge.clone();
    let queues = host.queues.clone();

    let metrics = Arc::new(Metrics::new(replica.rpc_error_counter()));
    let state = http::AppState {
        replica: replica.clone(),
        token: Arc::new(token.clone()),
        config: Arc::new(config.clone()),
        metrics,
        events,
        clock,
        fanout,
        queues,
        passwords,
        failure: host.failure.clone(),
        logins: Arc::new(http::doors::LoginLimiter::new(config.logins.clone())),
        cluster_key,
    };
    let _mailboxes = crate::mail::mailboxes::spawn(state.clone())?;
    let api = http::api_server(state.clone())?;
    let raft_server = match (&config.raft_listen, &config.tls) {
        (Some(listen), Some(files)) => Some(http::raft_server(state.clone(), *listen, files, own_names(&config)?)?),
        _ => None,
    };

    println!("Tandem node {} (side {}) is up.", config.node_id, config.side);
    println!("  API:       {}", config.api_url());
    if config.side != tandem_raft::Side::Witness {
        println!("  desktop:   {}/desktop", config.api_url());
    }
    if let Some(raft_addr) = config.raft_addr() {
        println!("  raft:      {raft_addr} (mutual TLS)");
    }
    println!("  data:      {}", config.data_dir.display());
    if clock_rate > 1 {
        println!("  clock:     the center's time runs {clock_rate} times faster than real time (evaluation only)");
    }
    let token_path = config.data_dir.join(crate::token::TOKEN_FILE);
    if token_created {
        // Never printed: terminals and logs keep what is printed.
        println!("  admin token: generated into {} (readable by you only)", token_path.display());
    } else if config.admin_token.is_none() {
        println!("  admin token: in {}", token_path.display());
    }
    let demo_path = config.data_dir.join(crate::token::DEMO_PASSWORD_FILE);
    if demo_password.is_some() || demo_path.exists() {
        let logins: Vec<String> = tandem_domain::DEMO_USERS
            .iter()
            .map(|(login, role, _)| match role {
                tandem_domain::Role::Agent => (*login).to_owned(),
                role => format!("{login} ({})", role.as_str()),
            })
            .collect();
        println!("  demo logins: {}", logins.join(", "));
        match &demo_password {
            Some(password) => println!("  demo password (shown once; saved in {}): {password}", demo_path.display()),
            None => println!("  demo password: in {}", demo_path.display()),
        }
    }

    if demo_traffic {
        let target = crate::cli::Target {
            node: config.api_url(),
            token: Some(token.clone()),
            token_file: None,
            ca: None,
            // The node's own certificate, reached by its own address.
            insecure: config.api_tls != ApiTls::None,
        };
        println!("  demo traffic: callers, chat customers and email senders arrive every few seconds");
        tokio::spawn(crate::demo_traffic::play(target));
    }

    tokio::spawn(exit_on_failure(state.clone()));

    let api_handle = api.handle();
    let raft_handle = raft_server.as_ref().map(|s| s.handle());
    let api_task = tokio::spawn(api);
    let raft_task = raft_server.map(tokio::spawn);
    wait_for_signal().await;
    tracing::info!("shutting down");
    host.abort();
    api_handle.stop(true).await;
    if let Some(handle) = raft_handle {
        handle.stop(true).await;
    }
    if let Err(e) = replica.raft().shutdown().await {
        tracing::warn!(error = %e, "Raft shutdown");
    }
    // The server tasks end once stopped; their results only repeat errors already logged.
    drop(api_task);
    drop(raft_task);
    Ok(())
}

/// How long a failed node stays up, refusing, before it exits: long enough for a readiness
/// probe and the desktops to see it go.
const FAILURE_EXIT_DELAY: Duration = Duration::from_secs(1);
/// The exit status of a node that stepped aside (EX_SOFTWARE): a supervisor restarts it.
pub const FAILURE_EXIT_STATUS: i32 = 70;

/// Once the node host has stepped aside (its Raft stopped), exits for the supervisor (systemd,
/// Kubernetes) to restart the node, unless `exit_on_failure` is off.
async fn exit_on_failure(state: http::AppState) {
    let reason = loop {
        tokio::time::sleep(tandem_actors::FAILURE_CHECK_INTERVAL).await;
        if let Some(reason) = state.failure.get() {
            break reason.clone();
        }
    };
    if state.config.exit_on_failure {
        tokio::time::sleep(FAILURE_EXIT_DELAY).await;
        eprintln!("tandem: node {} stopped: {reason}", state.config.node_id);
        std::process::exit(FAILURE_EXIT_STATUS);
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    biased;
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Password workers: one per core, at most four (each hash holds 19 MiB while it runs).
fn password_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().min(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_faster_clock_is_for_a_single_node_only() {
        let single = NodeConfig::embedded();
        assert_eq!(clock_rate_checked(&single, 60), Ok(()));
        assert_eq!(clock_rate_checked(&single, 1), Ok(()));
        let member = NodeConfig { raft_listen: Some(SocketAddr::from(([127, 0, 0, 1], 9443))), ..single };
        assert_eq!(clock_rate_checked(&member, 1), Ok(()), "real time suits every node");
        let refused = clock_rate_checked(&member, 60);
        assert!(refused.is_err_and(|message| message.contains("single node")));
    }
}
