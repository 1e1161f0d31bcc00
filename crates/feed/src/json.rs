//! The reused simd-json parser and the field-extraction helpers every venue decoder shares.

use simd_json::prelude::{TypedScalarValue, ValueAsScalar, ValueIntoString};
use simd_json::tape::{Array, Value};
use simd_json::{Buffers, INPUT_PADDING, Tape};

use crate::DecodeError;
use crate::decimal::parse_decimal;

/// A borrowed view of one JSON value on the tape.
pub(crate) type Json<'t, 'i> = Value<'t, 'i>;

/// simd-json parses in place, so each message is copied into `scratch` (followed by the padding
/// simd-json needs); `scratch`, the parser's `buffers` and the `tape` keep their capacity across
/// messages, so once they have grown to the largest message no parse allocates.
pub(crate) struct JsonParser {
    scratch: Vec<u8>,
    buffers: Buffers,
    tape: Tape<'static>,
}

impl JsonParser {
    /// A parser whose buffers are sized for messages of `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            scratch: Vec::with_capacity(capacity + INPUT_PADDING),
            buffers: Buffers::new(capacity),
            tape: Tape(Vec::with_capacity(capacity / 4)),
        }
    }

    /// Parses `bytes` and runs `decode` on the root value.
    pub(crate) fn parse<R>(
        &mut self,
        bytes: &[u8],
        decode: impl FnOnce(Json<'_, '_>) -> Result<R, DecodeError>,
    ) -> Result<R, DecodeError> {
        self.scratch.clear();
        self.scratch.extend_from_slice(bytes);
        self.scratch.resize(bytes.len() + INPUT_PADDING, b' ');
        let mut tape = std::mem::replace(&mut self.tape, Tape(Vec::new())).reset();
        let result = match simd_json::fill_tape_padded(
            &mut self.scratch,
            bytes.len(),
            &mut self.buffers,
            &mut tape,
        ) {
            Ok(()) => decode(tape.as_value()),
            Err(_) => Err(DecodeError::MalformedJson),
        };
        self.tape = tape.reset();
        result
    }
}

/// The value of `key`, or `None` if absent or null.
pub(crate) fn optional<'t, 'i>(object: Json<'t, 'i>, key: &str) -> Option<Json<'t, 'i>> {
    object
        .as_object()
        .and_then(|object| object.get(key))
        .filter(|value| !value.is_null())
}

/// The value of `key`; absent or null is [`DecodeError::MissingField`].
pub(crate) fn required<'t, 'i>(
    object: Json<'t, 'i>,
    key: &'static str,
) -> Result<Json<'t, 'i>, DecodeError> {
    optional(object, key).ok_or(DecodeError::MissingField(key))
}

/// The string at `key`.
pub(crate) fn string<'i>(object: Json<'_, 'i>, key: &'static str) -> Result<&'i str, DecodeError> {
    as_str(required(object, key)?).ok_or(DecodeError::WrongType(key))
}

/// `value` as a string borrowed from the message.
pub(crate) fn as_str<'i>(value: Json<'_, 'i>) -> Option<&'i str> {
    value.into_string()
}

/// The non-negative integer at `key`.
pub(crate) fn unsigned(object: Json<'_, '_>, key: &'static str) -> Result<u64, DecodeError> {
    as_unsigned(required(object, key)?, key)
}

/// The integer at `key`.
pub(crate) fn signed(object: Json<'_, '_>, key: &'static str) -> Result<i64, DecodeError> {
    required(object, key)?
        .as_i64()
        .ok_or(DecodeError::WrongType(key))
}

/// `value` as a non-negative integer.
pub(crate) fn as_unsigned(value: Json<'_, '_>, key: &'static str) -> Result<u64, DecodeError> {
    value.as_u64().ok_or(DecodeError::WrongType(key))
}

/// The boolean at `key`.
pub(crate) fn boolean(object: Json<'_, '_>, key: &'static str) -> Result<bool, DecodeError> {
    required(object, key)?
        .as_bool()
        .ok_or(DecodeError::WrongType(key))
}

/// The array at `key`.
pub(crate) fn array<'t, 'i>(
    object: Json<'t, 'i>,
    key: &'static str,
) -> Result<Array<'t, 'i>, DecodeError> {
    required(object, key)?
        .as_array()
        .ok_or(DecodeError::WrongType(key))
}

/// `value` as a finite number: a JSON number (converted by simd-json, correctly rounded) or a
/// string of decimal text (converted by [`parse_decimal`]).
pub(crate) fn as_number(value: Json<'_, '_>, key: &'static str) -> Result<f64, DecodeError> {
    let number = match value.as_str() {
        Some(text) => parse_decimal(text),
        None => value.cast_f64(),
    };
    match number {
        Some(number) if number.is_finite() => Ok(number),
        Some(_) => Err(DecodeError::InvalidNumber(key)),
        None if value.as_str().is_some() => Err(DecodeError::InvalidNumber(key)),
        None => Err(DecodeError::WrongType(key)),
    }
}

