//! Appending to a journal.

use std::fs::File;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::Seq;
use crate::dir;
use crate::error::JournalError;
use crate::frame::{FrameDescriptor, align_frame};
use crate::meta::{Meta, Schema};
use crate::reader::open_segments;
use crate::recovery::{self, RecoveryReport};
use crate::segment::{
    FrameFields, SegmentHeader, SegmentHeaderDescriptor, WritableSegment, check_segment_size,
    max_payload,
};
use crate::service::SegmentService;

const FRAME_HEADER_LEN: usize = FrameDescriptor::HEADER_LEN;
const SEGMENT_HEADER_LEN: usize = SegmentHeaderDescriptor::HEADER_LEN;

/// How hard the writer works to make records survive failures.
///
/// Whatever the mode, a record is visible to readers as soon as `append` returns, and survives
/// the writing process being killed: it is in the kernel's page cache (or in tmpfs memory),
/// which outlives the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// No flushing: survives a crash of the process, not of the machine. No system call on the
    /// append path. On tmpfs (`/dev/shm`) nothing survives a reboot anyway.
    PageCache,
    /// Start writeback (`msync(MS_ASYNC)`) of the bytes appended since the last flush once
    /// `every_bytes` have accumulated or `max_delay` has passed since the last flush (checked
    /// at each append; an idle writer does not flush, call [`Writer::sync`]). Bounds how much
    /// data waits for the kernel's own writeback, without waiting for the disk: a power loss
    /// can still lose the records of roughly the last interval.
    AsyncFlush {
        /// Flush once this many bytes have been appended since the last flush.
        every_bytes: u64,
        /// Flush once this much time has passed since the last flush.
        max_delay: Duration,
    },
    /// Wait for the disk (`msync(MS_SYNC)`) after every `every_records` records, and at every
    /// segment roll (new segment's first record, directory entry, end of the old segment). A
    /// record whose append completed a sync survives power loss, and so do all before it.
    Sync {
        /// Sync after this many records.
        every_records: NonZeroU32,
    },
}

/// Options of [`Writer::open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterOptions {
    /// Size of every segment file in bytes: a multiple of 4096 from 4 KiB to 1 TiB. Fixed when
    /// the journal is created; reopening it with another size is an error.
    pub segment_size: u64,
    /// Flushing policy.
    pub durability: Durability,
}

impl WriterOptions {
    /// 64 MiB segments.
    pub const DEFAULT_SEGMENT_SIZE: u64 = 64 << 20;
}

impl Default for WriterOptions {
    /// 64 MiB segments, [`Durability::PageCache`].
    fn default() -> Self {
        WriterOptions {
            segment_size: Self::DEFAULT_SEGMENT_SIZE,
            durability: Durability::PageCache,
        }
    }
}

/// The one writer of a journal.
///
/// Appends records with consecutive sequence numbers starting at 0, each with a caller-supplied
/// timestamp (event time; the writer never reads the wall clock into a record, so the same
/// records give bit-identical files), which must not decrease. A record is visible to readers
/// and tailers, in this and other processes, as soon as `append` (or
/// [`Reservation::commit`]) returns.
///
/// Segments roll when the next record does not fit; a record never spans segments. A background
/// thread keeps one spare segment ready, prepared as soon as the previous spare is taken: the
/// file is written full of zeros (so every page is allocated) and mapped with every page
/// populated, so a roll costs a rename and a few stores, and appending never takes a page
/// fault. Finished segments are unmapped on that thread too. A writer therefore holds up to two
/// segments of memory (or page cache). On a disk-backed journal the zero-filling makes the
/// kernel write each segment's zeros once before its records; on tmpfs (the default location)
/// nothing is written back. In [`Durability::PageCache`] mode the append path makes no system
/// call and no allocation.
///
/// Opening takes the journal's lock (a second writer gets [`JournalError::AlreadyLocked`]) and
/// recovers from a writer that died mid-record or mid-roll; see [`Writer::recovery_report`].
///
/// ```
/// use recal_journal::{Reader, Schema, Writer, WriterOptions};
///
/// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
/// #[repr(C)]
/// struct Tick { instrument: u32, _pad: u32, price: i64 }
///
/// let dir = tempfile::tempdir()?;
/// let schema = Schema::new(1, "example.ticks", 1);
/// let mut writer = Writer::open(dir.path(), &schema, WriterOptions::default())?;
/// assert_eq!(writer.append(1, 1_000, b"raw bytes")?, 0);
/// assert_eq!(writer.append_pod(2, 2_000, &Tick { instrument: 7, _pad: 0, price: 101 })?, 1);
/// let mut slot = writer.reserve(1, 3_000, 4)?; // zero-copy: fill the mapped bytes in place
/// slot.payload_mut().copy_from_slice(b"abcd");
/// assert_eq!(slot.commit()?, 2);
///
/// let reader = Reader::open(dir.path())?.expect_schema(&schema)?;
/// let records: Vec<_> = reader.iter().collect::<Result<_, _>>()?;
/// assert_eq!(records[1].payload_as::<Tick>()?.price, 101);
/// assert_eq!(records[2].payload, b"abcd");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Writer {
    dir: PathBuf,
    meta: Meta,
    durability: Durability,
    max_payload: usize,
    /// The segment being appended to; `None` until the journal's first record.
    active: Option<WritableSegment>,
    /// A prepared segment collected from the service, not yet named. Invariant: while this is
    /// `None`, one spare has been asked of the service and not yet collected.
    spare: Option<WritableSegment>,
    /// Offset of the stop marker in `active`, where the next frame goes.
    offset: usize,
    next_seq: Seq,
    last_ts: u64,
    /// Bytes of `active` before this offset have been flushed (durable modes).
    flushed_to: usize,
    /// Records appended since the last sync ([`Durability::Sync`]).
    unsynced_records: u32,
    /// When the last flush happened ([`Durability::AsyncFlush`]).
    last_flush: Instant,
    report: RecoveryReport,
    service: SegmentService,
    /// Held, not used: the lock lasts as long as this file is open. Declared last so that it is
    /// released only after the service thread has stopped.
    _lock: File,
}

