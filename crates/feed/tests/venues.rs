//! Each venue's documented messages decode to the expected events, field by field.

mod common;

use common::*;
use recal_feed::{Decoder, DecoderConfig, NameRole, RejectReason, UnknownInstrumentPolicy};
use recal_types::{
    Aggressor, Balance, BestBidOffer, BookLevel, CollateralChange, Event, FeedGap, FundingMark,
    InstrumentKind, MacroValue, OpenInterest, OptionGreeks, OptionQuote, Payload, PositionChange,
    Price, Settlement, Side, Source, Timestamp, Trade,
};

fn decode(decoder: &mut Decoder, source: Source, message: &str) -> Vec<Event> {
    let mut events = Vec::new();
    decoder
        .decode(source, message.as_bytes(), RECEIVED, &mut events)
        .unwrap_or_else(|error| panic!("{error}: {message}"));
    events
}

fn payloads(events: &[Event]) -> Vec<Payload> {
    events
        .iter()
        .map(|event| event.payload().unwrap())
        .collect()
}

fn millis(ms: u64) -> Timestamp {
    Timestamp::from_nanos(ms * 1_000_000)
}

#[test]
fn every_fixture_decodes_in_order() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    for (source, message) in ALL {
        decode(&mut decoder, *source, message);
    }
    assert_eq!(decoder.rejects().counters().total(), 0);
}

#[test]
fn deribit_option_ticker_splits_into_quote_and_greeks() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let events = decode(&mut decoder, Source::Deribit, DERIBIT_OPTION_TICKER);
    assert_eq!(
        payloads(&events),
        vec![
            Payload::OptionQuote(OptionQuote {
                mark_iv: 56.12 / 100.0,
                bid_iv: Some(55.4 / 100.0),
                ask_iv: Some(56.9 / 100.0),
                mark_price: 0.0644,
            }),
            Payload::OptionGreeks(OptionGreeks {
                underlying_price: 44102.3,
                open_interest: 1523.4,
                delta: Some(0.41335),
                vega: Some(112.41),
            }),
        ]
    );
    let header = events[0].header().unwrap();
    assert_eq!(header.source, Source::Deribit);
    assert_eq!(header.source_time, millis(1_703_059_200_123));
    assert_eq!(header.receive_time, RECEIVED);
    let descriptor = decoder.instruments().descriptor(header.instrument).unwrap();
    assert!(matches!(descriptor.kind, InstrumentKind::Option { strike, .. } if strike == 60_000.0));
    assert_eq!(descriptor.settlement, Settlement::Inverse);

    // Reordered fields, an unknown nested field, and no bid: same instrument, bid IV absent.
    let reordered = decode(
        &mut decoder,
        Source::Deribit,
        DERIBIT_OPTION_TICKER_REORDERED,
    );
    assert_eq!(reordered[0].instrument(), header.instrument);
    let Payload::OptionQuote(quote) = reordered[0].payload().unwrap() else {
        panic!("{reordered:?}");
    };
    assert_eq!(quote.bid_iv, None);
    assert_eq!(quote.ask_iv, Some(0.569));
}

#[test]
fn deribit_perpetual_ticker_gives_funding_mark_and_top_of_book() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let events = decode(&mut decoder, Source::Deribit, DERIBIT_PERPETUAL_TICKER);
    assert_eq!(
        payloads(&events),
        vec![
            Payload::FundingMark(FundingMark {
                mark_price: 36446.51,
                index_price: Some(36441.64),
                funding_rate: Some(0.0),
                next_funding_time: None,
            }),
            Payload::BestBidOffer(BestBidOffer {
                bid_price: 36442.5,
                bid_size: 5000.0,
                ask_price: 36443.0,
                ask_size: 100.0,
            }),
        ]
    );
}

