//! Steady-state decoding does not allocate: after a warm-up that registers the instruments and
//! grows the parser's buffers, decoding every message kind (and rejecting bad ones) runs under a
//! counting global allocator (allocation-counter) that sees zero allocations.

mod common;

use common::*;
use recal_feed::{Decoder, DecoderConfig};
use recal_types::Source;

/// Allocations (including reallocations) `work` makes on this thread.
fn count_allocations(work: impl FnOnce()) -> u64 {
    allocation_counter::measure(work).count_total
}

/// The counter is live, so the zero below is not vacuous.
#[test]
fn the_counter_sees_allocations() {
    assert!(count_allocations(|| drop(std::hint::black_box(Box::new(7_u64)))) >= 1);
    let mut cold = Decoder::new(DecoderConfig::default());
    let mut events = Vec::new();
    let first_message = count_allocations(|| {
        cold.decode(
            Source::Deribit,
            DERIBIT_OPTION_TICKER.as_bytes(),
            RECEIVED,
            &mut events,
        )
        .unwrap();
    });
    assert!(
        first_message >= 1,
        "registering an instrument must allocate"
    );
}

/// A chain of Deribit book changes and Binance depth updates, each continuing the last, so
/// every one is accepted.
fn chained_book_messages(rounds: u64) -> Vec<(Source, String)> {
    let mut messages = Vec::new();
    for round in 0..rounds {
        let change_id = 297_218 + round;
        let deribit = DERIBIT_BOOK_CHANGE
            .replace(
                "\"prev_change_id\":297217",
                &format!("\"prev_change_id\":{}", change_id - 1),
            )
            .replace(
                "\"change_id\":297218",
                &format!("\"change_id\":{change_id}"),
            );
        messages.push((Source::Deribit, deribit));
        let first = 161 + 3 * round;
        let binance = BINANCE_SPOT_DEPTH_NEXT.replace(
            "\"U\":161,\"u\":163",
            &format!("\"U\":{first},\"u\":{}", first + 2),
        );
        messages.push((Source::BinanceSpot, binance));
    }
    messages
}

#[test]
fn steady_state_decoding_does_not_allocate() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut events = Vec::with_capacity(1024);
    // Warm-up: the first pass registers instruments and sizes every buffer; the messages that
    // decode again on a second pass (same event time is not out of order; chained book updates
    // are not repeatable) are the steady-state workload.
    for (source, message) in ALL {
        decoder
            .decode(*source, message.as_bytes(), RECEIVED, &mut events)
            .unwrap();
    }
    let repeatable: Vec<(Source, &str)> = ALL
        .iter()
        .copied()
        .filter(|(source, message)| {
            decoder
                .decode(*source, message.as_bytes(), RECEIVED, &mut events)
                .is_ok()
        })
        .collect();
    assert!(repeatable.len() >= 15, "{} repeatable", repeatable.len());
    let chain = chained_book_messages(20);
    let bad = [
        (Source::BinanceSpot, "{\"e\":\"trade\",".to_string()),
        (
            Source::Deribit,
            DERIBIT_OPTION_TICKER.replace("\"mark_iv\":56.12", "\"mark_iv\":5000"),
        ),
    ];
    let (warm_chain, measured_chain) = chain.split_at(2);
    for (source, message) in warm_chain.iter().chain(&bad) {
        let _ = decoder.decode(*source, message.as_bytes(), RECEIVED, &mut events);
    }
    events.clear();

    let mut decoded = 0;
    let allocations = count_allocations(|| {
        for _ in 0..5 {
            for (source, message) in &repeatable {
                decoded += decoder
                    .decode(*source, message.as_bytes(), RECEIVED, &mut events)
                    .unwrap();
                events.clear();
            }
            for (source, message) in &bad {
                assert!(
                    decoder
                        .decode(*source, message.as_bytes(), RECEIVED, &mut events)
                        .is_err()
                );
            }
        }
        for (source, message) in measured_chain {
            decoded += decoder
                .decode(*source, message.as_bytes(), RECEIVED, &mut events)
                .unwrap();
            events.clear();
        }
    });
    assert!(decoded > 100, "only {decoded} events decoded");
    assert_eq!(allocations, 0);
}
