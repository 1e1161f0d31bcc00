//! Borrowed views of a scanned JSON document: the tape [`scan`](super::scan) builds, read
//! lazily. A number stays text until a decoder asks for it, so a message pays for converting
//! the dozen fields the decoder reads and not for the thirty it ignores.

use super::block;
use crate::decimal::parse_decimal;

/// What a tape entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `{…}`: the key and value entries of its members follow it.
    Object,
    /// `[…]`: its elements' entries follow it.
    Array,
    /// A string with no escape: `start..start + len` of the message text.
    String,
    /// A string that had escapes, unescaped by the scanner: `start..start + len` of the
    /// document's unescaped text.
    EscapedString,
    /// A number without fraction or exponent (`-?(0|[1-9][0-9]*)`): message text.
    Integer,
    /// Any other JSON number: message text.
    Decimal,
    /// `true`.
    True,
    /// `false`.
    False,
    /// `null`.
    Null,
}

/// One value on the tape, in document order. Containers: `start` is unused, `len` is the
/// number of members (objects) or elements (arrays) and `end` the index of the entry after
/// their last descendant. Strings and numbers: `start` and `len` locate the text, `end` is
/// their own index + 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) start: u32,
    pub(super) len: u32,
    pub(super) end: u32,
}

/// A scanned document: the message text (valid UTF-8), the text of its escaped strings, and
/// the tape.
pub(crate) struct Document<'j> {
    pub(super) text: &'j str,
    pub(super) unescaped: &'j str,
    pub(super) nodes: &'j [Node],
}

impl<'j> Document<'j> {
    /// The root value (the scanner never leaves a document without one).
    pub(crate) const fn root(&'j self) -> Json<'j> {
        Json {
            document: self,
            index: 0,
        }
    }
}

/// A borrowed view of one value of a [`Document`].
#[derive(Clone, Copy)]
pub(crate) struct Json<'j> {
    document: &'j Document<'j>,
    index: usize,
}

impl<'j> Json<'j> {
    fn node(self) -> Option<Node> {
        self.document.nodes.get(self.index).copied()
    }

    fn kind(self) -> Option<Kind> {
        self.node().map(|node| node.kind)
    }

    /// The value after this one and all its descendants.
    fn next(self) -> Self {
        let end = self.node().map_or(usize::MAX, |node| node.end as usize);
        Self { index: end, ..self }
    }

    /// `text[start..start + len]` of `node`.
    fn text_of(text: &'j str, node: Node) -> Option<&'j str> {
        let start = node.start as usize;
        text.get(start..start + node.len as usize)
    }

    /// The value's index on its document's tape (never 0 for a member's value).
    pub(crate) fn tape_index(self) -> u32 {
        // Tape indexes fit: the scanner refuses text longer than `u32::MAX`, and every entry
        // takes at least one byte of text.
        self.index as u32
    }

    /// The value at `index` on the same document's tape.
    pub(crate) fn at_tape_index(self, index: u32) -> Self {
        Self {
            index: index as usize,
            ..self
        }
    }

    /// Whether the value is `null`.
    pub(crate) fn is_null(self) -> bool {
        self.kind() == Some(Kind::Null)
    }

    /// The boolean value.
    pub(crate) fn as_bool(self) -> Option<bool> {
        match self.kind()? {
            Kind::True => Some(true),
            Kind::False => Some(false),
            _ => None,
        }
    }

    /// The string value (unescaped), borrowed from the document.
    pub(crate) fn as_str(self) -> Option<&'j str> {
        let node = self.node()?;
        match node.kind {
            Kind::String => Self::text_of(self.document.text, node),
            Kind::EscapedString => Self::text_of(self.document.unescaped, node),
            _ => None,
        }
    }

