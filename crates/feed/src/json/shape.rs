//! Scanning a message by the shape of an earlier one: a venue sends one channel's messages
//! with the same keys in the same order, so a message is usually the previous one with other
//! numbers and strings in the same places. A [`Shape`], learned from a scanned message, is that
//! message cut at its variable values (every number and every string that is not a key): the
//! constant runs between them (punctuation, keys, literals, whitespace) and the tape. A new
//! message matches when each constant run is found byte for byte where the shape puts it and
//! each value between them is a token of the same class (a JSON number, a string without
//! escapes), checked as the scanner checks it. The tape is then the shape's, with the new
//! values' places and lengths written in and everything after them shifted.
//!
//! Why that is still a full check: replacing a number by a number, or a string by a string, in
//! valid JSON leaves valid JSON of the same structure; the constant runs are compared exactly,
//! the values checked exactly, and the whole message must be consumed. Anything else (a key
//! added, dropped or moved, a value of another class, an escape, other whitespace, a longer or
//! shorter array) fails the match part way, and the scanner's grammar decides as if no shape
//! existed; the tape is the same either way (a property test compares them).
//!
//! Why it pays: the grammar dispatches on every token, compares every key byte by the masks,
//! and writes every tape entry; a match compares each constant run as one or two words and
//! writes only the values. The shapes are learned per [`Scanner`](super::scan::Scanner); a few
//! are kept, most recently matched first, so one connection's message types (a Deribit
//! ticker, a book change, a trade) each keep theirs. A message that matches none is scanned by
//! the grammar and its shape learned in place of the least recently matched one, unless shapes
//! keep failing, when learning backs off (see [`Shapes::scanned`]).

use super::block::{self, BLOCK, bytes_equal};
use super::scan::{Malformed, block_at, number_by_bytes, short_number};
use super::value::{Kind, Node};

/// Shapes kept per scanner: a connection's message types, typically one to four.
const SHAPES: usize = 4;

/// Longest message whose shape is learned. Each slot's buffers are sized for it when it first
/// learns (92 KiB: the text, and tape, values and fixed leaves for the most entries such a text
/// can hold; 368 KiB for a decoder's four slots), so learning never allocates after that; venue
/// messages whose shape repeats (tickers, trades, small book updates) are far shorter.
const MAX_SHAPE_LEN: usize = 4096;

/// After this many messages in a row matched no shape, a shape is learned only from every
/// [`LEARN_EVERY`]th (a stream whose shape never repeats, e.g. book updates with varying level
/// counts, then pays for a failed match and rarely for learning).
const MISSES_BEFORE_BACKOFF: u32 = 8;

/// See [`MISSES_BEFORE_BACKOFF`].
const LEARN_EVERY: u32 = 64;

/// The class of a variable value: what a new message may put in its place.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Number,
    String,
}

/// One variable value of a shape, with the constant run before it.
#[derive(Clone, Copy, Debug)]
struct Step {
    /// Where the constant run before the value starts in the learned text (it ends where the
    /// value starts).
    run_start: u32,
    /// Where the value's token (a string's with its quotes) starts in the learned text.
    token_start: u32,
    /// The value's tape index.
    node: u32,
    /// How many of the shape's fixed leaves lie before the value on the tape.
    fixed_before: u32,
    class: Class,
}

/// A leaf inside a constant run: its tape index and where its text starts in the learned
/// message.
#[derive(Clone, Copy, Debug)]
struct Fixed {
    node: u32,
    start: u32,
}

/// One learned shape (buffers kept when another is learned in its place).
#[derive(Default)]
struct Shape {
    /// The learned message.
    text: Vec<u8>,
    /// Its tape, and after a match the matched message's: every entry a match changes (the
    /// values, the fixed leaves) it writes in full, from the learned text's places, so a
    /// match never depends on an earlier one, and a failed match's partial writes are never
    /// read.
    nodes: Vec<Node>,
    /// Its variable values, in document order.
    steps: Vec<Step>,
    /// The leaves that are part of constant runs (keys and literals), in document order:
    /// their places shift with the values before them.
    fixed: Vec<Fixed>,
    /// Where the constant run after the last value starts in the learned text.
    tail_start: usize,
    /// Whether this slot holds a shape.
    learned: bool,
}

