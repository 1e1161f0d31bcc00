//! Stage 1 of recal: raw feed bytes to fixed-size [`Event`](recal_types::Event)s.
//!
//! A [`Decoder`] takes one message at a time (Deribit JSON-RPC notifications, Binance stream
//! events, Pyth price updates, protocol state and macro series in the recal schema), parses it
//! with its own JSON scanner into a reused tape (values converted only when read), interns
//! instrument names into dense ids ([`Instruments`]), validates every field and appends the events to a caller-owned `Vec`.
//! A bad message yields a typed [`DecodeError`], is counted under its [`RejectReason`] and kept
//! in a bounded [`RejectStore`]; it never panics and never emits a NaN or infinite value.
//!
//! ```
//! use recal_feed::{Decoder, DecoderConfig};
//! use recal_types::{Payload, Source, Timestamp};
//!
//! let mut decoder = Decoder::new(DecoderConfig::default());
//! let mut events = Vec::new();
//! let message = br#"{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"16500.10","q":"0.002","T":1672515782136,"m":true,"M":true}"#;
//! let received = Timestamp::from_nanos(1_672_515_782_200_000_000);
//! decoder.decode(Source::BinanceSpot, message, received, &mut events).unwrap();
//! let Ok(Payload::Trade(trade)) = events[0].payload() else { panic!() };
//! assert_eq!(trade.price, 16500.10);
//! assert!(decoder.decode(Source::BinanceSpot, b"{oops", received, &mut events).is_err());
//! assert_eq!(decoder.rejects().counters().total(), 1);
//! ```

mod binance;
mod context;
pub mod decimal;
mod decoder;
mod deribit;
mod error;
mod instruments;
mod json;
mod pyth;
mod recal_schema;
mod rejects;
mod sequence;

pub use decoder::{Decoder, DecoderConfig};
pub use error::DecodeError;
pub use instruments::{InstrumentError, Instruments, NameRole, UnknownInstrumentPolicy};
pub use rejects::{RejectCounters, RejectReason, RejectStore, Rejected};
