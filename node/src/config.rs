//! Node configuration: a TOML file, overridden key by key by `TANDEM_*` environment variables.
//!
//! Every knob we rely on is a named field with a documented default; nothing is read from the
//! environment anywhere else. `TANDEM_RAFT__HEARTBEAT_MS=50` overrides `[raft] heartbeat_ms`
//! (two underscores separate a section from its key).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use tandem_raft::{Member, NodeId, Side, TlsFiles};

/// Top-level keys of [`NodeConfig`], which `TANDEM_*` variables may override.
const CONFIG_KEYS: [&str; 23] = [
    "node_id",
    "side",
    "data_dir",
    "api_listen",
    "api_url",
    "api_tls",
    "api_cert",
    "api_key",
    "api_workers",
    "api_allow_plaintext",
    "api_connections_max",
    "logins",
    "raft_listen",
    "raft_advertise",
    "tls",
    "cluster_key_file",
    "mail_ca_file",
    "initial_members",
    "admin_token",
    "demo",
    "exit_on_failure",
    "raft",
    "cti",
];

/// Limits on password logins, per client address and node. A lockout per user (3 failures in a
/// row, 15 minutes: seeds-ctios.md §2.11) is kept in the replicated state, so it holds on
/// every node; see `tandem_domain::LOGIN_LOCKOUT_THRESHOLD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginLimits {
    /// Password logins one address may start per second, sustained. Each costs an Argon2
    /// check (about 20 ms of a core), so this is what one address may take of the node.
    pub per_address_per_second: u32,
    /// How many an address may start at once after a quiet spell (a room of desktops behind
    /// one NAT logging in together).
    pub per_address_burst: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits { per_address_per_second: 5, per_address_burst: 50 }
    }
}

/// A node's whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// This node's id, unique in the cluster and never reused.
    pub node_id: NodeId,
    /// `a`, `b` or `witness`. A witness votes and stores the log but serves no clients.
    pub side: Side,
    /// Where RocksDB, the admin token and generated certificates live.
    pub data_dir: PathBuf,
    /// The HTTP API and web pages listen here.
    pub api_listen: SocketAddr,
    /// The URL other nodes and tools use to reach this node's API (defaults from `api_listen`).
    pub api_url: Option<String>,
    /// TLS for the API: `none` (plain HTTP, for loopback), `generate` (a self-signed
    /// certificate created on first start in `<data_dir>/tls/`) or `files` (`api_cert`, `api_key`).
    pub api_tls: ApiTls,
    pub api_cert: Option<PathBuf>,
    pub api_key: Option<PathBuf>,
    /// Threads serving the API, web pages and desktop sockets; 0 (the default) means one per
    /// core.
    pub api_workers: usize,
    /// Allows `api_tls = "none"` on an address other than loopback (behind a proxy that ends
    /// TLS). Off by default: passwords and tokens would otherwise cross the network in clear.
    pub api_allow_plaintext: bool,
    /// Open connections the API listener accepts at once (shared out among its workers); more
    /// wait in the kernel's backlog instead of costing the node memory.
    pub api_connections_max: usize,
    /// Limits on password logins (REST sessions and CTI logins).
    pub logins: LoginLimits,
    /// The node-to-node listener (mutual TLS). Absent for a single node with no peers.
    pub raft_listen: Option<SocketAddr>,
    /// host:port peers use to reach `raft_listen` (defaults to `raft_listen`).
    pub raft_advertise: Option<String>,
    /// The cluster CA and this node's certificate for node-to-node TLS.
    pub tls: Option<TlsFiles>,
    /// The key secrets in the replicated state are sealed with; the same file on every node.
    /// Default: `cluster.key` beside the CA (`tandem certs` writes it), or in `data_dir` for a
    /// single node (created on first start).
    pub cluster_key_file: Option<PathBuf>,
    /// CA certificates (PEM) trusted for the mail servers besides the public roots: a private
    /// CA that signed the servers' certificates.
    pub mail_ca_file: Option<PathBuf>,
    /// The voters the cluster starts with. Every listed node initialises the same membership on
    /// its first start. Empty with no `raft_listen`: a single-node cluster of this node. Empty
    /// with `raft_listen`: a new node that waits to be added with `tandem cluster add-node`.
    pub initial_members: Vec<InitialMember>,
    /// The administrator bearer token. When absent, one is generated on first start and written
    /// to `<data_dir>/admin-token` (mode 0600).
    pub admin_token: Option<String>,
    /// Seed the demo contact center on the first start of a fresh cluster.
    pub demo: bool,
    /// When this node's Raft stops (a full disk, a storage error, a failed apply) it steps
    /// aside at once (readiness and liveness fail, desktops are sent away, writes refused), and
    /// then, if this is on (the default), exits with status 70 for its supervisor (systemd,
    /// Kubernetes) to restart it. Off, it stays up, refusing, for an operator to look at.
    pub exit_on_failure: bool,
    pub raft: RaftTuning,
    /// Desktop sessions: heartbeats, the profile sent to clients, already-logged-in handling.
    pub cti: CtiSettings,
}

