//! Outlier filter: against a brute-force median/MAD, and the documented bound on how far one
//! manipulated print can move the 1-min EWMA vol.

use proptest::prelude::*;
use recal_estimate::{
    Decay, EwmaHorizons, OutlierAction, OutlierConfig, OutlierFilter, StaleDetector, Verdict,
};

fn lower_median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

proptest! {
    #[test]
    fn verdicts_match_brute_force(
        prices in prop::collection::vec(prop_oneof![4 => 99.0f64..101.0, 1 => 50.0f64..200.0], 1..150),
        clamp in any::<bool>(),
        window in 3usize..40,
    ) {
        let config = OutlierConfig {
            window,
            min_history: 3,
            confirm_after: 0,
            action: if clamp { OutlierAction::Clamp } else { OutlierAction::Reject },
            ..OutlierConfig::default()
        };
        let mut filter = OutlierFilter::new(config).unwrap();
        for (i, &p) in prices.iter().enumerate() {
            let held: Vec<f64> = prices[i.saturating_sub(window)..i].iter().map(|p| p.ln()).collect();
            let want = if held.len() < 3 {
                Verdict::Accepted(p)
            } else {
                let m = lower_median(held.clone());
                let mad = lower_median(held.iter().map(|x| (x - m).abs()).collect());
                let scale = (1.4826 * mad).max(config.min_scale);
                let dev = p.ln() - m;
                if dev.abs() <= config.k * scale {
                    Verdict::Accepted(p)
                } else if clamp {
                    Verdict::Clamped((m + dev.signum() * config.k * scale).exp())
                } else {
                    Verdict::Rejected
                }
            };
            prop_assert_eq!(filter.update(i as u64, p).unwrap(), want);
        }
    }
}

/// Calm 1-second prints around 100 with ~1 bp noise.
fn calm_prices(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 100.0 * (1.0 + 1e-4 * ((i * 7919 % 13) as f64 - 6.0) / 6.0))
        .collect()
}

fn one_minute_vol(prints: &[(u64, f64)]) -> f64 {
    let mut ewma = EwmaHorizons::new(&[Decay::half_life_secs(60)]).unwrap();
    prints.iter().for_each(|&(t, p)| {
        ewma.update(t, p).unwrap();
    });
    ewma.horizon(0).unwrap().annual_variance().unwrap()
}

/// Runs prints through a filter and then the 1-min EWMA; returns (annual variance, band seen
/// just before print `watch`).
fn filtered_variance(
    prints: &[(u64, f64)],
    action: OutlierAction,
    watch: usize,
) -> (f64, (f64, f64)) {
    let mut filter = OutlierFilter::new(OutlierConfig {
        action,
        ..OutlierConfig::default()
    })
    .unwrap();
    let mut passed = Vec::new();
    let mut band = (0.0, 0.0);
    for (i, &(t, p)) in prints.iter().enumerate() {
        if i == watch {
            band = filter.band().unwrap();
        }
        if let Some(q) = filter.update(t, p).unwrap().price() {
            passed.push((t, q));
        }
    }
    (one_minute_vol(&passed), band)
}

#[test]
fn a_single_print_30_percent_off_moves_the_one_minute_vol_within_the_bound() {
    let second = 1_000_000_000u64;
    let clean: Vec<(u64, f64)> = calm_prices(200)
        .into_iter()
        .enumerate()
        .map(|(i, p)| (i as u64 * second, p))
        .collect();
    let bad_index = 150;
    let mut manipulated = clean.clone();
    manipulated[bad_index].1 *= 1.30;
    // W of the 1-min EWMA at the end, for the bound (same timestamps in every run).
    let f = |age: u64| (-(age as f64) * std::f64::consts::LN_2 / 60.0).exp();
    let w_sum: f64 = (1..200u64).map(|i| f(199 - i)).sum::<f64>() * second as f64;
    let year = recal_estimate::NS_PER_YEAR;

    let unfiltered = one_minute_vol(&manipulated) - one_minute_vol(&clean);
    for action in [OutlierAction::Reject, OutlierAction::Clamp] {
        let (clean_var, _) = filtered_variance(&clean, action, bad_index);
        let (bad_var, (low, high)) = filtered_variance(&manipulated, action, bad_index);
        // Documented bound: the print that passes lies in [low, high], so each of the two
        // returns it opens and closes is at most max |ln(edge / neighbour)|, and the EWMA sum
        // moves by at most the sum of those two squares (weights ≤ 1).
        let prev = clean[bad_index - 1].1;
        let next = clean[bad_index + 1].1;
        let r_in = (high / prev).ln().abs().max((low / prev).ln().abs());
        let r_out = (next / high).ln().abs().max((next / low).ln().abs());
        let bound = (r_in * r_in + r_out * r_out) / w_sum * year;
        let moved = (bad_var - clean_var).abs();
        println!(
            "{action:?}: 1-min variance moved {moved:.3e} (vol {:.4} → {:.4}); bound {bound:.3e}; unfiltered move {unfiltered:.3e}",
            clean_var.sqrt(),
            bad_var.sqrt()
        );
        assert!(moved <= bound, "{moved} > {bound}");
        assert!(
            bound < 1e-3 * unfiltered,
            "the filter must cut the effect by far"
        );
    }
}

