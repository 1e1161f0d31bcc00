//! A sink that streams NDJSON lines over TCP, reconnecting with a bounded backoff.

use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::num::NonZeroU32;
use std::time::Duration;

use recal_emit::eip712::Eip712Domain;
use recal_types::Timestamp;

use super::Sink;
use super::SinkError;
use super::ndjson::NdjsonLine;
use recal_emit::EthSignature;
use recal_emit::SignedProposal;

/// How a [`TcpSink`] retries: up to `attempts` connection or write attempts per proposal, each
/// bounded by `timeout`, with a pause between failed attempts that starts at `first_delay` and
/// doubles up to `max_delay`. A proposal therefore blocks its caller for at most about
/// `attempts × (timeout + max_delay)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts per proposal before giving up with [`SinkError::Unreachable`].
    pub attempts: NonZeroU32,
    /// Pause after the first failed attempt.
    pub first_delay: Duration,
    /// Longest pause between attempts.
    pub max_delay: Duration,
    /// Bound on one connection attempt and on one line's write.
    pub timeout: Duration,
}

/// Attempts per proposal of the default [`Backoff`] (checked at compile time).
const DEFAULT_ATTEMPTS: NonZeroU32 = NonZeroU32::new(5).unwrap();

impl Default for Backoff {
    /// 5 attempts, pauses of 50, 100, 200 and 400 ms (at most 1 s each), 1 s timeouts.
    fn default() -> Self {
        Self {
            attempts: DEFAULT_ATTEMPTS,
            first_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
        }
    }
}

/// Streams every signed proposal as one NDJSON line of [typed-data
/// JSON](recal_emit::SignedTypedData) to a TCP peer.
///
/// Connects on the first proposal, and again whenever the connection is found closed (checked
/// before each line) or a write fails, following its [`Backoff`]; after the last attempt the
/// proposal is reported [`SinkError::Unreachable`] and the next one starts afresh. Delivery is
/// at most once per line: a line written into a connection the peer is closing at that moment
/// can be lost, and a line cut by a failed write is sent whole on the next connection (the
/// peer drops a last line without its `\n`). A consumer keys proposals by market and nonce, so
/// a proposal that was lost is superseded by the market's next one.
///
/// This sink blocks its caller while it reconnects; run it on the thread that does I/O, not in
/// the stage's hot loop (e.g. behind a [`ChannelSink`](super::ChannelSink)).
#[derive(Debug)]
pub struct TcpSink {
    address: SocketAddr,
    backoff: Backoff,
    stream: Option<TcpStream>,
    line: NdjsonLine,
}

impl TcpSink {
    /// A sink sending to `address` the typed data of proposals signed for `domain`; connects
    /// lazily, on the first proposal.
    #[must_use]
    pub const fn new(address: SocketAddr, domain: Eip712Domain, backoff: Backoff) -> Self {
        Self {
            address,
            backoff,
            stream: None,
            line: NdjsonLine::new(domain),
        }
    }

    /// Whether a connection is open (as far as the sink knows).
    #[must_use]
    pub const fn is_connected(&self) -> bool {
        self.stream.is_some()
    }
}

impl Sink<EthSignature> for TcpSink {
    fn deliver(
        &mut self,
        signed: &SignedProposal<EthSignature>,
        _at: Timestamp,
    ) -> Result<(), SinkError> {
        let line = self.line.encode(signed)?;
        let attempts = self.backoff.attempts.get();
        let mut delay = self.backoff.first_delay;
        let mut attempt = 1;
        loop {
            let error = match connection(&mut self.stream, self.address, self.backoff.timeout)
                .and_then(|stream| stream.write_all(line))
            {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            self.stream = None;
            if attempt == attempts {
                return Err(SinkError::Unreachable {
                    address: self.address,
                    attempts,
                    last: error,
                });
            }
            std::thread::sleep(delay);
            delay = delay.saturating_mul(2).min(self.backoff.max_delay);
            attempt += 1;
        }
    }
}

/// The open connection in `stream`, or a new one to `address` if there is none or the peer has
/// closed it.
fn connection(
    stream: &mut Option<TcpStream>,
    address: SocketAddr,
    timeout: Duration,
) -> std::io::Result<&mut TcpStream> {
    if stream.as_ref().is_some_and(peer_closed) {
        *stream = None;
    }
    match stream {
        Some(open) => Ok(open),
        None => {
            let open = TcpStream::connect_timeout(&address, timeout)?;
            open.set_write_timeout(Some(timeout))?;
            open.set_nodelay(true)?;
            Ok(stream.insert(open))
        }
    }
}

/// Whether the peer has closed `stream` (or it has failed): a non-blocking peek sees the end
/// of the stream or an error. The sink never reads, so any data the peer sent stays queued
/// and keeps the peek from seeing the end; the next failed write catches that case.
fn peer_closed(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let closed = match stream.peek(&mut [0; 1]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => error.kind() != ErrorKind::WouldBlock,
    };
    closed || stream.set_nonblocking(false).is_err()
}
