//! What crosses a ring between two stage threads, and the sending end that applies
//! backpressure.
//!
//! Every ring carries [`Envelope`]s: the message of the boundary ([`Hop::Item`]) or a
//! [`Control`] message, stamped with the latency clock when sent so the receiving thread can
//! measure queueing time. Controls travel in-band, in order: the inputs digest after each raw
//! message, so stage 5 signs each proposal with the digest of exactly the inputs that preceded
//! it whatever thread decoded them, and a latency reset that every thread applies at the same
//! point of the stream.

use std::collections::VecDeque;
use std::sync::mpsc::{self, SyncSender, TrySendError};

use recal_emit::InputsDigest;
use recal_ring::{Consumer, PopError, Producer, TryPopError, TryPushError};
use recal_types::{Event, EventKind, Source, Timestamp};

use crate::message::{Estimated, MarketDecision, RiskSnapshot};

/// A message for the threads themselves, passed along the whole pipeline in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// The inputs digest after the raw message whose items follow.
    Digest(InputsDigest),
    /// Forget the latency samples recorded so far (e.g. after a benchmark's warm-up).
    ResetLatency,
}

/// One message on a ring between stage threads.
#[derive(Debug, Clone)]
pub enum Hop<T> {
    /// The boundary's message.
    Item(T),
    /// A control message.
    Control(Control),
}

/// A [`Hop`] with the latency-clock time it was sent at.
#[derive(Debug, Clone)]
pub struct Envelope<T> {
    /// Latency clock when pushed (ns since the Unix epoch).
    pub sent_ns: u64,
    /// The message.
    pub hop: Hop<T>,
}

/// Bytes of a raw message stored in the ring slot itself; longer messages are boxed.
pub const INLINE_BYTES: usize = 1_008;

/// A raw message's bytes, owned: inline up to [`INLINE_BYTES`], boxed above (counted as a
/// large input by the feeder).
#[derive(Debug, Clone)]
// The inline variant is the point: a ring slot holds a typical message without an allocation.
#[allow(clippy::large_enum_variant)]
pub enum OwnedBytes {
    /// Short message, stored in place.
    Inline {
        /// Valid bytes at the start of `bytes`.
        len: u16,
        /// The storage.
        bytes: [u8; INLINE_BYTES],
    },
    /// Long message, on the heap.
    Boxed(Box<[u8]>),
}

impl OwnedBytes {
    /// Copies `bytes`.
    #[must_use]
    pub fn copy_of(bytes: &[u8]) -> Self {
        match u16::try_from(bytes.len()) {
            Ok(len) if bytes.len() <= INLINE_BYTES => {
                let mut inline = [0; INLINE_BYTES];
                inline[..bytes.len()].copy_from_slice(bytes);
                Self::Inline { len, bytes: inline }
            }
            _ => Self::Boxed(bytes.into()),
        }
    }

    /// The bytes.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Self::Boxed(bytes) => bytes,
        }
    }
}

/// What the caller feeds into stage 1.
#[derive(Debug, Clone)]
// Slots of the first ring hold raw messages in place (see `OwnedBytes`).
#[allow(clippy::large_enum_variant)]
pub enum Input {
    /// A raw message from `source`, received at `receive_time`.
    Raw {
        /// Who sent it.
        source: Source,
        /// When it was received (latency clock).
        receive_time: Timestamp,
        /// The bytes, verbatim.
        bytes: OwnedBytes,
    },
    /// An event already decoded by the caller (it skips stage 1).
    Event(Event),
}

/// Which messages may be conflated when a ring is full: market data, keyed so that only an
/// older value of the same quantity is replaced. State (positions, collateral, fund, open
/// interest), book deltas, gaps and decisions have no key and are never dropped.
pub trait Conflate {
    /// The key whose latest value wins, or `None` when every message must arrive.
    fn conflation_key(&self) -> Option<u64>;
}

impl Conflate for Input {
    fn conflation_key(&self) -> Option<u64> {
        None
    }
}

impl Conflate for Event {
    fn conflation_key(&self) -> Option<u64> {
        let replaceable = matches!(
            self.kind(),
            Ok(EventKind::SpotPrice
                | EventKind::IndexPrice
                | EventKind::OraclePrice
                | EventKind::OptionQuote
                | EventKind::OptionGreeks
                | EventKind::Trade
                | EventKind::BestBidOffer
                | EventKind::FundingMark
                | EventKind::MacroValue)
        );
        replaceable.then(|| {
            let kind = self.kind().map_or(0, |kind| kind as u64);
            (u64::from(self.instrument().0) << 8) | kind
        })
    }
}

