//! What a venue decoder sees while it decodes one message.

use recal_types::{
    Event, EventHeader, EventKind, InstrumentId, InstrumentKind, Payload, Source, Timestamp,
};

use crate::json::Field;
use crate::sequence::BookSequences;
use crate::{DecodeError, DecoderConfig, Instruments, NameRole};

const NANOS_PER_MILLI: u64 = 1_000_000;

/// The last accepted event time per instrument and kind, for the out-of-order check.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventClock {
    last: Vec<[u64; EventKind::COUNT]>,
}

impl EventClock {
    fn last(&self, instrument: InstrumentId, kind: EventKind) -> u64 {
        usize::try_from(instrument.0)
            .ok()
            .and_then(|index| self.last.get(index))
            .map_or(0, |row| row[kind.index()])
    }

    /// Moves the clock past `events` (called once a whole message is accepted); grows the table
    /// only for a newly seen instrument.
    pub(crate) fn advance(&mut self, events: &[Event]) {
        for event in events {
            let (Ok(index), Ok(kind)) = (usize::try_from(event.instrument().0), event.kind())
            else {
                continue;
            };
            if index >= self.last.len() {
                self.last.resize(index + 1, [0; EventKind::COUNT]);
            }
            let last = &mut self.last[index][kind.index()];
            *last = (*last).max(event.source_time().as_nanos());
        }
    }
}

/// Kinds exempt from the out-of-order check: markers and gaps carry the time of the message
/// they belong to, not a new observation.
fn is_ordered(kind: EventKind) -> bool {
    !matches!(
        kind,
        EventKind::FeedGap | EventKind::BookSnapshotBegin | EventKind::BookSnapshotEnd
    )
}

/// Per-message decoding context: the source, the receive time, shared state, and the output.
pub(crate) struct Context<'a> {
    pub(crate) source: Source,
    pub(crate) receive_time: Timestamp,
    pub(crate) config: &'a DecoderConfig,
    pub(crate) instruments: &'a mut Instruments,
    pub(crate) books: &'a mut BookSequences,
    pub(crate) clock: &'a EventClock,
    pub(crate) out: &'a mut Vec<Event>,
    /// Set when the message revealed a sequence gap (and a gap event was emitted).
    pub(crate) gap: bool,
}

impl Context<'_> {
    /// The id of the instrument named by the string `name`.
    pub(crate) fn instrument_named(
        &mut self,
        name: Field<'_>,
        role: NameRole,
    ) -> Result<InstrumentId, DecodeError> {
        Ok(self
            .instruments
            .resolve(self.source, name.string()?, role)?)
    }

    /// What kind of instrument `instrument` is.
    pub(crate) fn kind_of(&self, instrument: InstrumentId) -> Option<InstrumentKind> {
        self.instruments
            .descriptor(instrument)
            .map(|descriptor| descriptor.kind)
    }

    /// The event time in milliseconds in `field`.
    pub(crate) fn millis(&self, field: Field<'_>) -> Result<Timestamp, DecodeError> {
        self.scaled_time(field.unsigned()?, NANOS_PER_MILLI, field.key())
    }

    /// The event time in seconds in `field`.
    pub(crate) fn seconds(&self, field: Field<'_>) -> Result<Timestamp, DecodeError> {
        self.scaled_time(field.unsigned()?, 1_000_000_000, field.key())
    }

    /// The event time in nanoseconds in `field`.
    pub(crate) fn nanos(&self, field: Field<'_>) -> Result<Timestamp, DecodeError> {
        self.scaled_time(field.unsigned()?, 1, field.key())
    }

    /// A millisecond timestamp that is not an event time (a next funding time): only its
    /// range is checked.
    pub(crate) fn millis_unchecked(
        value: u64,
        key: &'static str,
    ) -> Result<Timestamp, DecodeError> {
        value
            .checked_mul(NANOS_PER_MILLI)
            .map(Timestamp::from_nanos)
            .ok_or(DecodeError::TimestampOutOfRange(key))
    }

    fn scaled_time(
        &self,
        value: u64,
        nanos_per_unit: u64,
        key: &'static str,
    ) -> Result<Timestamp, DecodeError> {
        let time = value
            .checked_mul(nanos_per_unit)
            .map(Timestamp::from_nanos)
            .ok_or(DecodeError::TimestampOutOfRange(key))?;
        if let Some(skew) = self.config.max_future_skew_ns
            && time.as_nanos() > self.receive_time.as_nanos().saturating_add(skew)
        {
            return Err(DecodeError::TimestampInFuture);
        }
        Ok(time)
    }

    /// Appends one event, refusing one older than the last accepted event of its stream.
    /// Inlined so that each caller's payload variant folds into [`Event::new`].
    #[inline(always)]
    pub(crate) fn emit(
        &mut self,
        instrument: InstrumentId,
        sequence: u64,
        source_time: Timestamp,
        payload: Payload,
    ) -> Result<(), DecodeError> {
        let kind = payload.kind();
        if is_ordered(kind) && source_time.as_nanos() < self.clock.last(instrument, kind) {
            return Err(DecodeError::TimestampOutOfOrder);
        }
        let header = EventHeader {
            source: self.source,
            instrument,
            sequence,
            source_time,
            receive_time: self.receive_time,
        };
        self.out.push(Event::new(header, payload)?);
        Ok(())
    }
}
