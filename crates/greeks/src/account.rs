//! Accounts: positions in options and linear instruments plus multi-asset collateral, and their
//! full revaluation at market prices.
//!
//! Equity = collateral value + unrealised P&L, the P&L of a position being
//! quantity · (mark − entry price), with the mark from [`Instrument::unit_greeks`].

use std::collections::{BTreeMap, BTreeSet};

use crate::collateral::{collateral_delta, collateral_value};
use crate::error::{GreeksError, finite, non_negative};
use crate::market::{Instrument, Market};

/// A signed holding of one instrument.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Signed quantity in units of the underlying (positive = long).
    pub quantity: f64,
    /// Price paid per unit (option premium or linear entry price), in quote currency, ≥ 0.
    pub entry_price: f64,
}

/// One margin account: positions keyed by instrument index, collateral amounts keyed by asset id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    positions: BTreeMap<usize, Position>,
    collateral: BTreeMap<usize, f64>,
}

impl Account {
    /// An account with no position and no collateral.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Positions by instrument index.
    #[must_use]
    pub fn positions(&self) -> &BTreeMap<usize, Position> {
        &self.positions
    }

    /// Collateral amounts by asset id.
    #[must_use]
    pub fn collateral(&self) -> &BTreeMap<usize, f64> {
        &self.collateral
    }

    /// Sets the position in `instrument`; a quantity of 0 closes it.
    ///
    /// # Errors
    /// [`GreeksError::Input`] if the quantity is not finite or the entry price is negative or not
    /// finite (the account is then unchanged).
    pub fn set_position(
        &mut self,
        instrument: usize,
        position: Position,
    ) -> Result<(), GreeksError> {
        finite("quantity", position.quantity)?;
        non_negative("entry_price", position.entry_price)?;
        if position.quantity == 0.0 {
            self.positions.remove(&instrument);
        } else {
            self.positions.insert(instrument, position);
        }
        Ok(())
    }

    /// Sets the amount held of collateral `asset`; 0 removes it.
    ///
    /// # Errors
    /// [`GreeksError::Input`] if the amount is negative or not finite.
    pub fn set_collateral(&mut self, asset: usize, amount: f64) -> Result<(), GreeksError> {
        non_negative("amount", amount)?;
        if amount == 0.0 {
            self.collateral.remove(&asset);
        } else {
            self.collateral.insert(asset, amount);
        }
        Ok(())
    }

    /// The underlyings the account is exposed to: those of its positions and of collateral
    /// assets linked to an underlying.
    ///
    /// # Errors
    /// [`GreeksError::UnknownInstrument`] or [`GreeksError::UnknownAsset`].
    pub fn underlyings(&self, market: &Market) -> Result<BTreeSet<u32>, GreeksError> {
        let mut underlyings = BTreeSet::new();
        for &instrument in self.positions.keys() {
            underlyings.insert(market.instrument(instrument)?.underlying());
        }
        for &asset in self.collateral.keys() {
            underlyings.extend(market.asset(asset)?.underlying);
        }
        Ok(underlyings)
    }

    /// Positions on `underlying`, with their instruments.
    pub(crate) fn positions_on<'a>(
        &'a self,
        market: &'a Market,
        underlying: u32,
    ) -> impl Iterator<Item = Result<(usize, &'a Instrument, Position), GreeksError>> + 'a {
        self.positions
            .iter()
            .filter_map(move |(&index, &position)| match market.instrument(index) {
                Ok(instrument) if instrument.underlying() == underlying => {
                    Some(Ok((index, instrument, position)))
                }
                Ok(_) => None,
                Err(error) => Some(Err(error)),
            })
    }
}

/// An account's aggregated sensitivities and P&L on one underlying.
///
/// Units: delta in units of the underlying, gamma per unit of underlying price squared (so
/// ½·gamma·ΔS² is in quote currency), vega per 1.00 of volatility, P&L and notional in quote
/// currency.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Exposure {
    /// Spot of the underlying the exposure was computed at.
    pub spot: f64,
    /// Σ quantity · delta over positions, plus the haircut-weighted units of collateral linked to
    /// the underlying: the first derivative of equity in the spot.
    pub delta: f64,
    /// Σ quantity · gamma: the second derivative of equity in the spot.
    pub gamma: f64,
    /// Σ quantity · vega.
    pub vega: f64,
    /// Σ quantity · (mark − entry price): the unrealised P&L.
    pub pnl: f64,
    /// Σ |quantity| · spot over linear positions and short options: the notional margined by
    /// the volatility-adjusted method (a long option's loss is capped by the premium already
    /// counted in equity).
    pub gross_notional: f64,
}

