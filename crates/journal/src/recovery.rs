//! Crash recovery, run by [`crate::Writer::open`] under the journal lock before the first
//! append.
//!
//! A writer killed mid-record leaves, after its last published frame, a stop marker (the length
//! word is written last, so it is still zero) followed by the unpublished bytes of the record it
//! was writing. After a power loss without `msync`, anything may be left there, including a
//! nonzero length over a frame that fails its checksum. Recovery walks the last segment frame by
//! frame, validating each like a reader does, finds where the valid records end, and zeroes
//! everything nonzero after that point, reporting what it dropped. It refuses (with
//! [`JournalError::Corrupt`]) when a valid frame follows the damage: that is corruption in the
//! middle of the journal, not a torn tail, and truncating would lose records.
//!
//! A writer killed while rolling, after it named the new segment but before it finished the old
//! one, leaves the old segment without its end-of-segment frame; recovery writes it.

use std::path::PathBuf;

use crate::Seq;
use crate::error::{FrameDefect, JournalError};
use crate::frame::FrameDescriptor;
use crate::meta::Meta;
use crate::segment::{Expect, Segment, SegmentHeaderDescriptor, Slot, WritableSegment};

/// What [`crate::Writer::open`] found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The segment the writer resumes in; `None` for a journal without segments.
    pub segment: Option<PathBuf>,
    /// Sequence number of the next record appended.
    pub next_seq: Seq,
    /// Torn tails that were cut off.
    pub torn_tails: Vec<TornTail>,
    /// A segment whose end-of-segment frame was missing (the writer died while rolling) and has
    /// been written.
    pub finished_segment: Option<PathBuf>,
    /// Half-prepared segment files (`*.prep`) deleted.
    pub removed_prepared: usize,
}

impl RecoveryReport {
    /// Whether the journal was closed cleanly: nothing cut off, nothing repaired.
    pub fn is_clean(&self) -> bool {
        self.torn_tails.is_empty() && self.finished_segment.is_none()
    }
}

/// Bytes after the last valid record of a segment that recovery zeroed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment file.
    pub segment: PathBuf,
    /// Offset of the first byte after the last valid record.
    pub offset: u64,
    /// Bytes zeroed from there (up to the last nonzero byte).
    pub dropped_bytes: u64,
    /// What was at `offset`: a damaged frame, or `None` when the stop marker was intact and
    /// only unpublished bytes of an unfinished record followed it.
    pub defect: Option<FrameDefect>,
}

/// Where the writer resumes.
pub(crate) struct Resume {
    /// The last segment and the offset of its stop marker; `None` for an empty journal.
    pub active: Option<(WritableSegment, usize)>,
    pub next_seq: Seq,
    pub last_ts: u64,
    pub report: RecoveryReport,
}

/// The valid part of a segment after its torn tail is cut off.
struct Tail {
    end: usize,
    next_seq: Seq,
    last_ts: u64,
}

/// Recovers the journal whose validated `segments` are given (see
/// [`crate::reader::open_segments`]).
pub(crate) fn recover(
    meta: &Meta,
    segments: &[Segment],
    removed_prepared: usize,
) -> Result<Resume, JournalError> {
    let mut report = RecoveryReport {
        removed_prepared,
        ..RecoveryReport::default()
    };
    let Some(last) = segments.last() else {
        return Ok(Resume {
            active: None,
            next_seq: 0,
            last_ts: 0,
            report,
        });
    };
    let mut active = WritableSegment::open(last.path(), last.first_seq(), meta)?;
    let tail = cut_torn_tail(&mut active, &mut report)?;
    let previous = segments.len().checked_sub(2).map(|i| &segments[i]);
    if let Some(previous) = previous.filter(|p| p.next_seq().is_none()) {
        let mut previous = WritableSegment::open(previous.path(), previous.first_seq(), meta)?;
        let previous_tail = cut_torn_tail(&mut previous, &mut report)?;
        if previous_tail.next_seq != last.first_seq() {
            return Err(JournalError::Gap {
                after: Some(previous.path().to_path_buf()),
                next_seq: previous_tail.next_seq,
                found: Some(last.first_seq()),
            });
        }
        previous.finish(previous_tail.end, last.first_seq(), previous_tail.last_ts);
        previous.flush(0, previous.len(), true)?;
        report.finished_segment = Some(previous.path().to_path_buf());
    }
    report.segment = Some(active.path().to_path_buf());
    report.next_seq = tail.next_seq;
    Ok(Resume {
        active: Some((active, tail.end)),
        next_seq: tail.next_seq,
        last_ts: tail.last_ts,
        report,
    })
}

/// Finds the end of the valid records of `segment` and zeroes whatever follows it.
fn cut_torn_tail(
    segment: &mut WritableSegment,
    report: &mut RecoveryReport,
) -> Result<Tail, JournalError> {
    let mut offset = SegmentHeaderDescriptor::HEADER_LEN;
    let mut expect = Expect {
        seq: segment.first_seq(),
        exact: true,
        min_ts: segment.created_ns(),
    };
    let corrupt = |offset: usize, defect| JournalError::Corrupt {
        segment: segment.path().to_path_buf(),
        offset: offset as u64,
        defect,
    };
    let defect = loop {
        match segment.frame_at(offset, expect) {
            Slot::Record(frame) => {
                offset = frame.next_offset();
                expect = Expect {
                    seq: frame.seq + 1,
                    exact: true,
                    min_ts: frame.timestamp_ns,
                };
            }
            // Open_segments checked that a finished segment is followed by its successor, and
            // the writer marks the header finished before it publishes this frame.
            Slot::End { next_seq } => {
                return Err(JournalError::Gap {
                    after: Some(segment.path().to_path_buf()),
                    next_seq,
                    found: None,
                });
            }
            Slot::Vacant => break None,
            Slot::Defect(defect) => break Some(defect),
        }
    };
    if offset == SegmentHeaderDescriptor::HEADER_LEN {
        // Segments are named only once their first record is published.
        return Err(corrupt(
            offset,
            defect.unwrap_or(FrameDefect::MissingRecord),
        ));
    }
    let dirty_end = segment.dirty_end(offset);
    if dirty_end > offset {
        if let Some((valid, _)) = segment.find_frame(offset + FrameDescriptor::ALIGNMENT, expect) {
            debug_assert!(valid < dirty_end);
            return Err(corrupt(
                offset,
                defect.unwrap_or(FrameDefect::BadLength { length: 0 }),
            ));
        }
        segment.zero(offset, dirty_end - offset);
        segment.flush(offset, dirty_end - offset, true)?;
        report.torn_tails.push(TornTail {
            segment: segment.path().to_path_buf(),
            offset: offset as u64,
            dropped_bytes: (dirty_end - offset) as u64,
            defect,
        });
    }
    Ok(Tail {
        end: offset,
        next_seq: expect.seq,
        last_ts: expect.min_ts,
    })
}