/// A scanner's learned shapes and its back-off.
pub(super) struct Shapes {
    shapes: [Shape; SHAPES],
    /// Slot indexes, most recently matched or learned first.
    order: [u8; SHAPES],
    /// Messages in a row that matched no shape, wrapping (2^32 is a multiple of
    /// [`LEARN_EVERY`], so the back-off's rhythm survives the wrap; saturating would stop
    /// learning for good after 2^32 misses).
    misses: u32,
}

impl Default for Shapes {
    fn default() -> Self {
        Self {
            shapes: Default::default(),
            order: std::array::from_fn(|slot| slot as u8),
            misses: 0,
        }
    }
}

impl Shapes {
    /// Whether `bytes` (valid UTF-8) matches one of the learned shapes; if so, its tape is
    /// [`Shapes::matched_tape`].
    ///
    /// While backing off (see [`MISSES_BEFORE_BACKOFF`]) only the messages a shape would be
    /// learned from are tried, so a stream whose shapes never repeat pays for a failed match
    /// once in [`LEARN_EVERY`] messages, and a stream that settles into one shape is matched
    /// again within that many.
    pub(super) fn scan(&mut self, bytes: &[u8]) -> bool {
        if !learns_after_miss(self.misses.wrapping_add(1)) {
            return false;
        }
        let matched = (0..SHAPES).find(|&rank| {
            let shape = &mut self.shapes[usize::from(self.order[rank])];
            shape.learned && shape.matches(bytes).is_ok()
        });
        if let Some(rank) = matched {
            self.order[..=rank].rotate_right(1);
            self.misses = 0;
        }
        matched.is_some()
    }

    /// The tape of the message [`Shapes::scan`] last matched.
    pub(super) fn matched_tape(&self) -> &[Node] {
        &self.shapes[usize::from(self.order[0])].nodes
    }

    /// After the grammar scanned `bytes` into `nodes` (having found no escape, so every string
    /// is message text): learns its shape in the least recently matched slot, unless backing
    /// off.
    pub(super) fn scanned(&mut self, bytes: &[u8], nodes: &[Node]) {
        self.misses = self.misses.wrapping_add(1);
        if learns_after_miss(self.misses) {
            self.order.rotate_right(1);
            self.shapes[usize::from(self.order[0])].learn(bytes, nodes);
        }
    }
}

/// Whether a message that is the `misses`th in a row to match no shape is learned from.
fn learns_after_miss(misses: u32) -> bool {
    misses <= MISSES_BEFORE_BACKOFF || misses.is_multiple_of(LEARN_EVERY)
}

impl Shape {
    /// Replaces this shape with that of `text`, whose tape is `nodes` (the scanner's, with no
    /// escaped string); the slot stays empty if the tape is not one.
    fn learn(&mut self, text: &[u8], nodes: &[Node]) {
        self.learned = false;
        if text.len() > MAX_SHAPE_LEN {
            return;
        }
        self.text.clear();
        self.nodes.clear();
        self.steps.clear();
        self.fixed.clear();
        // Sized once for the longest shape: at most one tape entry per two bytes, plus the root.
        let entries = MAX_SHAPE_LEN / 2 + 1;
        self.text.reserve_exact(MAX_SHAPE_LEN);
        self.nodes.reserve_exact(entries);
        self.steps.reserve_exact(entries);
        self.fixed.reserve_exact(entries);
        self.text.extend_from_slice(text);
        self.nodes.extend_from_slice(nodes);
        let mut run_start = 0;
        self.learned = self.visit(nodes, 0, false, &mut run_start) == Some(nodes.len());
        self.tail_start = run_start;
    }

    /// Records the value at tape index `index` (a key if `is_key`) and its descendants, with
    /// `run_start` where the current constant run started; returns the index after them.
    /// Recursion is bounded by the scanner's nesting limit.
    fn visit(
        &mut self,
        nodes: &[Node],
        index: usize,
        is_key: bool,
        run_start: &mut usize,
    ) -> Option<usize> {
        let node = *nodes.get(index)?;
        let (class, token_start, token_len) = match node.kind {
            Kind::Object | Kind::Array => {
                let mut child = index + 1;
                for _ in 0..node.len {
                    if node.kind == Kind::Object {
                        child = self.visit(nodes, child, true, run_start)?;
                    }
                    child = self.visit(nodes, child, false, run_start)?;
                }
                return (child == node.end as usize).then_some(child);
            }
            Kind::String if !is_key => (Class::String, node.start - 1, node.len + 2),
            Kind::Integer | Kind::Decimal => (Class::Number, node.start, node.len),
            Kind::EscapedString => return None,
            Kind::String | Kind::True | Kind::False | Kind::Null => {
                self.fixed.push(Fixed {
                    node: index as u32,
                    start: node.start,
                });
                return Some(index + 1);
            }
        };
        self.steps.push(Step {
            run_start: *run_start as u32,
            token_start,
            node: index as u32,
            fixed_before: self.fixed.len() as u32,
            class,
        });
        *run_start = (token_start + token_len) as usize;
        Some(index + 1)
    }

