//! The stage as a whole: events in, updates out. Spot updates against the estimators fed
//! directly (the routing rules of the module doc as the twin), option events against a surface
//! fed directly, and the flags, ordinals and pass-through.

use proptest::prelude::*;
use recal_estimate::{
    EstimateStage, FeedHealth, SpotUpdate, StageConfig, UnderlyingConfig, UnderlyingEstimator,
    Update, VolSurface,
};
use recal_types::{
    Event, EventHeader, FeedGap, InstrumentId, InstrumentKind, MacroValue, OptionGreeks,
    OptionQuote, OptionRight, Payload, PositionChange, Price, Source, Timestamp,
};

const SECOND: u64 = 1_000_000_000;

fn event(instrument: u32, sequence: u64, t_ns: u64, payload: Payload) -> Event {
    let header = EventHeader {
        source: Source::Recal,
        instrument: InstrumentId(instrument),
        sequence,
        source_time: Timestamp::from_nanos(t_ns),
        receive_time: Timestamp::from_nanos(t_ns + 777),
    };
    Event::new(header, payload).unwrap()
}

fn price(price: f64) -> Payload {
    Payload::OraclePrice(Price {
        price,
        confidence: None,
        ema_price: None,
        ema_confidence: None,
    })
}

/// One generated input: which stream, how long after the previous event, and a value.
#[derive(Debug, Clone)]
enum Input {
    /// A print of tracked underlying 0 or 1 (instruments 3 and 5), as a price ratio.
    Print(usize, f64),
    /// A print of the untracked instrument 7.
    Untracked(f64),
    /// A feed gap on underlying 0 or 1.
    Gap(usize),
    /// A protocol position change.
    Position(f64),
    /// A macro level (series 11).
    Macro(f64),
}

fn input() -> impl Strategy<Value = (Input, u64)> {
    let kind = prop_oneof![
        6 => (0usize..2, prop_oneof![9 => 0.99f64..1.01, 1 => 0.5f64..2.0])
            .prop_map(|(u, r)| Input::Print(u, r)),
        1 => (0.5f64..2.0).prop_map(Input::Untracked),
        1 => (0usize..2).prop_map(Input::Gap),
        1 => (-5.0f64..5.0).prop_map(Input::Position),
        1 => (90.0f64..110.0).prop_map(Input::Macro),
    ];
    // Gaps between events from 1 ms to 3 minutes (the stale age is 60 s).
    (kind, prop_oneof![8 => 1u64..2_000, 1 => 2_000u64..180_000])
}

