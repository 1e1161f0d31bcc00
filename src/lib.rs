//! recal: real-time recalibration of derivatives risk parameters.
//!
//! This crate is the embedding API: an [`Engine`] built from a [`Config`] takes raw feed bytes
//! or typed events and returns signed parameter proposals, with latency [`Metrics`]. The
//! building blocks are re-exported: the stage wiring ([`pipeline`], with its generated
//! [`pipeline::demo`] market), the SPSC ring that will join stages on separate threads
//! ([`ring`]) and the memory-mapped journals that record them ([`journal`]).

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod config;
mod engine;

pub use config::{Config, Placement};
pub use engine::Engine;
pub use recal_journal as journal;
pub use recal_pipeline as pipeline;
pub use recal_pipeline::{Emitted, Metrics};
pub use recal_ring as ring;
pub use recal_types as types;