    /// The text of an integer number (`-?(0|[1-9][0-9]*)`).
    fn integer_text(self) -> Option<&'j str> {
        let node = self.node()?;
        if node.kind != Kind::Integer {
            return None;
        }
        Self::text_of(self.document.text, node)
    }

    /// The value of an integer number that fits a `u64`.
    pub(crate) fn as_u64(self) -> Option<u64> {
        unsigned_digits(self.integer_text()?.as_bytes())
    }

    /// The value of an integer number that fits an `i64`.
    pub(crate) fn as_i64(self) -> Option<i64> {
        let text = self.integer_text()?.as_bytes();
        match text.split_first() {
            Some((b'-', digits)) => i64::try_from(-i128::from(unsigned_digits(digits)?)).ok(),
            _ => i64::try_from(unsigned_digits(text)?).ok(),
        }
    }

    /// The value as a number: a JSON number or a string of decimal text, correctly rounded.
    /// `None` if the value is neither; `Some(None)` if it is one of them but not a finite
    /// number. Text of up to 16 bytes goes through [`block::short_decimal`] when the message
    /// has 16 bytes from its start, anything else (or what that refuses) through
    /// [`parse_decimal`], and JSON numbers too long for that through `str::parse`.
    pub(crate) fn as_number(self) -> Option<Option<f64>> {
        let node = self.node()?;
        let (text, is_number) = match node.kind {
            Kind::Integer | Kind::Decimal => (self.document.text, true),
            Kind::String => (self.document.text, false),
            Kind::EscapedString => return Some(self.as_str().and_then(parse_decimal)),
            _ => return None,
        };
        let start = node.start as usize;
        let block = text.as_bytes().get(start..).and_then(<[u8]>::first_chunk);
        if let Some(value) = block.and_then(|block| block::short_decimal(block, node.len as usize))
        {
            return Some(Some(value));
        }
        let text = Self::text_of(text, node)?;
        // The scanner checked a JSON number's grammar, a subset of what `str::parse` accepts.
        let long_number = || is_number.then(|| text.parse::<f64>().ok()).flatten();
        Some(
            parse_decimal(text)
                .or_else(long_number)
                .filter(|value| value.is_finite()),
        )
    }

    /// The object, if the value is one.
    pub(crate) fn as_object(self) -> Option<Object<'j>> {
        (self.kind()? == Kind::Object).then_some(Object { value: self })
    }

    /// The array, if the value is one.
    pub(crate) fn as_array(self) -> Option<Array<'j>> {
        (self.kind()? == Kind::Array).then_some(Array { value: self })
    }

    /// The first child entry (a member's key, an element).
    fn first_child(self) -> Self {
        Self {
            index: self.index + 1,
            ..self
        }
    }
}

/// `digits` as a `u64`; `None` if empty, not all ASCII digits (a minus sign), or too large.
fn unsigned_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0_u64, |value, &digit| {
        if !digit.is_ascii_digit() {
            return None;
        }
        value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

/// A JSON object: its members in document order.
#[derive(Clone, Copy)]
pub(crate) struct Object<'j> {
    value: Json<'j>,
}

impl<'j> Object<'j> {
    /// The value of the first member named `key`.
    pub(crate) fn get(&self, key: &str) -> Option<Json<'j>> {
        self.iter()
            .find_map(|(name, value)| (name == key.as_bytes()).then_some(value))
    }

    /// The members, as `(key, value)`; the key as the bytes of its (unescaped) UTF-8 text.
    pub(crate) fn iter(&self) -> Members<'j> {
        Members {
            document: self.value.document,
            next: self.value.index + 1,
            left: self.value.node().map_or(0, |node| node.len),
        }
    }
}

impl<'j> IntoIterator for &Object<'j> {
    type Item = (&'j [u8], Json<'j>);
    type IntoIter = Members<'j>;

    fn into_iter(self) -> Members<'j> {
        self.iter()
    }
}

/// The members of an [`Object`].
pub(crate) struct Members<'j> {
    document: &'j Document<'j>,
    /// The tape index of the next member's key.
    next: usize,
    left: u32,
}

impl<'j> Iterator for Members<'j> {
    type Item = (&'j [u8], Json<'j>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let nodes = self.document.nodes;
        let key = *nodes.get(self.next)?;
        let value = Json {
            document: self.document,
            index: self.next + 1,
        };
        self.next = nodes.get(value.index)?.end as usize;
        // Every key is a string on the tape the scanner builds.
        let text = if key.kind == Kind::EscapedString {
            self.document.unescaped
        } else {
            self.document.text
        };
        let start = key.start as usize;
        let name = text.as_bytes().get(start..start + key.len as usize)?;
        Some((name, value))
    }
}

/// A JSON array: its elements in document order.
#[derive(Clone, Copy)]
pub(crate) struct Array<'j> {
    value: Json<'j>,
}

impl<'j> Array<'j> {
    /// The number of elements.
    pub(crate) fn len(&self) -> usize {
        self.value.node().map_or(0, |node| node.len as usize)
    }

    /// The element at `index`.
    pub(crate) fn get(&self, index: usize) -> Option<Json<'j>> {
        self.iter().nth(index)
    }

    /// The elements.
    pub(crate) fn iter(&self) -> Elements<'j> {
        Elements {
            next: self.value.first_child(),
            left: self.value.node().map_or(0, |node| node.len),
        }
    }
}

impl<'j> IntoIterator for &Array<'j> {
    type Item = Json<'j>;
    type IntoIter = Elements<'j>;

    fn into_iter(self) -> Elements<'j> {
        self.iter()
    }
}

/// The elements of an [`Array`].
pub(crate) struct Elements<'j> {
    next: Json<'j>,
    left: u32,
}

impl<'j> Iterator for Elements<'j> {
    type Item = Json<'j>;

    fn next(&mut self) -> Option<Json<'j>> {
        self.left = self.left.checked_sub(1)?;
        let element = self.next;
        self.next = element.next();
        Some(element)
    }
}
