//! A UDP endpoint: one message per datagram.

use std::io;

use mio::net::UdpSocket;

use crate::clock::Clock;
use crate::error::FrameError;
use crate::framing::Outlet;
use crate::sink::Sink;

/// Larger than any UDP payload, so a datagram is never cut and its length is exact.
const DATAGRAM_BUFFER: usize = 64 * 1024;

/// Consecutive receive errors tolerated while draining one readiness event.
const MAX_ERRORS_PER_EVENT: u32 = 8;

/// A bound UDP socket and its receive buffer.
pub(crate) struct Udp {
    pub(crate) socket: UdpSocket,
    buffer: Box<[u8]>,
    max_message: usize,
}

impl Udp {
    /// A UDP endpoint refusing datagrams longer than `max_message` bytes.
    pub(crate) fn new(socket: UdpSocket, max_message: usize) -> Self {
        Self {
            socket,
            buffer: vec![0; DATAGRAM_BUFFER].into_boxed_slice(),
            max_message,
        }
    }

    /// Receives every pending datagram. A trailing newline (`\n` or `\r\n`) is not part of
    /// the message; an empty datagram is ignored.
    pub(crate) fn ready<S: Sink + ?Sized>(
        &mut self,
        clock: &mut dyn Clock,
        outlet: &mut Outlet<'_, S>,
    ) {
        let mut errors = 0;
        loop {
            let len = match self.socket.recv(&mut self.buffer) {
                Ok(len) => len,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                // Interrupted, or a pending error such as an ICMP report, which one call
                // clears: read on (readiness is edge-triggered), but not forever.
                Err(_) if errors < MAX_ERRORS_PER_EVENT => {
                    errors += 1;
                    continue;
                }
                Err(_) => return,
            };
            outlet.received = clock.now();
            let datagram = &self.buffer[..len];
            let datagram = datagram.strip_suffix(b"\n").unwrap_or(datagram);
            let datagram = datagram.strip_suffix(b"\r").unwrap_or(datagram);
            if datagram.len() > self.max_message {
                let error = FrameError::Oversized {
                    len: datagram.len(),
                    max: self.max_message,
                };
                outlet.refuse(error, datagram);
            } else if !datagram.is_empty() {
                outlet.frame(datagram);
            }
        }
    }
}