#[test]
fn deribit_book_snapshot_change_gap_and_recovery() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let level = |side, price, size| Payload::BookLevel(BookLevel { side, price, size });
    let snapshot = decode(&mut decoder, Source::Deribit, DERIBIT_BOOK_SNAPSHOT);
    assert_eq!(
        payloads(&snapshot),
        vec![
            Payload::BookSnapshotBegin,
            level(Side::Bid, 5042.34, 30.0),
            level(Side::Bid, 5041.94, 20.0),
            level(Side::Ask, 5042.64, 40.0),
            level(Side::Ask, 5043.3, 40.0),
            Payload::BookSnapshotEnd,
        ]
    );
    assert!(snapshot.iter().all(|event| event.sequence() == 297_217));

    let change = decode(&mut decoder, Source::Deribit, DERIBIT_BOOK_CHANGE);
    assert_eq!(
        payloads(&change),
        vec![
            level(Side::Bid, 5041.94, 0.0),
            level(Side::Ask, 5042.64, 39.0)
        ]
    );

    // Replaying the change is a regression, not a gap.
    let mut events = Vec::new();
    let replay = decoder.decode(
        Source::Deribit,
        DERIBIT_BOOK_CHANGE.as_bytes(),
        RECEIVED,
        &mut events,
    );
    assert_eq!(
        replay.map_err(|e| e.reason()),
        Err(RejectReason::SequenceRegression)
    );

    let gap = decode(&mut decoder, Source::Deribit, DERIBIT_BOOK_GAPPED_CHANGE);
    assert_eq!(
        payloads(&gap),
        vec![Payload::FeedGap(FeedGap {
            expected: 297_218,
            received: 297_219
        })]
    );
    assert_eq!(
        decoder.rejects().counters().get(RejectReason::SequenceGap),
        1
    );

    // Stale until the next snapshot.
    let next = DERIBIT_BOOK_GAPPED_CHANGE
        .replace("297220", "297221")
        .replace("\"prev_change_id\":297219", "\"prev_change_id\":297220");
    let stale = decoder.decode(Source::Deribit, next.as_bytes(), RECEIVED, &mut events);
    assert_eq!(stale.map_err(|e| e.reason()), Err(RejectReason::BookStale));
    let resnapshot = DERIBIT_BOOK_SNAPSHOT
        .replace("297217", "297230")
        .replace("1554373962454", "1554373962700");
    assert_eq!(decode(&mut decoder, Source::Deribit, &resnapshot).len(), 6);
    let after = next
        .replace("297221", "297231")
        .replace("\"prev_change_id\":297220", "\"prev_change_id\":297230")
        .replace("1554373962600", "1554373962800");
    assert_eq!(decode(&mut decoder, Source::Deribit, &after).len(), 1);
}

#[test]
fn deribit_trades_index_and_control_messages() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let trades = decode(&mut decoder, Source::Deribit, DERIBIT_TRADES);
    assert_eq!(
        payloads(&trades),
        vec![
            Payload::Trade(Trade {
                price: 8950.0,
                size: 10.0,
                aggressor: Aggressor::Sell
            }),
            Payload::Trade(Trade {
                price: 8950.5,
                size: 20.0,
                aggressor: Aggressor::Buy
            }),
        ]
    );
    assert_eq!(
        (trades[0].sequence(), trades[1].sequence()),
        (30_289_442, 30_289_443)
    );
    let index = decode(&mut decoder, Source::Deribit, DERIBIT_INDEX);
    assert_eq!(
        payloads(&index),
        vec![Payload::IndexPrice(Price {
            price: 3937.89,
            confidence: None,
            ema_price: None,
            ema_confidence: None
        })]
    );
    let descriptor = decoder
        .instruments()
        .descriptor(index[0].instrument())
        .unwrap();
    assert_eq!(
        (descriptor.kind, &*descriptor.underlying),
        (InstrumentKind::Index, "BTC")
    );
    assert!(decode(&mut decoder, Source::Deribit, DERIBIT_RESPONSE).is_empty());
}

#[test]
fn binance_trade_plain_and_combined_are_identical() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let plain = decode(&mut decoder, Source::BinanceSpot, BINANCE_SPOT_TRADE);
    let combined = decode(
        &mut decoder,
        Source::BinanceSpot,
        BINANCE_SPOT_TRADE_COMBINED,
    );
    assert_eq!(plain, combined);
    assert_eq!(
        payloads(&plain),
        vec![Payload::Trade(Trade {
            price: 0.001,
            size: 100.0,
            aggressor: Aggressor::Sell
        })]
    );
    assert_eq!(plain[0].sequence(), 12_345);
    assert_eq!(plain[0].source_time(), millis(1_672_515_782_136));
}

#[test]
fn binance_futures_aggregate_trade() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let events = decode(&mut decoder, Source::BinanceUsdmFutures, BINANCE_AGG_TRADE);
    assert_eq!(
        payloads(&events),
        vec![Payload::Trade(Trade {
            price: 0.001,
            size: 100.0,
            aggressor: Aggressor::Buy
        })]
    );
    assert_eq!(events[0].sequence(), 5_933_014);
    assert_eq!(events[0].source_time(), millis(123_456_785));
}

#[test]
fn binance_book_tickers_spot_without_time_and_futures_with_time() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let expected = vec![Payload::BestBidOffer(BestBidOffer {
        bid_price: 25.3519,
        bid_size: 31.21,
        ask_price: 25.3652,
        ask_size: 40.66,
    })];
    let spot = decode(&mut decoder, Source::BinanceSpot, BINANCE_SPOT_BOOK_TICKER);
    assert_eq!(payloads(&spot), expected);
    assert_eq!(spot[0].source_time(), RECEIVED);
    let futures = decode(
        &mut decoder,
        Source::BinanceUsdmFutures,
        BINANCE_FUTURES_BOOK_TICKER,
    );
    assert_eq!(payloads(&futures), expected);
    assert_eq!(futures[0].source_time(), millis(1_568_014_460_891));
    assert_ne!(spot[0].instrument(), futures[0].instrument());
}

