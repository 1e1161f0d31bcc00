//! The fixed-size event that stage 1 (feed decode) hands to every later stage.
//!
//! An [`Event`] is 64 bytes of plain old data (`#[repr(C)]`, [`bytemuck::Pod`]), so it can be
//! written to a journal and read back by casting, and it fits one cache line. Its layout:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | kind ([`EventKind`] code, 0 is invalid) |
//! | 1 | 1 | flags: bits 0–3 say which of the four body slots hold a value, bit 4 is the side |
//! | 2 | 2 | source ([`Source`] code) |
//! | 4 | 4 | instrument ([`InstrumentId`]) |
//! | 8 | 8 | sequence (the venue's sequence number where it gives one, else 0) |
//! | 16 | 8 | source timestamp, ns since the Unix epoch (venue or oracle time) |
//! | 24 | 8 | receive timestamp, ns (for latency metrics only, see `DESIGN.md`) |
//! | 32 | 32 | body: four 8-byte slots, `f64` bits or `u64`, meaning set by the kind |
//!
//! There is no implicit padding (the `Pod` derive would refuse it): the flags byte sits where
//! `kind` would otherwise be padded up to the `u16` source. Multi-byte fields are in native byte
//! order (little-endian on every target recal builds for), as a journal written by casting expects.
//!
//! The typed view is [`Payload`]: [`Event::new`] encodes one, [`Event::payload`] decodes it.
//! Prices and sizes are `f64` in the venue's units, decoded from the venue's decimal text with a
//! correctly rounded conversion (so `"0.1"` is the `f64` nearest 0.1, never the result of a
//! lossy intermediate). [`Event::new`] refuses NaN and ±∞, so no event carries one.

use bytemuck::{Pod, Zeroable};

use crate::{InstrumentId, Source, Timestamp};

/// Size of an [`Event`] in bytes.
pub const EVENT_SIZE: usize = 64;

const _: () = assert!(size_of::<Event>() == EVENT_SIZE);
const _: () = assert!(align_of::<Event>() == 8);

/// Number of body slots.
const SLOTS: usize = 4;
/// Flag bit: the side is ask (book) or sell (trade aggressor).
const SIDE_BIT: u8 = 1 << 4;
/// Mask of the presence bits.
const PRESENCE_MASK: u8 = (1 << SLOTS) - 1;

/// A decoded market, oracle or protocol event: fixed size, `Copy`, plain old data.
///
/// ```
/// use recal_types::{Event, EventHeader, InstrumentId, Payload, Price, Source, Timestamp};
/// let header = EventHeader {
///     source: Source::Pyth,
///     instrument: InstrumentId(3),
///     sequence: 0,
///     source_time: Timestamp::from_nanos(1_000),
///     receive_time: Timestamp::from_nanos(2_000),
/// };
/// let payload = Payload::OraclePrice(Price { price: 61_409.935, confidence: Some(41.4), ema_price: None, ema_confidence: None });
/// let event = Event::new(header, payload).unwrap();
/// assert_eq!(event.payload(), Ok(payload));
/// assert_eq!(event.header(), Ok(header));
/// let bytes: &[u8] = bytemuck::bytes_of(&event);
/// assert_eq!(bytes.len(), 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
#[repr(C)]
pub struct Event {
    kind: u8,
    flags: u8,
    source: u16,
    instrument: u32,
    sequence: u64,
    source_time_ns: u64,
    receive_time_ns: u64,
    body: [u64; SLOTS],
}

/// The fields every event has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeader {
    /// Who produced it.
    pub source: Source,
    /// What it is about.
    pub instrument: InstrumentId,
    /// The venue's sequence number (Deribit `change_id` / `trade_seq`, Binance `u` / `t`), or 0
    /// when the message carries none.
    pub sequence: u64,
    /// Event time stamped by the venue or oracle; the only time logic reads. A message without
    /// one (Binance spot `bookTicker`) gets its receive time.
    pub source_time: Timestamp,
    /// When the bytes were received, for latency metrics only.
    pub receive_time: Timestamp,
}

