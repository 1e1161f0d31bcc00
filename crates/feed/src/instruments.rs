//! The instrument symbol table: venue names interned to dense ids, with parsed descriptors.
//!
//! Names are unique per [`Source`] (Binance spot `BTCUSDT` and the USDⓈ-M perpetual `BTCUSDT`
//! are different instruments). A lookup hashes the borrowed `&str` and never allocates; only
//! registering a new name does.

use recal_types::{
    InstrumentDescriptor, InstrumentId, InstrumentKind, OptionRight, Settlement, Source, Timestamp,
};

/// What to do with a name the table has not seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownInstrumentPolicy {
    /// Parse the name and register it (allocates once per new name).
    #[default]
    AutoRegister,
    /// Reject the message with [`InstrumentError::Unknown`]; only pre-registered names pass.
    Reject,
}

/// What a name denotes in the message it came from; decides how it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRole {
    /// A tradable instrument in the source's naming scheme (spot pair, perpetual, future,
    /// option).
    Tradable,
    /// A venue price index (Deribit `btc_usd`).
    Index,
    /// An oracle feed id (Pyth).
    OracleFeed,
    /// A market of the protocol.
    ProtocolMarket,
    /// A collateral asset of the protocol.
    CollateralAsset,
    /// A macro series.
    MacroSeries,
}

/// Why a name could not be interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstrumentError {
    /// Not registered, and the policy is [`UnknownInstrumentPolicy::Reject`].
    #[error("unknown instrument")]
    Unknown,
    /// The name does not follow the source's naming scheme.
    #[error("instrument name cannot be parsed")]
    BadName,
    /// More than `u32::MAX` instruments.
    #[error("instrument table full")]
    TableFull,
}

/// Interns instrument names to dense [`InstrumentId`]s.
///
/// ```
/// use recal_feed::{Instruments, NameRole, UnknownInstrumentPolicy};
/// use recal_types::{InstrumentKind, OptionRight, Settlement, Source};
/// let mut table = Instruments::new(UnknownInstrumentPolicy::Reject);
/// let id = table.register(Source::Deribit, "BTC-27DEC24-60000-C", NameRole::Tradable).unwrap();
/// let descriptor = table.descriptor(id).unwrap();
/// assert_eq!(&*descriptor.underlying, "BTC");
/// assert_eq!(descriptor.settlement, Settlement::Inverse);
/// let InstrumentKind::Option { strike, right, expiry } = descriptor.kind else { panic!() };
/// assert_eq!((strike, right), (60_000.0, OptionRight::Call));
/// assert_eq!(expiry.as_unix_seconds(), 1_735_286_400); // 2024-12-27 08:00 UTC
/// assert_eq!(table.lookup(Source::Deribit, "BTC-27DEC24-60000-C"), Some(id));
/// assert!(table.resolve(Source::Deribit, "ETH-PERPETUAL", NameRole::Tradable).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Instruments {
    /// Hashed with foldhash, seeded per table: every message looks its instrument up, and
    /// SipHash on a short name cost a twentieth of a Binance depth update's decode. The names
    /// come from the venues the operator connects to, so the hash needs no more resistance to
    /// chosen collisions than a random seed gives.
    by_name: [foldhash::HashMap<Box<str>, InstrumentId>; Source::COUNT],
    descriptors: Vec<InstrumentDescriptor>,
    policy: UnknownInstrumentPolicy,
}

