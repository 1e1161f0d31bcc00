//! The batch path against the scalar path.

use proptest::prelude::*;
use recal_greeks::{
    BatchGreeks, Black76Inputs, GreeksError, InputError, OptionBatch, OptionKind, black76_batch,
    black76_greeks,
};

prop_compose! {
    /// Far beyond listed options: forwards over ten decades, strikes from 1/100 to 100 times the
    /// forward, up to 30 years, up to 500 % volatility, rates from −10 % to +50 %, so that |d|
    /// runs into the tails where Φ underflows and the kernel falls back to the scalar path.
    fn wide_inputs()(
        is_call in any::<bool>(),
        forward in prop_oneof![1e-3..1e7_f64, 1.0..100.0_f64],
        log_moneyness in -4.6..4.6_f64,
        time in prop_oneof![Just(0.0), 0.0..30.0_f64, 0.0..0.01_f64],
        rate in -0.1..0.5_f64,
        vol in prop_oneof![Just(0.0), 0.0..5.0_f64, 0.0..0.02_f64],
    ) -> Black76Inputs {
        let kind = if is_call { OptionKind::Call } else { OptionKind::Put };
        Black76Inputs { kind, forward, strike: forward * log_moneyness.exp(), time, rate, vol }
    }
}

prop_compose! {
    fn black76_inputs()(
        is_call in any::<bool>(),
        forward in 1.0..200_000.0_f64,
        moneyness in 0.2..5.0_f64,
        time in prop_oneof![Just(0.0), 0.0..4.0_f64],
        rate in -0.05..0.2_f64,
        vol in prop_oneof![Just(0.0), 0.0..3.0_f64],
    ) -> Black76Inputs {
        let kind = if is_call { OptionKind::Call } else { OptionKind::Put };
        Black76Inputs { kind, forward, strike: forward * moneyness, time, rate, vol }
    }
}

fn relative_gap(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

/// Prices `instruments` both ways and checks that every field agrees within 1e-12 relative (the
/// issue's bound) and, beyond it, bit for bit (the batch's ports of exp, ln and erfc are
/// `libm`'s to the bit).
fn check_against_scalar(instruments: &[Black76Inputs]) -> Result<(), TestCaseError> {
    let mut batch = OptionBatch::with_capacity(instruments.len());
    for inputs in instruments {
        batch.push(inputs).unwrap();
    }
    let mut out = BatchGreeks::new();
    let result = black76_batch(&batch, &mut out);
    for (index, inputs) in instruments.iter().enumerate() {
        let Ok(scalar) = black76_greeks(inputs) else {
            // Only an overflow can fail, and the batch reports the first one.
            let reported =
                matches!(result, Err(GreeksError::Instrument { index: i, .. }) if i <= index);
            prop_assert!(reported, "{:?}", result);
            return Ok(());
        };
        let batched = out.get(index).unwrap();
        let pairs = [
            (scalar.price, batched.price),
            (scalar.delta, batched.delta),
            (scalar.gamma, batched.gamma),
            (scalar.vega, batched.vega),
            (scalar.theta, batched.theta),
            (scalar.rho, batched.rho),
            (scalar.carry_rho, batched.carry_rho),
            (scalar.vanna, batched.vanna),
            (scalar.volga, batched.volga),
        ];
        for (s, b) in pairs {
            prop_assert!(relative_gap(s, b) <= 1e-12, "{:?}: {} vs {}", inputs, s, b);
            prop_assert_eq!(s.to_bits(), b.to_bits(), "{:?}", inputs);
        }
    }
    prop_assert!(result.is_ok());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Every field of every instrument agrees with the scalar path, over a wide grid.
    #[test]
    fn batch_equals_scalar_over_a_wide_grid(
        instruments in prop::collection::vec(wide_inputs(), 0..64),
    ) {
        check_against_scalar(&instruments)?;
    }
}

proptest! {
    /// Every field of every instrument agrees with the scalar path within 1e-12 relative.
    #[test]
    fn batch_equals_scalar(instruments in prop::collection::vec(black76_inputs(), 0..64)) {
        check_against_scalar(&instruments)?;
        let mut batch = OptionBatch::with_capacity(instruments.len());
        for inputs in &instruments {
            batch.push(inputs).unwrap();
        }
        let mut out = BatchGreeks::new();
        black76_batch(&batch, &mut out).unwrap();
        prop_assert_eq!(out.len(), instruments.len());
        for (index, inputs) in instruments.iter().enumerate() {
            prop_assert_eq!(batch.get(index), Some(*inputs));
            let batched = out.get(index).unwrap();
            prop_assert_eq!(out.price()[index], batched.price);
            prop_assert_eq!(out.delta()[index], batched.delta);
            prop_assert_eq!(out.gamma()[index], batched.gamma);
            prop_assert_eq!(out.vega()[index], batched.vega);
            prop_assert_eq!(out.theta()[index], batched.theta);
            prop_assert_eq!(out.rho()[index], batched.rho);
        }
    }
}

#[test]
fn output_is_resized_to_the_batch() {
    let call = Black76Inputs {
        kind: OptionKind::Call,
        forward: 100.0,
        strike: 100.0,
        time: 1.0,
        rate: 0.0,
        vol: 0.5,
    };
    let mut batch = OptionBatch::new();
    let mut out = BatchGreeks::new();
    for _ in 0..3 {
        batch.push(&call).unwrap();
    }
    black76_batch(&batch, &mut out).unwrap();
    assert_eq!(out.len(), 3);
    batch.clear();
    assert!(batch.is_empty());
    batch.push(&call).unwrap();
    black76_batch(&batch, &mut out).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out.get(1), None);
}

#[test]
fn invalid_instruments_are_refused_with_their_index() {
    let good = Black76Inputs {
        kind: OptionKind::Put,
        forward: 100.0,
        strike: 90.0,
        time: 0.5,
        rate: 0.0,
        vol: 0.5,
    };
    let mut batch = OptionBatch::new();
    batch.push(&good).unwrap();
    let bad = Black76Inputs {
        vol: f64::NAN,
        ..good
    };
    assert!(matches!(
        batch.push(&bad),
        Err(GreeksError::Instrument {
            index: 1,
            source: InputError::NonFinite { name: "vol", .. }
        })
    ));
    assert_eq!(batch.len(), 1);
    assert!(matches!(
        batch.set(0, &bad),
        Err(GreeksError::Instrument { index: 0, .. })
    ));
    assert_eq!(
        batch.set(5, &good),
        Err(GreeksError::UnknownInstrument { index: 5 })
    );
    assert_eq!(batch.get(0), Some(good));

    // Valid inputs whose discount factor overflows are reported at their index.
    batch
        .push(&Black76Inputs {
            rate: -1000.0,
            time: 1.0,
            ..good
        })
        .unwrap();
    let mut out = BatchGreeks::new();
    assert_eq!(
        black76_batch(&batch, &mut out),
        Err(GreeksError::Instrument {
            index: 1,
            source: InputError::Overflow
        })
    );
}
