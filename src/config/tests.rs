use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use recal_estimate::Decay;
use recal_pipeline::{
    Backpressure, JournalMode, JournalOptions, MarketSpec, Placement, RingWait, WaitStrategy,
};
use recal_types::Source;

use super::*;

/// Two configurations are equal in effect when every setting prints the same.
fn same(a: &Config, b: &Config) {
    assert_eq!(format!("{a:#?}"), format!("{b:#?}"));
}

fn refused(text: &str) -> String {
    match Config::from_toml_str(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(error) => error.to_string(),
    }
}

fn parse_error_key(text: &str) -> String {
    match Config::from_toml_str(text) {
        Err(ConfigError::Parse { key, .. }) => key,
        other => panic!("expected a parse error in\n{text}\ngot {other:?}"),
    }
}

fn invalid_key(text: &str) -> String {
    match Config::from_toml_str(text) {
        Err(ConfigError::Invalid { key, .. }) => key,
        other => panic!("expected an invalid value in\n{text}\ngot {other:?}"),
    }
}

#[test]
fn the_default_file_reads_back_as_the_defaults() {
    let text = Config::default_toml();
    same(&Config::from_toml_str(&text).unwrap(), &Config::default());
}

#[test]
fn an_empty_file_gives_the_defaults() {
    same(&Config::from_toml_str("").unwrap(), &Config::default());
}

#[test]
fn every_key_of_the_default_file_is_documented() {
    let text = Config::default_toml();
    let lines: Vec<&str> = text.lines().collect();
    let mut keys = 0;
    for (index, line) in lines.iter().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let above = index.checked_sub(1).map(|above| lines[above]);
        assert!(
            above.is_some_and(|above| above.starts_with('#')),
            "no comment above `{line}`"
        );
        if !line.starts_with('[') {
            keys += 1;
            assert!(above.unwrap().starts_with("# Default: "), "{line}");
        }
    }
    // Every stage's settings are in the file: spot-check one key per section.
    for key in [
        "placement = \"fused\"",
        "backpressure = \"block\"",
        "mode = \"off\"",
        "interval_ms = 100",
        "name = \"BTC-PERP\"",
        "price_source = \"binance-usdm\"",
        "max_leverage_centi = 1000",
        "initial_margin = { min = 20000, max = 500000, max_step_ppm = 250000, max_step_absolute = 2000 }",
        "max_message_bytes = 65536",
        "horizons = [60.0, 900.0, 14400.0]",
        "action = \"reject\"",
        "model = \"volatility_adjusted\"",
        "cells = 200",
        "vol_of_vol_weight = 0.005",
        "deviation = 0.01",
        "tighten_gain_ppm = 500000",
        "heartbeat_seconds = 3600",
        "funding_shift = { relative_ppm = 20000, absolute = 5 }",
        "time_lock_seconds = 1800",
        "key_file = \"\"",
    ] {
        assert!(text.contains(key), "`{key}` missing from:\n{text}");
    }
    assert!(keys > 100, "{keys} keys");
}

#[test]
fn unknown_keys_are_refused_by_name() {
    assert!(refused("[decoder]\nmax_mesage_bytes = 1\n").contains("max_mesage_bytes"));
    assert!(refused("[trigger.thresholds]\ndeviaton = 0.1\n").contains("deviaton"));
    assert!(refused("palcement = \"auto\"\n").contains("palcement"));
    assert!(refused("[[markets]]\nname = \"ETH-PERP\"\nsource = \"pyth\"\n").contains("source"));
}

#[test]
fn parse_errors_name_the_key_path() {
    assert_eq!(
        parse_error_key("[decoder]\nmax_mesage_bytes = 1\n"),
        "decoder.max_mesage_bytes"
    );
    assert_eq!(
        parse_error_key("[rings]\ncapacity = \"big\"\n"),
        "rings.capacity"
    );
    assert_eq!(
        parse_error_key("[[markets]]\n[[markets]]\nprice_source = \"binanse\"\n"),
        "markets[1].price_source"
    );
    assert_eq!(parse_error_key("[decodr]\n"), "decodr");
    assert_eq!(parse_error_key("palcement = \"auto\"\n"), "palcement");
}

#[test]
fn wrong_types_and_unknown_names_are_refused_by_key() {
    let source = refused("[[markets]]\nprice_source = \"binanse\"\n");
    assert!(
        source.contains("binanse") && source.contains("price_source"),
        "{source}"
    );
    let capacity = refused("[rings]\ncapacity = -4\n");
    assert!(capacity.contains("capacity"), "{capacity}");
    let placement = refused("placement = { cores = [1, 1] }\n");
    assert!(
        placement.contains("placement") && placement.contains("cores"),
        "{placement}"
    );
    assert!(refused("placement = \"everywhere\"\n").contains("everywhere"));
    let rail =
        refused("[[markets]]\n[markets.guardrails.parameters]\ninitial_margin = { min = 1 }\n");
    assert!(rail.contains("max"), "{rail}");
}