impl Conflate for Estimated {
    fn conflation_key(&self) -> Option<u64> {
        match self {
            Self::Estimate(update) => Some(u64::from(update.instrument.0)),
            // Tagged in the top bits so the three kinds of update never share a key.
            Self::ImpliedVol(update) => Some((1 << 62) | u64::from(update.instrument.0)),
            Self::Surface(update) => Some(
                (2 << 62)
                    | (u64::from(update.underlying.0) << 32)
                    | ((update.expiry.as_nanos() / 1_000_000_000) & 0xffff_ffff),
            ),
            Self::Event(event) => event.conflation_key(),
        }
    }
}

impl Conflate for RiskSnapshot {
    fn conflation_key(&self) -> Option<u64> {
        Some(u64::from(self.market.0))
    }
}

impl Conflate for MarketDecision {
    fn conflation_key(&self) -> Option<u64> {
        None
    }
}

/// What a sending thread does when the ring ahead is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backpressure {
    /// Wait for room: nothing is dropped and a run is deterministic (replays compare byte for
    /// byte). The default.
    #[default]
    Block,
    /// Keep market data in a side queue where a newer value of the same key replaces the
    /// older one (counted as a conflation); state still waits for room, in order.
    Conflate,
}

/// Pending messages beyond which a conflating outbox waits for room anyway: state events are
/// never dropped, so they must not pile up without bound either.
const MAX_PENDING: usize = 1 << 16;

/// What joins two stage threads: a `recal-ring` SPSC ring, or — as the peer the benchmarks
/// compare against — a bounded `std::sync::mpsc` channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Channel {
    /// `recal-ring` (the engine's).
    #[default]
    Ring,
    /// `std::sync::mpsc::sync_channel` (the benchmark peer).
    Mpsc,
}

/// The sending end of a [`Channel`].
#[derive(Debug)]
pub enum Sender<T> {
    /// A ring's producer.
    Ring(Producer<T>),
    /// A bounded mpsc channel's sender.
    Mpsc(SyncSender<T>),
}

/// The receiving end of a [`Channel`].
#[derive(Debug)]
pub enum Receiver<T> {
    /// A ring's consumer.
    Ring(Consumer<T>),
    /// A bounded mpsc channel's receiver.
    Mpsc(mpsc::Receiver<T>),
}

/// A channel of `kind` holding `capacity` messages, whose ring ends wait with `wait`.
///
/// # Errors
/// The capacity back when a ring cannot have it (zero or not a power of two).
pub fn channel<T>(
    kind: Channel,
    capacity: usize,
    wait: recal_ring::WaitStrategy,
) -> Result<(Sender<T>, Receiver<T>), usize> {
    match kind {
        Channel::Ring => recal_ring::ring(capacity, wait)
            .map(|(tx, rx)| (Sender::Ring(tx), Receiver::Ring(rx)))
            .map_err(|_| capacity),
        Channel::Mpsc => {
            let (tx, rx) = mpsc::sync_channel(capacity);
            Ok((Sender::Mpsc(tx), Receiver::Mpsc(rx)))
        }
    }
}

impl<T> Sender<T> {
    /// Sends if there is room; never waits.
    ///
    /// # Errors
    /// The item back, with whether the channel was full or the receiver is gone.
    pub fn try_push(&mut self, item: T) -> Result<(), TryPushError<T>> {
        match self {
            Self::Ring(producer) => producer.try_push(item),
            Self::Mpsc(sender) => sender.try_send(item).map_err(|error| match error {
                TrySendError::Full(item) => TryPushError::Full(item),
                TrySendError::Disconnected(item) => TryPushError::Disconnected(item),
            }),
        }
    }

    /// Sends, waiting while the channel is full.
    ///
    /// # Errors
    /// The item back when the receiver is gone.
    pub fn push(&mut self, item: T) -> Result<(), T> {
        match self {
            Self::Ring(producer) => producer.push(item).map_err(|error| error.0),
            Self::Mpsc(sender) => sender.send(item).map_err(|error| error.0),
        }
    }
}

