//! The tape envelope: one line of an NDJSON tape, saying which source a message came from and
//! when it was received, around the message itself, verbatim.
//!
//! ```text
//! {"source":"deribit","recv_ns":1589434896486000000,"msg":{"jsonrpc":"2.0","method":"subscription",…}}
//! ```

use std::io::{self, Write};

use recal_types::{Source, Timestamp};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::EnvelopeError;

/// One parsed envelope, borrowing from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The source of the message (`source`).
    pub source: Source,
    /// The recorded receive time (`recv_ns`, nanoseconds since the Unix epoch), if present.
    pub receive_time: Option<Timestamp>,
    /// The message bytes (`msg`), exactly as they appear in the line.
    pub message: &'a [u8],
}

#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow)]
    source: &'a str,
    recv_ns: Option<u64>,
    #[serde(borrow)]
    msg: &'a RawValue,
}

impl<'a> Envelope<'a> {
    /// Parses one line (without its newline). Unknown fields are ignored, so producers may
    /// add provenance (for example `"origin":"gemini"`). Does not allocate.
    ///
    /// ```
    /// use recal_ingress::Envelope;
    /// use recal_types::Source;
    /// let line = br#"{"source":"binance-spot","recv_ns":5,"msg":{"e":"trade"}}"#;
    /// let envelope = Envelope::parse(line).unwrap();
    /// assert_eq!(envelope.source, Source::BinanceSpot);
    /// assert_eq!(envelope.message, br#"{"e":"trade"}"#);
    /// ```
    ///
    /// # Errors
    /// [`EnvelopeError::Malformed`] if the line is not an envelope object,
    /// [`EnvelopeError::UnknownSource`] if `source` names no source.
    pub fn parse(line: &'a [u8]) -> Result<Self, EnvelopeError> {
        let fields: Fields<'a> =
            serde_json::from_slice(line).map_err(|_| EnvelopeError::Malformed)?;
        Ok(Self {
            source: Source::from_name(fields.source).ok_or(EnvelopeError::UnknownSource)?,
            receive_time: fields.recv_ns.map(Timestamp::from_nanos),
            message: fields.msg.get().as_bytes(),
        })
    }

    /// Writes this envelope as one tape line, newline included. `message` must be one JSON
    /// value (it is written verbatim) and must not contain a newline.
    ///
    /// # Errors
    /// The writer's error.
    pub fn write_line(&self, out: &mut impl Write) -> io::Result<()> {
        write!(out, "{{\"source\":\"{}\"", self.source.name())?;
        if let Some(time) = self.receive_time {
            write!(out, ",\"recv_ns\":{}", time.as_nanos())?;
        }
        out.write_all(b",\"msg\":")?;
        out.write_all(self.message)?;
        out.write_all(b"}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_it_parses() {
        let envelope = Envelope {
            source: Source::Deribit,
            receive_time: Some(Timestamp::from_nanos(1_589_434_896_486_000_000)),
            message: br#"{"jsonrpc":"2.0","x":[1,2]}"#,
        };
        let mut line = Vec::new();
        envelope.write_line(&mut line).unwrap();
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(Envelope::parse(&line[..line.len() - 1]), Ok(envelope));
    }

    #[test]
    fn refuses_what_is_not_an_envelope() {
        for (line, error) in [
            (&br#"{"source":"deribit"}"#[..], EnvelopeError::Malformed),
            (
                br#"{"source":"deribit","msg":{"a":1}"#,
                EnvelopeError::Malformed,
            ),
            (
                br#"{"source":"deribit","recv_ns":-1,"msg":{}}"#,
                EnvelopeError::Malformed,
            ),
            (
                br#"{"source":"ftx","msg":{}}"#,
                EnvelopeError::UnknownSource,
            ),
            (b"[1,2]", EnvelopeError::Malformed),
        ] {
            assert_eq!(
                Envelope::parse(line),
                Err(error),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        let order = br#"{"msg":[1],"origin":"gemini","source":"pyth"}"#;
        let envelope = Envelope::parse(order).unwrap();
        assert_eq!(
            (envelope.source, envelope.receive_time),
            (Source::Pyth, None)
        );
        assert_eq!(envelope.message, b"[1]");
    }
}
