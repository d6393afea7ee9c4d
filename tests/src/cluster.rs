//! A cluster of `tandem` processes: certificates, one config file and data directory per node,
//! start, SIGKILL, and the node's own view of Raft through `GET /api/v1/cluster/status`.
//!
//! The cluster owns its processes. Dropping it kills every one of them; when the drop happens
//! during a panic it first prints the tail of each node's log, which is where the reason is.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tempfile::TempDir;

use crate::client::ApiClient;
use crate::{free_port, run_cli, tandem_command, wait_until};

/// The admin token every clustered test node is configured with.
pub const TOKEN: &str = "test-token-0123456789abcdef";
/// How long a node may take from spawn to answering `/healthz`, or a cluster to elect a leader.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Lines of each log printed when a test fails.
const LOG_TAIL_LINE_COUNT: usize = 40;

/// The `[raft]` section of every node's configuration.
#[derive(Clone, Debug)]
pub struct RaftTuning {
    pub heartbeat_ms: u64,
    pub election_timeout_min_ms: u64,
    pub election_timeout_max_ms: u64,
    pub snapshot_every_entries: u64,
    pub keep_entries_after_snapshot: u64,
    pub write_timeout_ms: u64,
}

/// One node's own view, as `GET /api/v1/cluster/status` returns it.
#[derive(Clone, Debug, Deserialize)]
pub struct Status {
    pub node_id: u64,
    pub side: String,
    pub role: String,
    pub term: u64,
    pub leader_id: Option<u64>,
    pub last_log_index: Option<u64>,
    pub applied_index: Option<u64>,
    pub snapshot_index: Option<u64>,
    pub purged_index: Option<u64>,
    pub voters: Vec<u64>,
    pub learners: Vec<u64>,
    pub members: BTreeMap<u64, Value>,
    pub replication: Option<Value>,
}

/// One `tandem run` process and everything needed to start it again.
pub struct Node {
    pub id: u64,
    pub side: &'static str,
    /// Holds `node.toml`, `data/`, `stdout.log` and `stderr.log`.
    pub dir: PathBuf,
    pub api_port: u16,
    pub raft_port: Option<u16>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    child: Option<Child>,
    client: ApiClient,
}

/// Nodes sharing a CA, a token and Raft tuning, in one temporary directory.
pub struct Cluster {
    token: String,
    tuning: RaftTuning,
    certs_dir: PathBuf,
    nodes: BTreeMap<u64, Node>,
    /// Dropped after the nodes are killed (see `Drop`), so no process writes into a removed tree.
    root: TempDir,
}

impl RaftTuning {
    /// Loopback timings: a dead leader is replaced in under a second.
    pub fn fast() -> RaftTuning {
        RaftTuning {
            heartbeat_ms: 100,
            election_timeout_min_ms: 400,
            election_timeout_max_ms: 800,
            snapshot_every_entries: 10_000,
            keep_entries_after_snapshot: 10_000,
            write_timeout_ms: 5_000,
        }
    }

    fn toml(&self) -> String {
        format!(
            "[raft]\nheartbeat_ms = {}\nelection_timeout_min_ms = {}\nelection_timeout_max_ms = {}\n\
             snapshot_every_entries = {}\nkeep_entries_after_snapshot = {}\nwrite_timeout_ms = {}\n",
            self.heartbeat_ms,
            self.election_timeout_min_ms,
            self.election_timeout_max_ms,
            self.snapshot_every_entries,
            self.keep_entries_after_snapshot,
            self.write_timeout_ms
        )
    }
}

