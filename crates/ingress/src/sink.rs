//! Where the ingress delivers: messages, refused frames and connection events.

use std::io;
use std::net::SocketAddr;

use recal_types::{Source, Timestamp};

use crate::error::FrameError;

/// Names one endpoint of an [`Ingress`](crate::Ingress) (a TCP client, a TCP server with its
/// connections, a UDP socket, a tape or a push handle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndpointId(pub(crate) usize);

impl EndpointId {
    /// Position in the order endpoints were added, from 0.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0
    }
}

/// Something that happened to an endpoint's connection or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionEvent {
    /// A TCP client connected to its server.
    Connected(SocketAddr),
    /// A TCP client's connection attempt failed; it retries after its backoff.
    ConnectFailed(io::ErrorKind),
    /// A TCP client lost its connection (closed by the peer or failed); it reconnects after
    /// its backoff.
    Disconnected(SocketAddr),
    /// A TCP client used up its connection attempts and stopped.
    GaveUp,
    /// A TCP server accepted a connection from this peer.
    Accepted(SocketAddr),
    /// A connection accepted by a TCP server ended.
    Closed(SocketAddr),
    /// A TCP server refused a connection because it already holds its maximum.
    Refused(SocketAddr),
    /// A tape reached its end.
    TapeEnded,
}

/// Receives what an [`Ingress`](crate::Ingress) reads. Only [`Sink::message`] is required;
/// any `FnMut(Source, &[u8], Timestamp)` closure is a sink that ignores the rest (refusals
/// are still counted and kept by the ingress).
pub trait Sink {
    /// One framed message: its source, its bytes (valid only during the call: the buffer is
    /// reused) and its receive time.
    fn message(&mut self, source: Source, bytes: &[u8], receive_time: Timestamp);

    /// A refused frame and the bytes kept of it (bounded, see
    /// [`IngressConfig::keep_bytes`](crate::IngressConfig::keep_bytes)).
    fn rejected(&mut self, endpoint: EndpointId, error: &FrameError, bytes: &[u8]) {
        let _ = (endpoint, error, bytes);
    }

    /// A connection or tape event.
    fn connection(&mut self, endpoint: EndpointId, event: ConnectionEvent) {
        let _ = (endpoint, event);
    }
}

impl<F: FnMut(Source, &[u8], Timestamp)> Sink for F {
    fn message(&mut self, source: Source, bytes: &[u8], receive_time: Timestamp) {
        self(source, bytes, receive_time);
    }
}

/// Counters of one endpoint (a TCP server's include all of its connections).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Messages delivered.
    pub messages: u64,
    /// Bytes of the delivered messages (the message only, not an envelope around it).
    pub bytes: u64,
    /// Frames refused as longer than the limit.
    pub oversized: u64,
    /// Unfinished lines at the end of a stream.
    pub partial_lines: u64,
    /// Lines that should have been tape envelopes and were not.
    pub bad_envelopes: u64,
    /// Successful connections (TCP client).
    pub connects: u64,
    /// Connection attempts after the first (TCP client).
    pub reconnect_attempts: u64,
    /// Connections lost (TCP client) or ended (TCP server).
    pub disconnects: u64,
    /// Connections accepted (TCP server).
    pub accepted: u64,
    /// Connections refused for lack of room (TCP server).
    pub refused: u64,
}

impl EndpointStats {
    /// Frames refused for any reason.
    #[must_use]
    pub const fn refused_frames(&self) -> u64 {
        self.oversized + self.partial_lines + self.bad_envelopes
    }

    pub(crate) fn count(&mut self, error: &FrameError) {
        match error {
            FrameError::Oversized { .. } => self.oversized += 1,
            FrameError::PartialLine { .. } => self.partial_lines += 1,
            FrameError::BadEnvelope(_) => self.bad_envelopes += 1,
        }
    }

    pub(crate) fn add(&mut self, other: &Self) {
        self.messages += other.messages;
        self.bytes += other.bytes;
        self.oversized += other.oversized;
        self.partial_lines += other.partial_lines;
        self.bad_envelopes += other.bad_envelopes;
        self.connects += other.connects;
        self.reconnect_attempts += other.reconnect_attempts;
        self.disconnects += other.disconnects;
        self.accepted += other.accepted;
        self.refused += other.refused;
    }
}
