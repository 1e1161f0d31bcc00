//! The decoder and the serde_json reference (`tests/serde_reference`) agree, event for
//! event, on every fixture.

mod common;
mod serde_reference;

use common::*;
use recal_feed::{Decoder, DecoderConfig};

#[test]
fn decoder_matches_serde_reference() {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut total = 0;
    for (source, message) in ALL {
        let mut events = Vec::new();
        decoder
            .decode(*source, message.as_bytes(), RECEIVED, &mut events)
            .unwrap();
        let reference = serde_reference::decode(*source, message).unwrap();
        assert_eq!(events.len(), reference.len(), "{message}");
        for (event, expected) in events.iter().zip(&reference) {
            let name = &decoder
                .instruments()
                .descriptor(event.instrument())
                .unwrap()
                .name;
            assert_eq!(&**name, expected.instrument, "{message}");
            assert_eq!(event.sequence(), expected.sequence, "{message}");
            assert_eq!(
                event.source_time(),
                expected.time.unwrap_or(RECEIVED),
                "{message}"
            );
            assert_eq!(event.payload(), Ok(expected.payload), "{message}");
        }
        total += events.len();
    }
    assert!(total > 30, "only {total} events compared");
}

/// Positive decimal text of any shape: up to 20 integer digits, 25 fraction digits, an
/// exponent.
fn decimal_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    (
        "[1-9][0-9]{0,19}",
        proptest::option::of("[0-9]{1,25}"),
        proptest::option::of(-60_i32..60),
    )
        .prop_map(|(integer, fraction, exponent)| {
            let mut text = integer;
            if let Some(fraction) = fraction {
                text = format!("{text}.{fraction}");
            }
            if let Some(exponent) = exponent {
                text = format!("{text}e{exponent}");
            }
            text
        })
}

proptest::proptest! {
    /// Prices as Binance decimal strings and as Deribit JSON numbers decode to the same bits
    /// through both paths.
    #[test]
    fn prices_agree_bit_for_bit(price in decimal_text(), size in decimal_text()) {
        let binance = BINANCE_SPOT_TRADE
            .replace("\"p\":\"0.001\"", &format!("\"p\":\"{price}\""))
            .replace("\"q\":\"100\"", &format!("\"q\":\"{size}\""));
        let deribit = DERIBIT_TRADES
            .replace("\"price\":8950,", &format!("\"price\":{price},"))
            .replace("\"amount\":10}", &format!("\"amount\":{size}}}"));
        for (source, message) in [(recal_types::Source::BinanceSpot, binance), (recal_types::Source::Deribit, deribit)] {
            let mut decoder = Decoder::new(DecoderConfig::default());
            let mut events = Vec::new();
            decoder.decode(source, message.as_bytes(), RECEIVED, &mut events).unwrap();
            let reference = serde_reference::decode(source, &message).unwrap();
            proptest::prop_assert_eq!(events[0].payload(), Ok(reference[0].payload));
        }
    }
}
