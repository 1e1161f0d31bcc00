//! Expected Shortfall of the protocol book against the closed form, and its behaviour with gamma.

use proptest::prelude::*;
use recal_greeks::{
    BookExposure, GreeksError, SolvencyModel, SolvencyParams, historical_expected_shortfall,
    solvency, student_t_expected_shortfall, student_t_scale_for_std_dev,
};

fn closed_form(exposure: &BookExposure, params: &SolvencyParams) -> f64 {
    let scale = student_t_scale_for_std_dev(params.dof, exposure.vol * params.horizon_years.sqrt())
        .unwrap();
    let money = exposure.delta.abs() * exposure.spot * scale;
    student_t_expected_shortfall(params.level, params.dof, 0.0, money).unwrap()
}

#[test]
fn linear_book_matches_the_closed_form() {
    for (level, dof, cells) in [
        (0.975, 4.0, 4000),
        (0.99, 3.0, 5000),
        (0.95, 6.0, 2000),
        (0.975, 2.5, 800),
    ] {
        let params = SolvencyParams {
            level,
            dof,
            cells,
            horizon_years: 1.0 / 365.0,
        };
        for delta in [250.0, -40.0] {
            let book = [BookExposure {
                spot: 30_000.0,
                delta,
                gamma: 0.0,
                vol: 0.8,
            }];
            let es = solvency(0.0, &book, &params).unwrap().expected_shortfall;
            let expected = closed_form(&book[0], &params);
            assert!(
                (es / expected - 1.0).abs() < 1e-9,
                "{level} {dof} {delta}: {es} vs {expected}"
            );
        }
    }
}

#[test]
fn underlyings_add_and_the_ratio_is_fund_over_es() {
    let params = SolvencyParams::default();
    let book = [
        BookExposure {
            spot: 60_000.0,
            delta: 12.0,
            gamma: 0.0,
            vol: 0.6,
        },
        BookExposure {
            spot: 3_000.0,
            delta: -300.0,
            gamma: 0.0,
            vol: 0.9,
        },
    ];
    let result = solvency(250_000.0, &book, &params).unwrap();
    let expected = closed_form(&book[0], &params) + closed_form(&book[1], &params);
    assert!((result.expected_shortfall / expected - 1.0).abs() < 1e-9);
    assert!((result.ratio.unwrap() - 250_000.0 / result.expected_shortfall).abs() < 1e-9);
    // An empty book has no tail loss and no ratio.
    assert_eq!(solvency(1.0, &[], &params).unwrap().ratio, None);
}

#[test]
fn short_gamma_fattens_the_tail_and_converges() {
    let params = SolvencyParams {
        horizon_years: 1.0 / 52.0,
        ..SolvencyParams::default()
    };
    let linear = BookExposure {
        spot: 100.0,
        delta: 50.0,
        gamma: 0.0,
        vol: 0.7,
    };
    let short_gamma = BookExposure {
        gamma: -20.0,
        ..linear
    };
    let long_gamma = BookExposure {
        gamma: 20.0,
        ..linear
    };
    let es = |e: BookExposure, cells: usize| {
        solvency(0.0, &[e], &SolvencyParams { cells, ..params })
            .unwrap()
            .expected_shortfall
    };
    assert!(es(short_gamma, 4000) > es(linear, 4000));
    assert!(es(long_gamma, 4000) < es(linear, 4000));
    // Halving the cell width changes the gamma book's ES by well under 1 %.
    let coarse = es(short_gamma, 4000);
    let fine = es(short_gamma, 8000);
    assert!((coarse / fine - 1.0).abs() < 0.01, "{coarse} vs {fine}");
}

#[test]
fn invalid_inputs_are_refused() {
    let book = [BookExposure {
        spot: 100.0,
        delta: 1.0,
        gamma: 0.0,
        vol: 0.5,
    }];
    let params = SolvencyParams::default();
    assert!(matches!(
        solvency(1.0, &book, &SolvencyParams { dof: 2.0, ..params }),
        Err(GreeksError::OutOfRange { .. })
    ));
    assert!(solvency(-1.0, &book, &params).is_err());
    assert!(solvency(1.0, &book, &SolvencyParams { cells: 1, ..params }).is_err());
    let bad = [BookExposure {
        vol: f64::NAN,
        ..book[0]
    }];
    assert!(solvency(1.0, &bad, &params).is_err());
}

proptest! {
    /// The model's cursor walk over the sorted cell table takes the same tail as sorting every
    /// cell's P&L (`historical_expected_shortfall`), for long and short gamma, at any level.
    #[test]
    fn model_tail_equals_a_full_sort_of_the_cells(
        delta in -500.0..500.0_f64,
        gamma in prop_oneof![Just(0.0), -5.0..5.0_f64, -1e-3..1e-3_f64],
        level in 0.9..0.999_f64,
        dof in 2.2..12.0_f64,
        cells in 50usize..3000,
        vol in 0.1..2.0_f64,
    ) {
        let params = SolvencyParams { level, dof, cells, horizon_years: 1.0 / 52.0 };
        let model = SolvencyModel::new(params).unwrap();
        prop_assert_eq!(model.cell_means().len(), cells);
        prop_assert!(model.cell_means().windows(2).all(|w| w[0] < w[1]));
        let exposure = BookExposure { spot: 100.0, delta, gamma, vol };
        let scale = student_t_scale_for_std_dev(dof, vol * params.horizon_years.sqrt()).unwrap();
        let pnl: Vec<f64> = model
            .cell_means()
            .iter()
            .map(|&mean| {
                let move_ = exposure.spot * scale * mean;
                delta * move_ + 0.5 * gamma * move_ * move_
            })
            .collect();
        let sorted = historical_expected_shortfall(&pnl, level).unwrap();
        let walked = model.solvency(0.0, &[exposure]).unwrap().expected_shortfall;
        prop_assert!(
            (walked - sorted).abs() <= 1e-12 * sorted.abs().max(1e-300) + 1e-300,
            "{} vs {}", walked, sorted
        );
    }
}
