//! Target parameters from one [`RiskInputs`] snapshot: the model half of the stage.
//!
//! Targets are model outputs, so they are computed in `f64`; only IEEE-754 basic operations
//! and `sqrt` are used (all correctly rounded), so the same inputs give bit-identical targets
//! on every platform. Each target is then converted to its integer unit rounding toward the
//! safe side ([`recal_types::SafeDirection`]): margins, add-ons, penalties and the fund rate
//! round up (`⌈x · 10⁶⌉` ppm), leverage and the open-interest cap round down, and the funding
//! shift rounds away from zero. Before that, values in ppm and centi-leverage are rounded to
//! the nearest thousandth of their unit, so that binary noise (`0.1 · 10⁶` is
//! `100 000.000 000 000 01` in `f64`) does not push a round target one unit up. The formulas, with the [`TargetModel`] constants named as
//! there:
//!
//! | parameter | target |
//! |---|---|
//! | maintenance margin `mm` | `clamp(k · σ · (1 + w_vov · vov) · √(h / year) · tail, floor, cap)`, `tail = min(1 + c_tail / (ν − 2), tail_cap)` (`tail_cap` when `ν ≤ 2`) |
//! | initial margin | `min(mm · initial_to_maintenance, initial_cap)` |
//! | add-on of bucket `b` | `min(addon_base[b] + addon_skew_slope[b] · abs(RR₂₅) / σ_ATM, addon_cap)` |
//! | liquidation penalty | `liquidation_penalty` (constant) |
//! | auction slippage penalty | `clamp(1 % · share · max(OI_long, OI_short) / depth, floor, cap)`: the price impact of selling the liquidated share into a book with `depth` inside ±1 % |
//! | fund contribution rate | `min(base + slope · max(D/E − reference, 0), cap)` |
//! | funding shift | `clamp(funding_shift_per_skew · (L − S)/(L + S), ±funding_shift_cap)` |
//! | max leverage | `min(max_leverage, 1 / initial margin) · health` |
//! | open-interest cap | `base cap · health` |
//!
//! where `health = min_health + (1 − min_health) · clamp(fund / collateral ÷ healthy_ratio, 0, 1)`,
//! multiplied by `fund_low_factor` while the fund-low trigger is active, and a year is
//! 365 days.

use recal_types::{MoneynessBucket, PPM_SCALE, ParameterSet};

use crate::config::TargetModel;
use crate::inputs::RiskInputs;

/// Seconds in the 365-day year that annualised volatilities refer to.
pub const SECONDS_PER_YEAR: f64 = 31_536_000.0;

/// Width of the order-book band that [`RiskInputs::book_depth`] covers (±1 %).
const DEPTH_BAND: f64 = 0.01;

/// The target parameter set for `inputs` under `model`.
///
/// `open_interest_cap` is the healthy-fund cap (base units); `fund_low` says whether the
/// fund-low trigger is active. Never panics; with a model that fails
/// [`TriggerConfig::validate`](crate::TriggerConfig::validate) the values are meaningless but
/// still saturate into their types.
///
/// ```
/// use recal_trigger::{RiskInputs, TargetModel, targets::targets};
/// let calm = RiskInputs {
///     realized_vol: 0.5, vol_of_vol: 0.5, tail_dof: 5.0, atm_vol: 0.5,
///     book_depth: 1e7, open_interest_long: 5e7, open_interest_short: 5e7,
///     insurance_fund: 1e7, total_collateral: 1e8, ..RiskInputs::default()
/// };
/// let t = targets(&calm, &TargetModel::default(), 1_000_000, false);
/// // 2.33 · 0.5 · 1.25 · √(1/365) · (1 + 1/3) ≈ 10.2 % maintenance, 1.5× for initial.
/// assert_eq!(t.maintenance_margin_ppm, 101_632);
/// assert_eq!(t.initial_margin_ppm, 152_448);
/// assert_eq!(t.max_leverage_centi, 655); // ⌊100 / 15.24 %⌋, healthy fund
/// ```
#[must_use]
pub fn targets(
    inputs: &RiskInputs,
    model: &TargetModel,
    open_interest_cap: u128,
    fund_low: bool,
) -> ParameterSet {
    let maintenance = maintenance_margin(inputs, model);
    let initial = (maintenance * model.initial_to_maintenance).min(model.initial_cap);
    let skew = normalised_skew(inputs);
    let addon = MoneynessBucket::ALL.map(|b| {
        let i = b.index();
        ppm_up((model.addon_base[i] + model.addon_skew_slope[i] * skew).min(model.addon_cap))
    });
    let health = fund_health(inputs, model, fund_low);
    let leverage = model.max_leverage.min(1.0 / initial) * health;
    ParameterSet {
        initial_margin_ppm: ppm_up(initial),
        maintenance_margin_ppm: ppm_up(maintenance),
        liquidation_addon_ppm: addon,
        liquidation_penalty_ppm: ppm_up(model.liquidation_penalty),
        auction_slippage_penalty_ppm: ppm_up(slippage_penalty(inputs, model)),
        insurance_fund_rate_ppm: ppm_up(fund_rate(inputs, model)),
        funding_shift_ppm: funding_shift_ppm(inputs, model),
        // Saturating casts: `leverage` is finite and at most 10⁶ (validated), so this is exact
        // floor rounding.
        max_leverage_centi: denoise(leverage * 100.0).floor() as u32,
        open_interest_cap: scale_down(open_interest_cap, health),
    }
}

