//! The timing harness the benchmarks share (no benchmarking framework dependency): warm up, then
//! time 15 batches and report the median time per call.

// Test helpers may unwrap, expect and panic: a failure is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

/// The median nanoseconds per call of `f`, over 15 batches of `batch` calls after a warm-up.
pub fn median_ns_per_iter(batch: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..batch {
        f();
    }
    let mut samples: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(batch)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
