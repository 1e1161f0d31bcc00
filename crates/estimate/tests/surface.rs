//! The IV smile and surface against a brute-force twin and properties.

use proptest::prelude::*;
use recal_estimate::{Black76, OptionKind, SabrParams, Smile, VolSurface};

/// From scratch: the last IV set for each strike, sorted, then a linear scan for the
/// neighbours and linear total variance in log-moneyness between them, flat outside.
fn twin_vol(forward: f64, updates: &[(f64, Option<f64>)], strike: f64) -> Option<f64> {
    let mut quotes: Vec<(f64, f64)> = Vec::new();
    for &(k, iv) in updates {
        quotes.retain(|q| q.0 != k);
        if let Some(v) = iv {
            quotes.push((k, v));
        }
    }
    quotes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (first, last) = (quotes.first()?, quotes.last()?);
    if strike <= first.0 {
        return Some(first.1);
    }
    if strike >= last.0 {
        return Some(last.1);
    }
    let i = quotes.iter().position(|q| q.0 >= strike)?;
    let (lo, hi) = (quotes[i - 1], quotes[i]);
    if hi.0 == strike {
        return Some(hi.1);
    }
    let x = |k: f64| (k / forward).ln();
    let w =
        lo.1 * lo.1 + (hi.1 * hi.1 - lo.1 * lo.1) * ((x(strike) - x(lo.0)) / (x(hi.0) - x(lo.0)));
    Some(w.sqrt())
}

/// Strikes on a coarse grid so that updates often replace an existing strike.
fn strike() -> impl Strategy<Value = f64> {
    (10u32..60).prop_map(|i| f64::from(i) * 5.0)
}

proptest! {
    #[test]
    fn incremental_smile_equals_recomputation_from_scratch(
        updates in prop::collection::vec((strike(), prop::option::weighted(0.85, 0.05f64..3.0)), 1..60),
        queries in prop::collection::vec(20.0f64..400.0, 1..20),
    ) {
        let forward = 150.0;
        let mut smile = Smile::new(forward, 0.3, 1.0).unwrap();
        for (i, &(k, iv)) in updates.iter().enumerate() {
            match iv {
                Some(v) => { smile.set_iv(k, v).unwrap(); }
                None => { smile.remove_strike(k); }
            }
            for &q in queries.iter().chain(updates[..=i].iter().map(|u| &u.0)) {
                let want = twin_vol(forward, &updates[..=i], q);
                let got = smile.vol(q).ok();
                prop_assert_eq!(got, want, "at strike {}", q);
            }
        }
    }

    #[test]
    fn interpolated_total_variance_lies_between_its_neighbours(
        vols in prop::collection::vec(0.05f64..3.0, 2..12),
        t in 0.01f64..3.0,
        u in 0.0f64..1.0,
        segment in 0usize..11,
    ) {
        let forward = 100.0;
        let strikes: Vec<f64> = (0..vols.len()).map(|i| 50.0 + 10.0 * i as f64).collect();
        let mut smile = Smile::new(forward, t, 1.0).unwrap();
        for (&k, &v) in strikes.iter().zip(&vols) {
            smile.set_iv(k, v).unwrap();
        }
        let i = segment % (vols.len() - 1);
        let strike = strikes[i] + u * (strikes[i + 1] - strikes[i]);
        let w = smile.total_variance((strike / forward).ln()).unwrap();
        let (w0, w1) = (vols[i] * vols[i] * t, vols[i + 1] * vols[i + 1] * t);
        let tol = 1e-13 * w0.max(w1);
        prop_assert!(w >= w0.min(w1) - tol && w <= w0.max(w1) + tol, "{w} outside [{w0}, {w1}]");
    }

    #[test]
    fn calendar_interpolation_is_monotone_when_the_nodes_are(
        base in prop::collection::vec(0.2f64..1.5, 3..6),
        growth in prop::collection::vec(prop::collection::vec(0.0f64..0.5, 3..6), 2..5),
        strike in 40.0f64..250.0,
        times in prop::collection::vec(0.001f64..2.0, 2..20),
    ) {
        // Expiries 30, 60, 90, ... days with w growing at every quoted strike.
        const DAY: u64 = 86_400_000_000_000;
        let year = 365.0 * 86_400e9;
        let mut surface = VolSurface::new(year, 1.0).unwrap();
        let strikes = [60.0, 90.0, 100.0, 120.0, 160.0];
        let n = base.len();
        let mut w: Vec<f64> = base.iter().map(|v| v * v * 30.0 / 365.0).collect();
        for (e, g) in std::iter::once(&vec![0.0; n]).chain(&growth).enumerate() {
            let expiry = 30 * DAY * (e as u64 + 1);
            let t = (e as f64 + 1.0) * 30.0 / 365.0;
            surface.set_forward(expiry, 100.0).unwrap();
            for i in 0..n {
                w[i] += g.get(i).copied().unwrap_or(0.0) * 30.0 / 365.0;
                surface.set_iv(expiry, strikes[i], (w[i] / t).sqrt()).unwrap();
            }
        }
        let mut times = times;
        times.sort_by(f64::total_cmp);
        let total: Vec<f64> = times
            .iter()
            .map(|&t| surface.vol(strike, t).unwrap().powi(2) * t)
            .collect();
        for pair in total.windows(2) {
            prop_assert!(pair[1] >= pair[0] * (1.0 - 1e-12), "{} then {}", pair[0], pair[1]);
        }
    }
}

