//! SABR: Hagan formula checks and calibration.
//!
//! Published reference values: the 31-strike table of QuantLib's test suite
//! (`test-suite/interpolations.cpp`, `testSabrInterpolation`: "input volatilities" of
//! `sabrVolatility`, Hagan et al.'s eq. (2.17a), for α = 0.3, β = 0.6, ν = 0.02, ρ = 0.01,
//! F = 0.039, T = 1, asserted there to 1e-12) are reproduced, and calibration to that table
//! recovers (α, ρ, ν), as QuantLib's own test does.
//!
//! Beyond the table, the formula is checked against (1) exact limits: β = 1, ν = 0 is
//! geometric Brownian motion (a flat smile at α), and the at-the-money closed form
//! `α/F^{1−β}·[1 + (…)T]`; (2) an independent, literal transcription of eq. (2.17a) of Hagan,
//! Kumar, Lesniewski, Woodward, "Managing smile risk", Wilmott Magazine (Sept. 2002), with the
//! textbook `χ(z) = ln[(√(1−2ρz+z²) + z − ρ)/(1−ρ)]`, away from the money where that form is
//! accurate; (3) continuity through `K = F`, where the library switches to the series of
//! `z/χ(z)`. Calibration is checked by recovering known parameters from synthetic smiles.

use proptest::prelude::*;
use recal_estimate::{EstimateError, SabrCalibration, SabrParams};

/// Eq. (2.17a), transcribed literally (valid away from K = F).
fn hagan_textbook(p: &SabrParams, f: f64, k: f64, t: f64) -> f64 {
    let (a, b, r, n) = (p.alpha, p.beta, p.rho, p.nu);
    let fk = f * k;
    let lfk = (f / k).ln();
    let z = n / a * fk.powf((1.0 - b) / 2.0) * lfk;
    let chi = (((1.0 - 2.0 * r * z + z * z).sqrt() + z - r) / (1.0 - r)).ln();
    let denominator = fk.powf((1.0 - b) / 2.0)
        * (1.0 + (1.0 - b).powi(2) / 24.0 * lfk.powi(2) + (1.0 - b).powi(4) / 1920.0 * lfk.powi(4));
    let bracket = 1.0
        + ((1.0 - b).powi(2) / 24.0 * a * a / fk.powf(1.0 - b)
            + r * b * n * a / (4.0 * fk.powf((1.0 - b) / 2.0))
            + (2.0 - 3.0 * r * r) / 24.0 * n * n)
            * t;
    a / denominator * (z / chi) * bracket
}

fn params() -> impl Strategy<Value = SabrParams> {
    (0.05f64..1.5, 0.0f64..=1.0, -0.95f64..0.95, 0.01f64..3.0).prop_map(|(alpha, beta, rho, nu)| {
        SabrParams {
            alpha,
            beta,
            rho,
            nu,
        }
    })
}

proptest! {
    #[test]
    fn matches_textbook_transcription_away_from_the_money(
        p in params(), log_moneyness in prop_oneof![-2.0f64..-0.05, 0.05f64..2.0], t in 0.01f64..3.0,
    ) {
        let f = 100.0f64;
        let alpha = p.alpha * f.powf(1.0 - p.beta); // keep vols O(α) whatever β
        let p = SabrParams { alpha, ..p };
        let k = f * (-log_moneyness).exp();
        let want = hagan_textbook(&p, f, k, t);
        match p.lognormal_vol(f, k, t) {
            Ok(got) => prop_assert!((got - want).abs() <= 1e-10 * want.abs(), "{got} vs {want}"),
            Err(_) => prop_assert!(want <= 0.0, "refused a valid vol {want}"),
        }
    }

    #[test]
    fn continuous_through_the_money(p in params(), t in 0.01f64..3.0) {
        let f = 2.5f64;
        let p = SabrParams { alpha: p.alpha * f.powf(1.0 - p.beta), ..p };
        let atm = p.lognormal_vol(f, f, t);
        prop_assume!(atm.is_ok()); // the expansion can break down (negative vol) for long T
        let atm = atm.unwrap();
        // Left and right limits by the textbook form at |ln(F/K)| = 1e-4, and the library
        // value at 1e-9 (series branch) and 1e-4 (closed form branch).
        let mut sides = [0.0; 2];
        for (side, eps) in sides.iter_mut().zip([1e-4f64, -1e-4]) {
            let k = f * (-eps).exp();
            let textbook = hagan_textbook(&p, f, k, t);
            *side = p.lognormal_vol(f, k, t).unwrap();
            prop_assert!((*side - textbook).abs() <= 1e-9 * textbook.abs(), "{side} vs {textbook}");
        }
        // Smooth: the ATM value is the midpoint of its neighbours up to second order.
        let midpoint = 0.5 * (sides[0] + sides[1]);
        prop_assert!((midpoint - atm).abs() <= 1e-5 * atm, "{midpoint} vs atm {atm}");
        let near = p.lognormal_vol(f, f * (1.0 + 1e-9), t).unwrap();
        prop_assert!((near - atm).abs() <= 1e-7 * atm);
    }
}

