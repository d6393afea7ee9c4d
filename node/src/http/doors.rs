//! Limits at the node's public doors that need no agreement between nodes: how fast one
//! client address may try passwords. A password check costs an Argon2 run (about 20 ms of a
//! core); without a limit one address could keep every password worker busy and make the
//! logins of everyone else wait, or fill the queue so they are refused. Checked before any
//! work, so a refused attempt costs almost nothing. The per-user lockout is in the replicated
//! state instead (an attacker could otherwise rotate nodes).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::LoginLimits;

/// Addresses tracked at most; past it the ones with full buckets (idle) are forgotten.
const ADDRESSES_TRACKED_MAX: usize = 100_000;

/// A token bucket per client address.
pub struct LoginLimiter {
    limits: LoginLimits,
    epoch: Instant,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: u64,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> LoginLimiter {
        LoginLimiter { limits, epoch: Instant::now(), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one login attempt for `address` now; `Err` holds the seconds until the next one
    /// is allowed.
    pub fn admit(&self, address: IpAddr) -> Result<(), u64> {
        let now_ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.admit_at(address, now_ms)
    }

    fn admit_at(&self, address: IpAddr, now_ms: u64) -> Result<(), u64> {
        let rate = f64::from(self.limits.per_address_per_second.max(1));
        let burst = f64::from(self.limits.per_address_burst.max(1));
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        if buckets.len() >= ADDRESSES_TRACKED_MAX && !buckets.contains_key(&address) {
            buckets.retain(|_, bucket| refilled(*bucket, now_ms, rate, burst) < burst);
        }
        let bucket = buckets.entry(address).or_insert(Bucket { tokens: burst, at_ms: now_ms });
        let tokens = refilled(*bucket, now_ms, rate, burst);
        if tokens < 1.0 {
            *bucket = Bucket { tokens, at_ms: now_ms };
            return Err(((1.0 - tokens) / rate).ceil().max(1.0) as u64);
        }
        *bucket = Bucket { tokens: tokens - 1.0, at_ms: now_ms };
        Ok(())
    }
}

fn refilled(bucket: Bucket, now_ms: u64, rate: f64, burst: f64) -> f64 {
    let elapsed_s = now_ms.saturating_sub(bucket.at_ms) as f64 / 1000.0;
    (bucket.tokens + elapsed_s * rate).min(burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_burst_then_its_rate_and_others_are_not_affected() {
        let limiter = LoginLimiter::new(LoginLimits { per_address_per_second: 2, per_address_burst: 3 });
        let one: IpAddr = [10, 0, 0, 1].into();
        let other: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert_eq!(limiter.admit_at(one, 1_000), Ok(()));
        }
        assert_eq!(limiter.admit_at(one, 1_000), Err(1), "the burst is spent");
        assert_eq!(limiter.admit_at(other, 1_000), Ok(()), "another address has its own");
        assert_eq!(limiter.admit_at(one, 1_499), Err(1));
        assert_eq!(limiter.admit_at(one, 1_500), Ok(()), "two per second: one every 500 ms");
        assert_eq!(limiter.admit_at(one, 1_500), Err(1));
        assert_eq!(limiter.admit_at(one, 60_000).map(|()| 0), Ok(0));
    }
}