#[test]
fn binance_depth_continuity_and_gap() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let level = |side, price, size| Payload::BookLevel(BookLevel { side, price, size });
    let first = decode(&mut decoder, Source::BinanceSpot, BINANCE_SPOT_DEPTH);
    assert_eq!(
        payloads(&first),
        vec![
            level(Side::Bid, 0.0024, 10.0),
            level(Side::Ask, 0.0026, 100.0),
            level(Side::Ask, 0.0027, 0.0),
        ]
    );
    let next = decode(&mut decoder, Source::BinanceSpot, BINANCE_SPOT_DEPTH_NEXT);
    assert_eq!(payloads(&next), vec![level(Side::Bid, 0.0024, 9.0)]);
    let gapped = decode(&mut decoder, Source::BinanceSpot, BINANCE_SPOT_DEPTH_GAPPED);
    assert_eq!(
        payloads(&gapped),
        vec![
            Payload::FeedGap(FeedGap {
                expected: 164,
                received: 170
            }),
            level(Side::Ask, 0.0026, 99.0),
        ]
    );
    let mut events = Vec::new();
    let replay = decoder.decode(
        Source::BinanceSpot,
        BINANCE_SPOT_DEPTH_NEXT.as_bytes(),
        RECEIVED,
        &mut events,
    );
    assert_eq!(
        replay.map_err(|e| e.reason()),
        Err(RejectReason::SequenceRegression)
    );

    // Futures chain by `pu`.
    decode(
        &mut decoder,
        Source::BinanceUsdmFutures,
        BINANCE_FUTURES_DEPTH,
    );
    let chained = BINANCE_FUTURES_DEPTH.replace(
        "\"U\":157,\"u\":160,\"pu\":149",
        "\"U\":161,\"u\":170,\"pu\":160",
    );
    assert_eq!(
        decode(&mut decoder, Source::BinanceUsdmFutures, &chained).len(),
        2
    );
    let broken = BINANCE_FUTURES_DEPTH.replace(
        "\"U\":157,\"u\":160,\"pu\":149",
        "\"U\":175,\"u\":180,\"pu\":174",
    );
    let events = decode(&mut decoder, Source::BinanceUsdmFutures, &broken);
    assert_eq!(
        events[0].payload(),
        Ok(Payload::FeedGap(FeedGap {
            expected: 171,
            received: 175
        }))
    );
}

#[test]
fn binance_mark_price() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let events = decode(&mut decoder, Source::BinanceUsdmFutures, BINANCE_MARK_PRICE);
    assert_eq!(
        payloads(&events),
        vec![Payload::FundingMark(FundingMark {
            mark_price: 11794.15,
            index_price: Some(11784.62659091),
            funding_rate: Some(0.00038167),
            next_funding_time: Some(millis(1_562_306_400_000)),
        })]
    );
    let descriptor = decoder
        .instruments()
        .descriptor(events[0].instrument())
        .unwrap();
    assert_eq!(descriptor.kind, InstrumentKind::Perpetual);
    assert_eq!(descriptor.settlement, Settlement::Linear);
    // A delivery contract has no funding: `r` is empty.
    let delivery = BINANCE_MARK_PRICE
        .replace("\"r\":\"0.00038167\"", "\"r\":\"\"")
        .replace("\"E\":1562305380000", "\"E\":1562305381000");
    let events = decode(&mut decoder, Source::BinanceUsdmFutures, &delivery);
    let Ok(Payload::FundingMark(mark)) = events[0].payload() else {
        panic!()
    };
    assert_eq!(mark.funding_rate, None);
}

