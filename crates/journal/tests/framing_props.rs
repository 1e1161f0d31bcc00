//! Property tests of framing, segment rolling and seeking, against brute force.

mod common;

use std::path::Path;

use common::{Owned, frames_of, open_writer, read_all, scratch, segment_files};
use proptest::prelude::*;
use recal_journal::{FrameDescriptor, JournalError, Reader, StartAt, Tailer};

/// Appends `(record_type, timestamp step, payload)` inputs; returns what was written.
fn write(dir: &Path, segment_size: u64, inputs: &[(u32, u64, Vec<u8>)]) -> Vec<Owned> {
    let mut writer = open_writer(dir, segment_size);
    let mut timestamp_ns = 0;
    let mut written = Vec::new();
    for (record_type, step, payload) in inputs {
        timestamp_ns += step;
        let seq = writer.append(*record_type, timestamp_ns, payload).unwrap();
        assert_eq!(seq, written.len() as u64);
        written.push(Owned {
            seq,
            timestamp_ns,
            record_type: *record_type,
            payload: payload.clone(),
        });
    }
    written
}

fn records(
    max_payload: usize,
    max_count: usize,
) -> impl Strategy<Value = Vec<(u32, u64, Vec<u8>)>> {
    prop::collection::vec(
        (
            any::<u32>(),
            0u64..3,
            prop::collection::vec(any::<u8>(), 0..max_payload),
        ),
        0..max_count,
    )
}

fn collect(records: recal_journal::Records<'_>) -> Vec<Owned> {
    records.map(|r| Owned::from(r.unwrap())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random sizes and types round-trip through small segments that roll often; every
    /// finished segment ends with an end-of-segment frame, every segment is named after its
    /// first record, no record spans segments, and a tailer sees the same records.
    #[test]
    fn records_round_trip_across_segment_rolls(inputs in records(900, 80), size_pages in 1u64..4) {
        let dir = scratch();
        let segment_size = size_pages * 4096;
        let written = write(dir.path(), segment_size, &inputs);
        prop_assert_eq!(&read_all(dir.path()).unwrap(), &written);

        let files = segment_files(dir.path());
        let mut first_seq = 0u64;
        for (i, file) in files.iter().enumerate() {
            let frames = frames_of(file);
            prop_assert_eq!(file.file_name().unwrap().to_str().unwrap(), format!("{first_seq:020}.seg"));
            let records = frames.iter().filter(|f| f.2 == FrameDescriptor::KIND_RECORD).count() as u64;
            let last = frames.last().unwrap();
            prop_assert!(last.0 + last.1 as usize <= segment_size as usize);
            let finished = last.2 == FrameDescriptor::KIND_END_OF_SEGMENT;
            prop_assert_eq!(finished, i + 1 < files.len());
            first_seq += records;
        }
        prop_assert_eq!(first_seq, written.len() as u64);

        let mut tailer = Tailer::open(dir.path(), StartAt::Start).unwrap();
        let mut tailed = Vec::new();
        while let Some(r) = tailer.poll().unwrap() {
            tailed.push(Owned::from(r));
        }
        prop_assert_eq!(&tailed, &written);
    }

    /// Seeking by sequence number and by timestamp returns exactly the suffix a linear scan
    /// finds, including through the sparse index (many records per segment, repeated
    /// timestamps).
    #[test]
    fn seeks_match_a_brute_force_scan(
        inputs in records(40, 1500),
        size_pages in 2u64..16,
        seq_targets in prop::collection::vec(any::<prop::sample::Index>(), 8),
        ts_targets in prop::collection::vec(any::<prop::sample::Index>(), 8),
    ) {
        let dir = scratch();
        let written = write(dir.path(), size_pages * 4096, &inputs);
        let reader = Reader::open(dir.path()).unwrap();
        let n = written.len();
        for target in seq_targets {
            let seq = target.index(n + 1) as u64;
            prop_assert_eq!(collect(reader.iter_from_seq(seq).unwrap()), written[seq as usize..].to_vec());
        }
        let beyond = matches!(
            reader.iter_from_seq(n as u64 + 1),
            Err(JournalError::SeqOutOfRange { end, .. }) if end == n as u64
        );
        prop_assert!(beyond, "seeking past the end must fail");
        let max_ts = written.last().map_or(0, |r| r.timestamp_ns);
        for target in ts_targets {
            let ts = target.index(max_ts as usize + 2) as u64;
            let first = written.iter().position(|r| r.timestamp_ns >= ts).unwrap_or(n);
            prop_assert_eq!(collect(reader.iter_from_timestamp(ts).unwrap()), written[first..].to_vec());
        }
        prop_assert_eq!(reader.end_seq().unwrap(), n as u64);
        let summary = reader.verify().unwrap();
        prop_assert_eq!(summary.records, n as u64);
        prop_assert_eq!(summary.last_seq, n.checked_sub(1).map(|s| s as u64));
    }

    /// The same records give byte-identical journals: nothing in a file comes from the wall
    /// clock or the process.
    #[test]
    fn journals_are_bit_identical_across_runs(inputs in records(300, 60)) {
        let (a, b) = (scratch(), scratch());
        write(a.path(), 4096, &inputs);
        write(b.path(), 4096, &inputs);
        let (files_a, files_b) = (segment_files(a.path()), segment_files(b.path()));
        prop_assert_eq!(files_a.len(), files_b.len());
        for (fa, fb) in files_a.iter().zip(&files_b) {
            prop_assert_eq!(fa.file_name(), fb.file_name());
            prop_assert!(std::fs::read(fa).unwrap() == std::fs::read(fb).unwrap(), "{:?} differs", fa);
        }
    }
}