/// QuantLib `test-suite/interpolations.cpp`, `testSabrInterpolation`: strikes 0.030 to 0.090
/// in steps of 0.002 and the Hagan (2002) lognormal vols it asserts for them.
const QUANTLIB_SABR_VOLS: [f64; 31] = [
    1.16725837321531,
    1.15226075991385,
    1.13829711098834,
    1.12524190877505,
    1.11299079244474,
    1.10145609357162,
    1.09056348513411,
    1.08024942745106,
    1.07045919457758,
    1.06114533019077,
    1.05226642581503,
    1.04378614411707,
    1.03567243073732,
    1.0278968727451,
    1.02043417226345,
    1.01326171139321,
    1.00635919013311,
    0.999708323124949,
    0.993292584155381,
    0.987096989695393,
    0.98110791455717,
    0.975312934134512,
    0.969700688771689,
    0.964260766651027,
    0.958983602256592,
    0.953860388001395,
    0.948882997029509,
    0.944043915545469,
    0.939336183299237,
    0.934753341079515,
    0.930289384251337,
];

/// The parameters and market of that table.
const QUANTLIB_SABR: SabrParams = SabrParams {
    alpha: 0.3,
    beta: 0.6,
    rho: 0.01,
    nu: 0.02,
};
const QUANTLIB_FORWARD: f64 = 0.039;

fn quantlib_points() -> Vec<(f64, f64)> {
    QUANTLIB_SABR_VOLS
        .iter()
        .enumerate()
        .map(|(i, &vol)| (0.03 + 0.002 * i as f64, vol))
        .collect()
}

#[test]
fn reproduces_quantlib_reference_table() {
    let mut worst = 0.0f64;
    for (strike, want) in quantlib_points() {
        let got = QUANTLIB_SABR
            .lognormal_vol(QUANTLIB_FORWARD, strike, 1.0)
            .unwrap();
        worst = worst.max((got - want).abs());
    }
    println!("QuantLib SABR table: worst abs difference {worst:.2e}");
    // QuantLib asserts its own values to 1e-12; the table is printed to 15 significant digits.
    assert!(worst <= 1e-12, "{worst}");
}

#[test]
fn calibration_recovers_quantlib_table_parameters() {
    // As QuantLib's test does for its Levenberg–Marquardt run (there to 5e-8, β fixed).
    let mut fit =
        SabrCalibration::new(QUANTLIB_FORWARD, 1.0, 0.6, &quantlib_points(), None).unwrap();
    fit.run(500);
    let got = fit.params();
    assert!(fit.rmse() < 1e-10, "rmse {}", fit.rmse());
    assert!((got.alpha - QUANTLIB_SABR.alpha).abs() < 5e-8, "{got:?}");
    assert!((got.rho - QUANTLIB_SABR.rho).abs() < 5e-6, "{got:?}");
    assert!((got.nu - QUANTLIB_SABR.nu).abs() < 5e-7, "{got:?}");
}

#[test]
fn exact_limits() {
    // GBM: flat smile at α whatever ρ, strike and expiry.
    for rho in [-0.9, 0.0, 0.7] {
        let gbm = SabrParams {
            alpha: 0.45,
            beta: 1.0,
            rho,
            nu: 0.0,
        };
        for k in [20.0, 95.0, 100.0, 180.0, 1000.0] {
            assert!((gbm.lognormal_vol(100.0, k, 2.0).unwrap() - 0.45).abs() < 1e-15);
        }
    }
    // ATM closed form: σ = α/F^{1−β} · [1 + ((1−β)²α²/(24F^{2−2β}) + ρβνα/(4F^{1−β}) + (2−3ρ²)ν²/24) T].
    let p = SabrParams {
        alpha: 0.3,
        beta: 0.5,
        rho: -0.4,
        nu: 0.8,
    };
    let (f, t) = (4.0f64, 1.5);
    let want = p.alpha / f.sqrt()
        * (1.0
            + (0.25 * p.alpha * p.alpha / (24.0 * f)
                + p.rho * 0.5 * p.nu * p.alpha / (4.0 * f.sqrt())
                + (2.0 - 3.0 * p.rho * p.rho) * p.nu * p.nu / 24.0)
                * t);
    assert!((p.lognormal_vol(f, f, t).unwrap() - want).abs() < 1e-15);
}