    /// Writes the tape of `bytes` into `nodes` if `bytes` has this shape.
    fn matches(&mut self, bytes: &[u8]) -> Result<(), Malformed> {
        let nodes = &mut self.nodes;
        let mut at = 0;
        let mut fixed_done = 0;
        for step in &self.steps {
            let run = self
                .text
                .get(step.run_start as usize..step.token_start as usize);
            at = constant_run(bytes, at, run.ok_or(Malformed)?)?;
            let shift = at.wrapping_sub(step.token_start as usize);
            let fixed = self.fixed.get(fixed_done..step.fixed_before as usize);
            place_leaves(nodes, fixed.ok_or(Malformed)?, shift)?;
            fixed_done = step.fixed_before as usize;
            let (kind, start, len, token_len) = match step.class {
                Class::Number => {
                    let (kind, len) = number(bytes, at)?;
                    (kind, at, len, len)
                }
                Class::String => {
                    let len = string(bytes, at)?;
                    (Kind::String, at + 1, len, len + 2)
                }
            };
            let node = nodes.get_mut(step.node as usize).ok_or(Malformed)?;
            node.kind = kind;
            node.start = start as u32;
            node.len = len as u32;
            at += token_len;
        }
        let tail = self.text.get(self.tail_start..).ok_or(Malformed)?;
        at = constant_run(bytes, at, tail)?;
        if at != bytes.len() {
            return Err(Malformed);
        }
        let shift = at.wrapping_sub(self.text.len());
        place_leaves(nodes, self.fixed.get(fixed_done..).ok_or(Malformed)?, shift)
    }
}

/// Where `run` ends if `bytes` has it at `at`.
#[inline(always)]
fn constant_run(bytes: &[u8], at: usize, run: &[u8]) -> Result<usize, Malformed> {
    let end = at + run.len();
    let found = bytes.get(at..end).ok_or(Malformed)?;
    if bytes_equal(found, run) {
        Ok(end)
    } else {
        Err(Malformed)
    }
}

/// Places the `fixed` leaves `shift` bytes (a wrapping difference of positions) from where
/// they were in the learned text.
#[inline(always)]
fn place_leaves(nodes: &mut [Node], fixed: &[Fixed], shift: usize) -> Result<(), Malformed> {
    for leaf in fixed {
        let node = nodes.get_mut(leaf.node as usize).ok_or(Malformed)?;
        // Positions fit in `u32` (the scanner refuses longer text); the shift wraps like them.
        node.start = leaf.start.wrapping_add(shift as u32);
    }
    Ok(())
}

/// The number token at `at`: its kind and length, checked as the scanner checks it.
#[inline(always)]
fn number(bytes: &[u8], at: usize) -> Result<(Kind, usize), Malformed> {
    if let Some(block) = block_at(bytes, at) {
        let end = block::number_stop_mask(block).trailing_zeros() as usize;
        if let Some(kind) = short_number(block, end) {
            return Ok((kind, end));
        }
    }
    match bytes.get(at) {
        Some(b'-' | b'0'..=b'9') => number_by_bytes(bytes, at),
        _ => Err(Malformed),
    }
}

/// The length of the string without escapes whose opening quote is at `at` (quotes not
/// counted).
#[inline(always)]
fn string(bytes: &[u8], at: usize) -> Result<usize, Malformed> {
    if bytes.get(at) != Some(&b'"') {
        return Err(Malformed);
    }
    let start = at + 1;
    let mut from = start;
    while let Some(block) = block_at(bytes, from) {
        let special = block::special_mask(block);
        if special != 0 {
            return plain_end(bytes, from + special.trailing_zeros() as usize, start);
        }
        from += BLOCK;
    }
    let rest = bytes.get(from..).ok_or(Malformed)?;
    let special = rest
        .iter()
        .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
        .ok_or(Malformed)?;
    plain_end(bytes, from + special, start)
}

