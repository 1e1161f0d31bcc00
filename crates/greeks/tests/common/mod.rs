//! A small two-underlying market shared by the account tests, and an independent revaluation
//! twin built directly on `black76_greeks`.

#![allow(dead_code)]

use recal_greeks::{
    Account, Black76Inputs, CollateralAsset, Instrument, LinearKind, Market, OptionContract,
    OptionKind, Underlying, black76_greeks,
};

/// Underlying ids of the test market.
pub const UNDERLYINGS: [u32; 2] = [1, 2];

/// Market: underlyings 1 (spot 100) and 2 (spot 50); per underlying a perpetual, a future, a spot
/// instrument, and calls and puts at strikes 70 %…130 % of spot for two expiries. Assets: a
/// stablecoin (0 haircut) and one coin per underlying (10 % and 20 % haircut).
pub fn market() -> Market {
    let mut market = Market::new();
    for (&id, spot) in UNDERLYINGS.iter().zip([100.0, 50.0]) {
        market
            .set_underlying(
                id,
                Underlying {
                    spot,
                    short_vol: 0.5 + 0.2 * f64::from(id),
                    depth_per_percent: 20_000.0,
                },
            )
            .unwrap();
    }
    for &underlying in &UNDERLYINGS {
        let spot = market.underlying(underlying).unwrap().spot;
        for kind in [LinearKind::Perpetual, LinearKind::Future, LinearKind::Spot] {
            market
                .add_instrument(Instrument::Linear { underlying, kind })
                .unwrap();
        }
        for time in [0.1, 0.5] {
            for moneyness in [0.7, 0.85, 1.0, 1.15, 1.3] {
                for kind in [OptionKind::Call, OptionKind::Put] {
                    market
                        .add_instrument(Instrument::Option(OptionContract {
                            underlying,
                            kind,
                            strike: spot * moneyness,
                            time,
                            rate: 0.01,
                            vol: 0.5 + 0.3 * (moneyness - 1.0).abs(),
                        }))
                        .unwrap();
                }
            }
        }
    }
    market
        .add_asset(CollateralAsset {
            price: 1.0,
            haircut: 0.0,
            underlying: None,
        })
        .unwrap();
    for (&underlying, haircut) in UNDERLYINGS.iter().zip([0.1, 0.2]) {
        market
            .add_asset(CollateralAsset {
                price: 0.0,
                haircut,
                underlying: Some(underlying),
            })
            .unwrap();
    }
    market
}

/// Number of instruments in [`market`].
pub const INSTRUMENTS: usize = 2 * (3 + 2 * 5 * 2);

/// Number of collateral assets in [`market`].
pub const ASSETS: usize = 3;

/// Independent twin of an account's exposure on `underlying`: (delta, gamma, vega, pnl) summed
/// position by position from `black76_greeks` and the collateral by hand.
pub fn twin_exposure(account: &Account, market: &Market, underlying: u32) -> [f64; 4] {
    let spot = market.underlying(underlying).unwrap().spot;
    let mut totals = [0.0; 4];
    for (&asset, &amount) in account.collateral() {
        let state = market.asset(asset).unwrap();
        if state.underlying == Some(underlying) {
            totals[0] += amount * (1.0 - state.haircut);
        }
    }
    for (&index, position) in account.positions() {
        let (price, delta, gamma, vega) = match *market.instrument(index).unwrap() {
            Instrument::Linear { underlying: u, .. } if u == underlying => (spot, 1.0, 0.0, 0.0),
            Instrument::Option(o) if o.underlying == underlying => {
                let g = black76_greeks(&Black76Inputs {
                    kind: o.kind,
                    forward: spot,
                    strike: o.strike,
                    time: o.time,
                    rate: o.rate,
                    vol: o.vol,
                })
                .unwrap();
                (g.price, g.delta, g.gamma, g.vega)
            }
            _ => continue,
        };
        let q = position.quantity;
        totals[0] += q * delta;
        totals[1] += q * gamma;
        totals[2] += q * vega;
        totals[3] += q * (price - position.entry_price);
    }
    totals
}

/// Twin of an account's equity: haircut collateral plus the P&L on every underlying.
pub fn twin_equity(account: &Account, market: &Market) -> f64 {
    let collateral: f64 = account
        .collateral()
        .iter()
        .map(|(&asset, &amount)| {
            let state = market.asset(asset).unwrap();
            let price = match state.underlying {
                Some(u) => market.underlying(u).unwrap().spot,
                None => state.price,
            };
            amount * price * (1.0 - state.haircut)
        })
        .sum();
    collateral
        + UNDERLYINGS
            .iter()
            .map(|&u| twin_exposure(account, market, u)[3])
            .sum::<f64>()
}

/// Whether `a` and `b` agree to a relative tolerance `tol` (absolute below magnitude 1).
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}
