//! Manipulation resistance: a Hampel filter (median / MAD of the last N prints) on log prices.
//!
//! # Rule and bound
//! Let `m` be the median and `MAD` the median absolute deviation of the log prices of the last
//! `window` prints (all prints, accepted or not; lower median for an even count), and
//! `scale = max(1.4826·MAD, min_scale)` (1.4826·MAD estimates σ for normal noise; `min_scale`
//! keeps a flat market from rejecting every move). A print with `|ln p − m| ≤ k·scale` is
//! accepted unchanged; otherwise it is rejected ([`OutlierAction::Reject`]) or clamped to
//! `exp(m ± k·scale)` ([`OutlierAction::Clamp`]). The check only starts once `min_history`
//! prints are held.
//!
//! A genuine jump must not be filtered away in a crash: when `confirm_after` > 0, a print
//! outside the band is accepted unchanged once it is the `confirm_after + 1`-th consecutive
//! outside print on the same side, each within `k·scale` of the previous one (a new level
//! confirmed by successive prints). So a manipulation must hold for more than `confirm_after`
//! consecutive prints to get through; the bound below holds for any attack of at most
//! `confirm_after` consecutive prints.
//!
//! Consequence (tested in `tests/outlier_bound.rs`): whatever a single manipulated print's
//! value (30 % off or 30× off), what reaches the estimators lies inside
//! `[exp(m − k·scale), exp(m + k·scale)]`, so each of the two returns it opens and closes is at
//! most `k·scale + d` in absolute value, `d` being the distance of the neighbouring print from
//! `m`; the EWMA sum `S` of [`crate::ewma`] moves by at most `2(k·scale + d)²` and its variance
//! by that over `W`. A rejected print reaches no estimator at all. A genuine level shift is
//! accepted once it holds for more than half the window (the median has moved); a steady trend
//! is never rejected for `k ≥ 2`, because it widens the MAD as much as it moves the median.
//!
//! Cost: O(window) per print (two selections on a preallocated scratch buffer), no allocation.

use crate::error::EstimateError;
use crate::input::{EventClock, check_price};

/// What to do with a print outside the band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutlierAction {
    /// Drop it.
    Reject,
    /// Replace it with the nearest band edge.
    Clamp,
}

/// Configuration of an [`OutlierFilter`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutlierConfig {
    /// Number of recent prints the median and MAD are taken over (≥ 3).
    pub window: usize,
    /// Band half-width in scale units (> 0).
    pub k: f64,
    /// Floor of the scale, in log-price units (> 0), e.g. 1e-4 = 1 bp.
    pub min_scale: f64,
    /// Prints held before any is filtered (≥ 3, ≤ window).
    pub min_history: usize,
    /// Reject or clamp.
    pub action: OutlierAction,
    /// Consecutive, mutually consistent outside prints after which the next one is accepted
    /// as a confirmed new level; 0 never accepts an outside print.
    pub confirm_after: usize,
}

impl Default for OutlierConfig {
    /// 31 prints, k = 5, 1 bp floor, filtering from 11 prints on, reject, a new level
    /// confirmed by the third consecutive print.
    fn default() -> Self {
        OutlierConfig {
            window: 31,
            k: 5.0,
            min_scale: 1e-4,
            min_history: 11,
            action: OutlierAction::Reject,
            confirm_after: 2,
        }
    }
}

/// Outcome of one print.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Inside the band: pass the price on.
    Accepted(f64),
    /// Outside the band, clamped: pass this price on instead.
    Clamped(f64),
    /// Outside the band: pass nothing on.
    Rejected,
}

impl Verdict {
    /// The price to pass on, if any.
    pub fn price(self) -> Option<f64> {
        match self {
            Verdict::Accepted(p) | Verdict::Clamped(p) => Some(p),
            Verdict::Rejected => None,
        }
    }
}

