//! Deviation window against a brute-force all-pairs scan.

use proptest::prelude::*;
use recal_estimate::{DeviationWindow, EstimateError};

/// Largest |p_j / p_i − 1| over all pairs of prints with t ≥ now − window.
fn brute(prints: &[(u64, f64)], window: u64) -> f64 {
    let now = prints.last().unwrap().0;
    let inside: Vec<f64> = prints
        .iter()
        .filter(|(t, _)| *t >= now.saturating_sub(window))
        .map(|&(_, p)| p)
        .collect();
    let mut worst = 0.0f64;
    for &a in &inside {
        for &b in &inside {
            worst = worst.max((b / a - 1.0).abs());
        }
    }
    worst
}

proptest! {
    #[test]
    fn matches_all_pairs_scan(
        steps in prop::collection::vec((1u64..300, -0.02f64..0.02), 0..200),
        window in 1u64..1_500,
    ) {
        let mut w = DeviationWindow::new(window, 0).unwrap();
        prop_assert_eq!(w.deviation(), None);
        let mut prints = vec![(7u64, 50.0f64)];
        prop_assert_eq!(w.update(7, 50.0).unwrap(), 0.0); // single point
        for &(dt, r) in &steps {
            let &(t, p) = prints.last().unwrap();
            // Quantised prices make ties (equal prints) common.
            let next = ((p * r.exp()) * 100.0).round() / 100.0;
            prints.push((t + dt, next));
            let got = w.update(t + dt, next).unwrap();
            let want = brute(&prints, window);
            prop_assert!((got - want).abs() <= 1e-15 * want.max(1.0), "{got} vs {want}");
            let now = t + dt;
            let inside = prints.iter().filter(|(t, _)| *t >= now.saturating_sub(window));
            let max = inside.clone().map(|p| p.1).fold(f64::MIN, f64::max);
            let min = inside.map(|p| p.1).fold(f64::MAX, f64::min);
            prop_assert_eq!(w.max(), Some(max));
            prop_assert_eq!(w.min(), Some(min));
        }
    }
}

#[test]
fn window_is_inclusive_and_gaps_longer_than_it_empty_it() {
    let mut w = DeviationWindow::new(100, 4).unwrap();
    w.update(0, 100.0).unwrap();
    // Exactly one window later: still inside.
    assert!((w.update(100, 101.0).unwrap() - 0.01).abs() < 1e-15);
    // Long gap: only the new print is left.
    assert_eq!(w.update(1_000, 120.0).unwrap(), 0.0);
    assert_eq!((w.min(), w.max()), (Some(120.0), Some(120.0)));
}

#[test]
fn round_trip_inside_the_window_fires() {
    let mut w = DeviationWindow::new(300, 4).unwrap();
    for (t, p) in [(0, 100.0), (60, 98.8), (120, 100.0)] {
        w.update(t, p).unwrap();
    }
    assert!(w.deviation().unwrap() > 0.01);
}

#[test]
fn bad_input_is_refused_without_change() {
    let mut w = DeviationWindow::new(300, 4).unwrap();
    w.update(10, 100.0).unwrap();
    let before = w.clone();
    assert_eq!(
        w.update(10, 90.0),
        Err(EstimateError::NonIncreasingTime {
            last_ns: 10,
            got_ns: 10
        })
    );
    assert!(w.update(9, 90.0).is_err());
    assert!(matches!(
        w.update(11, f64::NAN),
        Err(EstimateError::InvalidPrice(_))
    ));
    assert!(matches!(
        w.update(11, -3.0),
        Err(EstimateError::InvalidPrice(_))
    ));
    assert_eq!(w, before);
}
