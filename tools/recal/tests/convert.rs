//! `recal convert`: synthetic CSVs of every format (always), and the real files of
//! `shared/data` when they are present. Every tape line must decode through
//! `recal_feed::Decoder` with no reject.

use std::io::Write;
use std::path::{Path, PathBuf};

use recal_feed::{Decoder, DecoderConfig};
use recal_ingress::Envelope;
use recal_types::{Event, EventKind, Payload, Source};

/// What one conversion produced.
struct Converted {
    /// Stderr: the report.
    report: String,
    /// The tape's lines.
    lines: Vec<String>,
}

mod common;

fn convert(inputs: &[&Path], extra: &[&str], output: &Path) -> Converted {
    let result = common::command(&["convert"])
        .args(inputs)
        .arg("-o")
        .arg(output)
        .args(extra)
        .output()
        .expect("the recal binary runs");
    let report = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(result.status.success(), "convert failed:\n{report}");
    let tape = std::fs::read(output).unwrap();
    let tape = if tape.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&tape[..]), &mut text)
            .unwrap();
        text
    } else {
        tape
    };
    let lines = String::from_utf8(tape)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    Converted { report, lines }
}

/// Decodes every line of a tape; panics on any reject. Returns the events.
fn decode_all(lines: &[String]) -> Vec<Event> {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut events = Vec::new();
    for line in lines {
        let envelope = Envelope::parse(line.as_bytes()).unwrap_or_else(|error| {
            panic!("not an envelope ({error}): {line}");
        });
        let received = envelope.receive_time.expect("convert writes recv_ns");
        if let Err(error) = decoder.decode(envelope.source, envelope.message, received, &mut events)
        {
            panic!("decoder refused ({error}): {line}");
        }
    }
    assert_eq!(decoder.rejects().counters().total(), 0);
    events
}

