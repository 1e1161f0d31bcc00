//! The harness the recal-feed fuzz targets share.
//!
//! A fuzz input is a sequence of messages separated by `\n` (so one input can drive a book
//! through snapshot, changes and gaps). Each message is decoded by a fresh [`Decoder`] per
//! source, and every outcome is checked; a violated invariant panics, which libFuzzer reports
//! as a crash:
//!
//! - `decode` returns: no panic, for any bytes.
//! - **All or nothing**: `Ok(n)` appended exactly `n` events; `Err` appended none, counted one
//!   reject under the error's reason and kept the bytes. A sequence gap is `Ok` with a
//!   `FeedGap` event and one `SequenceGap` reject.
//! - **Sound events**: every appended event reads back (no NaN or ±∞ in any slot), carries the
//!   message's source (or, for a recal/1 `book_snapshot`, the venue's) and receive time, names
//!   a registered instrument of that source, is not in the future
//!   beyond the allowed skew, is not older than the last accepted event of its stream, and
//!   respects the documented value ranges (prices > 0, sizes ≥ 0, trade sizes > 0, implied
//!   volatilities in `(0, max]`, …).
//! - **Rejected messages leave no trace**: a second decoder fed only the accepted messages
//!   accepts each of them and emits the same events (compared by instrument name, since ids
//!   depend on registration order).
//! - **JSON as serde_json reads it**: a message is `MalformedJson` exactly when serde_json
//!   refuses it as a document, outside the parsers' two documented differences (recal refuses
//!   invalid UTF-8 and lone surrogate escapes anywhere, serde_json only in strings it reads) and
//!   nesting near their common limit of 128.

use std::collections::HashMap;

use recal_feed::{DecodeError, Decoder, DecoderConfig, RejectReason};
use recal_types::{Event, EventKind, Payload, Price, Source, Timestamp};

/// The receive time of every message: later than every fixture's event time (2033-05-18, as
/// in the feed's tests), so the seeds decode and the future-skew check stays live.
const RECEIVED: Timestamp = Timestamp::from_nanos(2_000_000_000_000_000_000);

/// At most this many messages of one input are decoded.
const MAX_MESSAGES: usize = 32;

/// The decoders' configuration: the defaults, but with a small reject store (it is allocated
/// up front, for every input) and a message limit below libFuzzer's default `-max_len` of
/// 4096 bytes, so the oversize path is reachable.
fn config() -> DecoderConfig {
    DecoderConfig {
        max_message_len: 2048,
        reject_capacity: 4,
        reject_bytes: 256,
        ..DecoderConfig::default()
    }
}

/// Runs `data` through a fresh decoder for each of `sources`, checking every invariant above.
///
/// # Panics
/// When an invariant is violated (that is the point).
pub fn check(sources: &[Source], data: &[u8]) {
    let messages: Vec<&[u8]> = data
        .split(|&byte| byte == b'\n')
        .take(MAX_MESSAGES)
        .collect();
    for &source in sources {
        let accepted = decode_all(source, &messages);
        replay_accepted(source, &accepted);
    }
}

/// An accepted message and its events, with instrument names in place of ids.
struct Accepted<'a> {
    message: &'a [u8],
    events: Vec<(Box<str>, Event)>,
}

