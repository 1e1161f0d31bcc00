//! Accounts and margins against hand computations and brute-force twins.

mod common;

use common::{close, market, twin_equity, twin_exposure};
use proptest::prelude::*;
use recal_greeks::{
    Account, Black76Inputs, Instrument, MarginModel, MarginParams, Market, PortfolioMarginParams,
    Position, Underlying, assess_account, black76_greeks, dynamic_margin, scenario_loss,
    underlying_margin, value_account,
};

/// Instrument index of the option on underlying 1 with expiry `t` (0 → 0.1 y, 1 → 0.5 y),
/// moneyness `m` (0..5 for 70 %…130 %) and kind `k` (0 call, 1 put).
fn option(t: usize, m: usize, k: usize) -> usize {
    3 + t * 10 + m * 2 + k
}

const PERP: usize = 0;
const USDC: usize = 0;
const COIN: usize = 1;

fn portfolio_only(params: PortfolioMarginParams) -> MarginParams {
    MarginParams {
        model: MarginModel::Portfolio,
        portfolio: params,
        ..MarginParams::default()
    }
}

fn no_addons() -> PortfolioMarginParams {
    PortfolioMarginParams {
        otm_addon_by_bucket: Vec::new(),
        concentration_rate: 0.0,
        liquidation_cost_factor: 0.0,
        ..PortfolioMarginParams::default()
    }
}

#[test]
fn equity_is_haircut_collateral_plus_unrealised_pnl() {
    let market = market();
    let mut account = Account::new();
    account.set_collateral(USDC, 1000.0).unwrap();
    account.set_collateral(COIN, 2.0).unwrap(); // coin of underlying 1 at 100, haircut 10 %
    account
        .set_position(
            PERP,
            Position {
                quantity: -3.0,
                entry_price: 110.0,
            },
        )
        .unwrap();
    let valuation = value_account(&account, &market).unwrap();
    assert_eq!(valuation.collateral_value, 1000.0 + 2.0 * 100.0 * 0.9);
    assert_eq!(valuation.equity, 1180.0 + 3.0 * 10.0);
    let exposure = valuation.exposures[&1];
    assert_eq!(exposure.delta, 2.0 * 0.9 - 3.0);
    assert_eq!(exposure.gross_notional, 300.0);
}

#[test]
fn volatility_adjusted_margin_by_hand() {
    let market = market(); // underlying 1: σ_short = 0.7
    let mut account = Account::new();
    account
        .set_position(
            PERP,
            Position {
                quantity: 4.0,
                entry_price: 100.0,
            },
        )
        .unwrap();
    // A long option is not margined, a short one is, on its full notional.
    account
        .set_position(
            option(0, 2, 0),
            Position {
                quantity: 5.0,
                entry_price: 1.0,
            },
        )
        .unwrap();
    account
        .set_position(
            option(0, 3, 1),
            Position {
                quantity: -2.0,
                entry_price: 1.0,
            },
        )
        .unwrap();
    let params = MarginParams {
        tail_factor: 1.2,
        ..MarginParams::default()
    };
    let margin = underlying_margin(&account, &market, &params, 1, 100.0).unwrap();
    let scale = 0.7 / 0.6 * 1.2;
    assert!(close(margin.maintenance, 600.0 * 0.05 * scale, 1e-14));
    assert!(close(margin.initial, 600.0 * 0.10 * scale, 1e-14));
    // Linear in spot: the dynamic delta margin is MM / S, its curvature 0.
    let dynamic = dynamic_margin(&account, &market, &params, 1).unwrap();
    assert!(close(dynamic.spot_delta, margin.maintenance / 100.0, 1e-9));
    assert!(dynamic.spot_gamma.abs() < 1e-6);
}

#[test]
fn portfolio_margin_of_a_perpetual_is_its_worst_grid_move() {
    let market = market();
    let mut account = Account::new();
    account
        .set_position(
            PERP,
            Position {
                quantity: -10.0,
                entry_price: 100.0,
            },
        )
        .unwrap();
    let params = portfolio_only(no_addons());
    let margin = underlying_margin(&account, &market, &params, 1, 100.0).unwrap();
    assert!(close(margin.maintenance, 10.0 * 100.0 * 0.15, 1e-12));
    assert!(close(margin.initial, margin.maintenance * 2.0, 1e-12));
    // Dynamic delta margin: the worst loss is 15 % of notional, so ∂MM/∂S = 0.15 · 10.
    let dynamic = dynamic_margin(&account, &market, &params, 1).unwrap();
    assert!(close(dynamic.spot_delta, 1.5, 1e-6));
}

