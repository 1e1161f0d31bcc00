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

/// One wanted field of an object: its key (named in errors) and its value, if the object has
/// it. Filled by a struct declared with [`object_fields!`], which walks the object's tape once
/// for all its fields instead of scanning the keys once per field.
#[derive(Clone, Copy)]
pub(crate) struct Field<'t, 'i> {
    key: &'static str,
    value: Option<Json<'t, 'i>>,
}

impl<'t, 'i> Field<'t, 'i> {
    /// An absent field named `key`.
    pub(crate) const fn absent(key: &'static str) -> Self {
        Self { key, value: None }
    }

    /// The key, as errors name it.
    pub(crate) const fn key(self) -> &'static str {
        self.key
    }

    /// Records `value`; a repeated key keeps its first value, as a key lookup would.
    pub(crate) fn set(&mut self, value: Json<'t, 'i>) {
        if self.value.is_none() {
            self.value = Some(value);
        }
    }

    /// The value, or `None` if absent or null.
    pub(crate) fn optional(self) -> Option<Json<'t, 'i>> {
        self.value.filter(|value| !value.is_null())
    }

    /// Whether the field is present and not null.
    pub(crate) fn is_present(self) -> bool {
        self.optional().is_some()
    }

    /// The value; absent or null is [`DecodeError::MissingField`].
    pub(crate) fn required(self) -> Result<Json<'t, 'i>, DecodeError> {
        self.optional().ok_or(DecodeError::MissingField(self.key))
    }

    /// The string value, borrowed from the message.
    pub(crate) fn string(self) -> Result<&'i str, DecodeError> {
        as_str(self.required()?).ok_or(DecodeError::WrongType(self.key))
    }

    /// The string value if present, else `None`; any other type is
    /// [`DecodeError::WrongType`].
    pub(crate) fn optional_string(self) -> Result<Option<&'i str>, DecodeError> {
        self.optional()
            .map(|value| as_str(value).ok_or(DecodeError::WrongType(self.key)))
            .transpose()
    }

    /// The non-negative integer value.
    pub(crate) fn unsigned(self) -> Result<u64, DecodeError> {
        as_unsigned(self.required()?, self.key)
    }

    /// The non-negative integer value if present.
    pub(crate) fn optional_unsigned(self) -> Result<Option<u64>, DecodeError> {
        self.optional()
            .map(|value| as_unsigned(value, self.key))
            .transpose()
    }

    /// The integer value.
    pub(crate) fn signed(self) -> Result<i64, DecodeError> {
        self.required()?
            .as_i64()
            .ok_or(DecodeError::WrongType(self.key))
    }

    /// The boolean value.
    pub(crate) fn boolean(self) -> Result<bool, DecodeError> {
        self.required()?
            .as_bool()
            .ok_or(DecodeError::WrongType(self.key))
    }

    /// The array value.
    pub(crate) fn array(self) -> Result<Array<'t, 'i>, DecodeError> {
        self.required()?
            .as_array()
            .ok_or(DecodeError::WrongType(self.key))
    }

    /// The finite number (JSON number or decimal string).
    pub(crate) fn number(self) -> Result<f64, DecodeError> {
        as_number(self.required()?, self.key)
    }

    /// The finite number, `None` if absent, null or an empty string (Binance sends `""` for
    /// a funding rate that does not apply).
    pub(crate) fn optional_number(self) -> Result<Option<f64>, DecodeError> {
        match self.optional() {
            Some(value) if value.as_str() == Some("") => Ok(None),
            Some(value) => as_number(value, self.key).map(Some),
            None => Ok(None),
        }
    }

    /// The positive price.
    pub(crate) fn price(self) -> Result<f64, DecodeError> {
        positive_price(self.number()?, self.key)
    }

    /// The positive price, if present.
    pub(crate) fn optional_price(self) -> Result<Option<f64>, DecodeError> {
        self.optional_number()?
            .map(|price| positive_price(price, self.key))
            .transpose()
    }

    /// The size of at least zero.
    pub(crate) fn size(self) -> Result<f64, DecodeError> {
        non_negative_size(self.number()?, self.key)
    }

    /// The size greater than zero (a trade's quantity).
    pub(crate) fn positive_size(self) -> Result<f64, DecodeError> {
        let value = self.number()?;
        if value > 0.0 {
            Ok(value)
        } else {
            Err(DecodeError::InvalidSize(self.key))
        }
    }
}

/// Declares a struct of [`Field`]s, one per wanted key, whose `of(object)` fills them all in one
/// walk over the object's fields (a `match` on each key). A value that is not an object leaves
/// every field absent.
macro_rules! object_fields {
    (
        $(#[$meta:meta])*
        struct $name:ident { $($(#[$field_meta:meta])* $field:ident: $key:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        struct $name<'t, 'i> {
            $($(#[$field_meta])* $field: $crate::json::Field<'t, 'i>,)+
        }

        impl<'t, 'i> $name<'t, 'i> {
            /// The wanted fields of `object`, found in one walk over it.
            fn of(object: $crate::json::Json<'t, 'i>) -> Self {
                let mut fields = Self {
                    $($field: $crate::json::Field::absent($key),)+
                };
                if let Some(object) = object.as_object() {
                    for (key, value) in &object {
                        match key {
                            $($key => fields.$field.set(value),)+
                            _ => {}
                        }
                    }
                }
                fields
            }
        }
    };
}
pub(crate) use object_fields;

/// The field `key` of `object`, looked up alone (one scan of the keys); to read several
/// fields of one object, declare them with [`object_fields!`].
pub(crate) fn field<'t, 'i>(object: Json<'t, 'i>, key: &'static str) -> Field<'t, 'i> {
    Field {
        key,
        value: object.as_object().and_then(|object| object.get(key)),
    }
}

/// The value of `key`, or `None` if absent or null.
pub(crate) fn optional<'t, 'i>(object: Json<'t, 'i>, key: &'static str) -> Option<Json<'t, 'i>> {
    field(object, key).optional()
}

/// The string at `key`.
pub(crate) fn string<'i>(object: Json<'_, 'i>, key: &'static str) -> Result<&'i str, DecodeError> {
    field(object, key).string()
}

/// `value` as a string borrowed from the message.
pub(crate) fn as_str<'i>(value: Json<'_, 'i>) -> Option<&'i str> {
    value.into_string()
}

/// The non-negative integer at `key`.
pub(crate) fn unsigned(object: Json<'_, '_>, key: &'static str) -> Result<u64, DecodeError> {
    field(object, key).unsigned()
}

/// `value` as a non-negative integer.
pub(crate) fn as_unsigned(value: Json<'_, '_>, key: &'static str) -> Result<u64, DecodeError> {
    value.as_u64().ok_or(DecodeError::WrongType(key))
}

/// The array at `key`.
pub(crate) fn array<'t, 'i>(
    object: Json<'t, 'i>,
    key: &'static str,
) -> Result<Array<'t, 'i>, DecodeError> {
    field(object, key).array()
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
    field(object, key).number()
}

/// The finite number at `key`, `None` if absent, null or an empty string.
pub(crate) fn optional_number(
    object: Json<'_, '_>,
    key: &'static str,
) -> Result<Option<f64>, DecodeError> {
    field(object, key).optional_number()
}

/// `value` if it is a positive price.
pub(crate) fn positive_price(value: f64, key: &'static str) -> Result<f64, DecodeError> {
    if value > 0.0 {
        Ok(value)
    } else {
        Err(DecodeError::NonPositivePrice(key))
    }
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
    field(object, key).size()
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
