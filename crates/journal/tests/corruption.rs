//! Each kind of bad input gets its own typed error, names the file (and offset), and never a
//! panic; salvage mode reads around damaged frames.

mod common;

use std::fs;

use common::{
    flip, frames_of, open_writer, options, overwrite, read_all, schema, scratch, segment_files,
    write_simple,
};
use recal_journal::{
    FrameDefect, FrameDescriptor, JournalError, Reader, Salvaged, Schema, SegmentHeaderDescriptor,
    StartAt, Tailer, Writer, WriterOptions,
};

const SEGMENT: u64 = 4096;
const PAYLOAD: usize = 100;
/// Records of `PAYLOAD` bytes per 4 KiB segment.
const PER_SEGMENT: u64 = 29;

fn journal(count: u64) -> tempfile::TempDir {
    let dir = scratch();
    write_simple(dir.path(), SEGMENT, count, PAYLOAD);
    dir
}

#[test]
fn layout_assumption_of_these_tests_holds() {
    let dir = journal(PER_SEGMENT + 1);
    let files = segment_files(dir.path());
    assert_eq!(files.len(), 2);
    assert_eq!(
        frames_of(&files[0]).len() as u64,
        PER_SEGMENT + 1,
        "records plus the end frame"
    );
}

#[test]
fn bad_magic_is_reported_with_the_segment() {
    let dir = journal(40);
    let seg = &segment_files(dir.path())[0];
    overwrite(seg, 0, b"NOTMAGIC");
    match Reader::open(dir.path()) {
        Err(JournalError::BadMagic { segment, found }) => {
            assert_eq!(&segment, seg);
            assert_eq!(&found, b"NOTMAGIC");
        }
        other => panic!("expected BadMagic, got {:?}", other.err()),
    }
    assert!(matches!(
        Writer::open(dir.path(), &schema(), options(SEGMENT)),
        Err(JournalError::BadMagic { .. })
    ));
}

#[test]
fn unknown_format_version_is_unsupported() {
    let dir = journal(5);
    let seg = &segment_files(dir.path())[0];
    overwrite(
        seg,
        SegmentHeaderDescriptor::VERSION_OFFSET as u64,
        &2u32.to_le_bytes(),
    );
    assert!(matches!(
        Reader::open(dir.path()),
        Err(JournalError::UnsupportedVersion {
            found: 2,
            supported: 1,
            ..
        })
    ));
}

#[test]
fn header_checksum_catches_a_flipped_header_byte() {
    let dir = journal(5);
    let seg = &segment_files(dir.path())[0];
    flip(seg, SegmentHeaderDescriptor::CREATED_OFFSET as u64, 0x01);
    let err = Reader::open(dir.path()).err().expect("must fail");
    assert!(
        matches!(&err, JournalError::BadSegmentHeader { segment, .. } if segment == seg),
        "{err}"
    );
}

#[test]
fn truncated_segment_files_are_reported() {
    for len in [SEGMENT - 1024, 10, 0] {
        let dir = journal(40);
        let seg = &segment_files(dir.path())[1];
        fs::OpenOptions::new()
            .write(true)
            .open(seg)
            .unwrap()
            .set_len(len)
            .unwrap();
        match Reader::open(dir.path()) {
            Err(JournalError::TruncatedSegment {
                segment,
                len: found,
                expected,
            }) => {
                assert_eq!((&segment, found, expected), (seg, len, SEGMENT));
            }
            other => panic!(
                "expected TruncatedSegment for length {len}, got {:?}",
                other.err()
            ),
        }
    }
}

#[test]
fn a_missing_middle_segment_is_a_gap() {
    let dir = journal(4 * PER_SEGMENT);
    let files = segment_files(dir.path());
    fs::remove_file(&files[1]).unwrap();
    match Reader::open(dir.path()) {
        Err(JournalError::Gap {
            after,
            next_seq,
            found,
        }) => {
            assert_eq!(after.as_ref(), Some(&files[0]));
            assert_eq!(next_seq, PER_SEGMENT);
            assert_eq!(found, Some(2 * PER_SEGMENT));
        }
        other => panic!("expected Gap, got {:?}", other.err()),
    }
    assert!(matches!(
        Writer::open(dir.path(), &schema(), options(SEGMENT)),
        Err(JournalError::Gap { .. })
    ));
}

