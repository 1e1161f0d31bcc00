//! SABR: Hagan et al. (2002) lognormal implied volatility, and a sliceable calibration of
//! `(α, ρ, ν)` for a fixed `β` per expiry.
//!
//! # Formula
//! Hagan, Kumar, Lesniewski, Woodward, "Managing smile risk", Wilmott Magazine, Sept. 2002,
//! eq. (2.17a):
//! `σ_B(K) = α / [(FK)^{(1−β)/2} (1 + (1−β)²/24 ln²(F/K) + (1−β)⁴/1920 ln⁴(F/K))] · z/χ(z) ·
//! [1 + ((1−β)²/24 · α²/(FK)^{1−β} + ρβνα/(4 (FK)^{(1−β)/2}) + (2−3ρ²)/24 · ν²) T]`
//! with `z = ν/α (FK)^{(1−β)/2} ln(F/K)` and
//! `χ(z) = ln[(√(1−2ρz+z²) + z − ρ)/(1−ρ)]`. At the money `z/χ(z) → 1`; `χ` is evaluated in a
//! cancellation-free form (`ln_1p` near 0, a rationalised argument for negative `z`) and `z/χ`
//! by its series `1 − ρz/2 + (2−3ρ²)z²/12` when `|z| < 1e-8`, so the formula is smooth through
//! `K = F`.
//!
//! # Calibration
//! Levenberg–Marquardt on vol residuals in coordinates `(ln α, ρ, ln ν)` (ρ projected onto
//! [−0.9999, 0.9999], step components capped as a crude trust region), central-difference
//! Jacobian, 3×3 normal equations. [`SabrCalibration::run`] does at
//! most a given number of iterations and keeps its state (parameters, damping), so the work can
//! be sliced across events and warm-started from the previous fit.

use crate::error::EstimateError;
use crate::input::check_price;

/// SABR parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SabrParams {
    /// Initial volatility level (> 0).
    pub alpha: f64,
    /// CEV exponent, in [0, 1].
    pub beta: f64,
    /// Correlation of forward and volatility, in (−1, 1).
    pub rho: f64,
    /// Volatility of volatility (≥ 0).
    pub nu: f64,
}

impl SabrParams {
    fn validate(&self) -> Result<(), EstimateError> {
        let bad = |name, value| Err(EstimateError::InvalidValue { name, value });
        if !(self.alpha > 0.0 && self.alpha.is_finite()) {
            return bad("alpha", self.alpha);
        }
        if !(0.0..=1.0).contains(&self.beta) {
            return bad("beta", self.beta);
        }
        if !(self.rho > -1.0 && self.rho < 1.0) {
            return bad("rho", self.rho);
        }
        if !(self.nu >= 0.0 && self.nu.is_finite()) {
            return bad("nu", self.nu);
        }
        Ok(())
    }

    /// Hagan's lognormal (Black) implied volatility at `strike` for `forward` and
    /// `expiry_years` (≥ 0). An error if the parameters are out of domain or the expansion
    /// gives a non-positive vol (it can, for long expiries with large `ν` and `ρ` near −1).
    ///
    /// ```
    /// use recal_estimate::SabrParams;
    /// // β = 1 and ν = 0 is geometric Brownian motion: a flat smile at α.
    /// let gbm = SabrParams { alpha: 0.6, beta: 1.0, rho: -0.3, nu: 0.0 };
    /// assert!((gbm.lognormal_vol(100.0, 130.0, 0.5).unwrap() - 0.6).abs() < 1e-15);
    /// ```
    pub fn lognormal_vol(
        &self,
        forward: f64,
        strike: f64,
        expiry_years: f64,
    ) -> Result<f64, EstimateError> {
        self.validate()?;
        check_price(forward)?;
        check_price(strike)?;
        if !(expiry_years >= 0.0 && expiry_years.is_finite()) {
            return Err(EstimateError::InvalidValue {
                name: "expiry_years",
                value: expiry_years,
            });
        }
        let vol = self.vol_unchecked(forward, strike, expiry_years);
        if vol > 0.0 && vol.is_finite() {
            Ok(vol)
        } else {
            // The expansion breaks down (e.g. ρβνα·T very negative): no usable vol.
            Err(EstimateError::InvalidValue {
                name: "sabr vol",
                value: vol,
            })
        }
    }