impl<T> Receiver<T> {
    /// Receives if a message waits; never waits.
    ///
    /// # Errors
    /// Whether the channel is empty or the sender is gone (and the channel drained).
    pub fn try_pop(&mut self) -> Result<T, TryPopError> {
        match self {
            Self::Ring(consumer) => consumer.try_pop(),
            Self::Mpsc(receiver) => receiver.try_recv().map_err(|error| match error {
                mpsc::TryRecvError::Empty => TryPopError::Empty,
                mpsc::TryRecvError::Disconnected => TryPopError::Disconnected,
            }),
        }
    }

    /// Receives, waiting while the channel is empty.
    ///
    /// # Errors
    /// [`PopError`] once the sender is gone and the channel drained.
    pub fn pop(&mut self) -> Result<T, PopError> {
        match self {
            Self::Ring(consumer) => consumer.pop(),
            Self::Mpsc(receiver) => receiver.recv().map_err(|_| PopError),
        }
    }
}

/// The downstream thread is gone (it stopped or panicked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disconnected;

/// The sending end of a ring, with the backpressure policy applied.
#[derive(Debug)]
pub struct Outbox<T> {
    producer: Sender<Envelope<T>>,
    pending: VecDeque<Envelope<T>>,
    backpressure: Backpressure,
    conflated: u64,
}

impl<T: Conflate> Outbox<T> {
    /// Wraps the sending end of a channel.
    #[must_use]
    pub fn new(producer: Sender<Envelope<T>>, backpressure: Backpressure) -> Self {
        Self {
            producer,
            pending: VecDeque::new(),
            backpressure,
            conflated: 0,
        }
    }

    /// Messages replaced by a newer one of the same key.
    #[must_use]
    pub const fn conflated(&self) -> u64 {
        self.conflated
    }

    /// Whether messages wait for room.
    #[must_use]
    #[cfg(test)]
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Sends `envelope`: straight into the ring when it has room and nothing waits before it;
    /// otherwise per the backpressure policy.
    ///
    /// # Errors
    /// [`Disconnected`] when the receiving thread is gone.
    pub fn send(&mut self, envelope: Envelope<T>) -> Result<(), Disconnected> {
        if self.pending.is_empty() {
            match self.producer.try_push(envelope) {
                Ok(()) => return Ok(()),
                Err(TryPushError::Disconnected(_)) => return Err(Disconnected),
                Err(TryPushError::Full(envelope)) => self.pending.push_back(envelope),
            }
        } else {
            self.queue(envelope);
        }
        match self.backpressure {
            Backpressure::Block => self.flush_all(),
            Backpressure::Conflate if self.pending.len() >= MAX_PENDING => self.flush_all(),
            Backpressure::Conflate => self.flush().map(drop),
        }
    }

