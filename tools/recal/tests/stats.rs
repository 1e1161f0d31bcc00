//! `recal stats` reads the snapshot a running engine publishes, from another process.

use std::time::Duration;

use recal::pipeline::demo::{self, DemoConfig};
use recal::{Config, Engine, StatsOptions};

mod common;

fn recal(args: &[&str]) -> (bool, String) {
    let run = common::recal(args);
    (run.ok, run.text())
}

#[test]
fn stats_prints_a_running_engines_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let pid = std::process::id();
    let path = dir.path().join(format!("recal-{pid}.stats"));
    let config = Config {
        stats: StatsOptions {
            enabled: true,
            path: Some(path.clone()),
            interval: Duration::from_millis(1),
        },
        ..Config::default()
    };
    let mut engine = Engine::new(config).unwrap();
    let messages = demo::generate(&DemoConfig {
        calm_seconds: 120,
        crash_seconds: 300,
        recovery_seconds: 60,
        accounts: 50,
        ..DemoConfig::default()
    });
    for message in &messages {
        let _ = engine.push_bytes(message.source, &message.bytes, engine.clock_ns());
    }
    engine.publish_stats().unwrap();
    let counters = engine.metrics().counters;

    let path_text = path.to_str().unwrap();
    let (ok, by_path) = recal(&["stats", path_text]);
    assert!(ok, "{by_path}");
    assert!(
        by_path.contains(&format!("pid {pid} (running)")),
        "{by_path}"
    );
    assert!(by_path.contains("placement: fused"), "{by_path}");
    assert!(
        by_path.contains(&format!("messages {}", counters.messages)),
        "{by_path}"
    );
    assert!(
        by_path.contains(&format!("proposals {}", counters.proposals)),
        "{by_path}"
    );
    assert!(by_path.contains("tick -> decision"), "{by_path}");

    let dir_text = dir.path().to_str().unwrap();
    let (ok, by_pid) = recal(&["stats", "--dir", dir_text, &pid.to_string()]);
    assert!(ok, "{by_pid}");
    assert!(
        by_pid.contains(&format!("messages {}", counters.messages)),
        "{by_pid}"
    );

    let (ok, listing) = recal(&["stats", "--dir", dir_text]);
    assert!(ok, "{listing}");
    let row = listing
        .lines()
        .find(|line| line.trim_start().starts_with(&pid.to_string()))
        .unwrap_or_else(|| panic!("no row for {pid} in\n{listing}"));
    assert!(row.contains("running") && row.contains("fused"), "{row}");
    assert!(row.contains(&counters.messages.to_string()), "{row}");

    engine.shutdown().unwrap();
    let (ok, gone) = recal(&["stats", "--dir", dir_text, &pid.to_string()]);
    assert!(!ok && gone.contains("no stats snapshot"), "{gone}");
    let (ok, empty) = recal(&["stats", "--dir", dir_text]);
    assert!(ok && empty.contains("no engine publishes stats"), "{empty}");
}

#[test]
fn stats_refuses_a_file_that_is_not_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recal-1.stats");
    std::fs::write(&path, "not json").unwrap();
    let (ok, text) = recal(&["stats", path.to_str().unwrap()]);
    assert!(
        !ok && text.contains("is not a recal stats snapshot"),
        "{text}"
    );
}
