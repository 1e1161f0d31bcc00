//! Stage 1 costs: decoding venue messages with recal-feed (its lazy JSON scanner, reused
//! buffers, fields read off the tape) against serde_json into `#[derive(Deserialize)]` structs,
//! in the same run.
//!
//! The messages are the feed's test fixtures (`crates/feed/tests/common`), shaped exactly like
//! the venues' documented examples, plus one Binance depth update with 20 levels a side (the
//! documented example has three levels; a liquid pair's 100 ms update has tens), a chain of
//! depth updates whose level counts (1 to 20 a side) are drawn per message, and a stream of
//! 1,000 option tickers for a chain's instruments with drawn prices. One message decoded in a
//! loop lets the branch predictor learn every token's length, which favours byte-at-a-time
//! parsing (serde_json's), and lets recal-feed's learned shapes match every value at the same
//! place; a stream whose numbers change, as a real one's do, does neither. The varied tickers
//! are the honest case for a channel whose messages keep one shape (values of other lengths,
//! so every match shifts), the varying depth chain for one whose shape never repeats (every
//! shape match fails, or is skipped by the back-off, and the grammar scans).
//!
//! **The peer** does the same work as the decoder, and nothing less: one serde_json pass into
//! a derived struct per message type (borrowing strings, `float_roundtrip` so JSON numbers are
//! correctly rounded like recal-feed's), decimal strings converted with `str::parse::<f64>`
//! (Pyth through the same `scaled_integer` the decoder uses), every field the decoder checks
//! checked (envelope and channel, positive prices, sizes, implied-volatility range, timestamp
//! range, future skew and order, book continuity), instruments interned in the same
//! [`Instruments`] table, and the same [`Event`]s built and pushed. It is told each message's
//! type in advance, as a consumer of a single stream would be, so it skips the dispatch the
//! decoder does: the ratios are, if anything, conservative.
//!
//! The issue's goal: recal-feed at least 1.5x serde_json on the Deribit option ticker and the
//! Binance depth update, 2x as the stretch. After criterion's absolute figures, both decoders
//! run interleaved in rounds (see `support`) and the paired ratio serde_json time / recal time
//! is printed per format, with ns/message and MB/s. A third contender in the rounds, simd-json
//! building its tape with reused buffers and decoding nothing, shows what recal-feed's scanner
//! replaced: the ratio simd-json tape time / recal-feed whole decode time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use fixtures::*;
use recal_feed::decimal::scaled_integer;
use recal_feed::{Decoder, DecoderConfig, Instruments, NameRole, UnknownInstrumentPolicy};
use recal_types::{
    Aggressor, BestBidOffer, BookLevel, Event, EventHeader, EventKind, FeedGap, FundingMark,
    InstrumentId, OptionGreeks, OptionQuote, Payload, PositionChange, Price, Side, Source,
    Timestamp, Trade,
};
use rng::Rng;
use serde::Deserialize;
use support::{interleave, is_bench_run, pin, print_quartiles, print_ratio, rounds};

#[path = "../crates/feed/tests/common/mod.rs"]
mod fixtures;
#[path = "support/rng.rs"]
mod rng;
mod support;

/// Messages per chain of sequenced book updates (Deribit `change_id`, Binance `U`/`u`): a
/// chain cannot be replayed, so after this many a fresh decoder is set up, off the clock.
const CHAIN: usize = 1_000;

/// The peer's decoding function for one message type.
type PeerFn = fn(&mut Peer, &[u8], &mut Vec<Event>) -> Result<(), PeerError>;

/// One format: the messages decoded in turn (one message, or a chain of book updates), the
/// message that sets a fresh decoder up for them (registers the instrument, grows the buffers,
/// starts the book), and the peer's decoding function.
struct Format {
    name: &'static str,
    source: Source,
    setup: String,
    messages: Vec<String>,
    peer: PeerFn,
}

impl Format {
    fn single(name: &'static str, source: Source, message: &str, peer: PeerFn) -> Self {
        Self {
            name,
            source,
            setup: message.to_owned(),
            messages: vec![message.to_owned()],
            peer,
        }
    }

    /// Mean message length in bytes.
    fn mean_len(&self) -> f64 {
        let total: usize = self.messages.iter().map(String::len).sum();
        total as f64 / self.messages.len() as f64
    }
}

/// `DERIBIT_BOOK_CHANGE` with change ids continuing from the snapshot's 297217.
fn deribit_book_changes() -> Vec<String> {
    (1..=CHAIN as u64)
        .map(|n| {
            let change_id = 297_217 + n;
            DERIBIT_BOOK_CHANGE
                .replace(
                    "\"prev_change_id\":297217",
                    &format!("\"prev_change_id\":{}", change_id - 1),
                )
                .replace(
                    "\"change_id\":297218",
                    &format!("\"change_id\":{change_id}"),
                )
        })
        .collect()
}