impl Node {
    /// Spawns the process with stdout and stderr appended to files in the node's directory.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "node {} is already started", self.id);
        let stdout = append(&self.dir.join("stdout.log"));
        let stderr = append(&self.dir.join("stderr.log"));
        let mut command = tandem_command();
        command.args(&self.args).stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("spawning node {}: {e}", self.id));
        self.child = Some(child);
    }

    /// SIGKILL (no clean shutdown) and reap. A node that is not running is left alone.
    pub fn kill(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        // Kill fails only if the process already exited; wait() reaps it either way.
        if let Err(error) = child.kill() {
            eprintln!("node {}: kill: {error}", self.id);
        }
        if let Err(error) = child.wait() {
            eprintln!("node {}: wait after kill: {error}", self.id);
        }
    }

    /// Whether the process was started and has not exited.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            None => false,
            Some(child) => matches!(child.try_wait(), Ok(None)),
        }
    }

    /// How the process ended, once it has (none while it runs or was never started).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().and_then(|child| child.try_wait().ok().flatten())
    }

    /// Panics with the log tail if the node was started but has exited.
    pub fn assert_alive(&mut self) {
        let Some(child) = &mut self.child else { return };
        if let Ok(Some(status)) = child.try_wait() {
            panic!("node {} exited unexpectedly ({status}).\n{}", self.id, self.log_tail());
        }
    }

    pub fn is_started(&self) -> bool {
        self.child.is_some()
    }

    /// The running process's id, if started.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The running process's resident memory in MiB (`VmRSS` from /proc), for benchmarks.
    pub fn resident_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse::<f64>().ok().map(|kib| kib / 1024.0)
    }

    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }

    /// The full URL of an API path, e.g. `api("/healthz")`.
    pub fn api(&self, path: &str) -> String {
        format!("{}{}", self.api_url(), path)
    }

    pub fn raft_addr(&self) -> Option<String> {
        self.raft_port.map(|port| format!("127.0.0.1:{port}"))
    }

    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// This node's own view of Raft.
    pub fn status(&self) -> Result<Status, String> {
        let reply = self.client.get("/api/v1/cluster/status")?;
        if reply.status != 200 {
            return Err(format!("node {} status: {} {}", self.id, reply.status, reply.text));
        }
        serde_json::from_value(reply.json.clone()).map_err(|e| format!("node {} status: {e}: {}", self.id, reply.text))
    }

    /// The last lines of the node's stdout and stderr.
    pub fn log_tail(&self) -> String {
        let mut out = format!("--- node {} ({}) in {} ---\n", self.id, self.side, self.dir.display());
        for name in ["stdout.log", "stderr.log"] {
            let text = std::fs::read_to_string(self.dir.join(name)).unwrap_or_else(|e| format!("<unreadable: {e}>"));
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(LOG_TAIL_LINE_COUNT);
            // A panic's message, or the error `main` returned, comes before its backtrace, which
            // can push it out of the tail.
            let cause = |line: &&&str| line.contains("panicked at") || line.starts_with("Error:");
            for (number, line) in lines[..from].iter().enumerate().filter(|(_, line)| cause(line)) {
                out.push_str(&format!("[{name}, line {}] {line}\n", number + 1));
                if let Some(message) = lines.get(number + 1) {
                    out.push_str(&format!("[{name}, line {}] {message}\n", number + 2));
                }
            }
            out.push_str(&format!("[{name}, last {} of {} lines]\n", lines.len() - from, lines.len()));
            for line in &lines[from..] {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Cluster {
    /// A cluster whose `members` (id, side) are all initial voters. Nothing is started yet.
    pub fn new(members: &[(u64, &'static str)], tuning: RaftTuning) -> Cluster {
        let root = tempfile::Builder::new().prefix("tandem-test-").tempdir().expect("a temporary directory");
        let certs_dir = root.path().join("certs");
        let mut cluster = Cluster { token: TOKEN.to_string(), tuning, certs_dir, nodes: BTreeMap::new(), root };
        let ids: Vec<u64> = members.iter().map(|(id, _)| *id).collect();
        cluster.make_certs(&ids);
        for &(id, side) in members {
            let node = cluster.new_clustered_node(id, side);
            cluster.nodes.insert(id, node);
        }
        let initial = cluster.initial_members_toml();
        for node in cluster.nodes.values() {
            cluster.write_config(node, &initial);
        }
        cluster
    }

    /// The embedded single node: `tandem run --data-dir D --listen 127.0.0.1:P --no-demo`, with the
    /// token it generates. Started and healthy on return.
    pub fn embedded_single() -> Cluster {
        Cluster::embedded_single_with(&[])
    }

    /// The embedded default with more `tandem run` options (e.g. `--clock-rate 3600`).
    pub fn embedded_single_with(options: &[&str]) -> Cluster {
        let root = tempfile::Builder::new().prefix("tandem-test-").tempdir().expect("a temporary directory");
        let dir = root.path().join("n1");
        std::fs::create_dir_all(&dir).expect("creating the node directory");
        let api_port = free_port();
        let data_dir = dir.join("data");
        let args = vec![
            "run".to_string(),
            "--data-dir".to_string(),
            data_dir.display().to_string(),
            "--listen".to_string(),
            format!("127.0.0.1:{api_port}"),
            "--no-demo".to_string(),
        ];
        let args = args.into_iter().chain(options.iter().map(|option| (*option).to_owned())).collect();
        let client = ApiClient::new(&format!("http://127.0.0.1:{api_port}"), None);
        let node =
            Node { id: 1, side: "a", dir, api_port, raft_port: None, args, env: Vec::new(), child: None, client };
        let certs_dir = root.path().join("certs");
        let mut cluster = Cluster {
            token: String::new(),
            tuning: RaftTuning::fast(),
            certs_dir,
            nodes: BTreeMap::from([(1, node)]),
            root,
        };
        cluster.start(1);
        cluster.wait_healthy(1);
        let token_path = data_dir.join("admin-token");
        let token = wait_until(STARTUP_TIMEOUT, "the generated admin-token file", || {
            let text = std::fs::read_to_string(&token_path).map_err(|e| e.to_string())?;
            if text.trim().len() < 16 {
                return Err(format!("token too short: {text:?}"));
            }
            Ok(text.trim().to_string())
        });
        let node = cluster.nodes.get_mut(&1).expect("node 1");
        node.client = node.client.with_token(Some(&token));
        cluster.token = token;
        cluster
    }

    /// Adds a node that joins later: its own certificate from the same CA, and a config with no
    /// initial members, so it waits to be added. Not started.
    pub fn add_joining_node(&mut self, id: u64, side: &'static str) {
        assert!(!self.nodes.contains_key(&id), "node {id} exists");
        self.make_certs(&[id]);
        let node = self.new_clustered_node(id, side);
        self.write_config(&node, "");
        self.nodes.insert(id, node);
    }

    /// Sets an environment variable for the node's next start (e.g. `TANDEM_RAFT__...`).
    pub fn set_env(&mut self, id: u64, key: &str, value: &str) {
        self.node_mut(id).env.push((key.to_string(), value.to_string()));
    }

    /// Where `tandem certs` wrote the CA and the node certificates the nodes' configs name.
    pub fn certs_dir(&self) -> &std::path::Path {
        &self.certs_dir
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn tuning(&self) -> &RaftTuning {
        &self.tuning
    }

    pub fn ids(&self) -> Vec<u64> {
        self.nodes.keys().copied().collect()
    }

    pub fn node(&self, id: u64) -> &Node {
        self.nodes.get(&id).unwrap_or_else(|| panic!("no node {id}"))
    }

    pub fn node_mut(&mut self, id: u64) -> &mut Node {
        self.nodes.get_mut(&id).unwrap_or_else(|| panic!("no node {id}"))
    }

    /// A client for the node, with the cluster's token.
    pub fn client(&self, id: u64) -> ApiClient {
        self.node(id).client.clone()
    }

    pub fn status(&self, id: u64) -> Result<Status, String> {
        self.node(id).status()
    }

    pub fn start(&mut self, id: u64) {
        self.node_mut(id).start();
    }

    pub fn kill(&mut self, id: u64) {
        self.node_mut(id).kill();
    }

    /// Waits until the node answers `/healthz` with 200, failing fast if it exits.
    pub fn wait_healthy(&mut self, id: u64) {
        let what = format!("node {id} to answer /healthz");
        let node = self.node_mut(id);
        wait_until(STARTUP_TIMEOUT, &what, || {
            node.assert_alive();
            let reply = node.client.get("/healthz")?;
            if reply.status == 200 {
                Ok(())
            } else {
                Err(format!("{} {}", reply.status, reply.text))
            }
        });
    }

    /// The leader as the started nodes see it: the node in the highest term that says it leads.
    pub fn leader_id(&self) -> Option<u64> {
        let mut leader: Option<(u64, u64)> = None;
        for node in self.nodes.values().filter(|node| node.is_started()) {
            let Ok(status) = node.status() else { continue };
            let leads = status.role == "leader" && status.leader_id == Some(status.node_id);
            if leads && leader.is_none_or(|(term, _)| status.term > term) {
                leader = Some((status.term, status.node_id));
            }
        }
        leader.map(|(_, id)| id)
    }

    /// Starts every node, waits until each is healthy and they agree on a leader; returns it.
    pub fn start_all(&mut self) -> u64 {
        for id in self.ids() {
            self.start(id);
        }
        for id in self.ids() {
            self.wait_healthy(id);
        }
        self.wait_for_leader()
    }

    /// Waits until a started node leads and every started node names it as leader.
    pub fn wait_for_leader(&mut self) -> u64 {
        let started: Vec<u64> = self.nodes.values().filter(|node| node.is_started()).map(|node| node.id).collect();
        wait_until(STARTUP_TIMEOUT, &format!("a leader that nodes {started:?} agree on"), || {
            for id in &started {
                self.node_mut(*id).assert_alive();
            }
            let leader = self.leader_id().ok_or("no node says it leads")?;
            for id in &started {
                let status = self.status(*id)?;
                if status.leader_id != Some(leader) {
                    return Err(format!("node {id} sees leader {:?}, not {leader}", status.leader_id));
                }
            }
            Ok(leader)
        })
    }

    /// The log tails of every node.
    pub fn logs(&self) -> String {
        self.nodes.values().map(Node::log_tail).collect::<Vec<_>>().join("\n")
    }

    fn make_certs(&self, ids: &[u64]) {
        let dir = self.certs_dir.display().to_string();
        let mut args = vec!["certs".to_string(), "--dir".to_string(), dir];
        for id in ids {
            args.push("--node".to_string());
            args.push(id.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = run_cli(&args);
        assert!(output.success, "tandem {args:?} failed:\n{}\n{}", output.stdout, output.stderr);
        for id in ids {
            for file in ["ca.crt".to_string(), format!("node-{id}.crt"), format!("node-{id}.key")] {
                assert!(self.certs_dir.join(&file).is_file(), "tandem certs did not write {file}");
            }
        }
    }

    fn new_clustered_node(&self, id: u64, side: &'static str) -> Node {
        let dir = self.root.path().join(format!("n{id}"));
        std::fs::create_dir_all(&dir).expect("creating the node directory");
        let api_port = free_port();
        let config = dir.join("node.toml").display().to_string();
        let args = vec!["run".to_string(), "--config".to_string(), config];
        let client = ApiClient::new(&format!("http://127.0.0.1:{api_port}"), Some(&self.token));
        Node { id, side, dir, api_port, raft_port: Some(free_port()), args, env: Vec::new(), child: None, client }
    }

    fn initial_members_toml(&self) -> String {
        let mut out = String::new();
        for node in self.nodes.values() {
            out.push_str(&format!(
                "[[initial_members]]\nnode_id = {}\nside = {}\nraft_addr = {}\napi_url = {}\n\n",
                node.id,
                quoted(node.side),
                quoted(&node.raft_addr().expect("a clustered node has a raft address")),
                quoted(&node.api_url())
            ));
        }
        out
    }

    fn write_config(&self, node: &Node, initial_members: &str) {
        let certs = &self.certs_dir;
        let text = format!(
            "node_id = {}\nside = {}\ndata_dir = {}\napi_listen = {}\nraft_listen = {}\nadmin_token = {}\n\
             demo = false\n\n[tls]\nca = {}\ncert = {}\nkey = {}\n\n{}{}",
            node.id,
            quoted(node.side),
            quoted_path(&node.dir.join("data")),
            quoted(&format!("127.0.0.1:{}", node.api_port)),
            quoted(&node.raft_addr().expect("a clustered node has a raft address")),
            quoted(&self.token),
            quoted_path(&certs.join("ca.crt")),
            quoted_path(&certs.join(format!("node-{}.crt", node.id))),
            quoted_path(&certs.join(format!("node-{}.key", node.id))),
            initial_members,
            self.tuning.toml()
        );
        std::fs::write(node.dir.join("node.toml"), text).expect("writing node.toml");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in self.nodes.values_mut() {
            node.kill();
        }
        if std::thread::panicking() {
            eprintln!("\n===== node logs (test failed) =====\n{}", self.logs());
        }
    }
}

/// A TOML basic string. JSON string escapes are valid TOML basic-string escapes.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

fn quoted_path(path: &Path) -> String {
    quoted(&path.display().to_string())
}

fn append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()))
}
