//! Static no-arbitrage checks: each kind found on a synthetic smile built to carry it, none on
//! arbitrage-free smiles, and the findings against brute force (a dense scan of the surface,
//! and butterfly spreads priced on every triple of quoted strikes).

use proptest::prelude::*;
use recal_estimate::arbitrage::{TOLERANCE, check_calendar, check_smile};
use recal_estimate::{Arbitrage, Black76, OptionKind, SabrParams, Smile, VolSurface};

const DAY: u64 = 86_400_000_000_000;
const YEAR: f64 = 365.0 * DAY as f64;

fn smile(forward: f64, t: f64, quotes: &[(f64, f64)]) -> Smile {
    let mut s = Smile::new(forward, t, 1.0).unwrap();
    for &(k, v) in quotes {
        s.set_iv(k, v).unwrap();
    }
    s
}

/// A SABR smile sampled at `strikes`: arbitrage-free for these moderate parameters.
fn sabr_quotes(forward: f64, t: f64, strikes: &[f64]) -> Vec<(f64, f64)> {
    let p = SabrParams {
        alpha: 0.7,
        beta: 1.0,
        rho: -0.2,
        nu: 1.0,
    };
    strikes
        .iter()
        .map(|&k| (k, p.lognormal_vol(forward, k, t).unwrap()))
        .collect()
}

const STRIKES: [f64; 9] = [
    6_000.0, 7_000.0, 8_000.0, 9_000.0, 10_000.0, 11_000.0, 12_000.0, 13_500.0, 15_000.0,
];

#[test]
fn an_arbitrage_free_surface_has_no_findings() {
    let mut surface = VolSurface::new(YEAR, 1.0).unwrap();
    surface.set_time(0).unwrap();
    for days in [7, 30, 90] {
        let t = days as f64 / 365.0;
        surface.set_forward(days * DAY, 10_000.0).unwrap();
        for (k, v) in sabr_quotes(10_000.0, t, &STRIKES) {
            surface.set_iv(days * DAY, k, v).unwrap();
        }
    }
    let counts = surface.check_arbitrage(|finding| panic!("{finding:?}"));
    assert_eq!(counts.total(), 0);
}

#[test]
fn each_kind_is_found_on_a_smile_built_to_carry_it() {
    let t = 30.0 / 365.0;
    // Butterfly: one strike's IV spiked far above its neighbours.
    let mut quotes = sabr_quotes(10_000.0, t, &STRIKES);
    quotes[4].1 += 0.4;
    let mut found = Vec::new();
    let counts = check_smile(1, &smile(10_000.0, t, &quotes), |f| found.push(f));
    assert!(counts.butterfly >= 1, "{found:?}");
    assert!(found.iter().any(
        |f| matches!(f, Arbitrage::Butterfly { strike, excess, .. } if *strike == 10_000.0 && *excess > 0.0)
    ));
    // Vertical spread: a call dearer than the one 100 below it (IV leaps up to the right).
    let quotes = [(9_900.0, 0.3), (10_000.0, 0.3), (10_100.0, 3.0)];
    let mut found = Vec::new();
    let counts = check_smile(1, &smile(10_000.0, t, &quotes), |f| found.push(f));
    assert!(counts.vertical_spread >= 1, "{found:?}");
    assert!(found.iter().any(
        |f| matches!(f, Arbitrage::VerticalSpread { strike, slope, .. } if *strike == 10_000.0 && *slope > 0.0)
    ));
    // Density: total variance so steep between two quotes that Gatheral's g < 0 there.
    let quotes = [(9_000.0, 0.2), (10_000.0, 0.2), (10_500.0, 2.5)];
    let mut found = Vec::new();
    let counts = check_smile(1, &smile(10_000.0, t, &quotes), |f| found.push(f));
    assert!(counts.density >= 1, "{found:?}");
    // Calendar: the later expiry quotes a lower total variance at the money.
    let mut surface = VolSurface::new(YEAR, 1.0).unwrap();
    surface.set_time(0).unwrap();
    surface.set_forward(30 * DAY, 10_000.0).unwrap();
    surface.set_forward(40 * DAY, 10_000.0).unwrap();
    for (k, v) in sabr_quotes(10_000.0, 30.0 / 365.0, &STRIKES) {
        surface.set_iv(30 * DAY, k, v).unwrap();
        surface.set_iv(40 * DAY, k, v * 0.8).unwrap();
    }
    let mut found = Vec::new();
    let counts = surface.check_arbitrage(|f| found.push(f));
    assert_eq!(counts.calendar as usize, 2 * STRIKES.len(), "{found:?}");
    assert!(matches!(
        found.iter().find(|f| matches!(f, Arbitrage::Calendar { .. })),
        Some(Arbitrage::Calendar { near_expiry_ns, far_expiry_ns, .. })
            if *near_expiry_ns == 30 * DAY && *far_expiry_ns == 40 * DAY
    ));
    // The per-expiry check of either expiry sees the pair too.
    assert_eq!(
        surface.check_expiry(40 * DAY, |_| {}).calendar,
        counts.calendar
    );
    assert_eq!(
        surface.check_expiry(30 * DAY, |_| {}).calendar,
        counts.calendar
    );
}