/// A number drawn in `[low, high)` printed with at most `decimals` decimals, trailing zeros
/// dropped, as the venues print them.
fn draw_decimal(rng: &mut Rng, low: f64, high: f64, decimals: usize) -> String {
    let text = format!("{:.decimals$}", low + (high - low) * rng.unit());
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// One of `choices`, drawn.
fn draw_one<'a>(rng: &mut Rng, choices: &[&'a str]) -> &'a str {
    choices[(rng.unit() * choices.len() as f64) as usize]
}

/// A drawn field of a ticker: its key, the range drawn from and the decimals printed.
type Drawn = (&'static str, f64, f64, usize);

/// The ticker's drawn fields, in document order, by the object or run they sit in.
const TICKER_STATS: [Drawn; 4] = [
    ("volume", 0.1, 500.0, 1),
    ("price_change", -30.0, 30.0, 4),
    ("low", 0.0001, 0.05, 4),
    ("high", 0.05, 0.2, 4),
];
const TICKER_PRICES: [Drawn; 7] = [
    ("settlement_price", 0.0001, 0.5, 4),
    ("open_interest", 0.1, 5000.0, 1),
    ("min_price", 0.0001, 0.05, 4),
    ("max_price", 0.1, 0.5, 4),
    ("mark_price", 0.0001, 0.5, 4),
    ("mark_iv", 30.0, 150.0, 2),
    ("last_price", 0.0001, 0.5, 4),
];
const TICKER_GREEKS: [Drawn; 5] = [
    ("rho", -200.0, 200.0, 2),
    ("theta", -300.0, -0.01, 2),
    ("vega", 0.01, 200.0, 2),
    ("gamma", 0.000001, 0.0001, 5),
    ("delta", -1.0, 1.0, 5),
];
const TICKER_QUOTES: [Drawn; 7] = [
    ("bid_iv", 30.0, 150.0, 2),
    ("best_bid_price", 0.0001, 0.5, 4),
    ("best_bid_amount", 0.1, 200.0, 1),
    ("best_ask_price", 0.0001, 0.5, 4),
    ("best_ask_amount", 0.1, 200.0, 1),
    ("ask_iv", 30.0, 150.0, 2),
    ("underlying_price", 40_000.0, 50_000.0, 2),
];

/// `"key":value` members for `fields`, values drawn in order, comma-separated.
fn drawn_members(rng: &mut Rng, fields: &[Drawn]) -> String {
    fields
        .iter()
        .map(|&(key, low, high, decimals)| {
            format!("\"{key}\":{}", draw_decimal(rng, low, high, decimals))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `count` option tickers shaped like `DERIBIT_OPTION_TICKER`, each for one of a chain's
/// instruments with its own prices, so that no two messages (and no two messages' token
/// lengths) repeat the way one message decoded in a loop does.
fn deribit_varied_tickers(count: usize) -> Vec<String> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..count as u64)
        .map(|n| {
            let instrument = format!(
                "BTC-{}-{}-{}",
                draw_one(&mut rng, &["27DEC24", "28MAR25", "3JAN25", "31JAN25"]),
                draw_one(
                    &mut rng,
                    &[
                        "40000", "50000", "55000", "60000", "65000", "70000", "100000"
                    ]
                ),
                draw_one(&mut rng, &["C", "P"]),
            );
            let stats = drawn_members(&mut rng, &TICKER_STATS);
            let prices = drawn_members(&mut rng, &TICKER_PRICES);
            let greeks = drawn_members(&mut rng, &TICKER_GREEKS);
            let quotes = drawn_members(&mut rng, &TICKER_QUOTES);
            let index = draw_decimal(&mut rng, 40_000.0, 50_000.0, 2);
            let time = 1_703_059_200_123 + 100 * n;
            format!(
                concat!(
                    r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"#,
                    r#""channel":"ticker.{instrument}.100ms","data":{{"timestamp":{time},"#,
                    r#""stats":{{{stats}}},"state":"open",{prices},"interest_rate":0,"#,
                    r#""instrument_name":"{instrument}","index_price":{index},"#,
                    r#""greeks":{{{greeks}}},"estimated_delivery_price":{index},{quotes},"#,
                    r#""underlying_index":"BTC-27DEC24"}}}}}}"#,
                ),
                // Named explicitly: the text `concat!` makes cannot capture variables.
                instrument = instrument,
                time = time,
                stats = stats,
                prices = prices,
                index = index,
                greeks = greeks,
                quotes = quotes,
            )
        })
        .collect()
}

/// A spot `depthUpdate` shaped like the documented one with `bids` and `asks` levels, update
/// ids `first..=first + 2`.
fn binance_depth(first: u64, bids: usize, asks: usize) -> String {
    let side = |levels: usize, base: f64, step: f64| {
        (0..levels)
            .map(|i| {
                let size = 0.0125 * (i % 7) as f64;
                format!("[\"{:.2}\",\"{size:.8}\"]", base + step * i as f64)
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"e":"depthUpdate","E":1672515782136,"s":"BTCUSDT","U":{first},"u":{},"b":[{}],"a":[{}]}}"#,
        first + 2,
        side(bids, 16_500.10, -0.01),
        side(asks, 16_500.11, 0.01),
    )
}

/// A chain of depth updates with 1 to 20 levels a side, the counts drawn per message and side,
/// as a liquid pair's stream has them: no two messages in a row need have the same shape,
/// which is the case recal-feed's learned shapes cannot help with (a failed match, then the
/// grammar).
fn binance_depth_varying() -> Vec<String> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut draw_levels = || 1 + (rng.unit() * 20.0) as usize;
    (1..=CHAIN as u64)
        .map(|n| {
            let bids = draw_levels();
            binance_depth(1 + 3 * n, bids, draw_levels())
        })
        .collect()
}

/// `BINANCE_SPOT_DEPTH` (the documented example) with update ids continuing from 157..=160.
fn binance_depth_documented() -> Vec<String> {
    (0..CHAIN as u64)
        .map(|n| {
            let first = 161 + 4 * n;
            BINANCE_SPOT_DEPTH.replace(
                "\"U\":157,\"u\":160",
                &format!("\"U\":{first},\"u\":{}", first + 3),
            )
        })
        .collect()
}

fn formats() -> Vec<Format> {
    vec![
        Format::single(
            "deribit option ticker",
            Source::Deribit,
            DERIBIT_OPTION_TICKER,
            Peer::deribit_option_ticker,
        ),
        Format {
            name: "deribit option ticker (1,000 varied)",
            source: Source::Deribit,
            setup: DERIBIT_OPTION_TICKER.to_owned(),
            messages: deribit_varied_tickers(1_000),
            peer: Peer::deribit_option_ticker,
        },
        Format {
            name: "deribit book change",
            source: Source::Deribit,
            setup: DERIBIT_BOOK_SNAPSHOT.to_owned(),
            messages: deribit_book_changes(),
            peer: Peer::deribit_book,
        },
        Format::single(
            "deribit trades (2)",
            Source::Deribit,
            DERIBIT_TRADES,
            Peer::deribit_trades,
        ),
        Format::single(
            "binance trade",
            Source::BinanceSpot,
            BINANCE_SPOT_TRADE,
            Peer::binance_trade,
        ),
        Format::single(
            "binance bookTicker",
            Source::BinanceSpot,
            BINANCE_SPOT_BOOK_TICKER,
            Peer::binance_book_ticker,
        ),
        Format {
            name: "binance depthUpdate (3 levels)",
            source: Source::BinanceSpot,
            setup: BINANCE_SPOT_DEPTH.to_owned(),
            messages: binance_depth_documented(),
            peer: Peer::binance_depth,
        },
        Format {
            name: "binance depthUpdate (40 levels)",
            source: Source::BinanceSpot,
            setup: binance_depth(1, 20, 20),
            messages: (1..=CHAIN as u64)
                .map(|n| binance_depth(1 + 3 * n, 20, 20))
                .collect(),
            peer: Peer::binance_depth,
        },
        Format {
            name: "binance depthUpdate (1-20 levels a side, varying)",
            source: Source::BinanceSpot,
            setup: binance_depth(1, 1, 1),
            messages: binance_depth_varying(),
            peer: Peer::binance_depth,
        },
        Format::single(
            "binance markPriceUpdate",
            Source::BinanceUsdmFutures,
            BINANCE_MARK_PRICE,
            Peer::binance_mark_price,
        ),
        Format::single(
            "pyth hermes (2 feeds)",
            Source::Pyth,
            PYTH_HERMES,
            Peer::pyth,
        ),
        Format::single(
            "recal/1 position",
            Source::Recal,
            RECAL_POSITION,
            Peer::recal_position,
        ),
    ]
}

/// One of the two decoders, with the state it keeps across messages.
trait Contender {
    /// Fresh state, set up with the format's setup message (off the clock).
    fn set_up(format: &Format) -> Self;

    /// Decodes one message into `events` (cleared by the caller).
    fn decode(&mut self, format: &Format, message: &[u8], events: &mut Vec<Event>);
}

/// recal-feed.
struct Recal(Decoder);

impl Contender for Recal {
    fn set_up(format: &Format) -> Self {
        let mut decoder = Decoder::new(DecoderConfig::default());
        decoder
            .decode(
                format.source,
                format.setup.as_bytes(),
                RECEIVED,
                &mut Vec::new(),
            )
            .expect("the setup message decodes");
        Self(decoder)
    }

    fn decode(&mut self, format: &Format, message: &[u8], events: &mut Vec<Event>) {
        self.0
            .decode(format.source, message, RECEIVED, events)
            .expect("recal-feed decodes");
    }
}

/// simd-json's tape alone (reused buffers and tape, the message copied into a padded buffer,
/// as its in-place parsing needs): the parse recal-feed used to decode from, without any
/// decoding. It emits no events, so it is a floor for a decoder built on it, not a peer.
struct SimdJsonTape {
    scratch: Vec<u8>,
    buffers: simd_json::Buffers,
    tape: simd_json::Tape<'static>,
}

impl Contender for SimdJsonTape {
    fn set_up(format: &Format) -> Self {
        let len = format.messages.iter().map(String::len).max().unwrap_or(0);
        Self {
            scratch: Vec::with_capacity(len + simd_json::INPUT_PADDING),
            buffers: simd_json::Buffers::new(len),
            tape: simd_json::Tape::null(),
        }
    }

    fn decode(&mut self, _: &Format, message: &[u8], _: &mut Vec<Event>) {
        self.scratch.clear();
        self.scratch.extend_from_slice(message);
        self.scratch
            .resize(message.len() + simd_json::INPUT_PADDING, b' ');
        let mut tape = std::mem::replace(&mut self.tape, simd_json::Tape::null()).reset();
        simd_json::fill_tape_padded(
            &mut self.scratch,
            message.len(),
            &mut self.buffers,
            &mut tape,
        )
        .expect("simd-json parses the message");
        black_box(&tape);
        self.tape = tape.reset();
    }
}

/// serde_json into derived structs.
struct Serde(Peer);

impl Contender for Serde {
    fn set_up(format: &Format) -> Self {
        let mut peer = Peer::new(format.source);
        (format.peer)(&mut peer, format.setup.as_bytes(), &mut Vec::new())
            .expect("the setup message decodes");
        Self(peer)
    }

    fn decode(&mut self, format: &Format, message: &[u8], events: &mut Vec<Event>) {
        (format.peer)(&mut self.0, message, events).expect("the peer decodes");
    }
}

/// A contender positioned in its format's message list.
struct Runner<'f, C> {
    format: &'f Format,
    contender: C,
    events: Vec<Event>,
    next: usize,
}

