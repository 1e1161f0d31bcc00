//! Segment files: the header layout, the memory mapping, and frame validation.
//!
//! # Why the mapped bytes are accessed through raw pointers
//! `memmap2::Mmap::map` is `unsafe` because it hands out a `&[u8]` over the whole file, which is
//! undefined behaviour if anything modifies the file while that borrow lives, and a journal
//! segment is modified by its writer while readers read it. A segment is therefore mapped with
//! [`memmap2::MmapRaw`], whose mapping call is safe because it hands out only raw pointers; the
//! obligation moves to each access. This module forms references only to bytes that cannot
//! change while the reference lives, and reads the one word that does change concurrently, a
//! frame's length, with an atomic load. The protocol that makes this hold:
//!
//! - One writer per journal, enforced by the directory lock; only the writer modifies segment
//!   files, and only through its own mapping.
//! - The writer writes a frame's bytes beyond the published end first and publishes the frame by
//!   storing its length word last with `Release`. Published bytes are never written again.
//! - A reader loads a length word with `Acquire`; a nonzero length makes the frame's bytes
//!   visible, so the reader may then borrow them. Everything read is validated (bounds, fields,
//!   CRC32C) before it is believed: the bytes are untrusted input, and `u8` has no invalid
//!   values, so a corrupt or concurrently modified byte yields a rejected frame, never undefined
//!   behaviour in our code.
//! - Segment files have a fixed size from creation and are never truncated by the journal
//!   (truncating a mapped file would raise `SIGBUS`; that is outside the journal's control).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use memmap2::{MmapOptions, MmapRaw};

use crate::error::{FrameDefect, JournalError};
use crate::frame::{FrameDescriptor, FrameHeader, align_frame, frame_checksum};
use crate::meta::Meta;
use crate::{Record, Seq};

/// Field offsets of the 64-byte header at the start of every segment file. Integers are
/// little-endian.
///
/// ```text
///  0                               8                 12                16
///  +-------------------------------+-----------------+-----------------+
///  | magic "RECALJNL"              | version (u32)   | reserved (u32)  |
///  +-------------------------------+-----------------+-----------------+
///  | schema_id (u64)               | first_seq (u64)                   |
///  +-------------------------------+-----------------------------------+
/// 16                               24                                 32
///  | created_ns (u64)              | segment_size (u64)                |
///  +-------------------------------+-----------------------------------+
/// 32                               40                                 48
///  | crc32c of bytes 0..48 | rsvd  | next_seq (u64): 0 until finished  |
///  +-----------------------+-------+-----------------------------------+
/// 48                      52       56                                 64
///  | first frame ...
/// ```
///
/// - `created_ns`: the segment's creation time on the journal's event clock, which is the
///   timestamp of its first record. It is supplied by the caller, never read from the wall
///   clock, so the same records give bit-identical files. Seeking by timestamp binary-searches
///   these.
/// - `next_seq`: written once, with a `Release` store, when the writer moves on to the next
///   segment (just before it publishes the end-of-segment frame): the first sequence number of
///   the next segment. It lets a reader find a missing segment from the headers alone. It is not
///   covered by the header checksum; it is cross-checked against the next segment's name and
///   against the end-of-segment frame.
#[derive(Debug, Clone, Copy)]
pub struct SegmentHeaderDescriptor;

impl SegmentHeaderDescriptor {
    /// The magic every segment starts with.
    pub const MAGIC: [u8; 8] = *b"RECALJNL";
    /// The segment format version this build reads and writes.
    pub const FORMAT_VERSION: u32 = 1;
    /// Offset of the magic.
    pub const MAGIC_OFFSET: usize = 0;
    /// Offset of the format version (u32).
    pub const VERSION_OFFSET: usize = 8;
    /// Offset of the schema id (u64).
    pub const SCHEMA_ID_OFFSET: usize = 16;
    /// Offset of the first sequence number (u64).
    pub const FIRST_SEQ_OFFSET: usize = 24;
    /// Offset of the creation time, the first record's timestamp (u64).
    pub const CREATED_OFFSET: usize = 32;
    /// Offset of the segment size (u64).
    pub const SEGMENT_SIZE_OFFSET: usize = 40;
    /// Offset of the header checksum (u32), CRC32C of bytes `0..CHECKSUM_OFFSET`.
    pub const CHECKSUM_OFFSET: usize = 48;
    /// Offset of the next segment's first sequence number (u64), zero until finished.
    pub const NEXT_SEQ_OFFSET: usize = 56;
    /// Length of the header; the first frame starts here.
    pub const HEADER_LEN: usize = 64;
}

