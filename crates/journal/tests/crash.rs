//! Fault injection: a child process appends records and reports each committed sequence
//! number; it is killed with SIGKILL at random moments, many times, and after each kill the
//! journal is recovered and checked against what the child reported.

mod common;
#[path = "../src/bin/journal-probe/spec.rs"]
mod spec;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{options, scratch};
use recal_journal::{Reader, Writer};

const PROBE: &str = env!("CARGO_BIN_EXE_journal-probe");
/// Small segments: the child rolls every hundred records or so, so kills land in rolls too.
const SEGMENT: u64 = 16 * 1024;
const KILLS: u32 = 100;

/// A tiny deterministic generator for kill delays.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Checks every record from `from` on against the probe's spec; returns the end sequence.
fn check_records(dir: &Path, from: u64) -> u64 {
    let reader = Reader::open(dir).expect("journal opens after recovery");
    let mut expected = from;
    for record in reader.iter_from_seq(from).expect("seek") {
        let record = record.expect("no corrupt record is surfaced");
        assert_eq!(record.seq, expected, "order is kept");
        assert_eq!(record.record_type, spec::record_type(record.seq));
        assert_eq!(record.timestamp_ns, spec::timestamp_ns(record.seq));
        assert_eq!(
            record.payload,
            spec::payload(record.seq).as_slice(),
            "record {} is intact",
            record.seq
        );
        expected += 1;
    }
    expected
}

/// Runs the probe on `dir` until it has reported at least one record, waits a random moment,
/// kills it with SIGKILL, and returns every sequence number it reported.
fn run_and_kill(dir: &Path, delay: Duration) -> Vec<u64> {
    let mut child = Command::new(PROBE)
        .args([dir.to_str().unwrap(), &SEGMENT.to_string(), "forever"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the probe");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let lines = std::thread::spawn(move || {
        // A line cut short by the kill has no newline and is not a report.
        for line in BufReader::new(stdout).split(b'\n').map_while(Result::ok) {
            if let Some(seq) = std::str::from_utf8(&line)
                .ok()
                .and_then(|l| l.parse::<u64>().ok())
            {
                let _ = tx.send(seq);
            }
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the probe reports a first record");
    std::thread::sleep(delay);
    child.kill().unwrap();
    child.wait().unwrap();
    lines.join().unwrap();
    std::iter::once(first).chain(rx.try_iter()).collect()
}

#[test]
fn killed_writers_never_lose_a_reported_record() {
    let dir = scratch();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut checked_to, mut torn, mut finished_rolls, mut reported_total) = (0u64, 0, 0, 0);
    for round in 0..KILLS {
        let start = Writer::open(dir.path(), &spec::schema(), options(SEGMENT))
            .unwrap()
            .next_seq();
        let reported = run_and_kill(dir.path(), Duration::from_micros(rng.below(4_000)));
        let expected: Vec<u64> = (start..start + reported.len() as u64).collect();
        assert_eq!(
            reported, expected,
            "round {round}: the child reports consecutive sequence numbers"
        );
        reported_total += reported.len();

        let mut writer =
            Writer::open(dir.path(), &spec::schema(), options(SEGMENT)).expect("recovery");
        let report = writer.recovery_report().clone();
        torn += report.torn_tails.len();
        finished_rolls += usize::from(report.finished_segment.is_some());
        let last_reported = *reported.last().unwrap();
        assert!(
            report.next_seq > last_reported,
            "round {round}: reported record {last_reported} survived: {report:?}"
        );

        // A new writer continues after recovery.
        for _ in 0..2 {
            let seq = writer.next_seq();
            writer
                .append(
                    spec::record_type(seq),
                    spec::timestamp_ns(seq),
                    &spec::payload(seq),
                )
                .unwrap();
        }
        let end = writer.next_seq();
        drop(writer);
        // Recovery touches at most the last two segments: check from a little before this round.
        assert_eq!(
            check_records(dir.path(), checked_to.saturating_sub(500)),
            end,
            "round {round}"
        );
        checked_to = end;
    }
    assert_eq!(
        check_records(dir.path(), 0),
        checked_to,
        "the whole journal reads back"
    );
    eprintln!(
        "{KILLS} kills: {reported_total} records reported, {checked_to} in the journal, \
         {torn} torn tails cut, {finished_rolls} interrupted rolls finished"
    );
}
