//! The [`Ingress`]: one mio poller over every endpoint, delivering framed messages to a
//! [`Sink`].

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, UdpSocket};
use mio::{Events, Interest, Poll, Token};
use recal_types::{Source, Timestamp};

use crate::backoff::Backoff;
use crate::clock::{Clock, WallClock};
use crate::error::IngressError;
use crate::framing::{Framing, Outlet};
use crate::lines::LineBuffer;
use crate::push::{self, PushHandle, PushReceiver, WakeSignal};
use crate::rejects::RejectLog;
use crate::sink::{EndpointId, EndpointStats, Sink};
use crate::tape::{self, Tape};
use crate::tcp_client::TcpClient;
use crate::tcp_server::TcpServer;
use crate::udp::Udp;

/// Bits of a poll token that number a connection within its endpoint (slot 0 is the
/// endpoint's own socket).
const SLOT_BITS: u32 = 20;
const SLOT_MASK: usize = (1 << SLOT_BITS) - 1;
/// The token of the push handles' waker.
const WAKE_TOKEN: Token = Token(usize::MAX);

/// Limits of an [`Ingress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngressConfig {
    /// Longest frame (line or datagram) delivered, in bytes, without its newline (default
    /// 64 KiB, the feed decoder's own limit). Longer ones are refused.
    pub max_line: usize,
    /// Bytes kept of each refused frame (default 4 KiB).
    pub keep_bytes: usize,
    /// Refused frames kept in [`Ingress::rejects`] (default 64).
    pub reject_capacity: usize,
    /// Connections one TCP server holds at once (default 64); more are refused.
    pub max_connections: usize,
    /// Reads from each tape per [`Ingress::poll`] (default 4, about 64 KiB), so that a tape
    /// does not starve the sockets.
    pub tape_reads_per_poll: usize,
    /// Readiness events handled per poll (default 256).
    pub events_per_poll: usize,
}

impl Default for IngressConfig {
    fn default() -> Self {
        Self {
            max_line: 64 * 1024,
            keep_bytes: 4 * 1024,
            reject_capacity: 64,
            max_connections: 64,
            tape_reads_per_poll: 4,
            events_per_poll: 256,
        }
    }
}

enum Kind {
    TcpClient(TcpClient),
    TcpServer(TcpServer),
    Udp(Udp),
    Tape(Tape),
    Push(PushReceiver),
}

struct Endpoint {
    kind: Kind,
    framing: Framing,
    stats: EndpointStats,
}

/// Non-blocking ingress: TCP clients (with reconnect), TCP servers, UDP sockets, NDJSON tapes
/// and in-process push handles, polled together by one thread.
///
/// Every frame is delivered to the caller's [`Sink`] as `(Source, &[u8], receive_time)`, the
/// bytes borrowed from a reused buffer, so steady-state delivery allocates nothing. Refused
/// frames (oversized, unfinished at the end of a stream, bad envelopes) are counted per
/// endpoint ([`Ingress::stats`]), kept ([`Ingress::rejects`]) and reported
/// ([`Sink::rejected`]).
///
/// ```
/// use std::time::Duration;
/// use recal_ingress::{Framing, Ingress, IngressConfig};
/// use recal_types::{Source, Timestamp};
///
/// let mut ingress = Ingress::new(IngressConfig::default()).unwrap();
/// let (_, mut handle) = ingress.add_push(1024, 4096).unwrap();
/// handle.try_push(Source::Recal, br#"{"schema":"recal/1"}"#, Timestamp::from_nanos(7)).unwrap();
/// let mut seen = Vec::new();
/// ingress
///     .poll_fn(Some(Duration::ZERO), |source, bytes, received| {
///         seen.push((source, bytes.len(), received.as_nanos()));
///     })
///     .unwrap();
/// assert_eq!(seen, vec![(Source::Recal, 20, 7)]);
/// ```
pub struct Ingress {
    poll: Poll,
    events: Events,
    endpoints: Vec<Endpoint>,
    clock: Box<dyn Clock>,
    rejects: RejectLog,
    signal: Option<Arc<WakeSignal>>,
    config: IngressConfig,
}