/// `(rows, lines, skipped)` of the report line of the input whose path ends with `name`.
fn counts(report: &str, name: &str) -> (u64, u64, u64) {
    let line = report
        .lines()
        .find(|line| line.starts_with("input ") && line.contains(name))
        .unwrap_or_else(|| panic!("no report for {name} in:\n{report}"));
    let number = |key: &str| -> u64 {
        let at = line.find(&format!("{key} ")).unwrap() + key.len() + 1;
        line[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (number(", rows"), number(", lines"), number(", skipped"))
}

fn write(directory: &Path, name: &str, text: &str) -> PathBuf {
    let path = directory.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn write_gzip(directory: &Path, name: &str, text: &str) -> PathBuf {
    let path = directory.join(name);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    std::fs::write(&path, encoder.finish().unwrap()).unwrap();
    path
}

fn trades(events: &[Event]) -> Vec<(u64, f64, f64)> {
    events
        .iter()
        .filter_map(|event| match event.payload() {
            Ok(Payload::Trade(trade)) => Some((
                event.source_time().as_nanos() / 1_000_000,
                trade.price,
                trade.size,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn klines_become_four_prints_per_bar_in_the_bar_s_direction() {
    let directory = tempfile::tempdir().unwrap();
    let klines = write(
        directory.path(),
        "BTCUSDT-um-1m-test.csv",
        "open_time,open,high,low,close,volume,count\n\
         1584003660000,101,103,99,100,8,5\n\
         1584003600000,100,110,95,105,4.4,9\n\
         1584003720000,100,100,100,100,0,0\n\
         1584003780000,100,90,95,98,1,1\n",
    );
    let out = convert(&[&klines], &[], &directory.path().join("tape.ndjson"));
    assert_eq!(counts(&out.report, "BTCUSDT-um-1m-test.csv"), (4, 8, 2));
    assert!(
        out.report
            .contains("skipped 1: bar without volume: no trade to print")
    );
    assert!(
        out.report
            .contains("skipped 1: high and low do not bound open and close")
    );
    let events = decode_all(&out.lines);
    assert!(
        events
            .iter()
            .all(|event| event.header().unwrap().source == Source::BinanceUsdmFutures)
    );
    let expected = [
        // Up bar: open, low, high, close; 4.4 split over four prints.
        (1_584_003_600_000, 100.0, 1.1),
        (1_584_003_620_000, 95.0, 1.1),
        (1_584_003_640_000, 110.0, 1.1),
        (1_584_003_659_999, 105.0, 1.1),
        // Down bar: open, high, low, close.
        (1_584_003_660_000, 101.0, 2.0),
        (1_584_003_680_000, 103.0, 2.0),
        (1_584_003_700_000, 99.0, 2.0),
        (1_584_003_719_999, 100.0, 2.0),
    ];
    let got = trades(&events);
    assert_eq!(got.len(), expected.len());
    for ((time, price, size), (want_time, want_price, want_size)) in got.iter().zip(expected) {
        assert_eq!((*time, *price), (want_time, want_price));
        assert!((size - want_size).abs() < 1e-12);
    }
}

#[test]
fn mark_price_klines_without_header_and_close_only() {
    let directory = tempfile::tempdir().unwrap();
    // Binance's own layout: no header, twelve columns, zero volume (mark-price klines).
    let klines = write(
        directory.path(),
        "BTCUSD_PERP-1m-test.csv",
        "1760054400000,121662,121737.5,121662,121689.01,0,1760054459999,0,60,0,0,0\n\
         1760054460000,121689.01,121728.2,121679.2,121728.2,0,1760054519999,0,60,0,0,0\n",
    );
    let out = convert(
        &[&klines],
        &["--bar-path", "close"],
        &directory.path().join("tape.ndjson"),
    );
    assert_eq!(counts(&out.report, "BTCUSD_PERP"), (2, 2, 0));
    let events = decode_all(&out.lines);
    let marks: Vec<_> = events
        .iter()
        .filter_map(|event| match event.payload() {
            Ok(Payload::FundingMark(mark)) => {
                Some((event.source_time().as_nanos() / 1_000_000, mark.mark_price))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        marks,
        [
            (1_760_054_459_999, 121_689.01),
            (1_760_054_519_999, 121_728.2)
        ]
    );
    assert_eq!(
        events[0].header().unwrap().source,
        Source::BinanceCoinmFutures
    );
    // A name that says nothing about the market needs --source.
    let anonymous = write(directory.path(), "bars.csv", "1,2,3,1,2,5\n");
    let status = common::command(&["convert", anonymous.to_str().unwrap(), "-o"])
        .arg(directory.path().join("x.ndjson"))
        .output()
        .unwrap();
    assert!(!status.status.success());
    assert!(String::from_utf8_lossy(&status.stderr).contains("--source"));
}

#[test]
fn book_depth_bands_become_a_snapshot_with_the_same_cumulative_depth() {
    let directory = tempfile::tempdir().unwrap();
    let depth = write(
        directory.path(),
        "BTCUSDT-bookDepth-test.csv",
        "timestamp,percentage,depth,notional\n\
         2025-10-10 00:00:07,-2,30.5,2955000\n\
         2025-10-10 00:00:07,-1,10,990000\n\
         2025-10-10 00:00:07,1,4,404000\n\
          2025-10-10 00:00:07,2,4,404000\n\
         2025-10-10 00:00:37,-1,12.25,1188250\n\
         2025-10-10 00:00:37,1,x,1\n",
    );
    let out = convert(&[&depth], &[], &directory.path().join("tape.ndjson"));
    assert_eq!(counts(&out.report, "bookDepth"), (6, 2, 1));
    let events = decode_all(&out.lines);
    let kinds: Vec<_> = events.iter().map(|event| event.kind().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            EventKind::BookSnapshotBegin,
            EventKind::BookLevel,
            EventKind::BookLevel,
            EventKind::BookLevel,
            EventKind::BookSnapshotEnd,
            EventKind::BookSnapshotBegin,
            EventKind::BookLevel,
            EventKind::BookSnapshotEnd,
        ]
    );
    let levels: Vec<_> = events
        .iter()
        .filter_map(|event| match event.payload() {
            Ok(Payload::BookLevel(level)) => Some((level.price, level.size)),
            _ => None,
        })
        .collect();
    // Bids: the 1 % band (10 at 99 000), then the 1–2 % increment (20.5 at 1 965 000 / 20.5).
    assert_eq!(levels[0], (99_000.0, 10.0));
    assert_eq!(levels[1].1, 20.5);
    assert!((levels[1].0 * 20.5 - 1_965_000.0).abs() < 1e-6);
    // Asks: the 2 % band adds nothing, so no level.
    assert_eq!(levels[2], (101_000.0, 4.0));
    assert_eq!(levels[3], (97_000.0, 12.25));
    let header = events[0].header().unwrap();
    assert_eq!(header.source, Source::BinanceUsdmFutures);
    assert_eq!(header.source_time.as_nanos(), 1_760_054_407_000_000_000);
}

#[test]
fn tardis_trades_gzip_keep_their_venue_shape() {
    let directory = tempfile::tempdir().unwrap();
    let trades_file = write_gzip(
        directory.path(),
        "tardis_trades.csv.gz",
        "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
         gemini,BTCUSD,1760054422514000,1760054422564029,1713679388924406,sell,121767.61,0.00476285\n\
         gemini,BTCUSD,1760054406843000,1760054406899497,1713679388902077,buy,121758.75,0.01428928\n\
         deribit,BTC-PERPETUAL,1760054410000000,1760054410100000,ETH-1,buy,121760.5,100\n\
         gemini,BTCUSD,1760054430000000,1760054430000001,1713679388924407,buy,-1,1\n",
    );
    let out = convert(
        &[&trades_file],
        &[],
        &directory.path().join("tape.ndjson.gz"),
    );
    assert_eq!(counts(&out.report, "tardis_trades"), (4, 3, 1));
    let events = decode_all(&out.lines);
    let sources: Vec<_> = events
        .iter()
        .map(|event| event.header().unwrap().source)
        .collect();
    assert_eq!(
        sources,
        [Source::BinanceSpot, Source::Deribit, Source::BinanceSpot]
    );
    assert_eq!(
        events[0].receive_time().as_nanos(),
        1_760_054_406_899_497_000
    );
    let Ok(Payload::Trade(trade)) = events[2].payload() else {
        panic!("not a trade");
    };
    assert_eq!(
        (trade.price, trade.aggressor),
        (121_767.61, recal_types::Aggressor::Sell)
    );
}

#[test]
fn option_chains_become_deribit_tickers() {
    let directory = tempfile::tempdir().unwrap();
    let header = "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,last_price,bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,underlying_price,delta,gamma,vega,theta,rho";
    let chain = write_gzip(
        directory.path(),
        "okex-options_options_chain_test.csv.gz",
        &format!(
            "{header}\n\
             okex-options,BTC-USD-251031-80000-C,1760054399947000,1760054400086777,call,80000,1761897600000000,,,,,,,,0.8252036621,,0.6880520047,BTC-USD,,0.650436423,-1.2247874376,0.0000305976,-0.0000493424,\n\
             okex-options,BTC-USD-251031-80000-C,1760054400961000,1760054401159552,call,80000,1761897600000000,558,0.2735,0.3445,680,,0.346,110,12.5,0.3453012833632964,0.6880837149,BTC-USD,121718.4,0.6503958714,-1.2247689124,0.0000305739,-0.0000493064,\n"
        ),
    );
    let deribit = write(
        directory.path(),
        "deribit_chain.csv",
        ",expiration_timestamp,option_type,instrument_name,strike,underlying_price,underlying_index,timestamp,stats,state,settlement_price,open_interest,min_price,max_price,mark_price,mark_iv,last_price,interest_rate,index_price,greeks,estimated_delivery_price,change_id,bids,bid_iv,best_bid_price,best_bid_amount,best_ask_price,best_ask_amount,asks,ask_iv\n\
         0,1590134400000,put,BTC-22MAY20-9250-P,9250.0,9352.58,SYN.BTC-22MAY20,1589434896486,\"{'volume': 30.5}\",open,0.07,139.3,0.012,0.076,0.04010621,76.87,0.0485,0.0,9350.67,\"{'vega': 5.49167, 'theta': -26.07217, 'rho': -0.99385, 'gamma': 0.00037, 'delta': -0.43897}\",9350.67,19252173990,\"[[0.042, 15.5]]\",80.07,0.042,15.5,0.045,0.5,\"[[0.045, 0.5]]\",85.17\n\
         1,1589443200000,put,BTC-14MAY20-7875-P,7875.0,9352.58,SYN.BTC-14MAY20,1589434896490,\"{}\",open,0.07,54.4,0.0,0.0,0.0,117.58,0.0,0.0,9350.67,\"{}\",9350.67,1,\"[]\",0.0,0.0,0.0,0.0,0.0,\"[]\",500.0\n",
    );
    let out = convert(
        &[&chain, &deribit],
        &[],
        &directory.path().join("tape.ndjson"),
    );
    assert_eq!(counts(&out.report, "okex-options"), (2, 1, 1));
    assert_eq!(counts(&out.report, "deribit_chain"), (2, 1, 1));
    assert!(out.report.contains("skipped 1: missing mark_price"));
    assert!(out.report.contains("skipped 1: mark_price is not positive"));
    assert!(
        out.report
            .contains("note 1: bid or ask IV out of range: left out")
    );
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut events = Vec::new();
    for line in &out.lines {
        let envelope = Envelope::parse(line.as_bytes()).unwrap();
        decoder
            .decode(
                envelope.source,
                envelope.message,
                envelope.receive_time.unwrap(),
                &mut events,
            )
            .unwrap();
    }
    // Sorted by event time: the Deribit row (2020) first.
    let names: Vec<_> = events
        .iter()
        .filter(|event| event.kind() == Ok(EventKind::OptionQuote))
        .map(|event| {
            let descriptor = decoder
                .instruments()
                .descriptor(event.instrument())
                .unwrap();
            descriptor.name.to_string()
        })
        .collect();
    assert_eq!(names, ["BTC-22MAY20-9250-P", "BTC-31OCT25-80000-C"]);
    let quote = |index: usize| match events[index].payload() {
        Ok(Payload::OptionQuote(quote)) => quote,
        other => panic!("{other:?}"),
    };
    let greeks = |index: usize| match events[index].payload() {
        Ok(Payload::OptionGreeks(greeks)) => greeks,
        other => panic!("{other:?}"),
    };
    assert_eq!(quote(0).mark_iv, 0.7687);
    assert_eq!(greeks(1).delta, Some(-0.43897));
    assert_eq!(greeks(1).vega, Some(5.49167));
    let okx = quote(2);
    assert!((okx.mark_iv - 0.688_083_714_9).abs() < 1e-15);
    assert_eq!((okx.bid_iv, okx.ask_iv), (None, None));
    assert_eq!(okx.mark_price, 0.345_301_283_363_296_4);
    // OKX's coin-denominated Greeks are not passed off as Deribit's.
    assert_eq!((greeks(3).delta, greeks(3).vega), (None, None));
    assert_eq!(greeks(3).underlying_price, 121_718.4);
    assert_eq!(greeks(3).open_interest, 558.0);
}

#[test]
fn generic_columns_and_a_deterministic_merge() {
    let directory = tempfile::tempdir().unwrap();
    let bars = write(
        directory.path(),
        "eth.csv",
        "time_period_start,price_open,price_high,price_low,price_close\n\
         2020-03-12T00:10:00.0000000Z,190,191,180,185\n\
         2020-03-12T00:00:00.0000000Z,195.21,196,189,190\n",
    );
    let prints = write(
        directory.path(),
        "prints.csv",
        "ts,px,qty\n1583971260,190.5,2\n1583971261,190.25,1\n",
    );
    let ohlc = [
        "--format",
        "ohlc",
        "--time-col",
        "time_period_start",
        "--time-unit",
        "iso",
        "--open-col",
        "price_open",
        "--high-col",
        "price_high",
        "--low-col",
        "price_low",
        "--close-col",
        "price_close",
        "--source",
        "binance-spot",
        "--symbol",
        "ETHUSD",
        "--bar-prints",
        "mark",
    ];
    let out = convert(&[&bars], &ohlc, &directory.path().join("bars.ndjson"));
    assert_eq!(counts(&out.report, "eth.csv"), (2, 8, 0));
    let events = decode_all(&out.lines);
    assert_eq!(events.len(), 8);
    assert_eq!(
        events[0].source_time().as_nanos(),
        1_583_971_200_000_000_000
    );

    let generic_trades = [
        "--format",
        "trades",
        "--time-col",
        "ts",
        "--time-unit",
        "s",
        "--price-col",
        "px",
        "--size-col",
        "qty",
        "--symbol",
        "ETHUSD",
    ];
    let first = convert(
        &[&prints],
        &generic_trades,
        &directory.path().join("a.ndjson"),
    );
    let second = convert(
        &[&prints],
        &generic_trades,
        &directory.path().join("b.ndjson"),
    );
    assert_eq!(first.lines, second.lines);
    let events = decode_all(&first.lines);
    let Ok(Payload::Trade(trade)) = events[1].payload() else {
        panic!("not a trade");
    };
    assert_eq!(
        (trade.price, trade.aggressor),
        (190.25, recal_types::Aggressor::Sell)
    );
    assert!(
        events
            .windows(2)
            .all(|pair| pair[0].source_time() <= pair[1].source_time())
    );
}

/// The real files of `shared/data`, when present.
#[test]
fn real_files_convert_and_decode_without_a_reject() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if !data.join("PROVENANCE.md").exists() {
        eprintln!(
            "note: {} is absent; real-file conversion not tested",
            data.display()
        );
        return;
    }
    // (file, rows, lines, skipped)
    let expected: [(&str, u64, u64, u64); 10] = [
        (
            "crash-2020-03-12/BTCUSDT-um-1m-2020-03-12T0900-2020-03-13T0400.csv",
            1_140,
            4_560,
            0,
        ),
        (
            "crash-2022-11-08/BTCUSDT-um-1m-2022-11-08T1500-2022-11-08T2200.csv",
            420,
            1_680,
            0,
        ),
        (
            "crash-2025-10-10/BTCUSDT-bookDepth-2025-10-10.csv",
            28_790,
            2_879,
            0,
        ),
        (
            "crash-2025-10-10/BTCUSD_PERP-1m-2025-10-09.csv",
            1_440,
            5_760,
            0,
        ),
        (
            "crash-2025-10-10/BTCUSD_PERP-1m-2025-10-10.csv",
            1_440,
            5_760,
            0,
        ),
        (
            "crash-2025-10-10/gemini_trades_2025-10-10_BTCUSD.csv.gz",
            24_706,
            24_706,
            0,
        ),
        (
            "crash-2025-10-10/okex-options_options_chain_2025-10-10_BTC-USD-251031-80000-C.csv.gz",
            80_539,
            80_538,
            1,
        ),
        (
            "crash-2025-10-10/okex-options_options_chain_2025-10-10_BTC-USD-251031-80000-P.csv.gz",
            80_539,
            80_538,
            1,
        ),
        (
            "deribit-chains-2020-05/deribit_btc_options_2020-05-14.csv",
            310,
            304,
            6,
        ),
        (
            "deribit-chains-2020-05/deribit_btc_options_2020-05-21.csv",
            326,
            310,
            16,
        ),
    ];
    let directory = tempfile::tempdir().unwrap();
    let mut present = Vec::new();
    for (file, rows, lines, skipped) in expected {
        let path = data.join(file);
        if !path.exists() {
            eprintln!("note: {} is absent", path.display());
            continue;
        }
        present.push((path, file, rows, lines, skipped));
    }
    let inputs: Vec<&Path> = present.iter().map(|(path, ..)| path.as_path()).collect();
    let out = convert(&inputs, &[], &directory.path().join("real.ndjson"));
    for (_, file, rows, lines, skipped) in &present {
        let name = Path::new(file).file_name().unwrap().to_str().unwrap();
        assert_eq!(
            counts(&out.report, name),
            (*rows, *lines, *skipped),
            "{name}"
        );
    }
    let total: u64 = present.iter().map(|(.., lines, _)| *lines).sum();
    assert_eq!(out.lines.len() as u64, total);
    let events = decode_all(&out.lines);
    assert!(events.windows(2).all(|pair| {
        pair[0].source_time().as_nanos() / 1_000_000 <= pair[1].source_time().as_nanos() / 1_000_000
    }));
}
