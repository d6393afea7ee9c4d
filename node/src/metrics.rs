//! `/metrics` in the Prometheus text format.
//!
//! Raft figures are read from openraft's metrics at scrape time; write latency (propose to
//! applied outcome, as the client sees it) is a fixed-bucket histogram kept in atomics, so
//! recording costs no lock on the request path.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse};

use crate::http::AppState;

/// Upper bounds of the write-latency buckets, in seconds.
const LATENCY_BUCKETS_SECONDS: [f64; 12] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0];

pub struct Metrics {
    rpc_error_count: Arc<AtomicU64>,
    rpc_rejected_count: AtomicU64,
    write_bucket_counts: [AtomicU64; LATENCY_BUCKETS_SECONDS.len()],
    write_count: AtomicU64,
    write_failed_count: AtomicU64,
    write_latency_sum_micros: AtomicU64,
}

impl Metrics {
    pub fn new(rpc_error_count: Arc<AtomicU64>) -> Metrics {
        Metrics {
            rpc_error_count,
            rpc_rejected_count: AtomicU64::new(0),
            write_bucket_counts: std::array::from_fn(|_| AtomicU64::new(0)),
            write_count: AtomicU64::new(0),
            write_failed_count: AtomicU64::new(0),
            write_latency_sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe_write(&self, elapsed: Duration, succeeded: bool) {
        if !succeeded {
            self.write_failed_count.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let seconds = elapsed.as_secs_f64();
        for (bound, count) in LATENCY_BUCKETS_SECONDS.iter().zip(&self.write_bucket_counts) {
            if seconds <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.write_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.write_latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn count_rpc_rejected(&self) {
        self.rpc_rejected_count.fetch_add(1, Ordering::Relaxed);
    }
}

fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
}

pub async fn handler(state: web::Data<AppState>) -> HttpResponse {
    let status = crate::http::local_status(&state);
    let metrics = &state.metrics;
    let mut out = String::new();
    gauge(&mut out, "tandem_raft_term", "Current Raft term.", status.term);
    gauge(&mut out, "tandem_raft_is_leader", "1 if this node is the Raft leader.", u8::from(status.role == "leader"));
    gauge(&mut out, "tandem_raft_leader_id", "Node id of the known leader, 0 if none.", status.leader_id.unwrap_or(0));
    gauge(
        &mut out,
        "tandem_raft_last_log_index",
        "Index of the last entry in the local log.",
        status.last_log_index.unwrap_or(0),
    );
    gauge(
        &mut out,
        "tandem_raft_applied_index",
        "Index of the last committed entry applied here.",
        status.applied_index.unwrap_or(0),
    );
    gauge(
        &mut out,
        "tandem_raft_snapshot_index",
        "Last index covered by the local snapshot.",
        status.snapshot_index.unwrap_or(0),
    );
    gauge(&mut out, "tandem_raft_voter_count", "Voters in the membership.", status.voters.len());
    counter(
        &mut out,
        "tandem_raft_rpc_errors_total",
        "Outbound Raft RPCs that failed.",
        metrics.rpc_error_count.load(Ordering::Relaxed),
    );
    counter(
        &mut out,
        "tandem_raft_log_appended_bytes_total",
        "Bytes of entries written to this node's Raft log since it started (how fast the log grows).",
        state.replica.log_appended_bytes(),
    );
    counter(
        &mut out,
        "tandem_raft_rpc_rejected_total",
        "Inbound node-to-node requests refused as malformed.",
        metrics.rpc_rejected_count.load(Ordering::Relaxed),
    );
    counter(
        &mut out,
        "tandem_write_failures_total",
        "Writes that failed (no leader, node failure).",
        metrics.write_failed_count.load(Ordering::Relaxed),
    );
    let name = "tandem_write_apply_seconds";
    let _ = writeln!(out, "# HELP {name} Time from receiving a write to its applied outcome.\n# TYPE {name} histogram");
    for (bound, count) in LATENCY_BUCKETS_SECONDS.iter().zip(&metrics.write_bucket_counts) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", count.load(Ordering::Relaxed));
    }
    let total = metrics.write_count.load(Ordering::Relaxed);
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {total}");
    let sum = metrics.write_latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
    let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {total}");
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::new(Arc::new(AtomicU64::new(0)));
        metrics.observe_write(Duration::from_micros(1500), true);
        metrics.observe_write(Duration::from_millis(30), true);
        metrics.observe_write(Duration::from_secs(9), false);
        let counts: Vec<u64> = metrics.write_bucket_counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        assert_eq!(counts[0], 0, "le 1 ms");
        assert_eq!(counts[1], 1, "le 2 ms");
        assert_eq!(counts[5], 2, "le 50 ms");
        assert_eq!(metrics.write_count.load(Ordering::Relaxed), 2);
        assert_eq!(metrics.write_failed_count.load(Ordering::Relaxed), 1);
    }
}
