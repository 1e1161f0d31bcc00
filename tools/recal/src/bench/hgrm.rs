//! HdrHistogram percentile-distribution files (`.hgrm`), the text format of HdrHistogram's
//! `outputPercentileDistribution`, readable by its plotter and by HdrHistogram-based tools.
//! Values are written in microseconds.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use recal::pipeline::LatencyHistogram;

/// Reporting ticks per half distance to 100 %, as HdrHistogram's default.
const TICKS_PER_HALF_DISTANCE: u32 = 5;
const NS_PER_US: f64 = 1_000.0;

/// Renders `histogram` (ns) as a percentile distribution in µs.
pub fn render(histogram: &LatencyHistogram) -> String {
    let h = histogram.histogram();
    let mut out = String::from("       Value     Percentile TotalCount 1/(1-Percentile)\n\n");
    if h.is_empty() {
        return out;
    }
    let mut total = 0_u64;
    for step in h.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
        total += step.count_since_last_iteration();
        let quantile = step.quantile_iterated_to();
        let value = step.value_iterated_to() as f64 / NS_PER_US;
        if quantile < 1.0 {
            let _ = writeln!(
                out,
                "{value:12.3} {quantile:14.12} {total:10} {:14.2}",
                1.0 / (1.0 - quantile)
            );
        } else {
            let _ = writeln!(out, "{value:12.3} {quantile:14.12} {total:10}");
        }
    }
    let _ = writeln!(
        out,
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]",
        h.mean() / NS_PER_US,
        h.stdev() / NS_PER_US
    );
    let _ = writeln!(
        out,
        "#[Max     = {:12.3}, Total count    = {:12}]",
        h.max() as f64 / NS_PER_US,
        h.len()
    );
    let _ = writeln!(
        out,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        h.buckets(),
        h.distinct_values()
    );
    out
}

/// Writes `histogram` to `path`.
pub fn write(path: &Path, histogram: &LatencyHistogram) -> anyhow::Result<()> {
    std::fs::write(path, render(histogram)).with_context(|| format!("writing {}", path.display()))
}
