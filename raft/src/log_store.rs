//! The Raft log and vote over a [`Store`].
//!
//! Entries live in [`Cf::Log`] under their big-endian index; the vote, the committed log id and
//! the last purged log id live in [`Cf::Meta`]. Appends and votes are written with
//! [`Durability::Synced`], and the append callback fires only after that sync returned, so an
//! acknowledged append survives power loss. openraft already hands us entries in batches, which
//! gives group commit: one fdatasync per batch, not per entry.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{ErrorSubject, ErrorVerb, OptionalSend, RaftLogReader};
use tandem_storage::{index_key, Batch, Cf, Durability, Store};

use crate::{io_error, LogId, StorageIoError, TypeConfig, Vote};

const KEY_VOTE: &[u8] = b"vote";
const KEY_COMMITTED: &[u8] = b"committed";
const KEY_LAST_PURGED: &[u8] = b"last_purged";

/// Upper bound on entries returned by one read, so a lagging follower cannot make us load the
/// whole log into memory at once.
pub const LOG_READ_ENTRY_COUNT_MAX: u32 = 4096;

type Entry = openraft::Entry<TypeConfig>;

/// How appends reach disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Sync inside `append`, one sync per append.
    Inline,
    /// Sync on a flusher thread, one sync for every append queued meanwhile.
    Background,
}

/// Log storage. Clones share the same store; openraft uses one clone as the log reader.
#[derive(Clone)]
pub struct LogStore {
    store: Arc<dyn Store>,
    flusher: Option<Arc<Flusher>>,
    /// Bytes of entries written to the log since the process started (a metric: how fast the
    /// log grows, e.g. per ingested email).
    appended_bytes: Arc<AtomicU64>,
}

impl LogStore {
    pub fn new(store: Arc<dyn Store>, flush: Flush) -> LogStore {
        let flusher = match flush {
            Flush::Inline => None,
            Flush::Background => Some(Arc::new(Flusher::spawn(store.clone()))),
        };
        LogStore { store, flusher, appended_bytes: Arc::new(AtomicU64::new(0)) }
    }

    /// Counts the bytes appended into `counter` (shared with whoever reports them).
    pub fn counting_into(mut self, counter: Arc<AtomicU64>) -> LogStore {
        self.appended_bytes = counter;
        self
    }

    fn count(&self, bytes: usize) {
        self.appended_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    fn read_meta<T: serde::de::DeserializeOwned>(
        &self,
        key: &[u8],
        subject: ErrorSubject<u64>,
    ) -> Result<Option<T>, StorageIoError> {
        let bytes = self.store.get(Cf::Meta, key).map_err(|e| io_error(subject.clone(), ErrorVerb::Read, e))?;
        match bytes {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| io_error(subject, ErrorVerb::Read, e)),
        }
    }

    fn write_meta<T: serde::Serialize>(
        &self,
        key: &[u8],
        value: &T,
        subject: ErrorSubject<u64>,
        durability: Durability,
    ) -> Result<(), StorageIoError> {
        let bytes = serde_json::to_vec(value).map_err(|e| io_error(subject.clone(), ErrorVerb::Write, e))?;
        let mut batch = Batch::new();
        batch.put(Cf::Meta, key, bytes);
        self.store.write(batch, durability).map_err(|e| io_error(subject, ErrorVerb::Write, e))
    }

    fn last_entry(&self) -> Result<Option<Entry>, StorageIoError> {
        let last = self.store.last(Cf::Log).map_err(|e| io_error(ErrorSubject::Logs, ErrorVerb::Read, e))?;
        match last {
            None => Ok(None),
            Some((_, bytes)) => {
                serde_json::from_slice(&bytes).map(Some).map_err(|e| io_error(ErrorSubject::Logs, ErrorVerb::Read, e))
            }
        }
    }

    /// Writes entries in one synced batch. Returns after the WAL sync.
    pub fn append_synced(&self, entries: impl IntoIterator<Item = Entry>) -> Result<(), StorageIoError> {
        let mut batch = Batch::new();
        for entry in entries {
            let bytes = serde_json::to_vec(&entry).map_err(|e| io_error(ErrorSubject::Logs, ErrorVerb::Write, e))?;
            self.count(bytes.len());
            batch.put(Cf::Log, index_key(entry.log_id.index), bytes);
        }
        self.store.write(batch, Durability::Synced).map_err(|e| io_error(ErrorSubject::Logs, ErrorVerb::Write, e))
    }

    fn last_purged(&self) -> Result<Option<LogId>, StorageIoError> {
        self.read_meta(KEY_LAST_PURGED, ErrorSubject::Store)
    }
}

fn range_start(range: &impl RangeBounds<u64>) -> u64 {
    match range.start_bound() {
        Bound::Included(index) => *index,
        Bound::Excluded(index) => index.saturating_add(1),
        Bound::Unbounded => 0,
    }
}

