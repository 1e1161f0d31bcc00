//! Every Greek against central finite differences of the price, put–call parity, monotonicity,
//! expiry limits and input validation.

use proptest::prelude::*;
use recal_greeks::{
    Black76Inputs, BsmInputs, Greeks, GreeksError, InputError, OptionKind, black76_greeks,
    bsm_greeks,
};

fn greeks(inputs: &BsmInputs) -> Greeks {
    bsm_greeks(inputs).unwrap()
}

/// Central difference of `f` at `x` with step `h`.
fn central(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    (f(x + h) - f(x - h)) / (2.0 * h)
}

fn assert_close(analytic: f64, numeric: f64, what: &str, inputs: &BsmInputs) {
    let tolerance = 2e-6 * (1.0 + analytic.abs());
    assert!(
        (analytic - numeric).abs() <= tolerance,
        "{what}: analytic {analytic}, finite difference {numeric}, inputs {inputs:?}"
    );
}

fn kind() -> impl Strategy<Value = OptionKind> {
    prop_oneof![Just(OptionKind::Call), Just(OptionKind::Put)]
}

prop_compose! {
    fn bsm_inputs()(
        kind in kind(),
        spot in 50.0..150.0_f64,
        strike in 50.0..150.0_f64,
        time in 0.05..3.0_f64,
        rate in -0.02..0.10_f64,
        carry in -0.05..0.10_f64,
        vol in 0.05..1.0_f64,
    ) -> BsmInputs {
        BsmInputs { kind, spot, strike, time, rate, carry, vol }
    }
}

