//! The standard normal distribution: density, distribution function and quantile.

use crate::elementary::{Elementary, Libm};
use crate::error::{GreeksError, open_interval};

/// 1/√(2π).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// Standard normal density φ(x) = e^(−x²/2)/√(2π).
///
/// ```
/// let peak = recal_greeks::normal_pdf(0.0);
/// assert!((peak - 0.398_942_280_401_432_7).abs() < 1e-16);
/// ```
#[must_use]
pub fn normal_pdf(x: f64) -> f64 {
    pdf_with(&mut Libm, x)
}

/// φ(x) with the exponential of `math`: the one formula of the scalar and batch paths.
#[inline(always)]
pub(crate) fn pdf_with<M: Elementary>(math: &mut M, x: f64) -> f64 {
    FRAC_1_SQRT_2PI * math.exp(-0.5 * x * x)
}

/// Standard normal distribution function Φ(x) = P(Z ≤ x).
///
/// Computed as erfc(−x/√2)/2 with the erfc of `libm` (a port of FreeBSD/musl's, about 1 ulp), so
/// the lower tail keeps full relative precision down to Φ(−37) ≈ 1e−300.
///
/// ```
/// let p = recal_greeks::normal_cdf(1.959_963_984_540_054);
/// assert!((p - 0.975).abs() < 1e-15);
/// ```
#[must_use]
pub fn normal_cdf(x: f64) -> f64 {
    cdf_with(&mut Libm, x)
}

/// Φ(x) with the erfc of `math`: the one formula of the scalar and batch paths.
#[inline(always)]
pub(crate) fn cdf_with<M: Elementary>(math: &mut M, x: f64) -> f64 {
    cdf_from_erfc(math.erfc(cdf_erfc_argument(x)))
}

/// The argument −x/√2 whose erfc [`cdf_with`] halves: the batch path evaluates the erfc in a
/// pass of its own and finishes with [`cdf_from_erfc`], the same operations in the same order.
#[inline(always)]
pub(crate) fn cdf_erfc_argument(x: f64) -> f64 {
    -x * std::f64::consts::FRAC_1_SQRT_2
}

/// Φ(x) from erfc([`cdf_erfc_argument`]`(x)`).
#[inline(always)]
pub(crate) fn cdf_from_erfc(erfc: f64) -> f64 {
    0.5 * erfc
}

/// Standard normal quantile Φ⁻¹(p) for `p` strictly between 0 and 1.
///
/// Acklam's rational approximation (relative error 1.15e−9) followed by one Halley step on
/// [`normal_cdf`], which brings the result to within a few ulp. The upper half is taken from the
/// lower by symmetry (1 − p is exact for p ≥ ½), so both tails keep full precision.
///
/// # Errors
/// [`GreeksError::OutOfRange`] unless 0 < `p` < 1 (NaN included).
///
/// ```
/// let z = recal_greeks::normal_quantile(0.975)?;
/// assert!((z - 1.959_963_984_540_054).abs() < 1e-14);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn normal_quantile(p: f64) -> Result<f64, GreeksError> {
    open_interval("probability", p, 0.0, 1.0)?;
    Ok(if p > 0.5 {
        -lower_quantile(1.0 - p)
    } else {
        lower_quantile(p)
    })
}

/// Φ⁻¹(p) for 0 < p ≤ ½.
fn lower_quantile(p: f64) -> f64 {
    // Coefficients of P. J. Acklam, "An algorithm for computing the inverse normal cumulative
    // distribution function" (2003).
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;

    let guess = if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        horner(&C, q) / (horner(&D, q) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        horner(&A, r) * q / (horner(&B, r) * r + 1.0)
    };
    // One Halley step on Φ(x) − p: the error e is divided by φ(x) via e·√(2π)·e^(x²/2).
    let error = normal_cdf(guess) - p;
    let u = error * (2.0 * std::f64::consts::PI).sqrt() * (0.5 * guess * guess).exp();
    guess - u / (1.0 + 0.5 * guess * u)
}

/// Evaluates c₀xⁿ⁻¹ + c₁xⁿ⁻² + … + cₙ₋₁ by Horner's rule.
fn horner(coefficients: &[f64], x: f64) -> f64 {
    coefficients.iter().fold(0.0, |acc, &c| acc * x + c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference quantiles: Abramowitz & Stegun, Handbook of Mathematical Functions, Table 26.5
    /// (to the digits printed there), extended to 16 digits with Wolfram|Alpha
    /// `InverseCDF[NormalDistribution[], p]`.
    #[test]
    fn quantile_matches_published_values() {
        let cases = [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.99, 2.326_347_874_040_841),
            (0.999, 3.090_232_306_167_814),
            (0.841_344_746_068_542_9, 1.0),
            (1e-10, -6.361_340_902_404_056),
            (0.025, -1.959_963_984_540_054),
        ];
        for (p, expected) in cases {
            let z = normal_quantile(p).unwrap();
            assert!(
                (z - expected).abs() <= 2e-15 * expected.abs().max(1.0),
                "p={p}: {z}"
            );
        }
    }

    /// Φ(1) = 0.8413447460685429 and Φ(−3) = 0.0013498980316301 (A&S Table 26.1).
    #[test]
    fn cdf_matches_published_values() {
        assert!((normal_cdf(1.0) - 0.841_344_746_068_542_9).abs() < 4e-16);
        assert!((normal_cdf(-3.0) - 0.001_349_898_031_630_095).abs() < 2e-18);
        assert_eq!(normal_cdf(0.0), 0.5);
    }

    #[test]
    fn quantile_inverts_cdf_across_both_tails() {
        // Above x = 3 the rounding of p = Φ(x) near 1 (not the quantile) dominates the error.
        for i in 0..2000 {
            let x = -37.0 + 0.02 * f64::from(i);
            let back = normal_quantile(normal_cdf(x)).unwrap();
            assert!((back - x).abs() < 1e-13 * x.abs().max(1.0), "x={x}: {back}");
        }
    }

    #[test]
    fn quantile_rejects_invalid_probabilities() {
        for p in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
            assert!(matches!(
                normal_quantile(p),
                Err(GreeksError::OutOfRange { .. })
            ));
        }
    }
}
