//! Expected Shortfall of the protocol's net book over the liquidation horizon, against the
//! insurance fund.
//!
//! Per underlying, the protocol's net exposure (Δ, Γ) at spot S has P&L over the horizon h
//!
//! P&L = Δ·S·r + ½·Γ·S²·r², r = s·T, T ~ Student-t(ν), s = σ√h·√((ν − 2)/ν),
//!
//! so that r has standard deviation σ√h. The distribution is discretised into M equally likely
//! cells of T's quantile function; each cell is represented by its exact conditional mean,
//! E[T | cell] = M·(g(a) − g(b)) with g(t) = (ν + t²)/(ν − 1)·f_ν(t) (a, b the cell's quantile
//! bounds), and the ES is the Acerbi–Tasche tail mean of the M cell P&Ls
//! ([`crate::historical_expected_shortfall`]). For a linear book (Γ = 0) the cell P&Ls are
//! monotone in r, so when M(1 − α) is a whole number the tail mean is the exact tail integral and
//! equals the closed form of [`crate::student_t_expected_shortfall`]; with gamma, the quadratic
//! term is evaluated at the cell mean (an approximation that improves as M grows).
//!
//! Across underlyings the ES are added: ES is subadditive, so the sum bounds the ES of the joint
//! book under any dependence (comonotone crashes included).

use crate::error::{GreeksError, finite, non_negative, open_interval, positive};
use crate::shortfall::{DEFAULT_LEVEL, student_t_scale_for_std_dev};
use crate::student_t::{student_t_pdf, student_t_quantile};

/// The protocol's net exposure on one underlying (e.g. minus the sum of its accounts', for a
/// protocol that is every trader's counterparty).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookExposure {
    /// Spot, > 0.
    pub spot: f64,
    /// Net delta in units of the underlying.
    pub delta: f64,
    /// Net gamma per unit of spot squared.
    pub gamma: f64,
    /// Volatility per √year of the underlying's returns, > 0.
    pub vol: f64,
}

/// Settings of the Expected Shortfall.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolvencyParams {
    /// Confidence level α in (0, 1) (default 97.5 %).
    pub level: f64,
    /// Student-t degrees of freedom ν > 2 (default 4).
    pub dof: f64,
    /// Liquidation horizon in years, > 0 (default one hour, 1/8760).
    pub horizon_years: f64,
    /// Number M of quantile cells, ≥ 2 (default 4000, so M(1 − α) = 100 at the default level).
    pub cells: usize,
}

impl Default for SolvencyParams {
    fn default() -> Self {
        SolvencyParams {
            level: DEFAULT_LEVEL,
            dof: 4.0,
            horizon_years: 1.0 / 8760.0,
            cells: 4000,
        }
    }
}

/// Expected Shortfall of the book against the insurance fund.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Solvency {
    /// Σ over underlyings of the ES of the net book's P&L, quote currency (positive = loss).
    pub expected_shortfall: f64,
    /// The insurance fund, quote currency.
    pub insurance_fund: f64,
    /// Insurance fund / ES; `None` when the ES is not a loss (≤ 0).
    pub ratio: Option<f64>,
}

/// Expected Shortfall of the net `exposures` and the solvency ratio of `insurance_fund` to it.
///
/// Builds the Student-t cell table for `params` on every call (about a millisecond at the
/// default 4000 cells); to compute the ratio per tick, build a [`SolvencyModel`] once and call
/// [`SolvencyModel::solvency`].
///
/// # Errors
/// [`GreeksError::OutOfRange`] for a level outside (0, 1), ν ≤ 2 or fewer than 2 cells;
/// [`GreeksError::Input`] for a non-finite or non-positive spot, volatility, horizon or fund
/// (the fund may be 0), a non-finite delta or gamma, or an ES that overflows.
///
/// ```
/// use recal_greeks::{BookExposure, SolvencyParams, solvency, student_t_expected_shortfall, student_t_scale_for_std_dev};
/// let params = SolvencyParams::default();
/// // The protocol is net long 100 units at 50 000, 60 % volatility.
/// let book = [BookExposure { spot: 50_000.0, delta: 100.0, gamma: 0.0, vol: 0.6 }];
/// let result = solvency(1_000_000.0, &book, &params)?;
/// let scale = student_t_scale_for_std_dev(4.0, 0.6 * params.horizon_years.sqrt())?;
/// let closed = student_t_expected_shortfall(0.975, 4.0, 0.0, 100.0 * 50_000.0 * scale)?;
/// assert!((result.expected_shortfall / closed - 1.0).abs() < 1e-9);
/// assert!(result.ratio.unwrap() > 1.0);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn solvency(
    insurance_fund: f64,
    exposures: &[BookExposure],
    params: &SolvencyParams,
) -> Result<Solvency, GreeksError> {
    SolvencyModel::new(*params)?.solvency(insurance_fund, exposures)
}

