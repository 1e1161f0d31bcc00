//! How a frame says which source it came from, and the delivery of frames to a [`Sink`]
//! with counting and keeping of refusals.

use recal_types::{Source, Timestamp};

use crate::envelope::Envelope;
use crate::error::FrameError;
use crate::lines::Line;
use crate::rejects::RejectLog;
use crate::sink::{EndpointId, EndpointStats, Sink};

/// What a frame (line or datagram) of an endpoint holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The venue's own message, verbatim, from the source configured for the endpoint
    /// (for example a Binance stream relayed line by line); received at the ingress clock's
    /// time.
    Raw(Source),
    /// A tape [`Envelope`] naming its source; received at its `recv_ns` if present, else at
    /// the ingress clock's time.
    Envelope,
}

/// The source, message and receive time in `frame`, received at `now` unless the frame
/// says otherwise.
fn unwrap(
    framing: Framing,
    frame: &[u8],
    now: Timestamp,
) -> Result<(Source, &[u8], Timestamp), FrameError> {
    match framing {
        Framing::Raw(source) => Ok((source, frame, now)),
        Framing::Envelope => {
            let envelope = Envelope::parse(frame)?;
            Ok((
                envelope.source,
                envelope.message,
                envelope.receive_time.unwrap_or(now),
            ))
        }
    }
}

/// Delivery of one endpoint's frames to a sink.
pub(crate) struct Outlet<'a, S: Sink + ?Sized> {
    pub(crate) sink: &'a mut S,
    pub(crate) rejects: &'a mut RejectLog,
    pub(crate) stats: &'a mut EndpointStats,
    pub(crate) endpoint: EndpointId,
    pub(crate) framing: Framing,
    /// When the frames being delivered arrived.
    pub(crate) received: Timestamp,
}

impl<S: Sink + ?Sized> Outlet<'_, S> {
    /// Delivers or refuses what the line framer found.
    pub(crate) fn line(&mut self, line: Line<'_>) {
        match line {
            Line::Complete(frame) => self.frame(frame),
            Line::Refused(error, kept) => self.refuse(error, kept),
        }
    }

    /// Delivers one complete frame, or refuses it if its framing is wrong.
    pub(crate) fn frame(&mut self, frame: &[u8]) {
        match unwrap(self.framing, frame, self.received) {
            Ok((source, message, received)) => {
                self.stats.messages += 1;
                self.stats.bytes += message.len() as u64;
                self.sink.message(source, message, received);
            }
            Err(error) => self.refuse(error, frame),
        }
    }

    /// Counts, keeps and reports a refused frame.
    pub(crate) fn refuse(&mut self, error: FrameError, bytes: &[u8]) {
        self.stats.count(&error);
        self.rejects.record(self.endpoint, error, bytes);
        self.sink.rejected(self.endpoint, &error, bytes);
    }
}
