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

/// Bit `i` set when byte `i` of `block` cannot continue a number's usual text: anything but
/// `-`, `.`, `/` and the digits (one range, 0x2D to 0x39, so one compare; the `/` it lets
/// through is refused by the checks on the run).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(super) fn number_stop_mask(block: &[u8; BLOCK]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_cmplt_epi8, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let bytes: __m128i = bytemuck::cast(*block);
    // SAFETY: as in `special_mask`: SSE2 only, compiled for it, no memory touched.
    let mask = unsafe {
        // Shifted so that 0x2D..=0x39 become the lowest signed bytes, -128..=-116.
        let shifted = _mm_add_epi8(bytes, _mm_set1_epi8((0x80_u8 - b'-') as i8));
        let inside = _mm_cmplt_epi8(shifted, _mm_set1_epi8(-128 + 13));
        !_mm_movemask_epi8(inside) & 0xFFFF
    };
    mask as u32
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(super) use swar::{non_digit_mask, number_stop_mask, special_mask};

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

    pub(crate) fn number_stop_mask(block: &[u8; BLOCK]) -> u32 {
        let word = u128::from_le_bytes(*block);
        let inside = !below(word, b'-') & below(word, b'9' + 1) & HIGH_BITS;
        gather(!inside & HIGH_BITS)
    }
}

/// `a == b`, without a call to `memcmp` for the short texts of venue messages (keys, the
/// constant runs of a [`Shape`](super::shape)): two overlapping words from each end up to 16
/// bytes, 16-byte words beyond.
#[inline(always)]
pub(super) fn bytes_equal(a: &[u8], b: &[u8]) -> bool {
    fn ends<const N: usize>(text: &[u8]) -> Option<(&[u8; N], &[u8; N])> {
        Some((text.first_chunk::<N>()?, text.last_chunk::<N>()?))
    }
    if a.len() != b.len() {
        return false;
    }
    if a.len() > BLOCK {
        let (a_blocks, _) = a.as_chunks::<BLOCK>();
        let (b_blocks, _) = b.as_chunks::<BLOCK>();
        let blocks_equal = a_blocks
            .iter()
            .zip(b_blocks)
            .all(|(a, b)| u128::from_ne_bytes(*a) == u128::from_ne_bytes(*b));
        return blocks_equal && a.last_chunk::<BLOCK>() == b.last_chunk::<BLOCK>();
    }
    match (ends::<8>(a), ends::<8>(b), ends::<4>(a), ends::<4>(b)) {
        (Some(a), Some(b), ..) => a == b,
        (.., Some(a), Some(b)) => a == b,
        // One to three bytes: the first, middle and last are all of them.
        _ => {
            a.first() == b.first()
                && a.get(a.len() / 2) == b.get(b.len() / 2)
                && a.last() == b.last()
        }
    }
}

/// Powers of ten that are exact `f64`s, as far as a fraction of 8 digits needs.
const EXACT_POWERS_OF_TEN: [f64; 9] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/// The first `len` bytes of `block` as decimal text `-?digits(.digits)?` with at most 7 bytes
/// before the dot (sign included) and 8 digits after it (nearly every venue price and size),
/// converted exactly:
/// the digits form an integer below 10^15 < 2^53 and the power of ten is an exact `f64`, so one
/// IEEE division is the correctly rounded value (Clinger's fast path). Each part is read as one
/// word and converted with word arithmetic, without a branch per digit. `None` for any other
/// text (an exponent, more digits, a stray byte): the caller falls back to
/// [`parse_decimal`](crate::decimal::parse_decimal), which decides.
#[inline(always)]
pub(super) fn short_decimal(block: &[u8; BLOCK], len: usize) -> Option<f64> {
    if len == 0 || len > BLOCK {
        return None;
    }
    let negative = block[0] == b'-';
    let first = usize::from(negative);
    let others = non_digit_mask(block) & (u32::MAX >> (32 - len)) & !u32::from(negative);
    // At most one non-digit, a `.` with a digit on each side.
    let has_dot = others != 0;
    let integer_end = if has_dot {
        others.trailing_zeros() as usize
    } else {
        len
    };
    let integer = integer_end - first;
    let fraction = len - integer_end - usize::from(has_dot);
    if others & others.wrapping_sub(1) != 0
        || (has_dot && (block[integer_end & (BLOCK - 1)] != b'.' || fraction == 0))
        || integer == 0
        || integer_end > 7
        || fraction > 8
    {
        return None;
    }
    // Both words lie inside the block: the integer part starts at byte 0 or 1, and the
    // fraction at byte 8 at the latest (the integer part ends by byte 7).
    let integer_digits = word_value(word_at(block, first)?, integer);
    let fraction_digits = word_value(word_at(block, integer_end + 1)?, fraction);
    let mantissa = integer_digits * POWERS_OF_TEN[fraction] + fraction_digits;
    let magnitude = mantissa as f64 / EXACT_POWERS_OF_TEN[fraction];
    Some(if negative { -magnitude } else { magnitude })
}

/// Powers of ten as integers, as far as a fraction of 8 digits needs.
const POWERS_OF_TEN: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The eight bytes of `block` from `offset`, little-endian.
#[inline(always)]
fn word_at(block: &[u8; BLOCK], offset: usize) -> Option<u64> {
    let bytes = block.get(offset..)?.first_chunk::<8>()?;
    Some(u64::from_le_bytes(*bytes))
}

