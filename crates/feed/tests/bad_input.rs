//! Bad input is rejected with the right reason, counted, and kept; it never emits events.

mod common;

use common::*;
use recal_feed::{DecodeError, Decoder, DecoderConfig, RejectReason};
use recal_types::{Source, Timestamp};

/// Decodes `message` on a decoder that has seen every valid fixture, and returns the reason.
fn reject_reason(source: Source, message: &str, received: Timestamp) -> RejectReason {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut events = Vec::new();
    for (fixture_source, fixture) in ALL {
        decoder
            .decode(*fixture_source, fixture.as_bytes(), RECEIVED, &mut events)
            .unwrap();
    }
    let before = events.len();
    let error = decoder
        .decode(source, message.as_bytes(), received, &mut events)
        .expect_err(message);
    assert_eq!(events.len(), before, "a rejected message appended events");
    let counters = decoder.rejects().counters();
    assert_eq!(counters.get(error.reason()), 1);
    assert_eq!(counters.total(), 1);
    let kept = decoder.rejects().iter().last().unwrap();
    assert_eq!(
        (kept.reason, kept.source, kept.len),
        (error.reason(), source, message.len())
    );
    assert!(message.as_bytes().starts_with(kept.bytes()));
    error.reason()
}

fn binance_trade(field: &str, value: &str) -> String {
    let original = match field {
        "p" => "\"p\":\"0.001\"",
        "q" => "\"q\":\"100\"",
        "t" => "\"t\":12345",
        "T" => "\"T\":1672515782136",
        _ => unreachable!("no such field in the fixture"),
    };
    BINANCE_SPOT_TRADE.replace(original, &format!("\"{field}\":{value}"))
}

fn option_ticker(field: &str, value: &str) -> String {
    let original = match field {
        "mark_iv" => "\"mark_iv\":56.12",
        "ask_iv" => "\"ask_iv\":56.9",
        "mark_price" => "\"mark_price\":0.0644",
        "instrument_name" => "\"instrument_name\":\"BTC-27DEC24-60000-C\"",
        "timestamp" => "\"timestamp\":1703059200123",
        _ => unreachable!("no such field in the fixture"),
    };
    DERIBIT_OPTION_TICKER.replace(original, &format!("\"{field}\":{value}"))
}

#[test]
fn each_bad_input_has_its_reason() {
    use RejectReason as R;
    let later = RECEIVED;
    let cases: Vec<(Source, String, RejectReason)> = vec![
        (Source::Deribit, "{\"jsonrpc\":".into(), R::MalformedJson),
        (Source::Deribit, String::new(), R::MalformedJson),
        (Source::Deribit, "\u{0}\u{ff}".into(), R::MalformedJson),
        (Source::Deribit, "[1,2]".into(), R::UnsupportedMessage),
        (
            Source::BinanceSpot,
            "{\"e\":\"kline\"}".into(),
            R::UnsupportedMessage,
        ),
        (
            Source::Recal,
            RECAL_MACRO.replace("recal/1", "recal/2"),
            R::UnsupportedMessage,
        ),
        (
            Source::Deribit,
            option_ticker("mark_iv", "null"),
            R::MissingField,
        ),
        (
            Source::BinanceSpot,
            BINANCE_SPOT_TRADE.replace("\"s\":\"BNBBTC\",", ""),
            R::MissingField,
        ),
        (
            Source::BinanceSpot,
            binance_trade("t", "\"12345\""),
            R::WrongType,
        ),
        (Source::BinanceSpot, binance_trade("t", "-1"), R::WrongType),
        (
            Source::Deribit,
            option_ticker("mark_price", "\"cheap\""),
            R::InvalidNumber,
        ),
        (
            Source::BinanceSpot,
            binance_trade("p", "\"NaN\""),
            R::InvalidNumber,
        ),
        (
            Source::BinanceSpot,
            binance_trade("p", "\"inf\""),
            R::InvalidNumber,
        ),
        (
            Source::BinanceSpot,
            binance_trade("p", "\"1e999\""),
            R::InvalidNumber,
        ),
        (
            Source::BinanceSpot,
            binance_trade("p", "\"0x10\""),
            R::InvalidNumber,
        ),
        (
            Source::Pyth,
            PYTH_PRICE_UPDATE.replace(
                "\"expo\":-8,\"publish_time\":1717632001}}}",
                "\"expo\":99999999999,\"publish_time\":1717632001}}}",
            ),
            R::InvalidNumber,
        ),
        (
            Source::BinanceSpot,
            binance_trade("p", "\"0\""),
            R::NonPositivePrice,
        ),
        (
            Source::BinanceSpot,
            binance_trade("p", "\"-0.001\""),
            R::NonPositivePrice,
        ),
        (
            Source::Deribit,
            option_ticker("mark_price", "-0.0644"),
            R::NonPositivePrice,
        ),
        (
            Source::Pyth,
            PYTH_PRICE_UPDATE.replace("\"6141000000000\"", "\"-6141000000000\""),
            R::NonPositivePrice,
        ),
        (
            Source::BinanceSpot,
            binance_trade("q", "\"-100\""),
            R::InvalidSize,
        ),
        (
            Source::BinanceSpot,
            binance_trade("q", "\"0\""),
            R::InvalidSize,
        ),
        (
            Source::Recal,
            RECAL_OPEN_INTEREST.replace("\"1250.5\"", "\"-1\""),
            R::InvalidSize,
        ),
        (
            Source::Deribit,
            option_ticker("mark_iv", "1500"),
            R::ImpliedVolatilityOutOfRange,
        ),
        (
            Source::Deribit,
            option_ticker("mark_iv", "0"),
            R::ImpliedVolatilityOutOfRange,
        ),
        (
            Source::Deribit,
            option_ticker("ask_iv", "-3"),
            R::ImpliedVolatilityOutOfRange,
        ),
        (
            Source::BinanceSpot,
            binance_trade("T", "18446744073709551"),
            R::TimestampOutOfRange,
        ),
        (
            Source::BinanceSpot,
            binance_trade("T", "1672515782135"),
            R::TimestampOutOfOrder,
        ),
        (
            Source::Deribit,
            option_ticker("timestamp", "1703059200122"),
            R::TimestampOutOfOrder,
        ),
        (
            Source::Deribit,
            option_ticker("instrument_name", "\"BTC-99XYZ24-1-C\""),
            R::BadInstrumentName,
        ),
        (
            Source::Deribit,
            DERIBIT_BOOK_CHANGE.to_string(),
            R::SequenceRegression,
        ),
        (
            Source::Deribit,
            DERIBIT_BOOK_SNAPSHOT.replace("[\"new\",5042.34,30]", "[\"new\",5042.34]"),
            R::MissingField,
        ),
        (
            Source::Deribit,
            DERIBIT_BOOK_SNAPSHOT.replace("[\"new\",5042.34,30]", "[\"move\",5042.34,30]"),
            R::WrongType,
        ),
        (
            Source::Deribit,
            DERIBIT_BOOK_SNAPSHOT.replace("[\"new\",5042.34,30]", "[\"new\",-5042.34,30]"),
            R::NonPositivePrice,
        ),
    ];
    for (source, message, expected) in cases {
        assert_eq!(
            reject_reason(source, &message, later),
            expected,
            "{message}"
        );
    }
}

