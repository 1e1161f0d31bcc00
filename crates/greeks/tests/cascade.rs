//! Liquidation map and cascades: hand-built books, fixed-point and minimality properties, and
//! monotonicity in depth.

mod common;

use proptest::prelude::*;
use recal_greeks::{
    AccountBook, CascadeAccount, DEFAULT_BUCKET_WIDTH, DEFAULT_SPAN, LiquidationIndex,
    LiquidationMap, LiquidationRange, MarginParams, Position, Side, cascade_distance, run_cascade,
};

fn long(liquidation_price: f64, delta: f64, equity: f64) -> CascadeAccount {
    CascadeAccount {
        liquidation_price,
        equity,
        delta,
        gamma: 0.0,
        reference_spot: 100.0,
    }
}

#[test]
fn two_account_cascade_by_hand() {
    // Depth 1000 per 1 %: a unit of price-notional moves the price 1e-5. A (liquidated at 95,
    // equity 0 there) pushes 10·95·1e-5 = 0.95 %; B (at 94) sits at 6 %.
    let accounts = [long(95.0, 10.0, 50.0), long(94.0, 10.0, 60.0)];
    // 5 % liquidates A only: 5.95 % < 6 %.
    let shock = run_cascade(100.0, 1000.0, Side::Down, &accounts, 0.05).unwrap();
    assert_eq!((shock.liquidated_by_shock, shock.liquidated), (1, 1));
    assert!((shock.final_price - 94.05).abs() < 1e-9);
    // Cascade distance 6 % − 0.95 % = 5.05 %; then B pushes 0.94 %: total 6.94 %, price 93.06.
    let found = cascade_distance(100.0, 1000.0, Side::Down, &accounts)
        .unwrap()
        .unwrap();
    assert!((found.shock - 0.0505).abs() < 1e-12);
    assert_eq!((found.liquidated_by_shock, found.liquidated), (1, 2));
    assert!((found.final_price - 93.06).abs() < 1e-9);
    assert!((found.unwound_notional - 1890.0).abs() < 1e-9);
    // Bad debt: A 50 + 10·(−6.94) = −19.4, B 60 − 69.4 = −9.4.
    assert!((found.bad_debt - 28.8).abs() < 1e-9);
}

#[test]
fn short_squeeze_by_hand() {
    // Shorts liquidated above: buying back pushes the price up.
    let short = |price: f64| CascadeAccount {
        liquidation_price: price,
        equity: 20.0,
        delta: -20.0,
        gamma: 0.0,
        reference_spot: 100.0,
    };
    let accounts = [short(102.0), short(103.0), short(110.0)];
    // First at 2 % pushes 20·102·1e-5 = 2.04 %: reaches 103 from any shock ≥ 2 %; the pair then
    // pushes 4.1 %, short of 10 %.
    let found = cascade_distance(100.0, 1000.0, Side::Up, &accounts)
        .unwrap()
        .unwrap();
    assert!((found.shock - 0.02).abs() < 1e-12);
    assert_eq!(found.liquidated, 2);
    assert!((found.final_price - 106.1).abs() < 1e-9);
    // Each loses 20·(106.1 − 100) − 20 = 102 of bad debt.
    assert!((found.bad_debt - 204.0).abs() < 1e-9);
}

#[test]
fn no_self_sustaining_cascade() {
    // One account: nothing to set off.
    assert!(
        cascade_distance(100.0, 1000.0, Side::Down, &[long(95.0, 10.0, 50.0)])
            .unwrap()
            .is_none()
    );
    // Accounts liquidated on the way down that are net short buy, pushing against the move.
    let accounts = [long(95.0, -10.0, 50.0), long(94.0, -10.0, 60.0)];
    assert!(
        cascade_distance(100.0, 1000.0, Side::Down, &accounts)
            .unwrap()
            .is_none()
    );
    assert!(run_cascade(100.0, 0.0, Side::Down, &accounts, 0.1).is_err());
}

fn accounts() -> impl Strategy<Value = Vec<CascadeAccount>> {
    prop::collection::vec((70.0..100.0_f64, -5.0..20.0_f64, -50.0..200.0_f64), 0..30)
        .prop_map(|v| v.into_iter().map(|(p, d, e)| long(p, d, e)).collect())
}

