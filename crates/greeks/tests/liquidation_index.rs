//! The liquidation index against a brute-force scan, the root solver against the quadratic, and
//! the delta-gamma ranges against full revaluation.

mod common;

use std::collections::BTreeSet;

use common::market;
use proptest::prelude::*;
use recal_greeks::{
    Account, AccountBook, GreeksError, Instrument, LiquidationIndex, LiquidationRange,
    MarginParams, Market, Position, Underlying, assess_account, normal_pdf,
};

fn range() -> impl Strategy<Value = LiquidationRange> {
    (
        50.0..150.0_f64,
        -100.0..1000.0_f64,
        -50.0..50.0_f64,
        prop_oneof![Just(0.0), -5.0..5.0_f64, -1e-12..1e-12_f64],
    )
        .prop_map(|(spot, surplus, slope, curvature)| {
            LiquidationRange::from_expansion(spot, surplus, slope, curvature)
        })
}

#[derive(Debug, Clone)]
enum Op {
    Insert(usize, LiquidationRange),
    Remove(usize),
    Query(f64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..40, range()).prop_map(|(a, r)| Op::Insert(a, r)),
        (0usize..40).prop_map(Op::Remove),
        prop_oneof![1.0..250.0_f64, (50usize..150).prop_map(|p| p as f64)].prop_map(Op::Query),
    ]
}

proptest! {
    #[test]
    fn index_finds_exactly_the_brute_force_breaches(ops in prop::collection::vec(op(), 1..200)) {
        let mut index = LiquidationIndex::new();
        let mut model = std::collections::BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(account, range) => {
                    index.insert(account, range);
                    model.insert(account, range);
                }
                Op::Remove(account) => {
                    prop_assert_eq!(index.remove(account), model.remove(&account));
                }
                Op::Query(spot) => {
                    let found: Vec<usize> = index.breached(spot).collect();
                    let unique: BTreeSet<usize> = found.iter().copied().collect();
                    prop_assert_eq!(unique.len(), found.len(), "an account listed twice");
                    let brute: BTreeSet<usize> = model
                        .iter()
                        .filter(|(_, r)| r.is_breached(spot))
                        .map(|(&a, _)| a)
                        .collect();
                    prop_assert_eq!(unique, brute);
                    let deficit: Vec<usize> = model
                        .iter()
                        .filter(|(_, r)| r.below == f64::INFINITY)
                        .map(|(&a, _)| a)
                        .collect();
                    prop_assert_eq!(index.in_deficit().collect::<Vec<_>>(), deficit);
                }
            }
            prop_assert_eq!(index.len(), model.len());
        }
    }

    /// A move's crossings are exactly the accounts a scan finds with a liquidation price
    /// between the two spots, and they include every account the move newly breaches.
    #[test]
    fn crossings_equal_the_brute_force_scan(
        ranges in prop::collection::vec(range(), 0..300),
        moves in prop::collection::vec(prop_oneof![1.0..250.0_f64, (50usize..150).prop_map(|p| p as f64)], 1..20),
    ) {
        let mut index = LiquidationIndex::new();
        for (account, &range) in ranges.iter().enumerate() {
            index.insert(account, range);
        }
        let mut from = 100.0;
        for to in moves {
            let found: Vec<usize> = index.crossed(from, to).collect();
            let unique: BTreeSet<usize> = found.iter().copied().collect();
            prop_assert_eq!(unique.len(), found.len(), "an account listed twice");
            let brute: BTreeSet<usize> = ranges
                .iter()
                .enumerate()
                .filter(|(_, r)| (to <= r.below && r.below < from) || (from < r.above && r.above <= to))
                .map(|(a, _)| a)
                .collect();
            prop_assert_eq!(&unique, &brute);
            let newly = ranges
                .iter()
                .enumerate()
                .filter(|(_, r)| r.is_breached(to) && !r.is_breached(from))
                .map(|(a, _)| a);
            for account in newly {
                prop_assert!(unique.contains(&account));
            }
            from = to;
        }
    }

    #[test]
    fn liquidation_prices_are_the_nearest_roots(
        spot in 50.0..150.0_f64,
        surplus in 0.1..1000.0_f64,
        slope in -50.0..50.0_f64,
        curvature in -5.0..5.0_f64,
    ) {
        let range = LiquidationRange::from_expansion(spot, surplus, slope, curvature);
        let f = |price: f64| {
            let x = price - spot;
            surplus + slope * x + 0.5 * curvature * x * x
        };
        let scale = surplus + slope.abs() * spot + curvature.abs() * spot * spot;
        prop_assert!(range.below < spot && range.above > spot);
        for price in [range.below, range.above] {
            if price.is_finite() {
                prop_assert!(f(price).abs() <= 1e-9 * scale, "f({}) = {}", price, f(price));
            }
        }
        // Between the two, the expansion stays positive: they are the nearest roots.
        let low = range.below.max(1e-9);
        let high = range.above.min(spot * 10.0);
        for i in 1..100 {
            let price = low + (high - low) * f64::from(i) / 100.0;
            prop_assert!(f(price) > -1e-9 * scale);
        }
    }

    #[test]
    fn vanishing_gamma_tends_to_the_linear_root(
        spot in 50.0..150.0_f64,
        surplus in 0.1..1000.0_f64,
        slope in prop_oneof![-50.0..-0.1_f64, 0.1..50.0_f64],
    ) {
        let linear = LiquidationRange::from_expansion(spot, surplus, slope, 0.0);
        for curvature in [1e-14, -1e-14, 1e-10, -1e-10] {
            let near = LiquidationRange::from_expansion(spot, surplus, slope, curvature);
            let (a, b) = if slope > 0.0 { (linear.below, near.below) } else { (linear.above, near.above) };
            if a.is_finite() {
                // The quadratic moves the root by about ½|c|x²/|b|, x the linear root's distance.
                let x = a - spot;
                let shift = 0.5 * curvature.abs() * x * x / slope.abs();
                prop_assert!((a - b).abs() <= 2.0 * shift + 1e-9 * spot.max(x.abs()), "{} vs {}", a, b);
            }
        }
    }
}

