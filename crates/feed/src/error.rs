//! Why a message was rejected.

use recal_types::InvalidEvent;

use crate::instruments::InstrumentError;
use crate::rejects::RejectReason;

/// A message that produced no events. Every variant maps to one [`RejectReason`]
/// ([`DecodeError::reason`]); field names are the venue's JSON keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The message is longer than [`DecoderConfig::max_message_len`](crate::DecoderConfig).
    #[error("message of {len} bytes exceeds the limit of {max}")]
    Oversized {
        /// Length of the message.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// Not valid JSON (RFC 8259): bad syntax, invalid UTF-8, a lone surrogate escape, or
    /// nesting deeper than 128.
    #[error("malformed JSON")]
    MalformedJson,
    /// Valid JSON that is not a message this decoder knows (unknown channel or event type).
    #[error("unsupported message")]
    UnsupportedMessage,
    /// A required field is absent or null.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A field has the wrong JSON type.
    #[error("field `{0}` has the wrong type")]
    WrongType(&'static str),
    /// A numeric field is not a finite decimal number.
    #[error("field `{0}` is not a finite decimal number")]
    InvalidNumber(&'static str),
    /// A price is zero or negative.
    #[error("price `{0}` is not positive")]
    NonPositivePrice(&'static str),
    /// A size, amount or open interest is negative (or zero where a trade needs a size).
    #[error("size `{0}` is negative or zero where it must be positive")]
    InvalidSize(&'static str),
    /// An implied volatility is outside `(0, max_implied_volatility]`.
    #[error("implied volatility `{0}` out of range")]
    ImpliedVolatilityOutOfRange(&'static str),
    /// A timestamp does not fit nanoseconds since the epoch in a `u64`.
    #[error("timestamp `{0}` out of range")]
    TimestampOutOfRange(&'static str),
    /// The event time is further ahead of the receive time than the configured skew.
    #[error("event time too far ahead of receive time")]
    TimestampInFuture,
    /// The event time is earlier than the last accepted event of the same instrument and kind.
    #[error("event time earlier than the previous event of the same stream")]
    TimestampOutOfOrder,
    /// The instrument is not in the symbol table and the policy is to reject.
    #[error("unknown instrument")]
    UnknownInstrument,
    /// The instrument name cannot be parsed for its source.
    #[error("instrument name cannot be parsed")]
    BadInstrumentName,
    /// A book change arrived while the book is stale (after a gap, before the next snapshot).
    #[error("book is stale until the next snapshot")]
    BookStale,
    /// A sequence number at or before one already applied (duplicate or replayed update).
    #[error("sequence number went backwards")]
    SequenceRegression,
    /// The event could not be built (a non-finite value slipped past the field checks).
    #[error(transparent)]
    InvalidEvent(#[from] InvalidEvent),
}

impl DecodeError {
    /// The counter this error is tallied under.
    #[must_use]
    pub const fn reason(&self) -> RejectReason {
        match self {
            Self::Oversized { .. } => RejectReason::Oversized,
            Self::MalformedJson => RejectReason::MalformedJson,
            Self::UnsupportedMessage => RejectReason::UnsupportedMessage,
            Self::MissingField(_) => RejectReason::MissingField,
            Self::WrongType(_) => RejectReason::WrongType,
            Self::InvalidNumber(_) | Self::InvalidEvent(_) => RejectReason::InvalidNumber,
            Self::NonPositivePrice(_) => RejectReason::NonPositivePrice,
            Self::InvalidSize(_) => RejectReason::InvalidSize,
            Self::ImpliedVolatilityOutOfRange(_) => RejectReason::ImpliedVolatilityOutOfRange,
            Self::TimestampOutOfRange(_) => RejectReason::TimestampOutOfRange,
            Self::TimestampInFuture => RejectReason::TimestampInFuture,
            Self::TimestampOutOfOrder => RejectReason::TimestampOutOfOrder,
            Self::UnknownInstrument => RejectReason::UnknownInstrument,
            Self::BadInstrumentName => RejectReason::BadInstrumentName,
            Self::BookStale => RejectReason::BookStale,
            Self::SequenceRegression => RejectReason::SequenceRegression,
        }
    }
}

impl From<InstrumentError> for DecodeError {
    fn from(error: InstrumentError) -> Self {
        match error {
            InstrumentError::Unknown => Self::UnknownInstrument,
            InstrumentError::BadName | InstrumentError::TableFull => Self::BadInstrumentName,
        }
    }
}
