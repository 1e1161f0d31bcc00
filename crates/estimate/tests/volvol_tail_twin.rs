//! Vol-of-vol, tail and correlation estimators against brute-force twins.

use proptest::prelude::*;
use recal_estimate::{Decay, LogReturns, MacroCorrelation, NS_PER_YEAR, TailEstimator, VolOfVol};

const LN2: f64 = std::f64::consts::LN_2;

/// Weight at `t_last` of an observation at `t` under half-life `h`.
fn weight(t_last: u64, t: u64, h: u64) -> f64 {
    (-((t_last - t) as f64) * LN2 / h as f64).exp()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-300
}

fn times_and_values(steps: &[(u64, f64)], start: f64) -> Vec<(u64, f64)> {
    let mut out = vec![(0u64, start)];
    for &(dt, r) in steps {
        let &(t, v) = out.last().unwrap();
        out.push((t + dt, v * r.exp()));
    }
    out
}

/// Vol-of-vol from scratch after the first `n` readings.
fn brute_vol_of_vol(vols: &[(u64, f64)], h: u64) -> Option<f64> {
    let t_last = vols.last()?.0;
    let (mut s, mut w) = (0.0, 0.0);
    for pair in vols.windows(2) {
        let k = weight(t_last, pair[1].0, h);
        s += k * (pair[1].1 / pair[0].1).ln().powi(2);
        w += k * (pair[1].0 - pair[0].0) as f64;
    }
    (w > 0.0).then(|| (s / w * NS_PER_YEAR).sqrt())
}

proptest! {
    #[test]
    fn vol_of_vol_and_acceleration_match_brute_force(
        steps in prop::collection::vec((1_000_000u64..120_000_000_000, -0.3f64..0.3), 1..60),
        h_s in 10u64..3_600,
    ) {
        let h = h_s * 1_000_000_000;
        let vols = times_and_values(&steps, 0.6);
        let mut vv = VolOfVol::new(Decay::HalfLife { half_life_ns: h }).unwrap();
        // Acceleration from its definition: slopes of vol-of-vol between readings, weighted
        // (1 − f_i)·Π_{j>i} f_j, the first slope taken whole.
        let mut slopes: Vec<(u64, u64, f64)> = Vec::new(); // (t, dt, slope)
        for n in 0..vols.len() {
            vv.update(vols[n].0, vols[n].1).unwrap();
            let want = brute_vol_of_vol(&vols[..=n], h);
            match (vv.vol_of_vol(), want) {
                (Some(g), Some(w)) => prop_assert!(close(g, w, 1e-9), "{g} vs {w}"),
                (g, w) => prop_assert_eq!(g, w),
            }
            if n >= 2 {
                let before = brute_vol_of_vol(&vols[..n], h).unwrap();
                let dt = vols[n].0 - vols[n - 1].0;
                slopes.push((vols[n].0, dt, (want.unwrap() - before) / (dt as f64 / NS_PER_YEAR)));
                let t_last = vols[n].0;
                let mut acc = weight(t_last, slopes[0].0, h) * slopes[0].2;
                for &(t, dt, slope) in &slopes[1..] {
                    let f = (-(dt as f64) * LN2 / h as f64).exp();
                    acc += (1.0 - f) * weight(t_last, t, h) * slope;
                }
                let got = vv.acceleration().unwrap();
                let scale = slopes.iter().map(|s| s.2.abs()).fold(0.0, f64::max);
                prop_assert!((got - acc).abs() <= 1e-7 * scale + 1e-12, "{got} vs {acc}");
            } else {
                prop_assert_eq!(vv.acceleration(), None);
            }
        }
    }

    #[test]
    fn tail_matches_brute_force(
        steps in prop::collection::vec((1u64..10_000_000_000, -0.05f64..0.05), 1..100),
        h_s in 1u64..10_000,
    ) {
        let h = h_s * 1_000_000_000;
        let prints = times_and_values(&steps, 100.0);
        let mut returns = LogReturns::default();
        let mut tail = TailEstimator::new(Decay::HalfLife { half_life_ns: h }, (3.0, 30.0)).unwrap();
        for &(t, p) in &prints {
            if let Some(r) = returns.update(t, p).unwrap() {
                tail.update(&r);
            }
        }
        let t_last = prints.last().unwrap().0;
        let (mut w, mut m2, mut m4) = (0.0, 0.0, 0.0);
        for pair in prints.windows(2) {
            let dt = pair[1].0 - pair[0].0;
            let f = (-(dt as f64) * LN2 / h as f64).exp();
            let k = (1.0 - f) * weight(t_last, pair[1].0, h);
            let z2 = (pair[1].1 / pair[0].1).ln().powi(2) / dt as f64;
            w += k;
            m2 += k * z2;
            m4 += k * z2 * z2;
        }
        let kurtosis = m4 * w / (m2 * m2);
        let got = tail.kurtosis().unwrap();
        prop_assert!(close(got, kurtosis, 1e-8), "{got} vs {kurtosis}");
        let nu = tail.degrees_of_freedom().unwrap();
        prop_assert!((3.0..=30.0).contains(&nu));
        if kurtosis > 3.0 + 6.0 / 26.0 + 1e-6 {
            prop_assert!(close(nu, 6.0 / (kurtosis - 3.0) + 4.0, 1e-6));
        }
    }

    #[test]
    fn correlation_matches_brute_force(
        events in prop::collection::vec((any::<bool>(), 1u64..5_000_000_000, -0.03f64..0.03), 2..120),
        h_s in 1u64..3_600,
    ) {
        let h = h_s * 1_000_000_000;
        let mut c = MacroCorrelation::new(Decay::HalfLife { half_life_ns: h }, 1).unwrap();
        let (mut t, mut u, mut m) = (0u64, 100.0f64, 50.0f64);
        let mut tape = Vec::new(); // (is_macro, t, level)
        for &(is_macro, dt, r) in &events {
            t += dt;
            if is_macro {
                m *= r.exp();
                c.update_macro(3, t, m).unwrap();
                tape.push((true, t, m));
            } else {
                u *= (0.5 * r + 0.01 * dt as f64 / 5e9).exp();
                c.update_underlying(t, u).unwrap();
                tape.push((false, t, u));
            }
        }
        // Brute force: samples at macro updates, underlying at its last print before each.
        let mut last_u = None;
        let mut samples = Vec::new(); // (t, u at sample, m)
        for &(is_macro, t, level) in &tape {
            if is_macro { samples.push((t, last_u, level)); } else { last_u = Some(level); }
        }
        let (mut suu, mut smm, mut sum) = (0.0, 0.0, 0.0);
        if let Some(&(t_last, _, _)) = samples.last() {
            for pair in samples.windows(2) {
                if let (Some(u0), Some(u1)) = (pair[0].1, pair[1].1) {
                    let k = weight(t_last, pair[1].0, h);
                    let ru = (u1 / u0).ln();
                    let rm = (pair[1].2 / pair[0].2).ln();
                    suu += k * ru * ru;
                    smm += k * rm * rm;
                    sum += k * ru * rm;
                }
            }
        }
        let want_beta = (smm > 0.0).then(|| sum / smm);
        match (c.beta(3), want_beta) {
            (Some(g), Some(w)) => prop_assert!((g - w).abs() <= 1e-9 * (1.0 + w.abs()), "{g} vs {w}"),
            (g, w) => prop_assert_eq!(g, w),
        }
        let want_corr = (suu * smm > 0.0).then(|| sum / (suu * smm).sqrt());
        match (c.correlation(3), want_corr) {
            (Some(g), Some(w)) => prop_assert!((g - w).abs() <= 1e-9, "{g} vs {w}"),
            (g, w) => prop_assert_eq!(g, w),
        }
        prop_assert_eq!(c.correlation(4), None);
    }
}