fn distance(accounts: &[CascadeAccount], depth: f64) -> f64 {
    cascade_distance(100.0, depth, Side::Down, accounts)
        .unwrap()
        .map_or(f64::INFINITY, |o| o.shock)
}

proptest! {
    #[test]
    fn more_depth_never_shortens_the_cascade_distance(
        accounts in accounts(),
        depth in 10.0..10_000.0_f64,
        factor in 1.0..10.0_f64,
    ) {
        prop_assert!(distance(&accounts, depth * factor) >= distance(&accounts, depth));
    }

    #[test]
    fn the_cascade_is_a_fixed_point(accounts in accounts(), depth in 10.0..10_000.0_f64, shock in 0.0..0.3_f64) {
        let outcome = run_cascade(100.0, depth, Side::Down, &accounts, shock).unwrap();
        let distance = |a: &CascadeAccount| (1.0 - a.liquidation_price / 100.0).max(0.0);
        let mut sorted = accounts.clone();
        sorted.sort_by(|a, b| distance(a).total_cmp(&distance(b)));
        // Liquidations are irreversible: the liquidated accounts are the nearest ones, their net
        // push sets the final move, and every account within the final move is liquidated.
        let (liquidated, spared) = sorted.split_at(outcome.liquidated);
        let push: f64 = liquidated
            .iter()
            .map(|a| a.delta * a.liquidation_price / (100.0 * depth))
            .sum();
        prop_assert!((outcome.total_move - (shock + push.max(0.0))).abs() < 1e-12);
        prop_assert!(spared.iter().all(|a| distance(a) > outcome.total_move));
        let by_shock = accounts.iter().filter(|a| distance(a) <= shock + 1e-12).count();
        prop_assert_eq!(by_shock, outcome.liquidated_by_shock);
    }

    #[test]
    fn the_cascade_distance_is_the_smallest_self_sustaining_shock(
        accounts in accounts(),
        depth in 10.0..10_000.0_f64,
    ) {
        let found = cascade_distance(100.0, depth, Side::Down, &accounts).unwrap();
        let limit = found.map_or(0.3, |o| o.shock);
        if let Some(outcome) = found {
            prop_assert!(outcome.liquidated > outcome.liquidated_by_shock);
        }
        for i in 0..300 {
            let shock = limit * f64::from(i) / 300.0;
            if shock < limit - 1e-9 {
                let outcome = run_cascade(100.0, depth, Side::Down, &accounts, shock).unwrap();
                prop_assert_eq!(outcome.liquidated, outcome.liquidated_by_shock, "shock {}", shock);
            }
        }
    }

    #[test]
    fn map_buckets_hold_the_accounts_priced_inside_them(
        entries in prop::collection::vec((0usize..60, -0.2..0.2_f64, any::<bool>(), 1.0..100.0_f64), 0..40),
    ) {
        let w = DEFAULT_BUCKET_WIDTH;
        let mut index = LiquidationIndex::new();
        let mut below = vec![(0usize, 0.0); 60];
        let mut above = vec![(0usize, 0.0); 60];
        for (account, &(bucket, jitter, is_below, collateral)) in entries.iter().enumerate() {
            // A price strictly inside bucket `bucket` (the centre ± 20 % of a width).
            let distance = (bucket as f64 + 0.5 + jitter) * w;
            let range = if is_below {
                below[bucket].0 += 1;
                below[bucket].1 += collateral;
                LiquidationRange { below: 100.0 * (1.0 - distance), above: f64::INFINITY }
            } else {
                above[bucket].0 += 1;
                above[bucket].1 += collateral;
                LiquidationRange { below: f64::NEG_INFINITY, above: 100.0 * (1.0 + distance) }
            };
            index.insert(account, range);
        }
        let map = LiquidationMap::build(&index, 100.0, w, DEFAULT_SPAN, |a| (entries[a].3, 0.0)).unwrap();
        for (buckets, expected) in [(&map.below, &below), (&map.above, &above)] {
            prop_assert_eq!(buckets.len(), 60);
            for (bucket, &(count, collateral)) in buckets.iter().zip(expected) {
                prop_assert_eq!(bucket.accounts, count);
                prop_assert!((bucket.collateral - collateral).abs() < 1e-9);
            }
        }
    }
}