impl<'f, C: Contender> Runner<'f, C> {
    fn new(format: &'f Format) -> Self {
        Self {
            format,
            contender: C::set_up(format),
            events: Vec::with_capacity(256),
            next: 0,
        }
    }

    /// Decodes `count` messages, cycling through the list (a chain that runs out is set up
    /// afresh, off the clock), and returns the time spent decoding.
    fn run(&mut self, count: u64) -> Duration {
        let messages = &self.format.messages;
        let mut left = count;
        let mut spent = Duration::ZERO;
        while left > 0 {
            let batch = if messages.len() == 1 {
                left
            } else {
                if self.next == messages.len() {
                    self.contender = C::set_up(self.format);
                    self.next = 0;
                }
                left.min((messages.len() - self.next) as u64)
            };
            let start = Instant::now();
            for _ in 0..batch {
                let message = messages[self.next % messages.len()].as_bytes();
                self.contender
                    .decode(self.format, black_box(message), &mut self.events);
                black_box(&self.events);
                self.events.clear();
                self.next += 1;
            }
            spent += start.elapsed();
            left -= batch;
        }
        spent
    }
}

/// Why the peer refused a message.
#[derive(Debug)]
enum PeerError {
    /// serde_json refused it.
    Json(
        #[allow(dead_code, reason = "read through Debug when a bench run fails")] serde_json::Error,
    ),
    /// A field failed a check.
    Invalid(#[allow(dead_code, reason = "read through Debug when a bench run fails")] &'static str),
}

impl From<serde_json::Error> for PeerError {
    fn from(error: serde_json::Error) -> Self {
        Self::Json(error)
    }
}

/// The decoder's default limits.
const MAX_FUTURE_SKEW_NS: u64 = 5_000_000_000;
const MAX_IMPLIED_VOLATILITY: f64 = 10.0;

/// The serde_json peer: state the decoder also keeps (instruments, last event time per
/// instrument and kind, book continuity), and one function per message type.
struct Peer {
    source: Source,
    instruments: Instruments,
    last_time: Vec<[u64; EventKind::COUNT]>,
    books: Vec<Option<u64>>,
}

fn check(ok: bool, what: &'static str) -> Result<(), PeerError> {
    if ok {
        Ok(())
    } else {
        Err(PeerError::Invalid(what))
    }
}

fn positive(value: f64, what: &'static str) -> Result<f64, PeerError> {
    check(value > 0.0, what).map(|()| value)
}

fn non_negative(value: f64, what: &'static str) -> Result<f64, PeerError> {
    check(value >= 0.0, what).map(|()| value.abs())
}

/// Decimal text to a finite `f64` with `str::parse`.
fn decimal(text: &str, what: &'static str) -> Result<f64, PeerError> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(PeerError::Invalid(what)),
    }
}

