//! Continuous damping: a rate-limited, time-consistent first-order filter per parameter, in
//! fixed point.
//!
//! Each parameter's damped value `p` moves toward its integer target `t` by
//! `Δ = g_eff · (t − p)`, with `|Δ|` at most `rate · dt`, and stays inside its guardrail
//! bounds. The gain for an event-time step `dt` is `g_eff = 1 − (1 − g)^(dt / Δt)` where `g` is
//! the [`Sensitivity`] gain per reference interval `Δt`, so two half steps move exactly as far
//! as one whole step (up to rounding): the filter does not depend on how often inputs arrive.
//!
//! Arithmetic: `p` is an [`I96F32`] (96 integer bits, 32 fraction bits); `g_eff` is computed in
//! integers with 63 fraction bits: `dt / Δt` is floored to a multiple of 2⁻³², the integer
//! power by repeated squaring and the fractional power from a table of
//! `(1 − g)^(2^−j)`, `j = 1..=32`, built by integer square roots; every product and root is
//! floored, so the retention `(1 − g)^(dt/Δt)` is rounded down, and the gain `1 − retention`
//! is rounded up to 32 fraction bits. The move `g_eff · (t − p)` is an `I96F32` product (floored), and
//! the proposal takes the damped value rounded to its safe side. No `f64` is involved.

use fixed::types::I96F32;
use recal_emit::Guardrails;
use recal_types::{PPM_SCALE, ParameterId, SafeDirection};

use crate::config::{DampingConfig, Sensitivity};

/// One in the 63-fraction-bit representation of gains and retentions.
const ONE: u128 = 1 << 63;

/// Fraction bits of `dt / Δt`.
const STEP_FRACTION_BITS: u32 = 32;

/// `dt / Δt` is capped at this many intervals; the retention is then below
/// `(1 − 10⁻⁶)^(2²⁴) < 10⁻⁷` for any non-zero gain.
const MAX_INTERVALS: u128 = 1 << 24;

/// Nanoseconds per second.
const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// Largest guardrail magnitude the damping state accepts, so that differences of two states
/// fit an [`I96F32`].
pub(crate) const MAX_MAGNITUDE: i128 = 1 << 93;

/// `a · b` for values with 63 fraction bits, floored.
fn mul63(a: u128, b: u128) -> u128 {
    // Both factors are at most ONE = 2⁶³, so the product fits in 126 bits.
    (a * b) >> 63
}

/// The retention `1 − g` of one gain, ready to be raised to any real power.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Retention {
    /// `1 − g` (63 fraction bits).
    per_interval: u128,
    /// `roots[j] = (1 − g)^(2^−(j+1))`.
    roots: [u128; STEP_FRACTION_BITS as usize],
}

impl Retention {
    fn new(gain_ppm: u32) -> Self {
        let scale = u128::from(PPM_SCALE);
        let per_interval = (scale - u128::from(gain_ppm.min(PPM_SCALE))) * ONE / scale;
        let mut root = per_interval;
        let roots = [(); STEP_FRACTION_BITS as usize].map(|()| {
            root = (root << 63).isqrt();
            root
        });
        Self {
            per_interval,
            roots,
        }
    }

    /// `(1 − g)^(steps / 2³²)`, floored.
    fn over(&self, steps: u128) -> u128 {
        let mut kept = ONE;
        let mut base = self.per_interval;
        let mut whole = steps >> STEP_FRACTION_BITS;
        while whole > 0 {
            if whole & 1 == 1 {
                kept = mul63(kept, base);
            }
            base = mul63(base, base);
            whole >>= 1;
        }
        for (j, root) in self.roots.iter().enumerate() {
            if steps >> (STEP_FRACTION_BITS - 1 - j as u32) & 1 == 1 {
                kept = mul63(kept, *root);
            }
        }
        kept
    }
}

/// Effective gains of the two directions for a given time step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gains {
    tighten: I96F32,
    loosen: I96F32,
    dt_seconds: I96F32,
}

/// The filter state of one market: a damped value per parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damper {
    values: [I96F32; ParameterId::COUNT],
    tighten: Retention,
    loosen: Retention,
    interval_nanos: u128,
    /// Largest move per second, per parameter.
    rate_per_second: [I96F32; ParameterId::COUNT],
    /// Guardrail bounds `(min, max)`, each within ±[`MAX_MAGNITUDE`].
    bounds: [(i128, i128); ParameterId::COUNT],
}

