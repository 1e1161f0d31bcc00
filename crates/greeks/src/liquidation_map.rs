//! The liquidation map: collateral and notional that become liquidatable at each price level
//! below and above the spot, in buckets of a fixed fraction of spot.

use crate::error::{GreeksError, positive};
use crate::liquidation_index::LiquidationIndex;

/// Default bucket width: 0.5 % of spot.
pub const DEFAULT_BUCKET_WIDTH: f64 = 0.005;

/// Default span of the map on each side: 30 % of spot.
pub const DEFAULT_SPAN: f64 = 0.30;

/// Totals of the accounts whose liquidation price falls in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MapBucket {
    /// Number of accounts.
    pub accounts: usize,
    /// Σ haircut collateral value, quote currency.
    pub collateral: f64,
    /// Σ gross notional on the underlying, quote currency.
    pub notional: f64,
}

/// Liquidatable collateral and notional by price level.
///
/// Bucket i of `below` holds the accounts whose `below` liquidation price p satisfies
/// i·w ≤ 1 − p/S < (i + 1)·w; bucket i of `above` those with i·w < p/S − 1 ≤ (i + 1)·w (w the bucket
/// width, S the spot). Accounts already breached at S are not in the map.
#[derive(Debug, Clone, PartialEq)]
pub struct LiquidationMap {
    /// Spot the map is centred on.
    pub spot: f64,
    /// Bucket width as a fraction of spot.
    pub bucket_width: f64,
    /// Buckets below the spot, nearest first.
    pub below: Vec<MapBucket>,
    /// Buckets above the spot, nearest first.
    pub above: Vec<MapBucket>,
}

impl LiquidationMap {
    /// Builds the map of `index` around `spot`, ⌈`span` / `bucket_width`⌉ buckets on each side;
    /// `weights` gives an account's (collateral, notional). Visits only the accounts inside the
    /// span: O(log n + k).
    ///
    /// # Errors
    /// [`GreeksError::Input`] if spot, width or span is not finite and > 0.
    ///
    /// ```
    /// use recal_greeks::{LiquidationIndex, LiquidationMap, LiquidationRange};
    /// let mut index = LiquidationIndex::new();
    /// index.insert(0, LiquidationRange { below: 99.7, above: f64::INFINITY });
    /// index.insert(1, LiquidationRange { below: 98.0, above: 101.2 });
    /// let map = LiquidationMap::build(&index, 100.0, 0.005, 0.30, |account| (100.0, 10.0 * account as f64))?;
    /// assert_eq!(map.below.len(), 60);
    /// assert_eq!(map.below[0].accounts, 1); // 99.7: 0.3 % below
    /// assert_eq!(map.below[4].accounts, 1); // 98.0: 2.0 % below, bucket [2 %, 2.5 %)
    /// assert_eq!(map.above[2].notional, 10.0); // 101.2: 1.2 % above, bucket (1 %, 1.5 %]
    /// # Ok::<(), recal_greeks::GreeksError>(())
    /// ```
    pub fn build(
        index: &LiquidationIndex,
        spot: f64,
        bucket_width: f64,
        span: f64,
        weights: impl Fn(usize) -> (f64, f64),
    ) -> Result<Self, GreeksError> {
        positive("spot", spot)?;
        positive("bucket_width", bucket_width)?;
        positive("span", span)?;
        let buckets = (span / bucket_width).ceil().max(1.0);
        // `buckets` is a positive whole number no larger than span / width + 1.
        let count = buckets as usize;
        let mut map = LiquidationMap {
            spot,
            bucket_width,
            below: vec![MapBucket::default(); count],
            above: vec![MapBucket::default(); count],
        };
        let add = |side: &mut Vec<MapBucket>, bucket: f64, account: usize| {
            // Truncation of a non-negative whole number; the far edge joins the last bucket.
            let entry = &mut side[(bucket.max(0.0) as usize).min(count - 1)];
            let (collateral, notional) = weights(account);
            entry.accounts += 1;
            entry.collateral += collateral;
            entry.notional += notional;
        };
        for (price, account) in index.below_between(spot * (1.0 - span), spot) {
            add(
                &mut map.below,
                ((1.0 - price / spot) / bucket_width).floor(),
                account,
            );
        }
        for (price, account) in index.above_between(spot, spot * (1.0 + span)) {
            add(
                &mut map.above,
                ((price / spot - 1.0) / bucket_width).ceil() - 1.0,
                account,
            );
        }
        Ok(map)
    }
}
