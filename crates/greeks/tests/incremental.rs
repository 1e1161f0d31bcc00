//! Incremental = full: random portfolios and random sequences of position, collateral, spot,
//! volatility and parameter changes with sliced refreshes. Every account revalued since the last
//! market change holds exactly the risk a from-scratch assessment gives, its aggregates match a
//! position-by-position twin, and the index holds exactly the accounts' ranges.

mod common;

use std::collections::BTreeSet;

use common::{ASSETS, INSTRUMENTS, UNDERLYINGS, close, market, twin_equity, twin_exposure};
use proptest::prelude::*;
use recal_greeks::{
    AccountBook, Instrument, MarginModel, MarginParams, Position, Underlying, assess_account,
};

#[derive(Debug, Clone)]
enum Op {
    Position(usize, usize, f64, f64),
    Collateral(usize, usize, f64),
    Spot(usize, f64),
    OptionVol(usize, f64),
    ShortVol(usize, f64),
    Model(bool),
    Refresh(usize),
}

const ACCOUNTS: usize = 12;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..ACCOUNTS, 0..INSTRUMENTS, prop_oneof![Just(0.0), -15.0..15.0_f64], 0.0..100.0_f64)
            .prop_map(|(a, i, q, e)| Op::Position(a, i, q, e)),
        2 => (0..ACCOUNTS, 0..ASSETS, prop_oneof![Just(0.0), 0.0..2000.0_f64])
            .prop_map(|(a, s, x)| Op::Collateral(a, s, x)),
        3 => (0..2usize, 0.8..1.25_f64).prop_map(|(u, f)| Op::Spot(u, f)),
        1 => (0..INSTRUMENTS, 0.1..1.5_f64).prop_map(|(i, v)| Op::OptionVol(i, v)),
        1 => (0..2usize, 0.2..1.5_f64).prop_map(|(u, v)| Op::ShortVol(u, v)),
        1 => any::<bool>().prop_map(Op::Model),
        2 => (1..8usize).prop_map(Op::Refresh),
    ]
}

fn check(book: &AccountBook) -> Result<(), TestCaseError> {
    for a in 0..book.len() {
        let risk = book.risk(a).unwrap();
        if book.is_fresh(a) {
            let account = book.account(a).unwrap();
            let full = assess_account(account, book.market(), book.params()).unwrap();
            prop_assert_eq!(risk, &full, "account {}", a);
            prop_assert!(close(
                risk.valuation.equity,
                twin_equity(account, book.market()),
                1e-12
            ));
            for (&u, exposure) in &risk.valuation.exposures {
                let [delta, gamma, vega, pnl] = twin_exposure(account, book.market(), u);
                prop_assert!(close(exposure.delta, delta, 1e-12));
                prop_assert!(close(exposure.gamma, gamma, 1e-12));
                prop_assert!(close(exposure.vega, vega, 1e-12));
                prop_assert!(close(exposure.pnl, pnl, 1e-12));
            }
        }
    }
    // The index of each underlying holds exactly the stored ranges, and a tick's answer equals a
    // scan of them.
    for &u in &UNDERLYINGS {
        let expected: Vec<_> = (0..book.len())
            .filter_map(|a| book.risk(a).unwrap().ranges.get(&u).map(|&r| (a, r)))
            .collect();
        let indexed: Vec<_> = book
            .index(u)
            .map(|i| i.iter().collect())
            .unwrap_or_default();
        prop_assert_eq!(&indexed, &expected);
        let spot = book.market().underlying(u).unwrap().spot;
        let found: BTreeSet<usize> = book.breached(u).into_iter().collect();
        let scan: BTreeSet<usize> = expected
            .iter()
            .filter(|(_, r)| r.is_breached(spot))
            .map(|&(a, _)| a)
            .collect();
        prop_assert_eq!(found, scan);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn incremental_risk_equals_full_recomputation(ops in prop::collection::vec(op(), 1..80)) {
        let mut book = AccountBook::new(market(), MarginParams::default()).unwrap();
        for _ in 0..ACCOUNTS {
            book.add_account();
        }
        for op in ops {
            match op {
                Op::Position(a, i, quantity, entry_price) => {
                    book.set_position(a, i, Position { quantity, entry_price }).unwrap();
                }
                Op::Collateral(a, asset, amount) => book.set_collateral(a, asset, amount).unwrap(),
                Op::Spot(u, factor) => {
                    let u = UNDERLYINGS[u];
                    let spot = book.market().underlying(u).unwrap().spot * factor;
                    book.set_spot(u, spot).unwrap();
                }
                Op::OptionVol(i, vol) => {
                    if matches!(book.market().instrument(i).unwrap(), Instrument::Option(_)) {
                        let holders = book.set_option_vol(i, vol).unwrap();
                        let expected = (0..ACCOUNTS)
                            .filter(|&a| book.account(a).unwrap().positions().contains_key(&i))
                            .count();
                        prop_assert_eq!(holders, expected);
                    } else {
                        prop_assert!(book.set_option_vol(i, vol).is_err());
                    }
                }
                Op::ShortVol(u, short_vol) => {
                    let u = UNDERLYINGS[u];
                    let state = *book.market().underlying(u).unwrap();
                    book.set_underlying(u, Underlying { short_vol, ..state }).unwrap();
                }
                Op::Model(portfolio) => {
                    let model = if portfolio { MarginModel::Portfolio } else { MarginModel::VolatilityAdjusted };
                    book.set_params(MarginParams { model, ..MarginParams::default() }).unwrap();
                }
                Op::Refresh(budget) => {
                    prop_assert_eq!(book.refresh(budget).unwrap(), budget.min(ACCOUNTS));
                }
            }
            check(&book)?;
        }
        // One full round of refreshes makes every account fresh.
        book.refresh(ACCOUNTS).unwrap();
        prop_assert!((0..ACCOUNTS).all(|a| book.is_fresh(a)));
        check(&book)?;
    }
}
