//! Exponentially weighted variance of log returns in event time, at one or several horizons.
//!
//! # Convention
//! With decay weights `w_i` (see [`Decay`]) the estimator keeps
//! `S = Σ w_i r_i²` and `W = Σ w_i Δt_i`, both updated in O(1) per return
//! (`S ← f·S + r²`, `W ← f·W + Δt`, `f` = decay factor over the gap). The variance per unit
//! time is `S / W`: for a Brownian log price, `E[S] = σ² W` whatever the spacing, so the
//! estimator is unbiased for irregular ticks and needs no warm-up correction. It is annualised
//! with a 365.25-day year ([`crate::NS_PER_YEAR`]). In [`Decay::Lambda`] mode with regular bars
//! this equals the RiskMetrics recursion `v ← λ v + (1−λ) r²` divided by the bar length.

use crate::decay::Decay;
use crate::error::EstimateError;
use crate::input::{NS_PER_YEAR, Return};

/// Exponentially weighted variance of log returns at one horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EwmaVariance {
    decay: Decay,
    sum_sq: f64,
    sum_dt_ns: f64,
    span_ns: u64,
    count: u64,
}

impl EwmaVariance {
    /// A new estimator with no data.
    pub fn new(decay: Decay) -> Result<Self, EstimateError> {
        Ok(Self::empty(decay.validate()?))
    }

    const fn empty(decay: Decay) -> Self {
        EwmaVariance {
            decay,
            sum_sq: 0.0,
            sum_dt_ns: 0.0,
            span_ns: 0,
            count: 0,
        }
    }

    /// The forgetting rule.
    pub fn decay(&self) -> Decay {
        self.decay
    }

    /// Adds one return.
    pub fn update(&mut self, r: &Return) {
        let f = self.decay.factor(r.dt_ns());
        self.sum_sq = f * self.sum_sq + r.log_return() * r.log_return();
        self.sum_dt_ns = f * self.sum_dt_ns + r.dt_ns() as f64;
        self.span_ns = self.span_ns.saturating_add(r.dt_ns());
        self.count = self.count.saturating_add(1);
    }

    /// True once the estimate rests on a full memory: returns spanning at least one half-life
    /// ([`Decay::HalfLife`]) or at least `1/(1−λ)` (rounded) returns ([`Decay::Lambda`]). Before that a
    /// few returns dominate and the estimate swings.
    pub fn is_warm(&self) -> bool {
        match self.decay {
            Decay::HalfLife { half_life_ns } => self.span_ns >= half_life_ns,
            Decay::Lambda(l) => self.count as f64 >= (1.0 / (1.0 - l)).round(),
        }
    }

    /// Annualised variance, `None` before the first return.
    pub fn annual_variance(&self) -> Option<f64> {
        (self.sum_dt_ns > 0.0).then(|| self.sum_sq / self.sum_dt_ns * NS_PER_YEAR)
    }

    /// Annualised volatility (square root of [`EwmaVariance::annual_variance`]).
    pub fn annual_vol(&self) -> Option<f64> {
        self.annual_variance().map(f64::sqrt)
    }
}

/// Default horizons: half-lives of 1 min, 15 min and 4 h.
pub const DEFAULT_HALF_LIVES_SECS: [u64; 3] = [60, 15 * 60, 4 * 3600];

/// EWMA variance of one underlying at several horizons, fed with prints.
///
/// ```
/// use recal_estimate::{Decay, EwmaHorizons};
/// let mut vol = EwmaHorizons::with_default_horizons();
/// for i in 0..100u64 {
///     let price = if i % 2 == 0 { 100.0 } else { 100.1 };
///     vol.update(i * 1_000_000_000, price).unwrap(); // one print a second
/// }
/// let short = vol.horizon(0).unwrap().annual_vol().unwrap();
/// assert!(short > 0.5 && short < 10.0);
/// assert!(vol.update(0, 100.0).is_err()); // out of order: refused, state unchanged
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EwmaHorizons {
    returns: crate::input::LogReturns,
    horizons: Vec<EwmaVariance>,
}

impl EwmaHorizons {
    /// One estimator per decay rule, in the order given.
    pub fn new(decays: &[Decay]) -> Result<Self, EstimateError> {
        if decays.is_empty() {
            return Err(EstimateError::InvalidConfig("at least one horizon"));
        }
        let horizons = decays
            .iter()
            .map(|&d| EwmaVariance::new(d))
            .collect::<Result<_, _>>()?;
        Ok(EwmaHorizons {
            returns: Default::default(),
            horizons,
        })
    }

    /// The [`DEFAULT_HALF_LIVES_SECS`] horizons.
    pub fn with_default_horizons() -> Self {
        let decays = DEFAULT_HALF_LIVES_SECS.map(Decay::half_life_secs);
        EwmaHorizons {
            returns: Default::default(),
            horizons: decays
                .iter()
                .map(|&decay| EwmaVariance::empty(decay))
                .collect(),
        }
    }

    /// Feeds one print; returns the log return it closed, if any. On error nothing changes.
    pub fn update(&mut self, t_ns: u64, price: f64) -> Result<Option<Return>, EstimateError> {
        let r = self.returns.update(t_ns, price)?;
        if let Some(r) = &r {
            self.horizons.iter_mut().for_each(|h| h.update(r));
        }
        Ok(r)
    }

    /// Number of horizons.
    pub fn len(&self) -> usize {
        self.horizons.len()
    }

    /// Always false: construction requires at least one horizon.
    pub fn is_empty(&self) -> bool {
        self.horizons.is_empty()
    }

    /// The estimator of horizon `index` (in construction order), `None` if out of range.
    pub fn horizon(&self, index: usize) -> Option<&EwmaVariance> {
        self.horizons.get(index)
    }
}
