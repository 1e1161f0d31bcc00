//! Expected Shortfall against closed forms, numerical integration and brute-force sampling.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use recal_greeks::{
    DEFAULT_LEVEL, GreeksError, filtered_historical_expected_shortfall,
    historical_expected_shortfall, normal_expected_shortfall, student_t_expected_shortfall,
    student_t_quantile, student_t_scale_for_std_dev,
};
use std::f64::consts::PI;

/// φ(Φ⁻¹(α))/(1 − α) evaluated with Φ⁻¹(0.975) = 1.959963984540054 and Φ⁻¹(0.99) =
/// 2.326347874040841 (A&S Table 26.5): 2.337802792201415 and 2.665214220345804. The 97.5 % figure
/// is the "2.338 σ" quoted for FRTB's ES (e.g. McNeil, Frey & Embrechts 2015, §2.3.4).
#[test]
fn normal_es_matches_the_closed_form() {
    let es = normal_expected_shortfall(DEFAULT_LEVEL, 0.0, 1.0).unwrap();
    assert!((es - 2.337_802_792_201_415).abs() < 1e-13);
    let es99 = normal_expected_shortfall(0.99, 0.0, 1.0).unwrap();
    assert!((es99 - 2.665_214_220_345_804).abs() < 1e-13);
    // Location and scale: a P&L with mean +1 and σ = 3.
    let shifted = normal_expected_shortfall(DEFAULT_LEVEL, 1.0, 3.0).unwrap();
    assert!((shifted - (3.0 * 2.337_802_792_201_415 - 1.0)).abs() < 1e-12);
}

/// Student-t densities with elementary normalising constants (Γ at integers and half-integers):
/// ν = 3: 2/(π√3)·(1 + x²/3)⁻², ν = 4: 3/8·(1 + x²/4)^(−5/2), ν = 5: 8/(3π√5)·(1 + x²/5)⁻³.
fn elementary_t_pdf(x: f64, dof: u32) -> f64 {
    match dof {
        3 => 2.0 / (PI * 3f64.sqrt()) * (1.0 + x * x / 3.0).powi(-2),
        4 => 3.0 / 8.0 * (1.0 + x * x / 4.0).powf(-2.5),
        5 => 8.0 / (3.0 * PI * 5f64.sqrt()) * (1.0 + x * x / 5.0).powi(-3),
        _ => unreachable!("only the tabulated degrees of freedom"),
    }
}

/// ES = (1/(1−α)) ∫_{t_α}^∞ x f(x) dx, by Simpson's rule after x = t_α/s (s ∈ (0, 1]).
#[test]
fn student_t_es_matches_numerical_integration() {
    for dof in [3_u32, 4, 5] {
        for level in [0.95, 0.975, 0.99] {
            let nu = f64::from(dof);
            let q = student_t_quantile(level, nu).unwrap();
            let integrand = |s: f64| {
                if s == 0.0 {
                    0.0
                } else {
                    let x = q / s;
                    x * elementary_t_pdf(x, dof) * q / (s * s)
                }
            };
            let n = 20_000;
            let h = 1.0 / f64::from(n);
            let simpson: f64 = (0..=n)
                .map(|i| {
                    let w = if i == 0 || i == n {
                        1.0
                    } else if i % 2 == 1 {
                        4.0
                    } else {
                        2.0
                    };
                    w * integrand(h * f64::from(i))
                })
                .sum::<f64>()
                * h
                / 3.0;
            let numeric = simpson / (1.0 - level);
            let closed = student_t_expected_shortfall(level, nu, 0.0, 1.0).unwrap();
            assert!(
                (closed - numeric).abs() < 1e-7 * closed,
                "ν={dof} α={level}: closed form {closed}, integral {numeric}"
            );
        }
    }
}

#[test]
fn student_t_scaling_and_limits() {
    // Scale and location act linearly.
    let unit = student_t_expected_shortfall(0.975, 4.0, 0.0, 1.0).unwrap();
    let scaled = student_t_expected_shortfall(0.975, 4.0, 2.0, 5.0).unwrap();
    assert!((scaled - (5.0 * unit - 2.0)).abs() < 1e-12);
    // Unit variance: s = √((ν − 2)/ν).
    assert!((student_t_scale_for_std_dev(4.0, 1.0).unwrap() - 0.5_f64.sqrt()).abs() < 1e-15);
    // Fat tails: at equal variance the t ES exceeds the normal one, and tends to it as ν → ∞.
    let normal = normal_expected_shortfall(0.975, 0.0, 1.0).unwrap();
    let t4 = student_t_expected_shortfall(
        0.975,
        4.0,
        0.0,
        student_t_scale_for_std_dev(4.0, 1.0).unwrap(),
    )
    .unwrap();
    assert!(t4 > normal);
    let t_large = student_t_expected_shortfall(
        0.975,
        1e4,
        0.0,
        student_t_scale_for_std_dev(1e4, 1.0).unwrap(),
    )
    .unwrap();
    assert!((t_large - normal).abs() < 1e-3);
    assert!(matches!(
        student_t_expected_shortfall(0.975, 1.0, 0.0, 1.0),
        Err(GreeksError::OutOfRange { .. })
    ));
    assert!(matches!(
        student_t_scale_for_std_dev(2.0, 1.0),
        Err(GreeksError::OutOfRange { .. })
    ));
}

