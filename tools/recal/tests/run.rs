//! The main job runs from the command line with no arguments and reports what it promises.

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

/// Percentile row of the demo's table: name, then p50 … p99.99 and max, in ns.
fn percentile_row(report: &str, name: &str) -> Vec<u64> {
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

#[test]
fn run_prints_ring_and_floor_percentiles() {
    for args in [
        &["run", "--round-trips", "2000"][..],
        &["run", "--round-trips", "2000", "--wait", "backoff"],
    ] {
        let (ok, report) = recal(args);
        assert!(ok, "recal {args:?} failed:\n{report}");
        for row in ["recal ring", "floor"] {
            let values = percentile_row(&report, row);
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
fn run_rejects_too_few_round_trips() {
    let (ok, _) = recal(&["run", "--round-trips", "3"]);
    assert!(!ok);
}