/// [`solvency`] with its Student-t cell table computed once, for a solvency ratio per tick.
///
/// The table (the M cell means of a standard Student-t(ν)) depends only on ν and M and costs
/// about a millisecond to build at M = 4000. Given it, one underlying's ES costs
/// O(M(1 − α) + log M): the delta-gamma P&L is a quadratic in the cell mean, and the cell means
/// are sorted, so the worst cells are found by walking inwards from both ends of the table
/// (loss convex in the move) or outwards from the loss's vertex (loss concave), never by
/// sorting M samples. Nothing is allocated per call.
///
/// ```
/// use recal_greeks::{BookExposure, SolvencyModel, SolvencyParams, solvency};
/// let params = SolvencyParams::default();
/// let model = SolvencyModel::new(params)?;
/// let book = [BookExposure { spot: 50_000.0, delta: -80.0, gamma: -0.01, vol: 0.6 }];
/// let per_tick = model.solvency(2_000_000.0, &book)?;
/// let from_scratch = solvency(2_000_000.0, &book, &params)?;
/// assert!((per_tick.expected_shortfall / from_scratch.expected_shortfall - 1.0).abs() < 1e-12);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SolvencyModel {
    params: SolvencyParams,
    /// E[T | cell i], increasing in i.
    cell_means: Vec<f64>,
}

impl SolvencyModel {
    /// Validates `params` and builds the Student-t cell table.
    ///
    /// # Errors
    /// [`GreeksError::OutOfRange`] for a level outside (0, 1), ν ≤ 2 or fewer than 2 cells;
    /// [`GreeksError::Input`] for a non-finite or non-positive horizon.
    pub fn new(params: SolvencyParams) -> Result<Self, GreeksError> {
        positive("horizon_years", params.horizon_years)?;
        open_interval("level", params.level, 0.0, 1.0)?;
        open_interval("degrees of freedom", params.dof, 2.0, f64::INFINITY)?;
        // usize → f64 is exact for any realistic cell count.
        open_interval("cells", params.cells as f64, 1.5, f64::INFINITY)?;
        let cell_means = student_t_cell_means(params.dof, params.cells)?;
        Ok(SolvencyModel { params, cell_means })
    }

    /// The settings the table was built for.
    #[must_use]
    pub fn params(&self) -> &SolvencyParams {
        &self.params
    }

    /// E[T | cell i] for the M equally likely quantile cells of the standard Student-t(ν),
    /// increasing in i: the distribution the ES is taken over.
    #[must_use]
    pub fn cell_means(&self) -> &[f64] {
        &self.cell_means
    }