type H = SegmentHeaderDescriptor;
const FRAME_HEADER_LEN: usize = FrameDescriptor::HEADER_LEN;

/// Smallest allowed segment size.
pub(crate) const MIN_SEGMENT_SIZE: u64 = 4096;
/// Largest allowed segment size (1 TiB).
pub(crate) const MAX_SEGMENT_SIZE: u64 = 1 << 40;
/// Page granularity of segment sizes.
pub(crate) const PAGE: usize = 4096;

/// Checks a segment size: a multiple of 4096 between 4 KiB and 1 TiB.
pub(crate) fn check_segment_size(size: u64) -> Result<(), String> {
    if !(MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&size) || !size.is_multiple_of(PAGE as u64) {
        return Err(format!(
            "segment size {size} must be a multiple of {PAGE} between {MIN_SEGMENT_SIZE} and {MAX_SEGMENT_SIZE}"
        ));
    }
    usize::try_from(size)
        .map(drop)
        .map_err(|_| format!("segment size {size} exceeds the address space"))
}

/// Largest payload a segment of `segment_size` bytes holds: the segment header, the frame
/// header, and room for the end-of-segment frame come off.
pub(crate) fn max_payload(segment_size: u64) -> usize {
    let room = segment_size as usize - H::HEADER_LEN - FRAME_HEADER_LEN - FRAME_HEADER_LEN;
    room.min(FrameDescriptor::MAX_PAYLOAD_LEN)
}

/// The decoded, immutable part of a segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    pub schema_id: u64,
    pub first_seq: Seq,
    pub created_ns: u64,
    pub segment_size: u64,
}

impl SegmentHeader {
    /// The 64 header bytes, checksum included and `next_seq` zero.
    pub(crate) fn encode(&self) -> [u8; H::HEADER_LEN] {
        let mut b = [0u8; H::HEADER_LEN];
        b[..8].copy_from_slice(&H::MAGIC);
        b[8..12].copy_from_slice(&H::FORMAT_VERSION.to_le_bytes());
        b[16..24].copy_from_slice(&self.schema_id.to_le_bytes());
        b[24..32].copy_from_slice(&self.first_seq.to_le_bytes());
        b[32..40].copy_from_slice(&self.created_ns.to_le_bytes());
        b[40..48].copy_from_slice(&self.segment_size.to_le_bytes());
        let crc = crc32c::crc32c(&b[..H::CHECKSUM_OFFSET]);
        b[48..52].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decodes and checks the immutable header bytes (`0..NEXT_SEQ_OFFSET`).
    fn decode(b: &[u8], path: &Path) -> Result<Self, JournalError> {
        let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u64_at = |o: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[o..o + 8]);
            u64::from_le_bytes(w)
        };
        let mut magic = [0u8; 8];
        magic.copy_from_slice(&b[..8]);
        if magic != H::MAGIC {
            return Err(JournalError::BadMagic {
                segment: path.to_path_buf(),
                found: magic,
            });
        }
        let version = u32_at(H::VERSION_OFFSET);
        if version != H::FORMAT_VERSION {
            return Err(JournalError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: version,
                supported: H::FORMAT_VERSION,
            });
        }
        let bad = |reason: String| JournalError::BadSegmentHeader {
            segment: path.to_path_buf(),
            reason,
        };
        let stored = u32_at(H::CHECKSUM_OFFSET);
        let computed = crc32c::crc32c(&b[..H::CHECKSUM_OFFSET]);
        if stored != computed {
            return Err(bad(format!(
                "checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            )));
        }
        if u32_at(12) != 0 || u32_at(52) != 0 {
            return Err(bad("reserved fields are not zero".to_string()));
        }
        Ok(SegmentHeader {
            schema_id: u64_at(H::SCHEMA_ID_OFFSET),
            first_seq: u64_at(H::FIRST_SEQ_OFFSET),
            created_ns: u64_at(H::CREATED_OFFSET),
            segment_size: u64_at(H::SEGMENT_SIZE_OFFSET),
        })
    }
}

/// What a reader expects of the next frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expect {
    /// The sequence number that must come next.
    pub seq: Seq,
    /// Whether the frame must carry exactly `seq` (normal reading) or may carry any later one
    /// (salvage, after skipping damaged bytes).
    pub exact: bool,
    /// The timestamp of the previous record: frames may not go back in time.
    pub min_ts: u64,
}

