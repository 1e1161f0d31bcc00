//! The implied-volatility surface: one [`Smile`] per expiry, interpolated across expiries.
//!
//! # Time
//! Expiries are keyed by their timestamp (ns); the time to expiry is `(expiry − now)` over a
//! configured year length, `now` read only from events ([`VolSurface::set_time`]). Expired
//! smiles are dropped.
//!
//! # Interpolation across expiries
//! At a query `(K, T)` between the expiries `T₁ < T < T₂` the forward is interpolated with
//! `ln F` linear in `T` (a constant carry between expiries), the log-moneyness
//! `k = ln(K/F(T))` is held fixed, and the total variance is linear in `T`:
//! `w(k, T) = w₁(k) + (w₂(k) − w₁(k)) (T − T₁)/(T₂ − T₁)`. When every smile's `w(k)` rises
//! with `T` (no calendar arbitrage at the nodes) the interpolated `w` rises with `T` too.
//! Before the first expiry and after the last the vol at fixed `k` is held flat
//! (`w ∝ T`, which still rises with `T`) with the nearest expiry's forward. A query exactly at
//! an expiry is that smile's own value. Expiries without quotes are ignored.
//!
//! # Static arbitrage
//! [`VolSurface::check_arbitrage`] (whole surface) and [`VolSurface::check_expiry`] (one
//! expiry and its neighbours) run the checks of [`crate::arbitrage`] — vertical spread,
//! butterfly, density, calendar — and report findings as typed diagnostics with counts; the
//! surface itself keeps quoting what it is given.

use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Unbounded};

use crate::arbitrage::{Arbitrage, ArbitrageCounts, check_calendar, check_smile};
use crate::error::EstimateError;
use crate::input::check_price;
use crate::skew::SmileSummary;
use crate::smile::Smile;

/// Smiles by expiry, and the clock that turns expiry timestamps into times to expiry.
///
/// ```
/// use recal_estimate::VolSurface;
/// const DAY: u64 = 86_400_000_000_000;
/// let mut surface = VolSurface::new(365.0 * 86_400e9, 1.0)?;
/// surface.set_time(0)?;
/// for (expiry, vol) in [(30 * DAY, 0.8), (90 * DAY, 0.6)] {
///     surface.set_forward(expiry, 9000.0)?;
///     surface.set_iv(expiry, 9000.0, vol)?;
/// }
/// // Halfway in time: w = (0.8²·30 + 0.6²·90)/2 / 365 at 60 days.
/// let want = ((0.64 * 30.0 + 0.36 * 90.0) / 2.0 / 60.0f64).sqrt();
/// assert!((surface.vol(9000.0, 60.0 / 365.0)? - want).abs() < 1e-14);
/// # Ok::<(), recal_estimate::EstimateError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct VolSurface {
    ns_per_year: f64,
    sabr_beta: f64,
    now_ns: u64,
    smiles: BTreeMap<u64, Smile>,
    next_fit: u64,
}

impl VolSurface {
    /// An empty surface counting `ns_per_year` nanoseconds (> 0) in a year (e.g.
    /// [`crate::NS_PER_YEAR`], or 365 days for Deribit's convention), whose smiles fit SABR
    /// wings with `sabr_beta` ∈ [0, 1].
    pub fn new(ns_per_year: f64, sabr_beta: f64) -> Result<Self, EstimateError> {
        check_price(ns_per_year).map_err(|_| EstimateError::InvalidValue {
            name: "ns_per_year",
            value: ns_per_year,
        })?;
        Smile::new(1.0, 1.0, sabr_beta)?; // the smiles' own check of sabr_beta
        Ok(VolSurface {
            ns_per_year,
            sabr_beta,
            now_ns: 0,
            smiles: BTreeMap::new(),
            next_fit: 0,
        })
    }