impl Damper {
    /// A damper starting at `start` (integers, inside `guardrails`, each within
    /// ±[`MAX_MAGNITUDE`]).
    pub(crate) fn new(
        start: [i128; ParameterId::COUNT],
        config: &DampingConfig,
        guardrails: &Guardrails,
    ) -> Self {
        let Sensitivity {
            tighten_gain_ppm,
            loosen_gain_ppm,
            interval_seconds,
        } = config.sensitivity;
        let bounds = ParameterId::ALL.map(|p| {
            let rail = guardrails.guardrail(p);
            (rail.min(), rail.max())
        });
        let rate_per_second = bounds.map(|(min, max)| {
            I96F32::from_num(max - min).saturating_mul_int(config.max_rate_ppm_of_range.into())
                / i128::from(PPM_SCALE)
        });
        Self {
            values: start.map(I96F32::from_num),
            tighten: Retention::new(tighten_gain_ppm),
            loosen: Retention::new(loosen_gain_ppm),
            interval_nanos: u128::from(interval_seconds) * NANOS_PER_SECOND,
            rate_per_second,
            bounds,
        }
    }

    /// The gains for a step of `dt_nanos` nanoseconds of event time.
    pub(crate) fn gains(&self, dt_nanos: u64) -> Gains {
        let steps = ((u128::from(dt_nanos) << STEP_FRACTION_BITS) / self.interval_nanos)
            .min(MAX_INTERVALS << STEP_FRACTION_BITS);
        let gain = |retention: &Retention| {
            // 0 ≤ 1 − kept ≤ 2⁶³: rounded up to 32 fraction bits, it fits in 33 bits.
            let shift = 63 - 32;
            I96F32::from_bits(((ONE - retention.over(steps) + (1 << shift) - 1) >> shift) as i128)
        };
        // dt < 2⁶⁴ ns, so dt · 2³² / 10⁹ < 2⁶⁷ fits.
        let dt_bits = (u128::from(dt_nanos) << 32) / NANOS_PER_SECOND;
        Gains {
            tighten: gain(&self.tighten),
            loosen: gain(&self.loosen),
            dt_seconds: I96F32::from_bits(dt_bits as i128),
        }
    }

    /// Moves every value toward `targets` over one step.
    ///
    /// A parameter in `bypass` that tightens jumps to its target (no gain, no rate limit); in
    /// `conservative` mode no value loosens.
    pub(crate) fn step(
        &mut self,
        targets: &[i128; ParameterId::COUNT],
        gains: &Gains,
        bypass: &[bool; ParameterId::COUNT],
        conservative: bool,
    ) {
        for parameter in ParameterId::ALL {
            let i = parameter.index();
            let (min, max) = self.bounds[i];
            let target = I96F32::from_num(targets[i].clamp(min, max));
            let (min, max) = (I96F32::from_num(min), I96F32::from_num(max));
            let current = self.values[i];
            let loosening = parameter
                .safe_direction()
                .is_loosening(current.to_bits(), target.to_bits());
            let next = if loosening && conservative {
                current
            } else if !loosening && bypass[i] {
                target
            } else {
                let gain = if loosening {
                    gains.loosen
                } else {
                    gains.tighten
                };
                let limit = self.rate_per_second[i].saturating_mul(gains.dt_seconds);
                let delta = (target - current).saturating_mul(gain).clamp(-limit, limit);
                current + delta
            };
            self.values[i] = next.clamp(min, max);
        }
    }

    /// The damped values as integers, each rounded toward its safe side.
    pub(crate) fn rounded(&self) -> [i128; ParameterId::COUNT] {
        ParameterId::ALL.map(|p| round_safe(p.safe_direction(), self.values[p.index()]))
    }
}

