//! Fat-tail estimate: exponentially weighted kurtosis of returns and the Student-t degrees of
//! freedom that match it.
//!
//! # Definitions
//! Returns are standardised to unit time, `z = r / √Δt` (under a Brownian log price every `z`
//! has the same variance whatever the spacing). With decay factor `f` over the gap, the
//! weighted moments are `m_k ← f·m_k + (1 − f)·z^k` (k = 2, 4) with weight sum
//! `w ← f·w + (1 − f)`, so kurtosis `κ = (m₄/w) / (m₂/w)²` has no start-up bias.
//! A Student-t with `ν > 4` has excess kurtosis `6 / (ν − 4)`, hence
//! `ν = 6 / (κ − 3) + 4`, clamped to `[nu_min, nu_max]` (defaults 3 and 30); a non-positive
//! excess kurtosis (thin tails) maps to `nu_max`. The formula itself never goes below 4, so
//! `nu_min` only bites when configured above 4.

use crate::decay::Decay;
use crate::error::EstimateError;
use crate::input::Return;

/// Default bounds of the degrees of freedom.
pub const DEFAULT_NU_BOUNDS: (f64, f64) = (3.0, 30.0);

/// Exponentially weighted kurtosis and implied Student-t degrees of freedom.
///
/// ```
/// use recal_estimate::{Decay, LogReturns, TailEstimator};
/// let mut returns = LogReturns::default();
/// let mut tail = TailEstimator::new(Decay::half_life_secs(3600), (3.0, 30.0)).unwrap();
/// let prices = [100.0, 100.1, 100.0, 100.1, 100.0, 95.0, 100.0, 100.1, 100.0];
/// for (i, p) in prices.iter().enumerate() {
///     if let Some(r) = returns.update(i as u64 * 1_000_000_000, *p).unwrap() {
///         tail.update(&r);
///     }
/// }
/// assert!(tail.excess_kurtosis().unwrap() > 0.0);
/// assert!(tail.degrees_of_freedom().unwrap() < 30.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailEstimator {
    decay: Decay,
    nu_min: f64,
    nu_max: f64,
    weight: f64,
    m2: f64,
    m4: f64,
}

impl TailEstimator {
    /// `nu_bounds` = (min, max), with `0 < min ≤ max`.
    pub fn new(decay: Decay, nu_bounds: (f64, f64)) -> Result<Self, EstimateError> {
        let (nu_min, nu_max) = nu_bounds;
        if !(nu_min > 0.0 && nu_min <= nu_max && nu_max.is_finite()) {
            return Err(EstimateError::InvalidConfig(
                "need 0 < nu_min <= nu_max < inf",
            ));
        }
        Ok(TailEstimator {
            decay: decay.validate()?,
            nu_min,
            nu_max,
            weight: 0.0,
            m2: 0.0,
            m4: 0.0,
        })
    }

    /// Adds one return.
    pub fn update(&mut self, r: &Return) {
        let z2 = r.log_return() * r.log_return() / r.dt_ns() as f64;
        let f = self.decay.factor(r.dt_ns());
        self.weight = f * self.weight + (1.0 - f);
        self.m2 = f * self.m2 + (1.0 - f) * z2;
        self.m4 = f * self.m4 + (1.0 - f) * z2 * z2;
    }

    /// Weighted kurtosis (3 for a normal), `None` before a non-zero return.
    pub fn kurtosis(&self) -> Option<f64> {
        (self.m2 > 0.0).then(|| self.m4 * self.weight / (self.m2 * self.m2))
    }

    /// Kurtosis − 3.
    pub fn excess_kurtosis(&self) -> Option<f64> {
        self.kurtosis().map(|k| k - 3.0)
    }

    /// Student-t degrees of freedom matching the excess kurtosis, clamped to the bounds.
    pub fn degrees_of_freedom(&self) -> Option<f64> {
        self.excess_kurtosis().map(|excess| {
            if excess > 0.0 {
                (6.0 / excess + 4.0).clamp(self.nu_min, self.nu_max)
            } else {
                self.nu_max
            }
        })
    }
}