    fn years_to(&self, expiry_ns: u64) -> Result<f64, EstimateError> {
        if expiry_ns <= self.now_ns {
            return Err(EstimateError::InvalidValue {
                name: "expiry_ns",
                value: expiry_ns as f64,
            });
        }
        Ok((expiry_ns - self.now_ns) as f64 / self.ns_per_year)
    }

    /// The clock: the latest event time given to [`VolSurface::set_time`], ns.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// Moves the clock to `now_ns` (never backwards), updates every time to expiry and drops
    /// the expiries at or before `now_ns`.
    pub fn set_time(&mut self, now_ns: u64) -> Result<(), EstimateError> {
        if now_ns < self.now_ns {
            return Err(EstimateError::NonIncreasingTime {
                last_ns: self.now_ns,
                got_ns: now_ns,
            });
        }
        self.now_ns = now_ns;
        self.smiles.retain(|&expiry, _| expiry > now_ns);
        for (&expiry, smile) in &mut self.smiles {
            smile.set_expiry_years((expiry - now_ns) as f64 / self.ns_per_year)?;
        }
        Ok(())
    }

    /// Sets the forward (> 0) of the expiry at `expiry_ns` (after the clock), creating its
    /// smile if new.
    pub fn set_forward(&mut self, expiry_ns: u64, forward: f64) -> Result<(), EstimateError> {
        let expiry_years = self.years_to(expiry_ns)?;
        match self.smiles.get_mut(&expiry_ns) {
            Some(smile) => smile.set_forward(forward),
            None => {
                let smile = Smile::new(forward, expiry_years, self.sabr_beta)?;
                self.smiles.insert(expiry_ns, smile);
                Ok(())
            }
        }
    }

    fn smile_mut(&mut self, expiry_ns: u64) -> Result<&mut Smile, EstimateError> {
        self.smiles
            .get_mut(&expiry_ns)
            .ok_or(EstimateError::InvalidValue {
                name: "expiry_ns without a forward",
                value: expiry_ns as f64,
            })
    }

    /// Sets or replaces a strike's mark IV in an expiry whose forward is set, O(log n) in the
    /// strikes (see [`Smile::set_iv`]).
    pub fn set_iv(
        &mut self,
        expiry_ns: u64,
        strike: f64,
        iv: f64,
    ) -> Result<Option<f64>, EstimateError> {
        self.smile_mut(expiry_ns)?.set_iv(strike, iv)
    }

    /// Removes a strike's quote from an expiry; returns it if there was one.
    pub fn remove_strike(&mut self, expiry_ns: u64, strike: f64) -> Option<f64> {
        self.smiles.get_mut(&expiry_ns)?.remove_strike(strike)
    }

    /// The smile of an expiry.
    pub fn smile(&self, expiry_ns: u64) -> Option<&Smile> {
        self.smiles.get(&expiry_ns)
    }

    /// The expiries (timestamp, smile), earliest first.
    pub fn expiries(&self) -> impl Iterator<Item = (u64, &Smile)> {
        self.smiles.iter().map(|(&e, s)| (e, s))
    }