#[test]
fn portfolio_margin_add_ons_by_hand() {
    let market = market(); // depth 20 000 per 1 %
    let mut account = Account::new();
    account
        .set_position(
            PERP,
            Position {
                quantity: 50.0,
                entry_price: 100.0,
            },
        )
        .unwrap();
    let base = underlying_margin(&account, &market, &portfolio_only(no_addons()), 1, 100.0)
        .unwrap()
        .maintenance;
    // Liquidation cost: N = 5000, N²/(2·D) with D = 100 · 20 000.
    let with_cost = PortfolioMarginParams {
        liquidation_cost_factor: 1.0,
        ..no_addons()
    };
    let cost = underlying_margin(&account, &market, &portfolio_only(with_cost), 1, 100.0)
        .unwrap()
        .maintenance
        - base;
    assert!(close(cost, 5000.0 * 5000.0 / (2.0 * 2_000_000.0), 1e-9));
    // Concentration: 2 % of the notional over 4000.
    let concentrated = PortfolioMarginParams {
        concentration_threshold: 4000.0,
        concentration_rate: 0.02,
        ..no_addons()
    };
    let penalty = underlying_margin(&account, &market, &portfolio_only(concentrated), 1, 100.0)
        .unwrap()
        .maintenance
        - base;
    assert!(close(penalty, 0.02 * 1000.0, 1e-9));
}

#[test]
fn deep_otm_add_on_uses_the_moneyness_bucket() {
    let market = market();
    let mut account = Account::new();
    // Short 130 % call: |ln 1.3| = 0.262 → bucket 2 of width 0.1. Short 70 % put: |ln 0.7| =
    // 0.357 → bucket 3. A short ITM 70 % call and a long OTM put pay nothing.
    for (instrument, quantity) in [
        (option(1, 4, 0), -3.0),
        (option(1, 0, 1), -2.0),
        (option(1, 0, 0), -1.0),
        (option(1, 4, 1), 7.0),
    ] {
        account
            .set_position(
                instrument,
                Position {
                    quantity,
                    entry_price: 0.0,
                },
            )
            .unwrap();
    }
    let ratios = vec![0.0, 0.001, 0.01, 0.03];
    let with_otm = PortfolioMarginParams {
        otm_addon_by_bucket: ratios,
        ..no_addons()
    };
    let base = underlying_margin(&account, &market, &portfolio_only(no_addons()), 1, 100.0)
        .unwrap()
        .maintenance;
    let addon = underlying_margin(&account, &market, &portfolio_only(with_otm), 1, 100.0)
        .unwrap()
        .maintenance
        - base;
    assert!(close(addon, 3.0 * 100.0 * 0.01 + 2.0 * 100.0 * 0.03, 1e-9));
}

/// Brute-force twin of the scenario loss: every grid point priced with `black76_greeks`.
fn twin_scenario_loss(account: &Account, market: &Market, params: &PortfolioMarginParams) -> f64 {
    let spot = market.underlying(1).unwrap().spot;
    let value = |s: f64, vol_scale: f64| -> f64 {
        let mut total = 0.0;
        for (&index, position) in account.positions() {
            total += position.quantity
                * match *market.instrument(index).unwrap() {
                    Instrument::Linear { .. } => s,
                    Instrument::Option(o) => {
                        black76_greeks(&Black76Inputs {
                            kind: o.kind,
                            forward: s,
                            strike: o.strike,
                            time: o.time,
                            rate: o.rate,
                            vol: o.vol * vol_scale,
                        })
                        .unwrap()
                        .price
                    }
                };
        }
        total
    };
    let base = value(spot, 1.0);
    let mut worst = 0.0_f64;
    for &ds in &params.spot_shocks {
        for &dv in &params.vol_shocks {
            worst = worst.max(base - value(spot * (1.0 + ds), 1.0 + dv));
        }
    }
    worst
}