/// A price for the directory's edge cases: ordinary prices, a few exact values shared by many
/// accounts (buckets past their inline capacity), prices far outside any directory (tiny, huge,
/// negative, ±0), ±∞ and NaN, which the index orders as `f64::total_cmp` does.
fn any_price() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 50.0..150.0_f64,
        2 => prop::sample::select(vec![90.0, 95.0, 100.0, 100.5, 110.0]),
        1 => prop::sample::select(vec![
            1e-300,
            f64::MIN_POSITIVE / 4.0,
            1e300,
            f64::MAX,
            -f64::MAX,
            -1.0,
            -0.0,
            0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
        ]),
        1 => 1.0..1e6_f64,
    ]
}

/// An operation on the index, with a query between two prices.
#[derive(Debug, Clone)]
enum AnyOp {
    Insert(usize, LiquidationRange),
    Remove(usize),
    Query(f64, f64),
}

fn any_range() -> impl Strategy<Value = LiquidationRange> {
    (any_price(), any_price()).prop_map(|(below, above)| LiquidationRange { below, above })
}

/// Sorts `(price, account)` pairs in the index's order: by price under `f64::total_cmp`, then
/// by account.
fn total_sorted(mut entries: Vec<(f64, usize)>) -> Vec<(u64, usize)> {
    entries.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    entries
        .into_iter()
        .map(|(price, account)| (price.to_bits(), account))
        .collect()
}

fn bits(entries: impl Iterator<Item = (f64, usize)>) -> Vec<(u64, usize)> {
    entries
        .map(|(price, account)| (price.to_bits(), account))
        .collect()
}

/// The accounts of `model` whose liquidation price a move of the spot from `from` to `to`
/// crosses, in the order the move meets them (ties by account), found by a scan.
fn crossed_by_scan(
    model: &std::collections::BTreeMap<usize, LiquidationRange>,
    from: f64,
    to: f64,
) -> Vec<usize> {
    let mut crossed: Vec<(f64, usize)> = model
        .iter()
        .filter(|(_, r)| (to <= r.below && r.below < from) || (from < r.above && r.above <= to))
        .map(|(&a, r)| (if to < from { r.below } else { r.above }, a))
        .collect();
    crossed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    if to < from {
        crossed.reverse();
    }
    crossed.into_iter().map(|(_, a)| a).collect()
}

