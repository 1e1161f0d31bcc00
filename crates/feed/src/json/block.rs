//! Classifying 16 bytes of a message at once: one bit per byte (bit `i` for byte `i`), for
//! the two questions the scanner asks most: where does this string's plain run end, and where
//! does this run of digits end. On x86-64 with SSE2 (part of the base instruction set, so no
//! run-time detection): three or four vector compares and one `movemask`. Elsewhere: the same
//! masks with 128-bit integer arithmetic (SWAR), which a property test checks against SSE2.

/// Bytes classified at once.
pub(super) const BLOCK: usize = 16;

/// Bit `i` set when byte `i` of `block` is `"`, `\` or a control character below 0x20.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(super) fn special_mask(block: &[u8; BLOCK]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let bytes: __m128i = bytemuck::cast(*block);
    // SAFETY: these intrinsics only need SSE2, which this code is compiled for (the `cfg`
    // above: SSE2 is part of the x86-64 base instruction set); they touch no memory.
    let mask = unsafe {
        let quotes = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
        let backslashes = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
        // Unsigned `byte <= 0x1F` is `max(byte, 0x1F) == 0x1F`.
        let limit = _mm_set1_epi8(0x1F);
        let controls = _mm_cmpeq_epi8(_mm_max_epu8(bytes, limit), limit);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quotes, backslashes), controls))
    };
    mask as u32
}

/// Bit `i` set when byte `i` of `block` is not an ASCII digit.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(super) fn non_digit_mask(block: &[u8; BLOCK]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let bytes: __m128i = bytemuck::cast(*block);
    // SAFETY: as in `special_mask`: SSE2 only, compiled for it, no memory touched.
    let mask = unsafe {
        // Signed compares: bytes from 0x80 up are negative, so below `'0'` too.
        let below = _mm_cmplt_epi8(bytes, _mm_set1_epi8(b'0' as i8));
        let above = _mm_cmpgt_epi8(bytes, _mm_set1_epi8(b'9' as i8));
        _mm_movemask_epi8(_mm_or_si128(below, above))
    };
    mask as u32
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(super) use swar::{non_digit_mask, special_mask};

/// The masks with 128-bit integer arithmetic, for targets without SSE2 (and as the reference
/// the SSE2 path is tested against).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
mod swar {
    use super::BLOCK;

    const ONES: u128 = u128::from_ne_bytes([0x01; BLOCK]);
    const HIGH_BITS: u128 = u128::from_ne_bytes([0x80; BLOCK]);

    /// One bit per byte from a word whose bytes are 0x80 (flagged) or 0x00.
    fn gather(flags: u128) -> u32 {
        flags
            .to_le_bytes()
            .iter()
            .enumerate()
            .fold(0, |mask, (index, byte)| {
                mask | u32::from(byte >> 7) << index
            })
    }

    /// Bytes below `limit` (at most 0x80), flagged; exact for every byte (no sum crosses a
    /// byte: the low seven bits plus at most 0x80 stay below 0x100).
    fn below(word: u128, limit: u8) -> u128 {
        let low_bits = word & !HIGH_BITS;
        let at_least = low_bits + ONES * u128::from(0x80 - limit);
        !(at_least | word) & HIGH_BITS
    }

    /// Bytes equal to `byte`, flagged; exact for every byte.
    fn equal(word: u128, byte: u8) -> u128 {
        let difference = word ^ (ONES * u128::from(byte));
        // A byte is zero when it is below 1.
        below(difference, 1)
    }

    pub(crate) fn special_mask(block: &[u8; BLOCK]) -> u32 {
        let word = u128::from_le_bytes(*block);
        gather(equal(word, b'"') | equal(word, b'\\') | below(word, 0x20))
    }

    pub(crate) fn non_digit_mask(block: &[u8; BLOCK]) -> u32 {
        let word = u128::from_le_bytes(*block);
        // A digit is at least '0' and below '9' + 1.
        let digits = !below(word, b'0') & below(word, b'9' + 1) & HIGH_BITS;
        gather(!digits & HIGH_BITS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn byte_by_byte(block: &[u8; BLOCK], class: impl Fn(u8) -> bool) -> u32 {
        block.iter().enumerate().fold(0, |mask, (index, &byte)| {
            mask | u32::from(class(byte)) << index
        })
    }

    proptest! {
        /// Both implementations agree with a byte-by-byte classification.
        #[test]
        fn masks_classify_every_byte(
            block in proptest::array::uniform16(
                prop_oneof![Just(b'"'), Just(b'\\'), Just(b'0'), Just(b'9'), any::<u8>()],
            ),
        ) {
            let special = byte_by_byte(&block, |byte| byte == b'"' || byte == b'\\' || byte < 0x20);
            let non_digit = byte_by_byte(&block, |byte| !byte.is_ascii_digit());
            prop_assert_eq!(special_mask(&block), special);
            prop_assert_eq!(swar::special_mask(&block), special);
            prop_assert_eq!(non_digit_mask(&block), non_digit);
            prop_assert_eq!(swar::non_digit_mask(&block), non_digit);
        }
    }
}
