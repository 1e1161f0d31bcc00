//! The recal JSON schema for protocol state and macro series (`recal/1`), documented with
//! examples in the crate's `README.md`.
//!
//! Every message is one object with `"schema":"recal/1"`, a `type`, the event time `ts` in
//! nanoseconds since the Unix epoch, an optional sequence number `seq`, and the fields of its
//! type. Amounts are decimal strings (exact) or JSON numbers.
//!
//! One type carries venue data that no venue message expresses: `book_snapshot`, a full
//! snapshot of a venue instrument's book (for example Binance futures `bookDepth` bands
//! turned into levels by `recal convert`). Its events carry the venue's source and
//! instrument, not `Recal`'s.

use recal_types::{
    Balance, BookLevel, CollateralChange, MacroValue, OpenInterest, Payload, PositionChange, Side,
    Source, Timestamp,
};

use crate::context::Context;
use crate::json::{self, Json, object_fields};
use crate::{DecodeError, NameRole};

object_fields! {
    /// Every field of every message type: one walk over the object finds them all.
    struct Message {
        schema: "schema",
        kind: "type",
        ts: "ts",
        seq: "seq",
        market: "market",
        asset: "asset",
        series: "series",
        account: "account",
        size: "size",
        entry_price: "entry_price",
        collateral: "collateral",
        balance: "balance",
        total: "total",
        long: "long",
        short: "short",
        value: "value",
        venue: "venue",
        instrument: "instrument",
        bids: "bids",
        asks: "asks",
    }
}

/// The schema tag this decoder accepts.
const SCHEMA: &str = "recal/1";

/// Decodes one recal-schema message.
pub(crate) fn decode(ctx: &mut Context<'_>, root: Json<'_>) -> Result<(), DecodeError> {
    let message = Message::of(root);
    if message.schema().string()? != SCHEMA {
        return Err(DecodeError::UnsupportedMessage);
    }
    let kind = message.kind().string()?;
    let time = ctx.nanos(message.ts())?;
    let sequence = message.seq().optional_unsigned()?.unwrap_or(0);
    let market =
        |ctx: &mut Context<'_>| ctx.instrument_named(message.market(), NameRole::ProtocolMarket);
    let asset =
        |ctx: &mut Context<'_>| ctx.instrument_named(message.asset(), NameRole::CollateralAsset);
    let (instrument, payload) = match kind {
        "position" => (
            market(ctx)?,
            Payload::PositionChange(PositionChange {
                account: message.account().unsigned()?,
                size: message.size().number()?,
                entry_price: message.entry_price().optional_price()?,
            }),
        ),
        "collateral" => (
            asset(ctx)?,
            Payload::CollateralChange(CollateralChange {
                account: message.account().unsigned()?,
                collateral: message.collateral().number()?,
            }),
        ),
        "insurance_fund" => (
            asset(ctx)?,
            Payload::InsuranceFund(Balance {
                amount: message.balance().number()?,
            }),
        ),
        "total_collateral" => (
            asset(ctx)?,
            Payload::TotalCollateral(Balance {
                amount: message.total().size()?,
            }),
        ),
        "open_interest" => (
            market(ctx)?,
            Payload::OpenInterest(OpenInterest {
                long: message.long().size()?,
                short: message.short().size()?,
            }),
        ),
        "book_snapshot" => return book_snapshot(ctx, &message, sequence, time),
        "macro" => (
            ctx.instrument_named(message.series(), NameRole::MacroSeries)?,
            Payload::MacroValue(MacroValue {
                value: message.value().number()?,
            }),
        ),
        _ => return Err(DecodeError::UnsupportedMessage),
    };
    ctx.emit(instrument, sequence, time, payload)
}

/// The venue names of `book_snapshot`, as in tape envelopes and on the command line.
const VENUES: [(&str, Source); 4] = [
    ("deribit", Source::Deribit),
    ("binance-spot", Source::BinanceSpot),
    ("binance-usdm", Source::BinanceUsdmFutures),
    ("binance-coinm", Source::BinanceCoinmFutures),
];

