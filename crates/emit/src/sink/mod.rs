//! Sinks: where signed proposals go once the emitter has produced them.
//!
//! A [`Sink`] takes each signed proposal with the event time of its emission. The ones here:
//!
//! - [`CallbackSink`]: calls a closure (in-process consumers, tests);
//! - [`ChannelSink`]: sends over a `std::sync::mpsc` channel to another thread;
//! - [`JournalSink`]: appends the [`record`](crate::record) layout to a `recal-journal`
//!   journal, timestamped with the event time, for replay and audit;
//! - [`NdjsonSink`]: one line of [typed-data JSON](crate::SignedTypedData) per proposal to any
//!   [`std::io::Write`] (stdout, a file);
//! - [`TcpSink`]: the same lines over TCP, reconnecting with a bounded [`Backoff`].
//!
//! Sinks are the stage's edge to the outside: the emitter itself stays pure logic, and the I/O
//! sinks are driven by whoever owns the emitter.

mod callback;
mod channel;
mod journal;
mod ndjson;
mod tcp;

use recal_types::Timestamp;

use crate::error::SinkError;
use crate::proposal::SignedProposal;

pub use callback::CallbackSink;
pub use channel::ChannelSink;
pub use journal::{JournalSink, RECORD_TYPE, SCHEMA_ID, SCHEMA_NAME, SCHEMA_VERSION, schema};
pub use ndjson::NdjsonSink;
pub use tcp::{Backoff, TcpSink};

/// Something that takes signed proposals with signature type `S`.
pub trait Sink<S> {
    /// Delivers `signed`, emitted at event time `at` (the time passed to
    /// [`Emitter::emit`](crate::Emitter::emit); sinks that timestamp records use it, the
    /// others ignore it).
    fn deliver(&mut self, signed: &SignedProposal<S>, at: Timestamp) -> Result<(), SinkError>;
}