/// Discriminant of an [`Event`]; codes are stable and 0 is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum EventKind {
    /// [`Payload::SpotPrice`].
    SpotPrice = 1,
    /// [`Payload::IndexPrice`].
    IndexPrice = 2,
    /// [`Payload::OraclePrice`].
    OraclePrice = 3,
    /// [`Payload::OptionQuote`].
    OptionQuote = 4,
    /// [`Payload::OptionGreeks`].
    OptionGreeks = 5,
    /// [`Payload::Trade`].
    Trade = 6,
    /// [`Payload::BestBidOffer`].
    BestBidOffer = 7,
    /// [`Payload::BookSnapshotBegin`].
    BookSnapshotBegin = 8,
    /// [`Payload::BookLevel`].
    BookLevel = 9,
    /// [`Payload::BookSnapshotEnd`].
    BookSnapshotEnd = 10,
    /// [`Payload::FundingMark`].
    FundingMark = 11,
    /// [`Payload::PositionChange`].
    PositionChange = 12,
    /// [`Payload::CollateralChange`].
    CollateralChange = 13,
    /// [`Payload::InsuranceFund`].
    InsuranceFund = 14,
    /// [`Payload::TotalCollateral`].
    TotalCollateral = 15,
    /// [`Payload::OpenInterest`].
    OpenInterest = 16,
    /// [`Payload::MacroValue`].
    MacroValue = 17,
    /// [`Payload::FeedGap`].
    FeedGap = 18,
}

impl EventKind {
    /// Number of kinds.
    pub const COUNT: usize = 18;

    /// Every kind, in code order.
    pub const ALL: [Self; Self::COUNT] = [
        Self::SpotPrice,
        Self::IndexPrice,
        Self::OraclePrice,
        Self::OptionQuote,
        Self::OptionGreeks,
        Self::Trade,
        Self::BestBidOffer,
        Self::BookSnapshotBegin,
        Self::BookLevel,
        Self::BookSnapshotEnd,
        Self::FundingMark,
        Self::PositionChange,
        Self::CollateralChange,
        Self::InsuranceFund,
        Self::TotalCollateral,
        Self::OpenInterest,
        Self::MacroValue,
        Self::FeedGap,
    ];

    /// The kind with code `code`, if any.
    #[must_use]
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }

    /// Zero-based position in [`EventKind::ALL`], for per-kind tables.
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize - 1
    }
}

/// Book side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Bids.
    Bid,
    /// Asks (offers).
    Ask,
}

/// The side that took liquidity in a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aggressor {
    /// The buyer crossed the spread.
    Buy,
    /// The seller crossed the spread.
    Sell,
}

/// A spot, index or oracle price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// The price (> 0).
    pub price: f64,
    /// Confidence interval half-width (≥ 0), where the source gives one (Pyth `conf`).
    pub confidence: Option<f64>,
    /// Exponentially weighted moving-average price (> 0), where given (Pyth `ema_price`).
    pub ema_price: Option<f64>,
    /// Confidence of the EMA price (≥ 0), where given.
    pub ema_confidence: Option<f64>,
}

/// An option's quote: implied volatilities and mark price.
///
/// A venue ticker carries more than one 64-byte event holds, so it is split into this and
/// [`OptionGreeks`], both with the same header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionQuote {
    /// Mark implied volatility as a fraction (0.55 = 55 %), 0 < iv ≤ the decoder's maximum.
    pub mark_iv: f64,
    /// Implied volatility of the best bid, when there is a bid.
    pub bid_iv: Option<f64>,
    /// Implied volatility of the best ask, when there is an ask.
    pub ask_iv: Option<f64>,
    /// Mark price in the venue's option-price unit (Deribit inverse options: base currency).
    pub mark_price: f64,
}

/// The second half of an option ticker: underlying, open interest and the venue's Greeks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionGreeks {
    /// Price of the option's underlying (the future or index it is priced off), > 0.
    pub underlying_price: f64,
    /// Open interest in contracts (≥ 0).
    pub open_interest: f64,
    /// The venue's delta, when published.
    pub delta: Option<f64>,
    /// The venue's vega, when published.
    pub vega: Option<f64>,
}

/// A print.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trade {
    /// Price (> 0).
    pub price: f64,
    /// Size in the venue's unit (> 0).
    pub size: f64,
    /// Who took liquidity.
    pub aggressor: Aggressor,
}