proptest! {
    #[test]
    fn greeks_match_finite_differences(inputs in bsm_inputs()) {
        let g = greeks(&inputs);
        let with = |f: &dyn Fn(&mut BsmInputs, f64), x: f64| {
            let mut bumped = inputs;
            f(&mut bumped, x);
            greeks(&bumped)
        };
        let spot_step = 1e-4 * inputs.spot;
        let set_spot = |i: &mut BsmInputs, x: f64| i.spot = x;
        let set_vol = |i: &mut BsmInputs, x: f64| i.vol = x;
        let set_time = |i: &mut BsmInputs, x: f64| i.time = x;
        let set_rate = |i: &mut BsmInputs, x: f64| i.rate = x;
        let set_carry = |i: &mut BsmInputs, x: f64| i.carry = x;

        let delta = central(|x| with(&set_spot, x).price, inputs.spot, spot_step);
        assert_close(g.delta, delta, "delta", &inputs);
        let gamma = central(|x| with(&set_spot, x).delta, inputs.spot, spot_step);
        assert_close(g.gamma, gamma, "gamma", &inputs);
        let vega = central(|x| with(&set_vol, x).price, inputs.vol, 1e-5);
        assert_close(g.vega, vega, "vega", &inputs);
        let theta = -central(|x| with(&set_time, x).price, inputs.time, 1e-6);
        assert_close(g.theta, theta, "theta", &inputs);
        let rho = central(|x| with(&set_rate, x).price, inputs.rate, 1e-6);
        assert_close(g.rho, rho, "rho", &inputs);
        let carry_rho = central(|x| with(&set_carry, x).price, inputs.carry, 1e-6);
        assert_close(g.carry_rho, carry_rho, "carry rho", &inputs);
        let vanna = central(|x| with(&set_vol, x).delta, inputs.vol, 1e-5);
        assert_close(g.vanna, vanna, "vanna", &inputs);
        let volga = central(|x| with(&set_vol, x).vega, inputs.vol, 1e-5);
        assert_close(g.volga, volga, "volga", &inputs);
    }

    /// C − P = S e^{(b−r)T} − X e^{−rT}; Δc − Δp = e^{(b−r)T}; gamma and vega agree
    /// (Haug 2007, §1.1.6 and ch. 2).
    #[test]
    fn put_call_parity(inputs in bsm_inputs()) {
        let call = greeks(&BsmInputs { kind: OptionKind::Call, ..inputs });
        let put = greeks(&BsmInputs { kind: OptionKind::Put, ..inputs });
        let carry_discount = ((inputs.carry - inputs.rate) * inputs.time).exp();
        let forward_pv = inputs.spot * carry_discount;
        let strike_pv = inputs.strike * (-inputs.rate * inputs.time).exp();
        let scale = inputs.spot + inputs.strike;
        prop_assert!((call.price - put.price - (forward_pv - strike_pv)).abs() < 1e-12 * scale);
        prop_assert!((call.delta - put.delta - carry_discount).abs() < 1e-14);
        prop_assert!((call.gamma - put.gamma).abs() < 1e-15);
        prop_assert!((call.vega - put.vega).abs() < 1e-15 * scale);
        prop_assert!((call.volga - put.volga).abs() < 1e-12 * scale);
    }

    /// A call is worth more with a higher forward or volatility and less with a higher strike,
    /// and always lies between its discounted intrinsic value and the discounted forward.
    #[test]
    fn call_price_is_monotone_and_bounded(
        forward in 10.0..1000.0_f64,
        strike in 10.0..1000.0_f64,
        time in 0.0..5.0_f64,
        rate in -0.02..0.2_f64,
        vol in 0.0..2.0_f64,
        bump in 1.0001..1.5_f64,
    ) {
        let base = Black76Inputs { kind: OptionKind::Call, forward, strike, time, rate, vol };
        let price = |i: Black76Inputs| black76_greeks(&i).unwrap().price;
        let p = price(base);
        let slack = 1e-12 * (forward + strike);
        let higher_forward = price(Black76Inputs { forward: forward * bump, ..base });
        let higher_vol = price(Black76Inputs { vol: vol * bump + 1e-4, ..base });
        let higher_strike = price(Black76Inputs { strike: strike * bump, ..base });
        prop_assert!(higher_forward >= p - slack);
        prop_assert!(higher_vol >= p - slack);
        prop_assert!(higher_strike <= p + slack);
        let discount = (-rate * time).exp();
        prop_assert!(p >= discount * (forward - strike).max(0.0) - slack);
        prop_assert!(p <= discount * forward + slack);
    }

    /// No input, however wild, produces a non-finite output: it is priced or refused.
    #[test]
    fn never_returns_non_finite(
        spot in any::<f64>(), strike in any::<f64>(), time in any::<f64>(),
        rate in any::<f64>(), carry in any::<f64>(), vol in any::<f64>(), kind in kind(),
    ) {
        let inputs = BsmInputs { kind, spot, strike, time, rate, carry, vol };
        if let Ok(g) = bsm_greeks(&inputs) {
            for v in [g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.carry_rho, g.vanna, g.volga] {
                prop_assert!(v.is_finite(), "{inputs:?} -> {g:?}");
            }
        }
    }
}

#[test]
fn expiry_gives_intrinsic_value_and_limiting_greeks() {
    let at = |kind, strike| {
        greeks(&BsmInputs {
            kind,
            spot: 100.0,
            strike,
            time: 0.0,
            rate: 0.05,
            carry: 0.02,
            vol: 0.4,
        })
    };
    let itm_call = at(OptionKind::Call, 90.0);
    assert_eq!(itm_call.price, 10.0);
    assert_eq!(itm_call.delta, 1.0);
    assert_eq!(
        (itm_call.gamma, itm_call.vega, itm_call.rho),
        (0.0, 0.0, 0.0)
    );
    let otm_call = at(OptionKind::Call, 110.0);
    assert_eq!(
        (otm_call.price, otm_call.delta, otm_call.theta),
        (0.0, 0.0, 0.0)
    );
    let itm_put = at(OptionKind::Put, 110.0);
    assert_eq!((itm_put.price, itm_put.delta), (10.0, -1.0));
    let atm_put = at(OptionKind::Put, 100.0);
    assert_eq!((atm_put.price, atm_put.delta), (0.0, -0.5));
}

