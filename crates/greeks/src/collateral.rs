//! Multi-asset collateral with haircuts: value = Σ amount · price · (1 − haircut).

use std::collections::BTreeMap;

use crate::error::GreeksError;
use crate::market::Market;

/// Haircut-weighted value of `amounts` (asset id → amount held) at current prices, in quote
/// currency: Σ amount · price · (1 − haircut).
///
/// # Errors
/// [`GreeksError::UnknownAsset`] for an asset the market does not list.
///
/// ```
/// use std::collections::BTreeMap;
/// use recal_greeks::{CollateralAsset, Market, Underlying, collateral_value};
/// let mut market = Market::new();
/// market.set_underlying(1, Underlying { spot: 100.0, short_vol: 0.5, depth_per_percent: 1e6 })?;
/// let usdc = market.add_asset(CollateralAsset { price: 1.0, haircut: 0.02, underlying: None })?;
/// let btc = market.add_asset(CollateralAsset { price: 0.0, haircut: 0.10, underlying: Some(1) })?;
/// let held = BTreeMap::from([(usdc, 1000.0), (btc, 2.0)]);
/// // 1000·1·0.98 + 2·100·0.90
/// assert!((collateral_value(&held, &market)? - 1160.0).abs() < 1e-9);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn collateral_value(
    amounts: &BTreeMap<usize, f64>,
    market: &Market,
) -> Result<f64, GreeksError> {
    amounts.iter().try_fold(0.0, |total, (&asset, &amount)| {
        let haircut = market.asset(asset)?.haircut;
        Ok(total + amount * market.asset_price(asset)? * (1.0 - haircut))
    })
}

/// Haircut-weighted units of collateral that move with `underlying`:
/// Σ over assets linked to it of amount · (1 − haircut). This is the collateral's delta.
///
/// # Errors
/// [`GreeksError::UnknownAsset`] for an asset the market does not list.
pub fn collateral_delta(
    amounts: &BTreeMap<usize, f64>,
    market: &Market,
    underlying: u32,
) -> Result<f64, GreeksError> {
    amounts.iter().try_fold(0.0, |total, (&asset, &amount)| {
        let state = market.asset(asset)?;
        Ok(if state.underlying == Some(underlying) {
            total + amount * (1.0 - state.haircut)
        } else {
            total
        })
    })
}