/// Top of book.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BestBidOffer {
    /// Best bid price (> 0).
    pub bid_price: f64,
    /// Size at the best bid (≥ 0).
    pub bid_size: f64,
    /// Best ask price (> 0).
    pub ask_price: f64,
    /// Size at the best ask (≥ 0).
    pub ask_size: f64,
}

/// One price level of a depth book set to a new size; size 0 removes the level.
///
/// Levels between [`Payload::BookSnapshotBegin`] and [`Payload::BookSnapshotEnd`] (same
/// instrument) form a full snapshot that replaces the book; levels outside a snapshot are
/// incremental changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookLevel {
    /// Side.
    pub side: Side,
    /// Level price (> 0).
    pub price: f64,
    /// New total size at the level (≥ 0; 0 deletes it).
    pub size: f64,
}

/// Mark price and funding of a perpetual or future.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FundingMark {
    /// Mark price (> 0).
    pub mark_price: f64,
    /// Index price (> 0), when given.
    pub index_price: Option<f64>,
    /// Funding rate per funding interval as a fraction, when given.
    pub funding_rate: Option<f64>,
    /// Next funding time, when given.
    pub next_funding_time: Option<Timestamp>,
}

/// An account's position in a protocol market changed (the header's instrument is the market).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionChange {
    /// Account identifier in the protocol.
    pub account: u64,
    /// New signed position size in base units (negative is short).
    pub size: f64,
    /// Average entry price (> 0), when given.
    pub entry_price: Option<f64>,
}

/// An account's collateral changed (the header's instrument is the collateral asset).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CollateralChange {
    /// Account identifier in the protocol.
    pub account: u64,
    /// New collateral balance in asset units; negative means bad debt.
    pub collateral: f64,
}

/// A balance of the protocol in one collateral asset (insurance fund, total collateral).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Balance {
    /// Amount in asset units.
    pub amount: f64,
}

/// Open interest of a protocol market by side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenInterest {
    /// Total long open interest in base units (≥ 0).
    pub long: f64,
    /// Total short open interest in base units (≥ 0).
    pub short: f64,
}

/// One observation of a macro series (the header's instrument is the series).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacroValue {
    /// Value in the series' unit.
    pub value: f64,
}

/// Messages were lost on the instrument's stream. Until the stream recovers (for a book: the
/// next snapshot), consumers should treat it as stale.
///
/// Both fields are continuation points: `expected` is where the stream should have continued
/// from and `received` where the arriving message continues from. For a chain linked by the
/// previous message's id (Deribit `prev_change_id`) that is the last applied id versus the
/// arriving `prev_change_id`; for consecutive update ids (Binance depth) the last applied id + 1
/// versus the arriving first id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedGap {
    /// Where the stream should have continued from.
    pub expected: u64,
    /// Where the arriving message continues from.
    pub received: u64,
}

/// Typed body of an [`Event`], one variant per [`EventKind`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Payload {
    /// A spot price (a venue's last or mid price of a spot pair).
    SpotPrice(Price),
    /// A venue price index (Deribit `deribit_price_index`).
    IndexPrice(Price),
    /// An oracle price with its confidence (Pyth).
    OraclePrice(Price),
    /// First half of an option ticker: implied volatilities and mark price.
    OptionQuote(OptionQuote),
    /// Second half of an option ticker: underlying, open interest, venue Greeks.
    OptionGreeks(OptionGreeks),
    /// A trade.
    Trade(Trade),
    /// Top of book.
    BestBidOffer(BestBidOffer),
    /// A full book snapshot of the instrument follows (sequence: the snapshot's id).
    BookSnapshotBegin,
    /// One depth level set to a new size.
    BookLevel(BookLevel),
    /// The snapshot opened by [`Payload::BookSnapshotBegin`] is complete.
    BookSnapshotEnd,
    /// Mark price and funding of a perpetual or future.
    FundingMark(FundingMark),
    /// An account's position in a protocol market changed.
    PositionChange(PositionChange),
    /// An account's collateral changed.
    CollateralChange(CollateralChange),
    /// The insurance fund's balance in a collateral asset.
    InsuranceFund(Balance),
    /// The protocol's total collateral in a collateral asset.
    TotalCollateral(Balance),
    /// Open interest of a protocol market by side.
    OpenInterest(OpenInterest),
    /// One observation of a macro series.
    MacroValue(MacroValue),
    /// Messages were lost on the instrument's stream.
    FeedGap(FeedGap),
}

