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

/// Business time running `rate` times faster than the wall clock, for evaluating a single node:
/// a sticky email timeout of hours or a team message's expiry can be watched in minutes.
/// Deadlines, entry times, statistics and token lifetimes all run on it; connection timing
/// (heartbeats) does not read a `Clock` and stays in real time.
#[derive(Debug)]
pub struct ScaledClock {
    rate: u32,
    /// Business time at `started`.
    origin_ms: std::sync::atomic::AtomicU64,
    started: std::time::Instant,
}

impl ScaledClock {
    /// Starts at the wall clock's time now, running `rate` times faster (at least 1).
    pub fn new(rate: u32) -> ScaledClock {
        ScaledClock {
            rate: rate.max(1),
            origin_ms: std::sync::atomic::AtomicU64::new(SystemClock.now_ms()),
            started: std::time::Instant::now(),
        }
    }

    /// Carries on from `time_ms` if that is later than this clock now: after a restart the
    /// center's time is ahead of the wall clock by what the faster clock gained, and time must
    /// not stand still until the wall clock catches up.
    pub fn continue_from(&self, time_ms: u64) {
        let now_ms = self.now_ms();
        if time_ms > now_ms {
            self.origin_ms.fetch_add(time_ms - now_ms, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl Clock for ScaledClock {
    fn now_ms(&self) -> u64 {
        let elapsed_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let origin_ms = self.origin_ms.load(std::sync::atomic::Ordering::SeqCst);
        origin_ms.saturating_add(elapsed_ms.saturating_mul(u64::from(self.rate)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_clock_runs_faster_and_carries_on_from_a_later_time() {
        let clock = ScaledClock::new(1_000);
        let before = clock.now_ms();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let after = clock.now_ms();
        assert!(after - before >= 20_000, "20 ms of wall time is at least 20 s: {}", after - before);
        clock.continue_from(after + 3_600_000);
        assert!(clock.now_ms() >= after + 3_600_000);
        let now = clock.now_ms();
        clock.continue_from(now - 1_000);
        assert!(clock.now_ms() >= now, "an earlier time changes nothing");
    }
}
