//! The decoder: one entry point for every source.

use recal_types::{Event, Source, Timestamp};

use crate::context::{Context, EventClock};
use crate::json::JsonParser;
use crate::rejects::{RejectReason, RejectStore};
use crate::sequence::BookSequences;
use crate::{
    DecodeError, Instruments, UnknownInstrumentPolicy, binance, deribit, pyth, recal_schema,
};

/// Limits and policies of a [`Decoder`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecoderConfig {
    /// Longest message accepted, in bytes (default 64 KiB); longer ones are rejected unparsed.
    pub max_message_len: usize,
    /// How far an event time may be ahead of the receive time, in nanoseconds (default 5 s);
    /// `None` disables the check (for example when replaying without receive times).
    pub max_future_skew_ns: Option<u64>,
    /// Largest implied volatility accepted, as a fraction (default 10 = 1000 %).
    pub max_implied_volatility: f64,
    /// What to do with instrument names not in the table.
    pub unknown_instruments: UnknownInstrumentPolicy,
    /// How many recent rejects to keep (default 64); every reject is counted regardless.
    pub reject_capacity: usize,
    /// How many bytes of each kept reject to keep (default 4 KiB); the rest is cut.
    pub reject_bytes: usize,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        Self {
            max_message_len: 64 * 1024,
            max_future_skew_ns: Some(5_000_000_000),
            max_implied_volatility: 10.0,
            unknown_instruments: UnknownInstrumentPolicy::AutoRegister,
            reject_capacity: 64,
            reject_bytes: 4 * 1024,
        }
    }
}

/// Decodes messages of every [`Source`] into [`Event`]s.
///
/// State kept across messages: the instrument table, the parser's buffers, the last event
/// time per instrument and kind (out-of-order check), book sequence continuity, and the
/// rejects. All of it grows only when a new instrument or a larger message than ever before is
/// seen, so steady-state decoding does not allocate.
///
/// It takes any bytes without panicking: the cargo-fuzz targets under `fuzz/` (one per
/// decoder) check that, and the soundness of what it accepts.
pub struct Decoder {
    config: DecoderConfig,
    parser: JsonParser,
    instruments: Instruments,
    clock: EventClock,
    books: BookSequences,
    rejects: RejectStore,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Decoder")
            .field("config", &self.config)
            .field("instruments", &self.instruments.len())
            .field("rejects", self.rejects.counters())
            .finish_non_exhaustive()
    }
}

impl Decoder {
    /// A decoder with an empty instrument table.
    #[must_use]
    pub fn new(config: DecoderConfig) -> Self {
        Self {
            parser: JsonParser::with_capacity(config.max_message_len.min(16 * 1024)),
            instruments: Instruments::new(config.unknown_instruments),
            clock: EventClock::default(),
            books: BookSequences::default(),
            rejects: RejectStore::new(config.reject_capacity, config.reject_bytes),
            config,
        }
    }

    /// Decodes one message from `source`, received at `receive_time`, appending its events to
    /// `out` and returning how many it appended (0 for control messages such as subscription
    /// responses and heartbeats).
    ///
    /// A message is all or nothing: on error nothing is appended, the error is counted and the
    /// bytes are kept in [`Decoder::rejects`]. A sequence gap is not an error: it appends a
    /// [`FeedGap`](recal_types::FeedGap) event and is counted (and kept) as
    /// [`RejectReason::SequenceGap`].
    ///
    /// # Errors
    /// A [`DecodeError`] saying why the message was rejected.
    pub fn decode(
        &mut self,
        source: Source,
        bytes: &[u8],
        receive_time: Timestamp,
        out: &mut Vec<Event>,
    ) -> Result<usize, DecodeError> {
        let start = out.len();
        match self.decode_message(source, bytes, receive_time, out) {
            Ok(gap) => {
                self.clock.advance(&out[start..]);
                if gap {
                    self.rejects
                        .record(RejectReason::SequenceGap, source, receive_time, bytes);
                }
                Ok(out.len() - start)
            }
            Err(error) => {
                out.truncate(start);
                self.rejects
                    .record(error.reason(), source, receive_time, bytes);
                Err(error)
            }
        }
    }

    /// Decodes; returns whether a gap was seen.
    fn decode_message(
        &mut self,
        source: Source,
        bytes: &[u8],
        receive_time: Timestamp,
        out: &mut Vec<Event>,
    ) -> Result<bool, DecodeError> {
        if bytes.len() > self.config.max_message_len {
            return Err(DecodeError::Oversized {
                len: bytes.len(),
                max: self.config.max_message_len,
            });
        }
        self.parser.parse(bytes, |root| {
            let mut ctx = Context {
                source,
                receive_time,
                config: &self.config,
                instruments: &mut self.instruments,
                books: &mut self.books,
                clock: &self.clock,
                out,
                gap: false,
            };
            match source {
                Source::Deribit => deribit::decode(&mut ctx, root),
                Source::BinanceSpot | Source::BinanceUsdmFutures | Source::BinanceCoinmFutures => {
                    binance::decode(&mut ctx, root)
                }
                Source::Pyth => pyth::decode(&mut ctx, root),
                Source::Recal => recal_schema::decode(&mut ctx, root),
            }?;
            Ok(ctx.gap)
        })
    }

    /// The instrument table.
    #[must_use]
    pub const fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    /// The instrument table, to pre-register names (required under
    /// [`UnknownInstrumentPolicy::Reject`]).
    pub const fn instruments_mut(&mut self) -> &mut Instruments {
        &mut self.instruments
    }

    /// Reject counters and the most recent rejected messages.
    #[must_use]
    pub const fn rejects(&self) -> &RejectStore {
        &self.rejects
    }

    /// The configuration.
    #[must_use]
    pub const fn config(&self) -> &DecoderConfig {
        &self.config
    }
}