/// The exclusive end of the range; `None` when unbounded.
fn range_end(range: &impl RangeBounds<u64>) -> Option<u64> {
    match range.end_bound() {
        Bound::Included(index) => Some(index.saturating_add(1)),
        Bound::Excluded(index) => Some(*index),
        Bound::Unbounded => None,
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageIoError> {
        let start = range_start(&range);
        let end = range_end(&range);
        if end.is_some_and(|end| end <= start) {
            return Ok(Vec::new());
        }
        let end_key = end.map(index_key);
        let pairs = self
            .store
            .scan(Cf::Log, &index_key(start), end_key.as_ref().map(|k| k.as_slice()), LOG_READ_ENTRY_COUNT_MAX)
            .map_err(|e| io_error(ErrorSubject::Logs, ErrorVerb::Read, e))?;
        let mut entries = Vec::with_capacity(pairs.len());
        for (_, bytes) in pairs {
            let entry: Entry =
                serde_json::from_slice(&bytes).map_err(|e| io_error(ErrorSubject::Logs, ErrorVerb::Read, e))?;
            entries.push(entry);
        }
        Ok(entries)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageIoError> {
        let last_purged_log_id = self.last_purged()?;
        let last_log_id = match self.last_entry()? {
            Some(entry) => Some(entry.log_id),
            None => last_purged_log_id,
        };
        Ok(LogState { last_purged_log_id, last_log_id })
    }

    async fn get_log_reader(&mut self) -> LogStore {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageIoError> {
        self.write_meta(KEY_VOTE, vote, ErrorSubject::Vote, Durability::Synced)
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageIoError> {
        self.read_meta(KEY_VOTE, ErrorSubject::Vote)
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageIoError> {
        // Buffered: a lost committed index only means re-learning it from the leader.
        self.write_meta(KEY_COMMITTED, &committed, ErrorSubject::Store, Durability::Buffered)
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageIoError> {
        Ok(self.read_meta::<Option<LogId>>(KEY_COMMITTED, ErrorSubject::Store)?.flatten())
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageIoError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let Some(flusher) = &self.flusher else {
            return match self.append_synced(entries) {
                Ok(()) => {
                    callback.log_io_completed(Ok(()));
                    Ok(())
                }
                Err(error) => {
                    callback.log_io_completed(Err(std::io::Error::other(error.to_string())));
                    Err(error)
                }
            };
        };
        let mut batch = Batch::new();
        for entry in entries {
            let bytes = serde_json::to_vec(&entry).map_err(|e| io_error(ErrorSubject::Logs, ErrorVerb::Write, e))?;
            self.count(bytes.len());
            batch.put(Cf::Log, index_key(entry.log_id.index), bytes);
        }
        if let Err(error) = self.store.write(batch, Durability::Buffered) {
            callback.log_io_completed(Err(std::io::Error::other(error.to_string())));
            return Err(io_error(ErrorSubject::Logs, ErrorVerb::Write, error));
        }
        if let Err(unsent) = flusher.sender.send(callback) {
            // The flusher thread is gone (it only exits when every sender is dropped), so sync here.
            let result = self.store.sync().map_err(|e| std::io::Error::other(e.to_string()));
            unsent.0.log_io_completed(result);
        }
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageIoError> {
        let mut batch = Batch::new();
        batch.delete_range(Cf::Log, index_key(log_id.index), index_key(u64::MAX));
        batch.delete(Cf::Log, index_key(u64::MAX));
        self.store.write(batch, Durability::Synced).map_err(|e| io_error(ErrorSubject::Logs, ErrorVerb::Delete, e))
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageIoError> {
        let bytes = serde_json::to_vec(&log_id).map_err(|e| io_error(ErrorSubject::Store, ErrorVerb::Write, e))?;
        let mut batch = Batch::new();
        batch.put(Cf::Meta, KEY_LAST_PURGED, bytes);
        batch.delete_range(Cf::Log, index_key(0), index_key(log_id.index.saturating_add(1)));
        self.store.write(batch, Durability::Synced).map_err(|e| io_error(ErrorSubject::Logs, ErrorVerb::Delete, e))
    }
}

/// Upper bound on appends completed by one sync, so one sync's callback burst stays bounded.
const FLUSH_BATCH_COUNT_MAX: usize = 4096;

/// The flusher thread and the channel to it. Dropping the last `LogStore` clone drops this,
/// which closes the channel and joins the thread, so no sync runs after the store is gone.
struct Flusher {
    sender: std::sync::mpsc::Sender<LogFlushed<TypeConfig>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Flusher {
    /// Waits for an append, takes every other queued append, syncs once, completes them in
    /// order; exits when the channel closes.
    fn spawn(store: Arc<dyn Store>) -> Flusher {
        let (sender, receiver) = std::sync::mpsc::channel::<LogFlushed<TypeConfig>>();
        let spawned = std::thread::Builder::new().name("tandem-log-flush".into()).spawn(move || {
            while let Ok(first) = receiver.recv() {
                let mut pending = vec![first];
                while pending.len() < FLUSH_BATCH_COUNT_MAX {
                    match receiver.try_recv() {
                        Ok(callback) => pending.push(callback),
                        Err(_) => break,
                    }
                }
                let result = store.sync().map_err(|e| e.to_string());
                for callback in pending {
                    callback.log_io_completed(result.clone().map_err(std::io::Error::other));
                }
            }
        });
        let thread = match spawned {
            Ok(thread) => Some(thread),
            Err(error) => {
                // Without a thread the receiver is dropped, so every send fails and `append`
                // syncs inline.
                tracing::error!(%error, "cannot start the log flusher thread; syncing each append inline");
                None
            }
        };
        Flusher { sender, thread }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        // Replace the sender so the thread's `recv` fails once the queue is drained.
        let (closed, _) = std::sync::mpsc::channel();
        drop(std::mem::replace(&mut self.sender, closed));
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the log flusher thread panicked");
            }
        }
    }
}
