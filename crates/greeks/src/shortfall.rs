//! Expected Shortfall: parametric (normal, Student-t) and historical / filtered-historical.
//!
//! One sign convention throughout: inputs describe profit and loss (profit positive); the
//! Expected Shortfall at level α is returned as a loss (positive when the tail loses money): the
//! mean loss in the worst (1 − α) fraction of outcomes.

use crate::error::{GreeksError, InputError, finite, open_interval, positive};
use crate::normal::{normal_pdf, normal_quantile};
use crate::student_t::{pdf as t_pdf, student_t_quantile};

/// The default confidence level, 97.5 %, of the Basel FRTB Expected Shortfall.
pub const DEFAULT_LEVEL: f64 = 0.975;

/// Checks a confidence level.
fn check_level(level: f64) -> Result<f64, GreeksError> {
    open_interval("level", level, 0.0, 1.0)
}

/// ES at `level` of a normally distributed P&L with mean `pnl_mean` and standard deviation
/// `std_dev`: −μ + σ·φ(Φ⁻¹(α))/(1 − α) (McNeil, Frey & Embrechts, *Quantitative Risk
/// Management*, 2nd ed., Example 2.14). At 97.5 % the factor is 2.3378.
///
/// # Errors
/// [`GreeksError::OutOfRange`] unless 0 < `level` < 1; [`GreeksError::Input`] if `pnl_mean` is
/// not finite or `std_dev` is not finite and > 0.
///
/// ```
/// use recal_greeks::{normal_expected_shortfall, DEFAULT_LEVEL};
/// let es = normal_expected_shortfall(DEFAULT_LEVEL, 0.0, 1.0)?;
/// assert!((es - 2.3378).abs() < 5e-5);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn normal_expected_shortfall(
    level: f64,
    pnl_mean: f64,
    std_dev: f64,
) -> Result<f64, GreeksError> {
    check_level(level)?;
    finite("pnl_mean", pnl_mean)?;
    positive("std_dev", std_dev)?;
    let z = normal_quantile(level)?;
    Ok(-pnl_mean + std_dev * normal_pdf(z) / (1.0 - level))
}

/// ES at `level` of a P&L = `pnl_location` + `scale`·T with T standard Student-t with `dof`
/// degrees of freedom: −μ + s·f_ν(t_α)/(1 − α)·(ν + t_α²)/(ν − 1) (McNeil, Frey & Embrechts,
/// *Quantitative Risk Management*, 2nd ed., Example 2.15). Use
/// [`student_t_scale_for_std_dev`] to give the distribution a chosen standard deviation.
///
/// # Errors
/// [`GreeksError::OutOfRange`] unless 0 < `level` < 1 and `dof` > 1 (the mean, hence ES, is
/// infinite otherwise); [`GreeksError::Input`] if `pnl_location` is not finite or `scale` is not
/// finite and > 0.
///
/// ```
/// use recal_greeks::{student_t_expected_shortfall, student_t_scale_for_std_dev, normal_expected_shortfall};
/// // Same standard deviation, fatter tail: the t(4) ES exceeds the normal one.
/// let scale = student_t_scale_for_std_dev(4.0, 1.0)?;
/// let t4 = student_t_expected_shortfall(0.975, 4.0, 0.0, scale)?;
/// assert!(t4 > normal_expected_shortfall(0.975, 0.0, 1.0)?);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn student_t_expected_shortfall(
    level: f64,
    dof: f64,
    pnl_location: f64,
    scale: f64,
) -> Result<f64, GreeksError> {
    check_level(level)?;
    open_interval("degrees of freedom", dof, 1.0, f64::INFINITY)?;
    finite("pnl_location", pnl_location)?;
    positive("scale", scale)?;
    let t = student_t_quantile(level, dof)?;
    let factor = t_pdf(t, dof) / (1.0 - level) * (dof + t * t) / (dof - 1.0);
    Ok(-pnl_location + scale * factor)
}

/// The scale s that gives s·T (T Student-t with `dof` > 2 degrees of freedom) the standard
/// deviation `std_dev`: s = σ·√((ν − 2)/ν), since Var T = ν/(ν − 2).
///
/// # Errors
/// [`GreeksError::OutOfRange`] unless `dof` > 2; [`GreeksError::Input`] unless `std_dev` is
/// finite and > 0.
pub fn student_t_scale_for_std_dev(dof: f64, std_dev: f64) -> Result<f64, GreeksError> {
    open_interval("degrees of freedom", dof, 2.0, f64::INFINITY)?;
    positive("std_dev", std_dev)?;
    Ok(std_dev * ((dof - 2.0) / dof).sqrt())
}

