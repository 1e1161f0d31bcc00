//! `recal config default` prints a file `recal config check` and the library accept, and
//! `check` names what is wrong with a bad one.

use recal::Config;

mod common;

fn recal(args: &[&str]) -> (bool, String, String) {
    let run = common::recal(args);
    (run.ok, run.stdout, run.stderr)
}

#[test]
fn the_printed_default_checks_and_reads_as_the_defaults() {
    let (ok, text, _) = recal(&["config", "default"]);
    assert!(ok);
    assert_eq!(text, Config::default_toml());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recal.toml");
    std::fs::write(&file, &text).unwrap();
    let (ok, out, err) = recal(&["config", "check", file.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("markets: BTC-PERP"), "{out}");
    assert!(out.contains("placement: Fused -> fused"), "{out}");
    assert!(err.contains("demo key"), "{err}");
}

#[test]
fn check_resolves_an_explicit_placement_and_names_bad_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recal.toml");
    std::fs::write(&file, "placement = { cores = [0, 0, 0, 0, 0] }\n").unwrap();
    let (ok, out, err) = recal(&["config", "check", file.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("[decode+estimate+greeks+trigger+emit] on core 0"),
        "{out}"
    );

    std::fs::write(&file, "[trigger.thresholds]\ndeviaton = 0.02\n").unwrap();
    let (ok, _, err) = recal(&["config", "check", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("trigger.thresholds.deviaton"), "{err}");

    std::fs::write(&file, "[solvency]\nlevel = 1.5\n").unwrap();
    let (ok, _, err) = recal(&["config", "check", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("solvency.level"), "{err}");
}

#[test]
fn run_takes_its_settings_from_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recal.toml");
    std::fs::write(&file, "[rings]\ncapacity = 3\n").unwrap();
    let (ok, _, err) = recal(&["run", "--config", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("rings.capacity"), "{err}");
}
