//! The node's [`Core`]: the actors' narrow view of the replica (propose, read, leadership,
//! clock).

use std::sync::Arc;

use tandem_actors::{Core, Proposed};
use tandem_domain::{Center, Entry};
use tandem_raft::clock::Clock;

use crate::run::NodeReplica;

#[derive(Clone)]
pub struct NodeCore {
    pub replica: Arc<NodeReplica>,
    pub clock: Arc<dyn Clock>,
}

impl Core for NodeCore {
    fn propose(&self, entry: Entry) -> Proposed {
        let replica = self.replica.clone();
        Box::pin(async move { replica.write(entry).await.map_err(|error| error.to_string()) })
    }

    fn is_leader(&self) -> bool {
        self.replica.raft().metrics().borrow().current_leader == Some(self.replica.node_id())
    }

    fn read<R>(&self, read: impl FnOnce(&Center) -> R) -> R {
        read(&self.replica.state().read().center)
    }

    fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }
}