#[test]
fn atm_vol_is_the_quote_when_a_strike_is_exactly_at_the_forward() {
    let mut smile = Smile::new(9_250.0, 0.1, 1.0).unwrap();
    for (k, v) in [
        (8_000.0, 0.9),
        (9_000.0, 0.78),
        (9_250.0, 0.7654321),
        (10_000.0, 0.74),
    ] {
        smile.set_iv(k, v).unwrap();
    }
    assert_eq!(smile.summary().unwrap().atm_vol, 0.7654321);
    // Without it, the interpolated value in total variance.
    smile.remove_strike(9_250.0);
    let x = |k: f64| (k / 9_250.0f64).ln();
    let w = 0.78f64.powi(2)
        + (0.74f64.powi(2) - 0.78f64.powi(2)) * (0.0 - x(9_000.0)) / (x(10_000.0) - x(9_000.0));
    assert!((smile.summary().unwrap().atm_vol - w.sqrt()).abs() < 1e-15);
}

/// Black-76 forward delta at `strike` with the smile's own vol there, by the pricing crate.
fn forward_delta(smile: &Smile, kind: OptionKind, strike: f64) -> f64 {
    let vol = smile.vol(strike).unwrap();
    let (f, t) = (smile.forward(), smile.expiry_years());
    let s = vol * t.sqrt();
    let d1 = ((f / strike).ln() + 0.5 * s * s) / s;
    let call = recal_greeks::normal_cdf(d1);
    // Cross-check d1 against a finite difference of the Black-76 price in the forward.
    let option = |f| Black76 {
        kind,
        forward: f,
        strike,
        expiry_years: t,
        discount: 1.0,
    };
    let h = 1e-4 * f;
    let fd = (option(f + h).price(vol).unwrap() - option(f - h).price(vol).unwrap()) / (2.0 * h);
    let delta = if kind == OptionKind::Call {
        call
    } else {
        call - 1.0
    };
    assert!((fd - delta).abs() < 1e-6, "{fd} vs {delta}");
    delta
}

#[test]
fn the_25_delta_strikes_have_a_25_delta() {
    let mut smile = Smile::new(9_300.0, 0.12, 1.0).unwrap();
    for (k, v) in [
        (6_000.0, 1.05),
        (7_500.0, 0.9),
        (9_000.0, 0.8),
        (10_000.0, 0.78),
        (12_000.0, 0.85),
    ] {
        smile.set_iv(k, v).unwrap();
    }
    let call = smile.strike_at_delta(0.25).unwrap();
    let put = smile.strike_at_delta(-0.25).unwrap();
    assert!((forward_delta(&smile, OptionKind::Call, call) - 0.25).abs() < 1e-12);
    assert!((forward_delta(&smile, OptionKind::Put, put) + 0.25).abs() < 1e-12);
    let s = smile.summary().unwrap();
    let (vc, vp) = (smile.vol(call).unwrap(), smile.vol(put).unwrap());
    assert_eq!(s.risk_reversal_25, vc - vp);
    assert!((s.butterfly_25 - (0.5 * (vc + vp) - s.atm_vol)).abs() < 1e-15);
}

