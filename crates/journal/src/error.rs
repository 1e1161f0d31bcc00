//! Typed errors. Every failure the journal can meet on disk or in its input has a variant here;
//! nothing in the crate panics on bad bytes.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::Seq;
use crate::meta::Schema;

/// What is wrong with a frame that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameDefect {
    /// The length word is shorter than a frame header or runs past the end of the segment.
    BadLength {
        /// The length word found.
        length: u32,
    },
    /// The frame's kind is neither a record nor an end-of-segment frame.
    UnknownKind {
        /// The kind found.
        kind: u16,
    },
    /// The reserved header field is not zero.
    Reserved {
        /// The value found.
        value: u16,
    },
    /// The frame's sequence number is not the one that must come next.
    UnexpectedSequence {
        /// The sequence number that must come next.
        expected: Seq,
        /// The sequence number found.
        found: Seq,
    },
    /// The frame's timestamp is earlier than the previous record's.
    TimestampRegression {
        /// Timestamp of the previous record.
        previous: u64,
        /// Timestamp found.
        found: u64,
    },
    /// The segment's first record does not carry the timestamp its segment header promises.
    FirstTimestampMismatch {
        /// Timestamp in the segment header.
        header: u64,
        /// Timestamp of the first record.
        found: u64,
    },
    /// The stored CRC32C does not match the frame's bytes.
    Checksum {
        /// CRC32C stored in the frame.
        stored: u32,
        /// CRC32C computed over the frame's bytes.
        computed: u32,
    },
    /// A segment holds no record where its first record must be.
    MissingRecord,
}

