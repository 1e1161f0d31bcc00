//! Shared vocabulary of recal: identifiers, event time, the integer risk-parameter set and the
//! causes that make the engine emit a proposal.
//!
//! This crate is pure data. Every value that reaches the wire or the guardrail path is an integer
//! with a documented unit, so that replays and signatures are bit-for-bit reproducible (see
//! `DESIGN.md`, "Determinism").

mod ids;
mod parameters;
mod time;
mod trigger;

pub use ids::{MarketId, Nonce};
pub use parameters::{
    MoneynessBucket, PPM_SCALE, ParameterId, ParameterSet, SafeDirection, ValueOutOfRange,
};
pub use time::Timestamp;
pub use trigger::{TriggerCause, UnknownTriggerCause};
