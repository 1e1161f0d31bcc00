//! The one error type of the crate.

use thiserror::Error;

/// Why an input was refused. Every estimator leaves its state unchanged when it returns one.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum EstimateError {
    /// A price or level that is NaN, infinite, zero or negative.
    #[error("invalid price {0}: must be finite and > 0")]
    InvalidPrice(f64),
    /// A value that must be finite (a volatility, a parameter) was NaN or infinite, or out of
    /// its documented domain.
    #[error("invalid value for {name}: {value}")]
    InvalidValue {
        /// Which argument.
        name: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A timestamp not strictly after the previous one of the same stream.
    #[error("timestamp {got_ns} ns is not after the previous one {last_ns} ns")]
    NonIncreasingTime {
        /// The previous accepted timestamp.
        last_ns: u64,
        /// The refused timestamp.
        got_ns: u64,
    },
    /// A configuration value out of its domain (zero window, lambda outside (0, 1), ...).
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// An option price below its no-arbitrage lower bound (the discounted intrinsic value).
    #[error("price {price} is below the no-arbitrage lower bound {bound}")]
    PriceBelowIntrinsic {
        /// The price given.
        price: f64,
        /// The lower bound.
        bound: f64,
    },
    /// An option price at or above its no-arbitrage upper bound (discounted forward for a call,
    /// discounted strike for a put).
    #[error("price {price} is at or above the no-arbitrage upper bound {bound}")]
    PriceAboveMaximum {
        /// The price given.
        price: f64,
        /// The upper bound.
        bound: f64,
    },
    /// Too few points to calibrate (SABR needs at least three strikes).
    #[error("need at least {needed} points, got {got}")]
    TooFewPoints {
        /// Minimum count.
        needed: usize,
        /// Count given.
        got: usize,
    },
}
