//! The incrementally repriced book against a from-scratch recomputation and a naive sum.

use proptest::prelude::*;
use recal_greeks::{Black76Inputs, GreeksError, OptionKind, PricedBook, black76_greeks};

const UNDERLYINGS: u32 = 3;

prop_compose! {
    fn black76_inputs()(
        is_call in any::<bool>(),
        forward in 50.0..150.0_f64,
        strike in 50.0..150.0_f64,
        time in 0.0..2.0_f64,
        rate in 0.0..0.1_f64,
        vol in 0.0..1.5_f64,
    ) -> Black76Inputs {
        let kind = if is_call { OptionKind::Call } else { OptionKind::Put };
        Black76Inputs { kind, forward, strike, time, rate, vol }
    }
}

#[derive(Debug, Clone)]
enum Change {
    Inputs(usize, Black76Inputs),
    Position(usize, f64),
    /// Re-send an instrument's current inputs: must not cause a repricing.
    Same(usize),
    Recompute,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<usize>(), black76_inputs()).prop_map(|(i, x)| Change::Inputs(i, x)),
        (any::<usize>(), -100.0..100.0_f64).prop_map(|(i, p)| Change::Position(i, p)),
        any::<usize>().prop_map(Change::Same),
        Just(Change::Recompute),
    ]
}

fn instrument() -> impl Strategy<Value = (u32, Black76Inputs, f64)> {
    (0..UNDERLYINGS, black76_inputs(), -100.0..100.0_f64)
}

proptest! {
    #[test]
    fn incremental_equals_full_recomputation(
        initial in prop::collection::vec(instrument(), 1..24),
        changes in prop::collection::vec(change(), 0..60),
    ) {
        let mut book = PricedBook::new();
        let mut model = initial.clone();
        for &(underlying, inputs, position) in &initial {
            book.add(underlying, inputs, position).unwrap();
        }
        prop_assert_eq!(book.recompute().unwrap(), initial.len());
        let mut changed = std::collections::BTreeSet::new();
        for change in changes {
            match change {
                Change::Inputs(i, inputs) => {
                    let i = i % model.len();
                    if model[i].1 != inputs { changed.insert(i); }
                    model[i].1 = inputs;
                    book.set_inputs(i, inputs).unwrap();
                }
                Change::Position(i, position) => {
                    let i = i % model.len();
                    if model[i].2 != position { changed.insert(i); }
                    model[i].2 = position;
                    book.set_position(i, position).unwrap();
                }
                Change::Same(i) => {
                    let i = i % model.len();
                    book.set_inputs(i, model[i].1).unwrap();
                }
                Change::Recompute => {
                    // Only the instruments that really changed are repriced.
                    prop_assert_eq!(book.recompute().unwrap(), changed.len());
                    changed.clear();
                }
            }
        }
        prop_assert_eq!(book.pending(), changed.len());
        book.recompute().unwrap();

        let mut full = PricedBook::new();
        for &(underlying, inputs, position) in &model {
            full.add(underlying, inputs, position).unwrap();
        }
        full.recompute().unwrap();
        for (index, &(_, inputs, _)) in model.iter().enumerate() {
            prop_assert_eq!(book.greeks(index), full.greeks(index));
            prop_assert_eq!(book.greeks(index), Some(black76_greeks(&inputs).unwrap()));
        }
        for underlying in 0..UNDERLYINGS {
            // Bit-identical to the from-scratch book …
            prop_assert_eq!(book.net_exposure(underlying), full.net_exposure(underlying));
            // … and equal to a naive sum of position × Greek up to rounding.
            let exposure = book.net_exposure(underlying);
            let (mut delta, mut gamma, mut vega, mut rho) = (0.0, 0.0, 0.0, 0.0);
            for &(u, inputs, position) in &model {
                if u == underlying {
                    let g = black76_greeks(&inputs).unwrap();
                    delta += position * g.delta;
                    gamma += position * g.gamma;
                    vega += position * g.vega;
                    rho += position * g.rho;
                }
            }
            for (incremental, naive) in [(exposure.delta, delta), (exposure.gamma, gamma), (exposure.vega, vega), (exposure.rho, rho)] {
                prop_assert!((incremental - naive).abs() <= 1e-9 * (1.0 + naive.abs()));
            }
        }
    }
}

#[test]
fn errors_leave_the_book_unchanged() {
    let inputs = Black76Inputs {
        kind: OptionKind::Call,
        forward: 100.0,
        strike: 100.0,
        time: 1.0,
        rate: 0.0,
        vol: 0.5,
    };
    let mut book = PricedBook::new();
    assert!(book.is_empty());
    let index = book.add(1, inputs, 2.0).unwrap();
    book.recompute().unwrap();
    let before = book.net_exposure(1);
    assert!(matches!(
        book.set_inputs(
            index,
            Black76Inputs {
                forward: -1.0,
                ..inputs
            }
        ),
        Err(GreeksError::Instrument { index: 0, .. })
    ));
    assert!(matches!(
        book.set_position(index, f64::NAN),
        Err(GreeksError::Instrument { index: 0, .. })
    ));
    assert!(matches!(
        book.add(1, inputs, f64::INFINITY),
        Err(GreeksError::Instrument { index: 1, .. })
    ));
    assert_eq!(
        book.set_position(9, 1.0),
        Err(GreeksError::UnknownInstrument { index: 9 })
    );
    assert_eq!((book.len(), book.pending()), (1, 0));
    assert_eq!(book.net_exposure(1), before);
    assert_eq!(book.net_exposure(42), Default::default());
    assert_eq!(book.greeks(3), None);

    // Valid inputs that overflow when priced stay pending and are named.
    book.set_inputs(
        index,
        Black76Inputs {
            rate: -1000.0,
            ..inputs
        },
    )
    .unwrap();
    assert!(matches!(
        book.recompute(),
        Err(GreeksError::Instrument { index: 0, .. })
    ));
    assert_eq!(book.pending(), 1);
    assert_eq!(book.net_exposure(1), before);
}