impl fmt::Display for FrameDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameDefect::BadLength { length } => write!(f, "impossible frame length {length}"),
            FrameDefect::UnknownKind { kind } => write!(f, "unknown frame kind {kind}"),
            FrameDefect::Reserved { value } => write!(f, "reserved field is {value}, not 0"),
            FrameDefect::UnexpectedSequence { expected, found } => {
                write!(f, "sequence {found} where {expected} must come next")
            }
            FrameDefect::TimestampRegression { previous, found } => {
                write!(
                    f,
                    "timestamp {found} is earlier than the previous record's {previous}"
                )
            }
            FrameDefect::FirstTimestampMismatch { header, found } => {
                write!(
                    f,
                    "first record's timestamp {found} differs from the segment header's {header}"
                )
            }
            FrameDefect::Checksum { stored, computed } => {
                write!(
                    f,
                    "checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
                )
            }
            FrameDefect::MissingRecord => {
                write!(f, "no record where the segment's first record must be")
            }
        }
    }
}

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// An operating-system call failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The directory holds no journal (no `journal.meta`).
    #[error("{dir} is not a journal: it has no journal.meta")]
    NotAJournal {
        /// The directory.
        dir: PathBuf,
    },
    /// Another writer holds the journal's lock.
    #[error("journal {dir} is already locked by another writer")]
    AlreadyLocked {
        /// The journal directory.
        dir: PathBuf,
    },
    /// The writer's options or schema are unusable.
    #[error("invalid journal configuration: {reason}")]
    InvalidConfig {
        /// Why.
        reason: String,
    },
    /// `journal.meta` cannot be parsed.
    #[error("bad journal metadata in {path}, line {line}: {reason}")]
    BadMeta {
        /// The metadata file.
        path: PathBuf,
        /// The 1-based line (0 when the problem is a missing key).
        line: usize,
        /// Why.
        reason: String,
    },
    /// A file was written in a format version this build does not read.
    #[error("{path} has format version {found}; this build reads version {supported}")]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Version found.
        found: u32,
        /// Version this build reads and writes.
        supported: u32,
    },
    /// The journal records a different schema than the one asked for.
    #[error("schema mismatch: expected {expected}, the journal holds {found}")]
    SchemaMismatch {
        /// Schema asked for.
        expected: Schema,
        /// Schema recorded in the journal.
        found: Schema,
    },
    /// A segment belongs to a journal of another schema.
    #[error("segment {segment} has schema id {found}, the journal's is {expected}")]
    SegmentSchemaMismatch {
        /// The segment file.
        segment: PathBuf,
        /// The journal's schema id.
        expected: u64,
        /// The segment's schema id.
        found: u64,
    },
    /// The writer asked for a segment size other than the journal's.
    #[error("journal segments are {journal} bytes; the writer asked for {requested}")]
    SegmentSizeMismatch {
        /// Segment size recorded in the journal.
        journal: u64,
        /// Segment size the writer asked for.
        requested: u64,
    },
    /// A segment file does not start with the journal magic.
    #[error("segment {segment} has bad magic {found:02x?}")]
    BadMagic {
        /// The segment file.
        segment: PathBuf,
        /// The first eight bytes found.
        found: [u8; 8],
    },
    /// A segment file is shorter (or longer) than its header says.
    #[error("segment {segment} is {len} bytes, expected {expected}")]
    TruncatedSegment {
        /// The segment file.
        segment: PathBuf,
        /// Its length.
        len: u64,
        /// The length it must have.
        expected: u64,
    },
    /// A segment header fails its checksum or contradicts the file name or the journal.
    #[error("bad segment header in {segment}: {reason}")]
    BadSegmentHeader {
        /// The segment file.
        segment: PathBuf,
        /// Why.
        reason: String,
    },
    /// Records are missing: a segment file was deleted or never written.
    #[error("gap in the journal: {} must be followed by a segment starting at sequence {next_seq}, {}", after_text(.after), found_text(.found))]
    Gap {
        /// The segment after which records are missing; `None` when the journal's first
        /// segment is missing.
        after: Option<PathBuf>,
        /// The sequence number the missing segment starts with.
        next_seq: Seq,
        /// First sequence number of the segment that actually follows, if any.
        found: Option<Seq>,
    },
    /// A frame failed validation.
    #[error("corrupt frame in {segment} at offset {offset}: {defect}")]
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// Byte offset of the frame in the segment file.
        offset: u64,
        /// What is wrong with it.
        defect: FrameDefect,
    },
    /// A record does not fit in a segment.
    #[error("record payload of {len} bytes exceeds the maximum of {max} for this journal")]
    RecordTooLarge {
        /// Payload length asked for.
        len: usize,
        /// Largest payload a segment of this journal holds.
        max: usize,
    },
    /// A record's timestamp is earlier than the previous record's.
    #[error("timestamp {supplied} is earlier than the previous record's {previous}")]
    TimestampRegression {
        /// Timestamp of the previous record.
        previous: u64,
        /// Timestamp supplied.
        supplied: u64,
    },
    /// A payload cannot be viewed as the plain-old-data type asked for.
    #[error(
        "payload of {len} bytes cannot be read as {type_name} ({size} bytes, alignment {align})"
    )]
    PayloadType {
        /// Payload length.
        len: usize,
        /// The type asked for.
        type_name: &'static str,
        /// Its size.
        size: usize,
        /// Its alignment.
        align: usize,
    },
    /// A sequence number outside the journal was asked for.
    #[error("sequence {requested} is outside the journal, which holds [{first}, {end})")]
    SeqOutOfRange {
        /// Sequence number asked for.
        requested: Seq,
        /// First sequence number in the journal.
        first: Seq,
        /// One past the last sequence number in the journal.
        end: Seq,
    },
}

fn after_text(after: &Option<PathBuf>) -> String {
    match after {
        Some(path) => format!("segment {}", path.display()),
        None => "the start of the journal".to_string(),
    }
}

fn found_text(found: &Option<Seq>) -> String {
    match found {
        Some(seq) => format!("but the following segment starts at {seq}"),
        None => "but no such segment exists".to_string(),
    }
}

impl JournalError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        JournalError::Io {
            path: path.into(),
            source,
        }
    }
}
