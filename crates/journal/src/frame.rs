//! Record frames: the byte layout, the checksum, and the encoder shared by the writer, the
//! readers, the tests and the benchmarks.

use crate::Seq;
use crate::error::JournalError;

/// Field offsets of a record frame.
///
/// Every frame starts on an 8-byte boundary and carries a 32-byte header followed by its payload;
/// the next frame starts at the frame's length rounded up to a multiple of 8. All integers are
/// little-endian.
///
/// ```text
///  0                   4                   8                                  16
///  +-------------------+-------------------+----------------------------------+
///  | length (u32)      | crc32c (u32)      | sequence (u64)                   |
///  +-------------------+-------------------+----------------------------------+
///  | timestamp_ns (u64)                    | record_type (u32) | kind | rsvd  |
///  +---------------------------------------+-------------------+------+-------+
/// 16                                       24                  28     30      32
///  | payload (length - 32 bytes) ...  | zero padding to the next 8-byte boundary
///  +----------------------------------+------------------------------------------
/// ```
///
/// - `length`: header plus payload, unpadded. Written last, with a release store: a zero length
///   is the stop marker that says "no frame here yet", so readers never see a frame before its
///   bytes are complete.
/// - `crc32c`: CRC32C of the frame's bytes from offset 8 to its end, seeded with the length;
///   see [`frame_checksum`].
/// - `sequence`: the record's sequence number; consecutive across the whole journal. In an
///   end-of-segment frame it is the sequence number the next segment starts with.
/// - `timestamp_ns`: event time supplied by the caller, non-decreasing along the journal.
/// - `kind`: [`FrameDescriptor::KIND_RECORD`] or [`FrameDescriptor::KIND_END_OF_SEGMENT`].
/// - `rsvd`: zero.
#[derive(Debug, Clone, Copy)]
pub struct FrameDescriptor;

impl FrameDescriptor {
    /// Offset of the frame length (u32).
    pub const LENGTH_OFFSET: usize = 0;
    /// Offset of the CRC32C (u32).
    pub const CHECKSUM_OFFSET: usize = 4;
    /// Offset of the sequence number (u64).
    pub const SEQ_OFFSET: usize = 8;
    /// Offset of the timestamp in nanoseconds (u64).
    pub const TIMESTAMP_OFFSET: usize = 16;
    /// Offset of the caller's record type (u32).
    pub const RECORD_TYPE_OFFSET: usize = 24;
    /// Offset of the frame kind (u16).
    pub const KIND_OFFSET: usize = 28;
    /// Offset of the reserved field (u16, zero).
    pub const RESERVED_OFFSET: usize = 30;
    /// Length of the frame header; the payload starts here.
    pub const HEADER_LEN: usize = 32;
    /// Frames start on multiples of this.
    pub const ALIGNMENT: usize = 8;
    /// Kind of a frame that carries a caller's record.
    pub const KIND_RECORD: u16 = 1;
    /// Kind of the header-only frame that closes a segment; its sequence field is the first
    /// sequence number of the next segment, which readers open next.
    pub const KIND_END_OF_SEGMENT: u16 = 2;
    /// Largest payload the frame format can describe (the length field is a u32).
    pub const MAX_PAYLOAD_LEN: usize = u32::MAX as usize - Self::HEADER_LEN - Self::ALIGNMENT;
}

/// Rounds a frame length up to the next frame boundary.
#[inline]
pub(crate) const fn align_frame(len: usize) -> usize {
    (len + FrameDescriptor::ALIGNMENT - 1) & !(FrameDescriptor::ALIGNMENT - 1)
}

/// The CRC32C a frame carries: over `body`, the frame's bytes from offset 8 (the sequence
/// number) to its end, i.e. the header fields after the checksum and then the payload, with the
/// CRC register seeded with the frame `length` so that the length word is covered too.
///
/// The covered bytes are contiguous in a segment, so the writer and the readers checksum a frame
/// in one pass over the mapped bytes.
#[inline]
pub fn frame_checksum(length: u32, body: &[u8]) -> u32 {
    crc32c::crc32c_append(length, body)
}

/// The decoded fields of a frame header, before any validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub length: u32,
    pub checksum: u32,
    pub seq: Seq,
    pub timestamp_ns: u64,
    pub record_type: u32,
    pub kind: u16,
    pub reserved: u16,
}

impl FrameHeader {
    /// Builds the header of a frame around `payload`, checksum included.
    ///
    /// `payload.len()` must not exceed [`FrameDescriptor::MAX_PAYLOAD_LEN`] (callers check it).
    pub(crate) fn new(
        kind: u16,
        record_type: u32,
        seq: Seq,
        timestamp_ns: u64,
        payload: &[u8],
    ) -> Self {
        debug_assert!(payload.len() <= FrameDescriptor::MAX_PAYLOAD_LEN);
        let length = (FrameDescriptor::HEADER_LEN + payload.len()) as u32;
        let mut header = FrameHeader {
            length,
            checksum: 0,
            seq,
            timestamp_ns,
            record_type,
            kind,
            reserved: 0,
        };
        let bytes = header.encode();
        // Streaming: the same value as one pass over the header fields and payload laid out
        // contiguously.
        let crc = frame_checksum(length, &bytes[FrameDescriptor::SEQ_OFFSET..]);
        header.checksum = crc32c::crc32c_append(crc, payload);
        header
    }

