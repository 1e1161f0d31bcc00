//! Reading a journal: from the start, from a sequence number or from a timestamp, strictly or
//! in salvage mode.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::dir;
use crate::error::{FrameDefect, JournalError};
use crate::frame::FrameDescriptor;
use crate::index::{IndexEntry, SparseIndex};
use crate::meta::{Meta, Schema};
use crate::segment::{Expect, FrameRef, Segment, SegmentHeaderDescriptor, SegmentInfo, Slot};
use crate::{Record, Seq};

/// Opens every segment of a journal and checks that they chain: the first starts at sequence 0,
/// and every finished segment is followed by the one its header names.
pub(crate) fn open_segments(dir: &Path, meta: &Meta) -> Result<Vec<Segment>, JournalError> {
    let mut segments = Vec::new();
    for (first_seq, path) in dir::list_segments(dir)? {
        segments.push(Segment::open(&path, first_seq, meta, false)?);
    }
    if let Some(first) = segments.first().filter(|s| s.first_seq() != 0) {
        return Err(JournalError::Gap {
            after: None,
            next_seq: 0,
            found: Some(first.first_seq()),
        });
    }
    let mut i = 0;
    while i < segments.len() {
        if let Some(next_seq) = segments[i].next_seq() {
            let gap = |found| JournalError::Gap {
                after: Some(segments[i].path().to_path_buf()),
                next_seq,
                found,
            };
            match segments.get(i + 1) {
                Some(next) if next.first_seq() == next_seq => {}
                Some(next) => return Err(gap(Some(next.first_seq()))),
                // The writer names the next segment before it finishes this one, so the next
                // segment exists unless it was deleted; it may have appeared after the listing.
                None => match Segment::open_named(dir, next_seq, meta)? {
                    Some(next) => segments.push(next),
                    None => return Err(gap(None)),
                },
            }
        }
        i += 1;
    }
    Ok(segments)
}

/// A read-only view of a journal: the segments that existed when it was opened.
///
/// Records come back as borrowed [`Record`] views into the mapped files (zero-copy). Every
/// frame is validated (length, sequence, timestamp order, CRC32C) before it is returned; a
/// damaged frame ends strict iteration with [`JournalError::Corrupt`], which names the segment
/// file and offset. [`Records::salvage`] skips damaged bytes instead and reports what it
/// skipped. Records appended to the last segment after opening are seen too; segments created
/// after opening are not (follow a live journal with [`crate::Tailer`]).
///
/// ```
/// use recal_journal::{Reader, Schema, Writer, WriterOptions};
///
/// let dir = tempfile::tempdir()?;
/// let mut writer = Writer::open(dir.path(), &Schema::new(1, "example", 1), WriterOptions::default())?;
/// for i in 0..10u64 {
///     writer.append(1, 1_000 * i, &i.to_le_bytes())?;
/// }
/// let reader = Reader::open(dir.path())?;
/// let from_five: Vec<u64> = reader.iter_from_seq(5)?.map(|r| r.map(|r| r.seq)).collect::<Result<_, _>>()?;
/// assert_eq!(from_five, [5, 6, 7, 8, 9]);
/// let at_or_after = reader.iter_from_timestamp(2_500)?.next().unwrap()?;
/// assert_eq!((at_or_after.seq, at_or_after.timestamp_ns), (3, 3_000));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Reader {
    dir: PathBuf,
    meta: Meta,
    segments: Vec<IndexedSegment>,
}

struct IndexedSegment {
    segment: Segment,
    index: OnceLock<SparseIndex>,
}

/// Where a walk through the journal stands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position {
    pub segment: usize,
    pub offset: usize,
    pub expect: Expect,
}

/// One step of a walk.
enum Step {
    Record(usize, FrameRef),
    Finished,
    Defect {
        segment: usize,
        offset: usize,
        defect: FrameDefect,
    },
}

impl Reader {
    /// Opens the journal in `dir`, whatever its schema; validates `journal.meta`, every segment
    /// header and the chain of segments.
    ///
    /// # Errors
    /// [`JournalError::NotAJournal`], [`JournalError::BadMeta`], [`JournalError::BadMagic`],
    /// [`JournalError::UnsupportedVersion`], [`JournalError::TruncatedSegment`],
    /// [`JournalError::BadSegmentHeader`], [`JournalError::SegmentSchemaMismatch`],
    /// [`JournalError::Gap`], or [`JournalError::Io`].
    pub fn open(dir: impl AsRef<Path>) -> Result<Reader, JournalError> {
        let dir = dir.as_ref();
        let meta = Meta::read(dir)?;
        let segments = open_segments(dir, &meta)?
            .into_iter()
            .map(|segment| IndexedSegment {
                segment,
                index: OnceLock::new(),
            })
            .collect();
        Ok(Reader {
            dir: dir.to_path_buf(),
            meta,
            segments,
        })
    }

