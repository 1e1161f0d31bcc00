//! Prices and Greeks against published worked examples.
//!
//! Sources:
//! - [Haug] E. G. Haug, *The Complete Guide to Option Pricing Formulas*, 2nd ed., McGraw-Hill,
//!   2007: chapter 1 (§1.1.1 Black–Scholes, §1.1.2 Merton, §1.1.4 Black-76, §1.1.5
//!   Garman–Kohlhagen, §1.1.6 generalised BSM) and chapter 2 (Greeks). Printed to 4 decimals.
//! - [Hull] J. C. Hull, *Options, Futures, and Other Derivatives*, 8th ed., Pearson, 2012:
//!   Example 15.6 (Black–Scholes), Example 18.6 (Black's model, futures put) and the running
//!   example of chapter 19 (Greek letters: S = 49, K = 50, r = 5 %, σ = 20 %, 20 weeks).

use recal_greeks::{Black76Inputs, BsmInputs, Greeks, OptionKind, black76_greeks, bsm_greeks};

fn bsm(
    kind: OptionKind,
    spot: f64,
    strike: f64,
    time: f64,
    rate: f64,
    carry: f64,
    vol: f64,
) -> Greeks {
    bsm_greeks(&BsmInputs {
        kind,
        spot,
        strike,
        time,
        rate,
        carry,
        vol,
    })
    .unwrap()
}

/// Asserts agreement to the number of decimals the source prints (half a unit in the last place).
fn assert_printed(actual: f64, printed: f64, decimals: i32, what: &str) {
    let half_unit = 0.5 * 10f64.powi(-decimals);
    assert!(
        (actual - printed).abs() <= half_unit,
        "{what}: computed {actual}, published {printed}"
    );
}

#[test]
fn haug_chapter_1_prices() {
    use OptionKind::{Call, Put};
    // §1.1.1 Black–Scholes: S = 60, X = 65, T = 0.25, r = 8 %, σ = 30 %: call 2.1334.
    assert_printed(
        bsm(Call, 60.0, 65.0, 0.25, 0.08, 0.08, 0.30).price,
        2.1334,
        4,
        "BS call",
    );
    // §1.1.2 Merton: S = 100, X = 95, T = 0.5, r = 10 %, q = 5 %, σ = 20 %: put 2.4648.
    assert_printed(
        bsm(Put, 100.0, 95.0, 0.5, 0.10, 0.05, 0.20).price,
        2.4648,
        4,
        "Merton put",
    );
    // §1.1.5 Garman–Kohlhagen: S = 1.56, X = 1.60, T = 0.5, r = 6 %, r_f = 8 %, σ = 12 %:
    // call 0.0291.
    assert_printed(
        bsm(Call, 1.56, 1.60, 0.5, 0.06, -0.02, 0.12).price,
        0.0291,
        4,
        "GK call",
    );
    // §1.1.6 generalised BSM: S = 75, X = 70, T = 0.5, r = 10 %, b = 5 %, σ = 35 %: put 4.0870.
    assert_printed(
        bsm(Put, 75.0, 70.0, 0.5, 0.10, 0.05, 0.35).price,
        4.0870,
        4,
        "GBSM put",
    );
}

#[test]
fn haug_black76_example() {
    // §1.1.4: F = X = 19, T = 0.75, r = 10 %, σ = 28 %: call = put = 1.7011.
    for kind in [OptionKind::Call, OptionKind::Put] {
        let greeks = black76_greeks(&Black76Inputs {
            kind,
            forward: 19.0,
            strike: 19.0,
            time: 0.75,
            rate: 0.10,
            vol: 0.28,
        })
        .unwrap();
        assert_printed(greeks.price, 1.7011, 4, "Black-76");
    }
}

#[test]
fn haug_chapter_2_greeks() {
    use OptionKind::{Call, Put};
    // Delta, futures option (b = 0): S = 105, X = 100, T = 0.5, r = 10 %, σ = 36 %:
    // call 0.5946, put −0.3566.
    assert_printed(
        bsm(Call, 105.0, 100.0, 0.5, 0.10, 0.0, 0.36).delta,
        0.5946,
        4,
        "delta call",
    );
    assert_printed(
        bsm(Put, 105.0, 100.0, 0.5, 0.10, 0.0, 0.36).delta,
        -0.3566,
        4,
        "delta put",
    );
    // Gamma and vega: S = 55, X = 60, T = 0.75, r = b = 10 %, σ = 30 %: gamma 0.0278,
    // vega 18.9358 (per 1.00 of vol).
    let g = bsm(Call, 55.0, 60.0, 0.75, 0.10, 0.10, 0.30);
    assert_printed(g.gamma, 0.0278, 4, "gamma");
    assert_printed(g.vega, 18.9358, 4, "vega");
    // Theta: S = 430, X = 405, T = 0.0833, r = 7 %, q = 5 % (b = 2 %), σ = 20 %: put −31.1924
    // per year.
    let put = bsm(Put, 430.0, 405.0, 0.0833, 0.07, 0.02, 0.20);
    assert_printed(put.theta, -31.1924, 4, "theta put");
    // Rho of a stock option (b = r, so carry moves with the rate): S = 72, X = 75, T = 1,
    // r = b = 9 %, σ = 19 %: call 38.7325.
    let call = bsm(Call, 72.0, 75.0, 1.0, 0.09, 0.09, 0.19);
    assert_printed(call.rho + call.carry_rho, 38.7325, 4, "stock rho");
}

#[test]
fn hull_black_scholes_example() {
    // Example 15.6: S = 42, K = 40, r = 10 %, σ = 20 %, T = 0.5: c = 4.76, p = 0.81.
    let call = bsm(OptionKind::Call, 42.0, 40.0, 0.5, 0.10, 0.10, 0.20);
    let put = bsm(OptionKind::Put, 42.0, 40.0, 0.5, 0.10, 0.10, 0.20);
    assert_printed(call.price, 4.76, 2, "Hull call");
    assert_printed(put.price, 0.81, 2, "Hull put");
}

#[test]
fn hull_black76_futures_put() {
    // Example 18.6: crude-oil futures put, F = K = 20, T = 4 months, r = 9 %, σ = 25 %: 1.12.
    let put = black76_greeks(&Black76Inputs {
        kind: OptionKind::Put,
        forward: 20.0,
        strike: 20.0,
        time: 4.0 / 12.0,
        rate: 0.09,
        vol: 0.25,
    })
    .unwrap();
    assert_printed(put.price, 1.12, 2, "Hull futures put");
}

#[test]
fn hull_chapter_19_greeks() {
    // Call on a non-dividend stock: S = 49, K = 50, r = 5 %, σ = 20 %, T = 20 weeks (0.3846):
    // delta 0.522, gamma 0.066, vega 12.1 per 1.00 of vol, theta −4.31 per year (−0.0118 per
    // calendar day), rho 8.91 per 1.00 of rate.
    let g = bsm(OptionKind::Call, 49.0, 50.0, 0.3846, 0.05, 0.05, 0.20);
    assert_printed(g.delta, 0.522, 3, "delta");
    assert_printed(g.gamma, 0.066, 3, "gamma");
    assert_printed(g.vega, 12.1, 1, "vega");
    assert_printed(g.vega_per_vol_point(), 0.121, 3, "vega per vol point");
    assert_printed(g.theta, -4.31, 2, "theta per year");
    assert_printed(g.theta_per_day(), -0.0118, 4, "theta per day");
    assert_printed(g.rho + g.carry_rho, 8.91, 2, "rho");
    // Hull also prices this call at about $2.40.
    assert_printed(g.price, 2.40, 2, "price");
}