fn underlying_one_position() -> impl Strategy<Value = (usize, f64)> {
    (0usize..23, -20.0..20.0_f64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn scenario_loss_equals_brute_force_grid(
        positions in prop::collection::vec(underlying_one_position(), 1..8),
    ) {
        let market = market();
        let mut account = Account::new();
        for (instrument, quantity) in positions {
            account.set_position(instrument, Position { quantity, entry_price: 0.0 }).unwrap();
        }
        let params = PortfolioMarginParams::default();
        let loss = scenario_loss(&account, &market, &params, 1, 100.0).unwrap();
        prop_assert!(close(loss, twin_scenario_loss(&account, &market, &params), 1e-12));
    }

    #[test]
    fn valuation_equals_position_by_position_twin(
        positions in prop::collection::vec((0usize..common::INSTRUMENTS, -20.0..20.0_f64, 0.0..120.0_f64), 0..10),
        collateral in prop::collection::vec((0usize..common::ASSETS, 0.0..1000.0_f64), 0..4),
        spot_one in 60.0..140.0_f64,
    ) {
        let mut market = market();
        let state = *market.underlying(1).unwrap();
        market.set_underlying(1, Underlying { spot: spot_one, ..state }).unwrap();
        let mut account = Account::new();
        for (instrument, quantity, entry_price) in positions {
            account.set_position(instrument, Position { quantity, entry_price }).unwrap();
        }
        for (asset, amount) in collateral {
            account.set_collateral(asset, amount).unwrap();
        }
        let risk = assess_account(&account, &market, &MarginParams::default()).unwrap();
        prop_assert!(close(risk.valuation.equity, twin_equity(&account, &market), 1e-12));
        for (&u, exposure) in &risk.valuation.exposures {
            let [delta, gamma, vega, pnl] = twin_exposure(&account, &market, u);
            prop_assert!(close(exposure.delta, delta, 1e-12));
            prop_assert!(close(exposure.gamma, gamma, 1e-12));
            prop_assert!(close(exposure.vega, vega, 1e-12));
            prop_assert!(close(exposure.pnl, pnl, 1e-12));
        }
        prop_assert!(close(
            risk.maintenance_margin,
            risk.margins.values().map(|m| m.margin.maintenance).sum(),
            1e-12
        ));
    }
}

#[test]
fn invalid_inputs_are_refused_and_leave_the_book_unchanged() {
    use recal_greeks::{AccountBook, GreeksError};
    let mut book = AccountBook::new(market(), MarginParams::default()).unwrap();
    let a = book.add_account();
    book.set_collateral(a, USDC, 100.0).unwrap();
    let before = book.risk(a).unwrap().clone();
    assert_eq!(
        book.set_position(
            a,
            999,
            Position {
                quantity: 1.0,
                entry_price: 1.0
            }
        ),
        Err(GreeksError::UnknownInstrument { index: 999 })
    );
    assert!(
        book.set_position(
            a,
            PERP,
            Position {
                quantity: f64::NAN,
                entry_price: 1.0
            }
        )
        .is_err()
    );
    assert!(
        book.set_position(
            a,
            PERP,
            Position {
                quantity: 1.0,
                entry_price: -1.0
            }
        )
        .is_err()
    );
    assert_eq!(
        book.set_collateral(7, USDC, 1.0),
        Err(GreeksError::UnknownAccount { account: 7 })
    );
    assert_eq!(
        book.set_collateral(a, 9, 1.0),
        Err(GreeksError::UnknownAsset { asset: 9 })
    );
    assert!(book.set_collateral(a, USDC, -1.0).is_err());
    assert_eq!(
        book.set_spot(9, 1.0),
        Err(GreeksError::UnknownUnderlying { underlying: 9 })
    );
    assert!(book.set_spot(1, 0.0).is_err());
    assert!(book.set_spot(1, f64::INFINITY).is_err());
    assert_eq!(
        book.set_option_vol(PERP, 0.5),
        Err(GreeksError::NotAnOption { index: PERP })
    );
    assert!(book.set_option_vol(option(0, 0, 0), -0.1).is_err());
    assert!(
        book.set_params(MarginParams {
            maintenance_ratio: 0.0,
            ..MarginParams::default()
        })
        .is_err()
    );
    let bad_grid = PortfolioMarginParams {
        spot_shocks: vec![-1.0],
        ..PortfolioMarginParams::default()
    };
    assert!(book.set_params(portfolio_only(bad_grid)).is_err());
    assert_eq!(book.risk(a).unwrap(), &before);
    assert!(book.is_fresh(a));
}