/// The string's length if its first special byte, at `special`, is its closing quote.
#[inline(always)]
fn plain_end(bytes: &[u8], special: usize, start: usize) -> Result<usize, Malformed> {
    match bytes.get(special) {
        Some(b'"') => Ok(special - start),
        _ => Err(Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::super::scan::Scanner;
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// The tape of `text` by the grammar alone (a fresh scanner has no shape).
    fn grammar_tape(text: &str) -> Option<Vec<Node>> {
        let mut scanner = Scanner::default();
        let document = scanner.scan(text.as_bytes()).ok()?;
        Some(document.nodes.to_vec())
    }

    /// The tape of `text` by the shape learned from `learned`, if it matches.
    fn shape_tape(learned: &str, text: &str) -> Option<Vec<Node>> {
        let mut shapes = Shapes::default();
        shapes.scanned(learned.as_bytes(), &grammar_tape(learned).unwrap());
        shapes
            .scan(text.as_bytes())
            .then(|| shapes.matched_tape().to_vec())
    }

    const TICKER: &str = r#"{"params":{"channel":"ticker.BTC-PERPETUAL","data":{"timestamp":1703059200123,"stats":{"low":0.061,"high":null},"state":"open","mark_iv":56.12,"ok":true,"levels":[[1,"2"],[3,"4"]],"underlying_index":"BTC-27DEC24"}}}"#;

    #[test]
    fn a_message_with_other_values_matches_and_gets_the_grammars_tape() {
        let other = TICKER
            .replace("BTC-PERPETUAL", "ETH-27DEC24-4000-C")
            .replace("1703059200123", "1703059200124000")
            .replace("0.061", "-1.5e-3")
            .replace("\"open\"", "\"\"")
            .replace("56.12", "0")
            .replace("[1,\"2\"]", "[22.5,\"x y é\"]")
            .replace("27DEC24\"", "28MAR25-and-a-long-underlying-name\"");
        let tape = shape_tape(TICKER, &other);
        assert!(tape.is_some(), "no match");
        assert_eq!(tape, grammar_tape(&other));
        assert_eq!(shape_tape(TICKER, TICKER), grammar_tape(TICKER));
    }

    #[test]
    fn anything_but_other_values_does_not_match() {
        for other in [
            // A key renamed, added, dropped or moved; whitespace added.
            TICKER.replace("\"state\"", "\"status\""),
            TICKER.replace("\"ok\":true,", "\"ok\":true,\"more\":1,"),
            TICKER.replace("\"ok\":true,", ""),
            TICKER.replace(
                "\"state\":\"open\",\"mark_iv\":56.12",
                "\"mark_iv\":56.12,\"state\":\"open\"",
            ),
            TICKER.replace("\"ok\":true", "\"ok\": true"),
            // A value of another class or literal, an escape, a longer array.
            TICKER.replace("56.12", "\"56.12\""),
            TICKER.replace("56.12", "null"),
            TICKER.replace("\"open\"", "7"),
            TICKER.replace("true", "false"),
            TICKER.replace("null", "0"),
            TICKER.replace("\"open\"", "\"op\\nen\""),
            TICKER.replace("[3,\"4\"]]", "[3,\"4\"],[5,\"6\"]]"),
            // Malformed values and text around the message.
            TICKER.replace("56.12", "056.12"),
            TICKER.replace("56.12", "56."),
            TICKER.replace("56.12", "-"),
            TICKER.replace("\"open\"", "\"op\u{1}en\""),
            TICKER.replace("\"open\"", "\"open"),
            format!("{TICKER} "),
            format!("{TICKER}}}"),
            TICKER[..TICKER.len() - 1].to_string(),
        ] {
            assert_eq!(shape_tape(TICKER, &other), None, "{other}");
        }
    }

    #[test]
    fn messages_with_escapes_are_not_learned() {
        let escaped = TICKER.replace("\"open\"", "\"op\\u0065n\"");
        let mut scanner = Scanner::default();
        scanner.scan(escaped.as_bytes()).unwrap();
        assert!(!scanner.shapes.scan(escaped.as_bytes()));
        scanner.scan(TICKER.as_bytes()).unwrap();
        assert!(scanner.shapes.scan(TICKER.as_bytes()));
    }

    #[test]
    fn several_shapes_are_kept_and_learning_backs_off() {
        let messages: Vec<String> = (0..SHAPES)
            .map(|kind| TICKER.replace("\"ok\"", &format!("\"ok{kind}\"")))
            .collect();
        let mut scanner = Scanner::default();
        for message in &messages {
            scanner.scan(message.as_bytes()).unwrap();
        }
        for message in &messages {
            assert!(scanner.shapes.scan(message.as_bytes()));
        }
        // One more shape pushes out the least recently matched one.
        let fifth = TICKER.replace("\"ok\"", "\"okay\"");
        scanner.scan(fifth.as_bytes()).unwrap();
        assert!(scanner.shapes.scan(fifth.as_bytes()));
        assert!(!scanner.shapes.scan(messages[0].as_bytes()));
        // Shapes that never repeat: after the back-off starts, one in `LEARN_EVERY` is learned.
        let unseen = |kind: u32| TICKER.replace("\"ok\"", &format!("\"never{kind}\""));
        let mut learned = 0;
        for kind in 0..MISSES_BEFORE_BACKOFF + 2 * LEARN_EVERY {
            let message = unseen(kind);
            scanner.scan(message.as_bytes()).unwrap();
            let shapes = &scanner.shapes.shapes;
            learned += u32::from(shapes.iter().any(|shape| shape.text == message.as_bytes()));
        }
        assert_eq!(learned, MISSES_BEFORE_BACKOFF + 2);
    }

    #[test]
    fn learning_resumes_after_the_miss_count_wraps() {
        let mut scanner = Scanner::default();
        scanner.shapes.misses = u32::MAX - 2 * LEARN_EVERY;
        let learned_after = |scanner: &mut Scanner| {
            (1..=2 * LEARN_EVERY).find(|_| {
                scanner.scan(TICKER.as_bytes()).unwrap();
                scanner.shapes.scan(TICKER.as_bytes())
            })
        };
        assert!(learned_after(&mut scanner).is_some());
        scanner.shapes = Shapes::default();
        scanner.shapes.misses = u32::MAX - 1;
        assert!(learned_after(&mut scanner).is_some());
    }

    /// A JSON value of small size and every kind, numbers in the shapes venues print.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            (-1e6..1e6_f64).prop_map(Value::from),
            (-1e-9..1e-9_f64).prop_map(Value::from),
            "[a-z \"\\\\é\u{1}]{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c]{1,2}", inner, 0..4)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    /// `value` with its leaves replaced, in document order, by `replacements` where they
    /// hold one (an object's members are visited in key order).
    fn replace_leaves(value: &mut Value, replacements: &mut impl Iterator<Item = Option<Value>>) {
        match value {
            Value::Array(elements) => elements
                .iter_mut()
                .for_each(|element| replace_leaves(element, replacements)),
            Value::Object(members) => members
                .values_mut()
                .for_each(|member| replace_leaves(member, replacements)),
            leaf => {
                if let Some(Some(replacement)) = replacements.next() {
                    *leaf = replacement;
                }
            }
        }
    }

    proptest! {
        /// Whatever follows a learned message, the scanner's verdict and tape are those of a
        /// scanner without shapes: for the same structure with values replaced (often a
        /// match), and for that text with one byte replaced, inserted or removed.
        #[test]
        fn shapes_never_change_a_scan(
            learned in json_value(),
            replacements in proptest::collection::vec(
                proptest::option::weighted(0.3, json_value()), 0..24),
            pretty in any::<bool>(),
            edit in proptest::option::weighted(0.5, (0.0..1.0_f64, 0_u8..3, prop_oneof![
                Just(b'"'), Just(b'\\'), Just(b','), Just(b'1'), Just(b'.'), Just(b' '),
                Just(b'}'), Just(b']'), Just(b'e'), Just(0x80_u8), any::<u8>(),
            ])),
        ) {
            let render = |value: &Value| if pretty {
                serde_json::to_string_pretty(value).unwrap()
            } else {
                value.to_string()
            };
            let mut other = learned.clone();
            replace_leaves(&mut other, &mut replacements.into_iter());
            let mut bytes = render(&other).into_bytes();
            if let Some((at, operation, byte)) = edit {
                let index = (at * bytes.len() as f64) as usize;
                let last = bytes.len() - 1;
                match operation {
                    0 => bytes[index.min(last)] = byte,
                    1 => bytes.insert(index, byte),
                    _ => { bytes.remove(index.min(last)); }
                }
            }
            let mut with_shape = Scanner::default();
            with_shape.scan(render(&learned).as_bytes()).unwrap();
            let by_shape = with_shape.scan(&bytes).map(|document| document.nodes.to_vec());
            let by_grammar = Scanner::default().scan(&bytes).map(|document| document.nodes.to_vec());
            prop_assert_eq!(by_shape, by_grammar, "{}", String::from_utf8_lossy(&bytes));
        }
    }
}