/// Why an [`Event`] could not be built or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEvent {
    /// A float field is NaN or infinite.
    #[error("non-finite value in event body slot {0}")]
    NonFinite(usize),
    /// The kind code names no [`EventKind`] (only possible for bytes cast from elsewhere).
    #[error("unknown event kind code {0}")]
    UnknownKind(u8),
    /// The source code names no [`Source`].
    #[error("unknown source code {0}")]
    UnknownSource(u16),
}

/// One body slot while encoding or decoding.
#[derive(Clone, Copy)]
enum Slot {
    Empty,
    Float(f64),
    Integer(u64),
}

/// A slot as stored: its bits, whether it holds a value, and whether that value is finite.
struct EncodedSlot {
    bits: u64,
    present: bool,
    finite: bool,
}

impl Slot {
    #[inline]
    fn encode(self) -> EncodedSlot {
        let (bits, present, finite) = match self {
            Self::Empty => (0, false, true),
            Self::Float(value) => (value.to_bits(), true, value.is_finite()),
            Self::Integer(value) => (value, true, true),
        };
        EncodedSlot {
            bits,
            present,
            finite,
        }
    }
}

impl Payload {
    /// The kind of this payload.
    #[must_use]
    #[inline]
    pub const fn kind(&self) -> EventKind {
        match self {
            Self::SpotPrice(_) => EventKind::SpotPrice,
            Self::IndexPrice(_) => EventKind::IndexPrice,
            Self::OraclePrice(_) => EventKind::OraclePrice,
            Self::OptionQuote(_) => EventKind::OptionQuote,
            Self::OptionGreeks(_) => EventKind::OptionGreeks,
            Self::Trade(_) => EventKind::Trade,
            Self::BestBidOffer(_) => EventKind::BestBidOffer,
            Self::BookSnapshotBegin => EventKind::BookSnapshotBegin,
            Self::BookLevel(_) => EventKind::BookLevel,
            Self::BookSnapshotEnd => EventKind::BookSnapshotEnd,
            Self::FundingMark(_) => EventKind::FundingMark,
            Self::PositionChange(_) => EventKind::PositionChange,
            Self::CollateralChange(_) => EventKind::CollateralChange,
            Self::InsuranceFund(_) => EventKind::InsuranceFund,
            Self::TotalCollateral(_) => EventKind::TotalCollateral,
            Self::OpenInterest(_) => EventKind::OpenInterest,
            Self::MacroValue(_) => EventKind::MacroValue,
            Self::FeedGap(_) => EventKind::FeedGap,
        }
    }

    /// The four body slots and the side flag.
    #[inline(always)]
    fn slots(&self) -> ([Slot; SLOTS], bool) {
        use Slot::{Empty, Float, Integer};
        let opt = |value: Option<f64>| value.map_or(Empty, Float);
        match *self {
            Self::SpotPrice(p) | Self::IndexPrice(p) | Self::OraclePrice(p) => (
                [
                    Float(p.price),
                    opt(p.confidence),
                    opt(p.ema_price),
                    opt(p.ema_confidence),
                ],
                false,
            ),
            Self::OptionQuote(q) => (
                [
                    Float(q.mark_iv),
                    opt(q.bid_iv),
                    opt(q.ask_iv),
                    Float(q.mark_price),
                ],
                false,
            ),
            Self::OptionGreeks(g) => (
                [
                    Float(g.underlying_price),
                    Float(g.open_interest),
                    opt(g.delta),
                    opt(g.vega),
                ],
                false,
            ),
            Self::Trade(t) => (
                [Float(t.price), Float(t.size), Empty, Empty],
                t.aggressor == Aggressor::Sell,
            ),
            Self::BestBidOffer(b) => (
                [
                    Float(b.bid_price),
                    Float(b.bid_size),
                    Float(b.ask_price),
                    Float(b.ask_size),
                ],
                false,
            ),
            Self::BookSnapshotBegin | Self::BookSnapshotEnd => ([Empty; SLOTS], false),
            Self::BookLevel(l) => (
                [Float(l.price), Float(l.size), Empty, Empty],
                l.side == Side::Ask,
            ),
            Self::FundingMark(f) => (
                [
                    Float(f.mark_price),
                    opt(f.index_price),
                    opt(f.funding_rate),
                    f.next_funding_time.map_or(Empty, |t| Integer(t.as_nanos())),
                ],
                false,
            ),
            Self::PositionChange(p) => (
                [Integer(p.account), Float(p.size), opt(p.entry_price), Empty],
                false,
            ),
            Self::CollateralChange(c) => (
                [Integer(c.account), Float(c.collateral), Empty, Empty],
                false,
            ),
            Self::InsuranceFund(b) | Self::TotalCollateral(b) => {
                ([Float(b.amount), Empty, Empty, Empty], false)
            }
            Self::OpenInterest(o) => ([Float(o.long), Float(o.short), Empty, Empty], false),
            Self::MacroValue(m) => ([Float(m.value), Empty, Empty, Empty], false),
            Self::FeedGap(g) => (
                [Integer(g.expected), Integer(g.received), Empty, Empty],
                false,
            ),
        }
    }
}

