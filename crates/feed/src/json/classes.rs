//! Where strings and numbers end, for the whole message at once: before the grammar runs, two
//! bit masks of the message (one bit per byte, 64 bytes per word) are built from [`block`]'s
//! 16-byte classifications: the bytes that end a string's plain run (`"`, `\`, control
//! characters) and the bytes that cannot continue a number.
//!
//! Why up front rather than a block at a time as each token is met: the scanner is bound by
//! a chain, each token's start waiting for the previous token's end. With the masks built,
//! finding a token's end is a word load, a shift and a bit count (about 10 cycles), instead
//! of a block load, compares, a move-mask and a bit count (about 16): over the ~75 tokens of
//! a Deribit ticker that is most of the scan's latency. Building the masks has no such chain
//! (each block is independent) and runs at the machine's throughput.

use super::block::{self, BLOCK};

/// Bytes per mask word.
const WORD: usize = 64;

/// The masks of one message (buffers kept across messages).
#[derive(Default)]
pub(super) struct Classes {
    /// Bit set at each `"`, `\` and control character below 0x20.
    special: Vec<u64>,
    /// Bit set at each byte outside `-`, `.`, `/`, `0`–`9` ([`block::number_stop_mask`]).
    number_stops: Vec<u64>,
}

impl Classes {
    /// Buffers for messages of about `capacity` bytes.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        let words = capacity.div_ceil(WORD);
        Self {
            special: Vec::with_capacity(words),
            number_stops: Vec::with_capacity(words),
        }
    }

    /// Classifies `bytes`, replacing the previous message's masks. The last partial word is
    /// classified as if the text went on with spaces (neither special nor part of a number).
    pub(super) fn classify(&mut self, bytes: &[u8]) {
        self.special.clear();
        self.number_stops.clear();
        let (words, rest) = bytes.as_chunks::<WORD>();
        for word in words {
            self.push_word(word);
        }
        if !rest.is_empty() {
            let mut padded = [b' '; WORD];
            padded[..rest.len()].copy_from_slice(rest);
            self.push_word(&padded);
        }
    }

    fn push_word(&mut self, word: &[u8; WORD]) {
        let (blocks, _) = word.as_chunks::<BLOCK>();
        let mut special = 0;
        let mut number_stops = 0;
        for (index, block) in blocks.iter().enumerate() {
            special |= u64::from(block::special_mask(block)) << (index * BLOCK);
            number_stops |= u64::from(block::number_stop_mask(block)) << (index * BLOCK);
        }
        self.special.push(special);
        self.number_stops.push(number_stops);
    }

    /// The index of the first `"`, `\` or control character at or after `at`, if any.
    #[inline(always)]
    pub(super) fn next_special(&self, at: usize) -> Option<usize> {
        first_set(&self.special, at)
    }

    /// The index of the first byte at or after `at` that cannot continue a number; the end
    /// of the text if there is none.
    #[inline(always)]
    pub(super) fn number_end(&self, at: usize, text_len: usize) -> usize {
        first_set(&self.number_stops, at).map_or(text_len, |end| end.min(text_len))
    }
}

/// The index of the first bit set at or after bit `at` of `masks`.
#[inline(always)]
fn first_set(masks: &[u64], at: usize) -> Option<usize> {
    let word = at / WORD;
    let bits = masks.get(word)? >> (at % WORD);
    if bits != 0 {
        return Some(at + bits.trailing_zeros() as usize);
    }
    first_set_after(masks, word)
}

/// The index of the first bit set in a word after `word`.
#[cold]
fn first_set_after(masks: &[u64], word: usize) -> Option<usize> {
    masks
        .iter()
        .enumerate()
        .skip(word + 1)
        .find(|(_, bits)| **bits != 0)
        .map(|(index, bits)| index * WORD + bits.trailing_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn is_special(byte: u8) -> bool {
        byte == b'"' || byte == b'\\' || byte < 0x20
    }

    proptest! {
        /// The masks find the same bytes as a byte-by-byte search, at any offset, across
        /// words and in the padded last word.
        #[test]
        fn masks_match_a_plain_search(
            bytes in proptest::collection::vec(
                prop_oneof![
                    Just(b'"'), Just(b'\\'), 0_u8..0x20, Just(b'5'), Just(b'.'), Just(b'-'),
                    0x20_u8..=0xFF,
                ],
                0..200,
            ),
            at in 0_usize..200,
        ) {
            let mut classes = Classes::default();
            classes.classify(&bytes);
            let from = |class: fn(u8) -> bool| {
                bytes.iter().enumerate().skip(at).find(|(_, byte)| class(**byte)).map(|(i, _)| i)
            };
            prop_assert_eq!(classes.next_special(at), from(is_special));
            if at <= bytes.len() {
                let stop = from(|byte| !(b'-'..=b'9').contains(&byte)).unwrap_or(bytes.len());
                prop_assert_eq!(classes.number_end(at, bytes.len()), stop);
            }
        }
    }
}