proptest! {
    /// Quotes at d₁ = ±z with equal vols (a smile symmetric in delta) give RR25 = 0. The
    /// smiles are kept sane (vol rising away from the money by at most 20 % per step, strikes
    /// in the order of d₁), so that d₁ falls with k and the 25-delta strikes are unique.
    #[test]
    fn risk_reversal_vanishes_for_a_smile_symmetric_in_delta(
        wings in prop::collection::vec((0.05f64..1.0, 1.0f64..1.2), 0..5),
        atm in 0.3f64..1.2,
        skew25 in 0.9f64..1.4,
        t in 0.01f64..2.0,
    ) {
        let forward = 9_000.0;
        let z25 = recal_greeks::normal_quantile(0.75).unwrap();
        let mut smile = Smile::new(forward, t, 1.0).unwrap();
        // k(d₁) = w/2 − d₁√w for a quote of vol σ placed at d₁.
        let wing25 = atm * skew25;
        let mut nodes = vec![(0.0, atm), (z25, wing25), (-z25, wing25)];
        let (mut z, mut vol) = (z25, wing25);
        for &(dz, rise) in &wings {
            z += dz;
            vol *= rise;
            nodes.push((z, vol));
            nodes.push((-z, vol));
        }
        nodes.sort_by(|a, b| a.0.total_cmp(&b.0));
        let k_of = |(d1, vol): (f64, f64)| {
            let w = vol * vol * t;
            0.5 * w - d1 * w.sqrt()
        };
        // Only placements whose strikes fall as d₁ rises describe a smile.
        prop_assume!(nodes.windows(2).all(|p| k_of(p[1]) < k_of(p[0])));
        for &node in &nodes {
            smile.set_iv(forward * k_of(node).exp(), node.1).unwrap();
        }
        let s = smile.summary().unwrap();
        prop_assert!(s.risk_reversal_25.abs() < 1e-10, "RR25 = {}", s.risk_reversal_25);
        prop_assert!((s.butterfly_25 - (wing25 - smile.vol(forward).unwrap())).abs() < 1e-10);
    }
}

#[test]
fn flat_smile_has_no_risk_reversal_or_butterfly() {
    let mut smile = Smile::new(100.0, 0.7, 1.0).unwrap();
    smile.set_iv(100.0, 0.6).unwrap();
    let s = smile.summary().unwrap();
    assert_eq!(
        (s.atm_vol, s.risk_reversal_25, s.butterfly_25),
        (0.6, 0.0, 0.0)
    );
}

#[test]
fn wings_are_flat_until_sabr_converges_then_follow_it() {
    let truth = SabrParams {
        alpha: 0.8,
        beta: 1.0,
        rho: -0.2,
        nu: 1.5,
    };
    let (forward, t) = (9_000.0, 0.08);
    let mut smile = Smile::new(forward, t, 1.0).unwrap();
    for k in [
        7_000.0, 8_000.0, 8_500.0, 9_000.0, 9_500.0, 10_000.0, 11_000.0,
    ] {
        smile
            .set_iv(k, truth.lognormal_vol(forward, k, t).unwrap())
            .unwrap();
    }
    let edge = smile.vol(11_000.0).unwrap();
    assert_eq!(smile.vol(15_000.0).unwrap(), edge);
    assert!(!smile.summary().unwrap().converged);
    let mut slices = 0;
    while smile.fit_pending() {
        assert_eq!(
            smile.vol(15_000.0).unwrap(),
            edge,
            "flat before convergence"
        );
        smile.calibrate(2);
        slices += 1;
        assert!(slices < 1_000);
    }
    let s = smile.summary().unwrap();
    assert!(s.converged && s.fit_rmse.unwrap() < 1e-8);
    for k in [3_000.0, 5_000.0, 15_000.0, 25_000.0] {
        let want = truth.lognormal_vol(forward, k, t).unwrap();
        assert!((smile.vol(k).unwrap() - want).abs() < 1e-7, "{k}");
    }
    // A new quote makes the fit pending again; the wings keep the converged fit meanwhile.
    let wing = smile.vol(25_000.0).unwrap();
    smile
        .set_iv(9_250.0, truth.lognormal_vol(forward, 9_250.0, t).unwrap())
        .unwrap();
    assert!(smile.fit_pending() && !smile.summary().unwrap().converged);
    assert_eq!(smile.vol(25_000.0).unwrap(), wing);
}