impl Instruments {
    /// An empty table with the given policy for unknown names.
    #[must_use]
    pub fn new(policy: UnknownInstrumentPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// The id of `name` at `source`, if registered. Never allocates.
    #[must_use]
    pub fn lookup(&self, source: Source, name: &str) -> Option<InstrumentId> {
        self.by_name[source.index()].get(name).copied()
    }

    /// The id of `name`, registering it if the policy allows.
    ///
    /// # Errors
    /// [`InstrumentError::Unknown`] under [`UnknownInstrumentPolicy::Reject`], or the errors of
    /// [`Instruments::register`].
    pub fn resolve(
        &mut self,
        source: Source,
        name: &str,
        role: NameRole,
    ) -> Result<InstrumentId, InstrumentError> {
        match (self.lookup(source, name), self.policy) {
            (Some(id), _) => Ok(id),
            (None, UnknownInstrumentPolicy::Reject) => Err(InstrumentError::Unknown),
            (None, UnknownInstrumentPolicy::AutoRegister) => self.register(source, name, role),
        }
    }

    /// Parses `name` in the naming scheme of `source` and `role` and registers it; returns the
    /// existing id if it is already registered.
    ///
    /// # Errors
    /// [`InstrumentError::BadName`] if the name does not parse, [`InstrumentError::TableFull`]
    /// past `u32::MAX` instruments.
    pub fn register(
        &mut self,
        source: Source,
        name: &str,
        role: NameRole,
    ) -> Result<InstrumentId, InstrumentError> {
        if let Some(id) = self.lookup(source, name) {
            return Ok(id);
        }
        let descriptor = parse_name(source, name, role).ok_or(InstrumentError::BadName)?;
        self.insert(descriptor)
    }

    /// Registers a descriptor built by the caller (for example a Pyth feed id with its
    /// underlying); returns the existing id if the name is already registered.
    ///
    /// # Errors
    /// [`InstrumentError::TableFull`] past `u32::MAX` instruments.
    pub fn insert(
        &mut self,
        descriptor: InstrumentDescriptor,
    ) -> Result<InstrumentId, InstrumentError> {
        if let Some(id) = self.lookup(descriptor.source, &descriptor.name) {
            return Ok(id);
        }
        let id = InstrumentId(
            u32::try_from(self.descriptors.len()).map_err(|_| InstrumentError::TableFull)?,
        );
        self.by_name[descriptor.source.index()].insert(descriptor.name.clone(), id);
        self.descriptors.push(descriptor);
        Ok(id)
    }

    /// What `id` stands for.
    #[must_use]
    pub fn descriptor(&self, id: InstrumentId) -> Option<&InstrumentDescriptor> {
        self.descriptors.get(usize::try_from(id.0).ok()?)
    }

    /// Number of registered instruments; ids are `0..len()`.
    #[must_use]
    pub fn len(&self) -> usize {
        self.descriptors.len()
    }

    /// Whether nothing is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.descriptors.is_empty()
    }
}

/// Quote currencies recognised at the end of a Binance symbol, longest first.
const BINANCE_QUOTES: [&str; 12] = [
    "FDUSD", "USDT", "USDC", "TUSD", "BUSD", "USD", "BTC", "ETH", "BNB", "EUR", "TRY", "BRL",
];

/// Seconds from 00:00 to 08:00 UTC, the expiry time of Deribit and Binance dated contracts.
const EXPIRY_SECONDS_OF_DAY: u64 = 8 * 3_600;

fn descriptor(
    source: Source,
    name: &str,
    underlying: &str,
    quote: &str,
    kind: InstrumentKind,
    settlement: Settlement,
) -> InstrumentDescriptor {
    InstrumentDescriptor {
        source,
        name: name.into(),
        underlying: underlying.into(),
        quote: quote.into(),
        kind,
        settlement,
    }
}

