//! Arbitrary bytes and mutated valid messages never panic and never yield a non-finite field.

mod common;

use common::*;
use proptest::prelude::*;
use recal_feed::{Decoder, DecoderConfig};
use recal_types::{Event, Source};

/// A decoder that has seen every valid fixture, so mutations hit live book and clock state.
fn warm_decoder() -> Decoder {
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut events = Vec::new();
    for (source, message) in ALL {
        decoder
            .decode(*source, message.as_bytes(), RECEIVED, &mut events)
            .unwrap();
    }
    decoder
}

/// Every event decodes (which checks every float is finite) and nothing else was touched.
fn assert_sound(events: &[Event], appended: Result<usize, recal_feed::DecodeError>) {
    match appended {
        Ok(count) => assert_eq!(count, events.len()),
        Err(_) => assert!(events.is_empty()),
    }
    for event in events {
        let payload = event.payload().expect("emitted event must decode");
        let bytes: [u8; 64] = bytemuck::cast(*event);
        assert_eq!(bytes.len(), 64);
        assert_eq!(event.kind(), Ok(payload.kind()));
    }
}

/// The mutation properties below draw from `ALL`, so it must hold a fixture of every source
/// (every decoder, and each Binance market).
#[test]
fn fixtures_cover_every_source() {
    for source in Source::ALL {
        assert!(
            ALL.iter()
                .any(|(fixture_source, _)| *fixture_source == source),
            "no fixture for {source:?}"
        );
    }
}

/// Tokens that turn a valid number into a hostile one.
const HOSTILE: &[&str] = &[
    "NaN",
    "\"NaN\"",
    "Infinity",
    "\"inf\"",
    "1e999",
    "\"1e999\"",
    "-1",
    "\"-1\"",
    "0",
    "\"0\"",
    "-0",
    "1e-400",
    "null",
    "\"\"",
    "[]",
    "{}",
    "18446744073709551616",
    "99999999999999999999",
    "\"0d5\"",
    "true",
];

fn source() -> impl Strategy<Value = Source> {
    prop::sample::select(Source::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300), source in source()) {
        let mut decoder = warm_decoder();
        let mut events = Vec::new();
        let appended = decoder.decode(source, &bytes, RECEIVED, &mut events);
        assert_sound(&events, appended);
    }

    #[test]
    fn mutated_fixtures(
        fixture in 0..ALL.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0_u8..4), 1..6),
    ) {
        let (source, message) = ALL[fixture];
        let mut bytes = message.as_bytes().to_vec();
        for (position, byte, operation) in edits {
            if bytes.is_empty() {
                break;
            }
            let at = position.index(bytes.len());
            match operation {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                2 => { bytes.remove(at); }
                _ => bytes.truncate(at),
            }
        }
        let mut decoder = warm_decoder();
        let mut events = Vec::new();
        let appended = decoder.decode(source, &bytes, RECEIVED, &mut events);
        assert_sound(&events, appended);
    }

    /// Replaces one JSON number or string value of a valid fixture with a hostile token.
    #[test]
    fn hostile_values(fixture in 0..ALL.len(), which in any::<prop::sample::Index>(), token in prop::sample::select(HOSTILE)) {
        let (source, message) = ALL[fixture];
        let starts: Vec<usize> = message
            .match_indices(':')
            .map(|(at, _)| at + 1)
            .filter(|&at| matches!(message.as_bytes().get(at), Some(b'"' | b'-' | b'0'..=b'9')))
            .collect();
        prop_assume!(!starts.is_empty());
        let start = starts[which.index(starts.len())];
        let rest = &message[start..];
        let end = match rest.strip_prefix('"') {
            Some(quoted) => quoted.find('"').map_or(rest.len(), |at| at + 2),
            None => rest.find([',', '}', ']']).unwrap_or(rest.len()),
        };
        let mutated = format!("{}{}{}", &message[..start], token, &message[start + end..]);
        let mut decoder = warm_decoder();
        let mut events = Vec::new();
        let appended = decoder.decode(source, mutated.as_bytes(), RECEIVED, &mut events);
        assert_sound(&events, appended);
    }
}
