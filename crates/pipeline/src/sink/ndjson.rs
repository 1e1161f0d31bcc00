//! A sink that writes NDJSON lines to any `std::io::Write`.

use std::io::Write;

use recal_emit::eip712::Eip712Domain;
use recal_types::Timestamp;

use super::Sink;
use super::SinkError;
use recal_emit::EthSignature;
use recal_emit::SignedProposal;
use recal_emit::write_typed_data_json;

/// Writes every signed proposal as one line of [typed-data JSON](recal_emit::SignedTypedData) and a
/// `\n` to `out` (stdout, a file, a pipe), flushing after each line so a reader sees whole
/// lines as soon as they are emitted.
///
/// ```
/// use recal_pipeline::sink::{NdjsonSink, Sink};
/// use recal_emit::{eip712, SignedTypedData};
/// # use recal_emit::{B256, EthSignature, Proposal, SignedProposal};
/// # use recal_types::{MarketId, Nonce, ParameterSet, Timestamp, TriggerCause};
/// # let signed = SignedProposal { proposal: Proposal { market: MarketId(1), nonce: Nonce(1),
/// #     valid_after: 0, expiry: 1, parameters: ParameterSet::default(),
/// #     cause: TriggerCause::Heartbeat, inputs_digest: B256::ZERO },
/// #     signature: EthSignature { r: B256::ZERO, s: B256::ZERO, v: 27 } };
/// let domain = eip712::domain(1, [0xcc; 20].into());
/// let mut sink = NdjsonSink::new(Vec::new(), domain.clone()); // or std::io::stdout()
/// sink.deliver(&signed, Timestamp::from_nanos(0)).unwrap();
/// let out = sink.into_inner();
/// assert_eq!(out.last(), Some(&b'\n'));
/// assert_eq!(SignedTypedData::from_json(&out).unwrap(), SignedTypedData { domain, signed });
/// ```
#[derive(Debug)]
pub struct NdjsonSink<W> {
    out: W,
    line: NdjsonLine,
}

impl<W: Write> NdjsonSink<W> {
    /// A sink writing to `out` the typed data of proposals signed for `domain`.
    pub const fn new(out: W, domain: Eip712Domain) -> Self {
        Self {
            out,
            line: NdjsonLine::new(domain),
        }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Sink<EthSignature> for NdjsonSink<W> {
    fn deliver(
        &mut self,
        signed: &SignedProposal<EthSignature>,
        _at: Timestamp,
    ) -> Result<(), SinkError> {
        self.out.write_all(self.line.encode(signed)?)?;
        self.out.flush()?;
        Ok(())
    }
}

/// The line buffer shared by the NDJSON and TCP sinks: one domain, one reused allocation.
#[derive(Debug)]
pub(super) struct NdjsonLine {
    domain: Eip712Domain,
    bytes: Vec<u8>,
}

impl NdjsonLine {
    pub(super) const fn new(domain: Eip712Domain) -> Self {
        Self {
            domain,
            bytes: Vec::new(),
        }
    }

    /// The line of `signed`, newline included.
    pub(super) fn encode(
        &mut self,
        signed: &SignedProposal<EthSignature>,
    ) -> Result<&[u8], std::io::Error> {
        self.bytes.clear();
        write_typed_data_json(&self.domain, signed, &mut self.bytes)?;
        self.bytes.push(b'\n');
        Ok(&self.bytes)
    }
}
