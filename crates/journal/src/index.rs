//! The sparse in-memory index of one segment, for seeking by sequence number or timestamp.
//!
//! Seeking first binary-searches the segments' headers (first sequence number, creation time =
//! first timestamp), then this index, which samples every [`INDEX_STRIDE`]th record of a
//! segment, then walks at most `INDEX_STRIDE` frames. A segment's index is built the first time
//! a seek lands in it, by one validating pass over the segment; a journal that is only read
//! from the start never builds one.

use crate::Seq;
use crate::segment::{Expect, Segment, SegmentHeaderDescriptor, Slot};

/// One record in every `INDEX_STRIDE` (counted from the segment's first) is indexed.
pub(crate) const INDEX_STRIDE: u64 = 128;

/// Where a sampled record sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    pub seq: Seq,
    pub timestamp_ns: u64,
    pub offset: usize,
}

/// Sampled records of one segment, in journal order.
#[derive(Debug, Default)]
pub(crate) struct SparseIndex {
    entries: Vec<IndexEntry>,
}

impl SparseIndex {
    /// Samples the valid prefix of `segment`; indexing stops at the first frame that is not a
    /// valid record (the reader reports it when a walk reaches it).
    pub(crate) fn build(segment: &Segment) -> SparseIndex {
        let mut entries = Vec::new();
        let mut offset = SegmentHeaderDescriptor::HEADER_LEN;
        let mut expect = Expect {
            seq: segment.first_seq(),
            exact: true,
            min_ts: segment.created_ns(),
        };
        while let Slot::Record(frame) = segment.frame_at(offset, expect) {
            if (frame.seq - segment.first_seq()).is_multiple_of(INDEX_STRIDE) {
                entries.push(IndexEntry {
                    seq: frame.seq,
                    timestamp_ns: frame.timestamp_ns,
                    offset,
                });
            }
            offset = frame.next_offset();
            expect = Expect {
                seq: frame.seq + 1,
                exact: true,
                min_ts: frame.timestamp_ns,
            };
        }
        SparseIndex { entries }
    }

    /// The last sampled record with a sequence number of at most `seq`.
    pub(crate) fn at_or_before_seq(&self, seq: Seq) -> Option<IndexEntry> {
        let n = self.entries.partition_point(|e| e.seq <= seq);
        n.checked_sub(1).map(|i| self.entries[i])
    }

    /// The last sampled record with a timestamp earlier than `timestamp_ns`.
    pub(crate) fn before_timestamp(&self, timestamp_ns: u64) -> Option<IndexEntry> {
        let n = self
            .entries
            .partition_point(|e| e.timestamp_ns < timestamp_ns);
        n.checked_sub(1).map(|i| self.entries[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> SparseIndex {
        let entries = (0..4)
            .map(|i| IndexEntry {
                seq: i * 128,
                timestamp_ns: i * 10,
                offset: i as usize * 8,
            })
            .collect();
        SparseIndex { entries }
    }

    #[test]
    fn seq_lookup_finds_the_last_sample_at_or_before() {
        let idx = index();
        assert_eq!(idx.at_or_before_seq(0).map(|e| e.seq), Some(0));
        assert_eq!(idx.at_or_before_seq(127).map(|e| e.seq), Some(0));
        assert_eq!(idx.at_or_before_seq(128).map(|e| e.seq), Some(128));
        assert_eq!(idx.at_or_before_seq(10_000).map(|e| e.seq), Some(384));
        assert_eq!(SparseIndex::default().at_or_before_seq(5), None);
    }

    #[test]
    fn timestamp_lookup_finds_the_last_sample_strictly_before() {
        let idx = index();
        assert_eq!(idx.before_timestamp(0), None);
        assert_eq!(idx.before_timestamp(10).map(|e| e.seq), Some(0));
        assert_eq!(idx.before_timestamp(11).map(|e| e.seq), Some(128));
        assert_eq!(idx.before_timestamp(u64::MAX).map(|e| e.seq), Some(384));
    }
}