/// Reads the slots of a stored event back; every float is checked to be finite.
struct SlotReader<'a> {
    event: &'a Event,
}

impl SlotReader<'_> {
    fn present(&self, slot: usize) -> bool {
        self.event.flags & (1 << slot) != 0
    }

    fn float(&self, slot: usize) -> Result<f64, InvalidEvent> {
        let value = f64::from_bits(self.event.body[slot]);
        if value.is_finite() {
            Ok(value)
        } else {
            Err(InvalidEvent::NonFinite(slot))
        }
    }

    fn optional_float(&self, slot: usize) -> Result<Option<f64>, InvalidEvent> {
        if self.present(slot) {
            self.float(slot).map(Some)
        } else {
            Ok(None)
        }
    }

    fn integer(&self, slot: usize) -> u64 {
        self.event.body[slot]
    }

    fn price(&self) -> Result<Price, InvalidEvent> {
        Ok(Price {
            price: self.float(0)?,
            confidence: self.optional_float(1)?,
            ema_price: self.optional_float(2)?,
            ema_confidence: self.optional_float(3)?,
        })
    }

    fn balance(&self) -> Result<Balance, InvalidEvent> {
        Ok(Balance {
            amount: self.float(0)?,
        })
    }
}

impl Event {
    /// Encodes `payload` under `header`.
    ///
    /// # Errors
    /// [`InvalidEvent::NonFinite`] if any float of the payload is NaN or infinite.
    ///
    /// Inlined so that, where the payload's variant is known, the slots fold into straight
    /// stores: the feed builds one event per book level.
    #[inline(always)]
    pub fn new(header: EventHeader, payload: Payload) -> Result<Self, InvalidEvent> {
        let (slots, side) = payload.slots();
        let slots = slots.map(Slot::encode);
        if let Some(index) = slots.iter().position(|slot| !slot.finite) {
            return Err(InvalidEvent::NonFinite(index));
        }
        let flags = slots
            .iter()
            .enumerate()
            .fold(if side { SIDE_BIT } else { 0 }, |flags, (index, slot)| {
                flags | u8::from(slot.present) << index
            });
        let body = slots.map(|slot| slot.bits);
        Ok(Self {
            kind: payload.kind() as u8,
            flags,
            source: header.source.code(),
            instrument: header.instrument.0,
            sequence: header.sequence,
            source_time_ns: header.source_time.as_nanos(),
            receive_time_ns: header.receive_time.as_nanos(),
            body,
        })
    }

    /// The kind, or an error for bytes that did not come from [`Event::new`].
    ///
    /// # Errors
    /// [`InvalidEvent::UnknownKind`] for an unknown kind code.
    pub fn kind(&self) -> Result<EventKind, InvalidEvent> {
        EventKind::from_code(self.kind).ok_or(InvalidEvent::UnknownKind(self.kind))
    }

    /// The instrument the event is about.
    #[must_use]
    pub const fn instrument(&self) -> InstrumentId {
        InstrumentId(self.instrument)
    }

    /// The venue's sequence number, or 0.
    #[must_use]
    pub const fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The venue or oracle timestamp: the event time.
    #[must_use]
    pub const fn source_time(&self) -> Timestamp {
        Timestamp::from_nanos(self.source_time_ns)
    }

    /// When the bytes were received.
    #[must_use]
    pub const fn receive_time(&self) -> Timestamp {
        Timestamp::from_nanos(self.receive_time_ns)
    }