    fn vol_unchecked(&self, forward: f64, strike: f64, t: f64) -> f64 {
        let SabrParams {
            alpha,
            beta,
            rho,
            nu,
        } = *self;
        let one_minus_beta = 1.0 - beta;
        let fk = forward * strike;
        let fk_half = fk.powf(0.5 * one_minus_beta);
        let log_fk = (forward / strike).ln();
        let b2 = one_minus_beta * one_minus_beta * log_fk * log_fk;
        let denominator = fk_half * (1.0 + b2 / 24.0 + b2 * b2 / 1920.0);
        let z = nu / alpha * fk_half * log_fk;
        let correction = 1.0
            + (one_minus_beta * one_minus_beta / 24.0 * alpha * alpha / (fk_half * fk_half)
                + 0.25 * rho * beta * nu * alpha / fk_half
                + (2.0 - 3.0 * rho * rho) / 24.0 * nu * nu)
                * t;
        alpha / denominator * z_over_chi(z, rho) * correction
    }
}

/// `z / χ(z)` for `ρ ∈ (−1, 1)`.
fn z_over_chi(z: f64, rho: f64) -> f64 {
    if z.abs() < 1e-8 {
        return 1.0 - 0.5 * rho * z + (2.0 - 3.0 * rho * rho) / 12.0 * z * z;
    }
    let root = (1.0 - 2.0 * rho * z + z * z).sqrt();
    let chi = if z > -0.5 {
        // (√q + z − ρ)/(1 − ρ) − 1 = (√q − 1 + z)/(1 − ρ), with √q − 1 = (q − 1)/(√q + 1).
        (((z * z - 2.0 * rho * z) / (root + 1.0) + z) / (1.0 - rho)).ln_1p()
    } else {
        // With u = √q + z = (1 − 2ρz)/(√q − z) (no cancellation for z < 0):
        // √q + z − ρ = (1 − ρu)/(√q − z).
        let u = (1.0 - 2.0 * rho * z) / (root - z);
        ((1.0 - rho * u) / ((root - z) * (1.0 - rho))).ln()
    };
    z / chi
}

/// Bound on |ρ| kept by the calibration.
const RHO_LIMIT: f64 = 0.9999;
/// Largest change per step of (ln α, ρ, ln ν): a crude trust region that keeps early steps
/// from jumping into a far basin.
const MAX_STEP: [f64; 3] = [1.0, 0.5, 1.0];

fn to_coordinates(p: &SabrParams) -> [f64; 3] {
    [
        p.alpha.ln(),
        p.rho.clamp(-RHO_LIMIT, RHO_LIMIT),
        p.nu.max(1e-8).ln(),
    ]
}

fn from_coordinates(theta: &[f64; 3], beta: f64) -> SabrParams {
    SabrParams {
        alpha: theta[0].exp(),
        beta,
        rho: theta[1],
        nu: theta[2].exp(),
    }
}

