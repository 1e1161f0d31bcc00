//! The main job runs from the command line and reports what it promises: the demo market, real
//! feeds from a tape and over TCP, journals that `recal replay` reproduces, also after a kill.

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use recal::pipeline::demo::{self, DemoConfig};
use recal::pipeline::replay;
use recal_ingress::Envelope;

mod common;

/// `recal args…`: success and standard output.
fn recal(args: &[&str]) -> (bool, String) {
    let run = common::recal(args);
    (run.ok, run.stdout)
}

/// Row of numbers after `name` in a report.
fn number_row(report: &str, name: &str) -> Vec<u64> {
    report
        .lines()
        .filter_map(|line| line.strip_prefix(name))
        .find_map(|rest| {
            rest.split_whitespace()
                .map(|field| field.parse().ok())
                .collect::<Option<Vec<u64>>>()
        })
        .unwrap_or_else(|| panic!("no `{name}` row of numbers in:\n{report}"))
}

/// A shortened demo market, so the debug build finishes quickly (not journaled: the tests
/// that journal give their own directory).
const SHORT_DEMO: [&str; 11] = [
    "run",
    "--journal",
    "off",
    "--accounts",
    "300",
    "--calm-seconds",
    "900",
    "--crash-seconds",
    "1800",
    "--recovery-seconds",
    "2400",
];

#[test]
fn run_prints_the_timeline_and_latency_percentiles() {
    let (ok, report) = recal(&SHORT_DEMO);
    assert!(ok, "recal run failed:\n{report}");
    assert!(report.contains("timeline"), "{report}");
    assert!(
        report.contains("deviation"),
        "the crash triggers a re-margin:\n{report}"
    );
    assert!(report.contains("applied"), "{report}");
    assert!(!report.contains("REFUSED"), "{report}");
    for row in ["tick -> decision", "tick -> signed"] {
        let values = number_row(&report, row);
        assert_eq!(
            values.len(),
            6,
            "{row}: p50 p90 p99 p99.9 max samples: {values:?}"
        );
        assert!(values[0] > 0, "{row}: processing takes time");
        assert!(
            values[..5].windows(2).all(|pair| pair[0] <= pair[1]),
            "{row}: percentiles must not decrease: {values:?}"
        );
        assert!(values[5] > 0, "{row}: samples were recorded");
    }
    assert!(report.contains("counters: messages"), "{report}");
}

