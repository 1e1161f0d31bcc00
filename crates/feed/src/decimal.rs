//! Exact decimal text to `f64`.
//!
//! Venues send prices and sizes as decimal text (`"25.35190000"`) and Pyth as an integer and a
//! power of ten. Both are converted with one correctly rounded step (Rust's `str::parse::<f64>`,
//! which is correctly rounded for any length of input), never through a lossy intermediate such
//! as `mantissa as f64 * 10f64.powi(expo)`.

/// Longest decimal text accepted; longer text is refused rather than parsed.
const MAX_TEXT_LEN: usize = 64;

/// Parses decimal text in JSON number syntax (`-?digits[.digits][(e|E)[+-]digits]`) into the
/// nearest `f64`; `None` for anything else (`"inf"`, `"NaN"`, `"+1"`, `".5"`, `""`) or a value
/// that overflows to infinity.
///
/// ```
/// use recal_feed::decimal::parse_decimal;
/// assert_eq!(parse_decimal("25.35190000"), Some(25.3519));
/// assert_eq!(parse_decimal("1e400"), None);
/// assert_eq!(parse_decimal("NaN"), None);
/// ```
#[must_use]
pub fn parse_decimal(text: &str) -> Option<f64> {
    if text.len() > MAX_TEXT_LEN || !is_json_number(text.as_bytes()) {
        return None;
    }
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// `mantissa × 10^exponent` correctly rounded, for an integer `mantissa` given as decimal digits
/// (optionally with a leading `-`), as Pyth sends it (`"6140993501000"`, `expo` −8).
///
/// The decimal text `"{mantissa}e{exponent}"` is built on the stack and parsed once, so the
/// result is the `f64` nearest the exact product.
///
/// ```
/// use recal_feed::decimal::scaled_integer;
/// assert_eq!(scaled_integer("6140993501000", -8), Some(61409.93501));
/// assert_eq!(scaled_integer("12x", 0), None);
/// ```
#[must_use]
pub fn scaled_integer(mantissa: &str, exponent: i32) -> Option<f64> {
    let digits = mantissa.strip_prefix('-').unwrap_or(mantissa);
    if digits.is_empty() || digits.len() > 40 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut text = [0_u8; MAX_TEXT_LEN];
    let mut len = mantissa.len();
    text[..len].copy_from_slice(mantissa.as_bytes());
    text[len] = b'e';
    len += 1;
    if exponent < 0 {
        text[len] = b'-';
        len += 1;
    }
    let mut magnitude = exponent.unsigned_abs();
    let mut reversed = [0_u8; 10];
    let mut count = 0;
    loop {
        // `magnitude % 10` is a single decimal digit, so the cast is lossless.
        reversed[count] = b'0' + (magnitude % 10) as u8;
        count += 1;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    for digit in reversed[..count].iter().rev() {
        text[len] = *digit;
        len += 1;
    }
    std::str::from_utf8(&text[..len])
        .ok()
        .and_then(parse_decimal)
}

/// Whether `text` is a number in JSON grammar.
fn is_json_number(text: &[u8]) -> bool {
    let mut rest = text.strip_prefix(b"-").unwrap_or(text);
    let integer = leading_digits(rest);
    if integer == 0 {
        return false;
    }
    rest = &rest[integer..];
    if let Some(after_dot) = rest.strip_prefix(b".") {
        let fraction = leading_digits(after_dot);
        if fraction == 0 {
            return false;
        }
        rest = &after_dot[fraction..];
    }
    if let Some(after_e) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let unsigned = after_e
            .strip_prefix(b"+")
            .or_else(|| after_e.strip_prefix(b"-"))
            .unwrap_or(after_e);
        let exponent = leading_digits(unsigned);
        if exponent == 0 {
            return false;
        }
        rest = &unsigned[exponent..];
    }
    rest.is_empty()
}

fn leading_digits(text: &[u8]) -> usize {
    text.iter().take_while(|b| b.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn grammar() {
        for good in [
            "0",
            "-0",
            "1.5",
            "0.00100000",
            "1e5",
            "1E-5",
            "2.5e+3",
            "007",
        ] {
            assert!(parse_decimal(good).is_some(), "{good}");
        }
        for bad in [
            "", "-", "+1", ".5", "5.", "1e", "1e+", "inf", "NaN", "infinity", "0x10", " 1", "1 ",
            "1..2", "1e5.0", "--1",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
        assert_eq!(parse_decimal(&"1".repeat(65)), None);
    }

    proptest! {
        /// Independent truth: for a mantissa below 2^53 and |exponent| ≤ 22 both the mantissa
        /// and the power of ten are exact `f64`s, so one IEEE multiplication or division is the
        /// correctly rounded result (Clinger's fast path).
        #[test]
        fn scaled_integer_matches_exact_fast_path(mantissa in 0_u64..(1 << 53), exponent in -22_i32..=22, negative in any::<bool>()) {
            let text = if negative { format!("-{mantissa}") } else { mantissa.to_string() };
            let power = 10_f64.powi(exponent.abs());
            let magnitude = mantissa as f64;
            let expected = if exponent < 0 { magnitude / power } else { magnitude * power };
            let expected = if negative { -expected } else { expected };
            prop_assert_eq!(scaled_integer(&text, exponent), Some(expected));
        }

        #[test]
        fn parse_decimal_never_yields_non_finite(text in "\\PC{0,30}") {
            if let Some(value) = parse_decimal(&text) {
                prop_assert!(value.is_finite());
            }
        }
    }

    #[test]
    fn scaled_integer_extremes() {
        assert_eq!(scaled_integer("1", 400), None);
        assert_eq!(scaled_integer("1", -400), Some(0.0));
        assert_eq!(scaled_integer("", 0), None);
        assert_eq!(scaled_integer("-", 0), None);
        assert_eq!(scaled_integer("5", i32::MIN), Some(0.0));
        assert_eq!(scaled_integer("5", i32::MAX), None);
    }
}
