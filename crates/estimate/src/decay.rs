//! How fast an exponentially weighted estimator forgets: a half-life in event time, or a
//! RiskMetrics per-observation lambda for bar data.

use crate::error::EstimateError;

/// Forgetting rule of an exponentially weighted estimator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decay {
    /// Weights halve every `half_life_ns` of event time: an observation `dt` ns old carries
    /// weight `exp(-dt · ln 2 / half_life_ns)`. Exact for irregular spacing.
    HalfLife {
        /// Half-life in nanoseconds (> 0).
        half_life_ns: u64,
    },
    /// RiskMetrics mode for bar data: each new observation multiplies older weights by `lambda`
    /// whatever the gap (0.94 is the classic daily value).
    Lambda(f64),
}

impl Decay {
    /// A half-life given in seconds.
    pub fn half_life_secs(secs: u64) -> Self {
        Decay::HalfLife {
            half_life_ns: secs.saturating_mul(1_000_000_000),
        }
    }

    /// Checks the parameter: a half-life > 0, or a lambda in (0, 1).
    pub fn validate(self) -> Result<Self, EstimateError> {
        match self {
            Decay::HalfLife { half_life_ns: 0 } => {
                Err(EstimateError::InvalidConfig("half-life must be > 0"))
            }
            Decay::Lambda(l) if !(l > 0.0 && l < 1.0) => {
                Err(EstimateError::InvalidConfig("lambda must be in (0, 1)"))
            }
            d => Ok(d),
        }
    }

    /// The factor by which existing weights shrink when an observation arrives `dt_ns` after
    /// the previous one.
    pub fn factor(self, dt_ns: u64) -> f64 {
        match self {
            Decay::HalfLife { half_life_ns } => {
                (-(dt_ns as f64) * std::f64::consts::LN_2 / half_life_ns as f64).exp()
            }
            Decay::Lambda(l) => l,
        }
    }
}
