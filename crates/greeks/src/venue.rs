//! Venue conventions: Deribit's coin-settled (inverse) BTC options.
//!
//! Deribit quotes a BTC option's price in BTC per 1 BTC of notional while the strike and the
//! underlying are in USD. Its published mark price is the Black-76 price in USD (r = 0, the
//! forward being the option's `underlying_price`: the expiry's future or synthetic forward)
//! divided by that forward. Its ticker Greeks are the plain Black-76 Greeks in USD terms, scaled
//! as listed on [`DeribitGreeks`]; we checked this against Deribit's own published tickers of
//! May 2020 (see the crate's `deribit_chains` test).
//!
//! For risk, the coin holder's delta differs from the USD delta: an option worth V_c = V/F coins
//! changes in coin value by ∂V_c/∂F = (Δ − V_c)/F per dollar of F, so its exposure expressed in
//! coins of the underlying is Δ − V_c, the *inverse* (premium-adjusted) delta. To our
//! understanding of Deribit's documentation, the position and portfolio deltas it shows for
//! options are computed this way ("BS delta minus the mark price in BTC"); we have not been able
//! to re-check that page here, so [`inverse_delta`] rests on the derivation above, not on the
//! venue's word.

use crate::black::{Black76Inputs, DAYS_PER_YEAR, black76_greeks};
use crate::error::{GreeksError, finite, positive};

/// Milliseconds in a 365-day year.
const MS_PER_YEAR: f64 = DAYS_PER_YEAR * 86_400_000.0;

/// An option's price and Greeks in the units of Deribit's `public/ticker`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeribitGreeks {
    /// Mark price in coin (BTC) per 1 coin of notional: the USD price divided by the forward.
    pub mark_price_coin: f64,
    /// Black-76 delta with respect to the forward (dimensionless, not premium-adjusted).
    pub delta: f64,
    /// Black-76 gamma per 1 USD of the forward.
    pub gamma: f64,
    /// Vega in USD per volatility point.
    pub vega: f64,
    /// Theta in USD per calendar day.
    pub theta: f64,
    /// Rho in USD per percentage point, in Deribit's convention: the Black–Scholes rho of an
    /// option on an asset whose carry moves with the rate (ω·T·X·e^{−rT}·N(ωd₂)/100), not the
    /// Black-76 −T·V/100.
    pub rho: f64,
    /// Premium-adjusted delta in coin: `delta − mark_price_coin` (see [`inverse_delta`]).
    pub inverse_delta: f64,
}

/// Price and Greeks of a Deribit BTC option in the venue's units, from Black-76 inputs in USD
/// (the forward is the ticker's `underlying_price`, vol is `mark_iv / 100`, rate is the ticker's
/// `interest_rate`, time from [`act365_year_fraction`]).
///
/// # Errors
/// As [`black76_greeks`].
///
/// ```
/// use recal_greeks::{deribit_greeks, Black76Inputs, OptionKind};
/// let greeks = deribit_greeks(&Black76Inputs {
///     kind: OptionKind::Call, forward: 9_000.0, strike: 9_000.0, time: 0.1, rate: 0.0, vol: 0.8,
/// })?;
/// // An at-the-money call: coin price ≈ 0.4·σ√T, inverse delta ≈ 0.5 minus that.
/// assert!((greeks.mark_price_coin - 0.4 * 0.8 * 0.1_f64.sqrt()).abs() < 2e-3);
/// assert!((greeks.inverse_delta - (greeks.delta - greeks.mark_price_coin)).abs() < 1e-15);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn deribit_greeks(inputs: &Black76Inputs) -> Result<DeribitGreeks, GreeksError> {
    let greeks = black76_greeks(inputs)?;
    let mark_price_coin = coin_price(greeks.price, inputs.forward)?;
    Ok(DeribitGreeks {
        mark_price_coin,
        delta: greeks.delta,
        gamma: greeks.gamma,
        vega: greeks.vega_per_vol_point(),
        theta: greeks.theta_per_day(),
        rho: (greeks.rho + greeks.carry_rho) / 100.0,
        inverse_delta: inverse_delta(greeks.delta, mark_price_coin),
    })
}

/// A USD option price expressed in coin of the underlying: `usd_price / underlying_price`.
///
/// # Errors
/// [`GreeksError::Input`] unless `usd_price` is finite and `underlying_price` finite and > 0.
pub fn coin_price(usd_price: f64, underlying_price: f64) -> Result<f64, GreeksError> {
    finite("usd_price", usd_price)?;
    positive("underlying_price", underlying_price)?;
    Ok(usd_price / underlying_price)
}

/// Premium-adjusted delta of a coin-settled option, in coin per coin of notional:
/// the Black-76 delta minus the option's price in coin.
#[must_use]
pub fn inverse_delta(delta: f64, price_coin: f64) -> f64 {
    delta - price_coin
}

/// Year fraction ACT/365 between two millisecond timestamps, as Deribit counts time to expiry.
/// Negative when `to_ms` is before `from_ms` (pricing then rejects it).
#[must_use]
pub fn act365_year_fraction(from_ms: i64, to_ms: i64) -> f64 {
    // The difference of two i64 fits in i128; as f64 it is exact below 2^53 ms (285,000 years).
    (i128::from(to_ms) - i128::from(from_ms)) as f64 / MS_PER_YEAR
}
