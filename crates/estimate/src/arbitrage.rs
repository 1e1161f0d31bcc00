//! Static no-arbitrage checks of the implied-volatility surface, reported as typed
//! diagnostics and counted, never an error or a panic.
//!
//! # Checks
//! - **Vertical spread** (per expiry, between adjacent quoted strikes): the undiscounted call
//!   price `C(K)` must fall with the strike, no faster than the strike rises:
//!   `−1 ≤ (C(K₂) − C(K₁))/(K₂ − K₁) ≤ 0`. The slope is minus the probability that the
//!   underlying ends above the strikes, so the excess is a probability outside [0, 1].
//! - **Butterfly** (per expiry, at each inner quoted strike): `C(K)` must be convex in the
//!   strike, the discrete form of a non-negative density: the slope to the right of `Kᵢ` may
//!   not be below the slope to its left. The excess (left slope − right slope) is the
//!   negative probability mass a butterfly spread around `Kᵢ` would buy.
//! - **Density** (per expiry, inside each segment between quoted strikes): Gatheral's
//!   `g(k) = (1 − k w′/(2w))² − w′²/4 · (1/w + 1/4) + w″/2 ≥ 0` (Gatheral & Jacquier,
//!   "Arbitrage-free SVI volatility surfaces", Quantitative Finance 14(1), 2014, eq. 2.1),
//!   the density of the *interpolated* smile up to a positive factor. With total variance
//!   linear in `k` inside a segment `w″ = 0`; `g` is evaluated at both ends and the middle.
//!   (At a quoted strike the interpolation has a kink of the sign of the change of slope,
//!   see [`crate::smile`]; the butterfly check above is its discrete counterpart.)
//! - **Calendar** (adjacent expiries with quotes): total variance at fixed log-moneyness
//!   `k = ln(K/F)` must not fall with the expiry. Both smiles are linear in `k` between their
//!   own quotes and flat in total variance beyond them until a SABR wing has converged, so
//!   their difference is piecewise linear with nodes at the union of the two quote sets:
//!   checking every node of both smiles checks the whole line exactly (with flat wings).
//!
//! Call prices are Black-76 and undiscounted, so their strike slopes are probabilities; a
//! tolerance of [`TOLERANCE`] absorbs rounding. Cost: O(n) per expiry (a Black-76 price per quote), O(n log
//! n) per calendar pair; nothing is allocated.

use crate::implied::{Black76, OptionKind};
use crate::smile::Smile;

/// Slack of every check (probability units for the price checks, a relative change of total
/// variance for calendar, absolute for `g`): rounding of prices and of `ln`/`exp` round trips
/// stays far below it.
pub const TOLERANCE: f64 = 1e-9;

/// One static arbitrage found in the surface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arbitrage {
    /// The call price slope between two adjacent quoted strikes is outside `[−1, 0]`.
    VerticalSpread {
        /// Expiry (ns).
        expiry_ns: u64,
        /// Lower strike of the pair.
        strike: f64,
        /// Upper strike of the pair.
        next_strike: f64,
        /// The slope `(C₂ − C₁)/(K₂ − K₁)` (undiscounted; a valid one is in `[−1, 0]`).
        slope: f64,
    },
    /// The call price is not convex at a quoted strike.
    Butterfly {
        /// Expiry (ns).
        expiry_ns: u64,
        /// The quoted strike.
        strike: f64,
        /// Left slope minus right slope (> 0): the negative probability mass.
        excess: f64,
    },
    /// Gatheral's `g(k)` is negative inside a segment of the interpolated smile.
    Density {
        /// Expiry (ns).
        expiry_ns: u64,
        /// Log-moneyness `ln(K/F)` of the point.
        log_moneyness: f64,
        /// `g(k)` there (< 0).
        g: f64,
    },
    /// Total variance at fixed log-moneyness falls from one expiry to the next.
    Calendar {
        /// The earlier expiry (ns).
        near_expiry_ns: u64,
        /// The later expiry (ns).
        far_expiry_ns: u64,
        /// Log-moneyness `ln(K/F)` of the point.
        log_moneyness: f64,
        /// Total variance of the earlier expiry there.
        near_variance: f64,
        /// Total variance of the later expiry there (smaller).
        far_variance: f64,
    },
}

/// Violations found, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArbitrageCounts {
    /// [`Arbitrage::VerticalSpread`] findings.
    pub vertical_spread: u32,
    /// [`Arbitrage::Butterfly`] findings.
    pub butterfly: u32,
    /// [`Arbitrage::Density`] findings.
    pub density: u32,
    /// [`Arbitrage::Calendar`] findings.
    pub calendar: u32,
}