/// The twin's warm-or-fallback reading of the estimators, as the module doc states it.
fn expected_spot(u: &UnderlyingEstimator, spot: f64, fallback: f64) -> (f64, f64, f64, f64) {
    let warm = |i: usize| {
        u.ewma()
            .horizon(i)
            .filter(|h| h.is_warm())
            .and_then(|h| h.annual_vol())
            .filter(|v| *v > 0.0)
    };
    let short = warm(0).unwrap_or(fallback);
    let long = warm(u.ewma().len() - 1).unwrap_or(short);
    let deviation = u.deviation().deviation().unwrap_or(0.0);
    (spot, short, long, deviation)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn spot_updates_flags_and_pass_through_follow_the_routing_rules(
        inputs in prop::collection::vec(input(), 1..400),
    ) {
        let config = StageConfig::default();
        let mut stage = EstimateStage::new(config.clone()).unwrap();
        let ids = [3u32, 5];
        for id in ids {
            stage.track_underlying(InstrumentId(id)).unwrap();
        }
        let mut twins: Vec<UnderlyingEstimator> =
            (0..2).map(|_| UnderlyingEstimator::new(UnderlyingConfig::default()).unwrap()).collect();
        let mut last: [Option<SpotUpdate>; 2] = [None, None];
        let mut levels = [60_000.0f64, 3_000.0];
        let mut t = 1_700_000_000 * SECOND;
        for (i, (input, gap_ms)) in inputs.iter().enumerate() {
            t += gap_ms * 1_000_000;
            let seq = 1_000 + i as u64;
            let e = match *input {
                Input::Print(u, r) => {
                    levels[u] *= r;
                    event(ids[u], seq, t, price(levels[u]))
                }
                Input::Untracked(p) => event(7, seq, t, price(p)),
                Input::Gap(u) => event(ids[u], seq, t, Payload::FeedGap(FeedGap { expected: 1, received: 3 })),
                Input::Position(size) => event(
                    9,
                    seq,
                    t,
                    Payload::PositionChange(PositionChange { account: 1, size, entry_price: None }),
                ),
                Input::Macro(value) => event(11, seq, t, Payload::MacroValue(MacroValue { value })),
            };
            let mut got = Vec::new();
            stage.process(&e, |u| got.push(u));
            // The twin's expectation.
            let mut want: Vec<Update> = Vec::new();
            let flag = |last: &mut Option<SpotUpdate>, feed, want: &mut Vec<Update>| {
                if let Some(l) = last.as_mut().filter(|l| l.feed != feed) {
                    l.feed = feed;
                    l.origin.input = i as u64;
                    l.origin.venue_sequence = seq;
                    l.origin.time = e.source_time();
                    l.origin.receive_time = e.receive_time();
                    want.push(Update::Spot(*l));
                }
            };
            match *input {
                Input::Print(u, _) => {
                    if let Some(spot) = twins[u].on_price(t, levels[u]).unwrap().price() {
                        let Some(Update::Spot(s)) = got.first() else {
                            return Err(TestCaseError::fail(format!("no spot update: {got:?}")));
                        };
                        let (spot, short, long, deviation) =
                            expected_spot(&twins[u], spot, config.fallback_vol);
                        prop_assert_eq!((s.spot, s.short_vol, s.long_vol, s.deviation), (spot, short, long, deviation));
                        prop_assert_eq!(s.instrument, InstrumentId(ids[u]));
                        prop_assert_eq!(s.feed, FeedHealth::Fresh);
                        prop_assert_eq!(s.tail_dof, twins[u].tail().degrees_of_freedom().unwrap_or(30.0));
                        last[u] = Some(*s);
                        want.push(Update::Spot(*s));
                    }
                }
                Input::Gap(u) => flag(&mut last[u], FeedHealth::Gapped, &mut want),
                _ => {
                    if let Input::Macro(value) = *input {
                        for twin in &mut twins {
                            twin.on_macro(11, t, value).unwrap();
                        }
                    }
                    for u in 0..2 {
                        if twins[u].is_stale(t) {
                            flag(&mut last[u], FeedHealth::Stale, &mut want);
                        }
                    }
                    want.push(Update::Passthrough(e));
                }
            }
            prop_assert_eq!(&got, &want, "event {}: {:?}", i, input);
            for update in &got {
                if let Update::Spot(s) = update {
                    prop_assert_eq!((s.origin.input, s.origin.venue_sequence), (i as u64, seq));
                    prop_assert_eq!(s.origin.receive_time, e.receive_time());
                }
            }
        }
        for (u, id) in ids.iter().enumerate() {
            let estimator = stage.estimator(InstrumentId(*id)).unwrap();
            prop_assert_eq!(
                estimator.correlation().correlation(11),
                twins[u].correlation().correlation(11)
            );
        }
        prop_assert_eq!(stage.counters().events, inputs.len() as u64);
    }
}

const DAY: u64 = 86_400 * SECOND;

fn option_kind(expiry_ns: u64, strike: f64) -> InstrumentKind {
    InstrumentKind::Option {
        expiry: Timestamp::from_nanos(expiry_ns),
        strike,
        right: OptionRight::Call,
    }
}

fn quote(id: u32, t_ns: u64, iv: f64) -> Event {
    let q = OptionQuote {
        mark_iv: iv,
        bid_iv: None,
        ask_iv: None,
        mark_price: 0.01,
    };
    event(id, 0, t_ns, Payload::OptionQuote(q))
}

fn greeks(id: u32, t_ns: u64, forward: f64) -> Event {
    let g = OptionGreeks {
        underlying_price: forward,
        open_interest: 1.0,
        delta: None,
        vega: None,
    };
    event(id, 0, t_ns, Payload::OptionGreeks(g))
}

