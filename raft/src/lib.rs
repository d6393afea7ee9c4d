//! Raft replication for Tandem: openraft over [`tandem_storage`], with the pure
//! [`tandem_domain::Center`] as the state machine.
//!
//! This crate owns the glue and nothing else: the type config, the log store and state machine
//! over the [`Store`](tandem_storage::Store) trait, the prost wire format for node-to-node RPC,
//! and a [`Transport`] seam so the simulator can replace HTTPS with its own network. It makes no
//! contact-center decision: every decision happens in `Center::apply`, identically on every
//! replica.

// openraft's storage traits return its `StorageError` (over 200 bytes) by value; our helpers
// return the same type so `?` works without conversions. Boxing it would not change the traits.
#![allow(clippy::result_large_err)]

pub mod clock;
#[cfg(feature = "replica")]
pub mod forwarder;
#[cfg(feature = "replica")]
pub mod https;
#[cfg(feature = "replica")]
pub mod log_store;
#[cfg(feature = "replica")]
pub mod network;
#[cfg(feature = "replica")]
pub mod proposer;
#[cfg(feature = "replica")]
pub mod replica;
pub mod runtime;
#[cfg(feature = "replica")]
pub mod service;
pub mod snapshot;
#[cfg(feature = "replica")]
pub mod state_machine;
pub mod timing;
pub mod wire;

use std::fmt;
use std::io::Cursor;

use serde::{Deserialize, Serialize};

#[cfg(feature = "replica")]
pub use log_store::{Flush, LogStore};
#[cfg(feature = "replica")]
pub use network::{Network, Transport, TransportError};
#[cfg(feature = "replica")]
pub use replica::{ForwardRequest, Replica, ReplicaConfig, WriteError};
#[cfg(feature = "replica")]
pub use state_machine::{AppliedBatch, SharedState, StateMachineStore};
pub use timing::RaftTiming;

/// Node ids are chosen by the operator and never reused.
pub type NodeId = u64;

openraft::declare_raft_types!(
    /// Tandem's Raft type configuration: the log carries domain entries and returns outcomes.
    pub TypeConfig:
        D = Proposal,
        R = Vec<tandem_domain::Outcome>,
        NodeId = NodeId,
        Node = Member,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = crate::runtime::TandemRuntime,
);

pub type Raft = openraft::Raft<TypeConfig>;
pub type LogId = openraft::LogId<NodeId>;
pub type Vote = openraft::Vote<NodeId>;
pub type StoredMembership = openraft::StoredMembership<NodeId, Member>;
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, Member>;
pub type StorageIoError = openraft::StorageError<NodeId>;

/// What one Raft log entry carries: domain entries proposed together, applied in order.
///
/// The leader batches concurrent writes into one proposal (see `replica`), so one log entry,
/// one replication round and one apply call serve many clients. Each domain entry keeps its own
/// request id and gets its own outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    pub entries: Vec<tandem_domain::Entry>,
}

/// The failure domain a node lives in.
///
/// A witness is a full Raft voter (it stores the log and votes) that serves no clients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    #[default]
    A,
    B,
    Witness,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
            Side::Witness => "witness",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Side {
    type Err = String;
    fn from_str(text: &str) -> Result<Side, String> {
        match text {
            "a" | "A" => Ok(Side::A),
            "b" | "B" => Ok(Side::B),
            "witness" => Ok(Side::Witness),
            other => Err(format!("unknown side '{other}': expected a, b or witness")),
        }
    }
}

/// A cluster member as recorded in the replicated membership: where to reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub side: Side,
    /// host:port of the node-to-node (mutual TLS) listener.
    pub raft_addr: String,
    /// Base URL of the node's HTTP API, e.g. `http://127.0.0.1:8080`.
    pub api_url: String,
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} side {} api {}", self.raft_addr, self.side, self.api_url)
    }
}

/// Where a node's TLS material lives (PEM files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The cluster CA certificate; peers must present a certificate it signed.
    pub ca: std::path::PathBuf,
    /// This node's certificate chain.
    pub cert: std::path::PathBuf,
    /// This node's private key.
    pub key: std::path::PathBuf,
}

/// Wraps a storage failure for openraft, naming the subject and the verb.
pub(crate) fn io_error(
    subject: openraft::ErrorSubject<NodeId>,
    verb: openraft::ErrorVerb,
    error: impl std::error::Error + 'static,
) -> StorageIoError {
    openraft::StorageIOError::new(subject, verb, openraft::AnyError::new(&error)).into()
}

#[cfg(all(test, feature = "replica"))]
mod tests;