/// `k · σ · (1 + w_vov · vov) · √(h / year) · tail`, clamped to `[floor, cap]`.
fn maintenance_margin(inputs: &RiskInputs, model: &TargetModel) -> f64 {
    let effective_vol = inputs.realized_vol * (1.0 + model.vol_of_vol_weight * inputs.vol_of_vol);
    let horizon = (model.liquidation_horizon_seconds / SECONDS_PER_YEAR).sqrt();
    let tail = if inputs.tail_dof > 2.0 {
        (1.0 + model.tail_weight / (inputs.tail_dof - 2.0)).min(model.tail_factor_cap)
    } else {
        model.tail_factor_cap
    };
    (model.margin_quantile * effective_vol * horizon * tail)
        .max(model.maintenance_floor)
        .min(model.maintenance_cap)
}

/// `|RR₂₅| / σ_ATM`; a skew with no ATM vol reads as infinitely steep (`f64::MAX`).
fn normalised_skew(inputs: &RiskInputs) -> f64 {
    let magnitude = inputs.risk_reversal_25d.abs();
    if inputs.atm_vol > 0.0 {
        magnitude / inputs.atm_vol
    } else if magnitude > 0.0 {
        f64::MAX
    } else {
        0.0
    }
}

fn slippage_penalty(inputs: &RiskInputs, model: &TargetModel) -> f64 {
    let liquidated =
        model.slippage_liquidated_share * inputs.open_interest_long.max(inputs.open_interest_short);
    let impact = if inputs.book_depth > 0.0 {
        DEPTH_BAND * liquidated / inputs.book_depth
    } else if liquidated > 0.0 {
        f64::MAX
    } else {
        0.0
    };
    impact.max(model.slippage_floor).min(model.slippage_cap)
}

fn fund_rate(inputs: &RiskInputs, model: &TargetModel) -> f64 {
    let excess = (inputs.debt_to_equity - model.fund_rate_reference).max(0.0);
    (model.fund_rate_base + model.fund_rate_slope * excess).min(model.fund_rate_cap)
}

/// Funding shift in ppm, rounded away from zero (the safe side of a shift).
fn funding_shift_ppm(inputs: &RiskInputs, model: &TargetModel) -> i32 {
    let shift = (model.funding_shift_per_skew * inputs.open_interest_skew())
        .max(-model.funding_shift_cap)
        .min(model.funding_shift_cap)
        * f64::from(PPM_SCALE);
    let shift = denoise(shift);
    // |shift| ≤ 10⁶ (validated), so the cast is exact.
    if shift >= 0.0 {
        shift.ceil() as i32
    } else {
        shift.floor() as i32
    }
}

/// Leverage and open-interest multiplier in `[0, 1]` from the fund's coverage.
fn fund_health(inputs: &RiskInputs, model: &TargetModel, fund_low: bool) -> f64 {
    let coverage = (inputs.fund_ratio() / model.healthy_fund_ratio).clamp(0.0, 1.0);
    let health = model.min_health_factor + (1.0 - model.min_health_factor) * coverage;
    if fund_low {
        health * model.fund_low_factor
    } else {
        health
    }
}

/// A fraction as ppm, rounded up; fractions are within `[0, 1]` by construction.
fn ppm_up(fraction: f64) -> u32 {
    denoise(fraction * f64::from(PPM_SCALE)).ceil() as u32
}

/// `units` rounded to the nearest thousandth (ties away from zero).
fn denoise(units: f64) -> f64 {
    (units * 1_000.0).round() / 1_000.0
}

