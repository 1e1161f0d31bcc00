//! Sinks: where signed proposals go once the emitter has produced them.
//!
//! A [`Sink`] takes each signed proposal with the event time of its emission. The ones here:
//!
//! - [`CallbackSink`]: calls a closure (in-process consumers, tests);
//! - [`ChannelSink`]: sends over a `std::sync::mpsc` channel to another thread;
//! - [`JournalSink`]: appends the [`record`](recal_emit::record) layout to a `recal-journal`
//!   journal, timestamped with the event time, for replay and audit;
//! - [`NdjsonSink`]: one line of [typed-data JSON](recal_emit::SignedTypedData) per proposal to any
//!   [`std::io::Write`] (stdout, a file);
//! - [`TcpSink`]: the same lines over TCP, reconnecting with a bounded [`Backoff`].
//!
//! Sinks are stage 5's edge to the outside. They live here, not in `recal-emit`, because stage
//! crates do no I/O (DESIGN.md): the emitter stays pure logic and the pipeline, which owns it,
//! drives the sinks.

mod callback;
mod channel;
mod journal;
mod ndjson;
mod tcp;

use recal_types::Timestamp;

use recal_emit::SignedProposal;

pub use callback::CallbackSink;
pub use channel::ChannelSink;
pub use journal::{JournalSink, RECORD_TYPE, SCHEMA_ID, SCHEMA_NAME, SCHEMA_VERSION, schema};
pub use ndjson::NdjsonSink;
pub use tcp::{Backoff, TcpSink};

/// Something that takes signed proposals with signature type `S`.
pub trait Sink<S> {
    /// Delivers `signed`, emitted at event time `at` (the time passed to
    /// [`Emitter::emit`](recal_emit::Emitter::emit); sinks that timestamp records use it, the
    /// others ignore it).
    fn deliver(&mut self, signed: &SignedProposal<S>, at: Timestamp) -> Result<(), SinkError>;
}

/// A sink could not deliver a signed proposal.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The receiving end of a channel sink is gone.
    #[error("the channel's receiver is gone")]
    Disconnected,
    /// The journal could not be opened, is of another schema, or refused the record.
    #[error("journal: {0}")]
    Journal(#[from] recal_journal::JournalError),
    /// Writing an NDJSON line failed.
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
    /// The TCP peer stayed unreachable through every reconnection attempt.
    #[error("{address} unreachable after {attempts} attempts: {last}")]
    Unreachable {
        /// The peer.
        address: std::net::SocketAddr,
        /// Connection attempts made for this proposal.
        attempts: u32,
        /// The last attempt's error.
        last: std::io::Error,
    },
}
