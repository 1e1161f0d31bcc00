//! Immutable per-parameter guardrails of the on-chain verifier.

use recal_types::{PPM_SCALE, ParameterId, ParameterSet};

use crate::error::{GuardrailConfigError, Rejection};

/// Bounds and maximum step of one parameter, in the parameter's own unit.
///
/// A new value must lie in `[min, max]` and differ from the current value by at most
/// `max(max_step_absolute, ⌊|current| · max_step_ppm / 10⁶⌋)`. Relative steps suit scale-free
/// parameters (margins, penalties, leverage, open-interest cap); an absolute step suits one
/// that crosses zero (funding shift); both together give a relative limit with a floor so that a
/// parameter at zero can still move. All arithmetic is integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guardrail {
    min: i128,
    max: i128,
    max_step_ppm: u32,
    max_step_absolute: u128,
}

impl Guardrail {
    /// A guardrail; `min ≤ max < i128::MAX` (so a saturated open-interest cap, see
    /// [`ParameterSet::get`], is always out of bounds).
    ///
    /// ```
    /// use recal_emit::Guardrail;
    /// // Initial margin: 5 %..50 %, at most ±25 % of its value per update, at least 0.1 %.
    /// let im = Guardrail::new(50_000, 500_000, 250_000, 1_000).unwrap();
    /// assert_eq!(im.max_step(100_000), 25_000);
    /// assert_eq!(im.max_step(0), 1_000);
    /// ```
    pub fn new(
        min: i128,
        max: i128,
        max_step_ppm: u32,
        max_step_absolute: u128,
    ) -> Result<Self, GuardrailConfigError> {
        if min > max {
            return Err(GuardrailConfigError::EmptyRange { min, max });
        }
        if max == i128::MAX {
            return Err(GuardrailConfigError::UnboundedMaximum);
        }
        Ok(Self {
            min,
            max,
            max_step_ppm,
            max_step_absolute,
        })
    }

    /// Smallest allowed value.
    #[must_use]
    pub const fn min(&self) -> i128 {
        self.min
    }

    /// Largest allowed value.
    #[must_use]
    pub const fn max(&self) -> i128 {
        self.max
    }

    /// Largest allowed change away from `current`.
    #[must_use]
    pub fn max_step(&self, current: i128) -> u128 {
        let magnitude = current.unsigned_abs();
        let scale = u128::from(PPM_SCALE);
        let ppm = u128::from(self.max_step_ppm);
        // ⌊m·p/s⌋ = ⌊m/s⌋·p + ⌊(m mod s)·p/s⌋, exact and free of overflow short of saturation.
        let relative = (magnitude / scale)
            .saturating_mul(ppm)
            .saturating_add((magnitude % scale) * ppm / scale);
        relative.max(self.max_step_absolute)
    }

    /// Checks a move of `parameter` from `current` to `proposed`.
    pub fn check(
        &self,
        parameter: ParameterId,
        current: i128,
        proposed: i128,
    ) -> Result<(), Rejection> {
        if proposed < self.min || proposed > self.max {
            return Err(Rejection::OutOfBounds {
                parameter,
                value: proposed,
                min: self.min,
                max: self.max,
            });
        }
        let max_step = self.max_step(current);
        if current.abs_diff(proposed) > max_step {
            return Err(Rejection::StepTooLarge {
                parameter,
                from: current,
                to: proposed,
                max_step,
            });
        }
        Ok(())
    }
}

/// The guardrails of one market: a [`Guardrail`] per parameter plus timing rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Guardrails {
    per_parameter: [Guardrail; ParameterId::COUNT],
    min_update_interval: u64,
    min_time_lock: u64,
}

impl Guardrails {
    /// Guardrails with `per_parameter[p.index()]` for each [`ParameterId`] `p`, at least
    /// `min_update_interval` seconds between applied updates, and at least `min_time_lock`
    /// seconds between a loosening proposal's submission and its execution.
    #[must_use]
    pub const fn new(
        per_parameter: [Guardrail; ParameterId::COUNT],
        min_update_interval: u64,
        min_time_lock: u64,
    ) -> Self {
        Self {
            per_parameter,
            min_update_interval,
            min_time_lock,
        }
    }

    /// The guardrail of `parameter`.
    #[must_use]
    pub const fn guardrail(&self, parameter: ParameterId) -> &Guardrail {
        &self.per_parameter[parameter.index()]
    }

    /// Minimum seconds between two applied updates.
    #[must_use]
    pub const fn min_update_interval(&self) -> u64 {
        self.min_update_interval
    }

    /// Minimum seconds a loosening proposal waits after submission.
    #[must_use]
    pub const fn min_time_lock(&self) -> u64 {
        self.min_time_lock
    }

    /// When a loosening proposal valid after `valid_after` and submitted at `submitted_at`
    /// becomes executable: the later of its own `validAfter` and the contract's minimum
    /// time-lock after submission.
    #[must_use]
    pub const fn executable_at(&self, valid_after: u64, submitted_at: u64) -> u64 {
        let earliest = submitted_at.saturating_add(self.min_time_lock);
        if valid_after > earliest {
            valid_after
        } else {
            earliest
        }
    }

    /// Checks every parameter's bounds and step (in [`ParameterId::ALL`] order, reporting the
    /// first violation), then that maintenance margin does not exceed initial margin.
    pub fn check(&self, current: &ParameterSet, proposed: &ParameterSet) -> Result<(), Rejection> {
        for parameter in ParameterId::ALL {
            self.guardrail(parameter).check(
                parameter,
                current.get(parameter),
                proposed.get(parameter),
            )?;
        }
        if proposed.maintenance_margin_ppm > proposed.initial_margin_ppm {
            return Err(Rejection::MaintenanceAboveInitial {
                initial: proposed.initial_margin_ppm,
                maintenance: proposed.maintenance_margin_ppm,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_configuration() {
        assert_eq!(
            Guardrail::new(2, 1, 0, 0),
            Err(GuardrailConfigError::EmptyRange { min: 2, max: 1 })
        );
        assert_eq!(
            Guardrail::new(0, i128::MAX, 0, 0),
            Err(GuardrailConfigError::UnboundedMaximum)
        );
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let cap = Guardrail::new(0, i128::MAX - 1, u32::MAX, 0).unwrap();
        assert_eq!(cap.max_step(i128::MIN), u128::MAX);
        let half = Guardrail::new(0, 1, 500_000, 0).unwrap();
        assert_eq!(half.max_step(i128::MAX), (i128::MAX as u128) / 2);
    }

    proptest! {
        /// Twin: the step rule as a cross-multiplied inequality in wide integers.
        #[test]
        fn max_step_matches_cross_multiplication(
            current in -(1i128 << 90)..(1i128 << 90),
            ppm in any::<u32>(),
            absolute in 0u128..(1 << 60),
            delta in 0u128..(1 << 95),
        ) {
            let rail = Guardrail::new(i128::MIN, i128::MAX - 1, ppm, absolute).unwrap();
            // For an integer delta, delta ≤ ⌊m·p/10⁶⌋ ⇔ delta·10⁶ ≤ m·p.
            let within = delta * 1_000_000 <= current.unsigned_abs() * u128::from(ppm)
                || delta <= absolute;
            prop_assert_eq!(delta <= rail.max_step(current), within);
        }
    }
}
