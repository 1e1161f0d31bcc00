//! Newline framing over a reused buffer: complete lines are handed out as slices of the
//! buffer, an oversized line is refused and skipped up to its newline, and an unfinished line
//! at the end of the stream is reported.

use std::io::{self, Read};

use crate::error::FrameError;

/// Free space guaranteed for each read on top of the longest line the buffer may hold.
const READ_SLACK: usize = 16 * 1024;

/// What the framer found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// A complete line without its `\n` (and without a `\r` before it). Empty lines are
    /// skipped.
    Complete(&'a [u8]),
    /// A refused line and the bytes kept of it.
    Refused(FrameError, &'a [u8]),
}

/// A newline framer with a fixed buffer of `max_line + READ_SLACK` bytes, allocated once.
#[derive(Debug)]
pub(crate) struct LineBuffer {
    buffer: Box<[u8]>,
    /// Start of the first unconsumed byte.
    start: usize,
    /// End of the bytes read.
    end: usize,
    /// `start..scanned` holds no newline.
    scanned: usize,
    max_line: usize,
    /// While skipping an oversized line: its length so far.
    skipping: Option<usize>,
    /// The first bytes of the line being skipped (at most `keep_bytes`).
    kept: Vec<u8>,
    keep_bytes: usize,
}

impl LineBuffer {
    /// A framer for lines of at most `max_line` bytes, keeping the first `keep_bytes` bytes of
    /// a refused line.
    pub(crate) fn new(max_line: usize, keep_bytes: usize) -> Self {
        Self {
            buffer: vec![0; max_line + READ_SLACK].into_boxed_slice(),
            start: 0,
            end: 0,
            scanned: 0,
            max_line,
            skipping: None,
            kept: Vec::with_capacity(keep_bytes),
            keep_bytes,
        }
    }

    /// One `read` into the free space; `Ok(0)` means the end of the stream.
    pub(crate) fn read_from(&mut self, reader: &mut impl Read) -> io::Result<usize> {
        if self.buffer.len() - self.end < READ_SLACK {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scanned -= self.start;
            self.start = 0;
        }
        let read = reader.read(&mut self.buffer[self.end..])?;
        self.end += read;
        Ok(read)
    }

    /// Hands every complete line read so far, and every refusal, to `deliver`.
    pub(crate) fn drain(&mut self, deliver: &mut impl FnMut(Line<'_>)) {
        while let Some(offset) = memchr::memchr(b'\n', &self.buffer[self.scanned..self.end]) {
            let line_start = self.start;
            let newline = self.scanned + offset;
            self.start = newline + 1;
            self.scanned = self.start;
            if let Some(skipped) = self.skipping.take() {
                let error = FrameError::Oversized {
                    len: skipped + (newline - line_start),
                    max: self.max_line,
                };
                deliver(Line::Refused(error, &self.kept));
                continue;
            }
            let line = &self.buffer[line_start..newline];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() > self.max_line {
                let error = FrameError::Oversized {
                    len: line.len(),
                    max: self.max_line,
                };
                deliver(Line::Refused(
                    error,
                    &line[..self.keep_bytes.min(line.len())],
                ));
            } else if !line.is_empty() {
                deliver(Line::Complete(line));
            }
        }
        self.scanned = self.end;
        let pending = self.end - self.start;
        if let Some(skipped) = &mut self.skipping {
            *skipped += pending;
            self.clear();
        } else if pending > self.max_line {
            self.kept.clear();
            let keep = pending.min(self.keep_bytes);
            self.kept
                .extend_from_slice(&self.buffer[self.start..self.start + keep]);
            self.skipping = Some(pending);
            self.clear();
        } else if pending == 0 {
            self.clear();
        }
    }

    /// The stream ended: reports an unfinished line, if any, and empties the framer so that
    /// nothing of it is merged with a later stream.
    pub(crate) fn finish(&mut self, deliver: &mut impl FnMut(Line<'_>)) {
        self.drain(deliver);
        if let Some(len) = self.skipping.take() {
            deliver(Line::Refused(FrameError::PartialLine { len }, &self.kept));
        } else if self.end > self.start {
            let rest = &self.buffer[self.start..self.end];
            let error = FrameError::PartialLine { len: rest.len() };
            deliver(Line::Refused(
                error,
                &rest[..self.keep_bytes.min(rest.len())],
            ));
        }
        self.clear();
    }

    fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        self.scanned = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A delivered line, or a refusal with the bytes kept.
    type Framed = Result<Vec<u8>, (FrameError, Vec<u8>)>;

    /// Feeds `chunks` one read at a time (then the end of the stream) and lists what came out.
    fn frame(max_line: usize, chunks: &[&[u8]]) -> Vec<Framed> {
        let mut framer = LineBuffer::new(max_line, 4);
        let mut out = Vec::new();
        let mut collect = |line: Line<'_>| {
            out.push(match line {
                Line::Complete(bytes) => Ok(bytes.to_vec()),
                Line::Refused(error, kept) => Err((error, kept.to_vec())),
            });
        };
        for chunk in chunks {
            let mut reader = *chunk;
            while !reader.is_empty() {
                framer.read_from(&mut reader).unwrap();
                framer.drain(&mut collect);
            }
        }
        framer.finish(&mut collect);
        out
    }

    #[test]
    fn lines_split_across_reads_are_joined() {
        let out = frame(64, &[b"{\"a\"", b":1}\n{\"b\":2}\r\n\n{\"c", b"\":3}\n"]);
        assert_eq!(
            out,
            vec![
                Ok(b"{\"a\":1}".to_vec()),
                Ok(b"{\"b\":2}".to_vec()),
                Ok(b"{\"c\":3}".to_vec())
            ]
        );
    }

    #[test]
    fn an_oversized_line_is_refused_and_the_stream_resynchronises() {
        let long = vec![b'x'; 50_000];
        let out = frame(10, &[b"short\n", &long, &long, b"yy\nnext\n"]);
        assert_eq!(out[0], Ok(b"short".to_vec()));
        let oversized = FrameError::Oversized {
            len: 100_002,
            max: 10,
        };
        assert_eq!(out[1], Err((oversized, b"xxxx".to_vec())));
        assert_eq!(out[2], Ok(b"next".to_vec()));
        assert_eq!(out.len(), 3);
        // Within one read.
        let out = frame(3, &[b"abcdef\nok\n"]);
        let oversized = FrameError::Oversized { len: 6, max: 3 };
        assert_eq!(
            out,
            vec![Err((oversized, b"abcd".to_vec())), Ok(b"ok".to_vec())]
        );
    }

    #[test]
    fn a_partial_last_line_is_reported_not_delivered() {
        let out = frame(64, &[b"one\ntw", b"o"]);
        let partial = FrameError::PartialLine { len: 3 };
        assert_eq!(
            out,
            vec![Ok(b"one".to_vec()), Err((partial, b"two".to_vec()))]
        );
        let long = vec![b'x'; 40_000];
        let out = frame(10, &[&long]);
        let partial = FrameError::PartialLine { len: 40_000 };
        assert_eq!(out, vec![Err((partial, b"xxxx".to_vec()))]);
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes() {
        let line = vec![b'y'; 100];
        let mut input = line.clone();
        input.push(b'\n');
        assert_eq!(frame(100, &[&input]), vec![Ok(line)]);
    }
}
