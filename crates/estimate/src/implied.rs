//! Black-76 prices and implied volatility to near machine precision.
//!
//! # Method
//! Everything works on the normalised price `b = price / (D·√(F·K))` as a function of the
//! log-moneyness `x = ln(F/K)` and the total volatility `s = σ·√T`. An option of sign `θ`
//! (+1 call, −1 put) has `b = c(θx, s)` with `c(y, s) = e^{y/2} N(y/s + s/2) − e^{−y/2} N(y/s −
//! s/2)`, and an in-the-money one (`y > 0`) is its out-of-the-money twin plus the intrinsic
//! value: `c(y, s) = c(−y, s) + 2 sinh(y/2)`. So only out-of-the-money prices are ever computed
//! and inverted: at the money with `erf`; when `y/s + s/2 ≥ 0` with `libm::erfc` terms; in the
//! far tail, where the two terms nearly cancel, as an envelope times a difference of scaled
//! complementary error functions (`erfcx`), summed by a Taylor series when the two arguments
//! are close (see `otm_normalised`).
//!
//! The inversion solves `ln c(y, s) = ln β` for `s` by Newton's method safeguarded by a
//! bracket. `ln c` is increasing in `s` and concave at both ends (`≈ −y²/(2s²)` for small `s`,
//! saturating for large `s`), so Newton iterates approach the root from the left; any iterate
//! that leaves the bracket is replaced by bisection (or doubling while no upper bound is
//! known), which makes the solver safe even where concavity were to fail. This is the "bracketed Newton on a normalised price" alternative to
//! Jäckel's *Let's Be Rational* (2015); its accuracy is checked by round trips in the tests.

use crate::error::EstimateError;
use crate::input::{check_finite, check_price};
/// Call or put: the pricing crate's own type, so stage 2 and stage 3 speak of options alike.
pub use recal_greeks::OptionKind;
use recal_greeks::normal_cdf;

/// Contract terms shared by price and implied volatility.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Black76 {
    /// Call or put.
    pub kind: OptionKind,
    /// Forward of the underlying (> 0).
    pub forward: f64,
    /// Strike (> 0).
    pub strike: f64,
    /// Time to expiry in years (≥ 0; > 0 for implied volatility).
    pub expiry_years: f64,
    /// Discount factor to expiry, in (0, ∞); 1 for an undiscounted (forward) price.
    pub discount: f64,
}

const SQRT_2PI: f64 = 2.506_628_274_631_000_7;

/// Scaled complementary error function `e^{u²} erfc(u)` for `u ≥ 0`.
///
/// `e^{u²}` is formed as `e^{h²} · e^{l(u + h)}` with `h` the first 26 bits of `u` (so `h²` is
/// exact) and `l = u − h`: no rounding of `u²` is amplified. Past `u = 26` (where `erfc`
/// underflows) the asymptotic series `1/(u√π) · Σ (−1)^n (2n−1)!! / (2u²)^n` to n = 5 is
/// accurate to 2e-13.
fn erfcx(u: f64) -> f64 {
    if u > 26.0 {
        let w = 1.0 / (2.0 * u * u);
        let series =
            1.0 - w * (1.0 - 3.0 * w * (1.0 - 5.0 * w * (1.0 - 7.0 * w * (1.0 - 9.0 * w))));
        return series / (u * std::f64::consts::PI.sqrt());
    }
    let high = f64::from_bits(u.to_bits() & !((1u64 << 27) - 1));
    let low = u - high;
    libm::erfc(u) * (high * high).exp() * (low * (u + high)).exp()
}

