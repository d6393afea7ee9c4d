//! Bugs planted on purpose, so the simulator can show that it finds them.
//!
//! Compiled only with the `planted-bugs` feature, which only the simulator enables, and switched
//! on only by data: the [`crate::SystemCommand::PlantBugs`] entry the simulator proposes first when a
//! run asks for a bug. The switch is replicated like any other state, so every replica (and
//! every restart, snapshot and replay) runs the same buggy code, exactly as a real bug would.
//! With every flag off, nothing here changes an outcome.

use serde::{Deserialize, Serialize};

/// Which planted bugs are on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlantedBugs {
    /// Chat and email availability ignores the agent's capacity (the spec's capacity race).
    pub skip_capacity_check: bool,
    /// Routing picks among agents tied on the selection criterion in hash order, which differs
    /// between replicas and between runs, instead of by the written tie rule.
    pub random_tie_break: bool,
    /// Routing work drains agents in `HashSet` order instead of id order.
    pub hash_order_dispatch: bool,
}