#[test]
fn normal_returns_give_thin_tails_and_a_jump_gives_fat_ones() {
    // Alternating ±r: kurtosis 1 (no tails at all) → ν at the upper bound.
    let mut returns = LogReturns::default();
    let mut tail = TailEstimator::new(Decay::half_life_secs(600), (3.0, 30.0)).unwrap();
    let mut p = 100.0;
    for i in 0..200u64 {
        p *= if i % 2 == 0 { 1.001 } else { 1.0 / 1.001 };
        if let Some(r) = returns.update(i * 1_000_000_000, p).unwrap() {
            tail.update(&r);
        }
    }
    assert!((tail.kurtosis().unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(tail.degrees_of_freedom(), Some(30.0));
    // One 5 % jump among 1 bp moves: heavy tails, ν close to 4.
    let r = returns
        .update(200 * 1_000_000_000, p * 1.05)
        .unwrap()
        .unwrap();
    tail.update(&r);
    let nu = tail.degrees_of_freedom().unwrap();
    assert!(nu > 4.0 && nu < 4.1, "nu {nu}");
    assert!(TailEstimator::new(Decay::half_life_secs(1), (5.0, 4.0)).is_err());
}

#[test]
fn correlation_refuses_bad_input_without_change() {
    let mut c = MacroCorrelation::new(Decay::half_life_secs(60), 2).unwrap();
    c.update_underlying(10, 100.0).unwrap();
    c.update_macro(1, 10, 5.0).unwrap();
    c.update_macro(2, 12, 7.0).unwrap();
    let before = c.clone();
    assert!(c.update_macro(1, 10, 5.0).is_err()); // duplicate time on series 1
    assert!(c.update_macro(1, 11, f64::NAN).is_err());
    assert!(c.update_underlying(9, 100.0).is_err());
    assert!(c.update_underlying(11, 0.0).is_err());
    assert_eq!(c, before);
    assert_eq!(c.series().collect::<Vec<_>>(), vec![1, 2]);
}

#[test]
fn vol_of_vol_refuses_bad_input_without_change() {
    let mut vv = VolOfVol::new(Decay::half_life_secs(60)).unwrap();
    vv.update(1, 0.5).unwrap();
    let before = vv;
    assert!(vv.update(2, 0.0).is_err());
    assert!(vv.update(1, 0.6).is_err());
    assert_eq!(vv, before);
}