#[test]
fn event_time_too_far_ahead_of_receipt() {
    // Received 5 s + 1 ms before the trade's own time.
    let received = Timestamp::from_nanos((1_672_515_782_136 - 5_001) * 1_000_000);
    assert_eq!(
        reject_reason(Source::BinanceSpot, BINANCE_SPOT_TRADE, received),
        RejectReason::TimestampInFuture
    );
    let mut decoder = Decoder::new(DecoderConfig {
        max_future_skew_ns: None,
        ..DecoderConfig::default()
    });
    let mut events = Vec::new();
    assert_eq!(
        decoder.decode(
            Source::BinanceSpot,
            BINANCE_SPOT_TRADE.as_bytes(),
            received,
            &mut events
        ),
        Ok(1)
    );
}

#[test]
fn oversized_messages_are_refused_unparsed_and_kept_truncated() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let message = format!("{{\"pad\":\"{}\"}}", "x".repeat(64 * 1024));
    let mut events = Vec::new();
    let error = decoder
        .decode(Source::Recal, message.as_bytes(), RECEIVED, &mut events)
        .unwrap_err();
    assert_eq!(
        error,
        DecodeError::Oversized {
            len: message.len(),
            max: 64 * 1024
        }
    );
    let kept = decoder.rejects().iter().next().unwrap();
    assert_eq!(kept.len, message.len());
    assert_eq!(kept.bytes(), &message.as_bytes()[..4 * 1024]);
}

#[test]
fn a_bad_level_rolls_back_the_whole_message_and_keeps_the_book_chain() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut events = Vec::new();
    decoder
        .decode(
            Source::Deribit,
            DERIBIT_BOOK_SNAPSHOT.as_bytes(),
            RECEIVED,
            &mut events,
        )
        .unwrap();
    let before = events.len();
    let bad = DERIBIT_BOOK_CHANGE.replace("[\"change\",5042.64,39]", "[\"change\",5042.64,-39]");
    assert!(
        decoder
            .decode(Source::Deribit, bad.as_bytes(), RECEIVED, &mut events)
            .is_err()
    );
    assert_eq!(events.len(), before);
    // The rejected change was not applied, so the valid one still chains.
    assert_eq!(
        decoder.decode(
            Source::Deribit,
            DERIBIT_BOOK_CHANGE.as_bytes(),
            RECEIVED,
            &mut events
        ),
        Ok(2)
    );
}
