//! `GET /metrics` in Prometheus' text format: decisions by kind and outcome, HTTP responses by
//! status, a latency histogram, and how often a store transaction had to start again. Plain
//! atomics and one small map; no metrics library.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Counters since the server started.
#[derive(Debug, Default)]
pub struct Metrics {
    decisions: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    responses: Mutex<BTreeMap<u16, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
    retries: AtomicU64,
    replays: AtomicU64,
}

impl Metrics {
    /// Counts one decision.
    pub fn decision(&self, kind: &'static str, outcome: &'static str) {
        let mut d = self
            .decisions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *d.entry((kind, outcome)).or_default() += 1;
    }

    /// Counts one response and its latency.
    pub fn response(&self, status: u16, took: Duration) {
        *self
            .responses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(status)
            .or_default() += 1;
        let secs = took.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Counts transactions started again.
    pub fn retries(&self, n: u32) {
        self.retries.fetch_add(u64::from(n), Ordering::Relaxed);
    }

    /// Counts a response replayed from its idempotency key.
    pub fn replay(&self) {
        self.replays.fetch_add(1, Ordering::Relaxed);
    }

    /// Everything, in Prometheus' text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP quotient_decisions_total Decisions made, by request kind and outcome.\n# TYPE quotient_decisions_total counter"
        );
        for ((kind, outcome), n) in self
            .decisions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "quotient_decisions_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP quotient_http_responses_total HTTP responses, by status.\n# TYPE quotient_http_responses_total counter"
        );
        for (status, n) in self
            .responses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "quotient_http_responses_total{{status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP quotient_http_request_duration_seconds Time to answer a request.\n# TYPE quotient_http_request_duration_seconds histogram"
        );
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "quotient_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "quotient_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let micros = self.latency_micros.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "quotient_http_request_duration_seconds_sum {}.{:06}",
            micros / 1_000_000,
            micros % 1_000_000
        );
        let _ = writeln!(out, "quotient_http_request_duration_seconds_count {count}");
        let _ = writeln!(
            out,
            "# HELP quotient_store_retries_total Store transactions started again after a lost race.\n# TYPE quotient_store_retries_total counter\nquotient_store_retries_total {}",
            self.retries.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP quotient_idempotent_replays_total Responses replayed for a repeated Idempotency-Key.\n# TYPE quotient_idempotent_replays_total counter\nquotient_idempotent_replays_total {}",
            self.replays.load(Ordering::Relaxed)
        );
        out
    }
}