/// Decodes every message on one decoder, checking each outcome; returns the accepted ones.
fn decode_all<'a>(source: Source, messages: &[&'a [u8]]) -> Vec<Accepted<'a>> {
    let mut decoder = Decoder::new(config());
    let mut out = Vec::new();
    let mut streams = Streams::default();
    let mut accepted = Vec::new();
    for &message in messages {
        let before = out.len();
        let counters_before = *decoder.rejects().counters();
        let result = decoder.decode(source, message, RECEIVED, &mut out);
        let counters = decoder.rejects().counters();
        if let Some(refused) = serde_json_refuses(message) {
            assert_eq!(
                result == Err(DecodeError::MalformedJson),
                refused,
                "recal and serde_json disagree on whether this is JSON: {:?} ({result:?})",
                String::from_utf8_lossy(message)
            );
        }
        match result {
            Ok(count) => {
                assert_eq!(
                    out.len(),
                    before + count,
                    "Ok({count}) but appended otherwise"
                );
                let events = &out[before..];
                let gaps = events
                    .iter()
                    .filter(|event| event.kind() == Ok(EventKind::FeedGap))
                    .count();
                let gap_rejects = counters.get(RejectReason::SequenceGap)
                    - counters_before.get(RejectReason::SequenceGap);
                assert_eq!(gap_rejects, u64::from(gaps > 0), "gap not counted once");
                assert_eq!(counters.total() - counters_before.total(), gap_rejects);
                for event in events {
                    check_event(&decoder, source, event, &streams);
                }
                streams.advance(events);
                let named = events
                    .iter()
                    .map(|event| (instrument_name(&decoder, event), *event))
                    .collect();
                accepted.push(Accepted {
                    message,
                    events: named,
                });
            }
            Err(error) => {
                assert_eq!(out.len(), before, "{error:?} but events were appended");
                let reason = error.reason();
                assert_ne!(reason, RejectReason::SequenceGap, "a gap is not an error");
                assert_eq!(counters.total(), counters_before.total() + 1);
                assert_eq!(counters.get(reason), counters_before.get(reason) + 1);
                let kept = decoder.rejects().iter().last().expect("the reject is kept");
                assert_eq!(
                    (kept.reason, kept.source, kept.len),
                    (reason, source, message.len())
                );
                assert!(message.starts_with(kept.bytes()), "kept bytes differ");
                if let DecodeError::Oversized { len, max } = error {
                    assert!(len > max && max == config().max_message_len);
                }
            }
        }
    }
    accepted
}

/// Whether serde_json refuses `message` as a JSON document; `None` where the comparison does not
/// apply: oversized (refused before parsing), not UTF-8 or with a `\uD…` escape (recal checks
/// these everywhere, serde_json only in the strings it reads, and skips the rest), or so many
/// brackets that nesting may reach the limit of 128 both parsers count differently.
fn serde_json_refuses(message: &[u8]) -> Option<bool> {
    if message.len() > config().max_message_len {
        return None;
    }
    let text = std::str::from_utf8(message).ok()?;
    if text.contains("\\ud") || text.contains("\\uD") {
        return None;
    }
    if text.bytes().filter(|byte| matches!(byte, b'[' | b'{')).count() > 100 {
        return None;
    }
    Some(serde_json::from_str::<serde::de::IgnoredAny>(text).is_err())
}

