//! An in-memory [`Store`] for the simulator, with a durability model.
//!
//! It keeps two images: what readers see, and what would survive a crash. A synced write makes
//! the whole visible image durable (as syncing RocksDB's WAL does for every earlier write); a
//! buffered write changes only the visible image. [`SimStore::crash`] throws away what was not
//! synced. Faults are injected by the harness, which draws them from its seed: the store itself
//! has no randomness.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{Batch, Cf, Durability, KeyValue, Op, StorageError, Store};

/// Faults the simulator arms; each counter is consumed by the next matching operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimFaults {
    /// The next this-many writes fail with an I/O error and change nothing.
    pub write_errors: u32,
    /// The next this-many synced writes (and explicit syncs) fail: the data is applied to the
    /// visible image but not made durable, like a failed fsync.
    pub sync_errors: u32,
}

type Image = [BTreeMap<Vec<u8>, Vec<u8>>; 4];

#[derive(Debug, Default)]
struct State {
    visible: Image,
    durable: Image,
    /// Operations applied to `visible` but not yet to `durable`, in order.
    pending: Vec<Op>,
    faults: SimFaults,
    synced_write_count: u64,
}

/// Cheap to clone; clones share the same data, like handles to one disk.
#[derive(Debug, Clone, Default)]
pub struct SimStore {
    state: Arc<Mutex<State>>,
}

impl SimStore {
    pub fn new() -> SimStore {
        SimStore::default()
    }

    /// Simulates power loss: every write not yet synced is gone.
    pub fn crash(&self) {
        let mut state = self.lock();
        state.visible = state.durable.clone();
        state.pending.clear();
    }

    pub fn inject(&self, faults: SimFaults) {
        self.lock().faults = faults;
    }

    /// How many writes are visible but would be lost by a crash now.
    pub fn unsynced_op_count(&self) -> u64 {
        self.lock().pending.len() as u64
    }

    pub fn synced_write_count(&self) -> u64 {
        self.lock().synced_write_count
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a panic mid-operation in the simulator, which already failed the run.
        match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

fn apply(image: &mut Image, op: &Op) {
    match op {
        Op::Put { cf, key, value } => {
            image[cf.index()].insert(key.clone(), value.clone());
        }
        Op::Delete { cf, key } => {
            image[cf.index()].remove(key);
        }
        Op::DeleteRange { cf, from, to } => {
            let map = &mut image[cf.index()];
            let doomed: Vec<Vec<u8>> = map.range(from.clone()..to.clone()).map(|(k, _)| k.clone()).collect();
            for key in doomed {
                map.remove(&key);
            }
        }
    }
}

fn make_durable(state: &mut State) {
    let pending = std::mem::take(&mut state.pending);
    for op in &pending {
        apply(&mut state.durable, op);
    }
}

impl Store for SimStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.lock().visible[cf.index()].get(key).cloned())
    }

    fn write(&self, batch: Batch, durability: Durability) -> Result<(), StorageError> {
        let mut state = self.lock();
        if state.faults.write_errors > 0 {
            state.faults.write_errors -= 1;
            return Err(StorageError::new("write", "batch", "injected I/O error"));
        }
        for op in batch.ops() {
            apply(&mut state.visible, op);
            state.pending.push(op.clone());
        }
        if durability == Durability::Synced {
            if state.faults.sync_errors > 0 {
                state.faults.sync_errors -= 1;
                return Err(StorageError::new("sync", "wal", "injected fsync error"));
            }
            make_durable(&mut state);
            state.synced_write_count += 1;
        }
        Ok(())
    }

    fn scan(&self, cf: Cf, from: &[u8], to: Option<&[u8]>, limit: u32) -> Result<Vec<KeyValue>, StorageError> {
        let state = self.lock();
        let map = &state.visible[cf.index()];
        let range = map.range(from.to_vec()..);
        Ok(range
            .take_while(|(key, _)| to.is_none_or(|to| key.as_slice() < to))
            .take(limit as usize)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn last(&self, cf: Cf) -> Result<Option<KeyValue>, StorageError> {
        Ok(self.lock().visible[cf.index()].iter().next_back().map(|(k, v)| (k.clone(), v.clone())))
    }

    fn sync(&self) -> Result<(), StorageError> {
        let mut state = self.lock();
        if state.faults.sync_errors > 0 {
            state.faults.sync_errors -= 1;
            return Err(StorageError::new("sync", "wal", "injected fsync error"));
        }
        make_durable(&mut state);
        Ok(())
    }
}