/// The finite number at `key` (JSON number or decimal string).
pub(crate) fn number(object: Json<'_, '_>, key: &'static str) -> Result<f64, DecodeError> {
    as_number(required(object, key)?, key)
}

/// The finite number at `key`, `None` if absent, null or an empty string (Binance sends `""`
/// for a funding rate that does not apply).
pub(crate) fn optional_number(
    object: Json<'_, '_>,
    key: &'static str,
) -> Result<Option<f64>, DecodeError> {
    match optional(object, key) {
        Some(value) if value.as_str() == Some("") => Ok(None),
        Some(value) => as_number(value, key).map(Some),
        None => Ok(None),
    }
}

/// `value` if it is a positive price.
pub(crate) fn positive_price(value: f64, key: &'static str) -> Result<f64, DecodeError> {
    if value > 0.0 {
        Ok(value)
    } else {
        Err(DecodeError::NonPositivePrice(key))
    }
}

/// The positive price at `key`.
pub(crate) fn price(object: Json<'_, '_>, key: &'static str) -> Result<f64, DecodeError> {
    positive_price(number(object, key)?, key)
}

/// `value` if it is a size of at least zero.
pub(crate) fn non_negative_size(value: f64, key: &'static str) -> Result<f64, DecodeError> {
    // `-0.0 >= 0.0` holds, and a negative zero size means the same as zero.
    if value >= 0.0 {
        Ok(value.abs())
    } else {
        Err(DecodeError::InvalidSize(key))
    }
}

/// The size of at least zero at `key`.
pub(crate) fn size(object: Json<'_, '_>, key: &'static str) -> Result<f64, DecodeError> {
    non_negative_size(number(object, key)?, key)
}

/// The size greater than zero at `key` (a trade's quantity).
pub(crate) fn positive_size(object: Json<'_, '_>, key: &'static str) -> Result<f64, DecodeError> {
    let value = number(object, key)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(DecodeError::InvalidSize(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_field(parser: &mut JsonParser, json: &str) -> Result<f64, DecodeError> {
        parser.parse(json.as_bytes(), |root| number(root, "x"))
    }

    #[test]
    fn numbers_and_decimal_strings() {
        let mut parser = JsonParser::with_capacity(64);
        assert_eq!(parse_field(&mut parser, r#"{"x":"0.1"}"#), Ok(0.1));
        assert_eq!(parse_field(&mut parser, r#"{"x":0.1}"#), Ok(0.1));
        assert_eq!(parse_field(&mut parser, r#"{"x":60000}"#), Ok(60_000.0));
        assert_eq!(parse_field(&mut parser, r#"{"x":-3}"#), Ok(-3.0));
        assert_eq!(
            parse_field(&mut parser, r#"{"x":"NaN"}"#),
            Err(DecodeError::InvalidNumber("x"))
        );
        assert_eq!(
            parse_field(&mut parser, r#"{"x":true}"#),
            Err(DecodeError::WrongType("x"))
        );
        assert_eq!(
            parse_field(&mut parser, r#"{"x":null}"#),
            Err(DecodeError::MissingField("x"))
        );
        assert_eq!(
            parse_field(&mut parser, r#"{"x":1e400}"#),
            Err(DecodeError::MalformedJson)
        );
        assert_eq!(
            parse_field(&mut parser, r#"{"x":100000000000000000000}"#),
            Ok(1e20)
        );
        assert_eq!(
            parse_field(&mut parser, r#"{"x":1"#),
            Err(DecodeError::MalformedJson)
        );
        assert_eq!(
            parse_field(&mut parser, "[1]"),
            Err(DecodeError::MissingField("x"))
        );
    }

    proptest! {
        /// simd-json's own number conversion (used for Deribit's JSON numbers) agrees with
        /// Rust's correctly rounded `str::parse` on decimal text of any shape and length.
        #[test]
        fn json_numbers_are_correctly_rounded(
            integer in "[1-9][0-9]{0,24}|0",
            fraction in proptest::option::of("[0-9]{1,30}"),
            exponent in proptest::option::of(-330_i32..310),
        ) {
            let mut text = integer;
            if let Some(fraction) = fraction {
                text.push('.');
                text.push_str(&fraction);
            }
            if let Some(exponent) = exponent {
                text.push_str(&format!("e{exponent}"));
            }
            let expected: f64 = text.parse().unwrap();
            let mut parser = JsonParser::with_capacity(64);
            let json = format!("{{\"x\":{text}}}");
            match parse_field(&mut parser, &json) {
                Ok(value) => prop_assert_eq!(value.to_bits(), expected.to_bits(), "{}", text),
                Err(error) => {
                    prop_assert!(expected.is_infinite(), "{} rejected: {:?}", text, error);
                }
            }
        }
    }
}
