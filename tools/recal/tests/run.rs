//! The main job runs from the command line and reports what it promises.

use std::process::Command;

fn recal(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_recal"))
        .args(args)
        .output()
        .expect("the recal binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
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

/// A shortened demo market, so the debug build finishes quickly.
const SHORT_DEMO: [&str; 9] = [
    "run",
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