fn implied_volatility(percent: f64, what: &'static str) -> Result<f64, PeerError> {
    let fraction = percent / 100.0;
    check(fraction > 0.0 && fraction <= MAX_IMPLIED_VOLATILITY, what).map(|()| fraction)
}

impl Peer {
    fn new(source: Source) -> Self {
        Self {
            source,
            instruments: Instruments::new(UnknownInstrumentPolicy::AutoRegister),
            last_time: Vec::new(),
            books: Vec::new(),
        }
    }

    fn instrument(&mut self, name: &str, role: NameRole) -> Result<InstrumentId, PeerError> {
        self.instruments
            .resolve(self.source, name, role)
            .map_err(|_| PeerError::Invalid("instrument"))
    }

    fn time(&self, value: u64, nanos_per_unit: u64) -> Result<Timestamp, PeerError> {
        let nanos = value
            .checked_mul(nanos_per_unit)
            .ok_or(PeerError::Invalid("timestamp range"))?;
        check(
            nanos <= RECEIVED.as_nanos().saturating_add(MAX_FUTURE_SKEW_NS),
            "timestamp in the future",
        )?;
        Ok(Timestamp::from_nanos(nanos))
    }

    fn millis(&self, value: u64) -> Result<Timestamp, PeerError> {
        self.time(value, 1_000_000)
    }