/// Standard normal draws by Box–Muller from uniform variates.
fn normal_draw(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// Historical ES of simulated P&L converges to the closed forms. Sampling error of the tail mean
/// with 200,000 draws (5,000 in the tail) is well under the tolerances used.
#[test]
fn historical_es_of_samples_converges_to_closed_forms() {
    let mut rng = StdRng::seed_from_u64(0x5EED_0001);
    let n = 200_000;
    let normal: Vec<f64> = (0..n).map(|_| 2.0 * normal_draw(&mut rng)).collect();
    let es = historical_expected_shortfall(&normal, DEFAULT_LEVEL).unwrap();
    let exact = normal_expected_shortfall(DEFAULT_LEVEL, 0.0, 2.0).unwrap();
    assert!(
        (es - exact).abs() < 0.02 * exact,
        "normal: sampled {es}, exact {exact}"
    );

    // Student t(5) as Z/√(χ²₅/5), χ²₅ a sum of five squared normals.
    let dof = 5;
    let t: Vec<f64> = (0..n)
        .map(|_| {
            let chi2: f64 = (0..dof).map(|_| normal_draw(&mut rng).powi(2)).sum();
            normal_draw(&mut rng) / (chi2 / f64::from(dof)).sqrt()
        })
        .collect();
    let es = historical_expected_shortfall(&t, DEFAULT_LEVEL).unwrap();
    let exact = student_t_expected_shortfall(DEFAULT_LEVEL, f64::from(dof), 0.0, 1.0).unwrap();
    assert!(
        (es - exact).abs() < 0.04 * exact,
        "t(5): sampled {es}, exact {exact}"
    );
}

#[test]
fn historical_es_follows_acerbi_tasche_weights() {
    // Losses 1…100 (P&L −1…−100), shuffled: at 97.5 % the tail is 2.5 samples.
    let mut pnl: Vec<f64> = (1..=100).map(|i| -f64::from(i)).collect();
    pnl.reverse();
    pnl.swap(3, 97);
    let es = historical_expected_shortfall(&pnl, 0.975).unwrap();
    assert!((es - (100.0 + 99.0 + 0.5 * 98.0) / 2.5).abs() < 1e-12);
    // A tail of exactly 5 samples: the plain mean of the 5 worst.
    let es95 = historical_expected_shortfall(&pnl, 0.95).unwrap();
    assert!((es95 - 98.0).abs() < 1e-9);
    // Fewer than one sample in the tail: the worst loss.
    assert_eq!(
        historical_expected_shortfall(&[1.0, -3.0, 2.0], 0.9).unwrap(),
        3.0
    );
    // Gains in the tail give a negative ES.
    assert!(historical_expected_shortfall(&[5.0, 6.0, 7.0], 0.5).unwrap() < 0.0);
}

#[test]
fn filtered_historical_es_rescales_each_sample() {
    let pnl = [-4.0, 1.0, -1.0, 2.0];
    let vol = [2.0, 1.0, 0.5, 1.0];
    // Rescaled to vol 1: −2, 1, −2, 2 → at 50 % the two worst losses are 2 and 2.
    let es = filtered_historical_expected_shortfall(&pnl, &vol, 1.0, 0.5).unwrap();
    assert!((es - 2.0).abs() < 1e-15);
    // Today's vol doubled doubles the ES.
    let doubled = filtered_historical_expected_shortfall(&pnl, &vol, 2.0, 0.5).unwrap();
    assert!((doubled - 4.0).abs() < 1e-15);
    // Constant vol equal to today's is plain historical simulation.
    let flat = filtered_historical_expected_shortfall(&pnl, &[1.5; 4], 1.5, 0.75).unwrap();
    assert_eq!(flat, historical_expected_shortfall(&pnl, 0.75).unwrap());
}

#[test]
fn shortfall_inputs_are_validated() {
    assert_eq!(
        historical_expected_shortfall(&[], 0.975),
        Err(GreeksError::EmptySample)
    );
    assert!(matches!(
        historical_expected_shortfall(&[1.0, f64::NAN], 0.975),
        Err(GreeksError::Sample { index: 1, .. })
    ));
    assert!(matches!(
        historical_expected_shortfall(&[1.0], 1.0),
        Err(GreeksError::OutOfRange { .. })
    ));
    assert!(matches!(
        normal_expected_shortfall(0.975, 0.0, -1.0),
        Err(GreeksError::Input(_))
    ));
    assert!(matches!(
        normal_expected_shortfall(f64::NAN, 0.0, 1.0),
        Err(GreeksError::OutOfRange { .. })
    ));
    assert!(matches!(
        filtered_historical_expected_shortfall(&[1.0, 2.0], &[1.0], 1.0, 0.5),
        Err(GreeksError::LengthMismatch {
            found: 1,
            expected: 2,
            ..
        })
    ));
    assert!(matches!(
        filtered_historical_expected_shortfall(&[1.0, 2.0], &[1.0, 0.0], 1.0, 0.5),
        Err(GreeksError::Sample { index: 1, .. })
    ));
    assert!(matches!(
        filtered_historical_expected_shortfall(&[1.0], &[1.0], 0.0, 0.5),
        Err(GreeksError::Input(_))
    ));
}