#[test]
fn a_confirmed_new_level_passes_on_its_third_print() {
    let mut filter = OutlierFilter::new(OutlierConfig::default()).unwrap();
    let mut t = 0;
    for p in calm_prices(31) {
        filter.update(t, p).unwrap();
        t += 1;
    }
    // Two prints of a manipulation (or of a jump not yet confirmed) are rejected...
    assert_eq!(filter.update(t, 92.0).unwrap(), Verdict::Rejected);
    assert_eq!(filter.update(t + 1, 92.01).unwrap(), Verdict::Rejected);
    // ...an inconsistent one restarts the count...
    assert_eq!(filter.update(t + 2, 85.0).unwrap(), Verdict::Rejected);
    assert_eq!(filter.update(t + 3, 85.02).unwrap(), Verdict::Rejected);
    // ...and the third consistent print of the new level passes, as do the next ones.
    assert_eq!(
        filter.update(t + 4, 85.01).unwrap(),
        Verdict::Accepted(85.01)
    );
    assert_eq!(
        filter.update(t + 5, 85.03).unwrap(),
        Verdict::Accepted(85.03)
    );
    // Back inside the band the streak resets.
    assert_eq!(
        filter.update(t + 6, 100.0).unwrap(),
        Verdict::Accepted(100.0)
    );
    assert_eq!(filter.update(t + 7, 130.0).unwrap(), Verdict::Rejected);
}

#[test]
fn without_confirmation_a_level_shift_is_accepted_after_half_the_window() {
    let config = OutlierConfig {
        confirm_after: 0,
        ..OutlierConfig::default()
    };
    let mut filter = OutlierFilter::new(config).unwrap();
    let mut t = 0;
    for p in calm_prices(31) {
        filter.update(t, p).unwrap();
        t += 1;
    }
    let mut first_accepted = None;
    for i in 0..31 {
        if filter.update(t, 90.0 + 1e-3 * (i % 3) as f64).unwrap() != Verdict::Rejected
            && first_accepted.is_none()
        {
            first_accepted = Some(i);
        }
        t += 1;
    }
    let first = first_accepted.unwrap();
    assert!((15..=17).contains(&first), "accepted from print {first}");
}

#[test]
fn bad_config_and_bad_input() {
    assert!(
        OutlierFilter::new(OutlierConfig {
            window: 2,
            ..OutlierConfig::default()
        })
        .is_err()
    );
    assert!(
        OutlierFilter::new(OutlierConfig {
            min_history: 40,
            ..OutlierConfig::default()
        })
        .is_err()
    );
    assert!(
        OutlierFilter::new(OutlierConfig {
            k: f64::NAN,
            ..OutlierConfig::default()
        })
        .is_err()
    );
    let mut filter = OutlierFilter::new(OutlierConfig::default()).unwrap();
    filter.update(5, 100.0).unwrap();
    let before = filter.clone();
    assert!(filter.update(5, 100.0).is_err());
    assert!(filter.update(6, f64::NAN).is_err());
    assert_eq!(filter, before);
    assert_eq!(filter.band(), None); // too little history
}

#[test]
fn stale_source_is_flagged_in_event_time() {
    let mut s = StaleDetector::new(5_000).unwrap();
    assert!(s.is_stale(0));
    assert_eq!(s.age_ns(0), None);
    s.touch(1_000);
    s.touch(900); // late, older event: ignored
    assert_eq!(s.age_ns(3_000), Some(2_000));
    assert!(!s.is_stale(6_000));
    assert!(s.is_stale(6_001));
    assert!(StaleDetector::new(0).is_err());
}

#[test]
fn a_steady_trend_is_never_rejected() {
    // Down 0.5 % a print, 200 prints: the median lags by half a window but the MAD widens in
    // proportion, so |ln p − m| / (1.4826·MAD) stays ≈ 1.35 < k.
    for action in [OutlierAction::Reject, OutlierAction::Clamp] {
        let config = OutlierConfig {
            action,
            confirm_after: 0,
            ..OutlierConfig::default()
        };
        let mut filter = OutlierFilter::new(config).unwrap();
        for i in 0..200u64 {
            let p = 100.0 * (-0.005 * i as f64).exp();
            assert_eq!(
                filter.update(i, p).unwrap(),
                Verdict::Accepted(p),
                "print {i}"
            );
        }
    }
}
