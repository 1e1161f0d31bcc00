//! A TCP client endpoint: connects, reads newline-delimited frames, and reconnects with
//! [`Backoff`] when the connection fails or the server drops it.

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use crate::backoff::Backoff;
use crate::clock::Clock;
use crate::framing::Outlet;
use crate::lines::LineBuffer;
use crate::sink::{ConnectionEvent, Sink};
use crate::stream::{ReadOutcome, read_available};

enum State {
    /// Waiting for the connection to complete (writable).
    Connecting(TcpStream),
    /// Connected to the peer.
    Connected(TcpStream, SocketAddr),
    /// Next attempt at this instant.
    Waiting(Instant),
    /// Out of attempts.
    GaveUp,
}

/// One TCP client and its connection state.
pub(crate) struct TcpClient {
    addr: SocketAddr,
    backoff: Backoff,
    state: State,
    lines: LineBuffer,
    /// Consecutive failures since the last successful connection.
    failures: u32,
    attempted: bool,
}

impl TcpClient {
    /// A client whose first attempt is due at once.
    pub(crate) fn new(addr: SocketAddr, backoff: Backoff, lines: LineBuffer) -> Self {
        Self {
            addr,
            backoff,
            state: State::Waiting(Instant::now()),
            lines,
            failures: 0,
            attempted: false,
        }
    }

    /// When the next connection attempt is due, if one is scheduled.
    pub(crate) const fn deadline(&self) -> Option<Instant> {
        match self.state {
            State::Waiting(at) => Some(at),
            _ => None,
        }
    }

    /// Starts a connection attempt if one is due at `now`.
    pub(crate) fn connect_if_due<S: Sink + ?Sized>(
        &mut self,
        now: Instant,
        registry: &Registry,
        token: Token,
        outlet: &mut Outlet<'_, S>,
    ) {
        if !matches!(self.state, State::Waiting(at) if at <= now) {
            return;
        }
        if self.attempted {
            outlet.stats.reconnect_attempts += 1;
        }
        self.attempted = true;
        let connecting = TcpStream::connect(self.addr).and_then(|mut stream| {
            registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
            Ok(stream)
        });
        match connecting {
            Ok(stream) => self.state = State::Connecting(stream),
            Err(error) => self.failed(error.kind(), registry, outlet),
        }
    }

    /// The socket is ready: finish connecting, then read what is there.
    pub(crate) fn ready<S: Sink + ?Sized>(
        &mut self,
        registry: &Registry,
        token: Token,
        clock: &mut dyn Clock,
        outlet: &mut Outlet<'_, S>,
    ) {
        if let State::Connecting(_) = self.state {
            let State::Connecting(mut stream) = std::mem::replace(&mut self.state, State::GaveUp)
            else {
                return;
            };
            let peer = match stream.take_error() {
                Ok(None) => stream.peer_addr(),
                Ok(Some(error)) | Err(error) => Err(error),
            };
            let peer = peer.and_then(|peer| {
                registry.reregister(&mut stream, token, Interest::READABLE)?;
                Ok(peer)
            });
            match peer {
                Ok(peer) => {
                    self.state = State::Connected(stream, peer);
                    self.failures = 0;
                    outlet.stats.connects += 1;
                    outlet
                        .sink
                        .connection(outlet.endpoint, ConnectionEvent::Connected(peer));
                }
                // A spurious wake-up before the connection completes.
                Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                    self.state = State::Connecting(stream);
                    return;
                }
                Err(error) => {
                    let _ = registry.deregister(&mut stream);
                    self.failed(error.kind(), registry, outlet);
                    return;
                }
            }
        }
        let State::Connected(stream, peer) = &mut self.state else {
            return;
        };
        let peer = *peer;
        match read_available(stream, &mut self.lines, clock, outlet, None) {
            ReadOutcome::Open => {}
            ReadOutcome::Ended | ReadOutcome::Failed(_) => {
                self.drop_stream(registry);
                outlet.stats.disconnects += 1;
                outlet
                    .sink
                    .connection(outlet.endpoint, ConnectionEvent::Disconnected(peer));
                self.failures = 1;
                self.schedule(outlet);
            }
        }
    }

    fn failed<S: Sink + ?Sized>(
        &mut self,
        kind: io::ErrorKind,
        registry: &Registry,
        outlet: &mut Outlet<'_, S>,
    ) {
        self.drop_stream(registry);
        outlet
            .sink
            .connection(outlet.endpoint, ConnectionEvent::ConnectFailed(kind));
        self.failures = self.failures.saturating_add(1);
        self.schedule(outlet);
    }

    fn schedule<S: Sink + ?Sized>(&mut self, outlet: &mut Outlet<'_, S>) {
        if self
            .backoff
            .max_attempts
            .is_some_and(|max| self.failures >= max)
        {
            self.state = State::GaveUp;
            outlet
                .sink
                .connection(outlet.endpoint, ConnectionEvent::GaveUp);
        } else {
            self.state = State::Waiting(Instant::now() + self.backoff.delay(self.failures));
        }
    }

    fn drop_stream(&mut self, registry: &Registry) {
        if let State::Connecting(stream) | State::Connected(stream, _) = &mut self.state {
            // Closing the socket removes it from the poller anyway.
            let _ = registry.deregister(stream);
        }
        self.state = State::GaveUp;
    }
}