#[test]
fn a_missing_first_or_last_segment_is_a_gap() {
    let dir = journal(3 * PER_SEGMENT);
    let files = segment_files(dir.path());
    fs::remove_file(&files[0]).unwrap();
    assert!(matches!(
        Reader::open(dir.path()),
        Err(JournalError::Gap {
            after: None,
            next_seq: 0,
            found: Some(PER_SEGMENT)
        })
    ));

    let dir = journal(3 * PER_SEGMENT);
    let files = segment_files(dir.path());
    fs::remove_file(files.last().unwrap()).unwrap();
    match Reader::open(dir.path()) {
        Err(JournalError::Gap {
            after, found: None, ..
        }) => assert_eq!(after.as_ref(), Some(&files[files.len() - 2])),
        other => panic!("expected Gap, got {:?}", other.err()),
    }
}

#[test]
fn schema_mismatch_is_refused_by_writers_readers_and_tailers() {
    let dir = journal(3);
    let other = Schema::new(42, "recal.test", 2);
    assert!(matches!(
        Writer::open(dir.path(), &other, options(SEGMENT)),
        Err(JournalError::SchemaMismatch { expected, found }) if expected == other && found == schema()
    ));
    assert!(matches!(
        Reader::open(dir.path()).unwrap().expect_schema(&other),
        Err(JournalError::SchemaMismatch { .. })
    ));
    assert!(
        Reader::open(dir.path())
            .unwrap()
            .expect_schema(&schema())
            .is_ok()
    );
    assert!(matches!(
        Tailer::open(dir.path(), StartAt::Start)
            .unwrap()
            .expect_schema(&other),
        Err(JournalError::SchemaMismatch { .. })
    ));
}

#[test]
fn a_segment_from_another_journal_is_a_schema_mismatch() {
    let ours = journal(3);
    let theirs = scratch();
    let mut writer = Writer::open(
        theirs.path(),
        &Schema::new(43, "recal.other", 1),
        options(SEGMENT),
    )
    .unwrap();
    for seq in 0..3u64 {
        writer.append(1, seq * 10, &[seq as u8; PAYLOAD]).unwrap();
    }
    drop(writer);
    let name = "00000000000000000000.seg";
    fs::copy(theirs.path().join(name), ours.path().join(name)).unwrap();
    assert!(matches!(
        Reader::open(ours.path()),
        Err(JournalError::SegmentSchemaMismatch {
            expected: 42,
            found: 43,
            ..
        })
    ));
}

#[test]
fn missing_or_bad_metadata_is_reported() {
    let empty = scratch();
    assert!(matches!(
        Reader::open(empty.path()),
        Err(JournalError::NotAJournal { .. })
    ));
    let dir = journal(3);
    fs::write(
        dir.path().join("journal.meta"),
        "format_version = 1\nsegment_size = banana\n",
    )
    .unwrap();
    assert!(matches!(
        Reader::open(dir.path()),
        Err(JournalError::BadMeta { line: 2, .. })
    ));
    fs::remove_file(dir.path().join("journal.meta")).unwrap();
    assert!(matches!(
        Reader::open(dir.path()),
        Err(JournalError::NotAJournal { .. })
    ));
    assert!(
        matches!(
            Writer::open(dir.path(), &schema(), options(SEGMENT)),
            Err(JournalError::NotAJournal { .. })
        ),
        "a writer must not adopt segments without metadata"
    );
}

/// Offset of record `seq` in its segment, from the oracle walk.
fn record_offset(dir: &std::path::Path, seq: u64) -> (std::path::PathBuf, usize) {
    let seg = segment_files(dir)[(seq / PER_SEGMENT) as usize].clone();
    let offset = frames_of(&seg)[(seq % PER_SEGMENT) as usize].0;
    (seg, offset)
}

