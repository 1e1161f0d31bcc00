//! Counting and keeping rejected messages.
//!
//! Every rejected message is counted under its [`RejectReason`] and its raw bytes are copied into
//! a bounded ring of the most recent rejects ([`RejectStore`]). The ring's buffers are allocated
//! up front, so keeping a reject never allocates; when full, the oldest reject is overwritten,
//! and a message longer than a slot is kept truncated (its full length is recorded).

use recal_types::{Source, Timestamp};

/// Why a message was rejected (or, for [`RejectReason::SequenceGap`], flagged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RejectReason {
    /// [`DecodeError::Oversized`](crate::DecodeError::Oversized).
    Oversized,
    /// [`DecodeError::MalformedJson`](crate::DecodeError::MalformedJson).
    MalformedJson,
    /// [`DecodeError::UnsupportedMessage`](crate::DecodeError::UnsupportedMessage).
    UnsupportedMessage,
    /// [`DecodeError::MissingField`](crate::DecodeError::MissingField).
    MissingField,
    /// [`DecodeError::WrongType`](crate::DecodeError::WrongType).
    WrongType,
    /// [`DecodeError::InvalidNumber`](crate::DecodeError::InvalidNumber).
    InvalidNumber,
    /// [`DecodeError::NonPositivePrice`](crate::DecodeError::NonPositivePrice).
    NonPositivePrice,
    /// [`DecodeError::InvalidSize`](crate::DecodeError::InvalidSize).
    InvalidSize,
    /// [`DecodeError::ImpliedVolatilityOutOfRange`](crate::DecodeError::ImpliedVolatilityOutOfRange).
    ImpliedVolatilityOutOfRange,
    /// [`DecodeError::TimestampOutOfRange`](crate::DecodeError::TimestampOutOfRange).
    TimestampOutOfRange,
    /// [`DecodeError::TimestampInFuture`](crate::DecodeError::TimestampInFuture).
    TimestampInFuture,
    /// [`DecodeError::TimestampOutOfOrder`](crate::DecodeError::TimestampOutOfOrder).
    TimestampOutOfOrder,
    /// [`DecodeError::UnknownInstrument`](crate::DecodeError::UnknownInstrument).
    UnknownInstrument,
    /// [`DecodeError::BadInstrumentName`](crate::DecodeError::BadInstrumentName).
    BadInstrumentName,
    /// [`DecodeError::BookStale`](crate::DecodeError::BookStale).
    BookStale,
    /// [`DecodeError::SequenceRegression`](crate::DecodeError::SequenceRegression).
    SequenceRegression,
    /// A sequence gap: the message was turned into a [`FeedGap`](recal_types::FeedGap) event.
    SequenceGap,
}

impl RejectReason {
    /// Number of reasons.
    pub const COUNT: usize = 17;

    /// Every reason, in counter order.
    pub const ALL: [Self; Self::COUNT] = [
        Self::Oversized,
        Self::MalformedJson,
        Self::UnsupportedMessage,
        Self::MissingField,
        Self::WrongType,
        Self::InvalidNumber,
        Self::NonPositivePrice,
        Self::InvalidSize,
        Self::ImpliedVolatilityOutOfRange,
        Self::TimestampOutOfRange,
        Self::TimestampInFuture,
        Self::TimestampOutOfOrder,
        Self::UnknownInstrument,
        Self::BadInstrumentName,
        Self::BookStale,
        Self::SequenceRegression,
        Self::SequenceGap,
    ];

    /// Position in [`RejectReason::ALL`].
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Rejects counted per reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RejectCounters([u64; RejectReason::COUNT]);

impl RejectCounters {
    /// How many messages were rejected for `reason`.
    #[must_use]
    pub const fn get(&self, reason: RejectReason) -> u64 {
        self.0[reason.index()]
    }

    /// Rejects over all reasons.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    fn increment(&mut self, reason: RejectReason) {
        let count = &mut self.0[reason.index()];
        *count = count.saturating_add(1);
    }
}

