//! A TCP server endpoint: accepts feed connections and reads newline-delimited frames from
//! each.

use std::io;
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};

use crate::clock::Clock;
use crate::framing::Outlet;
use crate::lines::LineBuffer;
use crate::sink::{ConnectionEvent, Sink};
use crate::stream::{ReadOutcome, read_available};

struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    lines: LineBuffer,
}

/// A listener and its connections, in slots numbered from 0.
pub(crate) struct TcpServer {
    listener: TcpListener,
    connections: Vec<Option<Connection>>,
    /// Framers of closed connections, reused by the next ones.
    spare: Vec<LineBuffer>,
    max_connections: usize,
    /// Longest line and bytes kept of a refused line, for new framers.
    max_line: usize,
    keep_bytes: usize,
}

impl TcpServer {
    /// A server on `listener`, holding at most `max_connections` connections, each framed
    /// with lines of at most `max_line` bytes (keeping `keep_bytes` of a refused one).
    pub(crate) fn new(
        listener: TcpListener,
        max_connections: usize,
        max_line: usize,
        keep_bytes: usize,
    ) -> Self {
        Self {
            listener,
            connections: Vec::new(),
            spare: Vec::new(),
            max_connections,
            max_line,
            keep_bytes,
        }
    }

    /// The listening address.
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The listener, for registration.
    pub(crate) const fn listener_mut(&mut self) -> &mut TcpListener {
        &mut self.listener
    }

    /// Accepts every pending connection; `token` maps a connection slot to its poll token.
    pub(crate) fn accept<S: Sink + ?Sized>(
        &mut self,
        registry: &Registry,
        token: impl Fn(usize) -> Token,
        outlet: &mut Outlet<'_, S>,
    ) {
        loop {
            let (mut stream, peer) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                // Would block, or out of descriptors: the next readiness event retries.
                Err(_) => return,
            };
            let slot = self
                .connections
                .iter()
                .position(Option::is_none)
                .or_else(|| {
                    (self.connections.len() < self.max_connections).then(|| {
                        self.connections.push(None);
                        self.connections.len() - 1
                    })
                });
            let registered = slot.filter(|&slot| {
                registry
                    .register(&mut stream, token(slot), Interest::READABLE)
                    .is_ok()
            });
            let Some(slot) = registered else {
                outlet.stats.refused += 1;
                outlet
                    .sink
                    .connection(outlet.endpoint, ConnectionEvent::Refused(peer));
                continue;
            };
            let lines = self
                .spare
                .pop()
                .unwrap_or_else(|| LineBuffer::new(self.max_line, self.keep_bytes));
            self.connections[slot] = Some(Connection {
                stream,
                peer,
                lines,
            });
            outlet.stats.accepted += 1;
            outlet
                .sink
                .connection(outlet.endpoint, ConnectionEvent::Accepted(peer));
        }
    }

    /// Connection `slot` is ready: read what is there, and close it if it ended.
    pub(crate) fn ready<S: Sink + ?Sized>(
        &mut self,
        slot: usize,
        registry: &Registry,
        clock: &mut dyn Clock,
        outlet: &mut Outlet<'_, S>,
    ) {
        let Some(Some(connection)) = self.connections.get_mut(slot) else {
            return;
        };
        let outcome = read_available(
            &mut connection.stream,
            &mut connection.lines,
            clock,
            outlet,
            None,
        );
        if matches!(outcome, ReadOutcome::Open) {
            return;
        }
        if let Some(mut connection) = self.connections[slot].take() {
            let _ = registry.deregister(&mut connection.stream);
            self.spare.push(connection.lines);
            outlet.stats.disconnects += 1;
            outlet
                .sink
                .connection(outlet.endpoint, ConnectionEvent::Closed(connection.peer));
        }
    }

    /// Connections open now.
    pub(crate) fn open_connections(&self) -> usize {
        self.connections.iter().flatten().count()
    }
}