    /// Fails with [`JournalError::SchemaMismatch`] unless the journal holds `schema`.
    pub fn expect_schema(self, schema: &Schema) -> Result<Self, JournalError> {
        self.meta.expect_schema(schema)?;
        Ok(self)
    }

    /// The journal directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The journal's metadata.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The segments, in order.
    pub fn segments(&self) -> Vec<SegmentInfo> {
        self.segments.iter().map(|s| s.segment.info()).collect()
    }

    /// All records from the first.
    pub fn iter(&self) -> Records<'_> {
        Records {
            reader: self,
            pos: (!self.segments.is_empty()).then(|| self.segment_start(0, 0)),
        }
    }

    /// Records from sequence number `seq` on. `seq` may be one past the last record (an empty
    /// iterator that a caller can use to learn nothing is missing).
    ///
    /// # Errors
    /// [`JournalError::SeqOutOfRange`] beyond that; [`JournalError::Corrupt`] if a damaged frame
    /// lies on the way to `seq`.
    pub fn iter_from_seq(&self, seq: Seq) -> Result<Records<'_>, JournalError> {
        if self.segments.is_empty() {
            return if seq == 0 {
                Ok(self.iter())
            } else {
                Err(JournalError::SeqOutOfRange {
                    requested: seq,
                    first: 0,
                    end: 0,
                })
            };
        }
        let i = self
            .segments
            .partition_point(|s| s.segment.first_seq() <= seq)
            .saturating_sub(1);
        let mut pos = self.indexed_start(i, |index| index.at_or_before_seq(seq));
        while pos.expect.seq < seq {
            match self.step(&mut pos)? {
                Step::Record(..) => {}
                Step::Finished => {
                    return Err(JournalError::SeqOutOfRange {
                        requested: seq,
                        first: 0,
                        end: pos.expect.seq,
                    });
                }
                Step::Defect {
                    segment,
                    offset,
                    defect,
                } => return Err(self.corrupt(segment, offset, defect)),
            }
        }
        Ok(Records {
            reader: self,
            pos: Some(pos),
        })
    }

    /// Records from the first one whose timestamp is at least `timestamp_ns` (empty if none is).
    ///
    /// # Errors
    /// [`JournalError::Corrupt`] if a damaged frame lies on the way.
    pub fn iter_from_timestamp(&self, timestamp_ns: u64) -> Result<Records<'_>, JournalError> {
        if self.segments.is_empty() {
            return Ok(self.iter());
        }
        let i = self
            .segments
            .partition_point(|s| s.segment.created_ns() < timestamp_ns)
            .saturating_sub(1);
        let mut pos = self.indexed_start(i, |index| index.before_timestamp(timestamp_ns));
        loop {
            let before = pos;
            match self.step(&mut pos)? {
                Step::Record(_, frame) if frame.timestamp_ns >= timestamp_ns => {
                    return Ok(Records {
                        reader: self,
                        pos: Some(before),
                    });
                }
                Step::Record(..) => {}
                Step::Finished => {
                    return Ok(Records {
                        reader: self,
                        pos: Some(pos),
                    });
                }
                Step::Defect {
                    segment,
                    offset,
                    defect,
                } => return Err(self.corrupt(segment, offset, defect)),
            }
        }
    }

    /// One past the sequence number of the last record.
    ///
    /// # Errors
    /// [`JournalError::Corrupt`] if the last segment is damaged.
    pub fn end_seq(&self) -> Result<Seq, JournalError> {
        Ok(self.end_position()?.map_or(0, |pos| pos.expect.seq))
    }

    /// Reads every record, checking everything [`Reader::iter`] checks, and sums up the journal.
    ///
    /// # Errors
    /// The first problem found.
    pub fn verify(&self) -> Result<VerifySummary, JournalError> {
        let mut summary = VerifySummary {
            segments: self.segments.len(),
            ..VerifySummary::default()
        };
        for record in self.iter() {
            let record = record?;
            summary.records += 1;
            summary.payload_bytes += record.payload.len() as u64;
            summary.first_seq.get_or_insert(record.seq);
            summary
                .first_timestamp_ns
                .get_or_insert(record.timestamp_ns);
            summary.last_seq = Some(record.seq);
            summary.last_timestamp_ns = Some(record.timestamp_ns);
        }
        Ok(summary)
    }

    /// The position after the last record, or `None` for a journal without segments.
    pub(crate) fn end_position(&self) -> Result<Option<Position>, JournalError> {
        let Some(last) = self.segments.len().checked_sub(1) else {
            return Ok(None);
        };
        let mut pos = self.indexed_start(last, |index| index.at_or_before_seq(Seq::MAX));
        loop {
            match self.step(&mut pos)? {
                Step::Record(..) => {}
                Step::Finished => return Ok(Some(pos)),
                Step::Defect {
                    segment,
                    offset,
                    defect,
                } => return Err(self.corrupt(segment, offset, defect)),
            }
        }
    }

    /// The segment a position refers to, taken out of the reader.
    pub(crate) fn into_segment(mut self, index: usize) -> Segment {
        self.segments.swap_remove(index).segment
    }

    fn segment_start(&self, i: usize, min_ts: u64) -> Position {
        let seq = self.segments[i].segment.first_seq();
        Position {
            segment: i,
            offset: SegmentHeaderDescriptor::HEADER_LEN,
            expect: Expect {
                seq,
                exact: true,
                min_ts,
            },
        }
    }

    /// A walk's starting point in segment `i` from its sparse index, built on first use.
    fn indexed_start(
        &self,
        i: usize,
        lookup: impl Fn(&SparseIndex) -> Option<IndexEntry>,
    ) -> Position {
        let indexed = &self.segments[i];
        let index = indexed
            .index
            .get_or_init(|| SparseIndex::build(&indexed.segment));
        match lookup(index) {
            Some(entry) => Position {
                segment: i,
                offset: entry.offset,
                expect: Expect {
                    seq: entry.seq,
                    exact: true,
                    min_ts: entry.timestamp_ns,
                },
            },
            None => self.segment_start(i, 0),
        }
    }

    fn corrupt(&self, segment: usize, offset: usize, defect: FrameDefect) -> JournalError {
        JournalError::Corrupt {
            segment: self.segments[segment].segment.path().to_path_buf(),
            offset: offset as u64,
            defect,
        }
    }

    /// Moves `pos` to the next record, across segment boundaries.
    fn step(&self, pos: &mut Position) -> Result<Step, JournalError> {
        loop {
            let segment = &self.segments[pos.segment].segment;
            let gap = |found| JournalError::Gap {
                after: Some(segment.path().to_path_buf()),
                next_seq: pos.expect.seq,
                found,
            };
            match segment.frame_at(pos.offset, pos.expect) {
                Slot::Record(frame) => {
                    pos.offset = frame.next_offset();
                    pos.expect = Expect {
                        seq: frame.seq + 1,
                        exact: true,
                        min_ts: frame.timestamp_ns,
                    };
                    return Ok(Step::Record(pos.segment, frame));
                }
                Slot::End { next_seq } => {
                    if segment.next_seq() != Some(next_seq) {
                        return Err(JournalError::BadSegmentHeader {
                            segment: segment.path().to_path_buf(),
                            reason: format!(
                                "header says the next segment starts at {:?}, the end-of-segment frame says {next_seq}",
                                segment.next_seq()
                            ),
                        });
                    }
                    match self.segments.get(pos.segment + 1) {
                        Some(next) if next.segment.first_seq() == next_seq => {
                            *pos = Position {
                                expect: pos.expect,
                                ..self.segment_start(pos.segment + 1, 0)
                            };
                        }
                        Some(next) => return Err(gap(Some(next.segment.first_seq()))),
                        // The journal went on after this reader was opened.
                        None => return Ok(Step::Finished),
                    }
                }
                Slot::Vacant => match self.segments.get(pos.segment + 1) {
                    None => return Ok(Step::Finished),
                    // A writer died after naming the next segment but before finishing this one
                    // (it names the next segment only once this one holds all its records).
                    Some(next) if next.segment.first_seq() == pos.expect.seq => {
                        *pos = Position {
                            expect: pos.expect,
                            ..self.segment_start(pos.segment + 1, 0)
                        };
                    }
                    Some(next) => return Err(gap(Some(next.segment.first_seq()))),
                },
                Slot::Defect(defect) => {
                    return Ok(Step::Defect {
                        segment: pos.segment,
                        offset: pos.offset,
                        defect,
                    });
                }
            }
        }
    }
}

