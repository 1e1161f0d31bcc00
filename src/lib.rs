//! recal: real-time recalibration of derivatives risk parameters.
//!
//! This crate is the embedding API: an [`Engine`] built from a [`Config`] takes raw feed bytes
//! or typed events and returns signed parameter proposals, with latency [`Metrics`]. The
//! building blocks are re-exported: the stage wiring ([`pipeline`], with its generated
//! [`pipeline::demo`] market), the SPSC ring that joins stages on separate threads
//! ([`ring`]) and the memory-mapped journals that record them ([`journal`]).
//!
//! A [`Config`] is read from TOML ([`Config::load`]; [`Config::default_toml`] prints every key
//! with its meaning, unit and default). An engine can publish a live metrics snapshot that
//! another process reads ([`stats`], `recal stats`).

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod config;
mod engine;
pub mod stats;

pub use config::{Config, ConfigError, ConfigWarning};
pub use engine::{Engine, EngineError, available_cores};
pub use recal_journal as journal;
pub use recal_pipeline as pipeline;
pub use recal_pipeline::{Backpressure, Emitted, Finished, Metrics, Placement, RingOptions};
pub use recal_ring as ring;
pub use recal_types as types;
pub use stats::StatsOptions;
