//! Vol-of-vol: how fast the short-horizon volatility itself moves, and its acceleration.
//!
//! # Definitions
//! Fed with successive short-horizon volatility readings `σ_t` (e.g. the 1-min
//! [`crate::EwmaVariance`] vol after each print):
//! - *vol-of-vol* is the [`crate::ewma`] annualised volatility of the log changes
//!   `ln(σ_t / σ_prev)` (same ratio convention, same decay rule);
//! - *acceleration* is an exponentially weighted average, with the same decay, of the slope of
//!   vol-of-vol between consecutive readings, `Δ volvol / Δt` in per-year units:
//!   `a ← f·a + (1 − f)·slope`. With a half-life `h`, `(1 − f)·slope ≈ Δvolvol · ln 2 / h` for
//!   short gaps, so a burst of closely spaced readings cannot blow it up.

use crate::decay::Decay;
use crate::error::EstimateError;
use crate::ewma::EwmaVariance;
use crate::input::{LogReturns, NS_PER_YEAR, Return};

/// Vol-of-vol of a volatility series and its acceleration.
///
/// ```
/// use recal_estimate::{Decay, VolOfVol};
/// let mut vv = VolOfVol::new(Decay::half_life_secs(600)).unwrap();
/// for i in 0..50u64 {
///     let sigma = 0.5 + 0.1 * (i as f64).sin();
///     vv.update(i * 1_000_000_000, sigma).unwrap();
/// }
/// assert!(vv.vol_of_vol().unwrap() > 0.0);
/// assert!(vv.acceleration().is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolOfVol {
    log_changes: LogReturns,
    variance: EwmaVariance,
    last_vol_of_vol: Option<f64>,
    acceleration: Option<f64>,
}

impl VolOfVol {
    /// A new estimator with the given decay.
    pub fn new(decay: Decay) -> Result<Self, EstimateError> {
        Ok(VolOfVol {
            log_changes: LogReturns::default(),
            variance: EwmaVariance::new(decay)?,
            last_vol_of_vol: None,
            acceleration: None,
        })
    }

    /// Feeds one volatility reading (finite, > 0) at `t_ns`; on error nothing changes.
    pub fn update(&mut self, t_ns: u64, vol: f64) -> Result<(), EstimateError> {
        if let Some(change) = self.log_changes.update(t_ns, vol)? {
            self.add_change(&change);
        }
        Ok(())
    }

    fn add_change(&mut self, change: &Return) {
        self.variance.update(change);
        let Some(now) = self.variance.annual_vol() else {
            return;
        };
        if let Some(before) = self.last_vol_of_vol {
            let slope = (now - before) / (change.dt_ns() as f64 / NS_PER_YEAR);
            let f = self.variance.decay().factor(change.dt_ns());
            self.acceleration = Some(
                self.acceleration
                    .map_or(slope, |a| f * a + (1.0 - f) * slope),
            );
        }
        self.last_vol_of_vol = Some(now);
    }

    /// Annualised vol-of-vol, `None` before two readings.
    pub fn vol_of_vol(&self) -> Option<f64> {
        self.variance.annual_vol()
    }

    /// True once vol-of-vol rests on a full memory (see [`EwmaVariance::is_warm`]).
    pub fn is_warm(&self) -> bool {
        self.variance.is_warm()
    }

    /// Smoothed rate of change of vol-of-vol, per year; `None` before three readings.
    pub fn acceleration(&self) -> Option<f64> {
        self.acceleration
    }
}
