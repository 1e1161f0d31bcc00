//! Stage 4 of recal: trigger evaluation.
//!
//! For each market, [`TriggerStage::update`] takes a [`RiskInputs`] snapshot and returns a
//! [`Decision`]:
//!
//! 1. **Targets** ([`targets`]): the parameter set the model wants for these inputs.
//! 2. **Triggers** ([`Thresholds`]): price deviation, low insurance fund, open-interest skew,
//!    vol-of-vol acceleration and a stale or gapped feed; each firing is a [`TriggerEvent`]
//!    carrying the input values that caused it.
//! 3. **Continuous damping** ([`Sensitivity`]): a rate-limited first-order filter toward the
//!    targets in fixed point, time-consistent in event time; some triggers let a tightening
//!    skip it, a stale feed forbids loosening (conservative mode).
//! 4. **Guardrails**: the same bounds, maximum step and margin ordering that
//!    [`recal_emit::Verifier`] enforces, with the clamping counted.
//! 5. **Emission policy**: immediate on a trigger, dead band per parameter, heartbeat;
//!    tightening applies at once, loosening goes out as one proposal that the verifier
//!    time-locks, and the next one waits until it has executed.
//!
//! Pure logic: no threads, no I/O, no wall clock, no allocation per update.

pub mod targets;

mod clamp;
mod config;
mod damping;
mod error;
mod inputs;
mod policy;
mod stage;
mod triggers;

pub use config::{
    DampingConfig, DeadBand, EmissionConfig, Sensitivity, TargetModel, Thresholds, TriggerConfig,
};
pub use error::{ConfigError, InputError};
pub use inputs::{FeedStatus, RiskInputs};
pub use stage::{Decision, TriggerStage};
pub use triggers::{ActiveTriggers, Evidence, Fired, TriggerEvent};