#[test]
fn out_of_range_values_are_refused_by_key() {
    assert_eq!(
        invalid_key("[margin]\ninitial_ratio = -0.1"),
        "margin.initial_ratio"
    );
    assert_eq!(
        invalid_key("[trigger.model]\nmargin_quantile = nan"),
        "trigger.model.margin_quantile"
    );
    assert_eq!(
        invalid_key("[trigger.thresholds]\nopen_interest_skew = 1.5"),
        "trigger.thresholds.open_interest_skew"
    );
    assert_eq!(
        invalid_key("[trigger.damping.sensitivity]\nloosen_gain_ppm = 2000000"),
        "trigger.damping.sensitivity.loosen_gain_ppm"
    );
    assert_eq!(invalid_key("[rings]\ncapacity = 1000"), "rings.capacity");
    assert_eq!(
        invalid_key("[estimator]\nhorizons = [60, -1]"),
        "estimator.horizons[1]"
    );
    assert_eq!(
        invalid_key("[estimator]\nvol_of_vol_decay = { lambda = 1.5 }"),
        "estimator.vol_of_vol_decay"
    );
    assert_eq!(
        invalid_key("[estimator.outlier]\nmin_history = 40"),
        "estimator.outlier.min_history"
    );
    assert_eq!(
        invalid_key("[margin.portfolio]\nspot_shocks = [-0.1, -1.0]"),
        "margin.portfolio.spot_shocks[1]"
    );
    assert_eq!(invalid_key("[solvency]\nlevel = 1.0"), "solvency.level");
    assert_eq!(
        invalid_key("[decoder]\nmax_implied_volatility = inf"),
        "decoder.max_implied_volatility"
    );
    assert_eq!(
        invalid_key("[emitter]\nguardian = \"0x12\""),
        "emitter.guardian"
    );
    assert_eq!(invalid_key("markets = []"), "markets");
    assert_eq!(
        invalid_key(
            "[[markets]]\n[[markets]]\nname = \"ETH-PERP\"\n[markets.guardrails.parameters]\n\
             max_leverage = { min = 500, max = 100, max_step_ppm = 0, max_step_absolute = 0 }"
        ),
        "markets[1].guardrails.parameters.max_leverage"
    );
}

#[test]
fn a_non_default_configuration_round_trips() {
    let mut config = Config {
        placement: Placement::Cores([1, 1, 0, 0, 0]),
        ..Config::default()
    };
    config.rings.capacity = 1 << 12;
    config.rings.backpressure = Backpressure::Conflate;
    config.pipeline.journal = JournalOptions {
        mode: JournalMode::All,
        dir: "/tmp/recal-journals".into(),
    };
    config.stats.enabled = true;
    config.stats.interval = Duration::from_millis(250);
    let pipeline = &mut config.pipeline;
    pipeline.markets.push(MarketSpec {
        market: "ETH-PERP".into(),
        price_source: Source::Pyth,
        price_instrument: "Crypto.ETH/USD".into(),
        ..MarketSpec::btc_perp()
    });
    pipeline.markets[1].start.initial_margin_ppm = 150_000;
    pipeline.decoder.max_future_skew_ns = None;
    pipeline.estimator.horizons = vec![Decay::Lambda(0.94), Decay::half_life_secs(30)];
    pipeline.estimator.deviation_window_ns = 123_456_789;
    pipeline.estimator.outlier.k = 4.5;
    pipeline.margin.portfolio.vol_shocks = vec![-0.2, 0.5];
    pipeline.solvency.horizon_years = 2.0 / 8760.0;
    pipeline.trigger.thresholds.deviation = 0.02;
    pipeline.trigger.model.open_interest_cap = Some(5_000_000);
    pipeline.trigger.emission.dead_band[3].absolute = 77;
    pipeline.trigger.damping.sensitivity.tighten_gain_ppm = 900_000;
    pipeline.chain_id = 8453;
    pipeline.guardian = [0x12; 20];
    let text = config.to_toml().unwrap();
    same(&Config::from_toml_str(&text).unwrap(), &config);
}

#[test]
fn the_signing_key_comes_from_a_private_file_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("keeper.key");
    std::fs::write(&key, format!("0x{}\n", "ab".repeat(32))).unwrap();
    let config_file = dir.path().join("recal.toml");
    std::fs::write(&config_file, "[emitter]\nkey_file = \"keeper.key\"\n").unwrap();

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        Config::load(&config_file),
        Err(ConfigError::SigningKey(_))
    ));

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = Config::load(&config_file).unwrap();
    assert_eq!(config.pipeline.signing_key, [0xab; 32]);
    assert_eq!(config.signing_key_file.as_deref(), Some(key.as_path()));
    assert!(config.warnings().is_empty());
    assert!(!config.to_toml().unwrap().contains("abab"));
    assert_eq!(
        Config::default().warnings(),
        [ConfigWarning::DemoSigningKey]
    );
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let error = Config::load("/nonexistent/recal.toml").unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/recal.toml"),
        "{error}"
    );
}

#[test]
fn sources_are_spelled_as_on_tapes_and_flags() {
    for source in Source::ALL {
        let text = format!("[[markets]]\nprice_source = \"{}\"\n", source.name());
        let config = Config::from_toml_str(&text).unwrap();
        assert_eq!(config.pipeline.markets[0].price_source, source);
    }
}

#[test]
fn ring_waits_are_plan_one_strategy_or_one_per_ring() {
    assert_eq!(Config::default().rings.wait, RingWait::Plan);
    for (text, expected) in [
        ("\"plan\"", RingWait::Plan),
        ("\"yield\"", RingWait::All(WaitStrategy::Yield)),
        (
            "[\"busy_spin\", \"backoff\", \"yield\"]",
            RingWait::PerRing(vec![
                WaitStrategy::BusySpin,
                WaitStrategy::Backoff,
                WaitStrategy::Yield,
            ]),
        ),
    ] {
        let config = Config::from_toml_str(&format!("[rings]\nwait = {text}\n")).unwrap();
        assert_eq!(config.rings.wait, expected, "{text}");
        // And back: the rendered file reads as the same configuration.
        let again = Config::from_toml_str(&config.to_toml().unwrap()).unwrap();
        assert_eq!(again.rings.wait, expected, "{text}");
    }
    let error = Config::from_toml_str("[rings]\nwait = \"sleep\"\n").unwrap_err();
    assert!(error.to_string().contains("rings.wait"), "{error}");
}
