//! Typed errors of the trigger stage.

use recal_emit::Rejection;
use recal_types::ParameterId;

/// A [`TriggerConfig`](crate::TriggerConfig), guardrail set or starting point that the stage
/// cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A model constant is NaN or infinite.
    #[error("configuration value {name} is not finite")]
    NonFinite {
        /// Name of the constant.
        name: &'static str,
    },
    /// A model constant is outside its documented range.
    #[error("configuration value {name} is outside its allowed range")]
    OutOfRange {
        /// Name of the constant.
        name: &'static str,
    },
    /// A guardrail bound does not fit the parameter's integer type, or is wider than the
    /// damping state can hold (±2⁹³ units).
    #[error("guardrail of {parameter:?} does not fit the parameter or the damping state")]
    GuardrailRange {
        /// The parameter.
        parameter: ParameterId,
    },
    /// The starting parameters would not pass the verifier's own guardrail check from
    /// themselves (out of bounds, or maintenance above initial margin).
    #[error("starting parameters violate the guardrails: {0}")]
    StartOutsideGuardrails(Rejection),
    /// The emitter's validity is zero, so every proposal would expire before it is valid.
    #[error("emitter validity must be at least one second")]
    ZeroValidity,
}

/// A [`RiskInputs`](crate::RiskInputs) snapshot the stage refuses (its state is unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A field is NaN or infinite.
    #[error("input {field} is not finite")]
    NonFinite {
        /// Name of the field.
        field: &'static str,
    },
    /// A field that is a magnitude (volatility, notional, ratio) is negative.
    #[error("input {field} is negative")]
    Negative {
        /// Name of the field.
        field: &'static str,
    },
}
