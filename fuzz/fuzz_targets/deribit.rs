//! Deribit JSON-RPC notifications (ticker, book, trades, price index) never break an invariant.
//!
//! Input: messages separated by `\n`; see the harness (`src/lib.rs`) for the invariants.

#![no_main]

use libfuzzer_sys::fuzz_target;
use recal_types::Source;

fuzz_target!(|data: &[u8]| recal_fuzz::check(&[Source::Deribit], data));