/// `⌊cap · factor⌋` for `factor ∈ [0, 1]`: exactly `cap` at `factor = 1` (the `f64` image of a
/// large cap is inexact), never above it.
fn scale_down(cap: u128, factor: f64) -> u128 {
    if factor >= 1.0 {
        cap
    } else {
        ((cap as f64 * factor).floor() as u128).min(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn calm() -> RiskInputs {
        RiskInputs {
            realized_vol: 0.5,
            vol_of_vol: 0.5,
            tail_dof: 5.0,
            risk_reversal_25d: -0.1,
            atm_vol: 0.5,
            debt_to_equity: 2.0,
            book_depth: 1e7,
            open_interest_long: 6e7,
            open_interest_short: 4e7,
            insurance_fund: 5e6,
            total_collateral: 1e8,
            ..RiskInputs::default()
        }
    }

    #[test]
    fn reference_values() {
        let model = TargetModel::default();
        let t = targets(&calm(), &model, 1_000, false);
        // skew 0.1 / 0.5 = 0.2: add-ons 0, 0.005 + 0.004, 0.02 + 0.016, 0.05 + 0.04 (each sum
        // is one ulp above its decimal value in f64).
        assert_eq!(t.liquidation_addon_ppm, [0, 9_000, 36_000, 90_000]);
        assert_eq!(t.liquidation_penalty_ppm, 25_000);
        // 1 % · 0.05 · 6e7 / 1e7 = 0.3 % slippage.
        assert_eq!(t.auction_slippage_penalty_ppm, 3_000);
        // 0.1 + 0.1 · (2 − 1) = 0.2.
        assert_eq!(t.insurance_fund_rate_ppm, 200_000);
        // 0.0004 · 0.2 = 80 ppm against the longs.
        assert_eq!(t.funding_shift_ppm, 80);
        // Fund at 5 % of collateral: health 0.25 + 0.75 · 0.5 = 0.625.
        assert_eq!(t.open_interest_cap, 625);
        let low = targets(&calm(), &model, 1_000, true);
        assert_eq!(low.open_interest_cap, 312);
        assert!(low.max_leverage_centi * 2 <= t.max_leverage_centi + 1);
    }

    #[test]
    fn degenerate_inputs_take_the_safe_bounds() {
        let model = TargetModel::default();
        let inputs = RiskInputs {
            tail_dof: 2.0,
            book_depth: 0.0,
            atm_vol: 0.0,
            risk_reversal_25d: 0.1,
            realized_vol: 1e300,
            ..calm()
        };
        let t = targets(&inputs, &model, 1_000, false);
        assert_eq!(t.maintenance_margin_ppm, 500_000);
        assert_eq!(t.initial_margin_ppm, 750_000);
        assert_eq!(t.auction_slippage_penalty_ppm, 100_000);
        assert_eq!(t.liquidation_addon_ppm[3], 500_000);
        let none = RiskInputs::default();
        let t = targets(&none, &model, u128::MAX, false);
        assert_eq!(t.maintenance_margin_ppm, 20_000);
        assert_eq!(t.funding_shift_ppm, 0);
        assert_eq!(t.open_interest_cap, u128::MAX);
    }

    proptest! {
        #[test]
        fn riskier_inputs_never_give_looser_targets(
            vol in 0.0..3.0f64, extra_vol in 0.0..2.0f64,
            depth in 1.0..1e8f64, less_depth in 0.0..1.0f64,
            fund in 0.0..1e7f64, drained in 0.0..1.0f64,
            long in 0.0..1e8f64, more_long in 0.0..1e8f64,
        ) {
            let model = TargetModel::default();
            let base = RiskInputs {
                realized_vol: vol, book_depth: depth, insurance_fund: fund,
                open_interest_long: long, ..calm()
            };
            let riskier = RiskInputs {
                realized_vol: vol + extra_vol,
                book_depth: depth * less_depth,
                insurance_fund: fund * drained,
                open_interest_long: long + more_long,
                ..base
            };
            let (a, b) = (targets(&base, &model, 1 << 80, false), targets(&riskier, &model, 1 << 80, false));
            prop_assert!(b.maintenance_margin_ppm >= a.maintenance_margin_ppm);
            prop_assert!(b.initial_margin_ppm >= a.initial_margin_ppm);
            prop_assert!(b.auction_slippage_penalty_ppm >= a.auction_slippage_penalty_ppm);
            prop_assert!(b.max_leverage_centi <= a.max_leverage_centi);
            prop_assert!(b.open_interest_cap <= a.open_interest_cap);
            prop_assert!(b.maintenance_margin_ppm <= b.initial_margin_ppm);
        }
    }
}
