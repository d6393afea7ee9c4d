//! openraft's own storage conformance suite, run against both stores.

use std::sync::Arc;

use openraft::testing::{StoreBuilder, Suite};
use tandem_storage::{RocksStore, SimStore, Store};
use tokio::sync::broadcast;

use crate::{Flush, LogStore, StateMachineStore, StorageIoError, TypeConfig};

fn stores(store: Arc<dyn Store>, flush: Flush) -> Result<(LogStore, StateMachineStore), StorageIoError> {
    let (events, _) = broadcast::channel(16);
    Ok((LogStore::new(store.clone(), flush), StateMachineStore::open(store, events)?))
}

struct RocksBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachineStore, tempfile::TempDir> for RocksBuilder {
    async fn build(&self) -> Result<(tempfile::TempDir, LogStore, StateMachineStore), StorageIoError> {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("temporary directory: {e}"),
        };
        let store = match RocksStore::open(dir.path()) {
            Ok(store) => store,
            Err(e) => panic!("open RocksDB: {e}"),
        };
        let (log, machine) = stores(Arc::new(store), Flush::Background)?;
        Ok((dir, log, machine))
    }
}

struct SimBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachineStore> for SimBuilder {
    async fn build(&self) -> Result<((), LogStore, StateMachineStore), StorageIoError> {
        let (log, machine) = stores(Arc::new(SimStore::new()), Flush::Inline)?;
        Ok(((), log, machine))
    }
}

#[test]
fn rocks_store_passes_openraft_suite() {
    Suite::test_all(RocksBuilder).unwrap();
}

#[test]
fn sim_store_passes_openraft_suite() {
    Suite::test_all(SimBuilder).unwrap();
}