    /// The header fields.
    ///
    /// # Errors
    /// [`InvalidEvent::UnknownSource`] for bytes that did not come from [`Event::new`].
    pub fn header(&self) -> Result<EventHeader, InvalidEvent> {
        Ok(EventHeader {
            source: Source::from_code(self.source)
                .ok_or(InvalidEvent::UnknownSource(self.source))?,
            instrument: self.instrument(),
            sequence: self.sequence,
            source_time: self.source_time(),
            receive_time: self.receive_time(),
        })
    }

    /// The typed body.
    ///
    /// # Errors
    /// An [`InvalidEvent`] for bytes that did not come from [`Event::new`] (unknown kind,
    /// non-finite float); an event built by [`Event::new`] always decodes.
    pub fn payload(&self) -> Result<Payload, InvalidEvent> {
        let slots = SlotReader { event: self };
        let side_bit = self.flags & SIDE_BIT != 0;
        Ok(match self.kind()? {
            EventKind::SpotPrice => Payload::SpotPrice(slots.price()?),
            EventKind::IndexPrice => Payload::IndexPrice(slots.price()?),
            EventKind::OraclePrice => Payload::OraclePrice(slots.price()?),
            EventKind::OptionQuote => Payload::OptionQuote(OptionQuote {
                mark_iv: slots.float(0)?,
                bid_iv: slots.optional_float(1)?,
                ask_iv: slots.optional_float(2)?,
                mark_price: slots.float(3)?,
            }),
            EventKind::OptionGreeks => Payload::OptionGreeks(OptionGreeks {
                underlying_price: slots.float(0)?,
                open_interest: slots.float(1)?,
                delta: slots.optional_float(2)?,
                vega: slots.optional_float(3)?,
            }),
            EventKind::Trade => Payload::Trade(Trade {
                price: slots.float(0)?,
                size: slots.float(1)?,
                aggressor: if side_bit {
                    Aggressor::Sell
                } else {
                    Aggressor::Buy
                },
            }),
            EventKind::BestBidOffer => Payload::BestBidOffer(BestBidOffer {
                bid_price: slots.float(0)?,
                bid_size: slots.float(1)?,
                ask_price: slots.float(2)?,
                ask_size: slots.float(3)?,
            }),
            EventKind::BookSnapshotBegin => Payload::BookSnapshotBegin,
            EventKind::BookLevel => Payload::BookLevel(BookLevel {
                side: if side_bit { Side::Ask } else { Side::Bid },
                price: slots.float(0)?,
                size: slots.float(1)?,
            }),
            EventKind::BookSnapshotEnd => Payload::BookSnapshotEnd,
            EventKind::FundingMark => Payload::FundingMark(FundingMark {
                mark_price: slots.float(0)?,
                index_price: slots.optional_float(1)?,
                funding_rate: slots.optional_float(2)?,
                next_funding_time: slots
                    .present(3)
                    .then(|| Timestamp::from_nanos(slots.integer(3))),
            }),
            EventKind::PositionChange => Payload::PositionChange(PositionChange {
                account: slots.integer(0),
                size: slots.float(1)?,
                entry_price: slots.optional_float(2)?,
            }),
            EventKind::CollateralChange => Payload::CollateralChange(CollateralChange {
                account: slots.integer(0),
                collateral: slots.float(1)?,
            }),
            EventKind::InsuranceFund => Payload::InsuranceFund(slots.balance()?),
            EventKind::TotalCollateral => Payload::TotalCollateral(slots.balance()?),
            EventKind::OpenInterest => Payload::OpenInterest(OpenInterest {
                long: slots.float(0)?,
                short: slots.float(1)?,
            }),
            EventKind::MacroValue => Payload::MacroValue(MacroValue {
                value: slots.float(0)?,
            }),
            EventKind::FeedGap => Payload::FeedGap(FeedGap {
                expected: slots.integer(0),
                received: slots.integer(1),
            }),
        })
    }

