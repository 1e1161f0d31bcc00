//! Realized volatility over an exact rolling window of event time.
//!
//! A return belongs to the window when its closing print is at most `window` old relative to
//! the newest print: `t_i ≥ t_now − window` (inclusive). The variance per unit time is
//! `Σ r_i² / Σ Δt_i` over the returns in the window (same convention as [`crate::ewma`]),
//! annualised with a 365.25-day year.
//!
//! # Floating-point drift
//! `Σ Δt` is an exact integer. `Σ r²` is kept with Neumaier compensated summation (adds and
//! evictions), reset to exactly zero when the window empties, and recomputed from scratch once
//! as many evictions as the window holds have happened since the last recompute, an O(1)
//! amortised cost that bounds drift to one window's worth of compensated rounding.

use std::collections::VecDeque;

use crate::error::EstimateError;
use crate::input::{LogReturns, NS_PER_YEAR, Return};

/// Neumaier compensated running sum.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.sum = t;
    }

    fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// Realized volatility over a rolling window of event time, O(1) amortised per print.
///
/// ```
/// use recal_estimate::RollingRealizedVol;
/// let minute = 60_000_000_000u64;
/// let mut rv = RollingRealizedVol::new(5 * minute, 64).unwrap();
/// rv.update(0, 100.0).unwrap();
/// rv.update(minute, 101.0).unwrap();
/// assert_eq!(rv.len(), 1);
/// rv.update(10 * minute, 100.0).unwrap(); // the first return has left the window
/// assert_eq!(rv.len(), 1);
/// assert!(rv.annual_vol().unwrap() > 0.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RollingRealizedVol {
    window_ns: u64,
    returns: LogReturns,
    ring: VecDeque<(u64, u64, f64)>,
    sum_sq: CompensatedSum,
    sum_dt_ns: u64,
    evictions_since_recompute: usize,
}

impl RollingRealizedVol {
    /// A window of `window_ns` (> 0) with room for `capacity` returns preallocated. The ring
    /// only allocates again if the window ever holds more returns than that.
    pub fn new(window_ns: u64, capacity: usize) -> Result<Self, EstimateError> {
        if window_ns == 0 {
            return Err(EstimateError::InvalidConfig("window must be > 0"));
        }
        Ok(RollingRealizedVol {
            window_ns,
            returns: LogReturns::default(),
            ring: VecDeque::with_capacity(capacity),
            sum_sq: CompensatedSum::default(),
            sum_dt_ns: 0,
            evictions_since_recompute: 0,
        })
    }

    /// Feeds one print; on error nothing changes.
    pub fn update(&mut self, t_ns: u64, price: f64) -> Result<Option<Return>, EstimateError> {
        let r = self.returns.update(t_ns, price)?;
        if let Some(r) = &r {
            let sq = r.log_return() * r.log_return();
            self.ring.push_back((r.t_ns(), r.dt_ns(), sq));
            self.sum_sq.add(sq);
            self.sum_dt_ns += r.dt_ns();
            self.evict(t_ns);
        }
        Ok(r)
    }

    fn evict(&mut self, now_ns: u64) {
        let oldest_kept = now_ns.saturating_sub(self.window_ns);
        while let Some(&(t, dt, sq)) = self.ring.front() {
            if t >= oldest_kept {
                break;
            }
            self.ring.pop_front();
            self.sum_sq.add(-sq);
            self.sum_dt_ns -= dt;
            self.evictions_since_recompute += 1;
        }
        if self.ring.is_empty() || self.evictions_since_recompute >= self.ring.len() {
            let mut exact = CompensatedSum::default();
            self.ring.iter().for_each(|&(_, _, sq)| exact.add(sq));
            self.sum_sq = exact;
            self.evictions_since_recompute = 0;
        }
    }

    /// Number of returns in the window.
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// True when the window holds no return.
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Sum of squared log returns in the window.
    pub fn sum_squared_returns(&self) -> f64 {
        self.sum_sq.value().max(0.0)
    }

    /// Time covered by the returns in the window, ns.
    pub fn covered_ns(&self) -> u64 {
        self.sum_dt_ns
    }

    /// Annualised realized variance, `None` when the window is empty.
    pub fn annual_variance(&self) -> Option<f64> {
        (self.sum_dt_ns > 0)
            .then(|| self.sum_squared_returns() / self.sum_dt_ns as f64 * NS_PER_YEAR)
    }

    /// Annualised realized volatility, `None` when the window is empty.
    pub fn annual_vol(&self) -> Option<f64> {
        self.annual_variance().map(f64::sqrt)
    }
}