/// Strict iteration over records; see [`Reader`]. Ends after the first error.
pub struct Records<'r> {
    reader: &'r Reader,
    pos: Option<Position>,
}

impl<'r> Records<'r> {
    /// Switches to salvage mode from the current position: damaged bytes are skipped and
    /// reported instead of ending the iteration.
    pub fn salvage(self) -> Salvage<'r> {
        Salvage {
            reader: self.reader,
            pos: self.pos,
        }
    }

    /// Where the iteration stands, for callers that continue it elsewhere (the tailer).
    pub(crate) fn position(&self) -> Option<Position> {
        self.pos
    }
}

impl<'r> Iterator for Records<'r> {
    type Item = Result<Record<'r>, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        let pos = self.pos.as_mut()?;
        let item = match self.reader.step(pos) {
            Ok(Step::Record(segment, frame)) => {
                return Some(Ok(self.reader.segments[segment].segment.record(&frame)));
            }
            Ok(Step::Finished) => None,
            Ok(Step::Defect {
                segment,
                offset,
                defect,
            }) => Some(Err(self.reader.corrupt(segment, offset, defect))),
            Err(e) => Some(Err(e)),
        };
        self.pos = None;
        item
    }
}

/// What salvage iteration yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Salvaged<'r> {
    /// A valid record.
    Record(Record<'r>),
    /// Damaged bytes that were skipped.
    Skipped(Skipped),
}