    /// Builds the event, refusing one older than the last of its stream. (The decoder moves
    /// its clock once a message is accepted; moving it per event here is no cheaper.)
    fn emit(
        &mut self,
        out: &mut Vec<Event>,
        instrument: InstrumentId,
        sequence: u64,
        source_time: Timestamp,
        payload: Payload,
    ) -> Result<(), PeerError> {
        let kind = payload.kind();
        let index = instrument.0 as usize;
        if index >= self.last_time.len() {
            self.last_time.resize(index + 1, [0; EventKind::COUNT]);
        }
        let last = &mut self.last_time[index][kind.index()];
        let ordered = !matches!(
            kind,
            EventKind::FeedGap | EventKind::BookSnapshotBegin | EventKind::BookSnapshotEnd
        );
        check(!ordered || source_time.as_nanos() >= *last, "out of order")?;
        *last = (*last).max(source_time.as_nanos());
        let header = EventHeader {
            source: self.source,
            instrument,
            sequence,
            source_time,
            receive_time: RECEIVED,
        };
        out.push(Event::new(header, payload).map_err(|_| PeerError::Invalid("non-finite"))?);
        Ok(())
    }

    fn book_state(&mut self, instrument: InstrumentId) -> &mut Option<u64> {
        let index = instrument.0 as usize;
        if index >= self.books.len() {
            self.books.resize(index + 1, None);
        }
        &mut self.books[index]
    }
}

/// A Deribit subscription notification whose `data` is `D`.
#[derive(Deserialize)]
struct Notification<'a, D> {
    method: &'a str,
    #[serde(borrow)]
    params: Params<'a, D>,
}

#[derive(Deserialize)]
struct Params<'a, D> {
    channel: &'a str,
    data: D,
}

impl<D> Notification<'_, D> {
    fn check(&self, channel: &str) -> Result<(), PeerError> {
        check(
            self.method == "subscription" && self.params.channel.starts_with(channel),
            "channel",
        )
    }
}

#[derive(Deserialize)]
struct DeribitOptionTicker<'a> {
    timestamp: u64,
    instrument_name: &'a str,
    mark_iv: f64,
    bid_iv: Option<f64>,
    ask_iv: Option<f64>,
    mark_price: f64,
    underlying_price: f64,
    open_interest: f64,
    greeks: Option<DeribitGreeks>,
}

#[derive(Deserialize)]
struct DeribitGreeks {
    delta: Option<f64>,
    vega: Option<f64>,
}

#[derive(Deserialize)]
struct DeribitBook<'a> {
    #[serde(rename = "type")]
    kind: Option<&'a str>,
    timestamp: u64,
    instrument_name: &'a str,
    change_id: u64,
    prev_change_id: Option<u64>,
    #[serde(borrow)]
    bids: Vec<(&'a str, f64, f64)>,
    #[serde(borrow)]
    asks: Vec<(&'a str, f64, f64)>,
}

#[derive(Deserialize)]
struct DeribitTrade<'a> {
    trade_seq: u64,
    timestamp: u64,
    price: f64,
    instrument_name: &'a str,
    direction: &'a str,
    amount: f64,
}

#[derive(Deserialize)]
#[allow(non_snake_case, reason = "Binance's keys differ only by case")]
struct BinanceTrade<'a> {
    e: &'a str,
    E: u64,
    s: &'a str,
    t: u64,
    p: &'a str,
    q: &'a str,
    T: u64,
    m: bool,
}

#[derive(Deserialize)]
#[allow(non_snake_case, reason = "Binance's keys differ only by case")]
struct BinanceBookTicker<'a> {
    u: u64,
    s: &'a str,
    b: &'a str,
    B: &'a str,
    a: &'a str,
    A: &'a str,
}

#[derive(Deserialize)]
#[allow(non_snake_case, reason = "Binance's keys differ only by case")]
struct BinanceDepth<'a> {
    e: &'a str,
    E: u64,
    T: Option<u64>,
    s: &'a str,
    U: u64,
    u: u64,
    pu: Option<u64>,
    #[serde(borrow)]
    b: Vec<(&'a str, &'a str)>,
    #[serde(borrow)]
    a: Vec<(&'a str, &'a str)>,
}

#[derive(Deserialize)]
#[allow(non_snake_case, reason = "Binance's keys differ only by case")]
struct BinanceMarkPrice<'a> {
    e: &'a str,
    E: u64,
    s: &'a str,
    p: &'a str,
    i: Option<&'a str>,
    r: Option<&'a str>,
    T: Option<u64>,
}

#[derive(Deserialize)]
struct PythHermes<'a> {
    #[serde(borrow)]
    parsed: Vec<PythFeed<'a>>,
}