    /// Per expiry summary (ATM, RR25, BF25, fit state), earliest first; an error in place of
    /// an expiry whose smile is empty or has no 25-delta strike.
    pub fn summaries(
        &self,
    ) -> impl Iterator<Item = (u64, Result<SmileSummary, EstimateError>)> + '_ {
        self.smiles.iter().map(|(&e, s)| (e, s.summary()))
    }

    /// One slice of background SABR calibration: at most `max_iterations` iterations on the
    /// next expiry (round robin) whose fit has work left; returns the iterations done (0 when
    /// every fit is done).
    pub fn calibrate(&mut self, max_iterations: usize) -> usize {
        let start = self.next_fit;
        let pending = |(&e, s): (&u64, &Smile)| s.fit_pending().then_some(e);
        let next = self
            .smiles
            .range(start..)
            .find_map(pending)
            .or_else(|| self.smiles.range(..start).find_map(pending));
        let Some(expiry) = next else {
            return 0;
        };
        self.next_fit = expiry.saturating_add(1);
        self.smiles
            .get_mut(&expiry)
            .map_or(0, |s| s.calibrate(max_iterations))
    }

    /// Every static no-arbitrage check of [`crate::arbitrage`] over the whole surface: each
    /// expiry's vertical spreads, butterflies and density, and calendar between every pair of
    /// adjacent quoted expiries. Findings go to `visit` and are counted; nothing allocates.
    pub fn check_arbitrage(&self, mut visit: impl FnMut(Arbitrage)) -> ArbitrageCounts {
        let mut counts = ArbitrageCounts::default();
        let mut previous: Option<(u64, &Smile)> = None;
        for (expiry, smile) in self.expiries().filter(|(_, s)| !s.is_empty()) {
            counts.add(check_smile(expiry, smile, &mut visit));
            if let Some(near) = previous {
                counts.add(check_calendar(near, (expiry, smile), &mut visit));
            }
            previous = Some((expiry, smile));
        }
        counts
    }

    /// The checks that involve the expiry at `expiry_ns`: its own smile, and calendar against
    /// the nearest quoted expiry on either side (what a change of its quotes can break).
    pub fn check_expiry(
        &self,
        expiry_ns: u64,
        mut visit: impl FnMut(Arbitrage),
    ) -> ArbitrageCounts {
        let mut counts = ArbitrageCounts::default();
        let Some(smile) = self.smiles.get(&expiry_ns).filter(|s| !s.is_empty()) else {
            return counts;
        };
        counts.add(check_smile(expiry_ns, smile, &mut visit));
        let near = self
            .smiles
            .range(..expiry_ns)
            .rev()
            .find(|(_, s)| !s.is_empty());
        if let Some((&near_expiry, near)) = near {
            counts.add(check_calendar(
                (near_expiry, near),
                (expiry_ns, smile),
                &mut visit,
            ));
        }
        let far = (Excluded(expiry_ns), Unbounded);
        if let Some((&far_expiry, far)) = self.smiles.range(far).find(|(_, s)| !s.is_empty()) {
            let far = (far_expiry, far);
            counts.add(check_calendar((expiry_ns, smile), far, &mut visit));
        }
        counts
    }

    /// Implied vol at `strike` (> 0) and `expiry_years` (> 0) from now, interpolated across
    /// expiries as the module doc says. An error when no expiry has a quote.
    pub fn vol(&self, strike: f64, expiry_years: f64) -> Result<f64, EstimateError> {
        check_price(strike)?;
        if !(expiry_years > 0.0 && expiry_years.is_finite()) {
            return Err(EstimateError::InvalidValue {
                name: "expiry_years",
                value: expiry_years,
            });
        }
        let quoted = || self.smiles.values().filter(|s| !s.is_empty());
        let before = quoted().rfind(|s| s.expiry_years() <= expiry_years);
        let after = quoted().find(|s| s.expiry_years() >= expiry_years);
        let (near, far) = match (before, after) {
            (Some(s), _) if s.expiry_years() == expiry_years => {
                return s.vol(strike);
            }
            (Some(near), Some(far)) => (near, far),
            // Flat vol at fixed k = ln(K/F_edge): the edge smile's own vol at the strike.
            (Some(edge), None) | (None, Some(edge)) => return edge.vol(strike),
            (None, None) => return Err(EstimateError::TooFewPoints { needed: 1, got: 0 }),
        };
        let weight =
            (expiry_years - near.expiry_years()) / (far.expiry_years() - near.expiry_years());
        let log_forward = near.forward().ln() + (far.forward().ln() - near.forward().ln()) * weight;
        let k = strike.ln() - log_forward;
        let (w_near, w_far) = (near.total_variance(k)?, far.total_variance(k)?);
        let w = w_near + (w_far - w_near) * weight;
        Ok((w / expiry_years).sqrt())
    }
}
