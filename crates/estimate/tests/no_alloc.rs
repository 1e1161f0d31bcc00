//! Steady state allocates nothing: after warm-up (windows filled, macro series registered),
//! prints and macro levels run under a counting global allocator (allocation-counter, per
//! thread) that sees zero allocations.

use recal_estimate::{SeriesId, UnderlyingConfig, UnderlyingEstimator};

const DXY: SeriesId = 1;
const CREDIT_SPREAD: SeriesId = 2;

/// A deterministic wobbling price path, one print per second from `start`.
fn feed(estimator: &mut UnderlyingEstimator, start: u64, prints: u64) {
    const SECOND: u64 = 1_000_000_000;
    for i in start..start + prints {
        let t = i * SECOND;
        let price = 60_000.0 * (1.0 + 0.002 * ((i as f64) * 0.37).sin());
        estimator.on_price(t, price).expect("valid print");
        if i % 10 == 0 {
            let dxy = 104.0 + 0.1 * ((i as f64) * 0.11).cos();
            estimator.on_macro(DXY, t + 1, dxy).expect("valid level");
            estimator
                .on_macro(CREDIT_SPREAD, t + 2, 3.0 + 0.01 * (i % 7) as f64)
                .expect("valid level");
        }
    }
}

#[test]
fn steady_state_prints_and_macro_levels_do_not_allocate() {
    let mut estimator = UnderlyingEstimator::new(UnderlyingConfig::default()).unwrap();
    // Warm-up: longer than the 15-minute realized window, both macro series registered.
    feed(&mut estimator, 1, 2_000);

    let allocations = allocation_counter::measure(|| feed(&mut estimator, 2_001, 10_000));
    assert_eq!(allocations.count_total, 0);
    // The counter is live, so the zero above is not vacuous.
    let boxed = allocation_counter::measure(|| drop(std::hint::black_box(Box::new(7u64))));
    assert!(boxed.count_total >= 1);
    // And the work was real: the estimators saw the prints.
    assert!(
        estimator
            .rolling()
            .annual_vol()
            .is_some_and(|vol| vol > 0.0)
    );
}

#[test]
fn replacing_quotes_querying_and_calibration_slices_do_not_allocate() {
    use recal_estimate::VolSurface;
    const DAY: u64 = 86_400_000_000_000;
    let strikes: [f64; 7] = [
        7_000.0, 8_000.0, 8_500.0, 9_000.0, 9_500.0, 10_000.0, 11_000.0,
    ];
    let mut surface = VolSurface::new(365.0 * 86_400e9, 1.0).unwrap();
    surface.set_time(0).unwrap();
    let quote = |surface: &mut VolSurface, round: u32| {
        for expiry in [7 * DAY, 30 * DAY] {
            surface
                .set_forward(expiry, 9_000.0 + f64::from(round % 5))
                .unwrap();
            for (i, &k) in strikes.iter().enumerate() {
                let skew = 0.1 * ((k - 9_000.0) / 9_000.0).powi(2) - 0.02 * (i as f64 - 3.0);
                let iv = 0.7 + skew + 0.001 * f64::from((round + i as u32) % 3);
                surface.set_iv(expiry, k, iv).unwrap();
            }
        }
    };
    // Warm-up: every strike inserted once, every fit started once.
    quote(&mut surface, 0);
    while surface.calibrate(10) > 0 {}
    let allocations = allocation_counter::measure(|| {
        for round in 1..50 {
            quote(&mut surface, round);
            surface.calibrate(3);
            std::hint::black_box(surface.vol(9_300.0, 0.05).unwrap());
            for (_, summary) in surface.summaries() {
                std::hint::black_box(summary.unwrap());
            }
        }
    });
    assert_eq!(allocations.count_total, 0);
}

#[test]
fn the_stage_in_steady_state_does_not_allocate() {
    use recal_estimate::{EstimateStage, StageConfig};
    use recal_types::{
        Event, EventHeader, InstrumentId, InstrumentKind, OptionGreeks, OptionQuote, OptionRight,
        Payload, PositionChange, Price, Source, Timestamp,
    };
    const SECOND: u64 = 1_000_000_000;
    const DAY: u64 = 86_400 * SECOND;
    let btc = InstrumentId(1);
    let strikes = [8_000.0, 9_000.0, 10_000.0, 11_000.0, 12_000.0];
    let expiries = [30 * DAY, 60 * DAY];
    let mut stage = EstimateStage::new(StageConfig::default()).unwrap();
    stage.track_underlying(btc).unwrap();
    for (e, &expiry) in expiries.iter().enumerate() {
        for (s, &strike) in strikes.iter().enumerate() {
            let kind = InstrumentKind::Option {
                expiry: Timestamp::from_nanos(expiry),
                strike,
                right: OptionRight::Call,
            };
            let id = InstrumentId(10 + (e * strikes.len() + s) as u32);
            stage.track_option(id, btc, &kind).unwrap();
        }
    }
    let event = |id: u32, t: u64, payload: Payload| {
        let header = EventHeader {
            source: Source::Deribit,
            instrument: InstrumentId(id),
            sequence: t,
            source_time: Timestamp::from_nanos(t),
            receive_time: Timestamp::from_nanos(t),
        };
        Event::new(header, payload).unwrap()
    };
    let mut updates = 0u64;
    // One round: a print, every option's quote and greeks, a state event.
    let mut round = |stage: &mut EstimateStage, i: u64| {
        let t = DAY + i * SECOND;
        let price = Price {
            price: 10_000.0 * (1.0 + 0.002 * (i as f64 * 0.37).sin()),
            confidence: None,
            ema_price: None,
            ema_confidence: None,
        };
        stage.process(&event(1, t, Payload::OraclePrice(price)), |_| updates += 1);
        for n in 0..(expiries.len() * strikes.len()) as u32 {
            let k = (f64::from(n % 5) - 2.0) * 0.1;
            let quote = OptionQuote {
                mark_iv: 0.7 + 0.2 * k * k + 0.001 * (i % 3) as f64,
                bid_iv: None,
                ask_iv: None,
                mark_price: 0.01,
            };
            let greeks = OptionGreeks {
                underlying_price: 10_000.0 + (i % 4) as f64,
                open_interest: 1.0,
                delta: None,
                vega: None,
            };
            stage.process(
                &event(10 + n, t + 1 + u64::from(n), Payload::OptionQuote(quote)),
                |_| updates += 1,
            );
            stage.process(
                &event(10 + n, t + 1 + u64::from(n), Payload::OptionGreeks(greeks)),
                |_| updates += 1,
            );
        }
        let change = PositionChange {
            account: 7,
            size: 1.0,
            entry_price: None,
        };
        stage.process(&event(2, t + 100, Payload::PositionChange(change)), |_| {
            updates += 1
        });
    };
    for i in 0..2_000 {
        round(&mut stage, i);
    }
    let allocations = allocation_counter::measure(|| {
        for i in 2_000..3_000 {
            round(&mut stage, i);
        }
    });
    assert_eq!(allocations.count_total, 0);
    assert!(stage.counters().summaries > 0);
    assert!(updates > 3_000);
}
