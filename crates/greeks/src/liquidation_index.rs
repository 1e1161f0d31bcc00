//! Liquidation prices per account, in ordered sets so that a spot tick finds the accounts it
//! breaches in O(log n + k).
//!
//! An account's margin surplus on one underlying, s(S) = equity(S) − MM(S), is expanded to second
//! order around the spot S₀ of its last full revaluation:
//!
//! s(S₀ + x) ≈ s₀ + b·x + ½·c·x², b = Δ_equity − ∂MM/∂S, c = Γ_equity − ∂²MM/∂S².
//!
//! Its roots nearest to S₀ below and above are the liquidation prices (see
//! [`LiquidationRange::from_expansion`]). The approximation error is the Taylor remainder,
//! |s(S₀ + x) − ŝ(x)| ≤ sup |s'''| · |x|³ / 6: for options, s''' is the position-weighted "speed"
//! ∂³V/∂S³, so the error grows with the cube of the move and is largest for short-dated
//! near-the-money options; linear positions and collateral contribute nothing. Accounts far from
//! the boundary are classified like a full revaluation; those within the remainder of it may not
//! be, which is why ranges are refreshed by full revaluation in round-robin batches
//! ([`crate::AccountBook::refresh`]) and candidates are re-checked at full revaluation before any
//! liquidation. An account exposed to several underlyings has one range per underlying, each
//! moving that underlying alone with the others held at their spots of the last revaluation.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

/// The prices at which an account's margin surplus (by its delta-gamma expansion) reaches zero:
/// it is liquidatable at any spot ≤ `below` or ≥ `above`.
///
/// `below` is −∞ when no price > 0 below the spot breaches, `above` is +∞ when none above does;
/// an account already in deficit has `below` = `above` = +∞ (breached at every price, listed
/// once).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationRange {
    /// Highest liquidation price below the reference spot.
    pub below: f64,
    /// Lowest liquidation price above the reference spot.
    pub above: f64,
}

impl LiquidationRange {
    /// The range of an account whose surplus at spot `spot` is `surplus`, with first and second
    /// derivatives `slope` and `curvature` in the spot.
    ///
    /// Solves s₀ + b·x + ½c·x² = 0 with the cancellation-free form q = −½(b + sgn(b)·√(b² −
    /// 2c·s₀)), roots q/(½c) and s₀/q. As c → 0 the second root tends to the linear root −s₀/b and
    /// the first to ±∞, so gamma ≈ 0 needs no special case; c = 0 exactly is solved linearly. A
    /// negative discriminant (no root) gives ±∞ on both sides.
    ///
    /// ```
    /// use recal_greeks::LiquidationRange;
    /// // Long 10 units with surplus 200 at spot 100: liquidated 20 lower, never above.
    /// let range = LiquidationRange::from_expansion(100.0, 200.0, 10.0, 0.0);
    /// assert_eq!((range.below, range.above), (80.0, f64::INFINITY));
    /// // Short gamma (c = −2, no slope): surplus 100 gone at ±10.
    /// let range = LiquidationRange::from_expansion(100.0, 100.0, 0.0, -2.0);
    /// assert_eq!((range.below, range.above), (90.0, 110.0));
    /// assert!(range.is_breached(89.0) && !range.is_breached(100.0));
    /// ```
    #[must_use]
    pub fn from_expansion(spot: f64, surplus: f64, slope: f64, curvature: f64) -> Self {
        if surplus.is_nan() || surplus <= 0.0 {
            return LiquidationRange {
                below: f64::INFINITY,
                above: f64::INFINITY,
            };
        }
        let half = 0.5 * curvature;
        let roots: [Option<f64>; 2] = if half == 0.0 {
            [(slope != 0.0).then(|| -surplus / slope), None]
        } else {
            let discriminant = slope * slope - 4.0 * half * surplus;
            if discriminant < 0.0 || !discriminant.is_finite() {
                [None, None]
            } else {
                let q = -0.5 * (slope + slope.signum() * discriminant.sqrt());
                [Some(q / half), (q != 0.0).then(|| surplus / q)]
            }
        };
        let mut range = LiquidationRange {
            below: f64::NEG_INFINITY,
            above: f64::INFINITY,
        };
        for x in roots.into_iter().flatten().filter(|x| x.is_finite()) {
            let price = spot + x;
            if x < 0.0 && price > 0.0 {
                range.below = range.below.max(price);
            } else if x > 0.0 {
                range.above = range.above.min(price);
            }
        }
        range
    }

    /// Whether spot `spot` breaches the range: `spot` ≤ `below` or `spot` ≥ `above`.
    #[must_use]
    pub fn is_breached(&self, spot: f64) -> bool {
        spot <= self.below || spot >= self.above
    }
}

/// A price ordered by [`f64::total_cmp`], so that ±∞ are valid keys.
#[derive(Debug, Clone, Copy)]
struct Price(f64);