/// COIN-M streams: inverse contracts, depth chained by `pu` like USDⓈ-M.
#[test]
fn binance_coinm_depth_and_mark_price() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let events = decode(
        &mut decoder,
        Source::BinanceCoinmFutures,
        BINANCE_COINM_DEPTH,
    );
    assert_eq!(
        payloads(&events),
        vec![
            Payload::BookLevel(BookLevel {
                side: Side::Bid,
                price: 9517.6,
                size: 10.0
            }),
            Payload::BookLevel(BookLevel {
                side: Side::Ask,
                price: 9518.5,
                size: 45.0
            }),
            Payload::BookLevel(BookLevel {
                side: Side::Ask,
                price: 9532.5,
                size: 0.0
            }),
        ]
    );
    assert_eq!(events[0].sequence(), 17_285_702);
    assert_eq!(events[0].source_time(), millis(1_591_270_260_891));
    let quarterly = decoder
        .instruments()
        .descriptor(events[0].instrument())
        .unwrap();
    assert!(matches!(quarterly.kind, InstrumentKind::Future { .. }));
    assert_eq!(quarterly.settlement, Settlement::Inverse);
    let next = BINANCE_COINM_DEPTH
        .replace(
            "\"U\":17285681,\"u\":17285702,\"pu\":17285675",
            "\"U\":17285703,\"u\":17285710,\"pu\":17285702",
        )
        .replace("\"T\":1591270260891", "\"T\":1591270260991");
    decode(&mut decoder, Source::BinanceCoinmFutures, &next);
    assert_eq!(decoder.rejects().counters().total(), 0);

    let events = decode(
        &mut decoder,
        Source::BinanceCoinmFutures,
        BINANCE_COINM_MARK_PRICE,
    );
    let Ok(Payload::FundingMark(mark)) = events[0].payload() else {
        panic!()
    };
    assert_eq!(mark.mark_price, 11185.87786614);
    assert_eq!(mark.funding_rate, Some(0.0003));
    let perpetual = decoder
        .instruments()
        .descriptor(events[0].instrument())
        .unwrap();
    assert_eq!(perpetual.kind, InstrumentKind::Perpetual);
    assert_eq!(perpetual.settlement, Settlement::Inverse);
}

#[test]
fn pyth_prices_are_scaled_exactly() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let events = decode(&mut decoder, Source::Pyth, PYTH_HERMES);
    assert_eq!(
        payloads(&events),
        vec![
            Payload::OraclePrice(Price {
                price: 61409.93501,
                confidence: Some(41.4421218),
                ema_price: Some(61301.284),
                ema_confidence: Some(44.978452),
            }),
            Payload::OraclePrice(Price {
                price: 3804.12345678,
                confidence: Some(2.12345678),
                ema_price: Some(3799.0),
                ema_confidence: Some(2.5),
            }),
        ]
    );
    assert_eq!(events[0].sequence(), 148_623_513);
    assert_eq!(
        events[0].source_time(),
        Timestamp::from_unix_seconds(1_717_632_000).unwrap()
    );
    let update = decode(&mut decoder, Source::Pyth, PYTH_PRICE_UPDATE);
    assert_eq!(update[0].instrument(), events[0].instrument());
    let Ok(Payload::OraclePrice(price)) = update[0].payload() else {
        panic!()
    };
    assert_eq!(price.price, 61410.0);
}

#[test]
fn recal_schema_messages() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let cases = [
        (
            RECAL_POSITION,
            Payload::PositionChange(PositionChange {
                account: 17,
                size: -1.5,
                entry_price: Some(61000.5),
            }),
        ),
        (
            RECAL_COLLATERAL,
            Payload::CollateralChange(CollateralChange {
                account: 17,
                collateral: 12500.25,
            }),
        ),
        (
            RECAL_INSURANCE_FUND,
            Payload::InsuranceFund(Balance {
                amount: 2_500_000.0,
            }),
        ),
        (
            RECAL_TOTAL_COLLATERAL,
            Payload::TotalCollateral(Balance {
                amount: 48_000_000.5,
            }),
        ),
        (
            RECAL_OPEN_INTEREST,
            Payload::OpenInterest(OpenInterest {
                long: 1250.5,
                short: 980.25,
            }),
        ),
        (
            RECAL_MACRO,
            Payload::MacroValue(MacroValue { value: 104.25 }),
        ),
    ];
    for (message, expected) in cases {
        let events = decode(&mut decoder, Source::Recal, message);
        assert_eq!(payloads(&events), vec![expected], "{message}");
        assert_eq!(
            events[0].source_time(),
            Timestamp::from_nanos(1_717_632_000_000_000_000)
        );
    }
    let market = decoder
        .instruments()
        .lookup(Source::Recal, "BTC-PERP")
        .unwrap();
    assert_eq!(
        decoder.instruments().descriptor(market).unwrap().kind,
        InstrumentKind::ProtocolMarket
    );
}

#[test]
fn reject_policy_needs_pre_registered_instruments() {
    let config = DecoderConfig {
        unknown_instruments: UnknownInstrumentPolicy::Reject,
        ..DecoderConfig::default()
    };
    let mut decoder = Decoder::new(config);
    let mut events = Vec::new();
    let result = decoder.decode(
        Source::BinanceSpot,
        BINANCE_SPOT_TRADE.as_bytes(),
        RECEIVED,
        &mut events,
    );
    assert_eq!(
        result.map_err(|e| e.reason()),
        Err(RejectReason::UnknownInstrument)
    );
    decoder
        .instruments_mut()
        .register(Source::BinanceSpot, "BNBBTC", NameRole::Tradable)
        .unwrap();
    assert_eq!(
        decode(&mut decoder, Source::BinanceSpot, BINANCE_SPOT_TRADE).len(),
        1
    );
}