/// One kept reject.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// Why.
    pub reason: RejectReason,
    /// Which decoder saw it.
    pub source: Source,
    /// When it was received.
    pub receive_time: Timestamp,
    /// Length of the whole message (the kept bytes may be a prefix).
    pub len: usize,
    bytes: Vec<u8>,
}

impl Rejected {
    /// The kept bytes: the whole message, or its first slot-size bytes if it was longer.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// A bounded ring of the most recent rejects plus counters over all of them.
#[derive(Debug, Clone)]
pub struct RejectStore {
    slots: Vec<Rejected>,
    slot_bytes: usize,
    next: usize,
    kept: usize,
    counters: RejectCounters,
}

impl RejectStore {
    /// A store keeping the last `capacity` rejects, each up to `slot_bytes` bytes; all memory
    /// is allocated here.
    #[must_use]
    pub fn new(capacity: usize, slot_bytes: usize) -> Self {
        let slots = (0..capacity)
            .map(|_| Rejected {
                reason: RejectReason::MalformedJson,
                source: Source::Recal,
                receive_time: Timestamp::default(),
                len: 0,
                bytes: Vec::with_capacity(slot_bytes),
            })
            .collect();
        Self {
            slots,
            slot_bytes,
            next: 0,
            kept: 0,
            counters: RejectCounters::default(),
        }
    }

    /// Counts a reject and keeps (a prefix of) its bytes, overwriting the oldest when full.
    pub fn record(
        &mut self,
        reason: RejectReason,
        source: Source,
        receive_time: Timestamp,
        bytes: &[u8],
    ) {
        self.counters.increment(reason);
        let capacity = self.slots.len();
        let Some(slot) = self.slots.get_mut(self.next) else {
            return;
        };
        slot.reason = reason;
        slot.source = source;
        slot.receive_time = receive_time;
        slot.len = bytes.len();
        slot.bytes.clear();
        slot.bytes
            .extend_from_slice(&bytes[..bytes.len().min(self.slot_bytes)]);
        self.next = (self.next + 1) % capacity;
        self.kept = (self.kept + 1).min(capacity);
    }

    /// Counts per reason, over every reject since construction.
    #[must_use]
    pub const fn counters(&self) -> &RejectCounters {
        &self.counters
    }

    /// The kept rejects, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Rejected> {
        let capacity = self.slots.len();
        let oldest = (self.next + capacity - self.kept) % capacity.max(1);
        (0..self.kept).map(move |offset| &self.slots[(oldest + offset) % capacity])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_most_recent_and_counts_all() {
        let mut store = RejectStore::new(2, 4);
        for (index, bytes) in [&b"a"[..], b"bb", b"cccccc"].into_iter().enumerate() {
            let reason = RejectReason::ALL[index];
            store.record(reason, Source::Deribit, Timestamp::from_nanos(1), bytes);
        }
        let kept: Vec<_> = store
            .iter()
            .map(|r| (r.reason, r.bytes().to_vec(), r.len))
            .collect();
        assert_eq!(
            kept,
            vec![
                (RejectReason::MalformedJson, b"bb".to_vec(), 2),
                (RejectReason::UnsupportedMessage, b"cccc".to_vec(), 6),
            ]
        );
        assert_eq!(store.counters().total(), 3);
        assert_eq!(store.counters().get(RejectReason::Oversized), 1);
        for (index, reason) in RejectReason::ALL.iter().enumerate() {
            assert_eq!(reason.index(), index);
        }
    }

    #[test]
    fn zero_capacity_only_counts() {
        let mut store = RejectStore::new(0, 4);
        store.record(
            RejectReason::BookStale,
            Source::Deribit,
            Timestamp::default(),
            b"x",
        );
        assert_eq!(store.iter().count(), 0);
        assert_eq!(store.counters().get(RejectReason::BookStale), 1);
    }
}
