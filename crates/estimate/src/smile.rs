//! One expiry's implied-volatility smile: mark IVs by strike, interpolated in total variance.
//!
//! # Interpolation
//! Between quoted strikes the total variance `w = σ²T` is **linear in the log-moneyness**
//! `k = ln(K/F)`. Chosen over cubic splines for being no-arbitrage friendly: it never
//! overshoots (every interpolated `w` lies between its two neighbours, so `w > 0` and no
//! spurious wiggle creates a negative density between quotes), it reproduces every quote
//! exactly, and a linear map applied node by node commutes with the linear-in-time calendar
//! interpolation of [`crate::surface`], so two smiles ordered at every node stay ordered
//! everywhere between them. Its price is a kink (a point mass of density) at each quote, of the
//! sign of the change of slope; quotes that are themselves arbitrage-free keep it small.
//!
//! # Wings
//! Beyond the outermost quoted strike the smile is **flat in total variance** (the edge IV)
//! until a SABR fit of this expiry ([`SabrCalibration`], run in slices by [`Smile::calibrate`]
//! off the hot path, warm-started from the previous fit) has converged. From then on the wing
//! follows the shape of the last converged SABR smile, scaled to meet the edge quote:
//! `σ(K) = σ_edge · σ_SABR(K) / σ_SABR(K_edge)`. The ratio keeps the smile continuous at the
//! edge and positive everywhere; where Hagan's expansion breaks down the wing falls back to flat.
//!
//! # Cost
//! Quotes live in an ordered map keyed by strike: setting, replacing or removing a strike's IV
//! and every query cost O(log n).

use std::collections::BTreeMap;

use crate::error::EstimateError;
use crate::input::check_price;
use crate::sabr::{SabrCalibration, SabrParams};

/// Iterations a SABR fit may spend on one snapshot of the quotes before the next slice takes
/// in newer quotes even though it has not converged.
pub const SNAPSHOT_ITERATIONS: usize = 200;

/// Ordered key of a strike: for finite positive floats the bit pattern orders as the value.
fn strike_key(strike: f64) -> u64 {
    strike.to_bits()
}

fn strike_of(key: u64) -> f64 {
    f64::from_bits(key)
}

/// One expiry's smile: quoted mark IVs by strike, the forward and time to expiry they refer
/// to, and the SABR fit that supplies the wings.
///
/// ```
/// use recal_estimate::Smile;
/// let mut smile = Smile::new(100.0, 0.5, 1.0)?;
/// smile.set_iv(90.0, 0.30)?;
/// smile.set_iv(110.0, 0.20)?;
/// assert_eq!(smile.vol(90.0)?, 0.30); // quotes are reproduced exactly
/// // Between quotes w = σ²T is linear in k = ln(K/F):
/// let (k0, k1, k) = ((0.9f64).ln(), (1.1f64).ln(), 0.0);
/// let w = 0.30f64.powi(2) * 0.5 + (0.20f64.powi(2) - 0.30f64.powi(2)) * 0.5 * (k - k0) / (k1 - k0);
/// assert!((smile.total_variance(0.0)? - w).abs() < 1e-15);
/// // Flat in total variance beyond the last quote until a SABR fit has converged:
/// assert_eq!(smile.vol(150.0)?, 0.20);
/// # Ok::<(), recal_estimate::EstimateError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Smile {
    forward: f64,
    expiry_years: f64,
    sabr_beta: f64,
    quotes: BTreeMap<u64, f64>,
    fit: Option<SabrCalibration>,
    fit_stale: bool,
    wings: Option<SabrParams>,
    points: Vec<(f64, f64)>,
}

fn check_expiry(expiry_years: f64) -> Result<f64, EstimateError> {
    if expiry_years > 0.0 && expiry_years.is_finite() {
        Ok(expiry_years)
    } else {
        Err(EstimateError::InvalidValue {
            name: "expiry_years",
            value: expiry_years,
        })
    }
}

