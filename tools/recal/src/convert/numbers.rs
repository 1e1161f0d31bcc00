//! Numbers taken from CSV text into JSON messages without a round trip through binary
//! floating point wherever the value passes through unchanged.

use super::report::Skip;

/// `text` if it is a JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`), the
/// grammar both JSON and the feed's decimal-string parser accept.
pub(crate) fn json_number(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut at = usize::from(bytes.first() == Some(&b'-'));
    let digits = |at: &mut usize| {
        let start = *at;
        while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        *at - start
    };
    let integer_start = at;
    match digits(&mut at) {
        0 => return None,
        length if length > 1 && bytes[integer_start] == b'0' => return None,
        _ => {}
    }
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        if digits(&mut at) == 0 {
            return None;
        }
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        if digits(&mut at) == 0 {
            return None;
        }
    }
    (at == bytes.len()).then_some(text)
}

/// The number in `text` (a JSON number) and its value, or a skip naming `column`.
fn number<'t>(text: &'t str, column: &str) -> Result<(&'t str, f64), Skip> {
    if text.is_empty() {
        return Err(Skip::new(format!("missing {column}")));
    }
    let number = json_number(text).ok_or_else(|| Skip::new(format!("{column} is not a number")))?;
    let value: f64 = number
        .parse()
        .map_err(|_| Skip::new(format!("{column} is not a number")))?;
    if value.is_finite() {
        Ok((number, value))
    } else {
        Err(Skip::new(format!("{column} is not finite")))
    }
}

/// A number > 0 (a price).
pub(crate) fn positive<'t>(text: &'t str, column: &str) -> Result<&'t str, Skip> {
    match number(text, column)? {
        (number, value) if value > 0.0 => Ok(number),
        _ => Err(Skip::new(format!("{column} is not positive"))),
    }
}

/// A number ≥ 0 (a size or open interest).
pub(crate) fn non_negative<'t>(text: &'t str, column: &str) -> Result<&'t str, Skip> {
    match number(text, column)? {
        (number, value) if value >= 0.0 => Ok(number),
        _ => Err(Skip::new(format!("{column} is negative"))),
    }
}

/// Any finite number.
pub(crate) fn finite<'t>(text: &'t str, column: &str) -> Result<&'t str, Skip> {
    number(text, column).map(|(number, _)| number)
}

/// The value of a number checked by one of the functions above.
pub(crate) fn value(number: &str) -> f64 {
    number.parse().unwrap_or(f64::NAN)
}

/// An optional number: `None` when the field is empty or not a finite number.
pub(crate) fn optional(text: &str) -> Option<&str> {
    finite(text, "").ok()
}

/// `fraction` × 100 as decimal text, exactly: the decimal point moves two places (an
/// exponent, if any, grows by 2). `"0.6880520047"` → `"68.80520047"`.
pub(crate) fn percent(fraction: &str) -> String {
    if let Some(split) = fraction.find(['e', 'E']) {
        let exponent: i64 = fraction[split + 1..].parse().unwrap_or(0);
        return format!("{}e{}", &fraction[..split], exponent + 2);
    }
    let (sign, digits) = fraction
        .strip_prefix('-')
        .map_or(("", fraction), |rest| ("-", rest));
    let (integer, decimals) = digits.split_once('.').unwrap_or((digits, ""));
    let mut decimals = decimals.to_owned();
    while decimals.len() < 2 {
        decimals.push('0');
    }
    let (moved, rest) = decimals.split_at(2);
    let integer = format!("{integer}{moved}");
    let integer = integer.trim_start_matches('0');
    let integer = if integer.is_empty() { "0" } else { integer };
    if rest.is_empty() {
        format!("{sign}{integer}")
    } else {
        format!("{sign}{integer}.{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers() {
        for good in [
            "0",
            "-1",
            "9250.0",
            "7e-05",
            "1E+20",
            "0.5",
            "123277.83064680",
        ] {
            assert_eq!(json_number(good), Some(good));
        }
        for bad in [
            "", "-", "01", "1.", ".5", "nan", "inf", "1e", "1,5", " 1", "+1", "0x10",
        ] {
            assert_eq!(json_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn percent_moves_the_decimal_point_exactly() {
        for (fraction, expected) in [
            ("0.6880520047", "68.80520047"),
            ("0.62500875", "62.500875"),
            ("1.3891673779", "138.91673779"),
            ("0.5", "50"),
            ("2", "200"),
            ("0.001", "0.1"),
            ("7e-05", "7e-3"),
            ("-0.25", "-25"),
        ] {
            assert_eq!(percent(fraction), expected);
            let back = value(&percent(fraction)) / 100.0;
            assert!((back - value(fraction)).abs() <= 1e-15 * value(fraction).abs());
        }
    }
}
