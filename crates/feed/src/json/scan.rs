//! The scanner: one pass over a message that checks it is JSON (RFC 8259) and records where
//! every value is on a tape ([`Node`]s in document order), converting nothing.
//!
//! Why by hand rather than simd-json's tape: simd-json's second stage converts every number
//! and copies every string of a message as it builds its tape, and a venue message carries
//! two to three times more values than a decoder reads (a Deribit ticker: 33 values, 12 read).
//! On the ticker simd-json's tape alone takes about as long as this scanner plus the whole
//! decode on top of it (`benches/feed.rs` runs both). This scanner leaves numbers as text and
//! strings in place, so a decoder converts only what it reads. UTF-8 is checked once for the
//! whole message by `simdutf8`; where strings and numbers end comes from bit masks of the
//! whole message built before the grammar runs ([`Classes`]).
//!
//! Before the grammar, a message is tried against the shapes of earlier messages
//! ([`Shapes`]): one with the same structure and other values is checked and its tape written
//! without the grammar's dispatch per token. The verdict and tape are the same either way.
//!
//! Tried and measured slower on these messages (short tokens, little whitespace): simdjson's
//! two stages (a bit-mask pass that lists every structural byte, then the grammar over the
//! list) was no faster than this one pass and twice the code (the masks alone, without the
//! list, are what paid); 32-byte string windows and branch-free number checks cut
//! mispredictions but lengthen each token's dependency chain.
//!
//! Strictness: the grammar of RFC 8259 exactly (no comments, no trailing commas, no leading
//! zeros, no bare control characters in strings, escapes checked and surrogate pairs matched),
//! any value at the root, whitespace only around values, at most [`MAX_DEPTH`] nested
//! containers. Anything else is [`DecodeError::MalformedJson`].

use super::block::{self, BLOCK};
use super::classes::Classes;
use super::shape::Shapes;
use super::value::{Document, Kind, Node};
use crate::DecodeError;

/// Deepest nesting of arrays and objects accepted (serde_json's default limit too).
pub(crate) const MAX_DEPTH: usize = 128;

/// Where a value is being scanned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Within {
    /// The document itself, which holds one value.
    Root,
    Object,
    Array,
}

/// A container being scanned (or the root): its tape index and how many values it holds so far.
#[derive(Clone, Copy)]
struct Open {
    within: Within,
    index: usize,
    count: u32,
}

/// The scanner's buffers, kept across messages so that, once grown to the largest message, a
/// scan allocates nothing.
#[derive(Default)]
pub(crate) struct Scanner {
    classes: Classes,
    /// Shapes of earlier messages, tried before the grammar.
    pub(super) shapes: Shapes,
    nodes: Vec<Node>,
    open: Vec<Open>,
    unescaped: String,
}

/// Why a scan failed: always [`DecodeError::MalformedJson`] to the caller; a unit type inside
/// the scanner so that every `Result` it passes around fits in registers.
#[derive(Clone, Copy, Debug)]
pub(super) struct Malformed;

const MALFORMED: Malformed = Malformed;

