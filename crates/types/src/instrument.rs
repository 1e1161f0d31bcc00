//! Instrument descriptors: what an interned instrument id stands for.

use crate::Timestamp;

/// Dense interned identifier of an instrument (or of an oracle feed, protocol market, collateral
/// asset or macro series), assigned by the feed decoder's symbol table in registration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct InstrumentId(pub u32);

/// The producer of a message: venue, oracle or the protocol itself.
///
/// The code ([`Source::code`]) is stored in every [`Event`](crate::Event) header and must never
/// be renumbered; 0 is reserved as invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
pub enum Source {
    /// Deribit (JSON-RPC over WebSocket).
    Deribit = 1,
    /// Binance spot market streams.
    BinanceSpot = 2,
    /// Binance USDⓈ-M futures streams (linear; `BTCUSDT` is the perpetual).
    BinanceUsdmFutures = 3,
    /// Binance COIN-M futures streams (inverse; `BTCUSD_PERP` is the perpetual).
    BinanceCoinmFutures = 4,
    /// Pyth price updates (Hermes JSON).
    Pyth = 5,
    /// Protocol state and macro series in the recal JSON schema.
    Recal = 6,
}

impl Source {
    /// Number of sources.
    pub const COUNT: usize = 6;

    /// Every source, in code order.
    pub const ALL: [Self; Self::COUNT] = [
        Self::Deribit,
        Self::BinanceSpot,
        Self::BinanceUsdmFutures,
        Self::BinanceCoinmFutures,
        Self::Pyth,
        Self::Recal,
    ];

    /// The stable wire code.
    #[must_use]
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// The source with wire code `code`, if any.
    ///
    /// ```
    /// use recal_types::Source;
    /// assert_eq!(Source::from_code(Source::Pyth.code()), Some(Source::Pyth));
    /// assert_eq!(Source::from_code(0), None);
    /// ```
    #[must_use]
    pub const fn from_code(code: u16) -> Option<Self> {
        match code {
            1 => Some(Self::Deribit),
            2 => Some(Self::BinanceSpot),
            3 => Some(Self::BinanceUsdmFutures),
            4 => Some(Self::BinanceCoinmFutures),
            5 => Some(Self::Pyth),
            6 => Some(Self::Recal),
            _ => None,
        }
    }

    /// Zero-based position in [`Source::ALL`], for per-source tables.
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize - 1
    }

    /// The source's name wherever a person writes it: tapes, command flags, configuration
    /// files. One spelling everywhere.
    ///
    /// ```
    /// use recal_types::Source;
    /// assert_eq!(Source::BinanceUsdmFutures.name(), "binance-usdm");
    /// assert_eq!(Source::from_name("binance-usdm"), Some(Source::BinanceUsdmFutures));
    /// assert_eq!(Source::from_name("nasdaq"), None);
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Deribit => "deribit",
            Self::BinanceSpot => "binance-spot",
            Self::BinanceUsdmFutures => "binance-usdm",
            Self::BinanceCoinmFutures => "binance-coinm",
            Self::Pyth => "pyth",
            Self::Recal => "recal",
        }
    }

    /// The source named `name` (see [`Source::name`]), if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|source| source.name() == name)
    }
}

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionRight {
    /// The right to buy.
    Call,
    /// The right to sell.
    Put,
}

/// How a contract's profit and loss is denominated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Settlement {
    /// Settled in the quote currency (USDT, USDC, USD): P&L is linear in the price.
    Linear,
    /// Settled in the base currency (Deribit BTC options, Binance COIN-M): P&L in coin is
    /// `size × (1/entry − 1/exit)`, and option prices are quoted in the base currency.
    Inverse,
    /// Not a derivative (spot pair, index, oracle feed, series).
    NotApplicable,
}

/// What kind of thing an [`InstrumentId`] names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InstrumentKind {
    /// A spot pair.
    Spot,
    /// A perpetual swap.
    Perpetual,
    /// A dated future.
    Future {
        /// Expiry instant.
        expiry: Timestamp,
    },
    /// A European option.
    Option {
        /// Expiry instant (Deribit: 08:00 UTC of the expiry date).
        expiry: Timestamp,
        /// Strike price in the quote currency.
        strike: f64,
        /// Call or put.
        right: OptionRight,
    },
    /// A venue price index (for example Deribit `btc_usd`).
    Index,
    /// An oracle price feed (for example a Pyth feed id).
    OracleFeed,
    /// A market of the protocol whose risk parameters recal sets.
    ProtocolMarket,
    /// A collateral asset of the protocol (insurance fund and collateral totals are per asset).
    CollateralAsset,
    /// A macro-economic series (for example `DXY`).
    MacroSeries,
}

/// Everything the symbol table knows about an instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentDescriptor {
    /// Who lists it; names are unique per source.
    pub source: Source,
    /// The venue's name, verbatim (`BTC-27DEC24-60000-C`, `BTCUSDT`, a Pyth feed id, …).
    pub name: Box<str>,
    /// Base asset or underlying (`BTC`); empty when the name does not say.
    pub underlying: Box<str>,
    /// Quote currency (`USD`, `USDT`, `USDC`); empty when the name does not say.
    pub quote: Box<str>,
    /// What it is.
    pub kind: InstrumentKind,
    /// Linear or inverse.
    pub settlement: Settlement,
}