#[derive(Deserialize)]
struct PythFeed<'a> {
    id: &'a str,
    #[serde(borrow)]
    price: PythPrice<'a>,
    #[serde(borrow)]
    ema_price: Option<PythPrice<'a>>,
    metadata: Option<PythMetadata>,
}

#[derive(Deserialize)]
struct PythPrice<'a> {
    price: &'a str,
    conf: &'a str,
    expo: i32,
    publish_time: u64,
}

#[derive(Deserialize)]
struct PythMetadata {
    slot: Option<u64>,
}

#[derive(Deserialize)]
struct RecalPosition<'a> {
    schema: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    ts: u64,
    seq: Option<u64>,
    market: &'a str,
    account: u64,
    size: &'a str,
    entry_price: Option<&'a str>,
}

impl Peer {
    fn deribit_option_ticker(
        &mut self,
        bytes: &[u8],
        out: &mut Vec<Event>,
    ) -> Result<(), PeerError> {
        let message: Notification<'_, DeribitOptionTicker<'_>> = serde_json::from_slice(bytes)?;
        message.check("ticker.")?;
        let t = message.params.data;
        let instrument = self.instrument(t.instrument_name, NameRole::Tradable)?;
        let time = self.millis(t.timestamp)?;
        let optional_iv = |iv: Option<f64>, what| match iv {
            None | Some(0.0) => Ok(None),
            Some(percent) => implied_volatility(percent, what).map(Some),
        };
        let quote = OptionQuote {
            mark_iv: implied_volatility(t.mark_iv, "mark_iv")?,
            bid_iv: optional_iv(t.bid_iv, "bid_iv")?,
            ask_iv: optional_iv(t.ask_iv, "ask_iv")?,
            mark_price: positive(t.mark_price, "mark_price")?,
        };
        let greeks = OptionGreeks {
            underlying_price: positive(t.underlying_price, "underlying_price")?,
            open_interest: non_negative(t.open_interest, "open_interest")?,
            delta: t.greeks.as_ref().and_then(|g| g.delta),
            vega: t.greeks.as_ref().and_then(|g| g.vega),
        };
        self.emit(out, instrument, 0, time, Payload::OptionQuote(quote))?;
        self.emit(out, instrument, 0, time, Payload::OptionGreeks(greeks))
    }

    fn deribit_book(&mut self, bytes: &[u8], out: &mut Vec<Event>) -> Result<(), PeerError> {
        let message: Notification<'_, DeribitBook<'_>> = serde_json::from_slice(bytes)?;
        message.check("book.")?;
        let book = message.params.data;
        let instrument = self.instrument(book.instrument_name, NameRole::Tradable)?;
        let time = self.millis(book.timestamp)?;
        let id = book.change_id;
        let snapshot = match book.kind {
            Some("snapshot") => true,
            Some("change") => false,
            None => book.prev_change_id.is_none(),
            Some(_) => return Err(PeerError::Invalid("type")),
        };
        if snapshot {
            self.emit(out, instrument, id, time, Payload::BookSnapshotBegin)?;
        } else {
            let previous = book
                .prev_change_id
                .ok_or(PeerError::Invalid("prev_change_id"))?;
            let last = self
                .book_state(instrument)
                .ok_or(PeerError::Invalid("book stale"))?;
            check(id > last, "sequence regression")?;
            if previous != last {
                let gap = FeedGap {
                    expected: last,
                    received: previous,
                };
                *self.book_state(instrument) = None;
                return self.emit(out, instrument, id, time, Payload::FeedGap(gap));
            }
        }
        for (levels, side) in [(&book.bids, Side::Bid), (&book.asks, Side::Ask)] {
            for &(action, price, size) in levels {
                let price = positive(price, "level price")?;
                let size = non_negative(size, "level size")?;
                let size = match action {
                    "new" | "change" => size,
                    "delete" => 0.0,
                    _ => return Err(PeerError::Invalid("action")),
                };
                let level = BookLevel { side, price, size };
                self.emit(out, instrument, id, time, Payload::BookLevel(level))?;
            }
        }
        if snapshot {
            self.emit(out, instrument, id, time, Payload::BookSnapshotEnd)?;
        }
        *self.book_state(instrument) = Some(id);
        Ok(())
    }

    fn deribit_trades(&mut self, bytes: &[u8], out: &mut Vec<Event>) -> Result<(), PeerError> {
        let message: Notification<'_, Vec<DeribitTrade<'_>>> = serde_json::from_slice(bytes)?;
        message.check("trades.")?;
        for trade in &message.params.data {
            let instrument = self.instrument(trade.instrument_name, NameRole::Tradable)?;
            let time = self.millis(trade.timestamp)?;
            let aggressor = match trade.direction {
                "buy" => Aggressor::Buy,
                "sell" => Aggressor::Sell,
                _ => return Err(PeerError::Invalid("direction")),
            };
            let print = Trade {
                price: positive(trade.price, "price")?,
                size: positive(trade.amount, "amount")?,
                aggressor,
            };
            self.emit(
                out,
                instrument,
                trade.trade_seq,
                time,
                Payload::Trade(print),
            )?;
        }
        Ok(())
    }