impl Scanner {
    /// Buffers for messages of about `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            classes: Classes::with_capacity(capacity),
            shapes: Shapes::default(),
            nodes: Vec::with_capacity(capacity / 4),
            open: Vec::with_capacity(MAX_DEPTH),
            unescaped: String::new(),
        }
    }

    /// Scans `bytes` into a [`Document`] borrowing them and the scanner's buffers.
    pub(crate) fn scan<'j>(&'j mut self, bytes: &'j [u8]) -> Result<Document<'j>, DecodeError> {
        self.unescaped.clear();
        let text = simdutf8::basic::from_utf8(bytes).map_err(|_| DecodeError::MalformedJson)?;
        if u32::try_from(text.len()).is_err() {
            return Err(DecodeError::MalformedJson);
        }
        let nodes = if self.shapes.scan(bytes) {
            self.shapes.matched_tape()
        } else {
            self.scan_by_grammar(bytes)
                .map_err(|Malformed| DecodeError::MalformedJson)?;
            &self.nodes
        };
        Ok(Document {
            text,
            unescaped: &self.unescaped,
            nodes,
        })
    }

    /// Scans `bytes` (valid UTF-8) by the grammar into `self.nodes`, and learns its shape if
    /// it had no escape.
    fn scan_by_grammar(&mut self, bytes: &[u8]) -> Result<(), Malformed> {
        self.nodes.clear();
        // At most one entry per two bytes of text (`0,`), plus the root: no growth mid-scan.
        self.nodes.reserve(bytes.len() / 2 + 1);
        self.open.clear();
        self.classes.classify(bytes);
        self.values(bytes)?;
        if self.unescaped.is_empty() {
            self.shapes.scanned(bytes, &self.nodes);
        }
        Ok(())
    }

    /// The grammar, iteratively: a value, then what may follow it in the innermost open
    /// container, until the root value is complete. The innermost container is kept in a
    /// local, its parents on `self.open`.
    fn values(&mut self, bytes: &[u8]) -> Result<(), Malformed> {
        let mut current = Open {
            within: Within::Root,
            index: 0,
            count: 0,
        };
        let mut at = 0;
        'value: loop {
            // `at` is at the first byte of a value, or at whitespace before it: venue messages
            // have none, so whitespace is looked for only where a byte is not the expected one.
            let mut byte = *bytes.get(at).ok_or(MALFORMED)?;
            if byte <= b' ' {
                at = skip_whitespace(bytes, at);
                byte = *bytes.get(at).ok_or(MALFORMED)?;
            }
            current.count += 1;
            at = match byte {
                b'"' => self.string(bytes, at + 1)?,
                b'-' | b'0'..=b'9' => self.number(bytes, at)?,
                b'{' => {
                    self.enter(&mut current, Within::Object)?;
                    at = skip_whitespace(bytes, at + 1);
                    if bytes.get(at) != Some(&b'}') {
                        at = self.member_key(bytes, at)?;
                        continue 'value;
                    }
                    self.leave(&mut current);
                    at + 1
                }
                b'[' => {
                    self.enter(&mut current, Within::Array)?;
                    at = skip_whitespace(bytes, at + 1);
                    if bytes.get(at) != Some(&b']') {
                        continue 'value;
                    }
                    self.leave(&mut current);
                    at + 1
                }
                b't' => self.literal(bytes, at, b"true", Kind::True)?,
                b'f' => self.literal(bytes, at, b"false", Kind::False)?,
                b'n' => self.literal(bytes, at, b"null", Kind::Null)?,
                _ => return Err(MALFORMED),
            };
            // A value is complete: close containers, or go on to the next value.
            loop {
                match (bytes.get(at), current.within) {
                    (Some(b','), Within::Object) => {
                        at = self.member_key(bytes, at + 1)?;
                        continue 'value;
                    }
                    (Some(b','), Within::Array) => {
                        at += 1;
                        continue 'value;
                    }
                    (Some(b'}'), Within::Object) | (Some(b']'), Within::Array) => {
                        self.leave(&mut current);
                        at += 1;
                    }
                    (Some(b' ' | b'\n' | b'\r' | b'\t'), _) => at = skip_whitespace(bytes, at),
                    (None, Within::Root) => return Ok(()),
                    _ => return Err(MALFORMED),
                }
            }
        }
    }

    /// Appends a string, number or literal entry.
    #[inline(always)]
    fn push_leaf(&mut self, kind: Kind, start: usize, len: usize) {
        let end = self.nodes.len() + 1;
        // Offsets fit: `scan` refuses text longer than `u32::MAX`, and the unescaped text of
        // a message is never longer than the message.
        self.nodes.push(Node {
            kind,
            start: start as u32,
            len: len as u32,
            end: end as u32,
        });
    }

    /// Opens a container inside `current`, which becomes the new container's parent.
    fn enter(&mut self, current: &mut Open, within: Within) -> Result<(), Malformed> {
        if self.open.len() == MAX_DEPTH {
            return Err(MALFORMED);
        }
        let index = self.nodes.len();
        let kind = if within == Within::Object {
            Kind::Object
        } else {
            Kind::Array
        };
        self.push_leaf(kind, 0, 0);
        self.open.push(std::mem::replace(
            current,
            Open {
                within,
                index,
                count: 0,
            },
        ));
        Ok(())
    }

    /// Closes `current`, whose parent becomes current again.
    fn leave(&mut self, current: &mut Open) {
        let end = self.nodes.len() as u32;
        if let Some(node) = self.nodes.get_mut(current.index) {
            node.len = current.count;
            node.end = end;
        }
        if let Some(parent) = self.open.pop() {
            *current = parent;
        }
    }

    /// A member's key and its colon, from `at` (whitespace allowed before each); returns where
    /// the value (or whitespace before it) starts.
    #[inline(always)]
    fn member_key(&mut self, bytes: &[u8], mut at: usize) -> Result<usize, Malformed> {
        if bytes.get(at) != Some(&b'"') {
            at = skip_whitespace(bytes, at);
            if bytes.get(at) != Some(&b'"') {
                return Err(MALFORMED);
            }
        }
        at = self.string(bytes, at + 1)?;
        if bytes.get(at) != Some(&b':') {
            at = skip_whitespace(bytes, at);
            if bytes.get(at) != Some(&b':') {
                return Err(MALFORMED);
            }
        }
        Ok(at + 1)
    }

    /// A string whose opening quote is just before `start`; returns the index after its
    /// closing quote.
    #[inline(always)]
    fn string(&mut self, bytes: &[u8], start: usize) -> Result<usize, Malformed> {
        let special = self.classes.next_special(start).ok_or(MALFORMED)?;
        match bytes.get(special) {
            Some(b'"') => {
                self.push_leaf(Kind::String, start, special - start);
                Ok(special + 1)
            }
            Some(b'\\') => self.escaped_string(bytes, start, special),
            _ => Err(MALFORMED),
        }
    }

    /// A string with escapes, unescaped into `self.unescaped`; `escape` is the index of the
    /// first backslash.
    #[cold]
    #[inline(never)]
    fn escaped_string(
        &mut self,
        bytes: &[u8],
        start: usize,
        mut escape: usize,
    ) -> Result<usize, Malformed> {
        let offset = self.unescaped.len();
        let mut plain = start;
        loop {
            self.push_plain(bytes, plain, escape)?;
            let (character, after) = unescape(bytes, escape + 1)?;
            self.unescaped.push(character);
            let special = self.classes.next_special(after).ok_or(MALFORMED)?;
            match bytes.get(special) {
                Some(b'"') => {
                    self.push_plain(bytes, after, special)?;
                    let len = self.unescaped.len() - offset;
                    self.push_leaf(Kind::EscapedString, offset, len);
                    return Ok(special + 1);
                }
                Some(b'\\') => {
                    plain = after;
                    escape = special;
                }
                _ => return Err(MALFORMED),
            }
        }
    }

    /// Copies `bytes[from..to]`, a run between escapes, to the unescaped text.
    fn push_plain(&mut self, bytes: &[u8], from: usize, to: usize) -> Result<(), Malformed> {
        // The run starts and ends at ASCII bytes of text `scan` checked to be UTF-8, so it is
        // UTF-8 itself; the check cannot fail.
        let run = std::str::from_utf8(&bytes[from..to]).map_err(|_| MALFORMED)?;
        self.unescaped.push_str(run);
        Ok(())
    }

    /// A number starting at `start` (a `-` or a digit): the JSON grammar
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. Returns the index after it.
    ///
    /// Where the number ends comes from the message's number masks ([`Classes::number_end`];
    /// the next token's position waits on nothing else), and its grammar is checked beside
    /// that ([`short_number`]); anything unusual (or wrong) goes to [`number_by_bytes`],
    /// which decides.
    #[inline(always)]
    fn number(&mut self, bytes: &[u8], start: usize) -> Result<usize, Malformed> {
        let end = self.classes.number_end(start, bytes.len()) - start;
        let (kind, len) = match block_at(bytes, start).and_then(|block| short_number(block, end)) {
            Some(kind) => (kind, end),
            None => number_by_bytes(bytes, start)?,
        };
        self.push_leaf(kind, start, len);
        Ok(start + len)
    }

    /// `literal` (`true`, `false`, `null`) at `at`; returns the index after it.
    fn literal(
        &mut self,
        bytes: &[u8],
        at: usize,
        literal: &[u8],
        kind: Kind,
    ) -> Result<usize, Malformed> {
        let end = at + literal.len();
        if bytes.get(at..end) != Some(literal) {
            return Err(MALFORMED);
        }
        self.push_leaf(kind, at, literal.len());
        Ok(end)
    }
}

