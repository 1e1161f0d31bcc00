//! Stage 3 of recal, the pricing and risk math: Black-76 and generalised Black–Scholes–Merton
//! prices and Greeks (scalar and batch), an incrementally repriced book with protocol-wide net
//! exposures per underlying, Expected Shortfall (normal, Student-t, historical and
//! filtered-historical), the distributions they need, and Deribit's coin-settled conventions.
//!
//! On top of the pricing, the account layer:
//! - [`Market`], [`Account`], [`value_account`]: positions in options and linear instruments
//!   (perpetuals, futures, spot), multi-asset collateral with haircuts, equity and per-underlying
//!   delta, gamma and vega;
//! - [`MarginParams`], [`underlying_margin`], [`dynamic_margin`]: volatility-adjusted and
//!   portfolio (scenario-grid) margin with OTM, concentration and liquidation-cost add-ons, and
//!   the dynamic delta margin ∂MM/∂S;
//! - [`AccountBook`], [`LiquidationIndex`]: incrementally maintained account risk and delta-gamma
//!   liquidation prices in ordered sets, so a spot tick finds the accounts whose liquidation
//!   price it crossed in O(log n + k) and revalues none; full revaluation is sliced across ticks
//!   ([`AccountBook::refresh`]);
//! - [`LiquidationMap`], [`run_cascade`], [`cascade_distance`]: liquidatable collateral by price
//!   level and the cascade it sets off against order-book depth, with its bad debt;
//! - [`solvency`], [`SolvencyModel`]: Student-t Expected Shortfall of the protocol's net book
//!   against the insurance fund, per tick once the model's table is built.
//!
//! Pure logic: no threads, no I/O, no allocation on the scalar path. The batch pricing path
//! ([`black76_batch`]) is vectorised (SSE2, or AVX2 or AVX-512F chosen at run time) and equals
//! the scalar path bit for bit. Every entry point validates its inputs and returns a
//! [`GreeksError`] rather than a NaN or an infinity (liquidation prices, which are ±∞ where no
//! price breaches, are the documented exception).
//!
//! Units are stated on every Greek (see [`Greeks`]): vega per 1.00 of volatility, theta per year
//! of calendar time, rho per 1.00 of rate, with helpers for per-vol-point, per-day and
//! per-percent figures. Prices, values, margins and notionals are in the quote currency;
//! quantities and deltas in units of the underlying; ratios, shocks and moves are fractions
//! (1.00 = 100 %).

mod account;
mod account_book;
mod batch;
mod black;
mod book;
mod cascade;
mod collateral;
mod elementary;
mod error;
mod liquidation_index;
mod liquidation_map;
mod margin;
mod market;
mod normal;
mod portfolio_margin;
mod shortfall;
mod solvency;
mod student_t;
mod venue;

pub use account::{Account, AccountValuation, Exposure, Position, value_account};
pub use account_book::{AccountBook, AccountRisk, assess_account};
pub use batch::{BatchGreeks, OptionBatch, black76_batch};
pub use black::{
    Black76Inputs, BsmInputs, DAYS_PER_YEAR, Greeks, OptionKind, black76_greeks, bsm_greeks,
};
pub use book::{NetExposure, PricedBook};
pub use cascade::{CascadeAccount, CascadeOutcome, Side, cascade_distance, run_cascade};
pub use collateral::{collateral_delta, collateral_value};
pub use error::{GreeksError, InputError};
pub use liquidation_index::{LiquidationIndex, LiquidationRange};
pub use liquidation_map::{DEFAULT_BUCKET_WIDTH, DEFAULT_SPAN, LiquidationMap, MapBucket};
pub use margin::{
    DynamicMargin, Margin, MarginModel, MarginParams, SPOT_STEP, dynamic_margin, underlying_margin,
};
pub use market::{CollateralAsset, Instrument, LinearKind, Market, OptionContract, Underlying};
pub use normal::{normal_cdf, normal_pdf, normal_quantile};
pub use portfolio_margin::{PortfolioMarginParams, scenario_loss};
pub use shortfall::{
    DEFAULT_LEVEL, filtered_historical_expected_shortfall, historical_expected_shortfall,
    normal_expected_shortfall, student_t_expected_shortfall, student_t_scale_for_std_dev,
};
pub use solvency::{BookExposure, Solvency, SolvencyModel, SolvencyParams, solvency};
pub use student_t::{student_t_cdf, student_t_pdf, student_t_quantile};
pub use venue::{DeribitGreeks, act365_year_fraction, coin_price, deribit_greeks, inverse_delta};