/// `book_snapshot`: `venue`, `instrument` (the venue's name), `bids` and `asks` as arrays of
/// `[price, size]` → `BookSnapshotBegin`, a `BookLevel` per entry, `BookSnapshotEnd`, all on
/// the venue's instrument with sequence `seq`.
fn book_snapshot(
    ctx: &mut Context<'_>,
    message: &Message<'_>,
    sequence: u64,
    time: Timestamp,
) -> Result<(), DecodeError> {
    let venue = message.venue().string()?;
    let (_, source) = VENUES
        .into_iter()
        .find(|(name, _)| *name == venue)
        .ok_or(DecodeError::UnsupportedMessage)?;
    ctx.source = source;
    let instrument = ctx.instrument_named(message.instrument(), NameRole::Tradable)?;
    ctx.emit(instrument, sequence, time, Payload::BookSnapshotBegin)?;
    for (levels, side) in [(message.bids(), Side::Bid), (message.asks(), Side::Ask)] {
        let key = levels.key();
        for entry in &levels.array()? {
            let entry = entry.as_array().ok_or(DecodeError::WrongType(key))?;
            if entry.len() != 2 {
                return Err(DecodeError::WrongType(key));
            }
            let field = |index| entry.get(index).ok_or(DecodeError::MissingField(key));
            let level = BookLevel {
                side,
                price: json::positive_price(json::as_number(field(0)?, key)?, key)?,
                size: json::non_negative_size(json::as_number(field(1)?, key)?, key)?,
            };
            ctx.emit(instrument, sequence, time, Payload::BookLevel(level))?;
        }
    }
    ctx.emit(instrument, sequence, time, Payload::BookSnapshotEnd)
}

#[cfg(test)]
mod tests {
    use recal_types::{Event, Payload, Side, Source, Timestamp};

    use crate::{DecodeError, Decoder, DecoderConfig};

    const RECEIVED: Timestamp = Timestamp::from_nanos(1_760_054_407_000_000_000);

    fn decode(decoder: &mut Decoder, message: &str) -> Result<Vec<Event>, DecodeError> {
        let mut events = Vec::new();
        decoder
            .decode(Source::Recal, message.as_bytes(), RECEIVED, &mut events)
            .map(|_| events)
    }

    #[test]
    fn book_snapshot_is_a_venue_book() {
        let mut decoder = Decoder::new(DecoderConfig::default());
        let message = r#"{"schema":"recal/1","type":"book_snapshot","ts":1760054407000000000,"seq":3,"venue":"binance-usdm","instrument":"BTCUSDT","bids":[["121650.5","12.25"],[121600,0]],"asks":[["121700","3.5"]]}"#;
        let events = decode(&mut decoder, message).unwrap();
        let payloads: Vec<_> = events
            .iter()
            .map(|event| event.payload().unwrap())
            .collect();
        assert_eq!(payloads.len(), 5);
        assert_eq!(payloads[0], Payload::BookSnapshotBegin);
        let Payload::BookLevel(level) = payloads[1] else {
            panic!("{:?}", payloads[1]);
        };
        assert_eq!(
            (level.side, level.price, level.size),
            (Side::Bid, 121_650.5, 12.25)
        );
        let Payload::BookLevel(level) = payloads[3] else {
            panic!("{:?}", payloads[3]);
        };
        assert_eq!(
            (level.side, level.price, level.size),
            (Side::Ask, 121_700.0, 3.5)
        );
        assert_eq!(payloads[4], Payload::BookSnapshotEnd);
        let perpetual = decoder
            .instruments()
            .lookup(Source::BinanceUsdmFutures, "BTCUSDT")
            .unwrap();
        for event in &events {
            assert_eq!(event.header().unwrap().source, Source::BinanceUsdmFutures);
            assert_eq!(event.instrument(), perpetual);
            assert_eq!(event.sequence(), 3);
            assert_eq!(event.source_time().as_nanos(), 1_760_054_407_000_000_000);
        }
    }

    #[test]
    fn bad_book_snapshots_are_refused() {
        let mut decoder = Decoder::new(DecoderConfig::default());
        let base = r#"{"schema":"recal/1","type":"book_snapshot","ts":1760054407000000000,"venue":"binance-usdm","instrument":"BTCUSDT","bids":[["1","2"]],"asks":[]}"#;
        assert!(decode(&mut decoder, base).is_ok());
        for (from, to, error) in [
            ("binance-usdm", "ftx", DecodeError::UnsupportedMessage),
            ("BTCUSDT", "btc", DecodeError::BadInstrumentName),
            (
                r#"["1","2"]"#,
                r#"["0","2"]"#,
                DecodeError::NonPositivePrice("bids"),
            ),
            (
                r#"["1","2"]"#,
                r#"["1","-2"]"#,
                DecodeError::InvalidSize("bids"),
            ),
            (r#"["1","2"]"#, r#"["1"]"#, DecodeError::WrongType("bids")),
            (
                r#""asks":[]"#,
                r#""asks":{}"#,
                DecodeError::WrongType("asks"),
            ),
            (r#","asks":[]"#, "", DecodeError::MissingField("asks")),
        ] {
            let message = base.replace(from, to);
            assert_eq!(decode(&mut decoder, &message), Err(error), "{message}");
        }
    }
}
