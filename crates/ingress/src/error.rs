//! Typed errors: why a frame was refused, why an endpoint could not be set up, why a push
//! was refused.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Why one frame (a line or a datagram) was not delivered. The ingress counts every one,
/// hands it to [`Sink::rejected`](crate::Sink::rejected) with its bytes and keeps the most
/// recent ones ([`Ingress::rejects`](crate::Ingress::rejects)); the stream goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The frame is longer than the configured maximum. For a line, the stream resynchronises
    /// at the next newline; only the first bytes of the line are kept.
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    Oversized {
        /// Length of the whole frame (line without its newline, or datagram).
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// Bytes after the last newline when the stream ended (end of file, disconnect): a line
    /// that was never finished. Reported, never merged with later data.
    #[error("stream ended inside a line of {len} bytes")]
    PartialLine {
        /// Length of the unfinished line.
        len: usize,
    },
    /// A line that should be a tape envelope is not one.
    #[error("bad envelope: {0}")]
    BadEnvelope(#[from] EnvelopeError),
}

/// Why a line is not a valid tape envelope (see the crate's README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not a JSON object with the envelope's fields (`source`, `msg`, optional `recv_ns`).
    #[error("not a JSON object with `source`, `msg` and an optional integer `recv_ns`")]
    Malformed,
    /// The `source` names no known source.
    #[error("unknown source name")]
    UnknownSource,
}

/// Why an endpoint could not be added or the ingress could not poll.
#[derive(Debug, thiserror::Error)]
pub enum IngressError {
    /// Binding a listening TCP socket or a UDP socket failed.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Opening a tape file failed.
    #[error("cannot open tape {path}: {source}")]
    OpenTape {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Reading a tape failed (including a corrupt gzip stream).
    #[error("cannot read tape: {0}")]
    ReadTape(io::Error),
    /// A call on the poller (create, register, poll, wake) failed.
    #[error("poller: {0}")]
    Poll(io::Error),
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    /// More endpoints or connections than tokens can name.
    #[error("too many endpoints or connections")]
    TooMany,
}

/// Why [`PushHandle::try_push`](crate::PushHandle::try_push) refused a message; the message
/// was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// Every slot holds a message the ingress has not delivered yet.
    #[error("push ring full")]
    Full,
    /// The message is longer than the handle's maximum.
    #[error("message of {len} bytes exceeds the limit of {max}")]
    Oversized {
        /// Length of the message.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// The ingress that read this handle's ring was dropped.
    #[error("the ingress is gone")]
    Disconnected,
}