impl ArbitrageCounts {
    /// All findings.
    pub fn total(&self) -> u32 {
        self.vertical_spread + self.butterfly + self.density + self.calendar
    }

    /// Counts `finding` and passes it on to `visit`.
    fn record(&mut self, finding: Arbitrage, visit: &mut impl FnMut(Arbitrage)) {
        match finding {
            Arbitrage::VerticalSpread { .. } => self.vertical_spread += 1,
            Arbitrage::Butterfly { .. } => self.butterfly += 1,
            Arbitrage::Density { .. } => self.density += 1,
            Arbitrage::Calendar { .. } => self.calendar += 1,
        }
        visit(finding);
    }

    /// Adds another count to this one.
    pub fn add(&mut self, other: ArbitrageCounts) {
        self.vertical_spread += other.vertical_spread;
        self.butterfly += other.butterfly;
        self.density += other.density;
        self.calendar += other.calendar;
    }
}

/// Gatheral's `g` for total variance `w` with slope `slope = w′(k)` and `w″ = 0`.
fn gatheral_g(k: f64, w: f64, slope: f64) -> f64 {
    let a = 1.0 - k * slope / (2.0 * w);
    a * a - slope * slope / 4.0 * (1.0 / w + 0.25)
}

/// Vertical-spread, butterfly and density checks of one expiry's quotes (see the module doc);
/// every finding is passed to `visit` and counted.
pub fn check_smile(
    expiry_ns: u64,
    smile: &Smile,
    mut visit: impl FnMut(Arbitrage),
) -> ArbitrageCounts {
    let mut counts = ArbitrageCounts::default();
    let (forward, t) = (smile.forward(), smile.expiry_years());
    let call = |strike: f64, vol: f64| {
        let contract = Black76 {
            kind: OptionKind::Call,
            forward,
            strike,
            expiry_years: t,
            discount: 1.0,
        };
        contract.price(vol).unwrap_or(f64::NAN)
    };
    // (strike, call price, w, k) of the previous quote, and the slope into it.
    let mut previous: Option<(f64, f64, f64, f64)> = None;
    let mut slope_in: Option<f64> = None;
    for (strike, vol) in smile.quotes() {
        let price = call(strike, vol);
        let (w, k) = (vol * vol * t, (strike / forward).ln());
        if let Some((k0_strike, p0, w0, k0)) = previous {
            let slope = (price - p0) / (strike - k0_strike);
            if !(-1.0 - TOLERANCE..=TOLERANCE).contains(&slope) {
                let finding = Arbitrage::VerticalSpread {
                    expiry_ns,
                    strike: k0_strike,
                    next_strike: strike,
                    slope,
                };
                counts.record(finding, &mut visit);
            }
            if let Some(left) = slope_in.filter(|left| left - slope > TOLERANCE) {
                let finding = Arbitrage::Butterfly {
                    expiry_ns,
                    strike: k0_strike,
                    excess: left - slope,
                };
                counts.record(finding, &mut visit);
            }
            slope_in = Some(slope);
            let w_slope = (w - w0) / (k - k0);
            let worst = [(k0, w0), (0.5 * (k0 + k), 0.5 * (w0 + w)), (k, w)]
                .map(|(x, wx)| (x, gatheral_g(x, wx, w_slope)))
                .into_iter()
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((x, g)) = worst.filter(|&(_, g)| g < -TOLERANCE) {
                let finding = Arbitrage::Density {
                    expiry_ns,
                    log_moneyness: x,
                    g,
                };
                counts.record(finding, &mut visit);
            }
        }
        previous = Some((strike, price, w, k));
    }
    counts
}

/// Calendar check of two expiries, `near` before `far` (see the module doc); every finding is
/// passed to `visit` and counted.
pub fn check_calendar(
    (near_expiry_ns, near): (u64, &Smile),
    (far_expiry_ns, far): (u64, &Smile),
    mut visit: impl FnMut(Arbitrage),
) -> ArbitrageCounts {
    let mut counts = ArbitrageCounts::default();
    if near.is_empty() || far.is_empty() {
        return counts;
    }
    let nodes = near
        .quotes()
        .map(|(strike, _)| (strike / near.forward()).ln())
        .chain(
            far.quotes()
                .map(|(strike, _)| (strike / far.forward()).ln()),
        );
    for k in nodes {
        let (Ok(near_variance), Ok(far_variance)) = (near.total_variance(k), far.total_variance(k))
        else {
            continue;
        };
        if far_variance < near_variance * (1.0 - TOLERANCE) {
            let finding = Arbitrage::Calendar {
                near_expiry_ns,
                far_expiry_ns,
                log_moneyness: k,
                near_variance,
                far_variance,
            };
            counts.record(finding, &mut visit);
        }
    }
    counts
}