/// `erfcx(m − δ) − erfcx(m + δ)` for `m > δ ≥ 0`.
///
/// The two values nearly cancel when `δ` is small against `m`. When `m·δ ≤ 1/2` the
/// difference is summed as the odd Taylor series `−2 Σ erfcx⁽ᵏ⁾(m) δᵏ / k!` about the midpoint
/// (derivatives from `E' = 2mE − 2/√π`, `E⁽ⁿ⁺¹⁾ = 2n E⁽ⁿ⁻¹⁾ + 2m E⁽ⁿ⁾`; with `2mδ ≤ 1` the
/// forward recursion's error growth `(2m)ⁿ` is cancelled by `δⁿ/n!`), so only `δ` itself, not
/// the rounded difference of the two arguments, carries the small scale. Otherwise the
/// direct difference is accurate enough (its relative error is about `4ε m²/(4mδ)`).
fn erfcx_difference(m: f64, delta: f64) -> f64 {
    if m * delta > 0.5 {
        return erfcx(m - delta) - erfcx(m + delta);
    }
    let mut previous = erfcx(m);
    let mut current = 2.0 * m * previous - 2.0 / std::f64::consts::PI.sqrt();
    let mut power = delta; // δⁿ / n!
    let mut sum = current * power;
    for n in 1..40u32 {
        let next = 2.0 * f64::from(n) * previous + 2.0 * m * current;
        previous = current;
        current = next;
        power *= delta / f64::from(n + 1);
        if n % 2 == 0 {
            let term = current * power;
            sum += term;
            if term.abs() <= 1e-17 * sum.abs() {
                break;
            }
        }
    }
    -2.0 * sum
}

/// Normalised out-of-the-money price `c(y, s)` for `y ≤ 0`, `s > 0`.
///
/// When `d₁ = y/s + s/2 < 0` both terms are far-tail and nearly cancel, and `N(d)` there is
/// very sensitive to the rounding of `d`. Using `e^{y/2 − d₁²/2} = e^{−y/2 − d₂²/2} =
/// e^{−(y²/s² + s²/4)/2}` the price is rewritten as
/// `½ e^{−(y²/s² + s²/4)/2} [erfcx(−d₁/√2) − erfcx(−d₂/√2)]`, in which `erfcx` is smooth.
fn otm_normalised(y: f64, s: f64) -> f64 {
    if y == 0.0 {
        return libm::erf(s / (2.0 * std::f64::consts::SQRT_2));
    }
    let a = y / s;
    let h = 0.5 * s;
    let price = if a + h < 0.0 {
        let envelope = (-0.5 * (a * a + h * h)).exp();
        let r = std::f64::consts::FRAC_1_SQRT_2;
        0.5 * envelope * erfcx_difference(-a * r, h * r)
    } else {
        (0.5 * y).exp() * normal_cdf(a + h) - (-0.5 * y).exp() * normal_cdf(a - h)
    };
    price.max(0.0)
}

/// `∂c/∂s` (the same for every `y` sign).
fn normalised_vega(y: f64, s: f64) -> f64 {
    (-0.5 * (y * y / (s * s) + 0.25 * s * s)).exp() / SQRT_2PI
}

/// Normalised intrinsic value `max(2 sinh(y/2), 0)`.
fn normalised_intrinsic(y: f64) -> f64 {
    if y > 0.0 { 2.0 * (0.5 * y).sinh() } else { 0.0 }
}

impl Black76 {
    fn validated(&self) -> Result<(f64, f64), EstimateError> {
        let forward = check_price(self.forward)?;
        let strike = check_price(self.strike)?;
        if !(self.discount > 0.0 && self.discount.is_finite()) {
            return Err(EstimateError::InvalidValue {
                name: "discount",
                value: self.discount,
            });
        }
        if check_finite("expiry_years", self.expiry_years)? < 0.0 {
            return Err(EstimateError::InvalidValue {
                name: "expiry_years",
                value: self.expiry_years,
            });
        }
        let y = self.kind.sign() * (forward / strike).ln();
        Ok((y, self.discount * (forward * strike).sqrt()))
    }