impl Smile {
    /// An empty smile for `forward` (> 0) and `expiry_years` (> 0), whose SABR wings use the
    /// CEV exponent `sabr_beta` ∈ [0, 1] (1 for a lognormal backbone).
    pub fn new(forward: f64, expiry_years: f64, sabr_beta: f64) -> Result<Self, EstimateError> {
        check_price(forward)?;
        check_expiry(expiry_years)?;
        if !(0.0..=1.0).contains(&sabr_beta) {
            return Err(EstimateError::InvalidValue {
                name: "sabr_beta",
                value: sabr_beta,
            });
        }
        Ok(Smile {
            forward,
            expiry_years,
            sabr_beta,
            quotes: BTreeMap::new(),
            fit: None,
            fit_stale: true,
            wings: None,
            points: Vec::new(),
        })
    }

    /// Forward the log-moneyness is measured from.
    pub fn forward(&self) -> f64 {
        self.forward
    }

    /// Time to expiry in years.
    pub fn expiry_years(&self) -> f64 {
        self.expiry_years
    }

    /// Number of quoted strikes.
    pub fn len(&self) -> usize {
        self.quotes.len()
    }

    /// True when no strike is quoted.
    pub fn is_empty(&self) -> bool {
        self.quotes.is_empty()
    }

    /// The quotes `(strike, IV)` in increasing strike order.
    pub fn quotes(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.quotes.iter().map(|(&k, &v)| (strike_of(k), v))
    }

    /// Moves the forward (> 0). The SABR fit is redone by the next [`Smile::calibrate`]
    /// slices; the wings keep the last converged parameters meanwhile.
    pub fn set_forward(&mut self, forward: f64) -> Result<(), EstimateError> {
        self.forward = check_price(forward)?;
        self.fit_stale = true;
        Ok(())
    }

    /// Sets the time to expiry (> 0) as time passes. Quotes and fit are kept: IVs are
    /// re-marked by their own quotes.
    pub fn set_expiry_years(&mut self, expiry_years: f64) -> Result<(), EstimateError> {
        self.expiry_years = check_expiry(expiry_years)?;
        Ok(())
    }

    /// Sets or replaces the mark IV (finite, > 0) of `strike` (> 0), O(log n); returns the IV
    /// it replaced. On error nothing changes.
    pub fn set_iv(&mut self, strike: f64, iv: f64) -> Result<Option<f64>, EstimateError> {
        check_price(strike)?;
        if !(iv > 0.0 && iv.is_finite()) {
            return Err(EstimateError::InvalidValue {
                name: "iv",
                value: iv,
            });
        }
        self.fit_stale = true;
        Ok(self.quotes.insert(strike_key(strike), iv))
    }

    /// Removes `strike`'s quote, O(log n); returns it if there was one.
    pub fn remove_strike(&mut self, strike: f64) -> Option<f64> {
        let removed = self.quotes.remove(&strike_key(strike));
        self.fit_stale |= removed.is_some();
        removed
    }

    /// Interpolated implied volatility at `strike` (> 0): the quote itself at a quoted strike,
    /// linear total variance in log-moneyness between quotes, the wing rule outside (see the
    /// module doc). An error when nothing is quoted.
    pub fn vol(&self, strike: f64) -> Result<f64, EstimateError> {
        check_price(strike)?;
        let key = strike_key(strike);
        let below = self.quotes.range(..=key).next_back();
        let above = self.quotes.range(key..).next();
        match (below, above) {
            (Some((&k0, &v0)), _) if k0 == key => Ok(v0),
            (Some((&k0, &v0)), Some((&k1, &v1))) => {
                let x0 = self.log_moneyness(strike_of(k0));
                let x1 = self.log_moneyness(strike_of(k1));
                let x = self.log_moneyness(strike);
                let (w0, w1) = (v0 * v0, v1 * v1); // per unit T: T cancels
                let w = w0 + (w1 - w0) * ((x - x0) / (x1 - x0));
                Ok(w.sqrt())
            }
            (Some((&k0, &v0)), None) | (None, Some((&k0, &v0))) => {
                Ok(self.wing_vol(strike, strike_of(k0), v0))
            }
            (None, None) => Err(EstimateError::TooFewPoints { needed: 1, got: 0 }),
        }
    }