/// The descriptor of `name`, or `None` if it does not follow the scheme.
fn parse_name(source: Source, name: &str, role: NameRole) -> Option<InstrumentDescriptor> {
    if name.is_empty() || name.len() > 128 {
        return None;
    }
    let plain = |kind| {
        Some(descriptor(
            source,
            name,
            "",
            "",
            kind,
            Settlement::NotApplicable,
        ))
    };
    match role {
        NameRole::Tradable => match source {
            Source::Deribit => parse_deribit(name),
            Source::BinanceSpot | Source::BinanceUsdmFutures | Source::BinanceCoinmFutures => {
                parse_binance(source, name)
            }
            Source::Pyth | Source::Recal => None,
        },
        NameRole::Index => {
            let (base, quote) = name.split_once('_')?;
            Some(descriptor(
                source,
                name,
                &base.to_ascii_uppercase(),
                &quote.to_ascii_uppercase(),
                InstrumentKind::Index,
                Settlement::NotApplicable,
            ))
        }
        NameRole::OracleFeed => plain(InstrumentKind::OracleFeed),
        NameRole::ProtocolMarket => plain(InstrumentKind::ProtocolMarket),
        NameRole::CollateralAsset => plain(InstrumentKind::CollateralAsset),
        NameRole::MacroSeries => plain(InstrumentKind::MacroSeries),
    }
}

/// Deribit names: `BTC-PERPETUAL`, `BTC-27DEC24`, `BTC-27DEC24-60000-C` (inverse, quoted in
/// USD, settled in BTC); `SOL_USDC-PERPETUAL`, `XRP_USDC-30AUG24-0d625-C` (linear, `d` is the
/// decimal point); `BTC_USDC` (spot).
fn parse_deribit(name: &str) -> Option<InstrumentDescriptor> {
    let mut parts = name.split('-');
    let currency = parts.next()?;
    let (underlying, quote, settlement) = match currency.split_once('_') {
        Some((base, quote)) => (base, quote, Settlement::Linear),
        None => (currency, "USD", Settlement::Inverse),
    };
    if !is_upper_alphanumeric(underlying) || !is_upper_alphanumeric(quote) {
        return None;
    }
    let rest: [Option<&str>; 4] = [parts.next(), parts.next(), parts.next(), parts.next()];
    let (kind, settlement) = match rest {
        [None, ..] if currency.contains('_') => (InstrumentKind::Spot, Settlement::NotApplicable),
        [Some("PERPETUAL"), None, ..] => (InstrumentKind::Perpetual, settlement),
        [Some(date), None, ..] => (
            InstrumentKind::Future {
                expiry: deribit_expiry(date)?,
            },
            settlement,
        ),
        [Some(date), Some(strike), Some(right), None] => (
            InstrumentKind::Option {
                expiry: deribit_expiry(date)?,
                strike: parse_strike(strike)?,
                right: match right {
                    "C" => OptionRight::Call,
                    "P" => OptionRight::Put,
                    _ => return None,
                },
            },
            settlement,
        ),
        _ => return None,
    };
    Some(descriptor(
        Source::Deribit,
        name,
        underlying,
        quote,
        kind,
        settlement,
    ))
}

/// Binance names: spot `BTCUSDT`; USDⓈ-M `BTCUSDT` (perpetual) and `BTCUSDT_250328`
/// (quarterly), linear; COIN-M `BTCUSD_PERP` and `BTCUSD_250328`, inverse.
fn parse_binance(source: Source, name: &str) -> Option<InstrumentDescriptor> {
    let (pair, suffix) = match name.split_once('_') {
        Some((pair, suffix)) => (pair, Some(suffix)),
        None => (name, None),
    };
    if !is_upper_alphanumeric(pair) {
        return None;
    }
    let quote = BINANCE_QUOTES
        .into_iter()
        .find(|quote| pair.len() > quote.len() && pair.ends_with(quote))?;
    let underlying = &pair[..pair.len() - quote.len()];
    let (kind, settlement) = match (source, suffix) {
        (Source::BinanceSpot, None) => (InstrumentKind::Spot, Settlement::NotApplicable),
        (Source::BinanceUsdmFutures, None) | (Source::BinanceCoinmFutures, Some("PERP")) => {
            let settlement = if source == Source::BinanceCoinmFutures {
                Settlement::Inverse
            } else {
                Settlement::Linear
            };
            (InstrumentKind::Perpetual, settlement)
        }
        (Source::BinanceUsdmFutures, Some(date)) => (
            InstrumentKind::Future {
                expiry: yymmdd_expiry(date)?,
            },
            Settlement::Linear,
        ),
        (Source::BinanceCoinmFutures, Some(date)) => (
            InstrumentKind::Future {
                expiry: yymmdd_expiry(date)?,
            },
            Settlement::Inverse,
        ),
        _ => return None,
    };
    Some(descriptor(
        source, name, underlying, quote, kind, settlement,
    ))
}

