//! Latency histograms and counters of a running pipeline.

use hdrhistogram::Histogram;

/// Largest latency recorded, ns (one minute); larger values are clamped to it.
const MAX_LATENCY_NS: u64 = 60_000_000_000;

/// What happened so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Raw messages pushed.
    pub messages: u64,
    /// Events decoded or pushed directly.
    pub events: u64,
    /// Messages the decoder rejected (all reasons, sequence gaps included).
    pub rejects: u64,
    /// Prints the outlier filter or the estimators refused.
    pub filtered_prints: u64,
    /// Risk snapshots evaluated by stage 4.
    pub decisions: u64,
    /// Trigger firings.
    pub triggers: u64,
    /// Proposals signed.
    pub proposals: u64,
    /// Proposals the verifier applied at once.
    pub applied: u64,
    /// Proposals the verifier queued behind the time-lock.
    pub queued: u64,
    /// Time-locked proposals executed.
    pub executed: u64,
    /// Submissions or executions the verifier refused.
    pub refused: u64,
    /// Inputs a stage refused (book errors, invalid snapshots, signing failures).
    pub stage_errors: u64,
    /// Market-data messages replaced by a newer one while a ring was full (threaded
    /// placements with conflating backpressure).
    pub conflated: u64,
    /// Journal appends that failed (each closes its journal; the pipeline goes on).
    pub journal_errors: u64,
}

impl Counters {
    /// Adds every counter of `other` into `self`.
    pub fn add(&mut self, other: &Self) {
        let Self {
            messages,
            events,
            rejects,
            filtered_prints,
            decisions,
            triggers,
            proposals,
            applied,
            queued,
            executed,
            refused,
            stage_errors,
            conflated,
            journal_errors,
        } = other;
        self.messages += messages;
        self.events += events;
        self.rejects += rejects;
        self.filtered_prints += filtered_prints;
        self.decisions += decisions;
        self.triggers += triggers;
        self.proposals += proposals;
        self.applied += applied;
        self.queued += queued;
        self.executed += executed;
        self.refused += refused;
        self.stage_errors += stage_errors;
        self.conflated += conflated;
        self.journal_errors += journal_errors;
    }
}

/// Percentiles of one latency histogram, ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySummary {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// 99.99th percentile.
    pub p9999: u64,
    /// Largest sample.
    pub max: u64,
}

/// A snapshot of the pipeline's metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metrics {
    /// Counters.
    pub counters: Counters,
    /// Receive time → stage-4 decision, per message that reached stage 4.
    pub tick_to_decision: LatencySummary,
    /// Receive time → stage-5 exit, per message that produced a signed proposal (before the
    /// verifier model checks it).
    pub tick_to_signed: LatencySummary,
}

/// A latency histogram, 3 significant digits from 1 ns to one minute.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    histogram: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            histogram: Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
                .expect("static histogram bounds are valid"),
        }
    }
}

impl LatencyHistogram {
    /// Records one latency (clamped into the histogram's range).
    pub fn record(&mut self, nanos: u64) {
        self.histogram
            .saturating_record(nanos.clamp(1, MAX_LATENCY_NS));
    }

    /// Adds every sample of `other`.
    pub fn add(&mut self, other: &Self) {
        // Both share the same bounds, so adding cannot fail.
        let _same_bounds = self.histogram.add(&other.histogram);
    }

    /// The underlying HdrHistogram (for percentile-distribution files).
    #[must_use]
    pub const fn histogram(&self) -> &Histogram<u64> {
        &self.histogram
    }

    /// Its percentiles.
    #[must_use]
    pub fn summary(&self) -> LatencySummary {
        let h = &self.histogram;
        LatencySummary {
            count: h.len(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            p9999: h.value_at_quantile(0.9999),
            max: h.max(),
        }
    }
}
