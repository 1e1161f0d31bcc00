//! Portfolio margin: the worst loss of an underlying's positions over a grid of spot and
//! volatility shocks, by full revaluation, plus add-ons.
//!
//! In the manner of Deribit's portfolio margin and Derive's PMRM, each underlying is revalued
//! under every (spot shock, volatility shock) pair of the grid; the maintenance margin is
//!
//! MM = max(0, −min over scenarios of ΔV) + OTM add-on + concentration add-on + liquidation cost,
//!
//! where ΔV is the change in value of the underlying's options, linear positions and linked
//! collateral. Default grid: spot shocks −15 % … +15 % in steps of 2.5 % (13 points) × relative
//! volatility shocks −30 %, 0, +45 % (σ × 0.70, 1.00, 1.45): 39 scenarios.
//!
//! Add-ons:
//! - **deep OTM**: for each short out-of-the-money option, |q| · S · r_b, where b =
//!   ⌊|ln(K/S)| / w⌋ (capped at the last bucket) is its moneyness bucket of width w and r_b a
//!   per-bucket ratio set from the implied-volatility skew (stage 4 raises the far buckets when the
//!   wings are bid);
//! - **concentration** (leverage persistence): c · max(0, N − N₀), N the gross notional and N₀ a
//!   threshold;
//! - **liquidation cost**: f · N_Δ² / (2 D), N_Δ = |Δ| · S the net delta notional and D the depth
//!   per 100 % move: the slippage of unwinding the delta into a linear depth curve.

use crate::account::{Account, gross_quantity, scenario_value};
use crate::error::{GreeksError, finite, non_negative, positive};
use crate::market::{Instrument, Market};

/// Parameters of the portfolio margin.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioMarginParams {
    /// Relative spot shocks (e.g. −0.15 for −15 %), each > −1.
    pub spot_shocks: Vec<f64>,
    /// Relative volatility shocks (e.g. −0.30 scales every implied volatility by 0.70), each ≥ −1.
    pub vol_shocks: Vec<f64>,
    /// Width w of a moneyness bucket in |ln(K/S)|, > 0 (default 0.10).
    pub otm_bucket_width: f64,
    /// Add-on ratio r_b per moneyness bucket, each ≥ 0 (default 0, 0, 0.5 %, 1 %, 2 %).
    pub otm_addon_by_bucket: Vec<f64>,
    /// Gross notional N₀ above which the concentration add-on applies, ≥ 0.
    pub concentration_threshold: f64,
    /// Concentration rate c ≥ 0 per unit of notional over the threshold (default 2 %).
    pub concentration_rate: f64,
    /// Factor f ≥ 0 on the liquidation slippage (default 1).
    pub liquidation_cost_factor: f64,
}

impl Default for PortfolioMarginParams {
    fn default() -> Self {
        PortfolioMarginParams {
            spot_shocks: (-6..=6).map(|i| f64::from(i) * 0.025).collect(),
            vol_shocks: vec![-0.30, 0.0, 0.45],
            otm_bucket_width: 0.10,
            otm_addon_by_bucket: vec![0.0, 0.0, 0.005, 0.01, 0.02],
            concentration_threshold: 10_000_000.0,
            concentration_rate: 0.02,
            liquidation_cost_factor: 1.0,
        }
    }
}

impl PortfolioMarginParams {
    /// Checks every field.
    ///
    /// # Errors
    /// [`GreeksError::Input`] naming the first invalid field.
    pub fn validate(&self) -> Result<(), GreeksError> {
        for &shock in &self.spot_shocks {
            positive("1 + spot shock", 1.0 + finite("spot shock", shock)?)?;
        }
        for &shock in &self.vol_shocks {
            non_negative("1 + vol shock", 1.0 + finite("vol shock", shock)?)?;
        }
        positive("otm_bucket_width", self.otm_bucket_width)?;
        for &ratio in &self.otm_addon_by_bucket {
            non_negative("otm add-on", ratio)?;
        }
        non_negative("concentration_threshold", self.concentration_threshold)?;
        non_negative("concentration_rate", self.concentration_rate)?;
        non_negative("liquidation_cost_factor", self.liquidation_cost_factor)?;
        Ok(())
    }
}

/// Worst loss over the grid of `params` of the account's positions on `underlying` revalued
/// around spot `spot`: max(0, V(S, 1) − min V(S(1 + s), 1 + v)).
///
/// # Errors
/// As [`crate::value_account`].
pub fn scenario_loss(
    account: &Account,
    market: &Market,
    params: &PortfolioMarginParams,
    underlying: u32,
    spot: f64,
) -> Result<f64, GreeksError> {
    Ok(grid_revaluation(account, market, params, underlying, spot)?.0)
}

/// The worst grid loss and the delta at `spot`, from one base revaluation.
fn grid_revaluation(
    account: &Account,
    market: &Market,
    params: &PortfolioMarginParams,
    underlying: u32,
    spot: f64,
) -> Result<(f64, f64), GreeksError> {
    let (base, delta) = scenario_value(account, market, underlying, spot, 1.0)?;
    let mut worst = 0.0_f64;
    for &spot_shock in &params.spot_shocks {
        for &vol_shock in &params.vol_shocks {
            let (value, _) = scenario_value(
                account,
                market,
                underlying,
                spot * (1.0 + spot_shock),
                1.0 + vol_shock,
            )?;
            worst = worst.max(base - value);
        }
    }
    Ok((worst, delta))
}

/// Portfolio maintenance margin of the account on `underlying` at spot `spot`: scenario loss
/// plus the three add-ons of the module documentation.
pub(crate) fn portfolio_maintenance(
    account: &Account,
    market: &Market,
    params: &PortfolioMarginParams,
    underlying: u32,
    spot: f64,
) -> Result<f64, GreeksError> {
    let (loss, delta) = grid_revaluation(account, market, params, underlying, spot)?;
    let otm = otm_addon(account, market, params, underlying, spot)?;
    let notional = gross_quantity(account, market, underlying)? * spot;
    let concentration =
        params.concentration_rate * (notional - params.concentration_threshold).max(0.0);
    let delta_notional = delta.abs() * spot;
    let depth = market.underlying(underlying)?;
    let liquidation_cost =
        params.liquidation_cost_factor * 0.5 * delta_notional * depth.impact(delta_notional);
    Ok(loss + otm + concentration + liquidation_cost)
}

/// Deep-OTM add-on: Σ over short out-of-the-money options of |q| · S · r_b.
fn otm_addon(
    account: &Account,
    market: &Market,
    params: &PortfolioMarginParams,
    underlying: u32,
    spot: f64,
) -> Result<f64, GreeksError> {
    let Some(last) = params.otm_addon_by_bucket.len().checked_sub(1) else {
        return Ok(0.0);
    };
    let mut addon = 0.0;
    for item in account.positions_on(market, underlying) {
        let (_, instrument, position) = item?;
        let Instrument::Option(option) = instrument else {
            continue;
        };
        let log_moneyness = (option.strike / spot).ln();
        let out_of_the_money = log_moneyness * option.kind.sign() > 0.0;
        if position.quantity < 0.0 && out_of_the_money {
            // Truncation towards zero of a non-negative finite ratio is the bucket number.
            let bucket = ((log_moneyness.abs() / params.otm_bucket_width) as usize).min(last);
            addon += position.quantity.abs() * spot * params.otm_addon_by_bucket[bucket];
        }
    }
    Ok(addon)
}
