//! Recovery from torn tails and interrupted rolls, simulated by writing the bytes a dying
//! writer leaves behind; and the writer's other guarantees on reopening.

mod common;

use std::fs;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{
    Owned, frames_of, open_writer, overwrite, read_all, read_at, schema, scratch, segment_files,
    write_simple,
};
use recal_journal::{
    Durability, FrameDefect, FrameDescriptor, JournalError, Reader, SegmentHeaderDescriptor,
    StartAt, Tailer, TornTail, Writer, WriterOptions, encode_header,
};

const SEGMENT: u64 = 64 * 1024;
const PAYLOAD: usize = 100;

/// A closed journal of `count` simple records in one segment; returns the segment and the
/// offset of its stop marker.
fn closed_journal(count: u64) -> (tempfile::TempDir, PathBuf, usize) {
    let dir = scratch();
    write_simple(dir.path(), SEGMENT, count, PAYLOAD);
    let seg = segment_files(dir.path()).remove(0);
    let last = *frames_of(&seg).last().unwrap();
    let end = last.0 + (last.1 as usize).next_multiple_of(8);
    (dir, seg, end)
}

/// Reopens, checks the report's torn tail, appends one record and checks everything reads.
fn recover_and_continue(dir: &Path, count: u64, expected: TornTail) {
    let mut writer = open_writer(dir, SEGMENT);
    let report = writer.recovery_report().clone();
    assert_eq!(report.torn_tails, vec![expected.clone()]);
    assert!(!report.is_clean());
    assert_eq!(report.next_seq, count);
    assert!(
        read_at(
            &expected.segment,
            expected.offset,
            expected.dropped_bytes as usize
        )
        .iter()
        .all(|&b| b == 0),
        "the torn tail is zeroed"
    );
    assert_eq!(
        writer
            .append(1, count * 10, &[count as u8; PAYLOAD])
            .unwrap(),
        count
    );
    drop(writer);
    let records = read_all(dir).unwrap();
    assert_eq!(records.len() as u64, count + 1);
    for r in &records {
        assert_eq!(r.payload, vec![r.seq as u8; PAYLOAD]);
    }
    assert!(
        open_writer(dir, SEGMENT).recovery_report().is_clean(),
        "a second reopen finds nothing to repair"
    );
}

#[test]
fn a_record_killed_before_its_length_was_published_is_cut_off() {
    let (dir, seg, end) = closed_journal(10);
    // The writer wrote the header fields and part of the payload, then died: length still 0.
    let header = encode_header(1, 10, 100, &[10; PAYLOAD]).unwrap();
    overwrite(&seg, end as u64 + 4, &header[4..]);
    overwrite(&seg, (end + FrameDescriptor::HEADER_LEN) as u64, &[10; 40]);
    assert_eq!(
        read_all(dir.path()).unwrap().len(),
        10,
        "readers stop at the stop marker"
    );
    let dropped = (FrameDescriptor::HEADER_LEN - 4 + 40) as u64 + 4;
    recover_and_continue(
        dir.path(),
        10,
        TornTail {
            segment: seg,
            offset: end as u64,
            dropped_bytes: dropped,
            defect: None,
        },
    );
}

#[test]
fn a_published_length_over_a_bad_frame_at_the_tail_is_cut_off() {
    let (dir, seg, end) = closed_journal(10);
    // After a power loss the length word's page reached the disk, the payload's did not.
    let header = encode_header(1, 10, 100, &[10; PAYLOAD]).unwrap();
    overwrite(&seg, end as u64, &header);
    let err = read_all(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            JournalError::Corrupt {
                defect: FrameDefect::Checksum { .. },
                ..
            }
        ),
        "{err}"
    );
    let torn = TornTail {
        segment: seg,
        offset: end as u64,
        // Up to the last nonzero byte: the header's kind field.
        dropped_bytes: header.iter().rposition(|&b| b != 0).unwrap() as u64 + 1,
        defect: Some(FrameDefect::Checksum {
            stored: u32::from_le_bytes(header[4..8].try_into().unwrap()),
            computed: recal_journal::frame_checksum(
                header[0] as u32,
                &[&header[8..], &[0; PAYLOAD][..]].concat(),
            ),
        }),
    };
    recover_and_continue(dir.path(), 10, torn);
}

#[test]
fn damage_followed_by_valid_records_is_refused_not_truncated() {
    for (what, at) in [
        ("payload", FrameDescriptor::HEADER_LEN + 3),
        ("length word", 0),
    ] {
        let (dir, seg, _) = closed_journal(10);
        let victim = frames_of(&seg)[6].0;
        if at == 0 {
            overwrite(&seg, victim as u64, &0u32.to_le_bytes());
        } else {
            common::flip(&seg, (victim + at) as u64, 0x40);
        }
        let before = fs::read(&seg).unwrap();
        match Writer::open(dir.path(), &schema(), common::options(SEGMENT)) {
            Err(JournalError::Corrupt {
                segment, offset, ..
            }) => assert_eq!((segment, offset), (seg.clone(), victim as u64)),
            other => panic!("{what}: expected Corrupt, got {:?}", other.err()),
        }
        assert_eq!(
            fs::read(&seg).unwrap(),
            before,
            "{what}: nothing was truncated"
        );
    }
}

#[test]
fn a_last_segment_without_its_first_record_is_refused() {
    let dir = scratch();
    write_simple(dir.path(), 4096, 40, PAYLOAD);
    let last = segment_files(dir.path()).pop().unwrap();
    overwrite(&last, SegmentHeaderDescriptor::HEADER_LEN as u64, &[0; 4]);
    assert!(matches!(
        Writer::open(dir.path(), &schema(), common::options(4096)),
        Err(JournalError::Corrupt {
            offset: 64,
            defect: FrameDefect::MissingRecord,
            ..
        })
    ));
}