/// Result of the full revaluation of an account.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountValuation {
    /// Σ amount · price · (1 − haircut) over collateral assets.
    pub collateral_value: f64,
    /// Collateral value + Σ unrealised P&L.
    pub equity: f64,
    /// Exposure per underlying id.
    pub exposures: BTreeMap<u32, Exposure>,
}

/// Revalues every position of `account` at the market's current spots and volatilities.
///
/// # Errors
/// [`GreeksError::UnknownInstrument`], [`GreeksError::UnknownAsset`],
/// [`GreeksError::UnknownUnderlying`], or [`GreeksError::Instrument`] if a price overflows.
///
/// ```
/// use recal_greeks::*;
/// let mut market = Market::new();
/// market.set_underlying(1, Underlying { spot: 100.0, short_vol: 0.6, depth_per_percent: 1e6 })?;
/// let perp = market.add_instrument(Instrument::Linear { underlying: 1, kind: LinearKind::Perpetual })?;
/// let usdc = market.add_asset(CollateralAsset { price: 1.0, haircut: 0.0, underlying: None })?;
/// let mut account = Account::new();
/// account.set_collateral(usdc, 500.0)?;
/// account.set_position(perp, Position { quantity: 10.0, entry_price: 90.0 })?;
/// let valuation = value_account(&account, &market)?;
/// assert_eq!(valuation.equity, 600.0); // 500 + 10·(100 − 90)
/// assert_eq!(valuation.exposures[&1].delta, 10.0);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn value_account(account: &Account, market: &Market) -> Result<AccountValuation, GreeksError> {
    let collateral_value = collateral_value(&account.collateral, market)?;
    let mut exposures = BTreeMap::new();
    let mut equity = collateral_value;
    for underlying in account.underlyings(market)? {
        let spot = market.underlying(underlying)?.spot;
        let mut exposure = Exposure {
            spot,
            delta: collateral_delta(&account.collateral, market, underlying)?,
            ..Exposure::default()
        };
        for item in account.positions_on(market, underlying) {
            let (index, instrument, position) = item?;
            let greeks = instrument
                .unit_greeks(spot, 1.0)
                .map_err(|source| GreeksError::Instrument { index, source })?;
            let quantity = position.quantity;
            exposure.delta += quantity * greeks.delta;
            exposure.gamma += quantity * greeks.gamma;
            exposure.vega += quantity * greeks.vega;
            exposure.pnl += quantity * (greeks.price - position.entry_price);
            if is_margined(instrument, quantity) {
                exposure.gross_notional += quantity.abs() * spot;
            }
        }
        equity += exposure.pnl;
        exposures.insert(underlying, exposure);
    }
    Ok(AccountValuation {
        collateral_value,
        equity,
        exposures,
    })
}

/// Value and delta on `underlying` of the account's positions and linked collateral at spot
/// `spot`, with option volatilities scaled by `vol_scale`: (Σ quantity · mark + collateral delta
/// · spot, Σ quantity · delta + collateral delta). Only differences of the value matter
/// (scenario P&L), so entry prices are left out.
pub(crate) fn scenario_value(
    account: &Account,
    market: &Market,
    underlying: u32,
    spot: f64,
    vol_scale: f64,
) -> Result<(f64, f64), GreeksError> {
    let units = collateral_delta(&account.collateral, market, underlying)?;
    let (mut value, mut delta) = (units * spot, units);
    for item in account.positions_on(market, underlying) {
        let (index, instrument, position) = item?;
        let greeks = instrument
            .unit_greeks(spot, vol_scale)
            .map_err(|source| GreeksError::Instrument { index, source })?;
        value += position.quantity * greeks.price;
        delta += position.quantity * greeks.delta;
    }
    Ok((value, delta))
}

/// Σ |quantity| over linear positions and short options on `underlying`: the quantity behind
/// [`Exposure::gross_notional`].
pub(crate) fn gross_quantity(
    account: &Account,
    market: &Market,
    underlying: u32,
) -> Result<f64, GreeksError> {
    account
        .positions_on(market, underlying)
        .try_fold(0.0, |total, item| {
            let (_, instrument, position) = item?;
            Ok(if is_margined(instrument, position.quantity) {
                total + position.quantity.abs()
            } else {
                total
            })
        })
}

/// Whether a position counts towards the gross notional: linear positions and short options.
fn is_margined(instrument: &Instrument, quantity: f64) -> bool {
    matches!(instrument, Instrument::Linear { .. }) || quantity < 0.0
}