/// The index of the first byte at or after `at` that is not JSON whitespace.
#[inline(always)]
fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The kind of the number of the usual shapes (`-?int` and `-?int.frac`, shorter than 16
/// bytes) that starts `block` and ends at `end` (the first byte that cannot continue a
/// number, from a mask): its grammar checked on the block without a branch per test. `None`
/// for anything unusual (or wrong), which [`number_by_bytes`] decides.
#[inline(always)]
pub(super) fn short_number(block: &[u8; BLOCK], end: usize) -> Option<Kind> {
    let in_block = end.min(BLOCK);
    let negative = block[0] == b'-';
    let first = usize::from(negative);
    // The run's bytes other than digits and the leading minus: none, or one `.`.
    let others = block::non_digit_mask(block) & !(u32::MAX << in_block) & !u32::from(negative);
    let has_fraction = others != 0;
    let dot = others.trailing_zeros() as usize;
    let integer_end = if has_fraction { dot } else { end };
    let integer = integer_end.wrapping_sub(first);
    let unusual = (end >= BLOCK)
        | (others & others.wrapping_sub(1) != 0)
        | (has_fraction & ((block[dot & (BLOCK - 1)] != b'.') | (dot + 1 >= end)))
        | (integer == 0)
        | ((integer > 1) & (block[first] == b'0'))
        | matches!(block[end & (BLOCK - 1)], b'e' | b'E');
    match (unusual, has_fraction) {
        (true, _) => None,
        (false, true) => Some(Kind::Decimal),
        (false, false) => Some(Kind::Integer),
    }
}

/// The number starting at `start` one byte at a time (any length, exponents): its kind and
/// length.
#[cold]
pub(super) fn number_by_bytes(bytes: &[u8], start: usize) -> Result<(Kind, usize), Malformed> {
    let mut at = start + usize::from(bytes.get(start) == Some(&b'-'));
    at = match bytes.get(at) {
        Some(b'0') => at + 1,
        Some(b'1'..=b'9') => digits_end(bytes, at + 1),
        _ => return Err(MALFORMED),
    };
    let mut kind = Kind::Integer;
    if bytes.get(at) == Some(&b'.') {
        at = nonempty_digits_end(bytes, at + 1)?;
        kind = Kind::Decimal;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        at = nonempty_digits_end(bytes, at)?;
        kind = Kind::Decimal;
    }
    Ok((kind, at - start))
}

/// The index after the run of ASCII digits starting at `at`.
fn digits_end(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    at
}

/// Like [`digits_end`], but the run must not be empty.
fn nonempty_digits_end(bytes: &[u8], at: usize) -> Result<usize, Malformed> {
    let end = digits_end(bytes, at);
    if end == at { Err(MALFORMED) } else { Ok(end) }
}

/// The character of the escape whose backslash is just before `at`, and the index after it.
fn unescape(bytes: &[u8], at: usize) -> Result<(char, usize), Malformed> {
    let simple = match *bytes.get(at).ok_or(MALFORMED)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return unicode_escape(bytes, at + 1),
        _ => return Err(MALFORMED),
    };
    Ok((simple, at + 1))
}

