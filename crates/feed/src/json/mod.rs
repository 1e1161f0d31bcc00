//! JSON for the venue decoders: the scanner that checks a message and records where its
//! values are ([`scan`]), lazy views of them ([`value`]), and the field-extraction helpers every
//! decoder shares.

mod block;
mod classes;
mod keys;
mod scan;
mod shape;
mod value;

pub(crate) use keys::{KeyTable, key_index};
use value::Array;
pub(crate) use value::Json;

use crate::DecodeError;
use scan::Scanner;

/// The reused scanner: its tape and buffers keep their capacity across messages, so once they
/// have grown to the largest message no parse allocates. The message is read in place, never
/// copied.
pub(crate) struct JsonParser {
    scanner: Scanner,
}

impl JsonParser {
    /// A parser whose buffers are sized for messages of `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            scanner: Scanner::with_capacity(capacity),
        }
    }

    /// Parses `bytes` and runs `decode` on the root value.
    pub(crate) fn parse<R>(
        &mut self,
        bytes: &[u8],
        decode: impl FnOnce(Json<'_>) -> Result<R, DecodeError>,
    ) -> Result<R, DecodeError> {
        let document = self.scanner.scan(bytes)?;
        decode(document.root())
    }
}

/// One wanted field of an object: its key (named in errors) and its value, if the object has
/// it. Filled by a struct declared with [`object_fields!`], which walks the object's tape once
/// for all its fields instead of scanning the keys once per field.
#[derive(Clone, Copy)]
pub(crate) struct Field<'j> {
    key: &'static str,
    value: Option<Json<'j>>,
}

impl<'j> Field<'j> {
    /// The field named `key` with `value` (`None` when absent).
    pub(crate) const fn new(key: &'static str, value: Option<Json<'j>>) -> Self {
        Self { key, value }
    }

    /// The key, as errors name it.
    pub(crate) const fn key(self) -> &'static str {
        self.key
    }

    /// The value, or `None` if absent or null.
    pub(crate) fn optional(self) -> Option<Json<'j>> {
        self.value.filter(|value| !value.is_null())
    }

    /// Whether the field is present and not null.
    pub(crate) fn is_present(self) -> bool {
        self.optional().is_some()
    }

    /// The value; absent or null is [`DecodeError::MissingField`].
    pub(crate) fn required(self) -> Result<Json<'j>, DecodeError> {
        self.optional().ok_or(DecodeError::MissingField(self.key))
    }

    /// The string value, borrowed from the message.
    pub(crate) fn string(self) -> Result<&'j str, DecodeError> {
        as_str(self.required()?).ok_or(DecodeError::WrongType(self.key))
    }

    /// The string value if present, else `None`; any other type is
    /// [`DecodeError::WrongType`].
    pub(crate) fn optional_string(self) -> Result<Option<&'j str>, DecodeError> {
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
    pub(crate) fn array(self) -> Result<Array<'j>, DecodeError> {
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

/// Declares a struct with one accessor per wanted key, returning that key's [`Field`], whose
/// `of(object)` finds them all in one walk over the object's members: each member's key is
/// looked up in the struct's [`KeyTable`] (built at compile time) with one hash and one
/// comparison, and the member's tape index stored at the key's index (no branch per wanted
/// key, four bytes per field). A value that is not an object leaves every field absent.
macro_rules! object_fields {
    (
        $(#[$meta:meta])*
        struct $name:ident { $($(#[$field_meta:meta])* $field:ident: $key:literal),+ $(,)? }
    ) => {
        // The key list travels as one token tree, so each accessor can name all the keys.
        $crate::json::object_fields!(
            @declare [$($key),+] $(#[$meta])* struct $name { $($(#[$field_meta])* $field: $key),+ }
        );
    };
    (
        @declare $keys:tt
        $(#[$meta:meta])*
        struct $name:ident { $($(#[$field_meta:meta])* $field:ident: $key:literal),+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        struct $name<'j> {
            /// The object (or, when the value was not an object, that value).
            object: $crate::json::Json<'j>,
            /// Per wanted key: the tape index of its value, 0 when absent (0 is the root,
            /// never a member's value).
            found: [u32; $keys.len()],
        }

        impl<'j> $name<'j> {
            /// The wanted keys, in declaration order, and their table.
            const KEYS: $crate::json::KeyTable = $crate::json::KeyTable::new(&$keys);

            /// The wanted fields of `object`, found in one walk over it.
            fn of(object: $crate::json::Json<'j>) -> Self {
                let mut found = [0; $keys.len()];
                if let Some(members) = object.as_object() {
                    for (key, value) in &members {
                        let slot = Self::KEYS.find(key).and_then(|index| found.get_mut(index));
                        // A repeated key keeps its first value, as a key lookup would.
                        if let Some(slot @ 0) = slot {
                            *slot = value.tape_index();
                        }
                    }
                }
                Self { object, found }
            }

            $(
                $(#[$field_meta])*
                #[doc = concat!("The `", $key, "` field.")]
                fn $field(&self) -> $crate::json::Field<'j> {
                    let index = self.found[const { $crate::json::key_index(&$keys, $key) }];
                    $crate::json::Field::new(
                        $key,
                        (index != 0).then(|| self.object.at_tape_index(index)),
                    )
                }
            )+
        }
    };
}
pub(crate) use object_fields;

/// The field `key` of `object`, looked up alone (one scan of the keys); to read several
/// fields of one object, declare them with [`object_fields!`].
pub(crate) fn field<'j>(object: Json<'j>, key: &'static str) -> Field<'j> {
    Field {
        key,
        value: object.as_object().and_then(|object| object.get(key)),
    }
}

/// `value` as a string borrowed from the message.
pub(crate) fn as_str(value: Json<'_>) -> Option<&str> {
    value.as_str()
}

/// `value` as a non-negative integer.
pub(crate) fn as_unsigned(value: Json<'_>, key: &'static str) -> Result<u64, DecodeError> {
    value.as_u64().ok_or(DecodeError::WrongType(key))
}

/// `value` as a finite number: a JSON number or a string of decimal text, both converted
/// correctly rounded ([`Json::as_number`]). Inlined: a depth update converts two per level.
#[inline]
pub(crate) fn as_number(value: Json<'_>, key: &'static str) -> Result<f64, DecodeError> {
    match value.as_number() {
        Some(Some(number)) => Ok(number),
        Some(None) => Err(DecodeError::InvalidNumber(key)),
        None => Err(DecodeError::WrongType(key)),
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

/// `value` if it is a size of at least zero.
pub(crate) fn non_negative_size(value: f64, key: &'static str) -> Result<f64, DecodeError> {
    // `-0.0 >= 0.0` holds, and a negative zero size means the same as zero.
    if value >= 0.0 {
        Ok(value.abs())
    } else {
        Err(DecodeError::InvalidSize(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_field(parser: &mut JsonParser, json: &str) -> Result<f64, DecodeError> {
        parser.parse(json.as_bytes(), |root| field(root, "x").number())
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
            Err(DecodeError::InvalidNumber("x"))
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
        /// JSON numbers (Deribit's) convert exactly as Rust's correctly rounded `str::parse`
        /// does, on decimal text of any shape and length.
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