/// `value` rounded to an integer on the safe side of `direction`: up for
/// [`SafeDirection::Increase`], down for [`SafeDirection::Decrease`], away from zero for
/// [`SafeDirection::AwayFromZero`].
fn round_safe(direction: SafeDirection, value: I96F32) -> i128 {
    let bits = value.to_bits();
    let floor = bits >> 32;
    let ceil = (bits + ((1 << 32) - 1)) >> 32;
    match direction {
        SafeDirection::Increase => ceil,
        SafeDirection::Decrease => floor,
        SafeDirection::AwayFromZero if bits >= 0 => ceil,
        SafeDirection::AwayFromZero => floor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recal_emit::Guardrail;

    #[test]
    fn gain_is_exact_at_whole_intervals_and_time_consistent() {
        let r = Retention::new(500_000);
        let interval = 1u128 << STEP_FRACTION_BITS;
        assert_eq!(r.over(0), ONE);
        assert_eq!(r.over(interval), ONE / 2);
        assert_eq!(r.over(3 * interval), ONE / 8);
        // Two half steps retain what one whole step does, up to a few ulps of 2⁻⁶³.
        let half = r.over(interval / 2);
        assert!(mul63(half, half).abs_diff(ONE / 2) < 8);
        // Arbitrary split: r^(a) · r^(b) = r^(a+b).
        let (a, b) = (12_345_678_901u128, 98_765_432_109u128);
        assert!(mul63(r.over(a), r.over(b)).abs_diff(r.over(a + b)) < 1 << 12);
    }

    #[test]
    fn full_gain_and_zero_gain() {
        assert_eq!(Retention::new(1_000_000).over(1 << STEP_FRACTION_BITS), 0);
        assert_eq!(Retention::new(0).over(5 << STEP_FRACTION_BITS), ONE);
    }

    #[test]
    fn rounding_goes_to_the_safe_side() {
        let x = I96F32::from_num(10.25);
        assert_eq!(round_safe(SafeDirection::Increase, x), 11);
        assert_eq!(round_safe(SafeDirection::Decrease, x), 10);
        assert_eq!(round_safe(SafeDirection::AwayFromZero, x), 11);
        assert_eq!(round_safe(SafeDirection::AwayFromZero, -x), -11);
        assert_eq!(round_safe(SafeDirection::Increase, -x), -10);
        assert_eq!(round_safe(SafeDirection::Decrease, I96F32::from_num(7)), 7);
    }

    fn damper(max_rate_ppm_of_range: u32) -> Damper {
        let rail = Guardrail::new(0, 1_000_000, 0, 0).unwrap();
        let config = DampingConfig {
            max_rate_ppm_of_range,
            ..DampingConfig::default()
        };
        let rails = Guardrails::new([rail; ParameterId::COUNT], 0, 0);
        Damper::new([500_000; ParameterId::COUNT], &config, &rails)
    }

    #[test]
    fn step_size_does_not_change_the_path() {
        let targets = [800_000; ParameterId::COUNT];
        let none = [false; ParameterId::COUNT];
        let (mut coarse, mut fine) = (damper(1_000_000), damper(1_000_000));
        coarse.step(&targets, &coarse.gains(60_000_000_000), &none, false);
        for _ in 0..60 {
            fine.step(&targets, &fine.gains(1_000_000_000), &none, false);
        }
        // One interval at the default tightening gain of 50 % closes half the gap.
        assert_eq!(coarse.rounded()[0], 650_000);
        assert!(fine.rounded()[0].abs_diff(650_000) <= 1);
        // Leverage up is a loosening: the 10 % loosening gain closes a tenth of the gap.
        let leverage = ParameterId::MaxLeverage.index();
        assert_eq!(coarse.rounded()[leverage], 530_000);
        assert!(fine.rounded()[leverage].abs_diff(530_000) <= 1);
    }

    #[test]
    fn rate_limit_bypass_and_conservative_mode() {
        let none = [false; ParameterId::COUNT];
        let all = [true; ParameterId::COUNT];
        let targets = [900_000; ParameterId::COUNT];
        // 1 000 ppm of the range per second: 10 000 in 10 s.
        let mut limited = damper(1_000);
        limited.step(&targets, &limited.gains(10_000_000_000), &none, false);
        assert_eq!(limited.rounded()[0], 510_000);
        // A bypassed tightening jumps; a bypassed loosening (leverage up) does not.
        let mut jumped = damper(1_000);
        jumped.step(&targets, &jumped.gains(0), &all, false);
        assert_eq!(jumped.rounded()[0], 900_000);
        assert_eq!(jumped.rounded()[ParameterId::MaxLeverage.index()], 500_000);
        // Conservative: a loosening target is not followed, a tightening one is.
        let mut held = damper(1_000_000);
        let lower = [100_000; ParameterId::COUNT];
        held.step(&lower, &held.gains(60_000_000_000), &none, true);
        assert_eq!(held.rounded()[0], 500_000);
        assert_eq!(held.rounded()[ParameterId::MaxLeverage.index()], 300_000);
    }
}