#[test]
fn option_events_maintain_the_surface_and_send_iv_changes_and_rate_limited_summaries() {
    let config = StageConfig {
        surface_ns_per_year: 365.0 * DAY as f64,
        summary_interval_ns: 10 * SECOND,
        ..StageConfig::default()
    };
    let mut stage = EstimateStage::new(config.clone()).unwrap();
    let btc = InstrumentId(1);
    stage.track_underlying(btc).unwrap();
    let now = 100 * DAY;
    let expiries = [now + 7 * DAY, now + 30 * DAY];
    let strikes = [8_000.0, 9_000.0, 10_000.0, 11_000.0, 12_000.0];
    let smile = |e: usize, k: f64| 0.7 + 0.1 * e as f64 + 0.2 * ((k / 10_000.0f64).ln()).powi(2);
    // Options 100.. : expiry-major.
    let mut id = 100;
    let mut options = Vec::new();
    for &expiry in &expiries {
        for &strike in &strikes {
            stage
                .track_option(InstrumentId(id), btc, &option_kind(expiry, strike))
                .unwrap();
            options.push((id, expiry, strike));
            id += 1;
        }
    }
    // Errors: not an option, untracked underlying, tracked twice.
    assert!(
        stage
            .track_option(InstrumentId(50), btc, &InstrumentKind::Spot)
            .is_err()
    );
    let kind = option_kind(expiries[0], 1.0);
    assert!(
        stage
            .track_option(InstrumentId(51), InstrumentId(2), &kind)
            .is_err()
    );
    assert!(stage.track_option(InstrumentId(100), btc, &kind).is_err());

    // The twin: a surface fed directly.
    let mut twin = VolSurface::new(config.surface_ns_per_year, 1.0).unwrap();
    twin.set_time(now).unwrap();
    let mut updates = Vec::new();
    for (n, &(id, expiry, strike)) in options.iter().enumerate() {
        let e = expiries.iter().position(|&x| x == expiry).unwrap();
        let t = now + n as u64 * 1_000_000;
        // Quote first (held: no forward yet for a new expiry), then the greeks.
        let before = updates.len();
        stage.process(&quote(id, t, smile(e, strike)), |u| updates.push(u));
        let held = updates.len() == before;
        stage.process(&greeks(id, t, 10_000.0), |u| updates.push(u));
        twin.set_time(t).unwrap();
        twin.set_forward(expiry, 10_000.0).unwrap();
        twin.set_iv(expiry, strike, smile(e, strike)).unwrap();
        assert!(held || stage.surface(btc).unwrap().smile(expiry).is_some());
    }
    let ivs: Vec<_> = updates
        .iter()
        .filter_map(|u| match u {
            Update::ImpliedVol(iv) => Some(*iv),
            _ => None,
        })
        .collect();
    assert_eq!(ivs.len(), options.len());
    for (iv, &(id, expiry, strike)) in ivs.iter().zip(&options) {
        assert_eq!((iv.instrument, iv.underlying), (InstrumentId(id), btc));
        assert_eq!(
            (iv.expiry.as_nanos(), iv.strike, iv.forward),
            (expiry, strike, 10_000.0)
        );
        assert_eq!(iv.previous, None);
    }
    // The stage's surface quotes what the twin quotes.
    let surface = stage.surface(btc).unwrap();
    for &expiry in &expiries {
        let (ours, theirs) = (surface.smile(expiry).unwrap(), twin.smile(expiry).unwrap());
        assert!(ours.quotes().eq(theirs.quotes()));
        assert_eq!(ours.forward(), theirs.forward());
    }
    // Summaries: one per expiry so far (the interval is 10 s and everything came within 10 ms),
    // sent from the first IV change of the expiry with enough quotes for a 25-delta strike.
    let summaries: Vec<_> = updates
        .iter()
        .filter_map(|u| match u {
            Update::Surface(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(summaries.len(), 2, "{summaries:?}");
    assert_eq!(stage.counters().summaries, 2);

    // The same IV again: no update. A new IV 20 s later: an update and a fresh summary, equal
    // to the twin's summary of that expiry.
    let (id, expiry, strike) = options[2];
    let t = now + 20 * SECOND;
    let mut later = Vec::new();
    stage.process(&quote(id, t, smile(0, strike)), |u| later.push(u));
    assert!(later.iter().all(|u| !matches!(u, Update::ImpliedVol(_))));
    later.clear();
    stage.process(&quote(id, t + 1, 0.75), |u| later.push(u));
    twin.set_time(t + 1).unwrap();
    twin.set_iv(expiry, strike, 0.75).unwrap();
    let Update::ImpliedVol(iv) = later[0] else {
        panic!("{later:?}")
    };
    assert_eq!((iv.iv, iv.previous), (0.75, Some(smile(0, strike))));
    let Update::Surface(summary) = later[1] else {
        panic!("{later:?}")
    };
    let twin_smile = twin.smile(expiry).unwrap();
    assert_eq!(summary.expiry_years, twin_smile.expiry_years());
    let want = twin_smile.summary().unwrap();
    assert_eq!(
        (
            summary.summary.atm_vol,
            summary.summary.risk_reversal_25,
            summary.summary.butterfly_25
        ),
        (want.atm_vol, want.risk_reversal_25, want.butterfly_25)
    );
    assert_eq!(summary.arbitrage, twin.check_expiry(expiry, |_| {}));
    // Background calibration ran in slices: every fit has started.
    assert!(
        expiries
            .iter()
            .all(|&e| surface_fit_started(&stage, btc, e))
    );
    // An option event after its expiry is refused and counted, never a panic.
    let refused = stage.counters().options_refused;
    stage.process(&greeks(options[0].0, expiries[0] + 1, 10_000.0), |_| {});
    assert_eq!(stage.counters().options_refused, refused + 1);
}

fn surface_fit_started(stage: &EstimateStage, underlying: InstrumentId, expiry: u64) -> bool {
    stage
        .surface(underlying)
        .and_then(|s| s.smile(expiry))
        .is_some_and(|s| s.fit().is_some())
}

#[test]
fn a_live_chain_whose_forward_moves_every_tick_still_converges_its_fits() {
    // Every tick moves the forward (which makes the fit's snapshot stale) and runs one
    // iteration: the running fit must still converge and publish wings.
    let mut stage = EstimateStage::new(StageConfig {
        surface_ns_per_year: 365.0 * DAY as f64,
        ..StageConfig::default()
    })
    .unwrap();
    let btc = InstrumentId(1);
    stage.track_underlying(btc).unwrap();
    let expiry = 40 * DAY;
    let strikes = [7_000.0, 8_000.0, 9_000.0, 10_000.0, 11_000.0, 12_500.0];
    for (i, &k) in strikes.iter().enumerate() {
        stage
            .track_option(InstrumentId(10 + i as u32), btc, &option_kind(expiry, k))
            .unwrap();
    }
    let mut t = 10 * DAY;
    for tick in 0..2_000u64 {
        let i = (tick % strikes.len() as u64) as usize;
        let forward = 10_000.0 * (1.0 + 1e-5 * (tick % 7) as f64);
        let iv = 0.6 + 0.3 * (strikes[i] / 10_000.0f64).ln().powi(2);
        t += SECOND;
        stage.process(&quote(10 + i as u32, t, iv), |_| {});
        stage.process(&greeks(10 + i as u32, t, forward), |_| {});
    }
    let smile = stage.surface(btc).unwrap().smile(expiry).unwrap();
    assert!(smile.wing_params().is_some(), "no converged fit");
}

#[test]
fn bad_configuration_is_refused() {
    let bad = |config: StageConfig| EstimateStage::new(config).is_err();
    assert!(bad(StageConfig {
        fallback_vol: f64::NAN,
        ..StageConfig::default()
    }));
    assert!(bad(StageConfig {
        sabr_beta: 2.0,
        ..StageConfig::default()
    }));
    assert!(bad(StageConfig {
        surface_ns_per_year: 0.0,
        ..StageConfig::default()
    }));
    let mut stage = EstimateStage::new(StageConfig::default()).unwrap();
    stage.track_underlying(InstrumentId(4)).unwrap();
    assert!(stage.track_underlying(InstrumentId(4)).is_err());
}