#[test]
fn short_expiry_converges_to_the_expiry_limits() {
    for (kind, strike) in [
        (OptionKind::Call, 90.0),
        (OptionKind::Put, 110.0),
        (OptionKind::Call, 100.0),
    ] {
        let at = |time| {
            greeks(&BsmInputs {
                kind,
                spot: 100.0,
                strike,
                time,
                rate: 0.05,
                carry: 0.02,
                vol: 0.4,
            })
        };
        let (limit, near) = (at(0.0), at(1e-14));
        assert!((limit.price - near.price).abs() < 1e-5, "{kind:?} {strike}");
        assert!((limit.delta - near.delta).abs() < 1e-5, "{kind:?} {strike}");
    }
}

#[test]
fn zero_volatility_is_the_discounted_forward_intrinsic_value() {
    let g = greeks(&BsmInputs {
        kind: OptionKind::Call,
        spot: 100.0,
        strike: 95.0,
        time: 2.0,
        rate: 0.05,
        carry: 0.03,
        vol: 0.0,
    });
    let expected = (100.0 * (0.03_f64 * 2.0).exp() - 95.0) * (-0.05_f64 * 2.0).exp();
    assert!((g.price - expected).abs() < 1e-12);
    // And it is the limit of small volatilities.
    let small = greeks(&BsmInputs {
        kind: OptionKind::Call,
        spot: 100.0,
        strike: 95.0,
        time: 2.0,
        rate: 0.05,
        carry: 0.03,
        vol: 1e-6,
    });
    assert!((g.price - small.price).abs() < 1e-9);
    assert!((g.delta - small.delta).abs() < 1e-9);
}

#[test]
fn invalid_inputs_are_typed_errors() {
    let good = BsmInputs {
        kind: OptionKind::Call,
        spot: 100.0,
        strike: 100.0,
        time: 1.0,
        rate: 0.01,
        carry: 0.0,
        vol: 0.5,
    };
    let refuse = |inputs: BsmInputs| bsm_greeks(&inputs).unwrap_err();
    let input = |e: GreeksError| match e {
        GreeksError::Input(inner) => inner,
        other => panic!("expected an input error, got {other:?}"),
    };
    assert!(matches!(
        input(refuse(BsmInputs {
            spot: f64::NAN,
            ..good
        })),
        InputError::NonFinite { name: "spot", .. }
    ));
    assert!(matches!(
        input(refuse(BsmInputs { spot: 0.0, ..good })),
        InputError::NotPositive { name: "spot", .. }
    ));
    assert!(matches!(
        input(refuse(BsmInputs {
            strike: -1.0,
            ..good
        })),
        InputError::NotPositive { name: "strike", .. }
    ));
    assert!(matches!(
        input(refuse(BsmInputs {
            time: -1e-9,
            ..good
        })),
        InputError::Negative { name: "time", .. }
    ));
    assert!(matches!(
        input(refuse(BsmInputs { vol: -0.1, ..good })),
        InputError::Negative { name: "vol", .. }
    ));
    assert!(matches!(
        input(refuse(BsmInputs {
            vol: f64::INFINITY,
            ..good
        })),
        InputError::NonFinite { name: "vol", .. }
    ));
    assert!(matches!(
        input(refuse(BsmInputs {
            rate: f64::NAN,
            ..good
        })),
        InputError::NonFinite { name: "rate", .. }
    ));
    assert!(matches!(
        input(refuse(BsmInputs {
            carry: f64::NEG_INFINITY,
            ..good
        })),
        InputError::NonFinite { name: "carry", .. }
    ));
    // Valid but extreme: e^{1000} overflows.
    assert_eq!(
        input(refuse(BsmInputs {
            rate: -1000.0,
            ..good
        })),
        InputError::Overflow
    );
}
