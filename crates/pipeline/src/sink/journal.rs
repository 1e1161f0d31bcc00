//! A sink that appends to a `recal-journal` journal.

use std::fmt;
use std::path::Path;

use recal_journal::{Schema, Writer, WriterOptions};
use recal_types::Timestamp;

use super::Sink;
use super::SinkError;
use recal_emit::EthSignature;
use recal_emit::SignedProposal;
use recal_emit::record;

/// Schema id of a journal of signed proposals (stage 5's output).
pub const SCHEMA_ID: u64 = 5;

/// Schema name of a journal of signed proposals.
pub const SCHEMA_NAME: &str = "recal.proposals";

/// Schema version: the version of the [`record`] layout.
pub const SCHEMA_VERSION: u32 = record::VERSION;

/// Record type of a signed proposal in that journal.
pub const RECORD_TYPE: u32 = 1;

/// The schema of a journal of signed proposals.
#[must_use]
pub fn schema() -> Schema {
    Schema::new(SCHEMA_ID, SCHEMA_NAME, SCHEMA_VERSION)
}

/// Appends every signed proposal to a journal: one record of type [`RECORD_TYPE`], payload in
/// the [`record`] layout ([`record::decode`] reads it back), timestamped with the emission's
/// event time in nanoseconds. Event times must not decrease (the journal refuses a record older
/// than its predecessor).
///
/// ```
/// use recal_pipeline::sink::{JournalSink, Sink};
/// use recal_emit::record;
/// use recal_journal::{Reader, WriterOptions};
/// # use recal_emit::{B256, EthSignature, Proposal, SignedProposal};
/// # use recal_types::{MarketId, Nonce, ParameterSet, Timestamp, TriggerCause};
/// # let signed = SignedProposal { proposal: Proposal { market: MarketId(1), nonce: Nonce(1),
/// #     valid_after: 0, expiry: 1, parameters: ParameterSet::default(),
/// #     cause: TriggerCause::Heartbeat, inputs_digest: B256::ZERO },
/// #     signature: EthSignature { r: B256::ZERO, s: B256::ZERO, v: 27 } };
/// let dir = tempfile::tempdir()?;
/// let options = WriterOptions { segment_size: 1 << 16, ..WriterOptions::default() };
/// let mut sink = JournalSink::open(dir.path(), options)?;
/// sink.deliver(&signed, Timestamp::from_nanos(1_000))?;
/// drop(sink);
/// let reader = Reader::open(dir.path())?.expect_schema(&recal_pipeline::sink::schema())?;
/// let first = reader.iter().next().unwrap()?;
/// assert_eq!(record::decode(first.payload)?, signed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct JournalSink {
    writer: Writer,
}

impl fmt::Debug for JournalSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournalSink")
            .field("dir", &self.writer.dir())
            .field("next_seq", &self.writer.next_seq())
            .finish_non_exhaustive()
    }
}

impl JournalSink {
    /// Opens (or creates) the journal of signed proposals in `dir`.
    pub fn open(dir: impl AsRef<Path>, options: WriterOptions) -> Result<Self, SinkError> {
        Ok(Self {
            writer: Writer::open(dir, &schema(), options)?,
        })
    }

    /// A sink appending to `writer`, whose journal must have the proposals' [`schema`].
    pub fn new(writer: Writer) -> Result<Self, SinkError> {
        writer.meta().expect_schema(&schema())?;
        Ok(Self { writer })
    }

    /// The journal's writer (e.g. for [`Writer::next_seq`] or [`Writer::sync`]).
    pub fn writer(&mut self) -> &mut Writer {
        &mut self.writer
    }

    /// Gives the writer back.
    #[must_use]
    pub fn into_writer(self) -> Writer {
        self.writer
    }
}

impl Sink<EthSignature> for JournalSink {
    fn deliver(
        &mut self,
        signed: &SignedProposal<EthSignature>,
        at: Timestamp,
    ) -> Result<(), SinkError> {
        self.writer
            .append(RECORD_TYPE, at.as_nanos(), &record::encode(signed))?;
        Ok(())
    }
}
