//! Rolling-window realized volatility against a brute-force twin.

use proptest::prelude::*;
use recal_estimate::{NS_PER_YEAR, RollingRealizedVol};

fn brute(prints: &[(u64, f64)], window: u64) -> (usize, Option<f64>) {
    let now = prints.last().unwrap().0;
    let (mut count, mut s, mut covered) = (0, 0.0, 0u64);
    for pair in prints.windows(2) {
        if pair[1].0 >= now.saturating_sub(window) {
            count += 1;
            s += (pair[1].1 / pair[0].1).ln().powi(2);
            covered += pair[1].0 - pair[0].0;
        }
    }
    (
        count,
        (covered > 0).then(|| s / covered as f64 * NS_PER_YEAR),
    )
}

proptest! {
    #[test]
    fn matches_brute_force(
        steps in prop::collection::vec((1u64..400, -0.05f64..0.05), 1..300),
        window in 1u64..2_000,
        capacity in 0usize..8,
    ) {
        // Gaps up to 400 ns against windows from 1 ns: covers empty-after-gap, single-return
        // and many-return windows.
        let mut rv = RollingRealizedVol::new(window, capacity).unwrap();
        let mut prints = vec![(0u64, 100.0f64)];
        rv.update(0, 100.0).unwrap();
        prop_assert!(rv.is_empty());
        prop_assert_eq!(rv.annual_variance(), None);
        for &(dt, r) in &steps {
            let &(t, p) = prints.last().unwrap();
            prints.push((t + dt, p * r.exp()));
            rv.update(t + dt, p * r.exp()).unwrap();
            let (count, want) = brute(&prints, window);
            prop_assert_eq!(rv.len(), count);
            let got = rv.annual_variance();
            match (got, want) {
                (Some(g), Some(w)) => prop_assert!((g - w).abs() <= 1e-12 * w.max(1e-300), "{g} vs {w}"),
                (g, w) => prop_assert_eq!(g, w),
            }
        }
    }
}

#[test]
fn gap_longer_than_window_keeps_only_the_straddling_return() {
    let mut rv = RollingRealizedVol::new(10, 4).unwrap();
    for (t, p) in [(0, 100.0), (1, 101.0), (2, 100.0), (3, 102.0)] {
        rv.update(t, p).unwrap();
    }
    assert_eq!(rv.len(), 3);
    rv.update(1_000, 110.0).unwrap();
    assert_eq!(rv.len(), 1);
    assert_eq!(rv.covered_ns(), 997);
    let want = (110.0f64 / 102.0).ln().powi(2) / 997.0 * NS_PER_YEAR;
    assert!((rv.annual_variance().unwrap() - want).abs() < 1e-12 * want);
}

#[test]
fn drift_stays_bounded_after_a_huge_spike_leaves() {
    // A 1e6× spike and back, then returns of ~1e-9: once the spike has left the window the
    // running sum must be back on the tiny scale (compensated sum + periodic recompute).
    let mut series = vec![1.0f64];
    for i in 0..10_000 {
        let last = *series.last().unwrap();
        series.push(match i {
            50 => 1e6,
            51 => 1.0,
            _ => last * (1.0 + 1e-9 * ((i % 7) as f64 - 3.0)),
        });
    }
    let window = 100;
    let mut rv = RollingRealizedVol::new(window, 128).unwrap();
    for (t, &p) in series.iter().enumerate() {
        rv.update(t as u64, p).unwrap();
    }
    // Returns closing at t ≥ now − window: window + 1 of them, so window + 2 prints.
    let want: f64 = series[series.len() - 2 - window as usize..]
        .windows(2)
        .map(|w| (w[1] / w[0]).ln().powi(2))
        .sum();
    let got = rv.sum_squared_returns();
    assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
}

#[test]
fn bad_input_is_refused_without_change() {
    let mut rv = RollingRealizedVol::new(10, 4).unwrap();
    rv.update(1, 100.0).unwrap();
    rv.update(2, 101.0).unwrap();
    let before = rv.clone();
    assert!(rv.update(2, 101.0).is_err());
    assert!(rv.update(3, 0.0).is_err());
    assert!(rv.update(3, f64::INFINITY).is_err());
    assert_eq!(rv, before);
    assert!(RollingRealizedVol::new(0, 4).is_err());
}