/// The header fields of a frame the writer publishes (length and checksum are derived).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameFields {
    pub kind: u16,
    pub record_type: u32,
    pub seq: Seq,
    pub timestamp_ns: u64,
}

/// A validated frame, located by offset; turned into a [`Record`] by [`Segment::record`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameRef {
    pub offset: usize,
    pub length: u32,
    pub record_type: u32,
    pub seq: Seq,
    pub timestamp_ns: u64,
}

impl FrameRef {
    /// Offset of the slot after this frame.
    pub(crate) fn next_offset(&self) -> usize {
        self.offset + align_frame(self.length as usize)
    }
}

/// What a frame slot holds.
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    /// The stop marker: nothing published here yet.
    Vacant,
    /// A valid record.
    Record(FrameRef),
    /// A valid end-of-segment frame: the journal continues in the segment starting at
    /// `next_seq`.
    End { next_seq: Seq },
    /// Something that is not a valid frame.
    Defect(FrameDefect),
}

/// Public description of a segment file, as listed by [`crate::Reader::segments`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The segment file.
    pub path: PathBuf,
    /// Sequence number of its first record.
    pub first_seq: Seq,
    /// Its creation time: the timestamp of its first record.
    pub created_ns: u64,
    /// Its size in bytes.
    pub size: u64,
    /// First sequence number of the next segment once this one is finished; `None` while the
    /// writer may still append to it.
    pub next_seq: Option<Seq>,
}

/// A mapped, validated segment, readable by any thread.
pub(crate) struct Segment {
    path: PathBuf,
    header: SegmentHeader,
    map: MmapRaw,
}

