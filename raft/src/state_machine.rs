//! The state machine: the domain [`Center`] in memory, checkpointed durably with each snapshot.
//!
//! `apply` runs [`Center::apply`] for each committed entry and publishes what it produced on a
//! broadcast channel (the node's event bus). It does not write to disk: on restart the state is
//! the last snapshot (which is the checkpoint: its meta names the applied log id) plus openraft
//! replaying the committed log after it. That keeps apply off the fsync path, and it is why a
//! snapshot, which allows the log before it to be purged, is written with a synced batch before
//! it is reported as built.

use std::io::Cursor;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{EntryPayload, ErrorSubject, ErrorVerb, OptionalSend, RaftSnapshotBuilder};
use serde::{Deserialize, Serialize};
use tandem_domain::{Audience, Center, Event, Outcome};
use tandem_storage::{Batch, Cf, Durability, Store};
use tokio::sync::broadcast;

use crate::snapshot::{decode_payload, decode_stored, encode_payload, encode_stored, StoredSnapshot};
use crate::{io_error, LogId, SnapshotMeta, StorageIoError, StoredMembership, TypeConfig};

const KEY_CHECKPOINT: &[u8] = b"checkpoint";
const KEY_SNAPSHOT: &[u8] = b"current";

/// Applied batches buffered for slow event-bus subscribers before they are told they lagged.
pub const EVENT_BUS_CAPACITY: usize = 4096;

/// What the replicated state is, and up to where. Read by the HTTP API, written only by apply
/// and snapshot install.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StateMachineData {
    pub last_applied: Option<LogId>,
    pub membership: StoredMembership,
    pub center: Center,
}

/// The state shared between the state machine (writer) and request handlers (readers).
#[derive(Debug, Clone, Default)]
pub struct SharedState {
    inner: Arc<RwLock<StateMachineData>>,
}

impl SharedState {
    pub fn read(&self) -> RwLockReadGuard<'_, StateMachineData> {
        // A poisoned lock means apply panicked: the node steps aside (`is_failed`); reading the
        // state to answer that is still safe.
        match self.inner.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Whether an apply panicked while holding the state: what readers see may be half
    /// applied, and the node must stop serving it.
    pub fn is_failed(&self) -> bool {
        self.inner.is_poisoned()
    }

    fn write(&self) -> RwLockWriteGuard<'_, StateMachineData> {
        match self.inner.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// Events produced by one applied log entry (all its domain entries, in order). The events are
/// numbered from `first_event_index` on, consecutively, by the center's event index: the same
/// numbers on every replica, so a subscriber can resume on another node. Replayed requests add
/// no events.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedBatch {
    pub log_index: u64,
    pub first_event_index: u64,
    /// Each event with who sees it, as the domain decided when it applied.
    pub events: Vec<(Event, Audience)>,
}

impl AppliedBatch {
    /// The index of the last event in the batch.
    pub fn last_event_index(&self) -> u64 {
        self.first_event_index + self.events.len() as u64 - 1
    }
}

pub struct StateMachineStore {
    store: Arc<dyn Store>,
    state: SharedState,
    events: broadcast::Sender<AppliedBatch>,
    snapshot_count: u64,
    build_on_blocking_thread: bool,
}

impl StateMachineStore {
    /// Opens the state machine from its last durable checkpoint: the stored snapshot (its meta
    /// holds the applied log id and membership), or the separate checkpoint that releases before
    /// 0.1 wrote beside it.
    pub fn open(
        store: Arc<dyn Store>,
        events: broadcast::Sender<AppliedBatch>,
    ) -> Result<StateMachineStore, StorageIoError> {
        let checkpoint = store
            .get(Cf::StateMachine, KEY_CHECKPOINT)
            .map_err(|e| io_error(ErrorSubject::StateMachine, ErrorVerb::Read, e))?;
        let snapshot = store
            .get(Cf::Snapshot, KEY_SNAPSHOT)
            .map_err(|e| io_error(ErrorSubject::Snapshot(None), ErrorVerb::Read, e))?;
        let data = match (checkpoint, snapshot) {
            (Some(bytes), _) => {
                serde_json::from_slice(&bytes).map_err(|e| io_error(ErrorSubject::StateMachine, ErrorVerb::Read, e))?
            }
            (None, Some(bytes)) => {
                let stored = decode_stored(&bytes)?;
                StateMachineData {
                    last_applied: stored.meta.last_log_id,
                    membership: stored.meta.last_membership,
                    center: decode_payload(&stored.data)?,
                }
            }
            (None, None) => StateMachineData::default(),
        };
        Ok(StateMachineStore {
            store,
            state: SharedState { inner: Arc::new(RwLock::new(data)) },
            events,
            snapshot_count: 0,
            build_on_blocking_thread: false,
        })
    }