impl std::fmt::Debug for Ingress {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Ingress")
            .field("endpoints", &self.endpoints.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

const fn token(endpoint: usize, slot: usize) -> Token {
    Token((endpoint << SLOT_BITS) | slot)
}

impl Ingress {
    /// An ingress with no endpoints, stamping receive times with the [`WallClock`].
    ///
    /// # Errors
    /// [`IngressError::Poll`] if the poller cannot be created, [`IngressError::Config`] if a
    /// limit is zero.
    pub fn new(config: IngressConfig) -> Result<Self, IngressError> {
        if config.max_line == 0 || config.tape_reads_per_poll == 0 || config.events_per_poll == 0 {
            return Err(IngressError::Config(
                "max_line, tape_reads_per_poll and events_per_poll must be positive",
            ));
        }
        Ok(Self {
            poll: Poll::new().map_err(IngressError::Poll)?,
            events: Events::with_capacity(config.events_per_poll),
            endpoints: Vec::new(),
            clock: Box::new(WallClock),
            rejects: RejectLog::new(config.reject_capacity, config.keep_bytes),
            signal: None,
            config,
        })
    }

    /// Replaces the clock that stamps receive times (tests use a deterministic one).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    fn lines(&self) -> LineBuffer {
        LineBuffer::new(self.config.max_line, self.config.keep_bytes)
    }

    fn add(&mut self, kind: Kind, framing: Framing) -> Result<EndpointId, IngressError> {
        let id = self.endpoints.len();
        if id >= (usize::MAX >> SLOT_BITS) {
            return Err(IngressError::TooMany);
        }
        self.endpoints.push(Endpoint {
            kind,
            framing,
            stats: EndpointStats::default(),
        });
        Ok(EndpointId(id))
    }

    /// A TCP client of the feed at `addr`. It connects on the next [`Ingress::poll`] and
    /// reconnects after `backoff` whenever the connection fails or ends; an unfinished line
    /// at a disconnect is reported and dropped, never joined to the next connection's data.
    ///
    /// # Errors
    /// [`IngressError::TooMany`] past the endpoint limit.
    pub fn add_tcp_client(
        &mut self,
        addr: SocketAddr,
        framing: Framing,
        backoff: Backoff,
    ) -> Result<EndpointId, IngressError> {
        let backoff = Backoff {
            seed: backoff.seed ^ self.endpoints.len() as u64,
            ..backoff
        };
        let client = TcpClient::new(addr, backoff, self.lines());
        self.add(Kind::TcpClient(client), framing)
    }

    /// A TCP server listening on `addr` (port 0 picks a free port: see
    /// [`Ingress::local_addr`]), accepting up to [`IngressConfig::max_connections`] feeds.
    ///
    /// # Errors
    /// [`IngressError::Bind`] if the address cannot be bound, [`IngressError::Poll`] if the
    /// listener cannot be registered.
    pub fn add_tcp_server(
        &mut self,
        addr: SocketAddr,
        framing: Framing,
    ) -> Result<EndpointId, IngressError> {
        let listener =
            TcpListener::bind(addr).map_err(|source| IngressError::Bind { addr, source })?;
        let mut server = TcpServer::new(
            listener,
            self.config.max_connections.min(SLOT_MASK - 1),
            self.config.max_line,
            self.config.keep_bytes,
        );
        self.poll
            .registry()
            .register(
                server.listener_mut(),
                token(self.endpoints.len(), 0),
                Interest::READABLE,
            )
            .map_err(IngressError::Poll)?;
        self.add(Kind::TcpServer(server), framing)
    }

    /// A UDP socket bound to `addr`, one message per datagram.
    ///
    /// # Errors
    /// [`IngressError::Bind`] or [`IngressError::Poll`].
    pub fn add_udp(
        &mut self,
        addr: SocketAddr,
        framing: Framing,
    ) -> Result<EndpointId, IngressError> {
        let mut socket =
            UdpSocket::bind(addr).map_err(|source| IngressError::Bind { addr, source })?;
        self.poll
            .registry()
            .register(
                &mut socket,
                token(self.endpoints.len(), 0),
                Interest::READABLE,
            )
            .map_err(IngressError::Poll)?;
        let udp = Udp::new(socket, self.config.max_line);
        self.add(Kind::Udp(udp), framing)
    }

    /// A tape file of newline-delimited frames, gzip-compressed or not (told by the magic
    /// bytes). It is read a little on every poll, which then does not block.
    ///
    /// # Errors
    /// [`IngressError::OpenTape`].
    pub fn add_tape(
        &mut self,
        path: impl AsRef<Path>,
        framing: Framing,
    ) -> Result<EndpointId, IngressError> {
        let reader = tape::open(path.as_ref())?;
        self.add_tape_reader(reader, framing)
    }

    /// A tape read from any reader (standard input, a pipe, bytes in memory).
    ///
    /// # Errors
    /// [`IngressError::TooMany`] past the endpoint limit.
    pub fn add_tape_reader(
        &mut self,
        reader: impl Read + Send + 'static,
        framing: Framing,
    ) -> Result<EndpointId, IngressError> {
        let tape = Tape::new(Box::new(reader), self.lines());
        self.add(Kind::Tape(tape), framing)
    }

    /// An in-process push handle whose ring holds `capacity` messages (a power of two) of
    /// at most `max_message` bytes. Pushing wakes a sleeping [`Ingress::poll`].
    ///
    /// # Errors
    /// [`IngressError::Config`] if `capacity` is not a power of two, [`IngressError::Poll`]
    /// if the waker cannot be made.
    pub fn add_push(
        &mut self,
        capacity: usize,
        max_message: usize,
    ) -> Result<(EndpointId, PushHandle), IngressError> {
        let signal = match &self.signal {
            Some(signal) => Arc::clone(signal),
            None => {
                let waker = mio::Waker::new(self.poll.registry(), WAKE_TOKEN)
                    .map_err(IngressError::Poll)?;
                let signal = Arc::new(WakeSignal {
                    waker,
                    sleeping: AtomicBool::new(false),
                });
                self.signal = Some(Arc::clone(&signal));
                signal
            }
        };
        let initial_buffer = max_message.min(4 * 1024);
        let (handle, receiver) = push::channel(capacity, initial_buffer, max_message, signal)?;
        // The source is named by each pushed message; the framing is not used.
        let id = self.add(Kind::Push(receiver), Framing::Envelope)?;
        Ok((id, handle))
    }

    /// The local address of a TCP server or UDP endpoint.
    #[must_use]
    pub fn local_addr(&self, endpoint: EndpointId) -> Option<SocketAddr> {
        match &self.endpoints.get(endpoint.0)?.kind {
            Kind::TcpServer(server) => server.local_addr().ok(),
            Kind::Udp(udp) => udp.socket.local_addr().ok(),
            _ => None,
        }
    }

    /// The counters of `endpoint`.
    #[must_use]
    pub fn stats(&self, endpoint: EndpointId) -> Option<&EndpointStats> {
        self.endpoints
            .get(endpoint.0)
            .map(|endpoint| &endpoint.stats)
    }

    /// The counters of every endpoint added up.
    #[must_use]
    pub fn totals(&self) -> EndpointStats {
        let mut totals = EndpointStats::default();
        for endpoint in &self.endpoints {
            totals.add(&endpoint.stats);
        }
        totals
    }

    /// The most recent refused frames.
    #[must_use]
    pub const fn rejects(&self) -> &RejectLog {
        &self.rejects
    }

    /// Tapes not yet read to their end.
    #[must_use]
    pub fn open_tapes(&self) -> usize {
        self.endpoints
            .iter()
            .filter(|endpoint| matches!(&endpoint.kind, Kind::Tape(tape) if !tape.ended()))
            .count()
    }

    /// Connections a TCP server holds now (0 for other endpoints).
    #[must_use]
    pub fn open_connections(&self, endpoint: EndpointId) -> usize {
        match self
            .endpoints
            .get(endpoint.0)
            .map(|endpoint| &endpoint.kind)
        {
            Some(Kind::TcpServer(server)) => server.open_connections(),
            _ => 0,
        }
    }

    /// Waits up to `timeout` (`None`: until something happens) for any endpoint to be ready,
    /// delivers what is there to `sink` and returns how many messages it delivered. Returns
    /// at once when a tape or a push handle has messages waiting; a TCP client's pending
    /// reconnect shortens the wait.
    ///
    /// # Errors
    /// [`IngressError::Poll`] if the poller fails, [`IngressError::ReadTape`] if a tape
    /// cannot be read (that tape is ended; the other endpoints go on).
    pub fn poll<S: Sink + ?Sized>(
        &mut self,
        timeout: Option<Duration>,
        sink: &mut S,
    ) -> Result<usize, IngressError> {
        let before = self.totals().messages;
        let timeout = self.wait_time(timeout);
        let result = self.poll.poll(&mut self.events, timeout);
        if let Some(signal) = &self.signal {
            signal.awake();
        }
        match result {
            Err(error) if error.kind() != std::io::ErrorKind::Interrupted => {
                return Err(IngressError::Poll(error));
            }
            _ => {}
        }
        self.dispatch(sink);
        let tapes = self.service(sink);
        let delivered = self.totals().messages - before;
        tapes.map(|()| usize::try_from(delivered).unwrap_or(usize::MAX))
    }

    /// [`Ingress::poll`] with a closure as the sink (its argument types are inferred):
    /// `ingress.poll_fn(timeout, |source, bytes, received| …)`.
    ///
    /// # Errors
    /// As [`Ingress::poll`].
    pub fn poll_fn(
        &mut self,
        timeout: Option<Duration>,
        mut sink: impl FnMut(Source, &[u8], Timestamp),
    ) -> Result<usize, IngressError> {
        self.poll(timeout, &mut sink)
    }

    /// The poller's timeout: zero when work is waiting, else `timeout` cut to the next
    /// reconnect. Arms the push handles' wake-up before a wait that may block.
    fn wait_time(&mut self, timeout: Option<Duration>) -> Option<Duration> {
        let now = Instant::now();
        let mut timeout = timeout;
        for endpoint in &mut self.endpoints {
            let wait = match &mut endpoint.kind {
                Kind::Tape(tape) if !tape.ended() => Some(Duration::ZERO),
                Kind::TcpClient(client) => client
                    .deadline()
                    .map(|deadline| deadline.saturating_duration_since(now)),
                _ => None,
            };
            if let Some(wait) = wait {
                timeout = Some(timeout.map_or(wait, |timeout| timeout.min(wait)));
            }
        }
        if timeout != Some(Duration::ZERO)
            && let Some(signal) = &self.signal
        {
            signal.going_to_sleep();
            let waiting = self
                .endpoints
                .iter_mut()
                .any(|endpoint| match &mut endpoint.kind {
                    Kind::Push(receiver) => receiver.has_messages(),
                    _ => false,
                });
            if waiting {
                timeout = Some(Duration::ZERO);
            }
        }
        timeout
    }

    /// Handles the readiness events of the last poll.
    fn dispatch<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        let Self {
            poll,
            events,
            endpoints,
            clock,
            rejects,
            ..
        } = self;
        let registry = poll.registry();
        for event in events.iter() {
            let event_token = event.token();
            if event_token == WAKE_TOKEN {
                continue;
            }
            let (index, slot) = (event_token.0 >> SLOT_BITS, event_token.0 & SLOT_MASK);
            let Some(endpoint) = endpoints.get_mut(index) else {
                continue;
            };
            let mut outlet = Outlet {
                sink: &mut *sink,
                rejects: &mut *rejects,
                stats: &mut endpoint.stats,
                endpoint: EndpointId(index),
                framing: endpoint.framing,
                received: clock.now(),
            };
            match &mut endpoint.kind {
                Kind::TcpClient(client) => {
                    client.ready(registry, event_token, clock.as_mut(), &mut outlet);
                }
                Kind::TcpServer(server) if slot == 0 => {
                    server.accept(registry, |slot| token(index, slot + 1), &mut outlet);
                }
                Kind::TcpServer(server) => {
                    server.ready(slot - 1, registry, clock.as_mut(), &mut outlet);
                }
                Kind::Udp(udp) => udp.ready(clock.as_mut(), &mut outlet),
                Kind::Tape(_) | Kind::Push(_) => {}
            }
        }
    }

    /// Reconnects due clients, drains push handles and reads tapes.
    fn service<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Result<(), IngressError> {
        let now = Instant::now();
        let registry = self.poll.registry();
        let mut result = Ok(());
        for (index, endpoint) in self.endpoints.iter_mut().enumerate() {
            let mut outlet = Outlet {
                sink: &mut *sink,
                rejects: &mut self.rejects,
                stats: &mut endpoint.stats,
                endpoint: EndpointId(index),
                framing: endpoint.framing,
                received: self.clock.now(),
            };
            match &mut endpoint.kind {
                Kind::TcpClient(client) => {
                    client.connect_if_due(now, registry, token(index, 0), &mut outlet);
                }
                Kind::Push(receiver) => receiver.drain(&mut outlet),
                Kind::Tape(tape) => {
                    let read = tape.read(
                        self.config.tape_reads_per_poll,
                        self.clock.as_mut(),
                        &mut outlet,
                    );
                    if result.is_ok() {
                        result = read;
                    }
                }
                Kind::TcpServer(_) | Kind::Udp(_) => {}
            }
        }
        result
    }
}