impl Segment {
    /// Opens and validates the segment at `path`, which must start at `first_seq` and belong to
    /// the journal described by `meta`. Maps it read-only, or read-write for the writer.
    pub(crate) fn open(
        path: &Path,
        first_seq: Seq,
        meta: &Meta,
        writable: bool,
    ) -> Result<Self, JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(path)
            .map_err(|e| JournalError::io(path, e))?;
        let len = file
            .metadata()
            .map_err(|e| JournalError::io(path, e))?
            .len();
        let truncated = |len: u64, expected: u64| JournalError::TruncatedSegment {
            segment: path.to_path_buf(),
            len,
            expected,
        };
        if len < H::HEADER_LEN as u64 {
            return Err(truncated(len, meta.segment_size));
        }
        let map = map(&file, writable).map_err(|e| JournalError::io(path, e))?;
        let segment = Segment {
            path: path.to_path_buf(),
            header: SegmentHeader {
                schema_id: 0,
                first_seq,
                created_ns: 0,
                segment_size: len,
            },
            map,
        };
        // SAFETY: the header bytes `0..NEXT_SEQ_OFFSET` are written before the segment gets its
        // final name and never change afterwards (see the module docs); the range lies inside
        // the mapping, whose length is at least `HEADER_LEN`.
        let header_bytes = unsafe { segment.bytes(0, H::NEXT_SEQ_OFFSET) };
        let header = SegmentHeader::decode(header_bytes, path)?;
        if header.segment_size != len {
            return Err(truncated(len, header.segment_size));
        }
        if header.first_seq != first_seq {
            return Err(JournalError::BadSegmentHeader {
                segment: path.to_path_buf(),
                reason: format!(
                    "header says first sequence {}, file name says {first_seq}",
                    header.first_seq
                ),
            });
        }
        if header.schema_id != meta.schema.id {
            return Err(JournalError::SegmentSchemaMismatch {
                segment: path.to_path_buf(),
                expected: meta.schema.id,
                found: header.schema_id,
            });
        }
        if header.segment_size != meta.segment_size {
            return Err(JournalError::BadSegmentHeader {
                segment: path.to_path_buf(),
                reason: format!(
                    "segment size {} differs from the journal's {}",
                    header.segment_size, meta.segment_size
                ),
            });
        }
        Ok(Segment { header, ..segment })
    }

    /// Opens, read-only, the segment of the journal in `dir` whose first record is `first_seq`;
    /// `None` if there is no such file (yet).
    pub(crate) fn open_named(
        dir: &Path,
        first_seq: Seq,
        meta: &Meta,
    ) -> Result<Option<Self>, JournalError> {
        match Segment::open(
            &crate::dir::segment_path(dir, first_seq),
            first_seq,
            meta,
            false,
        ) {
            Ok(segment) => Ok(Some(segment)),
            Err(JournalError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The segment file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Sequence number of the first record.
    pub(crate) fn first_seq(&self) -> Seq {
        self.header.first_seq
    }

    /// Timestamp of the first record.
    pub(crate) fn created_ns(&self) -> u64 {
        self.header.created_ns
    }

    /// Length of the mapping (the segment size).
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// The next segment's first sequence number, once the writer has finished this one.
    pub(crate) fn next_seq(&self) -> Option<Seq> {
        Some(self.load_u64(H::NEXT_SEQ_OFFSET)).filter(|&s| s != 0)
    }

    /// Public description.
    pub(crate) fn info(&self) -> SegmentInfo {
        SegmentInfo {
            path: self.path.clone(),
            first_seq: self.header.first_seq,
            created_ns: self.header.created_ns,
            size: self.header.segment_size,
            next_seq: self.next_seq(),
        }
    }

    /// A `Record` view of a frame this segment validated.
    pub(crate) fn record(&self, frame: &FrameRef) -> Record<'_> {
        let payload_len = frame.length as usize - FRAME_HEADER_LEN;
        // SAFETY: `frame` came from `frame_at` on this segment, which bounds-checked it and saw
        // its length word nonzero with an `Acquire` load: the frame is published, so its bytes
        // never change again.
        let payload = unsafe { self.bytes(frame.offset + FRAME_HEADER_LEN, payload_len) };
        Record {
            seq: frame.seq,
            timestamp_ns: frame.timestamp_ns,
            record_type: frame.record_type,
            payload,
        }
    }

    /// Validates the frame slot at `offset` (a frame boundary at or after the segment header).
    pub(crate) fn frame_at(&self, offset: usize, expect: Expect) -> Slot {
        debug_assert!(offset.is_multiple_of(FrameDescriptor::ALIGNMENT) && offset >= H::HEADER_LEN);
        let room = self.len().saturating_sub(offset);
        if room < FRAME_HEADER_LEN {
            return Slot::Defect(FrameDefect::BadLength { length: 0 });
        }
        let length = self.load_u32(offset);
        if length == 0 {
            return Slot::Vacant;
        }
        let len = length as usize;
        if len < FRAME_HEADER_LEN || align_frame(len) > room {
            return Slot::Defect(FrameDefect::BadLength { length });
        }
        // SAFETY: the range is inside the mapping (checked above) and its length word was
        // loaded nonzero with `Acquire`, so for a genuine frame the bytes are published and
        // immutable. If the length word is corrupt the range may reach bytes the writer is still
        // writing through its own mapping; they are plain `u8`s that are only checksummed and
        // then rejected, never trusted.
        let frame = unsafe { self.bytes(offset, len) };
        let Some(header_bytes) = frame.first_chunk::<FRAME_HEADER_LEN>() else {
            return Slot::Defect(FrameDefect::BadLength { length });
        };
        let header = FrameHeader::decode(header_bytes);
        let is_end = match header.kind {
            FrameDescriptor::KIND_RECORD => false,
            FrameDescriptor::KIND_END_OF_SEGMENT => true,
            kind => return Slot::Defect(FrameDefect::UnknownKind { kind }),
        };
        if header.reserved != 0 {
            return Slot::Defect(FrameDefect::Reserved {
                value: header.reserved,
            });
        }
        // A record must leave room for the end-of-segment frame; that frame is header-only.
        let misfit = if is_end {
            len != FRAME_HEADER_LEN
        } else {
            align_frame(len) + FRAME_HEADER_LEN > room
        };
        if misfit {
            return Slot::Defect(FrameDefect::BadLength { length });
        }
        let seq_ok = if expect.exact {
            header.seq == expect.seq
        } else {
            header.seq >= expect.seq
        };
        if !seq_ok {
            return Slot::Defect(FrameDefect::UnexpectedSequence {
                expected: expect.seq,
                found: header.seq,
            });
        }
        if header.timestamp_ns < expect.min_ts {
            return Slot::Defect(FrameDefect::TimestampRegression {
                previous: expect.min_ts,
                found: header.timestamp_ns,
            });
        }
        if offset == H::HEADER_LEN {
            if is_end {
                return Slot::Defect(FrameDefect::MissingRecord);
            }
            if header.timestamp_ns != self.header.created_ns {
                return Slot::Defect(FrameDefect::FirstTimestampMismatch {
                    header: self.header.created_ns,
                    found: header.timestamp_ns,
                });
            }
        }
        let computed = frame_checksum(length, &frame[FrameDescriptor::SEQ_OFFSET..]);
        if computed != header.checksum {
            return Slot::Defect(FrameDefect::Checksum {
                stored: header.checksum,
                computed,
            });
        }
        if is_end {
            Slot::End {
                next_seq: header.seq,
            }
        } else {
            Slot::Record(FrameRef {
                offset,
                length,
                record_type: header.record_type,
                seq: header.seq,
                timestamp_ns: header.timestamp_ns,
            })
        }
    }

    /// Salvage: the first frame boundary at or after `from` that holds a valid frame with a
    /// sequence number of at least `expect.seq`, scanning in 8-byte steps; with the sequence
    /// number reading resumes at.
    pub(crate) fn find_frame(&self, from: usize, expect: Expect) -> Option<(usize, Seq)> {
        let relaxed = Expect {
            exact: false,
            ..expect
        };
        let last = self.len().saturating_sub(FRAME_HEADER_LEN);
        (align_frame(from.max(H::HEADER_LEN))..=last)
            .step_by(FrameDescriptor::ALIGNMENT)
            .find_map(|offset| match self.frame_at(offset, relaxed) {
                Slot::Record(frame) => Some((offset, frame.seq)),
                Slot::End { next_seq } => Some((offset, next_seq)),
                Slot::Vacant | Slot::Defect(_) => None,
            })
    }

    /// Loads the u32 at `offset` with `Acquire`.
    fn load_u32(&self, offset: usize) -> u32 {
        assert!(
            offset.is_multiple_of(4) && offset + 4 <= self.len(),
            "u32 load out of bounds"
        );
        // SAFETY: in bounds and 4-byte aligned (mappings are page-aligned; checked above). The
        // word is only ever accessed atomically while another party may write it (the writer's
        // release store); atomic loads from read-only mappings are permitted for lock-free
        // sizes (see `std::sync::atomic`, "Atomic accesses to read-only memory").
        let word = unsafe { AtomicU32::from_ptr(self.map.as_mut_ptr().add(offset).cast::<u32>()) };
        word.load(Ordering::Acquire)
    }

    /// Loads the u64 at `offset` with `Acquire`.
    fn load_u64(&self, offset: usize) -> u64 {
        assert!(
            offset.is_multiple_of(8) && offset + 8 <= self.len(),
            "u64 load out of bounds"
        );
        // SAFETY: as in `load_u32`, with 8-byte alignment.
        let word = unsafe { AtomicU64::from_ptr(self.map.as_mut_ptr().add(offset).cast::<u64>()) };
        word.load(Ordering::Acquire)
    }

    /// Borrows `len` mapped bytes at `offset`.
    ///
    /// # Safety
    /// No one may write the range while the borrow lives: it must be published frame bytes (the
    /// covering length word was seen nonzero with `Acquire`), the immutable header, or bytes
    /// only the calling writer writes. Bounds are checked here.
    unsafe fn bytes(&self, offset: usize, len: usize) -> &[u8] {
        assert!(
            offset.checked_add(len).is_some_and(|end| end <= self.len()),
            "mapped range out of bounds"
        );
        // SAFETY: in bounds of a live mapping whose bytes are all initialized (file-backed,
        // zero-filled at creation); immutability for the borrow's lifetime is the caller's
        // contract.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(offset), len) }
    }
}

/// Maps a whole segment file.
fn map(file: &File, writable: bool) -> std::io::Result<MmapRaw> {
    if writable {
        MmapOptions::new().map_raw(file)
    } else {
        MmapOptions::new().map_raw_read_only(file)
    }
}

/// A segment mapped read-write by the journal's one writer.
///
/// Invariant: everything after the writer's position is zero, except bytes of a reservation in
/// progress, which are zeroed again if it is abandoned.
pub(crate) struct WritableSegment {
    segment: Segment,
    /// Still under its temporary `.prep` name: the file is deleted when this is dropped.
    temporary: bool,
}

impl Drop for WritableSegment {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(self.segment.path());
        }
    }
}