#[test]
fn a_roll_interrupted_before_the_end_frame_is_completed() {
    let dir = scratch();
    write_simple(dir.path(), 4096, 40, PAYLOAD);
    let files = segment_files(dir.path());
    assert_eq!(files.len(), 2);
    // Undo what the writer does after naming the new segment: the header's next_seq and the
    // end-of-segment frame of the old one.
    let end_frame = *frames_of(&files[0]).last().unwrap();
    assert_eq!(end_frame.2, FrameDescriptor::KIND_END_OF_SEGMENT);
    overwrite(
        &files[0],
        end_frame.0 as u64,
        &[0; FrameDescriptor::HEADER_LEN],
    );
    overwrite(
        &files[0],
        SegmentHeaderDescriptor::NEXT_SEQ_OFFSET as u64,
        &[0; 8],
    );

    // A reader sees every record; a tailer waits at the end of the old segment, since the
    // records after it were never reported committed.
    assert_eq!(read_all(dir.path()).unwrap().len(), 40);
    let mut tailer = Tailer::open(dir.path(), StartAt::Start).unwrap();
    let mut tailed = 0;
    while tailer.poll().unwrap().is_some() {
        tailed += 1;
    }
    assert_eq!(tailed, 29);

    let writer = open_writer(dir.path(), 4096);
    assert_eq!(
        writer.recovery_report().finished_segment.as_ref(),
        Some(&files[0])
    );
    assert!(writer.recovery_report().torn_tails.is_empty());
    assert_eq!(writer.next_seq(), 40);
    let infos = Reader::open(dir.path()).unwrap().segments();
    assert_eq!(infos[0].next_seq, Some(29));
    // The waiting tailer moves on once the end frame is there.
    while tailer.poll().unwrap().is_some() {
        tailed += 1;
    }
    assert_eq!(tailed, 40);
}

#[test]
fn leftover_prepared_segments_are_removed() {
    let (dir, _, _) = closed_journal(3);
    fs::write(dir.path().join("5.prep"), b"half a segment").unwrap();
    let writer = open_writer(dir.path(), SEGMENT);
    assert_eq!(writer.recovery_report().removed_prepared, 1);
    assert!(!dir.path().join("5.prep").exists());
}

#[test]
fn abandoned_reservations_leave_no_trace() {
    let dir = scratch();
    let mut writer = open_writer(dir.path(), 4096);
    let mut slot = writer.reserve(1, 0, 1000).unwrap();
    assert_eq!(slot.seq(), 0);
    slot.payload_mut().fill(0xff);
    drop(slot);
    writer.append(2, 0, b"kept").unwrap();
    let mut slot = writer.reserve(3, 1, 3000).unwrap();
    slot.payload_mut().fill(0xee);
    assert_eq!(slot.commit().unwrap(), 1);
    // This one does not fit in the first segment: it is reserved in the next, then abandoned.
    let mut rolling = writer.reserve(3, 1, 3000).unwrap();
    rolling.payload_mut().fill(0xdd);
    drop(rolling);
    assert_eq!(
        segment_files(dir.path()).len(),
        1,
        "an abandoned roll names no segment"
    );
    writer.append(4, 2, b"fits").unwrap();
    drop(writer);
    let records = read_all(dir.path()).unwrap();
    let kinds: Vec<(u64, u32, usize)> = records
        .iter()
        .map(|r| (r.seq, r.record_type, r.payload.len()))
        .collect();
    assert_eq!(kinds, [(0, 2, 4), (1, 3, 3000), (2, 4, 4)]);
    let seg = &segment_files(dir.path())[0];
    let last = *frames_of(seg).last().unwrap();
    let end = last.0 + (last.1 as usize).next_multiple_of(8);
    assert!(
        read_at(seg, end as u64, 4096 - end).iter().all(|&b| b == 0),
        "nothing after the last frame"
    );
    assert!(
        dir.path().read_dir().unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_str()
            .unwrap()
            .ends_with(".prep"))
    );
}

#[test]
fn reopening_continues_the_sequence_and_timestamps() {
    let (dir, _, _) = closed_journal(5);
    let mut writer = open_writer(dir.path(), SEGMENT);
    assert!(writer.recovery_report().is_clean());
    assert!(matches!(
        writer.append(1, 39, b"x"),
        Err(JournalError::TimestampRegression { previous: 40, .. })
    ));
    assert_eq!(writer.append(1, 40, b"x").unwrap(), 5);
}

#[test]
fn durable_modes_write_the_same_journal() {
    let modes = [
        Durability::Sync {
            every_records: NonZeroU32::new(3).unwrap(),
        },
        Durability::AsyncFlush {
            every_bytes: 1000,
            max_delay: Duration::from_millis(1),
        },
    ];
    let mut journals = Vec::new();
    for durability in modes {
        let dir = scratch();
        let mut writer = Writer::open(
            dir.path(),
            &schema(),
            WriterOptions {
                segment_size: 4096,
                durability,
            },
        )
        .unwrap();
        for seq in 0..100u64 {
            writer.append(1, seq, &[seq as u8; 77]).unwrap();
        }
        writer.sync().unwrap();
        drop(writer);
        let records: Vec<Owned> = read_all(dir.path()).unwrap();
        assert_eq!(records.len(), 100);
        journals.push(
            segment_files(dir.path())
                .iter()
                .map(|f| fs::read(f).unwrap())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(
        journals[0], journals[1],
        "durability changes when bytes reach the disk, not which bytes"
    );
}