    fn binance_trade(&mut self, bytes: &[u8], out: &mut Vec<Event>) -> Result<(), PeerError> {
        let trade: BinanceTrade<'_> = serde_json::from_slice(bytes)?;
        check(trade.e == "trade", "e")?;
        let instrument = self.instrument(trade.s, NameRole::Tradable)?;
        self.millis(trade.E)?;
        let time = self.millis(trade.T)?;
        let print = Trade {
            price: positive(decimal(trade.p, "p")?, "p")?,
            size: positive(decimal(trade.q, "q")?, "q")?,
            aggressor: if trade.m {
                Aggressor::Sell
            } else {
                Aggressor::Buy
            },
        };
        self.emit(out, instrument, trade.t, time, Payload::Trade(print))
    }

    fn binance_book_ticker(&mut self, bytes: &[u8], out: &mut Vec<Event>) -> Result<(), PeerError> {
        let ticker: BinanceBookTicker<'_> = serde_json::from_slice(bytes)?;
        let instrument = self.instrument(ticker.s, NameRole::Tradable)?;
        let top = BestBidOffer {
            bid_price: positive(decimal(ticker.b, "b")?, "b")?,
            bid_size: non_negative(decimal(ticker.B, "B")?, "B")?,
            ask_price: positive(decimal(ticker.a, "a")?, "a")?,
            ask_size: non_negative(decimal(ticker.A, "A")?, "A")?,
        };
        self.emit(
            out,
            instrument,
            ticker.u,
            RECEIVED,
            Payload::BestBidOffer(top),
        )
    }

    fn binance_depth(&mut self, bytes: &[u8], out: &mut Vec<Event>) -> Result<(), PeerError> {
        let depth: BinanceDepth<'_> = serde_json::from_slice(bytes)?;
        check(depth.e == "depthUpdate", "e")?;
        let instrument = self.instrument(depth.s, NameRole::Tradable)?;
        let time = self.millis(depth.T.unwrap_or(depth.E))?;
        check(depth.U <= depth.u, "sequence regression")?;
        if let Some(last) = *self.book_state(instrument) {
            check(depth.u > last, "sequence regression")?;
            let continuous = match depth.pu {
                Some(previous) => previous == last,
                None => depth.U <= last.saturating_add(1),
            };
            if !continuous {
                let gap = FeedGap {
                    expected: last.saturating_add(1),
                    received: depth
                        .pu
                        .map_or(depth.U, |previous| previous.saturating_add(1)),
                };
                self.emit(out, instrument, depth.u, time, Payload::FeedGap(gap))?;
            }
        }
        for (levels, side) in [(&depth.b, Side::Bid), (&depth.a, Side::Ask)] {
            for &(price, size) in levels {
                let level = BookLevel {
                    side,
                    price: positive(decimal(price, "level price")?, "level price")?,
                    size: non_negative(decimal(size, "level size")?, "level size")?,
                };
                self.emit(out, instrument, depth.u, time, Payload::BookLevel(level))?;
            }
        }
        *self.book_state(instrument) = Some(depth.u);
        Ok(())
    }

    fn binance_mark_price(&mut self, bytes: &[u8], out: &mut Vec<Event>) -> Result<(), PeerError> {
        let mark: BinanceMarkPrice<'_> = serde_json::from_slice(bytes)?;
        check(mark.e == "markPriceUpdate", "e")?;
        let instrument = self.instrument(mark.s, NameRole::Tradable)?;
        let time = self.millis(mark.E)?;
        let next_funding = match mark.T.filter(|&millis| millis > 0) {
            Some(millis) => Some(Timestamp::from_nanos(
                millis
                    .checked_mul(1_000_000)
                    .ok_or(PeerError::Invalid("T"))?,
            )),
            None => None,
        };
        let index = match mark.i {
            Some(index) => Some(positive(decimal(index, "i")?, "i")?),
            None => None,
        };
        let funding = match mark.r.filter(|rate| !rate.is_empty()) {
            Some(rate) => Some(decimal(rate, "r")?),
            None => None,
        };
        let payload = Payload::FundingMark(FundingMark {
            mark_price: positive(decimal(mark.p, "p")?, "p")?,
            index_price: index,
            funding_rate: funding,
            next_funding_time: next_funding,
        });
        self.emit(out, instrument, 0, time, payload)
    }