/// Desktop session settings (seeds-ctios.md §2.4.1 server heartbeats, §2.5 connection profile).
/// Any key may be left out of `[cti]`; it then has the spec's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CtiSettings {
    /// Silence from a client after which the node sends it a heartbeat request; 0 turns server
    /// heartbeats off (`HeartbeatIntervalMs`, default 60,000).
    pub heartbeat_interval_ms: u64,
    /// Heartbeat requests before the node closes a silent session (`HeartbeatRetrys`, default
    /// 5): it closes after interval × (retries + 1); 0 closes after one silent interval.
    pub heartbeat_retries: u32,
    /// The client heartbeat interval the profile gives desktops (`Heartbeat`, 5 s).
    pub client_heartbeat_ms: u64,
    /// Missed heartbeats before a desktop fails over (`MaxHeartbeats`, 5).
    pub client_max_heartbeats: u32,
    /// Desktops log the user back in by themselves after a failure (`AutoLogin`, 1 for UCCE).
    pub auto_login: bool,
    /// Warn an agent who logs in while already logged in (`WarnIfAlreadyLoggedIn`, 1).
    pub warn_if_already_logged_in: bool,
    /// Refuse such a login instead (`RejectIfAlreadyLoggedIn`, 0); wins over the warning.
    pub reject_if_already_logged_in: bool,
    /// How long a new connection may take to send its login.
    pub login_timeout_ms: u64,
    /// `PollForAgentStatsAtEndCall` (1): push agent statistics to desktops when a call of
    /// their agents ends; off, every `agent_stats_polling_interval_sec` instead.
    pub poll_for_agent_stats_at_end_call: bool,
    /// `PollingIntervalSec` (15) for agent statistics when they are not pushed at end of call.
    pub agent_stats_polling_interval_sec: u64,
    /// `DisableAgentStatistics` (0): no agent statistics to desktops at all.
    pub disable_agent_statistics: bool,
    /// `Server\SkillGroup\PollingIntervalSec` (10): how often desktops get the statistics of
    /// the CSQs their agents serve.
    pub skill_group_stats_polling_interval_sec: u64,
    /// `DisableSkillGroupStatistics` (0): no CSQ statistics to desktops.
    pub disable_skill_group_statistics: bool,
}