impl std::ops::Deref for WritableSegment {
    type Target = Segment;
    fn deref(&self) -> &Segment {
        &self.segment
    }
}

impl WritableSegment {
    /// Reopens an existing segment for appending.
    pub(crate) fn open(path: &Path, first_seq: Seq, meta: &Meta) -> Result<Self, JournalError> {
        Segment::open(path, first_seq, meta, true).map(|segment| WritableSegment {
            segment,
            temporary: false,
        })
    }

    /// Creates a zero-filled segment file of `size` bytes at `path` (a temporary name) with
    /// every page allocated and mapped, so the writer never takes a page fault on it. Its header
    /// is written later, by [`WritableSegment::write_header`].
    ///
    /// The zeros are written with `write` rather than by touching each page through the mapping:
    /// the kernel then allocates the pages without a fault per page (about 40% faster on tmpfs
    /// here), and `MAP_POPULATE` maps them all in the same call that maps the file.
    pub(crate) fn create(path: &Path, size: u64) -> Result<Self, JournalError> {
        const ZERO_CHUNK: usize = 1 << 20;
        let io = |e| JournalError::io(path, e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io)?;
        let zeros = vec![0u8; ZERO_CHUNK.min(size as usize)];
        let mut left = size as usize;
        while left > 0 {
            let chunk = left.min(zeros.len());
            std::io::Write::write_all(&mut file, &zeros[..chunk]).map_err(io)?;
            left -= chunk;
        }
        let map = MmapOptions::new().populate().map_raw(&file).map_err(io)?;
        let header = SegmentHeader {
            schema_id: 0,
            first_seq: 0,
            created_ns: 0,
            segment_size: size,
        };
        Ok(WritableSegment {
            segment: Segment {
                path: path.to_path_buf(),
                header,
                map,
            },
            temporary: true,
        })
    }

