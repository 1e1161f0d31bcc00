//! The market an account book is valued against: underlyings (spot, short-term volatility,
//! order-book depth), the instruments positions refer to, and the collateral assets.
//!
//! Instruments are priced from the spot of their underlying:
//! - options with Black-76, the underlying's spot standing for the forward (a perpetual-style
//!   underlying; a dated basis belongs in the forward passed by stage 2 and is out of scope here),
//!   at the option's own implied volatility (a point of the stage 2 surface);
//! - linear instruments (perpetuals, futures, spot) at the spot, delta 1 per unit.

use std::collections::BTreeMap;

use crate::black::{BsmInputs, Greeks, OptionKind, price_valid, validate};
use crate::error::{GreeksError, InputError, fraction, non_negative, positive};

/// Market state of one underlying.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Underlying {
    /// Spot (index) price, > 0, in the quote currency.
    pub spot: f64,
    /// Short-term realised volatility σ_short per √year (1.00 = 100 %), > 0, from stage 2; it
    /// scales the volatility-adjusted margin.
    pub short_vol: f64,
    /// Order-book depth: quote notional available within 1 % of mid on each side, > 0. The depth
    /// curve is taken as linear: trading a notional N moves the price by N / `depth_per_percent`
    /// percent.
    pub depth_per_percent: f64,
}

impl Underlying {
    /// Fractional price impact of trading `notional` (quote currency) against the linear depth
    /// curve: N / (100 · depth per percent).
    #[must_use]
    pub fn impact(&self, notional: f64) -> f64 {
        notional / (100.0 * self.depth_per_percent)
    }

    fn validate(&self) -> Result<(), InputError> {
        positive("spot", self.spot)?;
        positive("short_vol", self.short_vol)?;
        positive("depth_per_percent", self.depth_per_percent)?;
        Ok(())
    }
}

/// A European option on an underlying, priced with Black-76 at the underlying's spot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionContract {
    /// Id of the underlying.
    pub underlying: u32,
    /// Call or put.
    pub kind: OptionKind,
    /// Strike, > 0, in quote currency.
    pub strike: f64,
    /// Time to expiry in years, ≥ 0.
    pub time: f64,
    /// Discount rate per year (1.00 = 100 %).
    pub rate: f64,
    /// Implied volatility per √year, ≥ 0.
    pub vol: f64,
}

/// What kind of linear (delta-one) instrument a position is in. They are valued alike (at the
/// spot, delta 1 per unit, P&L = quantity × (spot − entry)); the kind is kept for reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinearKind {
    /// Perpetual swap.
    Perpetual,
    /// Dated future (its basis to spot is ignored).
    Future,
    /// Spot holding bought on margin.
    Spot,
}

/// An instrument positions can be held in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Instrument {
    /// A European option.
    Option(OptionContract),
    /// A delta-one instrument on an underlying.
    Linear {
        /// Id of the underlying.
        underlying: u32,
        /// Perpetual, future or spot.
        kind: LinearKind,
    },
}

impl Instrument {
    /// Id of the underlying the instrument is written on.
    #[must_use]
    pub fn underlying(&self) -> u32 {
        match self {
            Instrument::Option(option) => option.underlying,
            Instrument::Linear { underlying, .. } => *underlying,
        }
    }

    /// Price and Greeks of one unit at spot `spot`, with the option's implied volatility
    /// multiplied by `vol_scale` (1 = unchanged). A linear unit is worth the spot, delta 1.
    ///
    /// # Errors
    /// [`InputError`] if the inputs are invalid or the result overflows.
    pub fn unit_greeks(&self, spot: f64, vol_scale: f64) -> Result<Greeks, InputError> {
        match self {
            Instrument::Option(option) => price_valid(&BsmInputs {
                kind: option.kind,
                spot,
                strike: option.strike,
                time: option.time,
                rate: option.rate,
                carry: 0.0,
                vol: option.vol * vol_scale,
            }),
            Instrument::Linear { .. } => Ok(Greeks {
                price: spot,
                delta: 1.0,
                ..Greeks::default()
            }),
        }
    }

    fn validate(&self) -> Result<(), InputError> {
        if let Instrument::Option(option) = self {
            validate(&BsmInputs {
                kind: option.kind,
                spot: option.strike,
                strike: option.strike,
                time: option.time,
                rate: option.rate,
                carry: 0.0,
                vol: option.vol,
            })?;
        }
        Ok(())
    }
}

/// A collateral asset: its value counts as Σ amount · price · (1 − haircut).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CollateralAsset {
    /// Price in quote currency, ≥ 0. Ignored when `underlying` is set.
    pub price: f64,
    /// Haircut in [0, 1]: the fraction of the market value that does not count as collateral.
    pub haircut: f64,
    /// If the asset is itself an underlying (e.g. BTC posted as collateral), its id: the asset is
    /// then priced at that underlying's spot and moves with it in every scenario.
    pub underlying: Option<u32>,
}