    /// Total variance `w = σ²T` at log-moneyness `k = ln(K/F)` (finite).
    pub fn total_variance(&self, log_moneyness: f64) -> Result<f64, EstimateError> {
        if !log_moneyness.is_finite() {
            return Err(EstimateError::InvalidValue {
                name: "log_moneyness",
                value: log_moneyness,
            });
        }
        let vol = self.vol(self.forward * log_moneyness.exp())?;
        Ok(vol * vol * self.expiry_years)
    }

    fn log_moneyness(&self, strike: f64) -> f64 {
        (strike / self.forward).ln()
    }

    /// Volatility beyond the edge quote `(edge_strike, edge_vol)`.
    fn wing_vol(&self, strike: f64, edge_strike: f64, edge_vol: f64) -> f64 {
        let shape = self.wings.and_then(|p| {
            let at = |k| p.lognormal_vol(self.forward, k, self.expiry_years).ok();
            Some(at(strike)? / at(edge_strike)?)
        });
        edge_vol * shape.unwrap_or(1.0)
    }

    /// True while the SABR fit has work left: at least three quotes, and quotes or forward
    /// changed since the fit last took them, or the fit has not converged on them.
    pub fn fit_pending(&self) -> bool {
        self.quotes.len() >= 3
            && (self.fit_stale || self.fit.as_ref().is_none_or(|f| !f.converged()))
    }

    /// Runs at most `max_iterations` iterations of this expiry's SABR fit (a slice of
    /// background work, per event); returns the iterations done. Once the fit has converged
    /// its parameters become the wings.
    ///
    /// A fit works on a snapshot of the quotes and forward: when they have changed, the next
    /// slice takes the current ones in, warm-starting from the fit's parameters, but only once
    /// the running fit has converged (or spent [`SNAPSHOT_ITERATIONS`] on its snapshot). So a
    /// live chain, whose forward and quotes move at every tick, still sees its fits converge
    /// and its wings refreshed, instead of a fit restarted at every slice.
    ///
    /// ```
    /// use recal_estimate::{SabrParams, Smile};
    /// let truth = SabrParams { alpha: 0.6, beta: 1.0, rho: -0.3, nu: 1.0 };
    /// let mut smile = Smile::new(100.0, 0.25, 1.0)?;
    /// for k in [80.0, 90.0, 100.0, 110.0, 125.0] {
    ///     smile.set_iv(k, truth.lognormal_vol(100.0, k, 0.25)?)?;
    /// }
    /// while smile.fit_pending() {
    ///     smile.calibrate(5);
    /// }
    /// let far = truth.lognormal_vol(100.0, 180.0, 0.25)?;
    /// assert!((smile.vol(180.0)? - far).abs() < 1e-6); // the SABR wing
    /// # Ok::<(), recal_estimate::EstimateError>(())
    /// ```
    pub fn calibrate(&mut self, max_iterations: usize) -> usize {
        if self.quotes.len() < 3 {
            return 0;
        }
        let snapshot_done = self
            .fit
            .as_ref()
            .is_none_or(|f| f.converged() || f.iterations() >= SNAPSHOT_ITERATIONS);
        if self.fit_stale && snapshot_done {
            self.points.clear();
            self.points
                .extend(self.quotes.iter().map(|(&k, &v)| (strike_of(k), v)));
            let (forward, expiry) = (self.forward, self.expiry_years);
            let taken = match &mut self.fit {
                Some(fit) => fit.update_quotes(forward, expiry, &self.points).is_ok(),
                None => {
                    self.fit =
                        SabrCalibration::new(forward, expiry, self.sabr_beta, &self.points, None)
                            .ok();
                    self.fit.is_some()
                }
            };
            if !taken {
                return 0;
            }
            self.fit_stale = false;
        }
        let Some(fit) = &mut self.fit else {
            return 0;
        };
        let done = fit.run(max_iterations);
        if fit.converged() {
            self.wings = Some(fit.params());
        }
        done
    }

    /// The SABR fit of this expiry, if one was started.
    pub fn fit(&self) -> Option<&SabrCalibration> {
        self.fit.as_ref()
    }

    /// Parameters of the last converged SABR fit, which shape the wings; `None` (flat wings)
    /// until a fit has converged.
    pub fn wing_params(&self) -> Option<SabrParams> {
        self.wings
    }
}