#[test]
fn invalid_parameters_are_errors() {
    let p = SabrParams {
        alpha: 0.3,
        beta: 0.5,
        rho: -0.4,
        nu: 0.8,
    };
    assert!(
        SabrParams { rho: 1.0, ..p }
            .lognormal_vol(1.0, 1.0, 1.0)
            .is_err()
    );
    assert!(
        SabrParams { alpha: 0.0, ..p }
            .lognormal_vol(1.0, 1.0, 1.0)
            .is_err()
    );
    assert!(
        SabrParams { beta: 1.5, ..p }
            .lognormal_vol(1.0, 1.0, 1.0)
            .is_err()
    );
    assert!(
        SabrParams { nu: f64::NAN, ..p }
            .lognormal_vol(1.0, 1.0, 1.0)
            .is_err()
    );
    assert!(p.lognormal_vol(1.0, -1.0, 1.0).is_err());
    assert!(p.lognormal_vol(1.0, 1.0, -1.0).is_err());
    assert_eq!(
        SabrCalibration::new(1.0, 1.0, 1.0, &[(1.0, 0.2), (1.1, 0.2)], None).unwrap_err(),
        EstimateError::TooFewPoints { needed: 3, got: 2 }
    );
    assert!(
        SabrCalibration::new(
            1.0,
            1.0,
            1.0,
            &[(1.0, 0.2), (1.1, f64::NAN), (1.2, 0.2)],
            None
        )
        .is_err()
    );
}

fn smile(truth: &SabrParams, f: f64, t: f64) -> Vec<(f64, f64)> {
    [0.5, 0.65, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25, 1.5, 2.0]
        .iter()
        .map(|&m| (f * m, truth.lognormal_vol(f, f * m, t).unwrap()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn calibration_recovers_known_parameters(
        alpha in 0.2f64..1.5, rho in -0.7f64..0.7, nu in 0.2f64..2.5, beta in prop_oneof![Just(1.0), Just(0.5)],
        t in 0.02f64..2.0,
    ) {
        let f = 9_000.0f64;
        let truth = SabrParams { alpha: alpha * f.powf(1.0 - beta), beta, rho, nu };
        let points = smile(&truth, f, t);
        let mut fit = SabrCalibration::new(f, t, beta, &points, None).unwrap();
        while !fit.converged() && fit.iterations() < 300 {
            prop_assert!(fit.run(4) <= 4);
        }
        let got = fit.params();
        // The expansion's ATM factor α/F^{1−β}·(1 + c·T) is cubic in α along ν/α fixed; past
        // its turning point (c·T < −1/3) two α give the same smile, so only the smile and ρ
        // are identifiable there.
        let correction = truth.lognormal_vol(f, f, t).unwrap() / (truth.alpha / f.powf(1.0 - beta)) - 1.0;
        prop_assume!(correction > -0.3);
        prop_assert!(fit.rmse() < 1e-8, "rmse {} after {} iterations: {got:?} vs {truth:?}", fit.rmse(), fit.iterations());
        prop_assert!((got.rho - rho).abs() < 1e-5 && (got.nu / nu - 1.0).abs() < 1e-5, "{got:?} vs {truth:?}");
    }
}

#[test]
fn warm_start_converges_in_fewer_iterations() {
    let f = 100.0;
    let t = 0.5;
    let before = SabrParams {
        alpha: 0.8,
        beta: 1.0,
        rho: -0.3,
        nu: 1.1,
    };
    let after = SabrParams {
        alpha: 0.82,
        beta: 1.0,
        rho: -0.32,
        nu: 1.15,
    };
    let mut cold = SabrCalibration::new(f, t, 1.0, &smile(&after, f, t), None).unwrap();
    cold.run(300);
    let mut warm = SabrCalibration::new(f, t, 1.0, &smile(&after, f, t), Some(before)).unwrap();
    warm.run(300);
    assert!(warm.converged() && cold.converged());
    assert!(warm.rmse() < 1e-9 && cold.rmse() < 1e-9);
    assert!(
        warm.iterations() <= cold.iterations(),
        "{} vs {}",
        warm.iterations(),
        cold.iterations()
    );
    // Once converged, further slices do nothing.
    assert_eq!(warm.run(10), 0);
    // New quotes for the same expiry: the fit restarts from where it was.
    let later = SabrParams {
        alpha: 0.85,
        beta: 1.0,
        rho: -0.35,
        nu: 1.2,
    };
    warm.update_quotes(f * 1.01, t - 0.01, &smile(&later, f * 1.01, t - 0.01))
        .unwrap();
    assert!(!warm.converged() && warm.iterations() == 0);
    warm.run(300);
    assert!(warm.converged() && warm.rmse() < 1e-9);
    assert!((warm.params().rho - later.rho).abs() < 1e-6);
    // Bad quotes are refused without change.
    let before = warm.clone();
    assert!(
        warm.update_quotes(f, t, &[(90.0, 0.5), (100.0, f64::NAN), (110.0, 0.5)])
            .is_err()
    );
    assert!(warm.update_quotes(f, 0.0, &smile(&later, f, t)).is_err());
    assert_eq!(warm, before);
}