impl Default for CtiSettings {
    fn default() -> CtiSettings {
        CtiSettings {
            heartbeat_interval_ms: 60_000,
            heartbeat_retries: 5,
            client_heartbeat_ms: 5_000,
            client_max_heartbeats: 5,
            auto_login: true,
            warn_if_already_logged_in: true,
            reject_if_already_logged_in: false,
            login_timeout_ms: 10_000,
            poll_for_agent_stats_at_end_call: true,
            agent_stats_polling_interval_sec: 15,
            disable_agent_statistics: false,
            skill_group_stats_polling_interval_sec: 10,
            disable_skill_group_statistics: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiTls {
    None,
    Generate,
    Files,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialMember {
    pub node_id: NodeId,
    pub side: Side,
    pub raft_addr: String,
    pub api_url: String,
}

impl InitialMember {
    pub fn member(&self) -> Member {
        Member { side: self.side, raft_addr: self.raft_addr.clone(), api_url: self.api_url.clone() }
    }
}

/// Raft timing and log compaction. Defaults suit a LAN: a dead leader is replaced in about a
/// second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaftTuning {
    pub heartbeat_ms: u64,
    pub election_timeout_min_ms: u64,
    pub election_timeout_max_ms: u64,
    /// Build a snapshot after this many entries since the last one.
    pub snapshot_every_entries: u64,
    /// Entries kept in the log behind the snapshot, so slightly lagging nodes catch up from the log.
    pub keep_entries_after_snapshot: u64,
    /// How long a client write may wait for a leader (including an election) before it fails.
    pub write_timeout_ms: u64,
}

impl Default for RaftTuning {
    fn default() -> RaftTuning {
        RaftTuning {
            heartbeat_ms: 100,
            election_timeout_min_ms: 400,
            election_timeout_max_ms: 800,
            snapshot_every_entries: 10_000,
            keep_entries_after_snapshot: 10_000,
            write_timeout_ms: 5_000,
        }
    }
}

impl NodeConfig {
    /// The embedded default: one node on loopback, data in `./tandem-data`.
    pub fn embedded() -> NodeConfig {
        NodeConfig {
            node_id: 1,
            side: Side::A,
            data_dir: PathBuf::from("tandem-data"),
            api_listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            api_url: None,
            api_tls: ApiTls::None,
            api_cert: None,
            api_key: None,
            api_workers: 0,
            raft_listen: None,
            raft_advertise: None,
            tls: None,
            cluster_key_file: None,
            mail_ca_file: None,
            initial_members: Vec::new(),
            admin_token: None,
            demo: true,
            exit_on_failure: true,
            api_allow_plaintext: false,
            api_connections_max: 25_000,
            logins: LoginLimits::default(),
            raft: RaftTuning::default(),
            cti: CtiSettings::default(),
        }
    }

    /// The built-in defaults under a TOML document (no environment): what `load` does with a
    /// file's text, for tests and the fuzz target.
    #[allow(dead_code)] // used by the tests and fuzz/
    pub fn from_toml_str(text: &str) -> Result<NodeConfig, Box<figment::Error>> {
        Figment::from(Serialized::defaults(NodeConfig::embedded()))
            .merge(Toml::string(text))
            .extract()
            .map_err(Box::new)
    }

    /// Layers: built-in defaults, then the file (if any), then `TANDEM_*` variables.
    pub fn load(file: Option<&Path>) -> Result<NodeConfig, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(NodeConfig::embedded()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        // Only keys of this struct: other TANDEM_* variables (TANDEM_LOG, the CLI's TANDEM_TOKEN)
        // belong to other readers and must not fail `deny_unknown_fields`.
        let env = Env::prefixed("TANDEM_").filter(|key| {
            let top = key.as_str().split("__").next().unwrap_or_default().to_ascii_lowercase();
            CONFIG_KEYS.contains(&top.as_str())
        });
        figment = figment.merge(env.split("__"));
        figment.extract().map_err(Box::new)
    }

    pub fn api_url(&self) -> String {
        match &self.api_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => {
                let scheme = if self.api_tls == ApiTls::None { "http" } else { "https" };
                format!("{scheme}://{}", self.api_listen)
            }
        }
    }

    pub fn raft_addr(&self) -> Option<String> {
        self.raft_advertise.clone().or_else(|| self.raft_listen.map(|addr| addr.to_string()))
    }

    /// This node as it appears in the membership.
    pub fn member(&self) -> Member {
        Member { side: self.side, raft_addr: self.raft_addr().unwrap_or_default(), api_url: self.api_url() }
    }

    /// Checks what serde cannot: cross-field rules. The message says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        let raft = &self.raft;
        if raft.heartbeat_ms == 0 || raft.heartbeat_ms >= raft.election_timeout_min_ms {
            return Err("raft.heartbeat_ms must be above 0 and below raft.election_timeout_min_ms".into());
        }
        if raft.election_timeout_min_ms >= raft.election_timeout_max_ms {
            return Err("raft.election_timeout_min_ms must be below raft.election_timeout_max_ms".into());
        }
        if raft.snapshot_every_entries == 0 {
            return Err("raft.snapshot_every_entries must be at least 1".into());
        }
        if !(1..=3600).contains(&self.cti.agent_stats_polling_interval_sec) {
            return Err("cti.agent_stats_polling_interval_sec must be 1 to 3600".into());
        }
        if !(1..=3600).contains(&self.cti.skill_group_stats_polling_interval_sec) {
            return Err("cti.skill_group_stats_polling_interval_sec must be 1 to 3600".into());
        }
        if self.api_tls == ApiTls::None && !self.api_listen.ip().is_loopback() && !self.api_allow_plaintext {
            return Err(format!(
                "api_listen {} is not a loopback address and api_tls is \"none\": passwords and tokens would cross the network in clear. Set api_tls to \"generate\" or \"files\", or api_allow_plaintext = true behind a proxy that ends TLS",
                self.api_listen
            ));
        }
        if self.api_connections_max == 0 {
            return Err("api_connections_max must be at least 1".into());
        }
        if self.logins.per_address_per_second == 0 || self.logins.per_address_burst == 0 {
            return Err("logins.per_address_per_second and logins.per_address_burst must be at least 1".into());
        }
        if self.api_tls == ApiTls::Files && (self.api_cert.is_none() || self.api_key.is_none()) {
            return Err("api_tls = \"files\" needs api_cert and api_key".into());
        }
        if !self.initial_members.is_empty() && !self.initial_members.iter().any(|m| m.node_id == self.node_id) {
            return Err(format!(
                "initial_members must include this node ({}), or be empty for a node that joins a running cluster",
                self.node_id
            ));
        }
        let has_peers = self.initial_members.iter().any(|m| m.node_id != self.node_id);
        if (has_peers || self.raft_listen.is_some()) && (self.raft_listen.is_none() || self.tls.is_none()) {
            return Err("a clustered node needs raft_listen and [tls] ca, cert and key".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_is_single_node_on_loopback() {
        let config = NodeConfig::load(None).unwrap();
        assert_eq!(config.api_url(), "http://127.0.0.1:8080");
        assert!(config.initial_members.is_empty());
        assert!(config.raft_listen.is_none());
        config.validate().unwrap();
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closure returns figment::Error by value.
    fn file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(
            &path,
            "node_id = 7\nside = \"b\"\n[raft]\nheartbeat_ms = 50\nelection_timeout_min_ms = 300\n\
             election_timeout_max_ms = 600\nsnapshot_every_entries = 10\nkeep_entries_after_snapshot = 5\n\
             write_timeout_ms = 1000\n",
        )
        .unwrap();
        figment::Jail::expect_with(|jail| {
            jail.set_env("TANDEM_RAFT__HEARTBEAT_MS", "60");
            jail.set_env("TANDEM_LOG", "debug"); // not a config key: ignored, not refused
            let config = NodeConfig::load(Some(&path)).unwrap();
            assert_eq!(config.node_id, 7);
            assert_eq!(config.side, Side::B);
            assert_eq!(config.raft.heartbeat_ms, 60, "environment overrides the file");
            Ok(())
        });
    }

    #[test]
    fn config_keys_list_every_field() {
        let value = serde_json::to_value(NodeConfig::embedded()).unwrap();
        let mut fields: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        let mut listed = CONFIG_KEYS.to_vec();
        fields.sort_unstable();
        listed.sort_unstable();
        assert_eq!(fields, listed);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, "node_idd = 7\n").unwrap();
        let error = NodeConfig::load(Some(&path)).unwrap_err();
        assert!(error.to_string().contains("node_idd"), "{error}");
    }
}
