//! The machine's floor: how long a busy, pinned thread is kept from running.
//!
//! A thread on the feeder's core reads the latency clock in a tight loop and records every gap
//! between two reads. On bare metal the gaps are tens of ns; on this VM the hypervisor and the
//! kernel take the core away for microseconds, over a thousand times a second. No engine on
//! this machine can have a tail below these gaps, so the engine's percentiles are printed
//! beside them.

use std::time::Instant;

use recal::pipeline::{LatencyClock, LatencyHistogram};

/// The floor measurement.
#[derive(Debug)]
pub struct Floor {
    /// Gaps between consecutive clock reads, ns.
    pub histogram: LatencyHistogram,
    /// Gaps over 1 µs per second of measurement.
    pub over_1us_per_second: f64,
    /// Gaps over 10 µs per second of measurement.
    pub over_10us_per_second: f64,
}

/// Reads the clock in a loop on the calling thread for `seconds`.
pub fn measure(seconds: f64) -> Floor {
    let clock = LatencyClock::default();
    let mut histogram = LatencyHistogram::default();
    let (mut over_1us, mut over_10us) = (0_u64, 0_u64);
    let started = Instant::now();
    let mut previous = clock.now_ns();
    let mut reads = 0_u32;
    loop {
        let now = clock.now_ns();
        let gap = now.saturating_sub(previous);
        previous = now;
        histogram.record(gap);
        over_1us += u64::from(gap > 1_000);
        over_10us += u64::from(gap > 10_000);
        reads = reads.wrapping_add(1);
        if reads.is_multiple_of(4_096) && started.elapsed().as_secs_f64() >= seconds {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64().max(f64::MIN_POSITIVE);
    Floor {
        histogram,
        over_1us_per_second: over_1us as f64 / elapsed,
        over_10us_per_second: over_10us as f64 / elapsed,
    }
}
