//! Tailing a journal while it is written: from another process, and from another thread.

mod common;
#[path = "../src/bin/journal-probe/spec.rs"]
mod spec;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{open_writer, scratch, segment_files};
use recal_journal::{Record, StartAt, Tailer};

const PROBE: &str = env!("CARGO_BIN_EXE_journal-probe");

fn check(record: &Record<'_>, expected_seq: u64) {
    assert_eq!(record.seq, expected_seq);
    assert_eq!(record.record_type, spec::record_type(record.seq));
    assert_eq!(record.timestamp_ns, spec::timestamp_ns(record.seq));
    assert_eq!(record.payload, spec::payload(record.seq).as_slice());
}

#[test]
fn a_tailer_follows_another_process_across_segment_rolls() {
    const COUNT: u64 = 3_000;
    let dir = scratch();
    // 8 KiB segments hold about fifty probe records: the child rolls dozens of times, pausing
    // 1 ms every 25 records (at least 120 ms in all) so the tailer catches up and waits on live
    // segments.
    let mut child = Command::new(PROBE)
        .args([
            dir.path().to_str().unwrap(),
            "8192",
            &COUNT.to_string(),
            "25",
            "1000",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn the probe");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.path().join("journal.meta").exists() {
        assert!(
            Instant::now() < deadline,
            "the probe never created the journal"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut tailer = Tailer::open(dir.path(), StartAt::Start)
        .unwrap()
        .expect_schema(&spec::schema())
        .unwrap();
    let mut seen_while_running = 0u64;
    let mut segments_seen = BTreeSet::new();
    for seq in 0..COUNT {
        let record = tailer
            .next_timeout(Duration::from_secs(10))
            .unwrap()
            .expect("the next record arrives");
        check(&record, seq);
        if child.try_wait().unwrap().is_none() {
            seen_while_running += 1;
            segments_seen.insert(segment_files(dir.path()).len());
        }
    }
    assert!(child.wait().unwrap().success());
    assert!(
        tailer.poll().unwrap().is_none(),
        "nothing beyond what was written"
    );
    assert!(
        seen_while_running > 0,
        "records were read while the writer was still running"
    );
    assert!(
        segments_seen.len() > 1,
        "the tailer followed live segment rolls"
    );
    assert!(segment_files(dir.path()).len() > 20);
}

#[test]
fn a_tailer_thread_follows_a_writer_thread() {
    const COUNT: u64 = 20_000;
    let dir = scratch();
    let mut writer = open_writer(dir.path(), 4096);
    let path = dir.path().to_path_buf();
    let tail = std::thread::spawn(move || {
        let mut tailer = Tailer::open(&path, StartAt::Start).unwrap();
        for seq in 0..COUNT {
            let record = tailer
                .next_timeout(Duration::from_secs(10))
                .unwrap()
                .expect("the next record arrives");
            check(&record, seq);
        }
        tailer.next_seq()
    });
    for seq in 0..COUNT {
        writer
            .append(
                spec::record_type(seq),
                spec::timestamp_ns(seq),
                &spec::payload(seq),
            )
            .unwrap();
    }
    assert_eq!(tail.join().unwrap(), COUNT);
}

#[test]
fn tailers_start_where_asked() {
    let dir = scratch();
    let mut writer = open_writer(dir.path(), 4096);
    let mut tail_end = Tailer::open(dir.path(), StartAt::End).unwrap();
    assert!(
        tail_end.poll().unwrap().is_none(),
        "an empty journal has nothing yet"
    );
    for seq in 0..100 {
        writer
            .append(
                spec::record_type(seq),
                spec::timestamp_ns(seq),
                &spec::payload(seq),
            )
            .unwrap();
    }
    let mut from_end = Tailer::open(dir.path(), StartAt::End).unwrap();
    let mut from_seq = Tailer::open(dir.path(), StartAt::Seq(57)).unwrap();
    assert!(from_end.poll().unwrap().is_none());
    check(&from_seq.poll().unwrap().unwrap(), 57);
    assert!(
        Tailer::open(dir.path(), StartAt::Seq(101)).is_err(),
        "beyond the end"
    );
    writer
        .append(
            spec::record_type(100),
            spec::timestamp_ns(100),
            &spec::payload(100),
        )
        .unwrap();
    check(&from_end.poll().unwrap().unwrap(), 100);
    for seq in 0..=100 {
        check(&tail_end.poll().unwrap().unwrap(), seq);
    }
    let empty = std::time::Instant::now();
    assert!(
        tail_end
            .next_timeout(Duration::from_millis(20))
            .unwrap()
            .is_none()
    );
    assert!(
        empty.elapsed() >= Duration::from_millis(20),
        "waits out its timeout"
    );
}
