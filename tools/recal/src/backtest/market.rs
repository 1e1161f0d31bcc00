//! What the tape does not record but the simulation needs, derived from the bars the same way
//! for every policy: the order-book depth liquidations sell into, and which minutes are calm.
//!
//! - **Depth** (quote units inside ±1 % of the price, both sides): `calm_depth` while bars are
//!   as narrow as a normal BTC minute, draining as they widen:
//!   `depth = calm_depth · clamp(REFERENCE_RANGE / r̄, DEPTH_FLOOR, 1)`, where `r̄` is an
//!   exponentially weighted mean of the bars' high–low range over their open (half-life
//!   [`RANGE_HALF_LIFE_BARS`], the current bar included: books thin while the price runs, not
//!   after). Depth inversely proportional to volatility is the usual empirical relation; the
//!   floor keeps a market that still trades.
//! - **Calm**: a minute is calm when the realised volatility of the closes over the
//!   [`CALM_WINDOW_BARS`] bars up to it, annualised, is below [`CALM_VOL`] (75 %, about
//!   bitcoin's long-run average): a normal market, not a quiet one. Minutes without a full
//!   window behind them are not classified as calm.

use super::bars::Bar;

/// A normal 1-minute high–low range of bitcoin, as a fraction of price (0.1 %).
pub const REFERENCE_RANGE: f64 = 0.001;
/// Smallest depth, as a fraction of calm depth (5 %).
pub const DEPTH_FLOOR: f64 = 0.05;
/// Half-life of the range average, bars.
pub const RANGE_HALF_LIFE_BARS: f64 = 10.0;
/// Bars of closes the calm test looks back over (one hour).
pub const CALM_WINDOW_BARS: usize = 60;
/// Annualised close-to-close volatility below which a minute is calm.
pub const CALM_VOL: f64 = 0.75;
/// Minutes in the 365-day year volatilities are annualised over.
const MINUTES_PER_YEAR: f64 = 525_600.0;

/// The simulated market around one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarState {
    /// Book depth inside ±1 % of the price, both sides, quote units.
    pub depth: f64,
    /// Whether the minute is calm.
    pub calm: bool,
}

/// The [`BarState`] of every bar of a tape, with `calm_depth` as the depth of a normal minute.
#[must_use]
pub fn bar_states(bars: &[Bar], calm_depth: f64) -> Vec<BarState> {
    let weight = 1.0 - 0.5f64.powf(1.0 / RANGE_HALF_LIFE_BARS);
    let mut mean_range = REFERENCE_RANGE;
    let mut squares = Vec::with_capacity(bars.len());
    let mut window_sum = 0.0;
    bars.iter()
        .enumerate()
        .map(|(i, bar)| {
            mean_range += weight * (bar.range() - mean_range);
            let drain = (REFERENCE_RANGE / mean_range).clamp(DEPTH_FLOOR, 1.0);
            let square = match i.checked_sub(1) {
                Some(previous) => (bar.close / bars[previous].close).ln().powi(2),
                None => 0.0,
            };
            squares.push(square);
            window_sum += square;
            if i > CALM_WINDOW_BARS {
                window_sum -= squares[i - CALM_WINDOW_BARS];
            }
            let full = i >= CALM_WINDOW_BARS;
            let vol = (window_sum.max(0.0) / CALM_WINDOW_BARS as f64 * MINUTES_PER_YEAR).sqrt();
            BarState {
                depth: calm_depth * drain,
                calm: full && vol < CALM_VOL,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(i: u64, close: f64, range: f64) -> Bar {
        Bar {
            open_ms: i * 60_000,
            open: close,
            high: close * (1.0 + range),
            low: close,
            close,
            volume: 0.0,
        }
    }

    #[test]
    fn depth_drains_with_wide_bars_and_calm_needs_a_full_quiet_window() {
        // An hour and a bit of flat, normal bars, then one 10 % bar and a -5 % close.
        let mut bars: Vec<Bar> = (0..70).map(|i| bar(i, 100.0, REFERENCE_RANGE)).collect();
        bars.push(bar(70, 95.0, 0.1));
        let states = bar_states(&bars, 1e6);
        assert!((states[10].depth - 1e6).abs() < 1e-6);
        assert!(!states[59].calm && states[60].calm && states[69].calm);
        // The wide bar drains the book (mean range ≈ 0.1 + 0.93 · 0.001 → ~0.0077 → 13 %).
        assert!(states[70].depth < 0.15e6 && states[70].depth > 0.1e6);
        // A 5 % minute in the hour: (0.0513² · 525 600 / 60)^½ ≈ 4.8 annualised.
        assert!(!states[70].calm);
    }
}
