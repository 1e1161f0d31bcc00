//! Binance stream events (trade, aggTrade, bookTicker, depthUpdate, markPriceUpdate) never
//! break an invariant, whichever market they arrive from: every input runs through the spot,
//! USDⓈ-M and COIN-M decoders (each with its own state).
//!
//! Input: messages separated by `\n`; see the harness (`src/lib.rs`) for the invariants.

#![no_main]

use libfuzzer_sys::fuzz_target;
use recal_types::Source;

const SOURCES: [Source; 3] = [
    Source::BinanceSpot,
    Source::BinanceUsdmFutures,
    Source::BinanceCoinmFutures,
];

fuzz_target!(|data: &[u8]| recal_fuzz::check(&SOURCES, data));