    /// Black-76 price for volatility `vol` (finite, ≥ 0).
    ///
    /// ```
    /// use recal_estimate::{Black76, OptionKind};
    /// let call = Black76 { kind: OptionKind::Call, forward: 100.0, strike: 100.0, expiry_years: 1.0, discount: 1.0 };
    /// // ATM: F·(2N(σ/2) − 1)
    /// assert!((call.price(0.2).unwrap() - 7.965567455405804).abs() < 1e-12);
    /// ```
    pub fn price(&self, vol: f64) -> Result<f64, EstimateError> {
        let (y, scale) = self.validated()?;
        if check_finite("vol", vol)? < 0.0 {
            return Err(EstimateError::InvalidValue {
                name: "vol",
                value: vol,
            });
        }
        let s = vol * self.expiry_years.sqrt();
        let time_value = if s > 0.0 {
            otm_normalised(-y.abs(), s)
        } else {
            0.0
        };
        Ok(scale * (time_value + normalised_intrinsic(y)))
    }

    /// The volatility whose Black-76 price is `price`. A price equal to the intrinsic value
    /// gives 0; a price below it, or at or above the upper bound (discounted forward for a
    /// call, discounted strike for a put), is an error.
    ///
    /// ```
    /// use recal_estimate::{Black76, OptionKind};
    /// let put = Black76 { kind: OptionKind::Put, forward: 9000.0, strike: 7000.0, expiry_years: 0.25, discount: 1.0 };
    /// let price = put.price(0.8).unwrap();
    /// assert!((put.implied_vol(price).unwrap() - 0.8).abs() < 1e-13);
    /// assert!(put.implied_vol(7000.0).is_err()); // at the upper bound
    /// ```
    pub fn implied_vol(&self, price: f64) -> Result<f64, EstimateError> {
        let (y, scale) = self.validated()?;
        if self.expiry_years <= 0.0 {
            return Err(EstimateError::InvalidValue {
                name: "expiry_years",
                value: self.expiry_years,
            });
        }
        let beta = check_finite("price", price)? / scale;
        let intrinsic = normalised_intrinsic(y);
        let upper = (0.5 * y).exp();
        if beta >= upper {
            return Err(EstimateError::PriceAboveMaximum {
                price,
                bound: upper * scale,
            });
        }
        if beta < intrinsic * (1.0 - 4.0 * f64::EPSILON) || beta < 0.0 {
            return Err(EstimateError::PriceBelowIntrinsic {
                price,
                bound: intrinsic * scale,
            });
        }
        let time_value = beta - intrinsic;
        if time_value <= 0.0 {
            return Ok(0.0);
        }
        Ok(solve_total_vol(-y.abs(), time_value) / self.expiry_years.sqrt())
    }
}

/// Solves `c(y, s) = beta` for `s`, with `y ≤ 0` and `0 < beta < e^{y/2}`.
fn solve_total_vol(y: f64, beta: f64) -> f64 {
    let target = beta.ln();
    // Start at the larger of the inflection point √(2|y|) and the at-the-money inverse
    // s ≈ β√(2π): both are within a few Newton steps of the root on the relevant side.
    let mut s = (2.0 * y.abs()).sqrt().max(beta * SQRT_2PI).max(1e-8);
    let (mut low, mut high) = (0.0_f64, f64::INFINITY);
    for _ in 0..200 {
        let c = otm_normalised(y, s);
        let next = if c > 0.0 {
            let g = c.ln() - target;
            if g == 0.0 {
                return s;
            }
            if g > 0.0 {
                high = s
            } else {
                low = s
            }
            s - g * c / normalised_vega(y, s)
        } else {
            low = s;
            f64::NAN
        };
        let next = if next > low && next < high {
            next
        } else if high.is_finite() {
            0.5 * (low + high)
        } else {
            2.0 * s
        };
        if (next - s).abs() <= 2.0 * f64::EPSILON * s {
            return next;
        }
        s = next;
    }
    s
}