fn is_upper_alphanumeric(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A strike such as `60000` or `0d625` (0.625), parsed exactly.
fn parse_strike(text: &str) -> Option<f64> {
    let mut buffer = [0_u8; 32];
    let bytes = text.as_bytes();
    let target = buffer.get_mut(..bytes.len())?;
    for (out, byte) in target.iter_mut().zip(bytes) {
        *out = if *byte == b'd' { b'.' } else { *byte };
    }
    let strike = crate::decimal::parse_decimal(std::str::from_utf8(target).ok()?)?;
    (strike > 0.0).then_some(strike)
}

/// `27DEC24` or `3JAN25` → 08:00 UTC of that day.
fn deribit_expiry(text: &str) -> Option<Timestamp> {
    if !text.is_ascii() {
        return None;
    }
    let day_len = text.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&day_len) || text.len() != day_len + 5 {
        return None;
    }
    let day = text[..day_len].parse().ok()?;
    let month = match &text[day_len..day_len + 3] {
        "JAN" => 1,
        "FEB" => 2,
        "MAR" => 3,
        "APR" => 4,
        "MAY" => 5,
        "JUN" => 6,
        "JUL" => 7,
        "AUG" => 8,
        "SEP" => 9,
        "OCT" => 10,
        "NOV" => 11,
        "DEC" => 12,
        _ => return None,
    };
    let year = text[day_len + 3..].parse::<u32>().ok()?;
    expiry_at_eight(2000 + year, month, day)
}

/// `250328` → 2025-03-28 08:00 UTC.
fn yymmdd_expiry(text: &str) -> Option<Timestamp> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: u32 = text[..2].parse().ok()?;
    expiry_at_eight(
        2000 + year,
        text[2..4].parse().ok()?,
        text[4..].parse().ok()?,
    )
}

fn expiry_at_eight(year: u32, month: u32, day: u32) -> Option<Timestamp> {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    let days = days_since_epoch(year, month, day);
    Timestamp::from_unix_seconds(days * 86_400 + EXPIRY_SECONDS_OF_DAY)
}