/// A book of long perpetuals whose ranges are known in closed form, through the map and the
/// cascade.
#[test]
fn book_map_and_cascade_by_hand() {
    let mut book = AccountBook::new(common::market(), MarginParams::default()).unwrap();
    // Long 10 perpetuals at 100 with cash c: surplus(S) = c + 10(S − 100) − 0.05·(0.7/0.6)·10·S
    // is zero at S = (1000 − c) / (10 − 7/12).
    let slope = 10.0 - 7.0 / 12.0;
    for cash in [60.0, 80.0, 150.0] {
        let id = book.add_account();
        book.set_collateral(id, 0, cash).unwrap();
        book.set_position(
            id,
            0,
            Position {
                quantity: 10.0,
                entry_price: 100.0,
            },
        )
        .unwrap();
    }
    let prices: Vec<f64> = [60.0, 80.0, 150.0]
        .iter()
        .map(|c| (1000.0 - c) / slope)
        .collect();
    for (a, price) in prices.iter().enumerate() {
        assert!((book.risk(a).unwrap().ranges[&1].below - price).abs() < 1e-9);
    }
    let map = book
        .liquidation_map(1, DEFAULT_BUCKET_WIDTH, DEFAULT_SPAN)
        .unwrap();
    for price in &prices {
        let bucket = ((1.0 - price / 100.0) / DEFAULT_BUCKET_WIDTH).floor() as usize;
        assert!(map.below[bucket].accounts >= 1);
        assert!((map.below[bucket].notional / 1000.0).fract() == 0.0);
    }
    assert_eq!(map.below.iter().map(|b| b.accounts).sum::<usize>(), 3);
    assert_eq!(map.above.iter().map(|b| b.accounts).sum::<usize>(), 0);
    let total = book.total_exposure(1);
    assert_eq!(
        (total.delta, total.gross_notional, total.spot),
        (30.0, 3000.0, 100.0)
    );
    // Depth 20 000 per 1 %: the first liquidation pushes 10·p₀/2e6 ≈ 0.05 %, so a shock that
    // stops that short of the second account sets off a chain of one more; the second's push
    // does not reach the third, 7.4 % further.
    let accounts = book.cascade_accounts(1, Side::Down, DEFAULT_SPAN).unwrap();
    assert_eq!(accounts.len(), 3);
    let d = |p: f64| 1.0 - p / 100.0;
    let deep = cascade_distance(100.0, 20_000.0, Side::Down, &accounts)
        .unwrap()
        .unwrap();
    assert!((deep.shock - (d(prices[1]) - 10.0 * prices[0] / 2e6)).abs() < 1e-12);
    assert_eq!((deep.liquidated_by_shock, deep.liquidated), (1, 2));
    // Twenty times thinner: the same chain sets off from a shock 20 times further from B.
    // An account in deficit is liquidated at the spot whichever way the price goes.
    let broke = book.add_account();
    book.set_position(
        broke,
        0,
        Position {
            quantity: -1.0,
            entry_price: 100.0,
        },
    )
    .unwrap();
    assert_eq!(book.breached(1), vec![broke]);
    for side in [Side::Down, Side::Up] {
        let listed = book.cascade_accounts(1, side, DEFAULT_SPAN).unwrap();
        assert_eq!(
            listed
                .iter()
                .filter(|a| a.liquidation_price == 100.0)
                .count(),
            1
        );
    }
    let thin = cascade_distance(100.0, 1000.0, Side::Down, &accounts)
        .unwrap()
        .unwrap();
    assert!((thin.shock - (d(prices[1]) - 10.0 * prices[0] / 1e5)).abs() < 1e-12);
    assert!(thin.shock < deep.shock);
    // Bad debt at the impacted price, by hand: equity c + 10·(P − 100) for the liquidated two.
    let expected: f64 = [60.0, 80.0]
        .iter()
        .map(|c| (-(c + 10.0 * (thin.final_price - 100.0))).max(0.0))
        .sum();
    assert!((thin.bad_debt - expected).abs() < 1e-9);
}