#[test]
fn run_is_deterministic() {
    let timeline = |report: &str| -> String {
        report
            .lines()
            .take_while(|line| !line.starts_with("latency"))
            .chain(report.lines().filter(|l| l.starts_with("last proposal")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (ok_a, a) = recal(&SHORT_DEMO);
    let (ok_b, b) = recal(&SHORT_DEMO);
    assert!(ok_a && ok_b);
    assert_eq!(timeline(&a), timeline(&b));
}

#[test]
fn ring_demo_prints_ring_and_floor_percentiles() {
    for args in [
        &["ring-demo", "--round-trips", "2000"][..],
        &["ring-demo", "--round-trips", "2000", "--wait", "backoff"],
    ] {
        let (ok, report) = recal(args);
        assert!(ok, "recal {args:?} failed:\n{report}");
        for row in ["recal ring", "floor"] {
            let values = number_row(&report, row);
            assert_eq!(values.len(), 6, "{row}: {values:?}");
            assert!(values[0] > 0, "{row}: a round trip takes time");
            assert!(
                values.windows(2).all(|pair| pair[0] <= pair[1]),
                "{row}: percentiles must not decrease: {values:?}"
            );
        }
        assert!(report.contains("x the floor"), "{report}");
    }
}

#[test]
fn ring_demo_rejects_too_few_round_trips() {
    let (ok, _) = recal(&["ring-demo", "--round-trips", "3"]);
    assert!(!ok);
}

/// A small demo market as a tape of envelopes, and its number of messages.
fn write_demo_tape(path: &Path) -> usize {
    let messages = demo::generate(&DemoConfig {
        accounts: 50,
        calm_seconds: 300,
        crash_seconds: 300,
        recovery_seconds: 120,
        ..DemoConfig::default()
    });
    let mut tape = Vec::new();
    for message in &messages {
        Envelope {
            source: message.source,
            receive_time: Some(message.time),
            message: &message.bytes,
        }
        .write_line(&mut tape)
        .unwrap();
    }
    std::fs::write(path, tape).unwrap();
    messages.len()
}

#[test]
fn a_journaled_run_is_reproduced_by_replay() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let run_text = run_dir.to_str().unwrap();
    let mut args = SHORT_DEMO.to_vec();
    args[2] = "all";
    args.extend(["--journal-dir", run_text]);
    let (ok, report) = recal(&args);
    assert!(ok, "{report}");
    assert!(
        report.contains(&format!("journals: {run_text}")),
        "{report}"
    );
    assert!(run_dir.join("config.toml").exists());

    let (ok, replayed) = recal(&["replay", run_text]);
    assert!(ok, "{replayed}");
    for boundary in ["events", "estimates", "snapshots", "decisions", "emitted"] {
        assert!(
            replayed
                .lines()
                .any(|line| line.trim_start().starts_with(boundary) && line.contains("identical")),
            "{boundary} not compared:\n{replayed}"
        );
    }
    assert!(replayed.contains("the run is reproduced"), "{replayed}");

    // The same directory again would mix two runs' journals: refused.
    let (ok, _) = recal(&args);
    assert!(!ok);
}

#[test]
fn a_killed_run_replays_up_to_its_last_complete_record() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let mut child = common::command(&[
        "run",
        "--accounts",
        "2000",
        "--calm-seconds",
        "20000",
        "--journal",
        "all",
        "--journal-dir",
        run_dir.to_str().unwrap(),
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    // Kill it mid-run, once it has journaled some input.
    let started = Instant::now();
    while replay::input_len(&run_dir).unwrap_or(0) < 2_000 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no input journaled"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let recorded = replay::input_len(&run_dir).unwrap();
    assert!(recorded >= 2_000);
    let (ok, replayed) = recal(&["replay", run_dir.to_str().unwrap()]);
    assert!(ok, "every recorded record must be reproduced:\n{replayed}");
    assert!(
        replayed.contains(&format!("({recorded} input records)")),
        "{replayed}"
    );
    assert!(replayed.contains("the run is reproduced"), "{replayed}");
}

#[test]
fn run_reads_a_tape() {
    let dir = tempfile::tempdir().unwrap();
    let tape = dir.path().join("demo.ndjson");
    let messages = write_demo_tape(&tape);
    let (ok, report) = recal(&["run", "--journal", "off", "--tape", tape.to_str().unwrap()]);
    assert!(ok, "{report}");
    assert!(report.contains(&format!("{messages} messages")), "{report}");
    assert!(
        report.contains(&format!(
            "counters: messages {messages}, events {messages}, rejects 0"
        )),
        "{report}"
    );
    assert!(report.contains("applied"), "{report}");
}

#[test]
fn run_reads_a_feed_over_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let tape = dir.path().join("demo.ndjson");
    let messages = write_demo_tape(&tape);
    // A port that was free a moment ago.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let child = common::command(&[
        "run",
        "--journal",
        "off",
        "--listen",
        &addr.to_string(),
        "--duration",
        "6",
    ])
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let started = Instant::now();
    let mut stream = loop {
        match TcpStream::connect(addr) {
            Ok(stream) => break stream,
            Err(_) if started.elapsed() < Duration::from_secs(5) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(error) => panic!("recal run does not listen on {addr}: {error}"),
        }
    };
    stream.write_all(&std::fs::read(&tape).unwrap()).unwrap();
    drop(stream);
    let output = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains(&format!("tcp server {addr}: {messages} messages")),
        "{report}"
    );
    assert!(
        report.contains(&format!("events {messages}, rejects 0")),
        "{report}"
    );
}
