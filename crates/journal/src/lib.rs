//! recal's memory: append-only, segmented, memory-mapped journals.
//!
//! Every stage boundary of the engine can be journaled; the input journal is what replays run
//! on, so a journal must never lose a committed record and never return one that was not
//! written. This crate provides:
//!
//! - [`Writer`]: the one writer of a journal (enforced by a lock file): `append`, zero-copy
//!   [`Writer::reserve`], typed [`Writer::append_pod`], segment rolling with the next segment
//!   prepared off the append path, three [`Durability`] modes, and crash recovery on open
//!   ([`RecoveryReport`]).
//! - [`Reader`]: reads from the start, from a sequence number or from a timestamp (binary
//!   search over segment headers and a sparse per-segment index), returning borrowed
//!   [`Record`] views; strict or [salvage](Records::salvage).
//! - [`Tailer`]: follows a journal live while another thread or process writes it.
//!
//! # On disk
//! A journal is a directory (see [`default_dir`]) holding `journal.meta` (the record
//! [`Schema`] and segment size, see [`Meta`]), `journal.lock`, and fixed-size segment files
//! named after their first sequence number (`00000000000000000000.seg`, ...). A segment is a
//! 64-byte header ([`SegmentHeaderDescriptor`]) followed by 8-byte-aligned frames
//! ([`FrameDescriptor`]): length, CRC32C, sequence, timestamp, record type, kind, payload.
//! Files are zero-filled at creation, so the slot after the last frame reads as length zero:
//! the stop marker.
//!
//! # Publication and safety
//! The writer writes a frame's body, then stores its length word with `Release`; readers load
//! length words with `Acquire` and validate every frame (bounds, sequence, timestamp order,
//! CRC32C) before returning it. A record is therefore never seen torn, in this process or
//! another. Mapped bytes are accessed through raw pointers ([`memmap2::MmapRaw`]), never as a
//! slice over bytes that may change; the argument is spelled out in the `segment` module and at
//! each `unsafe` block.
//!
//! # Determinism
//! Timestamps are supplied by the caller (event time), including the segment header's creation
//! time, which is the segment's first record's timestamp. The same records appended with the
//! same options give byte-identical journal files.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod dir;
mod error;
mod frame;
mod index;
mod meta;
mod reader;
mod recovery;
mod segment;
mod service;
mod tailer;
mod writer;

pub use dir::default_dir;
pub use error::{FrameDefect, JournalError};
pub use frame::{FrameDescriptor, encode_header, frame_checksum};
pub use meta::{META_FORMAT_VERSION, Meta, Schema};
pub use reader::{Reader, Records, Salvage, Salvaged, Skipped, VerifySummary};
pub use recovery::{RecoveryReport, TornTail};
pub use segment::{SegmentHeaderDescriptor, SegmentInfo};
pub use tailer::{StartAt, Tailer};
pub use writer::{Durability, Reservation, Writer, WriterOptions};

/// A record's sequence number: its position in the journal, from 0, without gaps.
pub type Seq = u64;

/// A record read from a journal: a view into the mapped segment file (zero-copy), valid as long
/// as the reader or tailer that returned it is borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Sequence number.
    pub seq: Seq,
    /// Event time in nanoseconds, as supplied to the writer.
    pub timestamp_ns: u64,
    /// The caller's record type.
    pub record_type: u32,
    /// The payload bytes.
    pub payload: &'a [u8],
}

impl<'a> Record<'a> {
    /// The payload as a plain-old-data value, without copying. Payloads start 8-byte aligned,
    /// so any `T` with alignment up to 8 whose size equals the payload length works.
    ///
    /// # Errors
    /// [`JournalError::PayloadType`] if the payload's length or alignment does not fit `T`.
    pub fn payload_as<T: bytemuck::Pod>(&self) -> Result<&'a T, JournalError> {
        bytemuck::try_from_bytes(self.payload).map_err(|_| JournalError::PayloadType {
            len: self.payload.len(),
            type_name: std::any::type_name::<T>(),
            size: size_of::<T>(),
            align: align_of::<T>(),
        })
    }
}
