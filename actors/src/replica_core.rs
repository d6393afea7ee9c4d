//! [`Core`] over a [`Replica`]: the one implementation the node and the simulator share, so the
//! actors they run reach Raft the same way and differ only in the transport and the clock.

use std::sync::Arc;

use tandem_domain::{Center, Entry};
use tandem_raft::clock::Clock;
use tandem_raft::{Replica, Transport};

use crate::{Core, Proposed};

/// Proposes through the replica (forwarded to the leader), leads when the replica's Raft
/// metrics name this node, reads the applied center, and tells time by `clock`.
pub struct ReplicaCore<T: Transport> {
    replica: Arc<Replica<T>>,
    clock: Arc<dyn Clock>,
}

impl<T: Transport> ReplicaCore<T> {
    pub fn new(replica: Arc<Replica<T>>, clock: Arc<dyn Clock>) -> Self {
        ReplicaCore { replica, clock }
    }
}

impl<T: Transport> Clone for ReplicaCore<T> {
    fn clone(&self) -> Self {
        ReplicaCore { replica: self.replica.clone(), clock: self.clock.clone() }
    }
}

impl<T: Transport> Core for ReplicaCore<T> {
    fn propose(&self, entry: Entry) -> Proposed {
        let replica = self.replica.clone();
        Box::pin(async move { replica.write(entry).await.map_err(|error| error.to_string()) })
    }

    fn is_leader(&self) -> bool {
        self.replica.leads()
    }

    fn read<R>(&self, read: impl FnOnce(&Center) -> R) -> R {
        read(&self.replica.state().read().center)
    }

    fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }
}