#[test]
fn surface_time_rules_and_clock() {
    const DAY: u64 = 86_400_000_000_000;
    let year = 365.0 * 86_400e9;
    let mut surface = VolSurface::new(year, 1.0).unwrap();
    surface.set_time(DAY).unwrap();
    surface.set_forward(11 * DAY, 100.0).unwrap();
    surface.set_forward(31 * DAY, 104.0).unwrap();
    for (k, v) in [(90.0, 0.9), (100.0, 0.8), (110.0, 0.85)] {
        surface.set_iv(11 * DAY, k, v).unwrap();
        surface.set_iv(31 * DAY, k * 1.04, v - 0.1).unwrap();
    }
    // At an expiry: that smile exactly.
    assert_eq!(surface.vol(110.0, 10.0 / 365.0).unwrap(), 0.85);
    // Before the first and after the last: flat vol at fixed log-moneyness.
    assert_eq!(surface.vol(100.0, 1.0 / 365.0).unwrap(), 0.8);
    assert!((surface.vol(104.0, 2.0).unwrap() - 0.7).abs() < 1e-15);
    // Between: ln F linear in T, so at 20 days F = 100·1.04^½ and the ATM w interpolates.
    let f = 100.0 * 1.04f64.sqrt();
    let w: f64 = 0.5 * (0.64 * 10.0 + 0.49 * 30.0) / 365.0;
    assert!((surface.vol(f, 20.0 / 365.0).unwrap() - (w * 365.0 / 20.0).sqrt()).abs() < 1e-14);
    // The clock: expiries age, expired ones go, time never runs back.
    surface.set_time(21 * DAY).unwrap();
    assert_eq!(surface.expiries().count(), 1);
    assert!((surface.smile(31 * DAY).unwrap().expiry_years() - 10.0 / 365.0).abs() < 1e-15);
    assert!(surface.set_time(20 * DAY).is_err());
    assert!(surface.set_forward(21 * DAY, 100.0).is_err());
    assert!(surface.set_iv(40 * DAY, 100.0, 0.5).is_err());
}

#[test]
fn surface_calibration_is_sliced_round_robin_until_all_fits_converge() {
    const DAY: u64 = 86_400_000_000_000;
    let mut surface = VolSurface::new(365.0 * 86_400e9, 1.0).unwrap();
    surface.set_time(0).unwrap();
    let truth = SabrParams {
        alpha: 0.7,
        beta: 1.0,
        rho: 0.1,
        nu: 1.0,
    };
    for days in [7u64, 30, 90] {
        let t = days as f64 / 365.0;
        surface.set_forward(days * DAY, 9_000.0).unwrap();
        for k in [7_000.0, 8_000.0, 9_000.0, 10_000.0, 12_000.0] {
            surface
                .set_iv(days * DAY, k, truth.lognormal_vol(9_000.0, k, t).unwrap())
                .unwrap();
        }
    }
    let mut slices = 0;
    while surface.calibrate(3) > 0 {
        slices += 1;
        assert!(slices < 3_000);
    }
    assert!(slices >= 3);
    for (expiry, summary) in surface.summaries() {
        let s = summary.unwrap();
        assert!(s.converged && s.fit_rmse.unwrap() < 1e-8, "{expiry}: {s:?}");
    }
}

#[test]
fn bad_inputs_are_refused_without_change() {
    let mut smile = Smile::new(100.0, 0.5, 1.0).unwrap();
    assert!(smile.vol(100.0).is_err());
    assert!(smile.summary().is_err());
    for (k, v) in [
        (f64::NAN, 0.5),
        (-1.0, 0.5),
        (100.0, 0.0),
        (100.0, f64::INFINITY),
    ] {
        assert!(smile.set_iv(k, v).is_err());
    }
    assert!(smile.is_empty());
    assert!(Smile::new(100.0, 0.0, 1.0).is_err());
    assert!(Smile::new(100.0, 0.5, 1.5).is_err());
    smile.set_iv(100.0, 0.5).unwrap();
    for d in [0.0, 1.0, -1.0, 1.5, f64::NAN] {
        assert!(smile.strike_at_delta(d).is_err(), "{d}");
    }
    assert!(VolSurface::new(0.0, 1.0).is_err());
    assert!(VolSurface::new(1.0, -0.1).is_err());
}