/// Median/MAD outlier filter over a fixed ring of recent prints.
///
/// ```
/// use recal_estimate::{OutlierConfig, OutlierFilter, Verdict};
/// let mut f = OutlierFilter::new(OutlierConfig::default()).unwrap();
/// for i in 0..31u64 {
///     let p = 100.0 + 0.01 * (i % 3) as f64;
///     assert!(matches!(f.update(i, p).unwrap(), Verdict::Accepted(_)));
/// }
/// assert_eq!(f.update(31, 130.0).unwrap(), Verdict::Rejected);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OutlierFilter {
    config: OutlierConfig,
    clock: EventClock,
    ring: Vec<f64>,
    next: usize,
    scratch: Vec<f64>,
    /// Consecutive outside prints so far, their side (±1) and the last one's log price.
    streak: (usize, f64, f64),
}

impl OutlierFilter {
    /// A filter with everything preallocated.
    pub fn new(config: OutlierConfig) -> Result<Self, EstimateError> {
        if config.window < 3 || config.min_history < 3 || config.min_history > config.window {
            return Err(EstimateError::InvalidConfig(
                "need 3 <= min_history <= window",
            ));
        }
        if !(config.k > 0.0
            && config.k.is_finite()
            && config.min_scale > 0.0
            && config.min_scale.is_finite())
        {
            return Err(EstimateError::InvalidConfig(
                "k and min_scale must be finite and > 0",
            ));
        }
        Ok(OutlierFilter {
            config,
            clock: EventClock::default(),
            ring: Vec::with_capacity(config.window),
            next: 0,
            scratch: Vec::with_capacity(config.window),
            streak: (0, 0.0, 0.0),
        })
    }

    /// The accepted price band `(low, high)` for the next print, `None` while fewer than
    /// `min_history` prints are held.
    pub fn band(&mut self) -> Option<(f64, f64)> {
        let (median, scale) = self.median_and_scale()?;
        let half = self.config.k * scale;
        Some(((median - half).exp(), (median + half).exp()))
    }

    fn median_and_scale(&mut self) -> Option<(f64, f64)> {
        if self.ring.len() < self.config.min_history {
            return None;
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.ring);
        let median = lower_median(&mut self.scratch);
        self.scratch
            .iter_mut()
            .for_each(|x| *x = (*x - median).abs());
        let mad = lower_median(&mut self.scratch);
        Some((median, (1.4826 * mad).max(self.config.min_scale)))
    }

    /// Filters one print; on error (bad price, time not increasing) nothing changes.
    pub fn update(&mut self, t_ns: u64, price: f64) -> Result<Verdict, EstimateError> {
        let price = check_price(price)?;
        self.clock.advance(t_ns)?;
        let log_price = price.ln();
        let verdict = match self.median_and_scale() {
            Some((median, scale)) if (log_price - median).abs() > self.config.k * scale => {
                let side = (log_price - median).signum();
                let (count, last_side, last) = self.streak;
                let consistent = count > 0
                    && side == last_side
                    && (log_price - last).abs() <= self.config.k * scale;
                let count = if consistent { count + 1 } else { 1 };
                self.streak = (count, side, log_price);
                match self.config.action {
                    _ if self.config.confirm_after > 0 && count > self.config.confirm_after => {
                        Verdict::Accepted(price)
                    }
                    OutlierAction::Reject => Verdict::Rejected,
                    OutlierAction::Clamp => {
                        Verdict::Clamped((median + side * self.config.k * scale).exp())
                    }
                }
            }
            _ => {
                self.streak.0 = 0;
                Verdict::Accepted(price)
            }
        };
        if self.ring.len() < self.config.window {
            self.ring.push(log_price);
        } else {
            self.ring[self.next] = log_price;
        }
        self.next = (self.next + 1) % self.config.window;
        Ok(verdict)
    }
}

/// Lower median of a non-empty slice (reorders it).
fn lower_median(values: &mut [f64]) -> f64 {
    let mid = (values.len() - 1) / 2;
    *values.select_nth_unstable_by(mid, f64::total_cmp).1
}
