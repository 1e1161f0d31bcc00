//! Following a journal live while another thread or process writes it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::JournalError;
use crate::meta::{Meta, Schema};
use crate::reader::Reader;
use crate::segment::{Expect, FrameRef, Segment, SegmentHeaderDescriptor, Slot};
use crate::{Record, Seq};

/// Where a [`Tailer`] starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// At the first record.
    Start,
    /// At the record with this sequence number, which may be one past the last record.
    Seq(Seq),
    /// After the last record present when the tailer opens.
    End,
}

/// Follows a journal as it is written, record by record, across segment rolls.
///
/// The tailer maps one segment at a time and reads the length word of the next slot with an
/// `Acquire` load: zero means nothing new yet; a nonzero length is validated like any frame
/// (CRC32C included) before the record is returned. An end-of-segment frame makes it open the
/// segment the frame names, which the writer has already created and named (it names the next
/// segment before it publishes that frame), so a roll never leaves the tailer waiting on a
/// half-created file. A damaged frame is an error, not a stall.
///
/// If the writer died after naming the next segment but before publishing the end-of-segment
/// frame, the tailer waits at the end of the old segment until a new writer's recovery writes
/// that frame: the records of the new segment were never reported committed.
///
/// ```
/// use std::time::Duration;
/// use recal_journal::{Schema, StartAt, Tailer, Writer, WriterOptions};
///
/// let dir = tempfile::tempdir()?;
/// let mut writer = Writer::open(dir.path(), &Schema::new(1, "example", 1), WriterOptions::default())?;
/// let mut tailer = Tailer::open(dir.path(), StartAt::Start)?;
/// assert!(tailer.poll()?.is_none());
/// writer.append(3, 100, b"tick")?;
/// let record = tailer.next_timeout(Duration::from_secs(1))?.expect("a record");
/// assert_eq!((record.seq, record.record_type, record.payload), (0, 3, &b"tick"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Tailer {
    dir: PathBuf,
    meta: Meta,
    /// The segment being read; `None` until the journal's first segment exists.
    segment: Option<Segment>,
    /// Offset of the next frame slot in `segment`.
    offset: usize,
    /// What the next frame must be.
    expect: Expect,
}

impl Tailer {
    /// Opens a tailer on the journal in `dir` (which must have been created by a writer).
    ///
    /// # Errors
    /// Those of [`Reader::open`], and [`JournalError::SeqOutOfRange`] for a start beyond the
    /// end.
    pub fn open(dir: impl AsRef<Path>, start: StartAt) -> Result<Tailer, JournalError> {
        let dir = dir.as_ref();
        let reader = Reader::open(dir)?;
        let meta = reader.meta().clone();
        let position = match start {
            StartAt::Start => reader.iter().position(),
            StartAt::Seq(seq) => reader.iter_from_seq(seq)?.position(),
            StartAt::End => reader.end_position()?,
        };
        let mut tailer = Tailer {
            dir: dir.to_path_buf(),
            meta,
            segment: None,
            offset: SegmentHeaderDescriptor::HEADER_LEN,
            expect: Expect {
                seq: 0,
                exact: true,
                min_ts: 0,
            },
        };
        if let Some(pos) = position {
            tailer.offset = pos.offset;
            tailer.expect = pos.expect;
            tailer.segment = Some(reader.into_segment(pos.segment));
        }
        Ok(tailer)
    }

    /// Fails with [`JournalError::SchemaMismatch`] unless the journal holds `schema`.
    pub fn expect_schema(self, schema: &Schema) -> Result<Self, JournalError> {
        self.meta.expect_schema(schema)?;
        Ok(self)
    }

    /// Sequence number of the next record this tailer returns.
    pub fn next_seq(&self) -> Seq {
        self.expect.seq
    }

    /// The next record if one has been published, without waiting.
    ///
    /// # Errors
    /// [`JournalError::Corrupt`] for a damaged frame (the tailer stays before it);
    /// [`JournalError::Gap`] if the segment an end-of-segment frame names is missing; errors
    /// opening the next segment.
    pub fn poll(&mut self) -> Result<Option<Record<'_>>, JournalError> {
        let frame = self.advance()?;
        Ok(frame.and_then(|frame| self.view(&frame)))
    }

    /// The next record, waiting up to `timeout` for one: spins briefly, then yields, then
    /// sleeps in doubling steps of up to a millisecond, so an idle tailer costs little CPU.
    ///
    /// # Errors
    /// As [`Tailer::poll`].
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<Record<'_>>, JournalError> {
        let deadline = Instant::now() + timeout;
        let mut backoff = Backoff::default();
        loop {
            if let Some(frame) = self.advance()? {
                return Ok(self.view(&frame));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            backoff.idle(deadline - now);
        }
    }

    /// The record `advance` just passed; it always comes from the mapped segment.
    fn view(&self, frame: &FrameRef) -> Option<Record<'_>> {
        self.segment.as_ref().map(|segment| segment.record(frame))
    }

    /// Moves past the next record if there is one, following segment rolls.
    fn advance(&mut self) -> Result<Option<FrameRef>, JournalError> {
        loop {
            let Some(segment) = &self.segment else {
                // An empty journal: wait for its first segment to be named.
                match self.open_segment(self.expect.seq)? {
                    Some(first) => self.enter(first),
                    None => return Ok(None),
                }
                continue;
            };
            match segment.frame_at(self.offset, self.expect) {
                Slot::Vacant => return Ok(None),
                Slot::Record(frame) => {
                    self.offset = frame.next_offset();
                    self.expect = Expect {
                        seq: frame.seq + 1,
                        exact: true,
                        min_ts: frame.timestamp_ns,
                    };
                    return Ok(Some(frame));
                }
                Slot::End { next_seq } => match self.open_segment(next_seq)? {
                    Some(next) => self.enter(next),
                    None => {
                        return Err(JournalError::Gap {
                            after: Some(segment.path().to_path_buf()),
                            next_seq,
                            found: None,
                        });
                    }
                },
                Slot::Defect(defect) => {
                    return Err(JournalError::Corrupt {
                        segment: segment.path().to_path_buf(),
                        offset: self.offset as u64,
                        defect,
                    });
                }
            }
        }
    }

    fn enter(&mut self, segment: Segment) {
        self.segment = Some(segment);
        self.offset = SegmentHeaderDescriptor::HEADER_LEN;
    }

    /// Opens the segment starting at `first_seq`, or `None` if it does not exist (yet).
    fn open_segment(&self, first_seq: Seq) -> Result<Option<Segment>, JournalError> {
        Segment::open_named(&self.dir, first_seq, &self.meta)
    }
}

/// Bounded idle strategy for [`Tailer::next_timeout`]: spin, then yield, then sleep with
/// doubling naps capped at 1 ms.
#[derive(Default)]
struct Backoff {
    rounds: u32,
}

impl Backoff {
    const SPINS: u32 = 64;
    const YIELDS: u32 = 128;
    const MAX_NAP: Duration = Duration::from_millis(1);

    fn idle(&mut self, remaining: Duration) {
        self.rounds = self.rounds.saturating_add(1);
        if self.rounds <= Self::SPINS {
            std::hint::spin_loop();
        } else if self.rounds <= Self::YIELDS {
            std::thread::yield_now();
        } else {
            let doublings = (self.rounds - Self::YIELDS).min(7);
            let nap = Duration::from_micros(8 << doublings)
                .min(Self::MAX_NAP)
                .min(remaining);
            std::thread::sleep(nap);
        }
    }
}