/// Underlyings, instruments and collateral assets, all validated on entry.
///
/// ```
/// use recal_greeks::{CollateralAsset, Instrument, LinearKind, Market, Underlying};
/// let mut market = Market::new();
/// market.set_underlying(1, Underlying { spot: 100.0, short_vol: 0.6, depth_per_percent: 1e6 })?;
/// let perp = market.add_instrument(Instrument::Linear { underlying: 1, kind: LinearKind::Perpetual })?;
/// let usdc = market.add_asset(CollateralAsset { price: 1.0, haircut: 0.0, underlying: None })?;
/// let btc = market.add_asset(CollateralAsset { price: 0.0, haircut: 0.1, underlying: Some(1) })?;
/// assert_eq!((perp, usdc, btc), (0, 0, 1));
/// assert_eq!(market.asset_price(btc)?, 100.0);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Market {
    underlyings: BTreeMap<u32, Underlying>,
    instruments: Vec<Instrument>,
    assets: Vec<CollateralAsset>,
}

impl Market {
    /// An empty market.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the state of underlying `id`.
    ///
    /// # Errors
    /// [`GreeksError::Input`] if a field is not finite and > 0 (the market is then unchanged).
    pub fn set_underlying(&mut self, id: u32, state: Underlying) -> Result<(), GreeksError> {
        state.validate()?;
        self.underlyings.insert(id, state);
        Ok(())
    }

    /// The state of underlying `id`.
    ///
    /// # Errors
    /// [`GreeksError::UnknownUnderlying`].
    pub fn underlying(&self, id: u32) -> Result<&Underlying, GreeksError> {
        self.underlyings
            .get(&id)
            .ok_or(GreeksError::UnknownUnderlying { underlying: id })
    }

    /// Adds an instrument and returns its index.
    ///
    /// # Errors
    /// [`GreeksError::UnknownUnderlying`] or [`GreeksError::Instrument`] for invalid option terms.
    pub fn add_instrument(&mut self, instrument: Instrument) -> Result<usize, GreeksError> {
        let index = self.instruments.len();
        self.underlying(instrument.underlying())?;
        instrument
            .validate()
            .map_err(|source| GreeksError::Instrument { index, source })?;
        self.instruments.push(instrument);
        Ok(index)
    }

    /// Instrument `index`.
    ///
    /// # Errors
    /// [`GreeksError::UnknownInstrument`].
    pub fn instrument(&self, index: usize) -> Result<&Instrument, GreeksError> {
        self.instruments
            .get(index)
            .ok_or(GreeksError::UnknownInstrument { index })
    }

    /// Every instrument, by index.
    #[must_use]
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// Sets the implied volatility of option `index` (linear instruments have none).
    ///
    /// # Errors
    /// [`GreeksError::UnknownInstrument`], or [`GreeksError::Instrument`] if `vol` is negative or
    /// not finite or the instrument is not an option.
    pub fn set_option_vol(&mut self, index: usize, vol: f64) -> Result<(), GreeksError> {
        let instrument = self
            .instruments
            .get_mut(index)
            .ok_or(GreeksError::UnknownInstrument { index })?;
        non_negative("vol", vol).map_err(|source| GreeksError::Instrument { index, source })?;
        match instrument {
            Instrument::Option(option) => {
                option.vol = vol;
                Ok(())
            }
            Instrument::Linear { .. } => Err(GreeksError::NotAnOption { index }),
        }
    }

    /// Adds a collateral asset and returns its id.
    ///
    /// # Errors
    /// [`GreeksError::Input`] if the price is negative or not finite or the haircut lies outside
    /// [0, 1]; [`GreeksError::UnknownUnderlying`] for a link to an unknown underlying.
    pub fn add_asset(&mut self, asset: CollateralAsset) -> Result<usize, GreeksError> {
        check_asset(&asset)?;
        if let Some(underlying) = asset.underlying {
            self.underlying(underlying)?;
        }
        self.assets.push(asset);
        Ok(self.assets.len() - 1)
    }

    /// Sets the price of an asset that is not linked to an underlying.
    ///
    /// # Errors
    /// [`GreeksError::UnknownAsset`]; [`GreeksError::Input`] if the price is negative or not
    /// finite.
    pub fn set_asset_price(&mut self, asset: usize, price: f64) -> Result<(), GreeksError> {
        non_negative("price", price)?;
        self.assets
            .get_mut(asset)
            .ok_or(GreeksError::UnknownAsset { asset })?
            .price = price;
        Ok(())
    }

    /// Collateral asset `asset`.
    ///
    /// # Errors
    /// [`GreeksError::UnknownAsset`].
    pub fn asset(&self, asset: usize) -> Result<&CollateralAsset, GreeksError> {
        self.assets
            .get(asset)
            .ok_or(GreeksError::UnknownAsset { asset })
    }

    /// Current price of `asset`: its underlying's spot if linked, else its own price.
    ///
    /// # Errors
    /// [`GreeksError::UnknownAsset`].
    pub fn asset_price(&self, asset: usize) -> Result<f64, GreeksError> {
        let state = self.asset(asset)?;
        match state.underlying {
            Some(underlying) => Ok(self.underlying(underlying)?.spot),
            None => Ok(state.price),
        }
    }

    /// Sets the spot of `underlying`.
    pub(crate) fn set_spot(&mut self, underlying: u32, spot: f64) -> Result<(), GreeksError> {
        positive("spot", spot)?;
        self.underlyings
            .get_mut(&underlying)
            .ok_or(GreeksError::UnknownUnderlying { underlying })?
            .spot = spot;
        Ok(())
    }
}

fn check_asset(asset: &CollateralAsset) -> Result<(), InputError> {
    non_negative("price", asset.price)?;
    fraction("haircut", asset.haircut)?;
    Ok(())
}