#[test]
fn a_bit_flip_mid_journal_stops_strict_reading_at_the_frame() {
    let dir = journal(3 * PER_SEGMENT);
    let damaged = PER_SEGMENT + 5;
    let (seg, offset) = record_offset(dir.path(), damaged);
    flip(
        &seg,
        (offset + FrameDescriptor::HEADER_LEN + 17) as u64,
        0x04,
    );

    let reader = Reader::open(dir.path()).unwrap();
    let mut iter = reader.iter();
    for seq in 0..damaged {
        assert_eq!(iter.next().unwrap().unwrap().seq, seq);
    }
    match iter.next() {
        Some(Err(JournalError::Corrupt {
            segment,
            offset: at,
            defect: FrameDefect::Checksum { .. },
        })) => {
            assert_eq!((segment, at), (seg.clone(), offset as u64));
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(
        iter.next().is_none(),
        "strict iteration ends at the first error"
    );
    assert!(matches!(reader.verify(), Err(JournalError::Corrupt { .. })));
    assert!(matches!(
        reader.iter_from_seq(damaged + 3),
        Err(JournalError::Corrupt { .. })
    ));

    let mut tailer = Tailer::open(dir.path(), StartAt::Seq(damaged - 1)).unwrap();
    assert_eq!(tailer.poll().unwrap().unwrap().seq, damaged - 1);
    for _ in 0..2 {
        assert!(
            matches!(tailer.poll(), Err(JournalError::Corrupt { .. })),
            "the tailer stays before the damage"
        );
    }
}

#[test]
fn salvage_skips_damaged_frames_and_reports_them() {
    let dir = journal(3 * PER_SEGMENT);
    let damaged = [3, PER_SEGMENT + 7];
    let (seg_a, off_a) = record_offset(dir.path(), damaged[0]);
    flip(&seg_a, off_a as u64 + 1, 0x80); // the length word
    let (seg_b, off_b) = record_offset(dir.path(), damaged[1]);
    flip(&seg_b, (off_b + FrameDescriptor::HEADER_LEN) as u64, 0xff); // the payload

    let reader = Reader::open(dir.path()).unwrap();
    let mut seqs = Vec::new();
    let mut skipped = Vec::new();
    for item in reader.iter().salvage() {
        match item.unwrap() {
            Salvaged::Record(r) => {
                assert_eq!(r.payload, vec![r.seq as u8; PAYLOAD].as_slice());
                seqs.push(r.seq);
            }
            Salvaged::Skipped(s) => skipped.push(s),
        }
    }
    let expected: Vec<u64> = (0..3 * PER_SEGMENT)
        .filter(|s| !damaged.contains(s))
        .collect();
    assert_eq!(seqs, expected);
    assert_eq!(skipped.len(), 2);
    let frame = (FrameDescriptor::HEADER_LEN + PAYLOAD).next_multiple_of(8) as u64;
    assert_eq!(
        (&skipped[0].segment, skipped[0].offset, skipped[0].len),
        (&seg_a, off_a as u64, frame)
    );
    assert!(matches!(skipped[0].defect, FrameDefect::BadLength { .. }));
    assert_eq!(
        (&skipped[1].segment, skipped[1].offset, skipped[1].len),
        (&seg_b, off_b as u64, frame)
    );
    assert!(matches!(skipped[1].defect, FrameDefect::Checksum { .. }));
}

#[test]
fn the_writer_refuses_bad_records_and_settings() {
    let dir = scratch();
    let mut writer = open_writer(dir.path(), SEGMENT);
    let max = writer.max_payload();
    assert_eq!(max, SEGMENT as usize - 128);
    assert!(
        matches!(writer.append(1, 0, &vec![0; max + 1]), Err(JournalError::RecordTooLarge { len, max: m }) if len == max + 1 && m == max)
    );
    writer.append(1, 100, &vec![7; max]).unwrap();
    assert!(matches!(
        writer.append(1, 99, b"x"),
        Err(JournalError::TimestampRegression {
            previous: 100,
            supplied: 99
        })
    ));
    assert!(matches!(
        Writer::open(dir.path(), &schema(), options(SEGMENT)),
        Err(JournalError::AlreadyLocked { .. })
    ));
    writer.append(1, 100, b"same timestamp is fine").unwrap();
    drop(writer);
    assert!(matches!(
        Writer::open(dir.path(), &schema(), options(2 * SEGMENT)),
        Err(JournalError::SegmentSizeMismatch { journal: SEGMENT, requested }) if requested == 2 * SEGMENT
    ));
    let other = scratch();
    let bad_size = WriterOptions {
        segment_size: 5000,
        ..WriterOptions::default()
    };
    assert!(matches!(
        Writer::open(other.path(), &schema(), bad_size),
        Err(JournalError::InvalidConfig { .. })
    ));
    assert!(matches!(
        Writer::open(
            other.path(),
            &Schema::new(1, "has space", 1),
            options(SEGMENT)
        ),
        Err(JournalError::InvalidConfig { .. })
    ));
    let records = read_all(dir.path()).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0].payload.len(),
        max,
        "the largest record fits a segment"
    );
}

#[test]
fn typed_payloads_round_trip_and_misfits_are_errors() {
    #[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
    #[repr(C)]
    struct Quote {
        instrument: u32,
        flags: u32,
        bid: i64,
        ask: i64,
    }
    let dir = scratch();
    let mut writer = open_writer(dir.path(), SEGMENT);
    let quote = Quote {
        instrument: 9,
        flags: 1,
        bid: -5,
        ask: 7,
    };
    writer.append_pod(4, 1, &quote).unwrap();
    writer.append(4, 2, b"short").unwrap();
    drop(writer);
    let reader = Reader::open(dir.path()).unwrap();
    let records: Vec<_> = reader.iter().map(Result::unwrap).collect();
    assert_eq!(records[0].payload_as::<Quote>().unwrap(), &quote);
    assert!(matches!(
        records[1].payload_as::<Quote>(),
        Err(JournalError::PayloadType {
            len: 5,
            size: 24,
            ..
        })
    ));
}
