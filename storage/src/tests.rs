//! One conformance table run against both stores, plus the simulated store's durability model.

use super::*;

fn conformance(store: &dyn Store) {
    let mut batch = Batch::new();
    for index in [3u64, 1, 2, 10] {
        batch.put(Cf::Log, index_key(index), format!("entry {index}"));
    }
    batch.put(Cf::Meta, "vote", "v1");
    store.write(batch, Durability::Synced).unwrap();

    assert_eq!(store.get(Cf::Meta, b"vote").unwrap(), Some(b"v1".to_vec()));
    assert_eq!(store.get(Cf::Log, b"vote").unwrap(), None, "column families are separate");

    let all = store.scan(Cf::Log, &index_key(0), None, 100).unwrap();
    let indexes: Vec<u64> = all.iter().map(|(k, _)| index_from_key(k).unwrap()).collect();
    assert_eq!(indexes, vec![1, 2, 3, 10], "numeric order");

    let bounded = store.scan(Cf::Log, &index_key(2), Some(&index_key(10)), 100).unwrap();
    assert_eq!(bounded.len(), 2);
    let limited = store.scan(Cf::Log, &index_key(0), None, 1).unwrap();
    assert_eq!(limited.len(), 1);

    assert_eq!(index_from_key(&store.last(Cf::Log).unwrap().unwrap().0), Some(10));
    assert_eq!(store.last(Cf::Snapshot).unwrap(), None);

    let mut batch = Batch::new();
    batch.delete_range(Cf::Log, index_key(0), index_key(3));
    batch.delete(Cf::Meta, "vote");
    store.write(batch, Durability::Buffered).unwrap();
    let left: Vec<u64> = store
        .scan(Cf::Log, &index_key(0), None, 100)
        .unwrap()
        .iter()
        .map(|(k, _)| index_from_key(k).unwrap())
        .collect();
    assert_eq!(left, vec![3, 10], "delete_range is half-open");
    assert_eq!(store.get(Cf::Meta, b"vote").unwrap(), None);
    store.sync().unwrap();
}

#[test]
fn rocks_store_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    conformance(&store);
}

#[test]
fn rocks_store_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = RocksStore::open(dir.path()).unwrap();
        let mut batch = Batch::new();
        batch.put(Cf::Log, index_key(7), "seven");
        store.write(batch, Durability::Synced).unwrap();
    }
    let store = RocksStore::open(dir.path()).unwrap();
    assert_eq!(store.get(Cf::Log, &index_key(7)).unwrap(), Some(b"seven".to_vec()));
}

#[test]
fn sim_store_conformance() {
    conformance(&SimStore::new());
}

#[test]
fn sim_store_crash_loses_only_unsynced_writes() {
    let store = SimStore::new();
    let mut batch = Batch::new();
    batch.put(Cf::Log, index_key(1), "synced");
    store.write(batch, Durability::Synced).unwrap();
    let mut batch = Batch::new();
    batch.put(Cf::Log, index_key(2), "buffered");
    store.write(batch, Durability::Buffered).unwrap();
    assert_eq!(store.unsynced_op_count(), 1);
    assert!(store.get(Cf::Log, &index_key(2)).unwrap().is_some(), "visible before the crash");

    store.crash();
    assert_eq!(store.get(Cf::Log, &index_key(1)).unwrap(), Some(b"synced".to_vec()));
    assert_eq!(store.get(Cf::Log, &index_key(2)).unwrap(), None);
}

#[test]
fn sim_store_synced_write_makes_earlier_buffered_writes_durable() {
    let store = SimStore::new();
    let mut batch = Batch::new();
    batch.put(Cf::Meta, "a", "1");
    store.write(batch, Durability::Buffered).unwrap();
    let mut batch = Batch::new();
    batch.put(Cf::Meta, "b", "2");
    store.write(batch, Durability::Synced).unwrap();
    store.crash();
    assert!(store.get(Cf::Meta, b"a").unwrap().is_some());
    assert!(store.get(Cf::Meta, b"b").unwrap().is_some());
}

#[test]
fn sim_store_injected_faults() {
    let store = SimStore::new();
    store.inject(SimFaults { write_errors: 1, sync_errors: 1 });
    let mut batch = Batch::new();
    batch.put(Cf::Meta, "a", "1");
    let error = store.write(batch.clone(), Durability::Synced).unwrap_err();
    assert_eq!(error.verb, "write");
    assert_eq!(store.get(Cf::Meta, b"a").unwrap(), None, "a failed write changes nothing");

    let error = store.write(batch.clone(), Durability::Synced).unwrap_err();
    assert_eq!(error.verb, "sync");
    store.crash();
    assert_eq!(store.get(Cf::Meta, b"a").unwrap(), None, "a failed sync is not durable");

    store.write(batch, Durability::Synced).unwrap();
    store.crash();
    assert!(store.get(Cf::Meta, b"a").unwrap().is_some());
}
