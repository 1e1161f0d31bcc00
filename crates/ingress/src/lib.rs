//! Network and file ingress for recal's feed stage: the only place where feed bytes touch
//! sockets and files (stage crates stay pure).
//!
//! An [`Ingress`] polls, on the caller's thread and without blocking beyond the timeout it is
//! given, any mix of:
//! - TCP clients of a feed, newline-delimited, reconnecting with bounded exponential
//!   [`Backoff`] (deterministic jitter);
//! - TCP servers accepting one or more feed connections;
//! - UDP sockets, one message per datagram;
//! - NDJSON tapes, optionally gzip-compressed;
//! - in-process [`PushHandle`]s for embedders (SPSC recal rings, no locks).
//!
//! Each frame says which [`Source`](recal_types::Source) it came from either through the
//! endpoint's configured [`Framing::Raw`] source, or through a tape [`Envelope`]
//! (`{"source":"deribit","recv_ns":…,"msg":{…}}`, [`Framing::Envelope`]). Frames reach the
//! caller's [`Sink`] (any `FnMut(Source, &[u8], Timestamp)`) as borrowed slices of reused
//! buffers; receive times come from a replaceable [`Clock`]. Oversized frames and lines left
//! unfinished at the end of a stream are refused with a [`FrameError`], counted
//! ([`EndpointStats`]) and kept ([`RejectLog`]).
//!
//! ```no_run
//! use std::time::Duration;
//! use recal_ingress::{Backoff, Framing, Ingress, IngressConfig};
//! use recal_types::Source;
//!
//! let mut ingress = Ingress::new(IngressConfig::default())?;
//! ingress.add_tape("crash.ndjson.gz", Framing::Envelope)?;
//! ingress.add_tcp_client("127.0.0.1:9000".parse()?, Framing::Raw(Source::BinanceUsdmFutures), Backoff::default())?;
//! loop {
//!     ingress.poll_fn(Some(Duration::from_millis(100)), |source, bytes, received| {
//!         // engine.push_bytes(source, bytes, received.as_nanos())
//!     })?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backoff;
mod clock;
mod envelope;
mod error;
mod framing;
mod ingress;
mod lines;
mod push;
mod rejects;
mod sink;
mod stream;
mod tape;
mod tcp_client;
mod tcp_server;
mod udp;

pub use backoff::Backoff;
pub use clock::{Clock, WallClock};
pub use envelope::Envelope;
pub use error::{EnvelopeError, FrameError, IngressError, PushError};
pub use framing::Framing;
pub use ingress::{Ingress, IngressConfig};
pub use push::PushHandle;
pub use rejects::{Refused, RejectLog};
pub use sink::{ConnectionEvent, EndpointId, EndpointStats, Sink};