/// Feeds only the accepted messages to a fresh decoder: each must be accepted again with the
/// same events, or a rejected message changed the decoder's state.
fn replay_accepted(source: Source, accepted: &[Accepted<'_>]) {
    let mut decoder = Decoder::new(config());
    let mut out = Vec::new();
    for original in accepted {
        out.clear();
        let result = decoder.decode(source, original.message, RECEIVED, &mut out);
        assert_eq!(
            result,
            Ok(original.events.len()),
            "accepted once, not on replay without the rejected messages: {:?}",
            String::from_utf8_lossy(original.message)
        );
        for (event, (name, expected)) in out.iter().zip(&original.events) {
            assert_eq!(&instrument_name(&decoder, event), name);
            assert_eq!(event.sequence(), expected.sequence());
            assert_eq!(event.source_time(), expected.source_time());
            assert_eq!(event.payload(), expected.payload());
        }
    }
}

fn instrument_name(decoder: &Decoder, event: &Event) -> Box<str> {
    decoder
        .instruments()
        .descriptor(event.instrument())
        .expect("every event names a registered instrument")
        .name
        .clone()
}

/// The last accepted event time per instrument and kind, mirrored from the decoder's
/// documented out-of-order rule.
#[derive(Default)]
struct Streams {
    last: HashMap<(u32, EventKind), u64>,
}

impl Streams {
    fn last(&self, event: &Event, kind: EventKind) -> u64 {
        self.last
            .get(&(event.instrument().0, kind))
            .copied()
            .unwrap_or(0)
    }

    fn advance(&mut self, events: &[Event]) {
        for event in events {
            let kind = event.kind().expect("checked");
            let last = self.last.entry((event.instrument().0, kind)).or_insert(0);
            *last = (*last).max(event.source_time().as_nanos());
        }
    }
}

/// One accepted event is sound.
fn check_event(decoder: &Decoder, source: Source, event: &Event, streams: &Streams) {
    let header = event.header().expect("header reads back");
    let payload = event
        .payload()
        .expect("payload reads back: every float is finite");
    let kind = payload.kind();
    assert_eq!(event.kind(), Ok(kind));
    // A recal/1 `book_snapshot` carries a venue's book, on the venue's source.
    assert!(
        header.source == source || source == Source::Recal,
        "event of another source"
    );
    assert_eq!(header.receive_time, RECEIVED);
    let descriptor = decoder
        .instruments()
        .descriptor(event.instrument())
        .expect("registered instrument");
    assert_eq!(
        descriptor.source, header.source,
        "instrument of another source"
    );
    let skew = decoder.config().max_future_skew_ns.unwrap_or(u64::MAX);
    assert!(
        header.source_time.as_nanos() <= RECEIVED.as_nanos().saturating_add(skew),
        "event time in the future"
    );
    let ordered = !matches!(
        kind,
        EventKind::FeedGap | EventKind::BookSnapshotBegin | EventKind::BookSnapshotEnd
    );
    if ordered {
        assert!(
            header.source_time.as_nanos() >= streams.last(event, kind),
            "event older than the last accepted one of its stream"
        );
    }
    check_ranges(&payload, decoder.config().max_implied_volatility);
}

/// The documented value ranges of each payload.
fn check_ranges(payload: &Payload, max_iv: f64) {
    let positive = |value: f64| assert!(value > 0.0, "{value} not > 0 in {payload:?}");
    let non_negative = |value: f64| assert!(value >= 0.0, "{value} not >= 0 in {payload:?}");
    let iv = |value: f64| assert!(value > 0.0 && value <= max_iv, "iv {value} in {payload:?}");
    let price = |p: &Price| {
        positive(p.price);
        p.confidence.map(non_negative);
        p.ema_price.map(positive);
        p.ema_confidence.map(non_negative);
    };
    match payload {
        Payload::SpotPrice(p) | Payload::IndexPrice(p) | Payload::OraclePrice(p) => price(p),
        Payload::OptionQuote(quote) => {
            iv(quote.mark_iv);
            quote.bid_iv.map(iv);
            quote.ask_iv.map(iv);
            positive(quote.mark_price);
        }
        Payload::OptionGreeks(greeks) => {
            positive(greeks.underlying_price);
            non_negative(greeks.open_interest);
        }
        Payload::Trade(trade) => {
            positive(trade.price);
            positive(trade.size);
        }
        Payload::BestBidOffer(top) => {
            positive(top.bid_price);
            positive(top.ask_price);
            non_negative(top.bid_size);
            non_negative(top.ask_size);
        }
        Payload::BookLevel(level) => {
            positive(level.price);
            non_negative(level.size);
        }
        Payload::FundingMark(mark) => {
            positive(mark.mark_price);
            mark.index_price.map(positive);
        }
        Payload::PositionChange(position) => {
            position.entry_price.map(positive);
        }
        Payload::TotalCollateral(total) => non_negative(total.amount),
        Payload::OpenInterest(interest) => {
            non_negative(interest.long);
            non_negative(interest.short);
        }
        Payload::CollateralChange(_)
        | Payload::InsuranceFund(_)
        | Payload::MacroValue(_)
        | Payload::BookSnapshotBegin
        | Payload::BookSnapshotEnd
        | Payload::FeedGap(_) => {}
    }
}