    /// Moves waiting messages into the ring while it has room; returns whether all went.
    ///
    /// # Errors
    /// [`Disconnected`] when the receiving thread is gone.
    pub fn flush(&mut self) -> Result<bool, Disconnected> {
        while let Some(envelope) = self.pending.pop_front() {
            match self.producer.try_push(envelope) {
                Ok(()) => {}
                Err(TryPushError::Disconnected(_)) => return Err(Disconnected),
                Err(TryPushError::Full(envelope)) => {
                    self.pending.push_front(envelope);
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Waits until every waiting message is in the ring.
    ///
    /// # Errors
    /// [`Disconnected`] when the receiving thread is gone.
    pub fn flush_all(&mut self) -> Result<(), Disconnected> {
        while let Some(envelope) = self.pending.pop_front() {
            if self.producer.push(envelope).is_err() {
                return Err(Disconnected);
            }
        }
        Ok(())
    }

    /// Queues `envelope` behind the waiting ones. A conflatable message replaces a waiting one
    /// of the same key (latest wins, in the older one's place); a digest replaces a digest at
    /// the tail (no message between them, so none is signed with the wrong one).
    fn queue(&mut self, envelope: Envelope<T>) {
        if self.backpressure == Backpressure::Conflate {
            let replaced = match &envelope.hop {
                Hop::Item(item) => item.conflation_key().and_then(|key| {
                    self.pending.iter().position(|waiting| match &waiting.hop {
                        Hop::Item(other) => other.conflation_key() == Some(key),
                        Hop::Control(_) => false,
                    })
                }),
                Hop::Control(Control::Digest(_)) => self
                    .pending
                    .back()
                    .is_some_and(|tail| matches!(tail.hop, Hop::Control(Control::Digest(_))))
                    .then(|| self.pending.len() - 1),
                Hop::Control(Control::ResetLatency) => None,
            };
            if let Some(index) = replaced {
                self.pending[index] = envelope;
                self.conflated += 1;
                return;
            }
        }
        self.pending.push_back(envelope);
    }
}

#[cfg(test)]
mod tests {
    use recal_ring::{WaitStrategy, ring};
    use recal_types::{Aggressor, Balance, EventHeader, InstrumentId, Payload, Trade};

    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Print {
        key: Option<u64>,
        value: u32,
    }

    impl Conflate for Print {
        fn conflation_key(&self) -> Option<u64> {
            self.key
        }
    }

    fn item(key: Option<u64>, value: u32) -> Envelope<Print> {
        Envelope {
            sent_ns: 0,
            hop: Hop::Item(Print { key, value }),
        }
    }

    fn values(consumer: &mut recal_ring::Consumer<Envelope<Print>>) -> Vec<u32> {
        std::iter::from_fn(|| consumer.try_pop().ok())
            .filter_map(|envelope| match envelope.hop {
                Hop::Item(print) => Some(print.value),
                Hop::Control(_) => None,
            })
            .collect()
    }

    #[test]
    fn conflation_keeps_the_latest_value_per_key_and_every_state_message() {
        let (producer, mut consumer) = ring(2, WaitStrategy::BusySpin).unwrap();
        let mut outbox = Outbox::new(Sender::Ring(producer), Backpressure::Conflate);
        // Two fill the ring; the rest wait: key 1 three times, then state 10 and 11.
        for (key, value) in [(Some(9), 1), (Some(9), 2), (Some(1), 3), (None, 10)] {
            outbox.send(item(key, value)).unwrap();
        }
        outbox.send(item(Some(1), 4)).unwrap();
        outbox.send(item(Some(1), 5)).unwrap();
        outbox.send(item(None, 11)).unwrap();
        assert_eq!(outbox.conflated(), 2);
        assert!(outbox.has_pending());
        let mut seen = values(&mut consumer);
        while outbox.has_pending() {
            outbox.flush().unwrap();
            seen.extend(values(&mut consumer));
        }
        assert_eq!(seen, [1, 2, 5, 10, 11]);
    }

    #[test]
    fn blocking_outbox_delivers_everything_in_order() {
        let (producer, mut consumer) = ring::<Envelope<Print>>(2, WaitStrategy::Yield).unwrap();
        let reader = std::thread::spawn(move || {
            let mut seen = Vec::new();
            while let Ok(envelope) = consumer.pop() {
                if let Hop::Item(print) = envelope.hop {
                    seen.push(print.value);
                }
            }
            seen
        });
        let mut outbox = Outbox::new(Sender::Ring(producer), Backpressure::Block);
        for value in 0..1_000 {
            outbox.send(item(Some(1), value)).unwrap();
        }
        assert!(!outbox.has_pending());
        drop(outbox);
        assert_eq!(reader.join().unwrap(), (0..1_000).collect::<Vec<_>>());
    }

    #[test]
    fn a_gone_receiver_is_reported() {
        let (producer, consumer) = ring(2, WaitStrategy::BusySpin).unwrap();
        drop(consumer);
        let mut outbox = Outbox::new(Sender::Ring(producer), Backpressure::Block);
        // The ring notices a gone consumer when it is full (its fast path reads no flag).
        assert_eq!(outbox.send(item(None, 1)), Ok(()));
        assert_eq!(outbox.send(item(None, 2)), Ok(()));
        assert_eq!(outbox.send(item(None, 3)), Err(Disconnected));
    }

    #[test]
    fn market_data_is_keyed_and_state_is_not() {
        let event = |payload| {
            let time = Timestamp::from_nanos(1);
            let header = EventHeader {
                source: Source::BinanceSpot,
                instrument: InstrumentId(3),
                sequence: 1,
                source_time: time,
                receive_time: time,
            };
            Event::new(header, payload).unwrap()
        };
        let trade = event(Payload::Trade(Trade {
            price: 1.0,
            size: 1.0,
            aggressor: Aggressor::Buy,
        }));
        assert!(trade.conflation_key().is_some());
        let fund = event(Payload::InsuranceFund(Balance { amount: 5.0 }));
        assert_eq!(fund.conflation_key(), None);
    }
}