impl Writer {
    /// Opens the journal in `dir` for appending, creating the directory and the journal if
    /// needed, and recovering from a crashed writer.
    ///
    /// # Errors
    /// [`JournalError::AlreadyLocked`] if another writer has it open;
    /// [`JournalError::InvalidConfig`] for a bad segment size or schema name;
    /// [`JournalError::SchemaMismatch`] or [`JournalError::SegmentSizeMismatch`] if the
    /// journal exists with other settings; [`JournalError::Corrupt`] if its last segment is
    /// damaged in a way recovery must not repair (valid records after the damage); anything
    /// [`crate::Reader::open`] reports.
    pub fn open(
        dir: impl AsRef<Path>,
        schema: &Schema,
        options: WriterOptions,
    ) -> Result<Writer, JournalError> {
        let dir = dir.as_ref();
        schema.validate()?;
        check_segment_size(options.segment_size)
            .map_err(|reason| JournalError::InvalidConfig { reason })?;
        if let Durability::AsyncFlush { every_bytes: 0, .. } = options.durability {
            return Err(JournalError::InvalidConfig {
                reason: "AsyncFlush::every_bytes must be positive".to_string(),
            });
        }
        std::fs::create_dir_all(dir).map_err(|e| JournalError::io(dir, e))?;
        let lock = dir::lock(dir)?;
        let removed_prepared = dir::remove_prepared(dir)?;
        let meta = match Meta::read(dir) {
            Ok(meta) => {
                meta.expect_schema(schema)?;
                if meta.segment_size != options.segment_size {
                    return Err(JournalError::SegmentSizeMismatch {
                        journal: meta.segment_size,
                        requested: options.segment_size,
                    });
                }
                meta
            }
            Err(JournalError::NotAJournal { .. }) if dir::list_segments(dir)?.is_empty() => {
                let meta = Meta {
                    schema: schema.clone(),
                    segment_size: options.segment_size,
                };
                meta.write(dir)?;
                meta
            }
            Err(e) => return Err(e),
        };
        let segments = open_segments(dir, &meta)?;
        let resume = recovery::recover(&meta, &segments, removed_prepared)?;
        drop(segments);
        let service = SegmentService::start(dir, meta.segment_size)?;
        let (active, offset) = match resume.active {
            Some((segment, offset)) => (Some(segment), offset),
            None => (None, SEGMENT_HEADER_LEN),
        };
        service.request();
        Ok(Writer {
            dir: dir.to_path_buf(),
            max_payload: max_payload(meta.segment_size),
            durability: options.durability,
            meta,
            active,
            spare: None,
            offset,
            next_seq: resume.next_seq,
            last_ts: resume.last_ts,
            flushed_to: offset,
            unsynced_records: 0,
            last_flush: Instant::now(),
            report: resume.report,
            service,
            _lock: lock,
        })
    }