/// Every query of `index` against a scan of `model` in the order of `f64::total_cmp`: the same
/// accounts, in the same order, with the same prices bit for bit.
fn assert_queries_exact(
    index: &LiquidationIndex,
    model: &std::collections::BTreeMap<usize, LiquidationRange>,
    low: f64,
    high: f64,
) -> Result<(), TestCaseError> {
    let ge = |a: f64, b: f64| a.total_cmp(&b).is_ge();
    let side = |pick: fn(&LiquidationRange) -> f64, keep: &dyn Fn(f64) -> bool| {
        total_sorted(
            model
                .iter()
                .map(|(&account, range)| (pick(range), account))
                .filter(|&(price, _)| keep(price))
                .collect(),
        )
    };
    let mut below = side(|r| r.below, &|p| ge(p, low) && !ge(p, high));
    below.reverse();
    prop_assert_eq!(bits(index.below_between(low, high)), below);
    let above = side(|r| r.above, &|p| !ge(low, p) && ge(high, p));
    prop_assert_eq!(bits(index.above_between(low, high)), above);
    for spot in [low, high] {
        let expected: Vec<usize> = side(|r| r.below, &|p| ge(p, spot))
            .into_iter()
            .chain(side(|r| r.above, &|p| ge(spot, p)))
            .map(|(_, account)| account)
            .collect();
        prop_assert_eq!(index.breached(spot).collect::<Vec<_>>(), expected);
    }
    let deficit: Vec<usize> = side(|r| r.below, &|p| ge(p, f64::INFINITY))
        .into_iter()
        .map(|(_, account)| account)
        .collect();
    prop_assert_eq!(index.in_deficit().collect::<Vec<_>>(), deficit);
    Ok(())
}