    /// Writes the header of a prepared segment (not yet visible to readers).
    pub(crate) fn write_header(&mut self, header: SegmentHeader) {
        let bytes = header.encode();
        // SAFETY: the segment is still under its temporary name, so no reader maps it, and this
        // writer is its only user (`&mut self`); the range is in bounds (segments are at least
        // 4 KiB).
        unsafe { self.bytes_mut(0, bytes.len()) }.copy_from_slice(&bytes);
        self.segment.header = header;
    }

    /// Gives the prepared segment its final name.
    pub(crate) fn rename(&mut self, to: &Path) -> Result<(), JournalError> {
        std::fs::rename(&self.segment.path, to).map_err(|e| JournalError::io(to, e))?;
        self.segment.path = to.to_path_buf();
        self.temporary = false;
        Ok(())
    }

    /// Borrows unpublished bytes for writing.
    ///
    /// # Safety
    /// The range must lie beyond the last published frame (readers do not read it) and the
    /// caller must be the journal's writer, the only one that writes this mapping.
    pub(crate) unsafe fn bytes_mut(&mut self, offset: usize, len: usize) -> &mut [u8] {
        assert!(
            offset.checked_add(len).is_some_and(|end| end <= self.len()),
            "mapped range out of bounds"
        );
        // SAFETY: in bounds of a live writable mapping; exclusivity is the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.map.as_mut_ptr().add(offset), len) }
    }

    /// Publishes a frame at `offset` whose `payload_len` payload bytes are already in place:
    /// writes the header fields, checksums header and payload in one pass over the mapped bytes,
    /// then stores the length word with `Release`, which makes the whole frame visible to
    /// readers at once. Returns the frame length.
    #[inline]
    pub(crate) fn publish(&mut self, offset: usize, frame: FrameFields, payload_len: usize) -> u32 {
        let length = (FRAME_HEADER_LEN + payload_len) as u32;
        // SAFETY: the frame's slot starts at the stop marker just past the last published frame,
        // so no reader reads these bytes before it sees the length word nonzero, and only this
        // writer writes them. The range leaves out the length word, which is stored atomically
        // below, after this borrow ends.
        let bytes = unsafe { self.bytes_mut(offset + 4, length as usize - 4) };
        let (header, _) = bytes.split_at_mut(FRAME_HEADER_LEN - 4);
        header[4..12].copy_from_slice(&frame.seq.to_le_bytes());
        header[12..20].copy_from_slice(&frame.timestamp_ns.to_le_bytes());
        header[20..24].copy_from_slice(&frame.record_type.to_le_bytes());
        header[24..26].copy_from_slice(&frame.kind.to_le_bytes());
        header[26..28].fill(0);
        let checksum = frame_checksum(length, &bytes[4..]);
        bytes[..4].copy_from_slice(&checksum.to_le_bytes());
        self.store_u32(offset, length);
        length
    }

