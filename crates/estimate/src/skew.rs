//! Smile summary: ATM vol, 25-delta risk reversal and butterfly, fit quality.
//!
//! # Conventions
//! - **ATM** is at the forward: `K = F`, `k = 0`.
//! - **Delta** is the Black-76 forward delta, undiscounted and not premium-adjusted:
//!   `Δ_call = N(d₁)`, `Δ_put = N(d₁) − 1`, `d₁ = (−k + w/2)/√w` with `w = w(k)` read off the
//!   interpolated smile (the convention of Deribit's published greeks). The strike of a given
//!   delta solves `d₁(k) = N⁻¹(Δ_call)` (`N⁻¹(1 + Δ_put)` for a put) by a bracketed
//!   bisection in `k`.
//! - `RR25 = σ(25Δ call) − σ(25Δ put)`, `BF25 = (σ(25Δ call) + σ(25Δ put))/2 − σ_ATM`.
//!   In this convention a smile symmetric in `d₁` (equal vols at `d₁ = ±z`) has `RR25 = 0`;
//!   a smile symmetric in `k` does not, as the `w/2` drift shifts `d₁`.

use recal_greeks::normal_quantile;

use crate::error::EstimateError;
use crate::smile::Smile;

/// The delta of the risk reversal and butterfly.
pub const DELTA_25: f64 = 0.25;

/// Summary of one expiry's smile, the per-expiry fields of the surface message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmileSummary {
    /// Implied vol at the forward.
    pub atm_vol: f64,
    /// 25-delta risk reversal: call vol minus put vol.
    pub risk_reversal_25: f64,
    /// 25-delta butterfly: mean of the call and put vols minus the ATM vol.
    pub butterfly_25: f64,
    /// RMSE (vol units) of the current SABR fit on the quotes it took; `None` before any fit.
    pub fit_rmse: Option<f64>,
    /// True when the current SABR fit has converged on the current quotes.
    pub converged: bool,
}

/// Widest log-moneyness searched for a delta strike (strike/forward from e^-40 to e^40).
const K_LIMIT: f64 = 40.0;

impl Smile {
    /// `d₁` at log-moneyness `k` on this smile.
    fn d1(&self, k: f64) -> Result<f64, EstimateError> {
        let w = self.total_variance(k)?;
        let s = w.sqrt();
        Ok(-k / s + 0.5 * s)
    }

    /// Strike whose Black-76 forward delta on this smile is `delta`: in (0, 1) for a call,
    /// in (−1, 0) for a put. An error for an empty smile, a delta out of range, or no root
    /// within `|k| ≤ 40`.
    ///
    /// ```
    /// use recal_estimate::Smile;
    /// let mut flat = Smile::new(100.0, 1.0, 1.0)?;
    /// flat.set_iv(100.0, 0.5)?;
    /// // Flat smile: k = w/2 − N⁻¹(Δ)·√w.
    /// let k = flat.strike_at_delta(0.25)?.ln() - 100f64.ln();
    /// assert!((k - (0.125 + 0.674_489_750_196_081_7 * 0.5)).abs() < 1e-12);
    /// # Ok::<(), recal_estimate::EstimateError>(())
    /// ```
    pub fn strike_at_delta(&self, delta: f64) -> Result<f64, EstimateError> {
        let probability = if delta > 0.0 { delta } else { 1.0 + delta };
        let target = if delta != 0.0 && (-1.0..1.0).contains(&delta) {
            normal_quantile(probability).ok()
        } else {
            None
        }
        .ok_or(EstimateError::InvalidValue {
            name: "delta",
            value: delta,
        })?;
        let gap = |k| Ok::<_, EstimateError>(self.d1(k)? - target);
        // d₁ falls from +∞ to −∞ as k rises: walk from the money towards the root.
        let at_money = gap(0.0)?;
        if at_money == 0.0 {
            return Ok(self.forward());
        }
        let direction = at_money.signum();
        let (mut near, mut far) = (0.0, 0.05 * direction);
        while gap(far)?.signum() == direction {
            if far.abs() >= K_LIMIT {
                return Err(EstimateError::InvalidValue {
                    name: "delta",
                    value: delta,
                });
            }
            near = far;
            far = (2.0 * far).clamp(-K_LIMIT, K_LIMIT);
        }
        for _ in 0..200 {
            let mid = 0.5 * (near + far);
            if mid == near || mid == far {
                break;
            }
            if gap(mid)?.signum() == direction {
                near = mid;
            } else {
                far = mid;
            }
        }
        Ok(self.forward() * (0.5 * (near + far)).exp())
    }

    /// ATM vol, 25-delta risk reversal and butterfly (see the module doc for the
    /// conventions), with the state of the SABR fit.
    ///
    /// ```
    /// use recal_estimate::Smile;
    /// let mut smile = Smile::new(100.0, 0.5, 1.0)?;
    /// for (k, v) in [(80.0, 0.62), (90.0, 0.55), (100.0, 0.50), (110.0, 0.49), (120.0, 0.51)] {
    ///     smile.set_iv(k, v)?;
    /// }
    /// let s = smile.summary()?;
    /// assert_eq!(s.atm_vol, 0.50); // 100 is quoted and at the forward
    /// assert!(s.risk_reversal_25 < 0.0); // puts richer than calls
    /// assert!(s.butterfly_25 > 0.0); // a smile, not a frown
    /// assert!(!s.converged && s.fit_rmse.is_none()); // no SABR fit run yet
    /// # Ok::<(), recal_estimate::EstimateError>(())
    /// ```
    pub fn summary(&self) -> Result<SmileSummary, EstimateError> {
        let atm_vol = self.vol(self.forward())?;
        let call = self.vol(self.strike_at_delta(DELTA_25)?)?;
        let put = self.vol(self.strike_at_delta(-DELTA_25)?)?;
        Ok(SmileSummary {
            atm_vol,
            risk_reversal_25: call - put,
            butterfly_25: 0.5 * (call + put) - atm_vol,
            fit_rmse: self.fit().map(|f| f.rmse()),
            converged: !self.fit_pending() && self.fit().is_some_and(|f| f.converged()),
        })
    }
}