/// The first `count` (at most 8) bytes of `word`, ASCII digits, as an integer.
#[inline(always)]
fn word_value(word: u64, count: usize) -> u64 {
    const ZEROS: u64 = u64::from_ne_bytes([b'0'; 8]);
    // Right-align the digits behind ASCII zeros, then subtract the zeros everywhere.
    let shift = 8 * (8 - count) as u32;
    let aligned =
        word.checked_shl(shift).unwrap_or(0) | ZEROS.checked_shr(8 * count as u32).unwrap_or(0);
    eight_digits(aligned - ZEROS)
}

/// Eight digit values (0 to 9), one per byte, the first byte the most significant, as an
/// integer: pairs, then quads, then all eight, each step one multiply.
#[inline(always)]
const fn eight_digits(bytes: u64) -> u64 {
    // The products carry past the top of the word on purpose: only the lanes kept by each
    // mask (and the top half at the end) hold the sums.
    let pairs = bytes.wrapping_mul(10).wrapping_add(bytes >> 8) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    quads.wrapping_mul(10_000 << 32 | 1) >> 32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn block_of(text: &str) -> Option<[u8; BLOCK]> {
        let mut block = [b'x'; BLOCK];
        block
            .get_mut(..text.len())?
            .copy_from_slice(text.as_bytes());
        Some(block)
    }

    #[test]
    fn short_decimals() {
        for (text, value) in [
            ("0", 0.0_f64),
            ("-0", -0.0),
            ("25.35190000", 25.3519),
            ("0.00240000", 0.0024),
            ("100", 100.0),
            ("-43210.55", -43210.55),
            ("007", 7.0),
            ("9999999.99999999", 9_999_999.999_999_99),
            ("0.00000001", 1e-8),
            ("1234567", 1_234_567.0),
            ("-123456.5", -123_456.5),
        ] {
            let block = block_of(text).unwrap();
            let parsed = short_decimal(&block, text.len()).map(f64::to_bits);
            assert_eq!(parsed, Some(value.to_bits()), "{text}");
        }
        for text in [
            "",
            "-",
            ".5",
            "5.",
            "1.2.3",
            "1e5",
            "--1",
            "1-",
            "+1",
            "1x",
            "1234567890123456",
        ] {
            let block = block_of(text).unwrap();
            assert_eq!(short_decimal(&block, text.len()), None, "{text}");
        }
    }

    fn byte_by_byte(block: &[u8; BLOCK], class: impl Fn(u8) -> bool) -> u32 {
        block.iter().enumerate().fold(0, |mask, (index, &byte)| {
            mask | u32::from(class(byte)) << index
        })
    }

    proptest! {
        /// Whatever the short path converts, `parse_decimal` converts to the same bits; and it
        /// takes every plain decimal of up to 7 bytes before the dot and 8 digits after.
        #[test]
        fn short_decimal_agrees_with_parse_decimal(
            text in "-?[0-9]{0,9}(\\.[0-9]{0,8})?|[-0-9.e]{0,16}",
            tail in proptest::array::uniform16(any::<u8>()),
        ) {
            let mut block = tail;
            if let Some(head) = block.get_mut(..text.len()) {
                head.copy_from_slice(text.as_bytes());
                let expected = crate::decimal::parse_decimal(&text);
                match short_decimal(&block, text.len()) {
                    Some(value) => prop_assert_eq!(Some(value.to_bits()), expected.map(f64::to_bits)),
                    None => {
                        let unsigned = text.strip_prefix('-').unwrap_or(&text);
                        let (integer, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
                        let plain = !integer.is_empty()
                            && text.len() - unsigned.len() + integer.len() <= 7
                            && fraction.len() <= 8
                            && integer.bytes().chain(fraction.bytes()).all(|byte| byte.is_ascii_digit())
                            && (fraction.is_empty() != unsigned.contains('.'));
                        prop_assert!(!plain || expected.is_none(), "{} not taken", text);
                    }
                }
            }
        }

        /// Both implementations agree with a byte-by-byte classification.
        #[test]
        fn masks_classify_every_byte(
            block in proptest::array::uniform16(
                prop_oneof![
                    Just(b'"'), Just(b'\\'), Just(b'0'), Just(b'9'), Just(b'-'), Just(b','),
                    Just(b'/'), Just(b':'), any::<u8>(),
                ],
            ),
        ) {
            let special = byte_by_byte(&block, |byte| byte == b'"' || byte == b'\\' || byte < 0x20);
            let non_digit = byte_by_byte(&block, |byte| !byte.is_ascii_digit());
            prop_assert_eq!(special_mask(&block), special);
            prop_assert_eq!(swar::special_mask(&block), special);
            prop_assert_eq!(non_digit_mask(&block), non_digit);
            prop_assert_eq!(swar::non_digit_mask(&block), non_digit);
            let stop = byte_by_byte(&block, |byte| !(b'-'..=b'9').contains(&byte));
            prop_assert_eq!(number_stop_mask(&block), stop);
            prop_assert_eq!(swar::number_stop_mask(&block), stop);
        }
    }

    proptest! {
        /// The word comparison agrees with `==` on texts of every length up to 60 bytes.
        #[test]
        fn bytes_equal_is_byte_equality(
            a in proptest::collection::vec(b'a'..=b'c', 0..60),
            other in proptest::collection::vec(b'a'..=b'c', 0..60),
            flip in proptest::option::of(proptest::option::of(0.0..1.0_f64)),
        ) {
            // `b` is `a` with at most one byte changed, or unrelated.
            let b = match flip {
                Some(Some(at)) if !a.is_empty() => {
                    let mut b = a.clone();
                    let index = (at * b.len() as f64) as usize;
                    b[index] ^= 1;
                    b
                }
                Some(_) => a.clone(),
                None => other,
            };
            prop_assert_eq!(bytes_equal(&a, &b), a == b);
        }
    }
}
