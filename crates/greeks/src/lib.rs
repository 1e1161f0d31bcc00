//! Stage 3 of recal, the pricing and risk math: Black-76 and generalised Black–Scholes–Merton
//! prices and Greeks (scalar and batch), an incrementally repriced book with protocol-wide net
//! exposures per underlying, Expected Shortfall (normal, Student-t, historical and
//! filtered-historical), the distributions they need, and Deribit's coin-settled conventions.
//!
//! Pure logic: no threads, no I/O, no allocation on the scalar path. Every entry point validates
//! its inputs and returns a [`GreeksError`] rather than a NaN or an infinity.
//!
//! Units are stated on every Greek (see [`Greeks`]): vega per 1.00 of volatility, theta per year
//! of calendar time, rho per 1.00 of rate, with helpers for per-vol-point, per-day and
//! per-percent figures.

mod batch;
mod black;
mod book;
mod error;
mod normal;
mod shortfall;
mod student_t;
mod venue;

pub use batch::{BatchGreeks, OptionBatch, black76_batch};
pub use black::{
    Black76Inputs, BsmInputs, DAYS_PER_YEAR, Greeks, OptionKind, black76_greeks, bsm_greeks,
};
pub use book::{NetExposure, PricedBook};
pub use error::{GreeksError, InputError};
pub use normal::{normal_cdf, normal_pdf, normal_quantile};
pub use shortfall::{
    DEFAULT_LEVEL, filtered_historical_expected_shortfall, historical_expected_shortfall,
    normal_expected_shortfall, student_t_expected_shortfall, student_t_scale_for_std_dev,
};
pub use student_t::{student_t_cdf, student_t_pdf, student_t_quantile};
pub use venue::{DeribitGreeks, act365_year_fraction, coin_price, deribit_greeks, inverse_delta};