    fn pyth(&mut self, bytes: &[u8], out: &mut Vec<Event>) -> Result<(), PeerError> {
        let message: PythHermes<'_> = serde_json::from_slice(bytes)?;
        let scaled = |price: &PythPrice<'_>| -> Result<(f64, f64), PeerError> {
            let value =
                scaled_integer(price.price, price.expo).ok_or(PeerError::Invalid("price"))?;
            let conf = scaled_integer(price.conf, price.expo).ok_or(PeerError::Invalid("conf"))?;
            Ok((positive(value, "price")?, non_negative(conf, "conf")?))
        };
        for feed in &message.parsed {
            let instrument = self.instrument(feed.id, NameRole::OracleFeed)?;
            let time = self.time(feed.price.publish_time, 1_000_000_000)?;
            let (price, confidence) = scaled(&feed.price)?;
            let ema = feed.ema_price.as_ref().map(scaled).transpose()?;
            let slot = feed.metadata.as_ref().and_then(|m| m.slot).unwrap_or(0);
            let payload = Payload::OraclePrice(Price {
                price,
                confidence: Some(confidence),
                ema_price: ema.map(|(price, _)| price),
                ema_confidence: ema.map(|(_, confidence)| confidence),
            });
            self.emit(out, instrument, slot, time, payload)?;
        }
        Ok(())
    }

    fn recal_position(&mut self, bytes: &[u8], out: &mut Vec<Event>) -> Result<(), PeerError> {
        let m: RecalPosition<'_> = serde_json::from_slice(bytes)?;
        check(m.schema == "recal/1" && m.kind == "position", "type")?;
        let time = self.time(m.ts, 1)?;
        let instrument = self.instrument(m.market, NameRole::ProtocolMarket)?;
        let entry_price = match m.entry_price {
            Some(price) => Some(positive(decimal(price, "entry_price")?, "entry_price")?),
            None => None,
        };
        let payload = Payload::PositionChange(PositionChange {
            account: m.account,
            size: decimal(m.size, "size")?,
            entry_price,
        });
        self.emit(out, instrument, m.seq.unwrap_or(0), time, payload)
    }
}

/// Both decoders accept every message and emit the same payloads.
fn check_agreement(format: &Format) {
    let mut recal = Recal::set_up(format);
    let mut serde = Serde::set_up(format);
    let (mut recal_events, mut serde_events) = (Vec::new(), Vec::new());
    for message in format.messages.iter().take(3) {
        recal.decode(format, message.as_bytes(), &mut recal_events);
        serde.decode(format, message.as_bytes(), &mut serde_events);
        let payloads = |events: &[Event]| -> Vec<_> {
            events
                .iter()
                .map(|event| (event.payload(), event.sequence()))
                .collect()
        };
        assert_eq!(
            payloads(&recal_events),
            payloads(&serde_events),
            "{}",
            format.name
        );
        recal_events.clear();
        serde_events.clear();
    }
}

fn bench_formats(c: &mut Criterion, formats: &[Format]) {
    for format in formats {
        let mut group = c.benchmark_group(format!("feed/{}", format.name));
        group.throughput(Throughput::Bytes(format.mean_len().round() as u64));
        let mut recal = Runner::<Recal>::new(format);
        group.bench_function("recal-feed", |b| b.iter_custom(|iters| recal.run(iters)));
        let mut serde = Runner::<Serde>::new(format);
        group.bench_function("serde_json derive", |b| {
            b.iter_custom(|iters| serde.run(iters))
        });
        group.finish();
    }
}

fn interleaved_report(formats: &[Format], rounds: usize) {
    const MESSAGES: u64 = 20_000;
    println!(
        "\nFeed decode, {rounds} interleaved rounds of {MESSAGES} messages per format and decoder"
    );
    for format in formats {
        let mut recal = Runner::<Recal>::new(format);
        let mut serde = Runner::<Serde>::new(format);
        let mut simd = Runner::<SimdJsonTape>::new(format);
        let per_message = |elapsed: Duration| elapsed.as_nanos() as f64 / MESSAGES as f64;
        let samples = interleave(
            rounds,
            &mut [
                &mut || per_message(recal.run(MESSAGES)),
                &mut || per_message(serde.run(MESSAGES)),
                &mut || per_message(simd.run(MESSAGES)),
            ],
        );
        let bytes = format.mean_len();
        let throughput =
            |ns: &[f64]| -> Vec<f64> { ns.iter().map(|ns| bytes * 1e3 / ns).collect() };
        println!("{} ({bytes:.0} bytes/message)", format.name);
        print_quartiles("recal-feed", &samples[0], "ns/msg");
        print_quartiles("serde_json derive", &samples[1], "ns/msg");
        print_quartiles("recal-feed", &throughput(&samples[0]), "MB/s");
        print_quartiles("serde_json derive", &throughput(&samples[1]), "MB/s");
        print_ratio(
            "serde_json time / recal time (speed-up)",
            &samples[1],
            &samples[0],
        );
        print_quartiles("simd-json tape only (no decoding)", &samples[2], "ns/msg");
        print_ratio(
            "simd-json tape time / recal whole decode time",
            &samples[2],
            &samples[0],
        );
    }
}

/// The formats to measure: those whose name contains `RECAL_BENCH_FORMAT`, or all. (criterion's
/// own filter argument selects its benches but not the interleaved report, and a profiler run
/// wants one format alone.)
fn selected_formats() -> Vec<Format> {
    let wanted = std::env::var("RECAL_BENCH_FORMAT").unwrap_or_default();
    formats()
        .into_iter()
        .filter(|format| format.name.contains(wanted.as_str()))
        .collect()
}

fn main() {
    pin(0);
    let formats = selected_formats();
    for format in &formats {
        check_agreement(format);
    }
    let mut criterion = Criterion::default().configure_from_args();
    bench_formats(&mut criterion, &formats);
    criterion.final_summary();
    if is_bench_run() {
        interleaved_report(&formats, rounds(21));
    }
}
