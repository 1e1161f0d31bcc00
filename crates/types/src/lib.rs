//! Shared vocabulary of recal: identifiers, event time, the integer risk-parameter set and the
//! causes that make the engine emit a proposal.
//!
//! This crate is pure data. Every value that reaches the wire or the guardrail path is an integer
//! with a documented unit, so that replays and signatures are bit-for-bit reproducible (see
//! `DESIGN.md`, "Determinism").

mod event;
mod ids;
mod instrument;
mod parameters;
mod time;
mod trigger;

pub use event::{
    Aggressor, Balance, BestBidOffer, BookLevel, CollateralChange, EVENT_SIZE, Event, EventHeader,
    EventKind, FeedGap, FundingMark, InvalidEvent, MacroValue, OpenInterest, OptionGreeks,
    OptionQuote, Payload, PositionChange, Price, Side, Trade,
};
pub use ids::{MarketId, Nonce};
pub use instrument::{
    InstrumentDescriptor, InstrumentId, InstrumentKind, OptionRight, Settlement, Source,
};
pub use parameters::{
    MoneynessBucket, PPM_SCALE, ParameterId, ParameterSet, SafeDirection, ValueOutOfRange,
};
pub use time::Timestamp;
pub use trigger::{TriggerCause, UnknownTriggerCause};