/// Incremental Levenberg–Marquardt fit of SABR `(α, ρ, ν)` to one expiry's smile.
///
/// ```
/// use recal_estimate::{SabrCalibration, SabrParams};
/// let truth = SabrParams { alpha: 0.7, beta: 1.0, rho: -0.25, nu: 1.2 };
/// let (forward, expiry) = (100.0, 0.25);
/// let points: Vec<(f64, f64)> = [70.0, 80.0, 90.0, 100.0, 110.0, 125.0, 150.0]
///     .iter()
///     .map(|&k| (k, truth.lognormal_vol(forward, k, expiry).unwrap()))
///     .collect();
/// let mut fit = SabrCalibration::new(forward, expiry, 1.0, &points, None).unwrap();
/// while !fit.converged() && fit.iterations() < 500 {
///     fit.run(5); // a slice of at most 5 iterations per event
/// }
/// assert!(fit.rmse() < 1e-9);
/// assert!((fit.params().rho - truth.rho).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SabrCalibration {
    forward: f64,
    expiry_years: f64,
    beta: f64,
    strikes: Vec<f64>,
    vols: Vec<f64>,
    theta: [f64; 3],
    damping: f64,
    cost: f64,
    iterations: usize,
    converged: bool,
}

impl SabrCalibration {
    /// Sets up a fit to `points` = (strike, lognormal implied vol), at least three, for
    /// `beta` ∈ [0, 1]. `initial` warm-starts from a previous fit (its `beta` is ignored);
    /// without it the start is `α` from the vol nearest the money, `ρ = 0`, `ν = 0.5`.
    pub fn new(
        forward: f64,
        expiry_years: f64,
        beta: f64,
        points: &[(f64, f64)],
        initial: Option<SabrParams>,
    ) -> Result<Self, EstimateError> {
        validate_quotes(forward, expiry_years, points)?;
        let strikes: Vec<f64> = points.iter().map(|p| p.0).collect();
        let vols: Vec<f64> = points.iter().map(|p| p.1).collect();
        let start = match initial {
            Some(p) => SabrParams { beta, ..p },
            None => {
                let atm = points
                    .iter()
                    .min_by(|a, b| {
                        (a.0 / forward)
                            .ln()
                            .abs()
                            .total_cmp(&(b.0 / forward).ln().abs())
                    })
                    .map_or(0.5, |p| p.1);
                SabrParams {
                    alpha: atm * forward.powf(1.0 - beta),
                    beta,
                    rho: 0.0,
                    nu: 0.5,
                }
            }
        };
        start.validate()?;
        let mut fit = SabrCalibration {
            forward,
            expiry_years,
            beta,
            strikes,
            vols,
            theta: to_coordinates(&start),
            damping: 1e-3,
            cost: 0.0,
            iterations: 0,
            converged: false,
        };
        fit.cost = fit.cost_at(&fit.theta);
        Ok(fit)
    }

    /// Replaces the quotes (a new snapshot of the same expiry's smile) and keeps the current
    /// parameters as the warm start. Reuses the buffers: no allocation unless there are more
    /// points than ever before. Resets the iteration count and the convergence flag. On
    /// error nothing changes.
    pub fn update_quotes(
        &mut self,
        forward: f64,
        expiry_years: f64,
        points: &[(f64, f64)],
    ) -> Result<(), EstimateError> {
        validate_quotes(forward, expiry_years, points)?;
        self.forward = forward;
        self.expiry_years = expiry_years;
        self.strikes.clear();
        self.strikes.extend(points.iter().map(|p| p.0));
        self.vols.clear();
        self.vols.extend(points.iter().map(|p| p.1));
        self.damping = 1e-3;
        self.iterations = 0;
        self.converged = false;
        self.cost = self.cost_at(&self.theta);
        Ok(())
    }

    fn residual(&self, params: &SabrParams, i: usize) -> f64 {
        params.vol_unchecked(self.forward, self.strikes[i], self.expiry_years) - self.vols[i]
    }

    fn cost_at(&self, theta: &[f64; 3]) -> f64 {
        let p = from_coordinates(theta, self.beta);
        let c: f64 = (0..self.strikes.len())
            .map(|i| self.residual(&p, i).powi(2))
            .sum();
        if c.is_finite() { c } else { f64::INFINITY }
    }

    /// Runs at most `max_iterations` Levenberg–Marquardt iterations (each one trial step);
    /// returns the number done. Does nothing once converged.
    pub fn run(&mut self, max_iterations: usize) -> usize {
        let mut done = 0;
        while done < max_iterations && !self.converged {
            self.iterate();
            done += 1;
        }
        done
    }

