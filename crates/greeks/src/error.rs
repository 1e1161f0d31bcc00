//! The one error type of this crate.

use thiserror::Error;

/// Why a pricing or risk computation refused its inputs.
///
/// Every public function validates its inputs and returns one of these instead of producing a
/// NaN or an infinity, so nothing non-finite ever leaves this crate.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum GreeksError {
    /// A single input was invalid, or valid inputs overflowed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A probability or confidence level was outside its open interval.
    #[error("{name} must lie strictly between {low} and {high}, got {value}")]
    OutOfRange {
        /// Name of the offending input.
        name: &'static str,
        /// The value received.
        value: f64,
        /// Exclusive lower bound.
        low: f64,
        /// Exclusive upper bound.
        high: f64,
    },
    /// A sample-based estimate was asked of an empty sample.
    #[error("the sample is empty")]
    EmptySample,
    /// Two slices that must have one entry per instrument or sample differ in length.
    #[error("length mismatch: {name} has {found} entries, expected {expected}")]
    LengthMismatch {
        /// Name of the offending slice.
        name: &'static str,
        /// Its length.
        found: usize,
        /// The length it should have.
        expected: usize,
    },
    /// An instrument of a batch or book had invalid inputs; `source` says what was wrong.
    #[error("instrument {index}: {source}")]
    Instrument {
        /// Position of the instrument in the batch or book.
        index: usize,
        /// What was wrong with it.
        source: InputError,
    },
    /// A sample of a P&L or volatility series was invalid; `source` says what was wrong.
    #[error("sample {index}: {source}")]
    Sample {
        /// Position of the sample in its slice.
        index: usize,
        /// What was wrong with it.
        source: InputError,
    },
    /// An instrument index does not exist in the book.
    #[error("no instrument at index {index}")]
    UnknownInstrument {
        /// The index asked for.
        index: usize,
    },
    /// An underlying id is not known to the market.
    #[error("no underlying with id {underlying}")]
    UnknownUnderlying {
        /// The id asked for.
        underlying: u32,
    },
    /// A collateral asset id is not known to the market.
    #[error("no collateral asset with id {asset}")]
    UnknownAsset {
        /// The id asked for.
        asset: usize,
    },
    /// A volatility was set on an instrument that is not an option.
    #[error("instrument {index} is not an option")]
    NotAnOption {
        /// The instrument's index.
        index: usize,
    },
    /// An account id does not exist.
    #[error("no account with id {account}")]
    UnknownAccount {
        /// The id asked for.
        account: usize,
    },
}

/// What was wrong with one input value (or with the result it produced).
///
/// Kept apart from [`GreeksError`] so that [`GreeksError::Instrument`] can name the instrument
/// without nesting the whole error type.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum InputError {
    /// An input was NaN or infinite.
    #[error("{name} must be finite, got {value}")]
    NonFinite {
        /// Name of the offending input.
        name: &'static str,
        /// The value received.
        value: f64,
    },
    /// An input that must be strictly positive was not.
    #[error("{name} must be > 0, got {value}")]
    NotPositive {
        /// Name of the offending input.
        name: &'static str,
        /// The value received.
        value: f64,
    },
    /// An input that must be non-negative was negative.
    #[error("{name} must be >= 0, got {value}")]
    Negative {
        /// Name of the offending input.
        name: &'static str,
        /// The value received.
        value: f64,
    },
    /// An input that must lie in [0, 1] did not.
    #[error("{name} must lie in [0, 1], got {value}")]
    NotAFraction {
        /// Name of the offending input.
        name: &'static str,
        /// The value received.
        value: f64,
    },
    /// The inputs were valid but a result overflowed.
    #[error("result overflowed for these inputs")]
    Overflow,
}

/// Checks that `value` is finite.
pub(crate) fn finite(name: &'static str, value: f64) -> Result<f64, InputError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(InputError::NonFinite { name, value })
    }
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64, InputError> {
    finite(name, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(InputError::NotPositive { name, value })
    }
}

/// Checks that `value` is finite and not negative.
pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<f64, InputError> {
    finite(name, value)?;
    if value >= 0.0 {
        Ok(value)
    } else {
        Err(InputError::Negative { name, value })
    }
}

/// Checks that `value` lies strictly between `low` and `high`.
pub(crate) fn open_interval(
    name: &'static str,
    value: f64,
    low: f64,
    high: f64,
) -> Result<f64, GreeksError> {
    if value > low && value < high {
        Ok(value)
    } else {
        Err(GreeksError::OutOfRange {
            name,
            value,
            low,
            high,
        })
    }
}

/// Checks that `value` lies in [0, 1].
pub(crate) fn fraction(name: &'static str, value: f64) -> Result<f64, InputError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(InputError::NotAFraction { name, value })
    }
}
