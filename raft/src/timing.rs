//! The Raft timing a node runs with, turned into openraft's configuration in one place, so the
//! node binary and the simulator cannot drift apart in the settings they do not choose.
//!
//! Every openraft option Tandem relies on is set here explicitly (STYLE.md (d)); only the
//! values an operator or the simulator picks are inputs.

/// The timing an operator (the node's `[raft]` section) or the simulator chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaftTiming {
    /// The leader's heartbeat to followers.
    pub heartbeat_ms: u64,
    /// A follower that hears no leader for a random time in this range campaigns.
    pub election_timeout_min_ms: u64,
    pub election_timeout_max_ms: u64,
    /// Build a snapshot after this many entries since the last one.
    pub snapshot_every_entries: u64,
    /// Entries kept in the log behind the snapshot, so a slightly lagging node catches up from
    /// the log rather than by a snapshot transfer.
    pub keep_entries_after_snapshot: u64,
}

/// Snapshot transfer may take this long before openraft gives up on it.
const INSTALL_SNAPSHOT_TIMEOUT_MS: u64 = 10_000;
/// Log entries purged per batch once a snapshot covers them.
const PURGE_BATCH_SIZE: u64 = 256;
/// Log entries sent to a follower per append request, at most.
const PAYLOAD_ENTRY_COUNT_MAX: u64 = 512;

impl RaftTiming {
    /// openraft's configuration for a cluster named `cluster_name`, validated.
    pub fn openraft_config(&self, cluster_name: &str) -> Result<openraft::Config, String> {
        let config = openraft::Config {
            cluster_name: cluster_name.to_owned(),
            heartbeat_interval: self.heartbeat_ms,
            election_timeout_min: self.election_timeout_min_ms,
            election_timeout_max: self.election_timeout_max_ms,
            install_snapshot_timeout: INSTALL_SNAPSHOT_TIMEOUT_MS,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.snapshot_every_entries),
            max_in_snapshot_log_to_keep: self.keep_entries_after_snapshot,
            purge_batch_size: PURGE_BATCH_SIZE,
            max_payload_entries: PAYLOAD_ENTRY_COUNT_MAX,
            enable_tick: true,
            enable_heartbeat: true,
            enable_elect: true,
            ..openraft::Config::default()
        };
        config.validate().map_err(|error| format!("raft configuration: {error}"))
    }
}