/// The character of `\uXXXX` (and of its low surrogate's `\uXXXX` when it is a high one), with
/// `at` just after the `u`.
fn unicode_escape(bytes: &[u8], at: usize) -> Result<(char, usize), Malformed> {
    let unit = hex4(bytes, at)?;
    let after = at + 4;
    let code = match unit {
        0xD800..=0xDBFF => {
            if bytes.get(after..after + 2) != Some(b"\\u") {
                return Err(MALFORMED);
            }
            let low = hex4(bytes, after + 2)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return Err(MALFORMED);
            }
            let code = 0x1_0000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            return Ok((char::from_u32(code).ok_or(MALFORMED)?, after + 6));
        }
        0xDC00..=0xDFFF => return Err(MALFORMED),
        unit => unit,
    };
    Ok((char::from_u32(code).ok_or(MALFORMED)?, after))
}

/// Four hex digits at `at`.
fn hex4(bytes: &[u8], at: usize) -> Result<u32, Malformed> {
    let digits = bytes.get(at..at + 4).ok_or(MALFORMED)?;
    digits.iter().try_fold(0, |value, &digit| {
        let digit = char::from(digit).to_digit(16).ok_or(MALFORMED)?;
        Ok(value << 4 | digit)
    })
}

/// The block of 16 bytes starting at `at`, if the text has that many left there. Nearly
/// every string and number of a venue message ends within one block.
#[inline(always)]
pub(super) fn block_at(bytes: &[u8], at: usize) -> Option<&[u8; BLOCK]> {
    bytes.get(at..)?.first_chunk::<BLOCK>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn accepts(text: &str) -> bool {
        Scanner::default().scan(text.as_bytes()).is_ok()
    }

    #[test]
    fn grammar() {
        for valid in [
            "0",
            "-0",
            "1.5e-3",
            "1E+9",
            "\"\"",
            "true",
            " [ ] ",
            "{}",
            "{\"a\":[1,{\"b\":null}],\"c\":\"x\\\"y\"}",
            "[\"\\ud83d\\ude00\"]",
            "\t{ \"a\" :\r\n1 }\n",
        ] {
            assert!(accepts(valid), "{valid}");
        }
        for invalid in [
            "",
            " ",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:1}",
            "[1 2]",
            "[1]]",
            "[1}",
            "{\"a\":1]",
            "\"\\x\"",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"\\u12G4\"",
            "\"a\nb\"",
            "\"abc",
            "tru",
            "nul",
            "NaN",
            "[1] x",
        ] {
            assert!(!accepts(invalid), "{invalid:?}");
        }
    }

    #[test]
    fn nesting_is_limited() {
        let deep = |depth| "[".repeat(depth) + &"]".repeat(depth);
        assert!(accepts(&deep(MAX_DEPTH)));
        assert!(!accepts(&deep(MAX_DEPTH + 1)));
    }

    #[test]
    fn tape_of_a_message() {
        let mut scanner = Scanner::default();
        let document = scanner
            .scan(br#"{"a":[1,-2.5,"x\ty"],"b":{"c":true},"d":null}"#)
            .unwrap();
        let root = document.root().as_object().unwrap();
        let keys: Vec<&[u8]> = root.iter().map(|(key, _)| key).collect();
        assert_eq!(keys, [b"a", b"b", b"d"]);
        let array = root.get("a").unwrap().as_array().unwrap();
        assert_eq!(array.len(), 3);
        assert_eq!(array.get(0).unwrap().as_u64(), Some(1));
        assert_eq!(array.get(1).unwrap().as_number(), Some(Some(-2.5)));
        assert_eq!(array.get(1).unwrap().as_u64(), None);
        assert_eq!(array.get(2).unwrap().as_str(), Some("x\ty"));
        assert!(array.get(3).is_none());
        let inner = root.get("b").unwrap().as_object().unwrap();
        assert_eq!(inner.get("c").unwrap().as_bool(), Some(true));
        assert!(root.get("d").unwrap().is_null());
        assert!(root.get("e").is_none());
    }

    #[test]
    fn integers() {
        let mut scanner = Scanner::default();
        let document = scanner
            .scan(b"[18446744073709551615,18446744073709551616,-9223372036854775808,-0,1e2]")
            .unwrap();
        let array = document.root().as_array().unwrap();
        let values: Vec<_> = array.iter().map(|v| (v.as_u64(), v.as_i64())).collect();
        assert_eq!(
            values,
            [
                (Some(u64::MAX), None),
                (None, None),
                (None, Some(i64::MIN)),
                (None, Some(0)),
                (None, None),
            ]
        );
        assert_eq!(
            array.get(1).unwrap().as_number(),
            Some(Some(18446744073709551616.0))
        );
    }

    proptest! {
        /// Numbers, on the block path and the byte path alike, follow JSON's grammar exactly
        /// (serde_json's as the reference), whatever follows them.
        #[test]
        fn numbers_agree_with_serde_json(
            number in "[-0-9.eE+]{1,20}",
            padding in 0_usize..20,
            after in prop_oneof![Just("]"), Just(" ]"), Just("x]"), Just(",1]")],
        ) {
            let text = format!("[{number}{after}{}", " ".repeat(padding));
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok();
            prop_assert_eq!(accepts(&text), serde, "{}", text);
        }

        /// Whatever serde_json accepts as a document the scanner accepts, and the other way
        /// round, on text built from JSON's own tokens (and some that are not).
        #[test]
        fn agrees_with_serde_json(
            tokens in proptest::collection::vec(
                prop_oneof![
                    Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"),
                    Just("\"k\""), Just("\"\\u00e9\\n\""), Just("\"\\ud800\""), Just("1"),
                    Just("-0.5e3"), Just("01"), Just("true"), Just("null"), Just(" "),
                    Just("\"é\""), Just("1e400"),
                ],
                1..12,
            ),
        ) {
            let text = tokens.concat();
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok();
            // serde_json skips an ignored string without checking its surrogates; the scanner
            // refuses a lone one (as simd-json does), so those are compared only when serde_json
            // had to read the string.
            if !text.contains("\\ud800") {
                prop_assert_eq!(accepts(&text), serde, "{}", text);
            }
        }
    }
}