fn undiscounted_call(forward: f64, t: f64, strike: f64, vol: f64) -> f64 {
    let contract = Black76 {
        kind: OptionKind::Call,
        forward,
        strike,
        expiry_years: t,
        discount: 1.0,
    };
    contract.price(vol).unwrap()
}

/// Random smiles: a SABR smile with noise on each quote (sometimes large).
fn noisy_quotes() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec(
        prop_oneof![4 => -0.02f64..0.02, 1 => -0.3f64..0.3],
        STRIKES.len(),
    )
    .prop_map(|noise| {
        sabr_quotes(10_000.0, 30.0 / 365.0, &STRIKES)
            .into_iter()
            .zip(noise)
            .map(|((k, v), n)| (k, (v + n).max(0.05)))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn calendar_findings_match_a_dense_scan(
        near in noisy_quotes(), far_scale in 0.6f64..1.4, far_forward in 9_500.0f64..10_500.0,
    ) {
        let (t0, t1) = (30.0 / 365.0, 45.0 / 365.0);
        let near = smile(10_000.0, t0, &near);
        let far_quotes: Vec<_> = near.quotes().map(|(k, v)| (k * far_forward / 10_000.0, v * far_scale)).collect();
        let far = smile(far_forward, t1, &far_quotes);
        let mut findings = Vec::new();
        let counts = check_calendar((1, &near), (2, &far), |f| findings.push(f));
        // Every finding is real...
        for f in &findings {
            let Arbitrage::Calendar { log_moneyness, near_variance, far_variance, .. } = *f else {
                unreachable!()
            };
            prop_assert_eq!(near.total_variance(log_moneyness).unwrap(), near_variance);
            prop_assert_eq!(far.total_variance(log_moneyness).unwrap(), far_variance);
            prop_assert!(far_variance < near_variance);
        }
        // ...and a dense scan over a wide range finds a fall exactly when the check does
        // (the wings are flat: no fit has run).
        let scan_falls = (-4000..=4000).map(|i| f64::from(i) * 1e-3).any(|k| {
            far.total_variance(k).unwrap() < near.total_variance(k).unwrap() * (1.0 - 1e-6)
        });
        prop_assert!(!scan_falls || counts.calendar > 0, "the scan found a fall the check missed");
    }

    #[test]
    fn butterfly_and_vertical_findings_match_spreads_priced_on_every_triple(quotes in noisy_quotes()) {
        let t = 30.0 / 365.0;
        let s = smile(10_000.0, t, &quotes);
        let mut findings = Vec::new();
        let counts = check_smile(1, &s, |f| findings.push(f));
        let priced: Vec<(f64, f64)> =
            s.quotes().map(|(k, v)| (k, undiscounted_call(10_000.0, t, k, v))).collect();
        // Brute force: no call spread on any two quoted strikes may have a slope outside
        // [−1, 0], and no butterfly on any three a < b < c (weights that cancel the payoff's
        // linear part) a negative price.
        let mut negative_butterfly = false;
        for a in 0..priced.len() {
            for b in a + 1..priced.len() {
                let (ka, ca) = priced[a];
                let (kb, cb) = priced[b];
                let slope = (cb - ca) / (kb - ka);
                let vertical_ok = (-1.0 - TOLERANCE..=TOLERANCE).contains(&slope);
                prop_assert!(vertical_ok || counts.vertical_spread > 0,
                    "call spread {ka}/{kb} slope {slope} missed");
                for &(kc, cc) in &priced[b + 1..] {
                    let w = (kc - kb) / (kc - ka);
                    let price = w * ca + (1.0 - w) * cc - cb;
                    negative_butterfly |= price < -1e-6 * (kc - ka);
                }
            }
        }
        prop_assert!(!negative_butterfly || counts.butterfly > 0, "missed: {:?}", findings);
        // Every butterfly finding is a negatively priced butterfly on its neighbours.
        for f in &findings {
            if let Arbitrage::Butterfly { strike, .. } = *f {
                let b = priced.iter().position(|&(k, _)| k == strike).unwrap();
                let ((ka, ca), (kb, cb), (kc, cc)) = (priced[b - 1], priced[b], priced[b + 1]);
                let w = (kc - kb) / (kc - ka);
                prop_assert!(w * ca + (1.0 - w) * cc - cb < 0.0, "{:?}", f);
            }
        }
    }
}