/// Days from 1970-01-01 to a proleptic Gregorian date in or after 1970 (Howard Hinnant's
/// `days_from_civil`, restricted to non-negative years).
fn days_since_epoch(year: u32, month: u32, day: u32) -> u64 {
    let year = u64::from(if month <= 2 { year - 1 } else { year });
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month = u64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + u64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(source: Source, name: &str) -> InstrumentDescriptor {
        parse_name(source, name, NameRole::Tradable).unwrap()
    }

    #[test]
    fn deribit_names() {
        let perpetual = parsed(Source::Deribit, "BTC-PERPETUAL");
        assert_eq!(perpetual.kind, InstrumentKind::Perpetual);
        assert_eq!(perpetual.settlement, Settlement::Inverse);
        let future = parsed(Source::Deribit, "ETH-3JAN25");
        // 2025-01-03 08:00 UTC
        assert_eq!(
            future.kind,
            InstrumentKind::Future {
                expiry: Timestamp::from_unix_seconds(1_735_891_200).unwrap()
            }
        );
        let linear = parsed(Source::Deribit, "XRP_USDC-30AUG24-0d625-P");
        assert_eq!(linear.settlement, Settlement::Linear);
        assert_eq!((&*linear.underlying, &*linear.quote), ("XRP", "USDC"));
        let InstrumentKind::Option { strike, right, .. } = linear.kind else {
            panic!("not an option: {linear:?}");
        };
        assert_eq!((strike, right), (0.625, OptionRight::Put));
        assert_eq!(
            parsed(Source::Deribit, "BTC_USDC").kind,
            InstrumentKind::Spot
        );
        for bad in [
            "BTC",
            "BTC-31FEB25",
            "BTC-27DEC24-60000-X",
            "BTC-27DEC24-0-C",
            "btc-PERPETUAL",
            "BTC-27DEC24-60000-C-1",
            "BTC--",
            "BTC-29FEB23",
        ] {
            assert!(
                parse_name(Source::Deribit, bad, NameRole::Tradable).is_none(),
                "{bad}"
            );
        }
        assert!(parse_name(Source::Deribit, "BTC-29FEB24", NameRole::Tradable).is_some());
    }

    #[test]
    fn binance_names_depend_on_the_market() {
        let spot = parsed(Source::BinanceSpot, "BTCUSDT");
        assert_eq!(spot.kind, InstrumentKind::Spot);
        assert_eq!((&*spot.underlying, &*spot.quote), ("BTC", "USDT"));
        let perpetual = parsed(Source::BinanceUsdmFutures, "BTCUSDT");
        assert_eq!(
            (perpetual.kind, perpetual.settlement),
            (InstrumentKind::Perpetual, Settlement::Linear)
        );
        let inverse = parsed(Source::BinanceCoinmFutures, "BTCUSD_PERP");
        assert_eq!(
            (inverse.kind, inverse.settlement, &*inverse.quote),
            (InstrumentKind::Perpetual, Settlement::Inverse, "USD")
        );
        let quarterly = parsed(Source::BinanceUsdmFutures, "BTCUSDT_250328");
        assert_eq!(
            quarterly.kind,
            InstrumentKind::Future {
                expiry: Timestamp::from_unix_seconds(1_743_148_800).unwrap()
            }
        );
        assert!(parse_name(Source::BinanceSpot, "BTCUSD_PERP", NameRole::Tradable).is_none());
        assert!(parse_name(Source::BinanceSpot, "USDT", NameRole::Tradable).is_none());
    }

    proptest::proptest! {
        #[test]
        fn any_name_parses_or_is_refused_without_panic(
            name in "\\PC{0,40}",
            dashed in "[A-Z_]{1,8}-[0-9A-Z€é]{0,9}(-[0-9d]{0,6}-[CPé]?)?",
        ) {
            for source in Source::ALL {
                for role in [NameRole::Tradable, NameRole::Index, NameRole::OracleFeed] {
                    let _ = parse_name(source, &name, role);
                    let _ = parse_name(source, &dashed, role);
                }
            }
        }
    }

    #[test]
    fn non_ascii_dates_are_refused() {
        assert!(parse_name(Source::Deribit, "BTC-1é€", NameRole::Tradable).is_none());
    }

    #[test]
    fn ids_are_dense_and_per_source() {
        let mut table = Instruments::new(UnknownInstrumentPolicy::AutoRegister);
        let spot = table
            .resolve(Source::BinanceSpot, "BTCUSDT", NameRole::Tradable)
            .unwrap();
        let perpetual = table
            .resolve(Source::BinanceUsdmFutures, "BTCUSDT", NameRole::Tradable)
            .unwrap();
        assert_eq!((spot, perpetual), (InstrumentId(0), InstrumentId(1)));
        assert_eq!(
            table.resolve(Source::BinanceSpot, "BTCUSDT", NameRole::Tradable),
            Ok(spot)
        );
        assert_eq!(
            table.resolve(Source::BinanceSpot, "???", NameRole::Tradable),
            Err(InstrumentError::BadName)
        );
        assert_eq!(table.len(), 2);
        assert_eq!(table.descriptor(InstrumentId(2)), None);
    }
}
