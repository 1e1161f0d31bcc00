//! EWMA variance against a brute-force twin recomputed from scratch on random irregular series.

use proptest::prelude::*;
use recal_estimate::{Decay, EstimateError, EwmaHorizons, NS_PER_YEAR};

/// Random irregular series: (gap ns, log return) pairs, gaps from 1 ns to 20 min.
fn series() -> impl Strategy<Value = Vec<(u64, f64)>> {
    prop::collection::vec((1u64..1_200_000_000_000, -0.05f64..0.05), 1..120)
}

/// Prints (t, price) from gaps and log returns, starting at t = 1 s, price 100.
fn prints(steps: &[(u64, f64)]) -> Vec<(u64, f64)> {
    let mut out = vec![(1_000_000_000, 100.0)];
    for &(dt, r) in steps {
        let &(t, p) = out.last().unwrap();
        out.push((t + dt, p * r.exp()));
    }
    out
}

/// Σ w r² / Σ w dt with weights recomputed from the definition.
fn brute_annual_variance(prints: &[(u64, f64)], decay: Decay) -> Option<f64> {
    let n = prints.len();
    let t_last = prints[n - 1].0;
    let (mut s, mut w) = (0.0, 0.0);
    for i in 1..n {
        let weight = match decay {
            Decay::HalfLife { half_life_ns } => {
                (-((t_last - prints[i].0) as f64) * std::f64::consts::LN_2 / half_life_ns as f64)
                    .exp()
            }
            Decay::Lambda(l) => l.powi((n - 1 - i) as i32),
        };
        let r = (prints[i].1 / prints[i - 1].1).ln();
        s += weight * r * r;
        w += weight * (prints[i].0 - prints[i - 1].0) as f64;
    }
    (n > 1).then(|| s / w * NS_PER_YEAR)
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-300
}

proptest! {
    #[test]
    fn matches_brute_force(steps in series(), half_life_s in 1u64..20_000, lambda in 0.5f64..0.999) {
        let decays = [Decay::half_life_secs(half_life_s), Decay::Lambda(lambda)];
        let mut ewma = EwmaHorizons::new(&decays).unwrap();
        let prints = prints(&steps);
        for (i, &(t, p)) in prints.iter().enumerate() {
            ewma.update(t, p).unwrap();
            for (h, &decay) in decays.iter().enumerate() {
                let got = ewma.horizon(h).unwrap().annual_variance();
                let want = brute_annual_variance(&prints[..=i], decay);
                match (got, want) {
                    (Some(g), Some(w)) => prop_assert!(close(g, w, 1e-9), "{g} vs {w}"),
                    (g, w) => prop_assert_eq!(g, w),
                }
            }
        }
    }

    #[test]
    fn bad_input_leaves_state_unchanged(steps in series(), bad in 0usize..4) {
        let mut ewma = EwmaHorizons::with_default_horizons();
        let prints = prints(&steps);
        for &(t, p) in &prints {
            ewma.update(t, p).unwrap();
        }
        let before = ewma.clone();
        let t_last = prints.last().unwrap().0;
        let (t, p) = [(t_last + 1, f64::NAN), (t_last + 1, -1.0), (t_last, 100.0), (t_last - 1, 100.0)][bad];
        prop_assert!(ewma.update(t, p).is_err());
        prop_assert_eq!(ewma, before);
    }
}

#[test]
fn regular_bars_in_lambda_mode_match_riskmetrics() {
    // v ← λ v + (1 − λ) r² per bar, seeded with the first r², divided by the bar length.
    let lambda = 0.94;
    let day = 86_400_000_000_000u64;
    let mut ewma = EwmaHorizons::new(&[Decay::Lambda(lambda)]).unwrap();
    let closes = [100.0, 101.0, 99.5, 102.0, 103.5, 101.0, 100.2, 98.0];
    let mut riskmetrics: Option<f64> = None;
    let mut weight_sum = 0.0;
    for (i, &c) in closes.iter().enumerate() {
        if let Some(r) = ewma.update(i as u64 * day, c).unwrap() {
            let r2 = r.log_return().powi(2);
            // Unseeded recursion normalised by its weight sum = the same estimator.
            riskmetrics =
                Some(riskmetrics.map_or((1.0 - lambda) * r2, |v| lambda * v + (1.0 - lambda) * r2));
            weight_sum = lambda * weight_sum + (1.0 - lambda);
        }
    }
    let per_day = riskmetrics.unwrap() / weight_sum;
    let got = ewma.horizon(0).unwrap().annual_variance().unwrap();
    assert!(
        close(got, per_day * 365.25, 1e-12),
        "{got} vs {}",
        per_day * 365.25
    );
}

#[test]
fn edge_cases() {
    let mut ewma = EwmaHorizons::with_default_horizons();
    assert_eq!(ewma.len(), 3);
    assert!(ewma.horizon(3).is_none());
    assert_eq!(ewma.horizon(0).unwrap().annual_variance(), None); // empty
    ewma.update(5, 100.0).unwrap();
    assert_eq!(ewma.horizon(0).unwrap().annual_variance(), None); // single point
    assert_eq!(
        ewma.update(5, 100.0),
        Err(EstimateError::NonIncreasingTime {
            last_ns: 5,
            got_ns: 5
        })
    );
    // A constant price gives zero variance, not None.
    ewma.update(6, 100.0).unwrap();
    assert_eq!(ewma.horizon(2).unwrap().annual_variance(), Some(0.0));
    assert!(EwmaHorizons::new(&[]).is_err());
    // Warm after one half-life of data (60 s) or 1/(1 − λ) returns.
    let mut warm = EwmaHorizons::new(&[Decay::half_life_secs(60), Decay::Lambda(0.9)]).unwrap();
    for i in 0..=10u64 {
        assert!(!warm.horizon(0).unwrap().is_warm() && !warm.horizon(1).unwrap().is_warm());
        warm.update(i * 5_000_000_000, 100.0 + i as f64).unwrap();
    }
    assert!(!warm.horizon(0).unwrap().is_warm()); // 50 s of returns
    assert!(warm.horizon(1).unwrap().is_warm()); // 10 returns
    warm.update(60_000_000_000, 100.0).unwrap();
    assert!(warm.horizon(0).unwrap().is_warm());
    assert!(EwmaHorizons::new(&[Decay::Lambda(1.0)]).is_err());
    assert!(EwmaHorizons::new(&[Decay::HalfLife { half_life_ns: 0 }]).is_err());
}

#[test]
fn gbm_with_irregular_spacing_is_unbiased() {
    // Deterministic pseudo-random Brownian path with σ = 80 %/year and gaps from 1 ms to 10 s.
    let sigma = 0.8;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut ewma = EwmaHorizons::new(&[Decay::half_life_secs(4 * 3600)]).unwrap();
    let (mut t, mut p) = (0u64, 100.0f64);
    ewma.update(t, p).unwrap();
    for _ in 0..40_000 {
        let dt = 1_000_000 + (uniform() * 10e9) as u64;
        let normal =
            (-2.0 * uniform().max(1e-300).ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos();
        let dt_years = dt as f64 / NS_PER_YEAR;
        p *= (sigma * dt_years.sqrt() * normal - 0.5 * sigma * sigma * dt_years).exp();
        t += dt;
        ewma.update(t, p).unwrap();
    }
    let vol = ewma.horizon(0).unwrap().annual_vol().unwrap();
    assert!((vol - sigma).abs() < 0.05 * sigma, "vol {vol}");
}
