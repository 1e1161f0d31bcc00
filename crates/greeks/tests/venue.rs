//! Coin-settled (inverse) conventions against their definitions.

use proptest::prelude::*;
use recal_greeks::{
    Black76Inputs, GreeksError, OptionKind, act365_year_fraction, black76_greeks, coin_price,
    deribit_greeks,
};

proptest! {
    /// The inverse delta is the coin value's sensitivity scaled to a 1-coin notional:
    /// F·∂(V/F)/∂F = Δ − V/F, checked by a central difference of the coin price.
    #[test]
    fn inverse_delta_is_the_coin_price_sensitivity(
        is_call in any::<bool>(),
        forward in 3_000.0..70_000.0_f64,
        moneyness in 0.5..2.0_f64,
        time in 0.01..1.5_f64,
        vol in 0.3..1.5_f64,
    ) {
        let kind = if is_call { OptionKind::Call } else { OptionKind::Put };
        let inputs = Black76Inputs { kind, forward, strike: forward * moneyness, time, rate: 0.0, vol };
        let coin_at = |f: f64| {
            let g = black76_greeks(&Black76Inputs { forward: f, ..inputs }).unwrap();
            g.price / f
        };
        let h = 1e-4 * forward;
        let numeric = forward * (coin_at(forward + h) - coin_at(forward - h)) / (2.0 * h);
        let venue = deribit_greeks(&inputs).unwrap();
        prop_assert!((venue.inverse_delta - numeric).abs() < 1e-7, "{} vs {}", venue.inverse_delta, numeric);
        prop_assert!((venue.mark_price_coin - coin_at(forward)).abs() < 1e-15);
    }
}

#[test]
fn venue_units_are_the_scaled_black76_greeks() {
    let inputs = Black76Inputs {
        kind: OptionKind::Put,
        forward: 9_096.11,
        strike: 9_250.0,
        time: 0.05,
        rate: 0.0,
        vol: 0.85,
    };
    let g = black76_greeks(&inputs).unwrap();
    let venue = deribit_greeks(&inputs).unwrap();
    assert_eq!(venue.delta, g.delta);
    assert_eq!(venue.gamma, g.gamma);
    assert_eq!(venue.vega, g.vega / 100.0);
    assert_eq!(venue.theta, g.theta / 365.0);
    // With r = 0 the Black-76 rho (−T·V) vanishes; Deribit's rho is the spot-style
    // ω·T·X·N(ωd₂)/100, here for a put: −T·X·N(−d₂)/100 < 0.
    assert_eq!(g.rho, -inputs.time * g.price);
    assert!(venue.rho < 0.0);
    let d2 = ((inputs.forward / inputs.strike).ln() - 0.5 * inputs.vol.powi(2) * inputs.time)
        / (inputs.vol * inputs.time.sqrt());
    let expected = -inputs.time * inputs.strike * recal_greeks::normal_cdf(-d2) / 100.0;
    assert!((venue.rho - expected).abs() < 1e-12);
}

#[test]
fn time_and_price_conversions() {
    // Deribit expiries are 08:00 UTC: from 2020-05-21 08:00 to 2020-05-22 08:00 is 1/365 year.
    let day = act365_year_fraction(1_590_048_000_000, 1_590_134_400_000);
    assert!((day - 1.0 / 365.0).abs() < 1e-18);
    assert!(act365_year_fraction(1, 0) < 0.0);
    assert_eq!(coin_price(930.0, 9_300.0).unwrap(), 0.1);
    assert!(matches!(coin_price(1.0, 0.0), Err(GreeksError::Input(_))));
    assert!(matches!(
        coin_price(f64::NAN, 1.0),
        Err(GreeksError::Input(_))
    ));
}