    /// The 32 header bytes.
    pub(crate) fn encode(&self) -> [u8; FrameDescriptor::HEADER_LEN] {
        let mut b = [0u8; FrameDescriptor::HEADER_LEN];
        b[0..4].copy_from_slice(&self.length.to_le_bytes());
        b[4..8].copy_from_slice(&self.checksum.to_le_bytes());
        b[8..16].copy_from_slice(&self.seq.to_le_bytes());
        b[16..24].copy_from_slice(&self.timestamp_ns.to_le_bytes());
        b[24..28].copy_from_slice(&self.record_type.to_le_bytes());
        b[28..30].copy_from_slice(&self.kind.to_le_bytes());
        b[30..32].copy_from_slice(&self.reserved.to_le_bytes());
        b
    }

    /// Decodes the 32 header bytes.
    pub(crate) fn decode(b: &[u8; FrameDescriptor::HEADER_LEN]) -> Self {
        let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
        let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u64_at = |o: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[o..o + 8]);
            u64::from_le_bytes(w)
        };
        FrameHeader {
            length: u32_at(FrameDescriptor::LENGTH_OFFSET),
            checksum: u32_at(FrameDescriptor::CHECKSUM_OFFSET),
            seq: u64_at(FrameDescriptor::SEQ_OFFSET),
            timestamp_ns: u64_at(FrameDescriptor::TIMESTAMP_OFFSET),
            record_type: u32_at(FrameDescriptor::RECORD_TYPE_OFFSET),
            kind: u16_at(FrameDescriptor::KIND_OFFSET),
            reserved: u16_at(FrameDescriptor::RESERVED_OFFSET),
        }
    }
}

/// Encodes the 32-byte header of a record frame around `payload`, checksum included: exactly
/// the bytes the journal writes before the payload, so a frame can be built in any buffer (a
/// socket buffer, a `BufWriter`, a test fixture) and is byte-identical to the journal's.
///
/// The frame is this header, the payload, then zero padding up to the next multiple of
/// [`FrameDescriptor::ALIGNMENT`].
///
/// # Errors
/// [`JournalError::RecordTooLarge`] if the payload exceeds [`FrameDescriptor::MAX_PAYLOAD_LEN`].
///
/// # Example
/// ```
/// use recal_journal::{FrameDescriptor, encode_header};
///
/// let header = encode_header(7, 42, 1_700_000_000_000_000_000, b"hello")?;
/// let length = u32::from_le_bytes(header[..4].try_into()?);
/// assert_eq!(length as usize, FrameDescriptor::HEADER_LEN + 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_header(
    record_type: u32,
    seq: Seq,
    timestamp_ns: u64,
    payload: &[u8],
) -> Result<[u8; FrameDescriptor::HEADER_LEN], JournalError> {
    if payload.len() > FrameDescriptor::MAX_PAYLOAD_LEN {
        return Err(JournalError::RecordTooLarge {
            len: payload.len(),
            max: FrameDescriptor::MAX_PAYLOAD_LEN,
        });
    }
    Ok(FrameHeader::new(
        FrameDescriptor::KIND_RECORD,
        record_type,
        seq,
        timestamp_ns,
        payload,
    )
    .encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_through_bytes() {
        let h = FrameHeader::new(
            FrameDescriptor::KIND_RECORD,
            0xdead_beef,
            12,
            34,
            b"payload",
        );
        assert_eq!(FrameHeader::decode(&h.encode()), h);
        assert_eq!(h.length, 39);
    }

    #[test]
    fn checksum_covers_every_header_field_and_payload() {
        let base = FrameHeader::new(FrameDescriptor::KIND_RECORD, 1, 2, 3, b"abc");
        let variants = [
            FrameHeader::new(FrameDescriptor::KIND_END_OF_SEGMENT, 1, 2, 3, b"abc"),
            FrameHeader::new(FrameDescriptor::KIND_RECORD, 9, 2, 3, b"abc"),
            FrameHeader::new(FrameDescriptor::KIND_RECORD, 1, 9, 3, b"abc"),
            FrameHeader::new(FrameDescriptor::KIND_RECORD, 1, 2, 9, b"abc"),
            FrameHeader::new(FrameDescriptor::KIND_RECORD, 1, 2, 3, b"abd"),
            FrameHeader::new(FrameDescriptor::KIND_RECORD, 1, 2, 3, b"abc\0"),
        ];
        for v in variants {
            assert_ne!(v.checksum, base.checksum, "{v:?}");
        }
    }

    #[test]
    fn checksum_is_crc32c_of_the_documented_bytes() {
        // Independent truth: CRC32C over the frame laid out contiguously as documented.
        let h = FrameHeader::new(FrameDescriptor::KIND_RECORD, 5, 6, 7, b"xyz");
        let mut frame = h.encode().to_vec();
        frame.extend_from_slice(b"xyz");
        assert_eq!(crc32c::crc32c_append(h.length, &frame[8..]), h.checksum);
        assert_eq!(frame_checksum(h.length, &frame[8..]), h.checksum);
        assert_ne!(
            frame_checksum(h.length + 1, &frame[8..]),
            h.checksum,
            "the length is covered"
        );
    }

    #[test]
    fn frames_align_to_eight_bytes() {
        assert_eq!(align_frame(32), 32);
        assert_eq!(align_frame(33), 40);
        assert_eq!(align_frame(39), 40);
        assert_eq!(align_frame(40), 40);
    }

    #[test]
    fn encode_header_matches_internal_encoding() {
        let public = encode_header(3, 4, 5, b"data").unwrap();
        let internal = FrameHeader::new(FrameDescriptor::KIND_RECORD, 3, 4, 5, b"data").encode();
        assert_eq!(public, internal);
    }
}
