//! Margin requirements of an account, per underlying, under a parameter set.
//!
//! Parameters are plain `f64` ratios here. The integer, parts-per-million parameter set that
//! stage 4 damps and stage 5 signs (`recal_types::ParameterSet`) is converted to [`MarginParams`]
//! at the stage boundary (ppm / 10⁶), so this crate stays independent of the encoding.
//!
//! Two models, chosen by [`MarginModel`]:
//! - **volatility-adjusted**: MM = N · m · (σ_short / σ_ref) · k and IM = N · i · (σ_short /
//!   σ_ref) · k, with N the gross notional ([`crate::Exposure::gross_notional`]), m and i the
//!   maintenance and initial ratios, σ_short the underlying's short-term volatility, σ_ref the
//!   reference volatility at which the ratios apply unscaled, and k the tail factor;
//! - **portfolio** (see [`crate::PortfolioMarginParams`]): worst scenario loss plus add-ons, with
//!   IM = MM · i / m.
//!
//! The account's requirement is the sum over underlyings (cross-margined equity).

use crate::account::{Account, gross_quantity};
use crate::error::{GreeksError, InputError, non_negative, positive};
use crate::market::Market;
use crate::portfolio_margin::{PortfolioMarginParams, portfolio_maintenance};

/// Which method sets the maintenance (and initial) margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarginModel {
    /// Notional times a ratio scaled by short-term volatility and a tail factor.
    #[default]
    VolatilityAdjusted,
    /// Worst loss over a spot × volatility grid plus add-ons.
    Portfolio,
}

/// Margin parameters as ratios (1.00 = 100 %).
#[derive(Debug, Clone, PartialEq)]
pub struct MarginParams {
    /// Which method applies.
    pub model: MarginModel,
    /// Initial margin ratio i at σ_short = σ_ref, > 0 (default 10 %).
    pub initial_ratio: f64,
    /// Maintenance margin ratio m at σ_short = σ_ref, > 0 (default 5 %).
    pub maintenance_ratio: f64,
    /// Reference volatility σ_ref per √year, > 0 (default 60 %).
    pub reference_vol: f64,
    /// Tail factor k ≥ 0 scaling the volatility-adjusted margin for fat tails (default 1).
    pub tail_factor: f64,
    /// Scenario grid and add-ons of the portfolio model.
    pub portfolio: PortfolioMarginParams,
}

impl Default for MarginParams {
    fn default() -> Self {
        MarginParams {
            model: MarginModel::VolatilityAdjusted,
            initial_ratio: 0.10,
            maintenance_ratio: 0.05,
            reference_vol: 0.60,
            tail_factor: 1.0,
            portfolio: PortfolioMarginParams::default(),
        }
    }
}

impl MarginParams {
    /// Checks every field.
    ///
    /// # Errors
    /// [`GreeksError::Input`] naming the first invalid field.
    pub fn validate(&self) -> Result<(), GreeksError> {
        positive("initial_ratio", self.initial_ratio)?;
        positive("maintenance_ratio", self.maintenance_ratio)?;
        positive("reference_vol", self.reference_vol)?;
        non_negative("tail_factor", self.tail_factor)?;
        self.portfolio.validate()?;
        Ok(())
    }
}

/// Initial and maintenance margin, in quote currency.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Margin {
    /// Margin needed to open or increase positions.
    pub initial: f64,
    /// Margin below which the account is liquidated.
    pub maintenance: f64,
}

/// Margin on one underlying with its sensitivity to that underlying's spot.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DynamicMargin {
    /// The requirement at the current spot.
    pub margin: Margin,
    /// Dynamic delta margin: ∂MM/∂S, the change of maintenance margin per unit of spot.
    pub spot_delta: f64,
    /// ∂²MM/∂S², used with `spot_delta` in the delta-gamma liquidation range.
    pub spot_gamma: f64,
}

/// Relative spot step of the central differences behind [`DynamicMargin`]: 0.1 % of spot.
pub const SPOT_STEP: f64 = 1e-3;

/// Margin of `account` on `underlying` if that underlying's spot were `spot` (every other input
/// at its market value).
///
/// # Errors
/// As [`crate::value_account`]; [`GreeksError::Input`] if `spot` is not finite and > 0.
///
/// ```
/// use recal_greeks::*;
/// let mut market = Market::new();
/// market.set_underlying(1, Underlying { spot: 100.0, short_vol: 0.9, depth_per_percent: 1e6 })?;
/// let perp = market.add_instrument(Instrument::Linear { underlying: 1, kind: LinearKind::Perpetual })?;
/// let mut account = Account::new();
/// account.set_position(perp, Position { quantity: -10.0, entry_price: 100.0 })?;
/// let params = MarginParams::default();
/// let margin = underlying_margin(&account, &market, &params, 1, 100.0)?;
/// // notional 1000 · 5 % · (0.9 / 0.6) · 1
/// assert!((margin.maintenance - 75.0).abs() < 1e-9);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn underlying_margin(
    account: &Account,
    market: &Market,
    params: &MarginParams,
    underlying: u32,
    spot: f64,
) -> Result<Margin, GreeksError> {
    positive("spot", spot)?;
    let state = market.underlying(underlying)?;
    let margin = match params.model {
        MarginModel::VolatilityAdjusted => {
            let notional = gross_quantity(account, market, underlying)? * spot;
            let scale = state.short_vol / params.reference_vol * params.tail_factor;
            Margin {
                initial: notional * params.initial_ratio * scale,
                maintenance: notional * params.maintenance_ratio * scale,
            }
        }
        MarginModel::Portfolio => {
            let maintenance =
                portfolio_maintenance(account, market, &params.portfolio, underlying, spot)?;
            Margin {
                initial: maintenance * params.initial_ratio / params.maintenance_ratio,
                maintenance,
            }
        }
    };
    if margin.initial.is_finite() && margin.maintenance.is_finite() {
        Ok(margin)
    } else {
        Err(InputError::Overflow.into())
    }
}

/// Margin on `underlying` at its market spot S with the dynamic delta margin ∂MM/∂S and
/// ∂²MM/∂S², by central differences of [`underlying_margin`] with step h = [`SPOT_STEP`] · S:
/// (MM(S + h) − MM(S − h)) / 2h and (MM(S + h) − 2 MM(S) + MM(S − h)) / h². The volatility-adjusted
/// margin is linear in S, so its differences are exact up to rounding; the portfolio margin is a
/// maximum over scenarios, whose differences average over kinks within ±h.
///
/// # Errors
/// As [`underlying_margin`].
pub fn dynamic_margin(
    account: &Account,
    market: &Market,
    params: &MarginParams,
    underlying: u32,
) -> Result<DynamicMargin, GreeksError> {
    let spot = market.underlying(underlying)?.spot;
    let step = SPOT_STEP * spot;
    let margin = underlying_margin(account, market, params, underlying, spot)?;
    let up = underlying_margin(account, market, params, underlying, spot + step)?.maintenance;
    let down = underlying_margin(account, market, params, underlying, spot - step)?.maintenance;
    Ok(DynamicMargin {
        margin,
        spot_delta: (up - down) / (2.0 * step),
        spot_gamma: (up - 2.0 * margin.maintenance + down) / (step * step),
    })
}