proptest! {
    /// Inserts, moves, removals and reinsertions with prices anywhere (shared, far outside the
    /// directory, ±0, ±∞, NaN), and queries between any two such prices: every answer equals
    /// the scan's, in order. The directory is rebuilt many times along the way (it grows with
    /// the index), so queries straddle its edges and its buckets' edges.
    #[test]
    fn index_equals_a_total_order_scan_on_any_prices(
        ops in prop::collection::vec(
            prop_oneof![
                3 => (0usize..80, any_range()).prop_map(|(a, r)| AnyOp::Insert(a, r)),
                1 => (0usize..80).prop_map(AnyOp::Remove),
                2 => (any_price(), any_price()).prop_map(|(a, b)| AnyOp::Query(a, b)),
            ],
            1..400,
        )
    ) {
        let mut index = LiquidationIndex::new();
        let mut model = std::collections::BTreeMap::new();
        for op in ops {
            match op {
                AnyOp::Insert(account, range) => {
                    index.insert(account, range);
                    model.insert(account, range);
                }
                AnyOp::Remove(account) => {
                    let (found, expected) = (index.remove(account), model.remove(&account));
                    prop_assert_eq!(found.map(|r| (r.below.to_bits(), r.above.to_bits())),
                        expected.map(|r| (r.below.to_bits(), r.above.to_bits())));
                }
                AnyOp::Query(low, high) => assert_queries_exact(&index, &model, low, high)?,
            }
            prop_assert_eq!(index.len(), model.len());
        }
    }

    /// The spot drifts far (×0.1 to ×10) and every account is re-margined around the new spot,
    /// one at a time, as refreshes do: the directory re-centres on the way, and ticks and
    /// queries stay exact before, during and after, including around the old and new centres.
    #[test]
    fn queries_stay_exact_while_the_directory_recentres(
        accounts in 1usize..400,
        drift in prop_oneof![0.1..0.5_f64, 2.0..10.0_f64],
        offsets in prop::collection::vec((0.55..0.999_f64, 1.001..1.45_f64), 400),
        probes in prop::collection::vec(0.5..1.5_f64, 8),
    ) {
        let mut index = LiquidationIndex::new();
        let mut model = std::collections::BTreeMap::new();
        let place = |center: f64, account: usize| {
            let (down, up) = offsets[account];
            LiquidationRange { below: center * down, above: center * up }
        };
        for account in 0..accounts {
            let range = place(100.0, account);
            index.insert(account, range);
            model.insert(account, range);
        }
        let center = 100.0 * drift;
        for account in 0..accounts {
            let range = place(center, account);
            index.insert(account, range);
            model.insert(account, range);
            if account % 37 == 0 {
                for &probe in &probes {
                    assert_queries_exact(&index, &model, 100.0 * probe, center * probe)?;
                }
            }
        }
        let mut from = center;
        for &probe in &probes {
            let to = center * probe;
            let crossed: Vec<usize> = index.crossed(from, to).collect();
            prop_assert_eq!(crossed, crossed_by_scan(&model, from, to));
            assert_queries_exact(&index, &model, to.min(from), to.max(from))?;
            from = to;
        }
        // Removing every account and putting it back leaves the same answers.
        for account in 0..accounts {
            prop_assert_eq!(index.remove(account), model.remove(&account));
        }
        prop_assert!(index.is_empty() && index.breached(center).next().is_none());
        for account in (0..accounts).rev() {
            let range = place(center, account);
            index.insert(account, range);
            model.insert(account, range);
        }
        assert_queries_exact(&index, &model, center * 0.9, center * 1.1)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Accounts re-margined around a drifting spot (one at a time, as refreshes do), removed and
    /// put back, some in deficit, with queries after every update: the re-centring this forces
    /// is spread over many updates, and every query while it is in progress (and a tick's
    /// crossings) equals the scan, in order.
    #[test]
    fn queries_stay_exact_during_an_incremental_rebuild(
        accounts in 200usize..500,
        drift in prop_oneof![0.05..0.4_f64, 3.0..20.0_f64],
        offsets in prop::collection::vec((0.55..0.999_f64, 1.001..1.45_f64, 0usize..10), 500),
        probes in prop::collection::vec((0.3..1.7_f64, 0.3..1.7_f64), 16),
    ) {
        let mut index = LiquidationIndex::new();
        let mut model = std::collections::BTreeMap::new();
        let place = |spot: f64, account: usize| {
            let (down, up, _) = offsets[account];
            LiquidationRange { below: spot * down, above: spot * up }
        };
        for account in 0..accounts {
            let range = place(100.0, account);
            index.insert(account, range);
            model.insert(account, range);
        }
        let updates = 3 * accounts;
        let mut queried_during = 0;
        let mut spot = 100.0;
        for i in 0..updates {
            let next = 100.0 * drift.powf((i + 1) as f64 / updates as f64);
            let account = i % accounts;
            match offsets[account].2 {
                0 => {
                    prop_assert_eq!(index.remove(account), model.remove(&account));
                }
                1 => {
                    let range = LiquidationRange::from_expansion(next, -1.0, 0.0, 0.0);
                    index.insert(account, range);
                    model.insert(account, range);
                }
                _ => {
                    let range = place(next, account);
                    index.insert(account, range);
                    model.insert(account, range);
                }
            }
            queried_during += usize::from(index.rebuilds().1);
            let (a, b) = probes[i % probes.len()];
            assert_queries_exact(&index, &model, next * a.min(b), next * a.max(b))?;
            let crossed: Vec<usize> = index.crossed(spot, next).collect();
            prop_assert_eq!(crossed, crossed_by_scan(&model, spot, next));
            spot = next;
        }
        prop_assert!(index.rebuilds().0 >= 1 && queried_during > 0);
        prop_assert!(index.max_rebuild_work() <= LiquidationIndex::REBUILD_WORK);
    }
}

/// The spot halves while 50,000 accounts are re-margined around it: the index re-centres
/// several times, every update spends at most `REBUILD_WORK` units on it (32 entries moved per
/// side), so each re-centring spans hundreds of updates, and the index ends exact.
#[test]
fn recentring_work_per_update_is_bounded() {
    const N: usize = 50_000;
    let mut index = LiquidationIndex::new();
    let offset = |account: usize| (account * 7919 % N) as f64 / N as f64;
    let place = |spot: f64, account: usize| LiquidationRange {
        below: spot * (1.0 - 0.4 * offset(account)),
        above: spot * (1.0 + 0.4 * offset((account + 17) % N)),
    };
    for account in 0..N {
        index.insert(account, place(100.0, account));
    }
    let (before, _) = index.rebuilds();
    let (mut longest, mut run) = (0, 0);
    for i in 0..2 * N {
        let spot = 100.0 - 50.0 * i as f64 / (2 * N) as f64;
        index.insert(i % N, place(spot, i % N));
        if index.rebuilds().1 {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let (after, _) = index.rebuilds();
    assert!(after >= before + 2, "{} re-centrings", after - before);
    assert!(index.max_rebuild_work() <= LiquidationIndex::REBUILD_WORK);
    assert_eq!(LiquidationIndex::REBUILD_WORK, 128);
    assert!(
        longest >= N / 50,
        "the longest re-centring spanned {longest} updates"
    );
    let spot = 50.0 + 50.0 / (2 * N) as f64;
    let mut expected: Vec<(f64, usize)> = (0..N)
        .map(|a| index.range(a).unwrap())
        .enumerate()
        .filter(|(_, r)| r.below >= spot * 0.9)
        .map(|(a, r)| (r.below, a))
        .collect();
    expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    let found: Vec<(f64, usize)> = index.below_between(spot * 0.9, f64::INFINITY).collect();
    assert_eq!(found, expected);
}

/// A tick to a spot that is not finite and > 0 is refused with a typed error, and leaves the
/// spot and the index as they were.
#[test]
fn spot_ticks_to_invalid_prices_are_refused() {
    let mut book = AccountBook::new(market(), MarginParams::default()).unwrap();
    for a in 0..200 {
        let id = book.add_account();
        book.set_collateral(id, 0, 50.0 + 2.0 * a as f64).unwrap();
        let quantity = if a % 2 == 0 { 10.0 } else { -10.0 };
        book.set_position(
            id,
            0,
            Position {
                quantity,
                entry_price: 100.0,
            },
        )
        .unwrap();
    }
    assert!(book.set_spot(1, 92.0).is_ok());
    let before = book.breached(1);
    for spot in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, -0.0, 0.0] {
        assert!(
            matches!(book.set_spot(1, spot), Err(GreeksError::Input(_))),
            "spot {spot} accepted"
        );
        assert_eq!(book.market().underlying(1).unwrap().spot, 92.0);
        assert_eq!(book.breached(1), before);
    }
    // The next valid tick is measured from the last valid spot: a fall crosses `below` prices
    // in [90, 92).
    let crossed: BTreeSet<usize> = book.set_spot(1, 90.0).unwrap().into_iter().collect();
    let expected: BTreeSet<usize> = (0..book.len())
        .filter(|&a| {
            let r = book.risk(a).unwrap().ranges[&1];
            (90.0..92.0).contains(&r.below)
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(crossed, expected);
}

#[test]
fn degenerate_expansions() {
    // No slope, no curvature: never liquidated.
    let r = LiquidationRange::from_expansion(100.0, 10.0, 0.0, 0.0);
    assert_eq!((r.below, r.above), (f64::NEG_INFINITY, f64::INFINITY));
    // Convex with no real root: never liquidated.
    let r = LiquidationRange::from_expansion(100.0, 10.0, 1.0, 1.0);
    assert_eq!((r.below, r.above), (f64::NEG_INFINITY, f64::INFINITY));
    // A root below zero price does not count.
    let r = LiquidationRange::from_expansion(100.0, 1e6, 1.0, 0.0);
    assert_eq!(r.below, f64::NEG_INFINITY);
    // In deficit: breached everywhere, listed once.
    let r = LiquidationRange::from_expansion(100.0, -1.0, 1.0, 0.0);
    assert!(r.is_breached(1.0) && r.is_breached(1e9));
}

/// |speed| bound of a Black-76 option over spots in [low, high]: |∂³V/∂S³| = Γ/S·|1 + d₁/(σ√T)|
/// with Γ ≤ φ(0)/(S σ√T) and |d₁| at its largest at an end of the interval.
fn speed_bound(strike: f64, time: f64, vol: f64, low: f64, high: f64) -> f64 {
    let root = vol * time.sqrt();
    let d1 = |s: f64| ((s / strike).ln() + 0.5 * vol * vol * time) / root;
    let d1_max = d1(low).abs().max(d1(high).abs());
    normal_pdf(0.0) / (low * low * root) * (1.0 + d1_max / root)
}

/// The delta-gamma surplus error bound of `account` for a move of underlying 1 to `to`:
/// Σ |q| · speed bound · |x|³ / 6 (linear positions, collateral and the volatility-adjusted
/// margin, linear in spot, have no third derivative).
fn remainder_bound(account: &Account, market: &Market, from: f64, to: f64) -> f64 {
    let (low, high) = (from.min(to), from.max(to));
    let cube = (to - from).abs().powi(3) / 6.0;
    account
        .positions()
        .iter()
        .map(|(&i, p)| match *market.instrument(i).unwrap() {
            Instrument::Option(o) if o.underlying == 1 => {
                p.quantity.abs() * speed_bound(o.strike, o.time, o.vol, low, high) * cube
            }
            _ => 0.0,
        })
        .sum()
}

fn at_spot(market: &Market, spot: f64) -> Market {
    let mut moved = market.clone();
    let state = *moved.underlying(1).unwrap();
    moved
        .set_underlying(1, Underlying { spot, ..state })
        .unwrap();
    moved
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For moves up to ±5 %, the delta-gamma surplus is within the Taylor remainder bound of the
    /// full revaluation, and an account whose full-revaluation surplus along the path stays
    /// farther than that bound from zero is classified by the index as full revaluation does.
    #[test]
    fn delta_gamma_agrees_with_full_revaluation_for_moderate_moves(
        positions in prop::collection::vec((0usize..23, -10.0..10.0_f64), 1..6),
        cash in 0.0..400.0_f64,
        relative_move in -0.05..0.05_f64,
    ) {
        let market = market();
        let params = MarginParams::default();
        let mut account = Account::new();
        account.set_collateral(0, cash).unwrap();
        for (instrument, quantity) in positions {
            account.set_position(instrument, Position { quantity, entry_price: 0.0 }).unwrap();
        }
        let risk = assess_account(&account, &market, &params).unwrap();
        let exposure = risk.valuation.exposures[&1];
        let margin = risk.margins[&1];
        let to = 100.0 * (1.0 + relative_move);
        let x = to - 100.0;
        let approx = risk.surplus()
            + (exposure.delta - margin.spot_delta) * x
            + 0.5 * (exposure.gamma - margin.spot_gamma) * x * x;
        let full = assess_account(&account, &at_spot(&market, to), &params).unwrap().surplus();
        // The margin's central differences add a rounding error of order ε·MM/h².
        let bound = remainder_bound(&account, &market, 100.0, to) * 1.000_001 + 1e-6 * (1.0 + risk.maintenance_margin);
        prop_assert!((approx - full).abs() <= bound, "error {} > bound {}", (approx - full).abs(), bound);

        if risk.surplus() > 0.0 {
            let path_min = (1..=50)
                .map(|i| {
                    let s = 100.0 + x * f64::from(i) / 50.0;
                    assess_account(&account, &at_spot(&market, s), &params).unwrap().surplus()
                })
                .fold(f64::INFINITY, f64::min);
            if path_min.abs() > 2.0 * bound {
                prop_assert_eq!(risk.ranges[&1].is_breached(to), path_min <= 0.0);
            }
        }
    }
}

/// A spot tick revalues nobody and returns the accounts a scan of the stored ranges finds with
/// a liquidation price between the old and the new spot; the round-robin refresh revalues exactly its budget, and every account within ⌈n / budget⌉ calls.
#[test]
fn spot_ticks_read_the_index_and_refresh_is_bounded() {
    let accounts = 20_000;
    let mut book = AccountBook::new(market(), MarginParams::default()).unwrap();
    for a in 0..accounts {
        let id = book.add_account();
        let f = a as f64 / accounts as f64;
        book.set_collateral(id, 0, 50.0 + 500.0 * f).unwrap();
        let quantity = if a % 2 == 0 { 10.0 } else { -10.0 };
        book.set_position(
            id,
            0,
            Position {
                quantity,
                entry_price: 100.0,
            },
        )
        .unwrap();
    }
    let scan = |book: &AccountBook, spot: f64| -> BTreeSet<usize> {
        (0..book.len())
            .filter(|&a| book.risk(a).unwrap().ranges[&1].is_breached(spot))
            .collect()
    };
    let crossed_scan = |book: &AccountBook, from: f64, to: f64| -> BTreeSet<usize> {
        (0..book.len())
            .filter(|&a| {
                let range = book.risk(a).unwrap().ranges[&1];
                (to <= range.below && range.below < from)
                    || (from < range.above && range.above <= to)
            })
            .collect()
    };
    let mut from = 100.0;
    for spot in [99.0, 97.0, 93.5, 100.0, 104.0, 120.0] {
        let crossed: BTreeSet<usize> = book.set_spot(1, spot).unwrap().into_iter().collect();
        assert_eq!(crossed, crossed_scan(&book, from, spot));
        // Every account the move newly breached is among those it crossed.
        assert!(
            scan(&book, spot)
                .difference(&scan(&book, from))
                .all(|a| crossed.contains(a))
        );
        let breached: BTreeSet<usize> = book.breached(1).into_iter().collect();
        assert_eq!(breached, scan(&book, spot));
        from = spot;
        assert!(
            (0..accounts).all(|a| !book.is_fresh(a)),
            "a tick revalued an account"
        );
    }
    let budget = 3_000;
    let mut calls = 0;
    while !(0..accounts).all(|a| book.is_fresh(a)) {
        assert_eq!(book.refresh(budget).unwrap(), budget);
        calls += 1;
    }
    assert_eq!(calls, accounts.div_ceil(budget));
    // After the refresh, ranges are centred on the new spot and equal a from-scratch assessment.
    for a in (0..accounts).step_by(997) {
        let fresh = assess_account(book.account(a).unwrap(), book.market(), book.params()).unwrap();
        assert_eq!(book.risk(a).unwrap(), &fresh);
    }
}