/// A damaged range skipped in salvage mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The segment file.
    pub segment: PathBuf,
    /// Offset of the damaged frame.
    pub offset: u64,
    /// Bytes skipped: up to the next valid frame, or to the end of the segment when none
    /// follows in it.
    pub len: u64,
    /// What was wrong with the frame at `offset`.
    pub defect: FrameDefect,
}

/// Salvage iteration: like [`Records`], but a damaged frame is reported as
/// [`Salvaged::Skipped`] and reading resumes at the next valid frame: the next 8-byte boundary
/// whose length, sequence number (at least the expected one), timestamp and CRC32C all hold.
/// Structural errors (a missing segment, I/O) still end it.
pub struct Salvage<'r> {
    reader: &'r Reader,
    pos: Option<Position>,
}

impl<'r> Iterator for Salvage<'r> {
    type Item = Result<Salvaged<'r>, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        let reader = self.reader;
        let pos = self.pos.as_mut()?;
        let (segment_index, offset, defect) = match reader.step(pos) {
            Ok(Step::Record(segment, frame)) => {
                return Some(Ok(Salvaged::Record(
                    reader.segments[segment].segment.record(&frame),
                )));
            }
            Ok(Step::Defect {
                segment,
                offset,
                defect,
            }) => (segment, offset, defect),
            Ok(Step::Finished) => {
                self.pos = None;
                return None;
            }
            Err(e) => {
                self.pos = None;
                return Some(Err(e));
            }
        };
        let segment = &reader.segments[segment_index].segment;
        let resume = segment.find_frame(offset + FrameDescriptor::ALIGNMENT, pos.expect);
        let len = resume.map_or(segment.len(), |(at, _)| at) - offset;
        match resume {
            Some((at, seq)) => {
                pos.offset = at;
                pos.expect = Expect {
                    seq,
                    exact: true,
                    min_ts: pos.expect.min_ts,
                };
            }
            None if segment_index + 1 < reader.segments.len() => {
                *pos = reader.segment_start(segment_index + 1, pos.expect.min_ts);
            }
            None => self.pos = None,
        }
        Some(Ok(Salvaged::Skipped(Skipped {
            segment: segment.path().to_path_buf(),
            offset: offset as u64,
            len: len as u64,
            defect,
        })))
    }
}

/// What [`Reader::verify`] found in a sound journal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifySummary {
    /// Number of segment files.
    pub segments: usize,
    /// Number of records.
    pub records: u64,
    /// Sum of payload lengths.
    pub payload_bytes: u64,
    /// Sequence number of the first record.
    pub first_seq: Option<Seq>,
    /// Sequence number of the last record.
    pub last_seq: Option<Seq>,
    /// Timestamp of the first record.
    pub first_timestamp_ns: Option<u64>,
    /// Timestamp of the last record.
    pub last_timestamp_ns: Option<u64>,
}
