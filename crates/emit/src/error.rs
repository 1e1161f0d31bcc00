//! Typed errors of the emit stage.

use std::path::PathBuf;

use alloy_primitives::{Address, B256};
use recal_types::{MarketId, Nonce, ParameterId, UnknownTriggerCause};

/// Why a secret key could not be loaded. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file does not exist.
    #[error("key file {path} does not exist")]
    Missing {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The key file exists but could not be read.
    #[error("key file {path} could not be read: {source}")]
    Unreadable {
        /// The path that was tried.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The key file is readable by its group or by others.
    #[error(
        "key file {path} has mode {mode:o}; it must not be group or world accessible (chmod 600)"
    )]
    Permissions {
        /// The offending file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The content is not 32 bytes of hex (optionally `0x`-prefixed, surrounding whitespace
    /// ignored).
    #[error("key file {path} does not hold 64 hex digits")]
    MalformedHex {
        /// The offending file.
        path: PathBuf,
    },
    /// The 32 bytes are not a valid secret scalar for the curve (zero or not below the order).
    #[error("secret key is not a valid scalar")]
    InvalidScalar,
}

/// A signature could not be produced.
#[derive(Debug, thiserror::Error)]
#[error("signing failed: {0}")]
pub struct SignError(#[from] pub k256::ecdsa::Error);

/// A proposal could not be emitted.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// The market's nonces are exhausted (the last usable one is `u64::MAX - 1`).
    #[error("nonces of market {0:?} are exhausted")]
    NonceExhausted(MarketId),
    /// `validAfter` or `expiry` would not fit in a `u64` of seconds.
    #[error("proposal times overflow")]
    TimeOverflow,
    /// The signer failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// A guardrail that cannot be enforced as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GuardrailConfigError {
    /// The minimum is above the maximum.
    #[error("guardrail minimum {min} is above its maximum {max}")]
    EmptyRange {
        /// Configured minimum.
        min: i128,
        /// Configured maximum.
        max: i128,
    },
    /// The maximum is `i128::MAX`, which would not bound a saturated open-interest cap.
    #[error("guardrail maximum must be below i128::MAX")]
    UnboundedMaximum,
}

/// Why the verifier refused a proposal or an action. Each cause is its own variant, mirroring the
/// custom errors a contract would revert with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The verifier is paused (circuit breaker tripped).
    #[error("verifier is paused")]
    Paused,
    /// The market was never registered with the verifier.
    #[error("unknown market {0:?}")]
    UnknownMarket(MarketId),
    /// `v` is neither 27 nor 28.
    #[error("signature v = {0} is not 27 or 28")]
    InvalidV(u8),
    /// `s` is in the upper half of the curve order (malleable signature).
    #[error("signature s is not in the lower half of the curve order")]
    HighS,
    /// No public key can be recovered from the signature.
    #[error("signature does not recover to a public key")]
    InvalidSignature,
    /// The signature recovers to an address outside the authorised signer set (wrong key,
    /// tampered proposal, or a proposal signed for another chain or contract).
    #[error("signer {0} is not authorised")]
    UnauthorisedSigner(Address),
    /// The nonce was already consumed for this market (another keeper's proposal won it).
    #[error("nonce {0:?} already used")]
    NonceReused(Nonce),
    /// The nonce is below the last one consumed for this market.
    #[error("nonce {nonce:?} is below the last used nonce {last:?}")]
    NonceNotIncreasing {
        /// The proposal's nonce.
        nonce: Nonce,
        /// The last nonce consumed.
        last: Nonce,
    },
    /// The proposal's expiry has passed.
    #[error("proposal expired at {expiry}, now {now}")]
    Expired {
        /// The proposal's expiry (Unix seconds).
        expiry: u64,
        /// The verifier's time (Unix seconds).
        now: u64,
    },
    /// The proposal expires no later than it becomes valid, so it could never be applied.
    #[error("proposal expiry {expiry} is not after validAfter {valid_after}")]
    ExpiresBeforeValid {
        /// The proposal's `validAfter` (Unix seconds).
        valid_after: u64,
        /// The proposal's expiry (Unix seconds).
        expiry: u64,
    },
    /// Less than the minimum interval has passed since the market's last update.
    #[error("too soon after the last update; next update allowed at {earliest}")]
    TooSoon {
        /// Earliest time an update may apply (Unix seconds).
        earliest: u64,
    },
    /// A loosening proposal's time-lock has not elapsed.
    #[error("time-locked until {until}")]
    TimeLocked {
        /// Time at which the proposal becomes executable (Unix seconds).
        until: u64,
    },
    /// A parameter is outside its immutable bounds.
    #[error("{parameter:?} = {value} outside [{min}, {max}]")]
    OutOfBounds {
        /// The parameter.
        parameter: ParameterId,
        /// The proposed value.
        value: i128,
        /// Guardrail minimum.
        min: i128,
        /// Guardrail maximum.
        max: i128,
    },
    /// A parameter moves by more than its maximum step.
    #[error("{parameter:?} moves from {from} to {to}, more than the allowed step {max_step}")]
    StepTooLarge {
        /// The parameter.
        parameter: ParameterId,
        /// Current value.
        from: i128,
        /// Proposed value.
        to: i128,
        /// Largest allowed absolute change from `from`.
        max_step: u128,
    },
    /// The maintenance margin exceeds the initial margin.
    #[error("maintenance margin {maintenance} exceeds initial margin {initial}")]
    MaintenanceAboveInitial {
        /// Proposed initial margin (ppm).
        initial: u32,
        /// Proposed maintenance margin (ppm).
        maintenance: u32,
    },
    /// The caller of a guardian action is not the guardian.
    #[error("{0} is not the guardian")]
    NotGuardian(Address),
    /// No pending proposal has this id (never queued, executed, vetoed or superseded).
    #[error("no pending proposal {0}")]
    UnknownProposal(B256),
}

/// Bytes that are not a signed proposal in the [`record`](crate::record) layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The record is not [`record::LEN`](crate::record::LEN) bytes long.
    #[error("a signed proposal record is 186 bytes, not {0}")]
    Length(usize),
    /// The trigger cause code is unknown.
    #[error(transparent)]
    TriggerCause(#[from] UnknownTriggerCause),
}

/// JSON that is not a signed proposal's [typed data](crate::SignedTypedData).
#[derive(Debug, thiserror::Error)]
pub enum TypedDataError {
    /// Not JSON, or not an object of the expected shape.
    #[error("malformed typed data: {0}")]
    Json(#[from] serde_json::Error),
    /// `primaryType` is not `RiskParameterProposal`.
    #[error("primary type {0:?} is not RiskParameterProposal")]
    PrimaryType(String),
    /// `types` does not describe the domain's fields and the proposal's type.
    #[error("types do not match the domain and RiskParameterProposal")]
    Types,
    /// A field's value does not parse (hex, address or decimal integer).
    #[error("field {0} does not parse")]
    Field(&'static str),
    /// The trigger cause code is unknown.
    #[error(transparent)]
    TriggerCause(#[from] UnknownTriggerCause),
}