    /// Appends a record and returns its sequence number.
    ///
    /// # Errors
    /// [`JournalError::RecordTooLarge`] if the payload does not fit in a segment;
    /// [`JournalError::TimestampRegression`] if `timestamp_ns` is earlier than the previous
    /// record's; [`JournalError::Io`] if rolling to a new segment fails (nothing is appended
    /// then) or if a flush the durability mode asks for fails (the record is appended then,
    /// its durability unconfirmed).
    #[inline]
    pub fn append(
        &mut self,
        record_type: u32,
        timestamp_ns: u64,
        payload: &[u8],
    ) -> Result<Seq, JournalError> {
        let mut reservation = self.reserve(record_type, timestamp_ns, payload.len())?;
        reservation.payload_mut().copy_from_slice(payload);
        reservation.commit()
    }

    /// Appends a plain-old-data value as the payload, byte for byte.
    ///
    /// # Errors
    /// As [`Writer::append`].
    pub fn append_pod<T: bytemuck::Pod>(
        &mut self,
        record_type: u32,
        timestamp_ns: u64,
        value: &T,
    ) -> Result<Seq, JournalError> {
        self.append(record_type, timestamp_ns, bytemuck::bytes_of(value))
    }

    /// Reserves room for a record of `len` payload bytes, to be filled in place (zero-copy)
    /// and published with [`Reservation::commit`]. Dropping the reservation abandons it.
    ///
    /// # Errors
    /// [`JournalError::RecordTooLarge`], [`JournalError::TimestampRegression`], or
    /// [`JournalError::Io`] if the next segment cannot be prepared.
    #[inline]
    pub fn reserve(
        &mut self,
        record_type: u32,
        timestamp_ns: u64,
        len: usize,
    ) -> Result<Reservation<'_>, JournalError> {
        if len > self.max_payload {
            return Err(JournalError::RecordTooLarge {
                len,
                max: self.max_payload,
            });
        }
        if timestamp_ns < self.last_ts {
            return Err(JournalError::TimestampRegression {
                previous: self.last_ts,
                supplied: timestamp_ns,
            });
        }
        let frame_len = align_frame(FRAME_HEADER_LEN + len);
        let fits = matches!(&self.active, Some(a) if self.offset + frame_len + FRAME_HEADER_LEN <= a.len());
        let (offset, rolls) = if fits {
            (self.offset, false)
        } else {
            self.collect_spare()?;
            (SEGMENT_HEADER_LEN, true)
        };
        Ok(Reservation {
            writer: self,
            offset,
            len,
            rolls,
            record_type,
            timestamp_ns,
            committed: false,
        })
    }

    /// Flushes everything appended so far to storage and waits for it (`msync(MS_SYNC)`),
    /// whatever the durability mode.
    ///
    /// # Errors
    /// [`JournalError::Io`] if the flush fails.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        self.flush_active(true)
    }

    /// Sequence number the next record gets.
    pub fn next_seq(&self) -> Seq {
        self.next_seq
    }

    /// Largest payload a record of this journal can have.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// The journal directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The journal's metadata.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// What opening found and repaired.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.report
    }

    /// Makes sure the spare is at hand, waiting for the service if it is not ready yet.
    #[cold]
    fn collect_spare(&mut self) -> Result<(), JournalError> {
        if self.spare.is_none() {
            match self.service.take() {
                Ok(spare) => self.spare = Some(spare),
                Err(e) => {
                    // Keep one request outstanding: the next roll tries again.
                    self.service.request();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// The segment a reservation writes into.
    fn target(&mut self, rolls: bool) -> &mut WritableSegment {
        let segment = if rolls {
            self.spare.as_mut()
        } else {
            self.active.as_mut()
        };
        segment.expect("a reservation's segment outlives the reservation")
    }

    /// Publishes a reserved record whose payload is in place.
    #[inline]
    fn publish(
        &mut self,
        offset: usize,
        frame: FrameFields,
        payload_len: usize,
        rolls: bool,
    ) -> Result<(), JournalError> {
        if rolls {
            return self.roll(frame, payload_len);
        }
        let length = self.target(false).publish(offset, frame, payload_len);
        self.offset = offset + align_frame(length as usize);
        self.next_seq = frame.seq + 1;
        self.last_ts = frame.timestamp_ns;
        match self.durability {
            Durability::PageCache => Ok(()),
            Durability::AsyncFlush {
                every_bytes,
                max_delay,
            } => {
                let pending = (self.offset - self.flushed_to) as u64;
                if pending >= every_bytes || self.last_flush.elapsed() >= max_delay {
                    self.flush_active(false)?;
                }
                Ok(())
            }
            Durability::Sync { every_records } => {
                self.unsynced_records += 1;
                if self.unsynced_records >= every_records.get() {
                    self.flush_active(true)?;
                }
                Ok(())
            }
        }
    }

    /// Makes the spare, which holds the new record's payload, the active segment: header and
    /// record first, then its final name, then the end-of-segment frame of the old segment.
    /// Readers move on at that frame, so by then the new segment is complete and named.
    ///
    /// An error before the rename leaves the journal as it was (the record is not appended).
    /// Once the new segment has its name the record is in the journal: the switch is completed
    /// whatever happens, and a failed flush is reported afterwards.
    #[cold]
    fn roll(&mut self, frame: FrameFields, payload_len: usize) -> Result<(), JournalError> {
        let mut next = self
            .spare
            .take()
            .expect("a rolling reservation collects a spare first");
        self.service.request();
        let durable = matches!(self.durability, Durability::Sync { .. });
        next.write_header(SegmentHeader {
            schema_id: self.meta.schema.id,
            first_seq: frame.seq,
            created_ns: frame.timestamp_ns,
            segment_size: self.meta.segment_size,
        });
        let length = next.publish(SEGMENT_HEADER_LEN, frame, payload_len);
        let end = SEGMENT_HEADER_LEN + align_frame(length as usize);
        if durable {
            next.flush(0, end, true)?;
        }
        // On failure `next`, still under its temporary name, is deleted when dropped.
        next.rename(&dir::segment_path(&self.dir, frame.seq))?;

        let mut flushed = if durable {
            dir::sync_dir(&self.dir)
        } else {
            Ok(())
        };
        if let Some(mut old) = self.active.take() {
            old.finish(self.offset, frame.seq, self.last_ts);
            let unflushed = self.offset + FRAME_HEADER_LEN - self.flushed_to;
            let old_flushed = match self.durability {
                Durability::PageCache => Ok(()),
                Durability::AsyncFlush { .. } => old.flush(self.flushed_to, unflushed, false),
                Durability::Sync { .. } => old
                    .flush(self.flushed_to, unflushed, true)
                    .and_then(|()| old.flush(0, SEGMENT_HEADER_LEN, true)),
            };
            flushed = flushed.and(old_flushed);
            self.service.retire(old);
        }
        self.active = Some(next);
        self.offset = end;
        self.next_seq = frame.seq + 1;
        self.last_ts = frame.timestamp_ns;
        self.flushed_to = if durable { end } else { SEGMENT_HEADER_LEN };
        self.unsynced_records = 0;
        flushed
    }

    fn flush_active(&mut self, wait: bool) -> Result<(), JournalError> {
        if let Some(active) = &self.active {
            active.flush(self.flushed_to, self.offset - self.flushed_to, wait)?;
        }
        self.flushed_to = self.offset;
        self.unsynced_records = 0;
        self.last_flush = Instant::now();
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = match self.durability {
            Durability::PageCache => Ok(()),
            Durability::AsyncFlush { .. } => self.flush_active(false),
            Durability::Sync { .. } => self.flush_active(true),
        };
    }
}

/// Room for one record in the journal, filled in place; see [`Writer::reserve`].
///
/// The bytes are in the mapped segment but unpublished: readers do not see them until
/// [`Reservation::commit`]. Dropping the reservation without committing zeroes them again, so
/// nothing of it ever reaches a reader.
pub struct Reservation<'w> {
    writer: &'w mut Writer,
    /// Offset of the frame in its segment.
    offset: usize,
    /// Payload length.
    len: usize,
    /// The record starts a new segment (the writer's spare).
    rolls: bool,
    record_type: u32,
    timestamp_ns: u64,
    committed: bool,
}

impl Reservation<'_> {
    /// The payload bytes to fill (zero when handed out).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let segment = self.writer.target(self.rolls);
        // SAFETY: the range is past the last published frame, so no reader reads it, and the
        // writer, which this reservation borrows mutably, is its only writer; the returned
        // borrow ties up the reservation, so no second one can exist.
        unsafe { segment.bytes_mut(self.offset + FRAME_HEADER_LEN, self.len) }
    }

    /// Sequence number the record gets when committed.
    pub fn seq(&self) -> Seq {
        self.writer.next_seq
    }

    /// Publishes the record and returns its sequence number.
    ///
    /// # Errors
    /// As [`Writer::append`].
    #[inline]
    pub fn commit(mut self) -> Result<Seq, JournalError> {
        self.committed = true;
        let seq = self.writer.next_seq;
        let frame = FrameFields {
            kind: FrameDescriptor::KIND_RECORD,
            record_type: self.record_type,
            seq,
            timestamp_ns: self.timestamp_ns,
        };
        self.writer
            .publish(self.offset, frame, self.len, self.rolls)?;
        Ok(seq)
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let frame_len = align_frame(FRAME_HEADER_LEN + self.len);
            self.writer.target(self.rolls).zero(self.offset, frame_len);
        }
    }
}