    /// Encode and write snapshots on tokio's blocking pool, so a large center does not stall an
    /// async worker (and the heartbeats and writes queued on it) for the length of the encode.
    /// Off by default: the simulator runs everything on one thread.
    pub fn build_snapshots_on_blocking_thread(mut self, on: bool) -> Self {
        self.build_on_blocking_thread = on;
        self
    }

    pub fn shared(&self) -> SharedState {
        self.state.clone()
    }
}

/// Writes the snapshot, which is also the state machine's checkpoint, in one synced batch, and
/// drops the separate checkpoint older releases kept (it would now be stale).
fn persist(store: &dyn Store, snapshot: &StoredSnapshot) -> Result<(), StorageIoError> {
    let subject = ErrorSubject::Snapshot(Some(snapshot.meta.signature()));
    let stored = encode_stored(snapshot)?;
    let mut batch = Batch::new();
    batch.delete(Cf::StateMachine, KEY_CHECKPOINT);
    batch.put(Cf::Snapshot, KEY_SNAPSHOT, stored);
    store.write(batch, Durability::Synced).map_err(|e| io_error(subject, ErrorVerb::Write, e))
}

impl RaftStateMachine<TypeConfig> for StateMachineStore {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageIoError> {
        let data = self.state.read();
        Ok((data.last_applied, data.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Vec<Outcome>>, StorageIoError>
    where
        I: IntoIterator<Item = openraft::Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut outcomes = Vec::new();
        let mut batches = Vec::new();
        {
            let mut data = self.state.write();
            for entry in entries {
                data.last_applied = Some(entry.log_id);
                let first_event_index = data.center.event_index() + 1;
                let mut events = Vec::new();
                let results = match entry.payload {
                    EntryPayload::Blank => Vec::new(),
                    EntryPayload::Normal(proposal) => {
                        let mut results = Vec::with_capacity(proposal.entries.len());
                        for request in &proposal.entries {
                            let events_before = data.center.event_index();
                            let outcome = data.center.apply(request);
                            // A replay returns its remembered events but produced none now.
                            if let (Outcome::Applied(applied), true) =
                                (&outcome, data.center.event_index() > events_before)
                            {
                                let published = applied.published();
                                events.extend(published.map(|(event, audience)| (event.clone(), audience.clone())));
                            }
                            results.push(outcome);
                        }
                        results
                    }
                    EntryPayload::Membership(membership) => {
                        data.membership = StoredMembership::new(Some(entry.log_id), membership);
                        Vec::new()
                    }
                };
                if !events.is_empty() {
                    batches.push(AppliedBatch { log_index: entry.log_id.index, first_event_index, events });
                }
                outcomes.push(results);
            }
        }
        for batch in batches {
            // No subscriber is fine: events are also derivable from the log.
            let _ = self.events.send(batch);
        }
        Ok(outcomes)
    }

    async fn get_snapshot_builder(&mut self) -> SnapshotBuilder {
        self.snapshot_count += 1;
        SnapshotBuilder {
            store: self.store.clone(),
            state: self.state.clone(),
            snapshot_count: self.snapshot_count,
            on_blocking_thread: self.build_on_blocking_thread,
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageIoError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageIoError> {
        let bytes = snapshot.into_inner();
        let center = decode_payload(&bytes)?;
        let data =
            StateMachineData { last_applied: meta.last_log_id, membership: meta.last_membership.clone(), center };
        persist(self.store.as_ref(), &StoredSnapshot { meta: meta.clone(), data: bytes })?;
        *self.state.write() = data;
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageIoError> {
        let bytes = self
            .store
            .get(Cf::Snapshot, KEY_SNAPSHOT)
            .map_err(|e| io_error(ErrorSubject::Snapshot(None), ErrorVerb::Read, e))?;
        let Some(bytes) = bytes else { return Ok(None) };
        let stored = decode_stored(&bytes)?;
        Ok(Some(Snapshot { meta: stored.meta, snapshot: Box::new(Cursor::new(stored.data)) }))
    }
}

/// Builds a snapshot from a copy of the state taken under the read lock when `build_snapshot`
/// runs, so the copy is consistent with the log id it is labelled with.
pub struct SnapshotBuilder {
    store: Arc<dyn Store>,
    state: SharedState,
    snapshot_count: u64,
    on_blocking_thread: bool,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageIoError> {
        let data = self.state.read().clone();
        let store = self.store.clone();
        let snapshot_count = self.snapshot_count;
        if !self.on_blocking_thread {
            return build(store.as_ref(), &data, snapshot_count);
        }
        match tokio::task::spawn_blocking(move || build(store.as_ref(), &data, snapshot_count)).await {
            Ok(result) => result,
            Err(error) => Err(io_error(ErrorSubject::Snapshot(None), ErrorVerb::Write, std::io::Error::other(error))),
        }
    }
}

/// Encodes `data` as a snapshot and persists it with the checkpoint.
fn build(
    store: &dyn Store,
    data: &StateMachineData,
    snapshot_count: u64,
) -> Result<Snapshot<TypeConfig>, StorageIoError> {
    let bytes = encode_payload(&data.center)?;
    let snapshot_id = match data.last_applied {
        Some(log_id) => format!("{}-{}-{}", log_id.leader_id, log_id.index, snapshot_count),
        None => format!("empty-{snapshot_count}"),
    };
    let meta = SnapshotMeta { last_log_id: data.last_applied, last_membership: data.membership.clone(), snapshot_id };
    let stored = StoredSnapshot { meta: meta.clone(), data: bytes };
    persist(store, &stored)?;
    Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(stored.data)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::STORED_SNAPSHOT_FRAMED;

    fn stored() -> StoredSnapshot {
        let meta =
            SnapshotMeta { last_log_id: None, last_membership: StoredMembership::default(), snapshot_id: "s-1".into() };
        StoredSnapshot { meta, data: encode_payload(&Center::default()).unwrap() }
    }

    #[test]
    fn a_framed_snapshot_reads_back_and_a_json_one_still_reads() {
        let snapshot = stored();
        let framed = encode_stored(&snapshot).unwrap();
        assert_eq!(framed.first(), Some(&STORED_SNAPSHOT_FRAMED));
        let back = decode_stored(&framed).unwrap();
        assert_eq!((back.meta, back.data.clone()), (snapshot.meta.clone(), snapshot.data.clone()));
        assert_eq!(decode_payload(&back.data).unwrap(), Center::default());

        let json = serde_json::to_vec(&snapshot).unwrap();
        let back = decode_stored(&json).unwrap();
        assert_eq!(back.data, snapshot.data, "snapshots written as JSON by earlier releases still read");
    }

    #[test]
    fn a_damaged_stored_snapshot_is_an_error_not_a_panic() {
        let framed = encode_stored(&stored()).unwrap();
        for cut in 0..12 {
            let _ = decode_stored(&framed[..cut.min(framed.len())]);
        }
        assert!(decode_stored(&[]).is_err());
        assert!(decode_stored(&[STORED_SNAPSHOT_FRAMED, 0, 0, 0]).is_err());
        assert!(decode_stored(&[STORED_SNAPSHOT_FRAMED, 255, 255, 255, 255, b'{']).is_err());
        assert!(decode_stored(&[7]).is_err());
    }
}