    fn iterate(&mut self) {
        self.iterations += 1;
        let params = from_coordinates(&self.theta, self.beta);
        let mut jtj = [[0.0; 3]; 3];
        let mut jtr = [0.0; 3];
        const H: f64 = 1e-6;
        for i in 0..self.strikes.len() {
            let r = self.residual(&params, i);
            let mut row = [0.0; 3];
            for (j, slot) in row.iter_mut().enumerate() {
                let (mut up, mut down) = (self.theta, self.theta);
                up[j] += H;
                down[j] -= H;
                if j == 1 {
                    up[1] = up[1].min(1.0 - 1e-12);
                    down[1] = down[1].max(-1.0 + 1e-12);
                }
                let up_r = self.residual(&from_coordinates(&up, self.beta), i);
                let down_r = self.residual(&from_coordinates(&down, self.beta), i);
                *slot = (up_r - down_r) / (2.0 * H);
            }
            for a in 0..3 {
                jtr[a] += row[a] * r;
                for b in 0..3 {
                    jtj[a][b] += row[a] * row[b];
                }
            }
        }
        let mut system = jtj;
        for (a, row) in system.iter_mut().enumerate() {
            row[a] += self.damping * jtj[a][a].max(1e-12);
        }
        let Some(step) = solve3(system, jtr.map(|g| -g)) else {
            self.damping *= 10.0;
            return;
        };
        let shrink = (0..3)
            .map(|j| MAX_STEP[j] / step[j].abs())
            .fold(1.0_f64, f64::min);
        let step = step.map(|s| s * shrink);
        let candidate = [
            self.theta[0] + step[0],
            (self.theta[1] + step[1]).clamp(-RHO_LIMIT, RHO_LIMIT),
            self.theta[2] + step[2],
        ];
        let cost = self.cost_at(&candidate);
        if cost < self.cost {
            let relative_gain = (self.cost - cost) / self.cost.max(f64::MIN_POSITIVE);
            self.theta = candidate;
            self.cost = cost;
            self.damping = (self.damping / 3.0).max(1e-12);
            let small_step = step.iter().all(|s| s.abs() < 1e-10);
            self.converged = small_step || relative_gain < 1e-12 || cost < 1e-26;
        } else {
            self.damping *= 4.0;
            self.converged = self.damping > 1e12;
        }
    }

    /// Current parameters.
    pub fn params(&self) -> SabrParams {
        from_coordinates(&self.theta, self.beta)
    }

    /// Root-mean-square vol error of the current parameters (vol units: 0.01 = 1 vol point).
    pub fn rmse(&self) -> f64 {
        (self.cost / self.strikes.len() as f64).sqrt()
    }

    /// Iterations done so far.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// True once a step no longer improves the fit.
    pub fn converged(&self) -> bool {
        self.converged
    }
}

/// Checks a smile: forward > 0, expiry > 0, at least three (strike, vol) points, all finite
/// and > 0.
fn validate_quotes(
    forward: f64,
    expiry_years: f64,
    points: &[(f64, f64)],
) -> Result<(), EstimateError> {
    check_price(forward)?;
    if !(expiry_years > 0.0 && expiry_years.is_finite()) {
        return Err(EstimateError::InvalidValue {
            name: "expiry_years",
            value: expiry_years,
        });
    }
    if points.len() < 3 {
        return Err(EstimateError::TooFewPoints {
            needed: 3,
            got: points.len(),
        });
    }
    for &(strike, vol) in points {
        check_price(strike)?;
        check_price(vol)?;
    }
    Ok(())
}

/// Solves a 3×3 system by Gaussian elimination with partial pivoting.
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..3 {
            let factor = a[row][col] / pivot_row[col];
            for (target, source) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *target -= factor * source;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let tail: f64 = (row + 1..3).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}