    /// Marks the segment finished: stores the next segment's first sequence number in the
    /// header, then publishes the end-of-segment frame at `offset`.
    pub(crate) fn finish(&mut self, offset: usize, next_seq: Seq, last_ts: u64) {
        self.store_u64(H::NEXT_SEQ_OFFSET, next_seq);
        let end = FrameFields {
            kind: FrameDescriptor::KIND_END_OF_SEGMENT,
            record_type: 0,
            seq: next_seq,
            timestamp_ns: last_ts,
        };
        self.publish(offset, end, 0);
    }

    /// Zeroes `[offset, offset + len)`, beyond the last published frame: the length word first,
    /// atomically, so a reader never sees a half-erased length.
    pub(crate) fn zero(&mut self, offset: usize, len: usize) {
        self.store_u32(offset, 0);
        // SAFETY: the range lies beyond the last published frame (callers zero torn tails and
        // abandoned reservations); readers stop at the zero length word stored above.
        unsafe { self.bytes_mut(offset + 4, len.saturating_sub(4)) }.fill(0);
    }

    /// Offset one past the last nonzero byte in `[from, len)`, or `from` when all are zero.
    /// Only for a segment no writer is writing (recovery, under the lock).
    pub(crate) fn dirty_end(&self, from: usize) -> usize {
        // SAFETY: the caller holds the journal lock and is not writing; no other party writes
        // the segment, and readers never write.
        let tail = unsafe { self.bytes(from, self.len() - from) };
        from + tail.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)
    }

    /// Flushes `[offset, offset + len)` to storage: `msync(MS_SYNC)` if `wait`, else `MS_ASYNC`.
    pub(crate) fn flush(&self, offset: usize, len: usize, wait: bool) -> Result<(), JournalError> {
        if len == 0 {
            return Ok(());
        }
        let result = if wait {
            self.map.flush_range(offset, len)
        } else {
            self.map.flush_async_range(offset, len)
        };
        result.map_err(|e| JournalError::io(self.path(), e))
    }

    fn store_u32(&self, offset: usize, value: u32) {
        assert!(
            offset.is_multiple_of(4) && offset + 4 <= self.len(),
            "u32 store out of bounds"
        );
        // SAFETY: in bounds and aligned in a writable mapping; readers access this word only
        // atomically, and this writer is its only writer.
        let word = unsafe { AtomicU32::from_ptr(self.map.as_mut_ptr().add(offset).cast::<u32>()) };
        word.store(value, Ordering::Release);
    }

    fn store_u64(&self, offset: usize, value: u64) {
        assert!(
            offset.is_multiple_of(8) && offset + 8 <= self.len(),
            "u64 store out of bounds"
        );
        // SAFETY: as in `store_u32`, with 8-byte alignment.
        let word = unsafe { AtomicU64::from_ptr(self.map.as_mut_ptr().add(offset).cast::<u64>()) };
        word.store(value, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_checksum_catches_flips() {
        let h = SegmentHeader {
            schema_id: 7,
            first_seq: 1000,
            created_ns: 123,
            segment_size: 4096,
        };
        let bytes = h.encode();
        assert_eq!(SegmentHeader::decode(&bytes, Path::new("s")).unwrap(), h);
        for i in 8..H::CHECKSUM_OFFSET + 4 {
            let mut flipped = bytes;
            flipped[i] ^= 0x10;
            assert!(
                SegmentHeader::decode(&flipped, Path::new("s")).is_err(),
                "flip at {i} went unnoticed"
            );
        }
    }

    #[test]
    fn segment_sizes_are_checked() {
        assert!(check_segment_size(4096).is_ok());
        assert!(check_segment_size(64 << 20).is_ok());
        for bad in [0, 4095, 4097, 6000, MAX_SEGMENT_SIZE + 4096] {
            assert!(check_segment_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_largest_payload_leaves_room_for_the_end_frame() {
        let size = 4096u64;
        let max = max_payload(size);
        let frame = align_frame(FRAME_HEADER_LEN + max);
        assert_eq!(H::HEADER_LEN + frame + FRAME_HEADER_LEN, size as usize);
    }
}
