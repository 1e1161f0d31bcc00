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
/// One pass checks the grammar and gathers the digits. When they form an integer of at most
/// 2^53 scaled by a power of ten of at most 22 (the usual case for venue prices and sizes:
/// `"16500.10000000"` is 1650010000000 × 10^-8), both factors are exact `f64`s and one IEEE
/// multiplication or division is the correctly rounded result (Clinger's fast path).
/// Otherwise the text goes to Rust's correctly rounded `str::parse::<f64>`.
///
/// ```
/// use recal_feed::decimal::parse_decimal;
/// assert_eq!(parse_decimal("25.35190000"), Some(25.3519));
/// assert_eq!(parse_decimal("1e400"), None);
/// assert_eq!(parse_decimal("NaN"), None);
/// ```
#[must_use]
pub fn parse_decimal(text: &str) -> Option<f64> {
    if text.len() > MAX_TEXT_LEN {
        return None;
    }
    let scanned = scan(text.as_bytes())?;
    if let Some(value) = scanned.fast_path() {
        return Some(value);
    }
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// Powers of ten that are exact `f64`s.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Decimal text in JSON grammar, as `±mantissa × 10^exponent`.
struct Scanned {
    negative: bool,
    /// The digits as an integer, `None` if they do not fit in 19 decimal digits.
    mantissa: Option<u64>,
    /// The power of ten, saturated far beyond any finite `f64`.
    exponent: i64,
}

impl Scanned {
    /// The correctly rounded value when both factors are exact `f64`s, else `None`.
    fn fast_path(&self) -> Option<f64> {
        let mantissa = self.mantissa?;
        let power = usize::try_from(self.exponent.unsigned_abs()).ok()?;
        if mantissa > 1 << 53 || power >= EXACT_POWERS_OF_TEN.len() {
            return None;
        }
        // Exact: the mantissa is at most 2^53, so it converts without rounding.
        let magnitude = mantissa as f64;
        let value = if self.exponent < 0 {
            magnitude / EXACT_POWERS_OF_TEN[power]
        } else {
            magnitude * EXACT_POWERS_OF_TEN[power]
        };
        Some(if self.negative { -value } else { value })
    }
}

/// A run of ASCII digits from `*at`, folded into `mantissa` while it stays below 10^19
/// (`overflow` is set past that); returns how many digits there were.
fn digits(text: &[u8], at: &mut usize, mantissa: &mut u64, overflow: &mut bool) -> usize {
    const LIMIT: u64 = 1_000_000_000_000_000_000;
    let start = *at;
    while let Some(&byte) = text.get(*at) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        if *mantissa < LIMIT {
            *mantissa = *mantissa * 10 + u64::from(digit);
        } else {
            *overflow = true;
        }
        *at += 1;
    }
    *at - start
}

/// Checks the JSON number grammar and gathers the digits in one pass; `None` if `text` is not
/// a JSON number.
fn scan(text: &[u8]) -> Option<Scanned> {
    let negative = text.first() == Some(&b'-');
    let mut at = usize::from(negative);
    let mut mantissa = 0;
    let mut overflow = false;
    if digits(text, &mut at, &mut mantissa, &mut overflow) == 0 {
        return None;
    }
    let mut exponent: i64 = 0;
    if text.get(at) == Some(&b'.') {
        at += 1;
        let fraction = digits(text, &mut at, &mut mantissa, &mut overflow);
        if fraction == 0 {
            return None;
        }
        // At most `MAX_TEXT_LEN` digits, so the conversion cannot fail.
        exponent = -i64::try_from(fraction).ok()?;
    }
    if let Some(b'e' | b'E') = text.get(at) {
        at += 1;
        let sign = match text.get(at) {
            Some(b'-') => -1,
            Some(b'+') => 1,
            _ => 0,
        };
        at += usize::from(sign != 0);
        let mut written = 0;
        let mut huge = false;
        if digits(text, &mut at, &mut written, &mut huge) == 0 {
            return None;
        }
        let written = if huge {
            i64::MAX
        } else {
            i64::try_from(written).unwrap_or(i64::MAX)
        };
        let written = if sign < 0 { -written } else { written };
        exponent = exponent.saturating_add(written);
    }
    (at == text.len()).then_some(Scanned {
        negative,
        mantissa: (!overflow).then_some(mantissa),
        exponent,
    })
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
            "1..2", "1e5.0", "--1", "-", "1.e5", "1e+-5", "-.5", "1.5e", "\u{661}",
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

        /// The fast path and the fallback together agree bit for bit with `str::parse` on
        /// JSON-grammar text of every shape: leading and trailing zeros, up to 30 digits
        /// (beyond the 19 the fast path takes), signs, exponents near and past the range.
        #[test]
        fn parse_decimal_matches_str_parse(
            negative in any::<bool>(),
            integer in "0|[1-9][0-9]{0,20}|0{1,3}[0-9]{0,5}",
            fraction in proptest::option::of("[0-9]{1,30}"),
            exponent in proptest::option::of((prop::sample::select(vec!["e", "E"]), prop::sample::select(vec!["", "+", "-"]), 0_u32..400)),
        ) {
            let mut text = String::new();
            if negative {
                text.push('-');
            }
            text.push_str(&integer);
            if let Some(fraction) = fraction {
                text.push('.');
                text.push_str(&fraction);
            }
            if let Some((e, sign, power)) = exponent {
                text.push_str(&format!("{e}{sign}{power}"));
            }
            prop_assume!(text.len() <= MAX_TEXT_LEN);
            let expected = text.parse::<f64>().unwrap();
            match parse_decimal(&text) {
                Some(value) => prop_assert_eq!(value.to_bits(), expected.to_bits(), "{}", text),
                None => prop_assert!(expected.is_infinite(), "{} refused", text),
            }
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