    /// Whether body slot `slot` holds a value (bits 0–3 of the flags byte).
    #[must_use]
    pub const fn slot_present(&self, slot: usize) -> bool {
        slot < SLOTS && self.flags & PRESENCE_MASK & (1 << slot) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header() -> EventHeader {
        EventHeader {
            source: Source::Deribit,
            instrument: InstrumentId(7),
            sequence: 42,
            source_time: Timestamp::from_nanos(1_700_000_000_000_000_000),
            receive_time: Timestamp::from_nanos(1_700_000_000_000_100_000),
        }
    }

    fn finite() -> impl Strategy<Value = f64> {
        prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL
    }

    fn optional() -> impl Strategy<Value = Option<f64>> {
        prop::option::of(finite())
    }

    fn payload() -> impl Strategy<Value = Payload> {
        prop_oneof![
            (finite(), optional(), optional(), optional()).prop_map(|(a, b, c, d)| {
                Payload::OraclePrice(Price {
                    price: a,
                    confidence: b,
                    ema_price: c,
                    ema_confidence: d,
                })
            }),
            (finite(), optional(), optional(), finite()).prop_map(|(a, b, c, d)| {
                Payload::OptionQuote(OptionQuote {
                    mark_iv: a,
                    bid_iv: b,
                    ask_iv: c,
                    mark_price: d,
                })
            }),
            (finite(), finite(), any::<bool>()).prop_map(|(price, size, sell)| {
                Payload::Trade(Trade {
                    price,
                    size,
                    aggressor: if sell {
                        Aggressor::Sell
                    } else {
                        Aggressor::Buy
                    },
                })
            }),
            (finite(), finite(), any::<bool>()).prop_map(|(price, size, ask)| {
                Payload::BookLevel(BookLevel {
                    side: if ask { Side::Ask } else { Side::Bid },
                    price,
                    size,
                })
            }),
            (
                finite(),
                optional(),
                optional(),
                prop::option::of(any::<u64>())
            )
                .prop_map(|(mark_price, index_price, funding_rate, next)| {
                    Payload::FundingMark(FundingMark {
                        mark_price,
                        index_price,
                        funding_rate,
                        next_funding_time: next.map(Timestamp::from_nanos),
                    })
                }),
            (any::<u64>(), finite(), optional()).prop_map(|(account, size, entry_price)| {
                Payload::PositionChange(PositionChange {
                    account,
                    size,
                    entry_price,
                })
            }),
            (any::<u64>(), any::<u64>())
                .prop_map(|(expected, received)| Payload::FeedGap(FeedGap { expected, received })),
            Just(Payload::BookSnapshotBegin),
        ]
    }

    proptest! {
        #[test]
        fn payload_round_trips(payload in payload()) {
            let event = Event::new(header(), payload).unwrap();
            prop_assert_eq!(event.payload(), Ok(payload));
            prop_assert_eq!(event.header(), Ok(header()));
            let copy: Event = bytemuck::pod_read_unaligned(bytemuck::bytes_of(&event));
            prop_assert_eq!(copy, event);
        }

        #[test]
        fn arbitrary_bytes_never_yield_non_finite(bytes in prop::array::uniform32(any::<u8>()), body in prop::array::uniform32(any::<u8>())) {
            let mut raw = [0_u8; EVENT_SIZE];
            raw[..32].copy_from_slice(&bytes);
            raw[32..].copy_from_slice(&body);
            let event: Event = bytemuck::pod_read_unaligned(&raw);
            if let Ok(payload) = event.payload() {
                let rebuilt = Event::new(event.header().unwrap_or(header()), payload);
                prop_assert!(rebuilt.is_ok());
            }
        }
    }

    #[test]
    fn non_finite_is_refused() {
        let payload = Payload::MacroValue(MacroValue { value: f64::NAN });
        assert_eq!(
            Event::new(header(), payload),
            Err(InvalidEvent::NonFinite(0))
        );
        let payload = Payload::SpotPrice(Price {
            price: 1.0,
            confidence: Some(f64::INFINITY),
            ema_price: None,
            ema_confidence: None,
        });
        assert_eq!(
            Event::new(header(), payload),
            Err(InvalidEvent::NonFinite(1))
        );
    }

    #[test]
    fn kind_codes_are_stable() {
        for (index, kind) in EventKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), index);
            assert_eq!(EventKind::from_code(*kind as u8), Some(*kind));
        }
        assert_eq!(EventKind::from_code(0), None);
        assert_eq!(EventKind::from_code(19), None);
        assert_eq!(Event::zeroed().payload(), Err(InvalidEvent::UnknownKind(0)));
    }
}
