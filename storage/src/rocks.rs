//! RocksDB behind [`Store`]: one column family per [`Cf`], atomic write batches, and the WAL
//! synced for [`Durability::Synced`] writes.
//!
//! Every option we rely on is set explicitly rather than left to RocksDB's defaults.

use std::path::Path;
use std::sync::Arc;

use rocksdb::{ColumnFamilyDescriptor, Direction, IteratorMode, Options, ReadOptions, WriteBatch, WriteOptions, DB};

use crate::{Batch, Cf, Durability, KeyValue, Op, StorageError, Store};

/// A RocksDB database with Tandem's column families. Cheap to clone.
#[derive(Clone)]
pub struct RocksStore {
    db: Arc<DB>,
}

impl std::fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksStore").field("path", &self.db.path()).finish()
    }
}

impl RocksStore {
    /// Opens (creating if needed) the database in `path`.
    pub fn open(path: &Path) -> Result<RocksStore, StorageError> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        options.set_use_fsync(false); // fdatasync is enough for the WAL.
        options.set_manual_wal_flush(false);
        options.set_keep_log_file_num(4);
        // Every acknowledged write is synced, so only a record being written at a crash can be
        // torn: tolerate that one at the tail, and refuse to open on corruption anywhere else
        // (point-in-time recovery would silently drop acknowledged Raft entries after it).
        options.set_wal_recovery_mode(rocksdb::DBRecoveryMode::TolerateCorruptedTailRecords);
        options.set_compression_type(rocksdb::DBCompressionType::None);
        let descriptors = Cf::ALL.iter().map(|cf| {
            let mut cf_options = Options::default();
            cf_options.set_compression_type(rocksdb::DBCompressionType::None);
            ColumnFamilyDescriptor::new(cf.name(), cf_options)
        });
        let db = DB::open_cf_descriptors(&options, path, descriptors)
            .map_err(|e| StorageError::new("open", "database", format!("{}: {e}", path.display())))?;
        Ok(RocksStore { db: Arc::new(db) })
    }

    fn handle(&self, cf: Cf) -> Result<&rocksdb::ColumnFamily, StorageError> {
        match self.db.cf_handle(cf.name()) {
            Some(handle) => Ok(handle),
            None => Err(StorageError::new("open", cf.name(), "column family missing")),
        }
    }
}

impl Store for RocksStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let handle = self.handle(cf)?;
        self.db.get_cf(handle, key).map_err(|e| StorageError::new("read", cf.name(), e.to_string()))
    }

    fn write(&self, batch: Batch, durability: Durability) -> Result<(), StorageError> {
        let mut write_batch = WriteBatch::default();
        for op in batch.ops() {
            match op {
                Op::Put { cf, key, value } => write_batch.put_cf(self.handle(*cf)?, key, value),
                Op::Delete { cf, key } => write_batch.delete_cf(self.handle(*cf)?, key),
                Op::DeleteRange { cf, from, to } => write_batch.delete_range_cf(self.handle(*cf)?, from, to),
            }
        }
        let mut options = WriteOptions::default();
        options.set_sync(durability == Durability::Synced);
        options.disable_wal(false);
        self.db.write_opt(write_batch, &options).map_err(|e| StorageError::new("write", "batch", e.to_string()))
    }

    fn scan(&self, cf: Cf, from: &[u8], to: Option<&[u8]>, limit: u32) -> Result<Vec<KeyValue>, StorageError> {
        let handle = self.handle(cf)?;
        let mut read_options = ReadOptions::default();
        if let Some(to) = to {
            read_options.set_iterate_upper_bound(to.to_vec());
        }
        let iterator = self.db.iterator_cf_opt(handle, read_options, IteratorMode::From(from, Direction::Forward));
        let mut pairs = Vec::new();
        for item in iterator {
            if pairs.len() >= limit as usize {
                break;
            }
            let (key, value) = item.map_err(|e| StorageError::new("scan", cf.name(), e.to_string()))?;
            pairs.push((key.to_vec(), value.to_vec()));
        }
        Ok(pairs)
    }

    fn last(&self, cf: Cf) -> Result<Option<KeyValue>, StorageError> {
        let handle = self.handle(cf)?;
        match self.db.iterator_cf(handle, IteratorMode::End).next() {
            None => Ok(None),
            Some(Ok((key, value))) => Ok(Some((key.to_vec(), value.to_vec()))),
            Some(Err(e)) => Err(StorageError::new("scan", cf.name(), e.to_string())),
        }
    }

    fn sync(&self) -> Result<(), StorageError> {
        self.db.flush_wal(true).map_err(|e| StorageError::new("sync", "wal", e.to_string()))
    }
}
