//! Durable key-value storage under the Raft log and the state machine.
//!
//! Everything above this crate talks to the [`Store`] trait, never to RocksDB directly, so the
//! simulator can swap in [`SimStore`]: an in-memory store with a durability model (writes not
//! yet synced are lost on a simulated crash) and injectable I/O errors. The trait is small on
//! purpose: ordered column families, atomic batches, and an explicit durability per write.
//!
//! This crate knows nothing about Raft or the contact center; keys and values are bytes.

mod rocks;
mod sim;

pub use rocks::RocksStore;
pub use sim::{SimFaults, SimStore};

/// A column family: an ordered key space of its own.
///
/// The set is closed: every store has exactly these, created on open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cf {
    /// Raft log entries, keyed by big-endian log index.
    Log,
    /// Raft metadata: vote, committed log id, last purged log id.
    Meta,
    /// The state machine's durable checkpoint.
    StateMachine,
    /// The current snapshot served to lagging or new nodes.
    Snapshot,
}

impl Cf {
    pub const ALL: [Cf; 4] = [Cf::Log, Cf::Meta, Cf::StateMachine, Cf::Snapshot];

    pub fn name(self) -> &'static str {
        match self {
            Cf::Log => "log",
            Cf::Meta => "meta",
            Cf::StateMachine => "state_machine",
            Cf::Snapshot => "snapshot",
        }
    }

    fn index(self) -> usize {
        match self {
            Cf::Log => 0,
            Cf::Meta => 1,
            Cf::StateMachine => 2,
            Cf::Snapshot => 3,
        }
    }
}

/// How durable a write must be before [`Store::write`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The write-ahead log is synced to disk (fdatasync) before returning. Raft log appends and
    /// votes use this: an acknowledged append must survive power loss.
    Synced,
    /// The write is visible at once and reaches disk later; a crash may lose it. Used for state
    /// that can be rebuilt from the log.
    Buffered,
}

/// One operation in an atomic batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Put {
        cf: Cf,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        cf: Cf,
        key: Vec<u8>,
    },
    /// Deletes keys in `[from, to)`.
    DeleteRange {
        cf: Cf,
        from: Vec<u8>,
        to: Vec<u8>,
    },
}

/// An atomic group of operations: all of them apply, or none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    ops: Vec<Op>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    pub fn put(&mut self, cf: Cf, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push(Op::Put { cf, key: key.into(), value: value.into() });
    }

    pub fn delete(&mut self, cf: Cf, key: impl Into<Vec<u8>>) {
        self.ops.push(Op::Delete { cf, key: key.into() });
    }

    pub fn delete_range(&mut self, cf: Cf, from: impl Into<Vec<u8>>, to: impl Into<Vec<u8>>) {
        self.ops.push(Op::DeleteRange { cf, from: from.into(), to: to.into() });
    }

    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// A key and its value, as returned by scans.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// Storage failed; the message names the column family and the verb.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage {verb} on {cf}: {message}")]
pub struct StorageError {
    pub verb: &'static str,
    pub cf: &'static str,
    pub message: String,
}

impl StorageError {
    fn new(verb: &'static str, cf: &'static str, message: impl Into<String>) -> StorageError {
        StorageError { verb, cf, message: message.into() }
    }
}

/// The one storage interface: RocksDB in production, [`SimStore`] in the simulator.
///
/// Reads see every write that returned, synced or not. Implementations are shared between
/// threads, so all methods take `&self`.
pub trait Store: Send + Sync + 'static {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Applies `batch` atomically with the given durability.
    fn write(&self, batch: Batch, durability: Durability) -> Result<(), StorageError>;

    /// Returns up to `limit` pairs with `from <= key < to` (no upper bound if `to` is `None`), in
    /// key order.
    fn scan(&self, cf: Cf, from: &[u8], to: Option<&[u8]>, limit: u32) -> Result<Vec<KeyValue>, StorageError>;

    /// The pair with the greatest key, if any.
    fn last(&self, cf: Cf) -> Result<Option<KeyValue>, StorageError>;

    /// Makes every write that returned durable.
    fn sync(&self) -> Result<(), StorageError>;
}

/// Encodes a log index so that byte order is numeric order.
pub fn index_key(index: u64) -> [u8; 8] {
    index.to_be_bytes()
}

/// Decodes [`index_key`]; `None` if the key is not eight bytes.
pub fn index_from_key(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests;
