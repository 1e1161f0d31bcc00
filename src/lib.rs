//! recal: real-time recalibration of derivatives risk parameters.
//!
//! This crate is the embedding API. The pipeline's building blocks are re-exported here as
//! they land; today that is the SPSC ring that joins the stages ([`ring`]).

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub use recal_ring as ring;