impl PartialEq for Price {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Price {}

impl PartialOrd for Price {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Price {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Liquidation ranges of many accounts on one underlying, ordered by price on each side.
///
/// ```
/// use recal_greeks::{LiquidationIndex, LiquidationRange};
/// let mut index = LiquidationIndex::new();
/// index.insert(7, LiquidationRange { below: 90.0, above: f64::INFINITY });
/// index.insert(8, LiquidationRange { below: 80.0, above: 120.0 });
/// assert_eq!(index.breached(85.0).collect::<Vec<_>>(), vec![7]);
/// assert_eq!(index.breached(125.0).collect::<Vec<_>>(), vec![8]);
/// assert_eq!(index.breached(100.0).count(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct LiquidationIndex {
    below: BTreeSet<(Price, usize)>,
    above: BTreeSet<(Price, usize)>,
    ranges: BTreeMap<usize, LiquidationRange>,
}

impl LiquidationIndex {
    /// An empty index.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of accounts indexed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether no account is indexed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Sets the range of `account`, replacing any previous one. O(log n).
    pub fn insert(&mut self, account: usize, range: LiquidationRange) {
        self.remove(account);
        self.below.insert((Price(range.below), account));
        self.above.insert((Price(range.above), account));
        self.ranges.insert(account, range);
    }

    /// Removes `account`, returning its range. O(log n).
    pub fn remove(&mut self, account: usize) -> Option<LiquidationRange> {
        let range = self.ranges.remove(&account)?;
        self.below.remove(&(Price(range.below), account));
        self.above.remove(&(Price(range.above), account));
        Some(range)
    }

    /// The range of `account`, if indexed.
    #[must_use]
    pub fn range(&self, account: usize) -> Option<LiquidationRange> {
        self.ranges.get(&account).copied()
    }

    /// Every indexed account with its range, by account id.
    pub fn iter(&self) -> impl Iterator<Item = (usize, LiquidationRange)> + '_ {
        self.ranges
            .iter()
            .map(|(&account, &range)| (account, range))
    }

    /// The accounts whose range `spot` breaches, each once: those with `below` ≥ `spot`, then
    /// those with `above` ≤ `spot`. O(log n + k) for k accounts returned.
    pub fn breached(&self, spot: f64) -> impl Iterator<Item = usize> + '_ {
        let low = self
            .below
            .range((Bound::Included((Price(spot), 0)), Bound::Unbounded))
            .map(|&(_, account)| account);
        // An account in deficit has below = above = +∞ and is already listed by `low`.
        let high = self
            .above
            .range((Bound::Unbounded, Bound::Included((Price(spot), usize::MAX))))
            .map(|&(_, account)| account);
        low.chain(high)
    }

    /// The accounts whose liquidation price a move of the spot from `from` to `to` passes:
    /// `below` in [`to`, `from`) on a fall, `above` in (`from`, `to`] on a rise, in the order the
    /// move reaches them. Every account the move newly breaches is listed (once); so is one that
    /// `from` already breached on its other side. O(log n + k): a tick's cost depends on the
    /// accounts near the move, not on how many are breached already.
    pub fn crossed(&self, from: f64, to: f64) -> impl Iterator<Item = usize> + '_ {
        let falling = (to < from).then(|| self.below_between(to, from));
        let rising = (to > from).then(|| self.above_between(from, to));
        falling
            .into_iter()
            .flatten()
            .chain(rising.into_iter().flatten())
            .map(|(_, account)| account)
    }

    /// Accounts already in deficit (range +∞ on both sides), by id. O(log n + k).
    pub fn in_deficit(&self) -> impl Iterator<Item = usize> + '_ {
        self.below
            .range((Bound::Included((Price(f64::INFINITY), 0)), Bound::Unbounded))
            .map(|&(_, account)| account)
    }

    /// Accounts whose `below` price lies in [`low`, `high`), highest price first (the order in
    /// which a falling price reaches them), with that price. O(log n + k).
    pub fn below_between(&self, low: f64, high: f64) -> impl Iterator<Item = (f64, usize)> + '_ {
        // One descent of the tree (to `high`), then a walk down to `low`: a two-sided range
        // would descend twice, and on a large index each descent is a chain of cache misses.
        let low = Price(low);
        self.below
            .range((Bound::Unbounded, Bound::Excluded((Price(high), 0))))
            .rev()
            .take_while(move |&&(price, _)| price >= low)
            .map(|&(price, account)| (price.0, account))
    }

    /// Accounts whose `above` price lies in (`low`, `high`], lowest price first (the order in
    /// which a rising price reaches them), with that price. O(log n + k).
    pub fn above_between(&self, low: f64, high: f64) -> impl Iterator<Item = (f64, usize)> + '_ {
        // One descent (to `low`), then a walk up to `high`, as in `below_between`.
        let high = Price(high);
        self.above
            .range((Bound::Excluded((Price(low), usize::MAX)), Bound::Unbounded))
            .take_while(move |&&(price, _)| price <= high)
            .map(|&(price, account)| (price.0, account))
    }
}
