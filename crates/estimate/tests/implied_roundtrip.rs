//! Black-76 implied volatility: round trips over a wide grid, no-arbitrage bounds, and prices
//! against independent closed forms.

use proptest::prelude::*;
use recal_estimate::{Black76, EstimateError, OptionKind};

fn contract(kind: OptionKind, x: f64, discount: f64) -> Black76 {
    // x = ln(F/K) with F = 100.
    Black76 {
        kind,
        forward: 100.0,
        strike: 100.0 * (-x).exp(),
        expiry_years: 1.0,
        discount,
    }
}

#[test]
fn round_trip_over_moneyness_and_total_vol_grid() {
    let mut worst_price = 0.0f64;
    let mut worst_vol = 0.0f64;
    let mut checked = 0;
    for i in 0..=60 {
        let x = -3.0 + 0.1 * i as f64;
        for j in 0..=60 {
            // Total vol from 0.01 to 3, log-spaced.
            let s = 0.01 * 300f64.powf(j as f64 / 60.0);
            for kind in [OptionKind::Call, OptionKind::Put] {
                for discount in [1.0, 0.97] {
                    let c = contract(kind, x, discount);
                    let price = c.price(s).unwrap();
                    let intrinsic = contract(kind, x, discount).price(0.0).unwrap();
                    // Skip prices whose time value is not representable against the intrinsic
                    // value, or that underflow: no volatility is recoverable from them.
                    if price - intrinsic <= 1e-12 * price || price < 1e-250 {
                        continue;
                    }
                    let vol = c.implied_vol(price).unwrap();
                    let back = c.price(vol).unwrap();
                    worst_price = worst_price.max((back - price).abs() / price);
                    // Vol recovery is meaningful where vega is not negligible.
                    if price - intrinsic > 1e-6 * price {
                        worst_vol = worst_vol.max((vol - s).abs() / s);
                    }
                    checked += 1;
                }
            }
        }
    }
    println!(
        "{checked} grid points: worst price round trip {worst_price:.2e}, worst vol error {worst_vol:.2e}"
    );
    assert!(worst_price <= 1e-12, "price round trip {worst_price}");
    assert!(worst_vol <= 1e-8, "vol recovery {worst_vol}");
    assert!(checked > 9_000, "{checked} points checked");
}

proptest! {
    #[test]
    fn round_trip_random(x in -3.0f64..3.0, s in 0.01f64..3.0, call in any::<bool>(), t in 0.001f64..5.0) {
        let kind = if call { OptionKind::Call } else { OptionKind::Put };
        let c = Black76 { kind, forward: 9_000.0, strike: 9_000.0 * (-x).exp(), expiry_years: t, discount: 1.0 };
        let vol = s / t.sqrt();
        let price = c.price(vol).unwrap();
        let intrinsic = c.price(0.0).unwrap();
        prop_assume!(price - intrinsic > 1e-12 * price && price > 1e-250);
        let back = c.price(c.implied_vol(price).unwrap()).unwrap();
        prop_assert!((back - price).abs() <= 1e-12 * price, "{back} vs {price}");
    }
}

#[test]
fn prices_match_independent_closed_forms() {
    // ATM: F·erf(σ√T / (2√2)); the Abramowitz–Stegun value N(0.1) = 0.539827837277029
    // (A&S table 26.1) gives 100·(2N(0.1) − 1) for σ = 0.2, T = 1.
    let atm = contract(OptionKind::Call, 0.0, 1.0);
    assert!((atm.price(0.2).unwrap() - 100.0 * (2.0 * 0.539_827_837_277_029 - 1.0)).abs() < 1e-11);
    // Put-call parity: C − P = D (F − K).
    for x in [-2.0, -0.3, 0.0, 0.7, 2.5] {
        for s in [0.05, 0.4, 2.0] {
            let call = contract(OptionKind::Call, x, 0.9).price(s).unwrap();
            let put = contract(OptionKind::Put, x, 0.9).price(s).unwrap();
            let k = 100.0 * (-x).exp();
            assert!((call - put - 0.9 * (100.0 - k)).abs() < 1e-12 * 100.0f64.max(k));
        }
    }
    // Very large vol tends to the upper bound D·F for a call.
    let call = contract(OptionKind::Call, 0.0, 0.5);
    assert!((call.price(60.0).unwrap() - 50.0).abs() < 1e-9);
}

#[test]
fn prices_outside_no_arbitrage_bounds_are_errors() {
    let call = contract(OptionKind::Call, 0.5, 0.95); // ITM call, K = 100 e^{-0.5}
    let intrinsic = call.price(0.0).unwrap();
    assert!(matches!(
        call.implied_vol(intrinsic * 0.99),
        Err(EstimateError::PriceBelowIntrinsic { .. })
    ));
    assert_eq!(call.implied_vol(intrinsic).unwrap(), 0.0);
    assert!(matches!(
        call.implied_vol(95.0),
        Err(EstimateError::PriceAboveMaximum { .. })
    ));
    assert!(matches!(
        call.implied_vol(120.0),
        Err(EstimateError::PriceAboveMaximum { .. })
    ));
    let put = contract(OptionKind::Put, 0.5, 0.95);
    assert!(matches!(
        put.implied_vol(-1.0),
        Err(EstimateError::PriceBelowIntrinsic { .. })
    ));
    assert!(matches!(
        put.implied_vol(f64::NAN),
        Err(EstimateError::InvalidValue { .. })
    ));
    let expired = Black76 {
        expiry_years: 0.0,
        ..call
    };
    assert!(expired.implied_vol(10.0).is_err());
    assert!((expired.price(0.3).unwrap() - intrinsic).abs() < 1e-12);
    assert!(
        Black76 {
            forward: -1.0,
            ..call
        }
        .price(0.2)
        .is_err()
    );
    assert!(call.price(-0.1).is_err());
    assert!(
        Black76 {
            discount: 0.0,
            ..call
        }
        .price(0.2)
        .is_err()
    );
}
