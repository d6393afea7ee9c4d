//! The one place production code reads the wall clock.
//!
//! The leader stamps each entry's `time_ms` from a [`Clock`]; the simulator passes a virtual one.
//! Nothing else in the workspace may call `SystemTime::now()`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, from whatever time source the runtime uses.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> u64;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(elapsed) => u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            // A clock before 1970 is a misconfigured host; the domain keeps time monotonic anyway.
            Err(_) => 0,
        }
    }
}
