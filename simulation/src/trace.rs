//! The run's trace, reduced to one hash.
//!
//! Two runs of one seed must do the same things at the same simulated times. Keeping every
//! record would cost memory for long runs, so each record (simulated time, node, kind, value)
//! is folded into an FNV-1a hash as it happens; equal hashes mean equal traces. FNV is written
//! out here rather than taken from `std`'s hasher, whose algorithm may change between releases.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over bytes.
pub fn fnv(bytes: &[u8]) -> u64 {
    fnv_extend(FNV_OFFSET, bytes)
}

fn fnv_extend(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// What a trace record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The reference replica applied a committed entry (value: entry bytes and outcome).
    Applied = 1,
    /// A node's leader or term changed (value: term and leader).
    Leader = 2,
    /// A fault was injected or healed (value: its description).
    Fault = 3,
    /// A client got an answer (value: request id and outcome).
    Ack = 4,
    /// A node's applied index moved (value: the index).
    Progress = 5,
}

#[derive(Debug, Clone)]
pub struct Trace {
    hash: u64,
    record_count: u64,
}

impl Default for Trace {
    fn default() -> Self {
        Trace { hash: FNV_OFFSET, record_count: 0 }
    }
}

impl Trace {
    pub fn record(&mut self, time_ms: u64, node: u64, kind: Kind, value: u64) {
        let mut bytes = [0u8; 25];
        bytes[..8].copy_from_slice(&time_ms.to_le_bytes());
        bytes[8..16].copy_from_slice(&node.to_le_bytes());
        bytes[16] = kind as u8;
        bytes[17..].copy_from_slice(&value.to_le_bytes());
        self.hash = fnv_extend(self.hash, &bytes);
        self.record_count += 1;
    }

    pub fn hash(&self) -> u64 {
        self.hash
    }

    pub fn record_count(&self) -> u64 {
        self.record_count
    }
}