    /// Expected Shortfall of the net `exposures` and the solvency ratio of `insurance_fund` to
    /// it, as [`solvency`] computes them.
    ///
    /// # Errors
    /// [`GreeksError::Input`] for a non-finite or non-positive spot or volatility, a negative or
    /// non-finite fund, a non-finite delta or gamma, or an ES that overflows.
    pub fn solvency(
        &self,
        insurance_fund: f64,
        exposures: &[BookExposure],
    ) -> Result<Solvency, GreeksError> {
        non_negative("insurance_fund", insurance_fund)?;
        let params = &self.params;
        let mut expected_shortfall = 0.0;
        for exposure in exposures {
            positive("spot", exposure.spot)?;
            positive("vol", exposure.vol)?;
            finite("delta", exposure.delta)?;
            finite("gamma", exposure.gamma)?;
            let scale = student_t_scale_for_std_dev(
                params.dof,
                exposure.vol * params.horizon_years.sqrt(),
            )?;
            expected_shortfall += self.tail_mean(exposure.spot * scale, exposure);
        }
        finite("expected_shortfall", expected_shortfall)?;
        Ok(Solvency {
            expected_shortfall,
            insurance_fund,
            ratio: (expected_shortfall > 0.0).then(|| insurance_fund / expected_shortfall),
        })
    }

    /// Acerbi–Tasche tail mean at the level of the cell losses −(Δ·u + ½Γ·u²), u = `unit`·mean
    /// (the same estimator as [`crate::historical_expected_shortfall`] over the M cell P&Ls).
    fn tail_mean(&self, unit: f64, exposure: &BookExposure) -> f64 {
        let means = &self.cell_means;
        let loss = |i: usize| {
            let move_ = unit * means[i];
            -(exposure.delta * move_ + 0.5 * exposure.gamma * move_ * move_)
        };
        // Tail size k = M(1 − α) < M: `whole` worst cells and a fraction of the next.
        let tail = means.len() as f64 * (1.0 - self.params.level);
        let whole = tail.floor();
        let fraction = tail - whole;
        // `whole` < M, so the conversion is exact and in range.
        let whole = whole as usize;
        // The loss is a quadratic in the move with curvature −Γ·unit²: convex for Γ ≤ 0, where
        // the worst cells are at the two ends of the (sorted) table, concave for Γ > 0, where
        // they surround the vertex. Either way two cursors find them in decreasing order.
        let (mut low, mut high) = if exposure.gamma > 0.0 {
            // Vertex of the loss at move −Δ/Γ, i.e. at cell mean −Δ/(Γ·unit).
            let vertex = -exposure.delta / (exposure.gamma * unit);
            let at = means.partition_point(|&m| m < vertex);
            (at, at)
        } else {
            (0, means.len())
        };
        let mut next = || {
            // Convex: take the larger of the two ends, moving inwards. Concave: the larger of
            // the two neighbours of the window [low, high), moving outwards.
            if exposure.gamma > 0.0 {
                let left = low.checked_sub(1).map(loss);
                let right = (high < means.len()).then(|| loss(high));
                match (left, right) {
                    (Some(l), Some(r)) if l >= r => {
                        low -= 1;
                        l
                    }
                    (_, Some(r)) => {
                        high += 1;
                        r
                    }
                    (Some(l), None) => {
                        low -= 1;
                        l
                    }
                    (None, None) => 0.0,
                }
            } else {
                let (l, r) = (loss(low), loss(high - 1));
                if l >= r {
                    low += 1;
                    l
                } else {
                    high -= 1;
                    r
                }
            }
        };
        let mut sum = 0.0;
        for _ in 0..whole {
            sum += next();
        }
        (sum + fraction * next()) / tail
    }
}

/// E[T | cell i] for the `cells` equally likely quantile cells of a standard Student-t(ν).
fn student_t_cell_means(dof: f64, cells: usize) -> Result<Vec<f64>, GreeksError> {
    let count = cells as f64;
    // g(t) = (ν + t²)/(ν − 1)·f(t), with g(±∞) = 0 for ν > 1.
    let g = |p: f64| -> Result<f64, GreeksError> {
        if p <= 0.0 || p >= 1.0 {
            return Ok(0.0);
        }
        let t = student_t_quantile(p, dof)?;
        Ok((dof + t * t) / (dof - 1.0) * student_t_pdf(t, dof)?)
    };
    let mut means = Vec::with_capacity(cells);
    let mut lower = g(0.0)?;
    for i in 1..=cells {
        let upper = g(i as f64 / count)?;
        means.push(count * (lower - upper));
        lower = upper;
    }
    Ok(means)
}