/// Historical-simulation ES at `level` of the P&L samples `pnl`.
///
/// The mean of the worst n(1 − α) losses, with the boundary sample weighted by its fractional
/// part (Acerbi & Tasche, "On the coherence of Expected Shortfall", J. Banking & Finance 26,
/// 2002, eq. 3.2), so the estimate is continuous in α and coherent. Runs in O(n) time by
/// selection, using one copy of the sample.
///
/// # Errors
/// [`GreeksError::OutOfRange`] unless 0 < `level` < 1; [`GreeksError::EmptySample`];
/// [`GreeksError::Sample`] naming the first non-finite sample.
///
/// ```
/// // Losses 1, 2, …, 100: at 97.5 % the tail holds 2.5 samples: (100 + 99 + ½·98)/2.5 = 99.2.
/// let pnl: Vec<f64> = (1..=100).map(|i| -f64::from(i)).collect();
/// let es = recal_greeks::historical_expected_shortfall(&pnl, 0.975)?;
/// assert!((es - 99.2).abs() < 1e-12);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn historical_expected_shortfall(pnl: &[f64], level: f64) -> Result<f64, GreeksError> {
    let losses = pnl
        .iter()
        .enumerate()
        .map(|(index, &p)| sample("pnl", index, p).map(|p| -p))
        .collect::<Result<Vec<f64>, _>>()?;
    tail_mean(losses, level)
}

/// Filtered-historical-simulation ES: each P&L sample is rescaled from the volatility it was
/// drawn under, `sample_vol[i]`, to today's `current_vol` (Hull & White, "Incorporating
/// volatility updating into the historical simulation method for value-at-risk", J. Risk 1,
/// 1998; Barone-Adesi, Giannopoulos & Vosper, 1999), then treated as in
/// [`historical_expected_shortfall`].
///
/// # Errors
/// As [`historical_expected_shortfall`]; [`GreeksError::LengthMismatch`] if the slices differ in
/// length; [`GreeksError::Sample`] naming a sample whose volatility is not finite and > 0;
/// [`GreeksError::Input`] unless `current_vol` is finite and > 0.
pub fn filtered_historical_expected_shortfall(
    pnl: &[f64],
    sample_vol: &[f64],
    current_vol: f64,
    level: f64,
) -> Result<f64, GreeksError> {
    if sample_vol.len() != pnl.len() {
        return Err(GreeksError::LengthMismatch {
            name: "sample_vol",
            found: sample_vol.len(),
            expected: pnl.len(),
        });
    }
    positive("current_vol", current_vol)?;
    let losses = pnl
        .iter()
        .zip(sample_vol)
        .enumerate()
        .map(|(index, (&p, &vol))| {
            let p = sample("pnl", index, p)?;
            let vol = positive("sample_vol", vol)
                .map_err(|source| GreeksError::Sample { index, source })?;
            Ok(-p * (current_vol / vol))
        })
        .collect::<Result<Vec<f64>, GreeksError>>()?;
    tail_mean(losses, level)
}

/// Checks one sample, naming its index.
fn sample(name: &'static str, index: usize, value: f64) -> Result<f64, GreeksError> {
    finite(name, value).map_err(|source: InputError| GreeksError::Sample { index, source })
}

/// Acerbi–Tasche tail mean of `losses` at `level`.
fn tail_mean(mut losses: Vec<f64>, level: f64) -> Result<f64, GreeksError> {
    check_level(level)?;
    if losses.is_empty() {
        return Err(GreeksError::EmptySample);
    }
    // Tail size k = n(1 − α) < n, split into m whole samples and a fractional one.
    let tail = losses.len() as f64 * (1.0 - level);
    let whole = tail.floor();
    let fraction = tail - whole;
    // `whole` < n, so it is a valid index and the conversion is exact.
    let boundary = whole as usize;
    let (worst, &mut next, _) = losses.select_nth_unstable_by(boundary, |a, b| b.total_cmp(a));
    let sum: f64 = worst.iter().sum::<f64>() + fraction * next;
    Ok(sum / tail)
}
