//! The per-underlying wiring against the standalone estimators fed by hand.

use proptest::prelude::*;
use recal_estimate::{
    DeviationWindow, EwmaHorizons, LogReturns, MacroCorrelation, OutlierFilter, RollingRealizedVol,
    TailEstimator, UnderlyingConfig, UnderlyingEstimator, Verdict, VolOfVol,
};

proptest! {
    #[test]
    fn wiring_matches_standalone_estimators(
        steps in prop::collection::vec(
            (1u64..30_000_000_000, prop_oneof![9 => -0.003f64..0.003, 1 => -0.4f64..0.4]),
            1..150,
        ),
    ) {
        let config = UnderlyingConfig::default();
        let mut wired = UnderlyingEstimator::new(config.clone()).unwrap();
        let mut filter = OutlierFilter::new(config.outlier).unwrap();
        let mut ewma = EwmaHorizons::new(&config.horizons).unwrap();
        let mut returns = LogReturns::default();
        let mut tail = TailEstimator::new(config.tail_decay, config.nu_bounds).unwrap();
        let mut rolling = RollingRealizedVol::new(config.realized_window_ns, 0).unwrap();
        let mut deviation = DeviationWindow::new(config.deviation_window_ns, 0).unwrap();
        let mut vol_of_vol = VolOfVol::new(config.vol_of_vol_decay).unwrap();
        let mut correlation = MacroCorrelation::new(config.correlation_decay, 0).unwrap();
        let (mut t, mut p) = (1u64, 100.0f64);
        for (i, &(dt, r)) in steps.iter().enumerate() {
            t += dt;
            p *= r.exp();
            let verdict = wired.on_price(t, p).unwrap();
            prop_assert_eq!(verdict, filter.update(t, p).unwrap());
            if let Some(q) = verdict.price() {
                ewma.update(t, q).unwrap();
                if let Some(ret) = returns.update(t, q).unwrap() {
                    tail.update(&ret);
                }
                rolling.update(t, q).unwrap();
                deviation.update(t, q).unwrap();
                correlation.update_underlying(t, q).unwrap();
                let short = ewma.horizon(0).unwrap();
                if let Some(v) = short.annual_vol().filter(|v| *v > 0.0 && short.is_warm()) {
                    vol_of_vol.update(t, v).unwrap();
                }
            }
            if i % 3 == 0 {
                let level = 50.0 * (1.0 + 0.01 * (i % 7) as f64);
                wired.on_macro(9, t + 1, level).unwrap();
                correlation.update_macro(9, t + 1, level).unwrap();
                t += 1;
            }
            prop_assert_eq!(wired.ewma(), &ewma);
            prop_assert_eq!(wired.tail(), &tail);
            prop_assert_eq!(wired.rolling().annual_variance(), rolling.annual_variance());
            prop_assert_eq!(wired.deviation().deviation(), deviation.deviation());
            prop_assert_eq!(wired.vol_of_vol(), &vol_of_vol);
            prop_assert_eq!(wired.correlation(), &correlation);
        }
    }
}

#[test]
fn bad_input_leaves_every_estimator_unchanged() {
    let mut u = UnderlyingEstimator::new(UnderlyingConfig::default()).unwrap();
    for i in 1..50u64 {
        u.on_price(i * 1_000_000_000, 100.0 + (i % 3) as f64 * 0.01)
            .unwrap();
    }
    u.on_macro(1, 10, 3.0).unwrap();
    let before = u.clone();
    assert!(u.on_price(49 * 1_000_000_000, 100.0).is_err());
    assert!(u.on_price(60 * 1_000_000_000, f64::NAN).is_err());
    assert!(u.on_price(60 * 1_000_000_000, -5.0).is_err());
    assert!(u.on_macro(1, 10, 3.0).is_err());
    assert!(u.on_macro(1, 11, 0.0).is_err());
    assert_eq!(u, before);
    assert!(!u.is_stale(49 * 1_000_000_000 + 60 * 1_000_000_000));
    assert!(u.is_stale(49 * 1_000_000_000 + 60 * 1_000_000_000 + 1));
    assert!(
        UnderlyingEstimator::new(UnderlyingConfig {
            horizons: vec![],
            ..UnderlyingConfig::default()
        })
        .is_err()
    );
}

#[test]
fn a_rejected_print_reaches_no_estimator() {
    let second = 1_000_000_000u64;
    let mut clean = UnderlyingEstimator::new(UnderlyingConfig::default()).unwrap();
    let mut attacked = clean.clone();
    for i in 1..100u64 {
        let p = 100.0 + 0.02 * (i % 4) as f64;
        clean.on_price(i * second, p).unwrap();
        attacked.on_price(i * second, p).unwrap();
        if i == 60 {
            assert_eq!(
                attacked.on_price(i * second + 1, 70.0).unwrap(),
                Verdict::Rejected
            );
        }
    }
    assert_eq!(clean.ewma(), attacked.ewma());
    assert_eq!(clean.deviation(), attacked.deviation());
    assert_eq!(clean.vol_of_vol(), attacked.vol_of_vol());
}
