//! recal: real-time recalibration of derivatives risk parameters.
//!
//! This crate is the embedding API. The pipeline's building blocks are re-exported here as
//! they land; today those are the SPSC ring that joins the stages ([`ring`]) and the
//! memory-mapped journals that record them ([`journal`]).

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub use recal_journal as journal;
pub use recal_ring as ring;
