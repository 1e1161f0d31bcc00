//! Stage 2 costs, through the pipeline's stage adapter (`recal_pipeline::EstimateStage`, a thin
//! wrapper of `recal_estimate::EstimateStage`), on generated event streams.
//!
//! **Price update, all estimators on**: one trade print of a tracked underlying, 1 s apart
//! with jitter, through the outlier filter, EWMA variance at three horizons, the rolling
//! realized window, the deviation deques, vol-of-vol, the tail and the update message. The
//! stage is warmed up first (windows full), so the figure is the steady state.
//!
//! **The brute-force twin on the same stream**: what a straightforward implementation does per
//! print: keep the prints of the last 15 minutes (the longest window) and recompute every
//! estimate from them: median and MAD of the last 31 prints by sorting, EWMA variances at
//! the three half-lives as weighted sums over the window, realized variance, min and max over
//! the 5-minute deviation window, the short-vol path and its vol-of-vol, and the kurtosis.
//! The paired ratio twin / stage is printed after criterion's figures (see `support`).
//!
//! **IV update with surface maintenance**: Deribit-style tickers of a 6-expiry × 15-strike
//! chain, each a quote event (mark IV) and a greeks event (forward): the IV goes into the
//! expiry's smile, a slice of SABR calibration runs per event, and a smile summary (ATM, 25Δ
//! RR/BF, static-arbitrage checks) is sent at most once per second per expiry.
//!
//! Events per second per core are `1e9 / ns per event` on the pinned bench thread.

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use recal_pipeline::{EstimateStage, Estimated, PipelineConfig, Stage};
use recal_types::{
    Aggressor, Event, EventHeader, InstrumentId, InstrumentKind, OptionGreeks, OptionQuote,
    OptionRight, Payload, Source, Timestamp, Trade,
};
use rng::Rng;
use support::{interleave, is_bench_run, pin, print_quartiles, print_ratio, rounds};

#[path = "support/rng.rs"]
mod rng;
mod support;

const SECOND: u64 = 1_000_000_000;
const DAY: u64 = 86_400 * SECOND;
const UNDERLYING: InstrumentId = InstrumentId(1);
/// Prints before measuring: longer than the 15-minute window and the filter's history.
const WARM_UP: usize = 3_000;
/// Prints generated per stream (after them the stage is rebuilt from its warmed copy).
const PRINTS: usize = 200_000;

/// Roughly standard normal (sum of four uniforms, rescaled).
fn normal(rng: &mut Rng) -> f64 {
    ((0..4).map(|_| rng.unit()).sum::<f64>() - 2.0) * 3f64.sqrt()
}

fn event(instrument: InstrumentId, t_ns: u64, payload: Payload) -> Event {
    let header = EventHeader {
        source: Source::Deribit,
        instrument,
        sequence: t_ns,
        source_time: Timestamp::from_nanos(t_ns),
        receive_time: Timestamp::from_nanos(t_ns),
    };
    Event::new(header, payload).expect("finite fields")
}

/// Trades of the underlying: 0.5–1.5 s apart, ~1 bp noise with bursts, and one print in 5,000
/// 30 % off (so the filter's rejection path is on the stream too).
fn price_stream() -> Vec<Event> {
    let mut rng = Rng(0x5eed_cafe);
    let mut t = 1_700_000_000 * SECOND;
    let mut log_price = 60_000f64.ln();
    (0..PRINTS)
        .map(|i| {
            t += SECOND / 2 + rng.next() % SECOND;
            let burst = if (i / 2_000) % 5 == 4 { 8.0 } else { 1.0 };
            log_price += 1e-4 * burst * normal(&mut rng);
            let price = if i % 5_000 == 4_999 {
                log_price.exp() * 1.3
            } else {
                log_price.exp()
            };
            let trade = Trade {
                price,
                size: 0.1,
                aggressor: Aggressor::Buy,
            };
            event(UNDERLYING, t, Payload::Trade(trade))
        })
        .collect()
}

fn new_stage() -> EstimateStage {
    let config = PipelineConfig::default();
    EstimateStage::new(&[UNDERLYING], &config.estimator, config.fallback_vol).expect("valid")
}

/// Runs `events` through `stage`; returns ns per event.
fn run_stage(stage: &mut EstimateStage, events: &[Event], out: &mut Vec<Estimated>) -> f64 {
    let start = Instant::now();
    for event in events {
        out.clear();
        stage.process(event, out);
    }
    black_box(&out);
    start.elapsed().as_nanos() as f64 / events.len() as f64
}

/// The brute-force twin: everything recomputed from the prints of the last 15 minutes.
#[derive(Clone)]
struct Twin {
    /// (t ns, ln price) of the accepted prints in the window.
    window: VecDeque<(u64, f64)>,
    /// ln price of the last 31 prints, accepted or not.
    recent: VecDeque<f64>,
    scratch: Vec<f64>,
}

/// What the twin computes per print.
#[derive(Debug, Default)]
struct TwinEstimates {
    ewma_variance: [f64; 3],
    realized_variance: f64,
    deviation: f64,
    vol_of_vol: f64,
    kurtosis: f64,
}

impl Twin {
    const WINDOW_NS: u64 = 15 * 60 * SECOND;
    const DEVIATION_NS: u64 = 5 * 60 * SECOND;
    const HALF_LIVES_S: [f64; 3] = [60.0, 900.0, 14_400.0];

    fn new() -> Self {
        Self {
            window: VecDeque::new(),
            recent: VecDeque::new(),
            scratch: Vec::new(),
        }
    }

    fn median(values: &mut [f64]) -> f64 {
        values.sort_by(f64::total_cmp);
        values[(values.len() - 1) / 2]
    }

    fn process(&mut self, event: &Event) -> Option<TwinEstimates> {
        let (t, price) = match event.payload() {
            Ok(Payload::Trade(trade)) => (event.source_time().as_nanos(), trade.price),
            _ => return None,
        };
        let x = price.ln();
        // Outlier filter: median / MAD of the last 31 prints, by sorting.
        let mut accepted = true;
        if self.recent.len() >= 11 {
            self.scratch.clear();
            self.scratch.extend(self.recent.iter());
            let median = Self::median(&mut self.scratch);
            self.scratch
                .iter_mut()
                .for_each(|v| *v = (*v - median).abs());
            let scale = (1.4826 * Self::median(&mut self.scratch)).max(1e-4);
            accepted = (x - median).abs() <= 5.0 * scale;
        }
        if self.recent.len() == 31 {
            self.recent.pop_front();
        }
        self.recent.push_back(x);
        if !accepted {
            return None;
        }
        self.window.push_back((t, x));
        while self
            .window
            .front()
            .is_some_and(|&(s, _)| s + Self::WINDOW_NS < t)
        {
            self.window.pop_front();
        }
        let mut out = TwinEstimates::default();
        // EWMA variances, realized variance, kurtosis: sums over the window's returns.
        let (mut s2, mut s4, mut n) = (0.0, 0.0, 0.0);
        let mut ewma = [(0.0, 0.0); 3];
        for pair in self.window.iter().zip(self.window.iter().skip(1)) {
            let ((t0, x0), (t1, x1)) = (*pair.0, *pair.1);
            let r = x1 - x0;
            s2 += r * r;
            s4 += r * r * r * r;
            n += 1.0;
            let age_s = (t - t1) as f64 / 1e9;
            for (h, half_life) in ewma.iter_mut().zip(Self::HALF_LIVES_S) {
                let weight = (-age_s * std::f64::consts::LN_2 / half_life).exp();
                h.0 += weight * r * r;
                h.1 += weight * (t1 - t0) as f64;
            }
        }
        for (slot, (sum, time)) in out.ewma_variance.iter_mut().zip(ewma) {
            *slot = if time > 0.0 { sum / time } else { 0.0 };
        }
        let covered =
            self.window.back().map_or(0, |b| b.0) - self.window.front().map_or(0, |f| f.0);
        out.realized_variance = if covered > 0 {
            s2 / covered as f64
        } else {
            0.0
        };
        out.kurtosis = if s2 > 0.0 { n * s4 / (s2 * s2) } else { 0.0 };
        // Deviation: min and max over the last 5 minutes, by a scan.
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        for &(s, v) in self.window.iter().rev() {
            if s + Self::DEVIATION_NS < t {
                break;
            }
            low = low.min(v);
            high = high.max(v);
        }
        out.deviation = (high - low).exp() - 1.0;
        // Vol-of-vol: the short EWMA vol path over the window, then the variance of its log
        // changes.
        let (mut sum, mut time, mut previous, mut changes) = (0.0, 0.0, None, (0.0, 0.0));
        let short = std::f64::consts::LN_2 / Self::HALF_LIVES_S[0];
        for pair in self.window.iter().zip(self.window.iter().skip(1)) {
            let ((t0, x0), (t1, x1)) = (*pair.0, *pair.1);
            let dt = (t1 - t0) as f64;
            let decay = (-dt / 1e9 * short).exp();
            sum = decay * sum + (x1 - x0) * (x1 - x0);
            time = decay * time + dt;
            let vol = (sum / time).sqrt();
            if let Some(before) = previous.filter(|&b: &f64| b > 0.0 && vol > 0.0) {
                let change: f64 = (vol / before).ln();
                changes.0 += change * change;
                changes.1 += dt;
            }
            previous = Some(vol);
        }
        out.vol_of_vol = if changes.1 > 0.0 {
            changes.0 / changes.1
        } else {
            0.0
        };
        Some(out)
    }
}

/// Runs `events` through the twin; returns ns per event.
fn run_twin(twin: &mut Twin, events: &[Event]) -> f64 {
    let start = Instant::now();
    for event in events {
        black_box(twin.process(event));
    }
    start.elapsed().as_nanos() as f64 / events.len() as f64
}

/// Expiries (days from the chain's start) and strikes (fractions of the forward) of the chain.
const EXPIRY_DAYS: [u64; 6] = [1, 7, 14, 30, 90, 180];
const STRIKES: usize = 15;

/// A stage tracking the underlying and the chain's options (ids 100…), and the option ids with
/// their expiry and strike.
fn chain_stage(start_ns: u64) -> (EstimateStage, Vec<(InstrumentId, u64, f64)>) {
    let mut stage = new_stage();
    let mut options = Vec::new();
    for (e, days) in EXPIRY_DAYS.iter().enumerate() {
        for s in 0..STRIKES {
            let id = InstrumentId(100 + (e * STRIKES + s) as u32);
            let expiry = start_ns + days * DAY;
            let strike = 60_000.0 * (0.6 + 0.06 * s as f64);
            let kind = InstrumentKind::Option {
                expiry: Timestamp::from_nanos(expiry),
                strike,
                right: OptionRight::Call,
            };
            stage
                .track_option(id, UNDERLYING, &kind)
                .expect("valid option");
            options.push((id, expiry, strike));
        }
    }
    (stage, options)
}

/// Tickers of the chain, 10 ms apart, round robin over the options: a quote (a smile with a
/// skew, a little noise) then the greeks (a forward moving with the underlying).
fn ticker_stream(
    start_ns: u64,
    options: &[(InstrumentId, u64, f64)],
    tickers: usize,
) -> Vec<Event> {
    let mut rng = Rng(0x0b5e_55ed);
    let mut forward = 60_000.0f64;
    let mut events = Vec::with_capacity(2 * tickers);
    for i in 0..tickers {
        let t = start_ns + SECOND + i as u64 * 10_000_000;
        let (id, expiry, strike) = options[i % options.len()];
        forward *= 1.0 + 2e-5 * normal(&mut rng);
        let years = (expiry - t) as f64 / (365.0 * DAY as f64);
        let k = (strike / forward).ln();
        let iv = 0.6 + (0.05 - 0.3 * k + 0.4 * k * k) / (1.0 + years) + 0.002 * normal(&mut rng);
        let quote = OptionQuote {
            mark_iv: iv.max(0.05),
            bid_iv: None,
            ask_iv: None,
            mark_price: 0.01,
        };
        let greeks = OptionGreeks {
            underlying_price: forward,
            open_interest: 100.0,
            delta: None,
            vega: None,
        };
        events.push(event(id, t, Payload::OptionQuote(quote)));
        events.push(event(id, t, Payload::OptionGreeks(greeks)));
    }
    events
}

fn bench_estimate(c: &mut Criterion) {
    let prints = price_stream();
    let mut warmed = new_stage();
    let mut out = Vec::new();
    run_stage(&mut warmed, &prints[..WARM_UP], &mut out);
    let mut group = c.benchmark_group("estimate");
    group.throughput(Throughput::Elements(1));
    let mut stage = warmed.clone();
    let mut cursor = WARM_UP;
    group.bench_function("price update, all estimators", |b| {
        b.iter_custom(|iterations| {
            let mut total = std::time::Duration::ZERO;
            let mut left = iterations as usize;
            while left > 0 {
                if cursor == prints.len() {
                    stage = warmed.clone();
                    cursor = WARM_UP;
                }
                let n = left.min(prints.len() - cursor);
                let start = Instant::now();
                for event in &prints[cursor..cursor + n] {
                    out.clear();
                    stage.process(event, &mut out);
                }
                total += start.elapsed();
                cursor += n;
                left -= n;
            }
            total
        })
    });
    let start_ns = 1_700_000_000 * SECOND;
    let (mut chain, options) = chain_stage(start_ns);
    let tickers = ticker_stream(start_ns, &options, 100_000);
    let warm_tickers = 2 * options.len() * 20;
    run_stage(&mut chain, &tickers[..warm_tickers], &mut out);
    let warmed_chain = chain.clone();
    let mut cursor = warm_tickers;
    group.bench_function("option event, surface maintenance", |b| {
        b.iter_custom(|iterations| {
            let mut total = std::time::Duration::ZERO;
            let mut left = iterations as usize;
            while left > 0 {
                if cursor == tickers.len() {
                    chain = warmed_chain.clone();
                    cursor = warm_tickers;
                }
                let n = left.min(tickers.len() - cursor);
                let start = Instant::now();
                for event in &tickers[cursor..cursor + n] {
                    out.clear();
                    chain.process(event, &mut out);
                }
                total += start.elapsed();
                cursor += n;
                left -= n;
            }
            total
        })
    });
    group.finish();
}

fn interleaved_report(rounds: usize) {
    const PASS: usize = 20_000;
    let prints = price_stream();
    let mut warmed = new_stage();
    let mut out = Vec::with_capacity(16);
    run_stage(&mut warmed, &prints[..WARM_UP], &mut out);
    let mut warmed_twin = Twin::new();
    run_twin(&mut warmed_twin, &prints[..WARM_UP]);
    let pass = &prints[WARM_UP..WARM_UP + PASS];

    let start_ns = 1_700_000_000 * SECOND;
    let (mut chain, options) = chain_stage(start_ns);
    let warm_tickers = 2 * options.len() * 20;
    let tickers = ticker_stream(start_ns, &options, warm_tickers / 2 + PASS);
    run_stage(&mut chain, &tickers[..warm_tickers], &mut out);
    let ticker_pass = &tickers[warm_tickers..];
    // What one pass produces (the same every round: each starts from the same clone).
    let (mut filtered, mut iv_updates, mut summaries) = (0, 0, 0);
    let mut stage = warmed.clone();
    for event in pass {
        out.clear();
        stage.process(event, &mut out);
    }
    filtered += stage.counters().filtered;
    let mut stage = chain.clone();
    for event in ticker_pass {
        out.clear();
        stage.process(event, &mut out);
        for update in &out {
            match update {
                Estimated::ImpliedVol(_) => iv_updates += 1,
                Estimated::Surface(_) => summaries += 1,
                _ => {}
            }
        }
    }
    let mut chain_out = Vec::with_capacity(16);
    let samples = interleave(
        rounds,
        &mut [
            &mut || run_stage(&mut warmed.clone(), pass, &mut out),
            &mut || run_twin(&mut warmed_twin.clone(), pass),
            &mut || run_stage(&mut chain.clone(), ticker_pass, &mut chain_out),
        ],
    );
    println!(
        "\nStage 2, {rounds} interleaved rounds of {PASS} prints ({filtered} filtered) and {} option events ({iv_updates} IV updates, {summaries} smile summaries)",
        ticker_pass.len(),
    );
    print_quartiles("price update, all estimators", &samples[0], "ns/print");
    print_quartiles("brute-force twin, same prints", &samples[1], "ns/print");
    print_ratio("twin time / stage time", &samples[1], &samples[0]);
    print_quartiles("option event, surface maintenance", &samples[2], "ns/event");
    let per_iv_update: Vec<f64> = samples[2]
        .iter()
        .map(|ns| ns * ticker_pass.len() as f64 / f64::from(iv_updates.max(1)))
        .collect();
    print_quartiles(
        "per IV update (quote + greeks)",
        &per_iv_update,
        "ns/update",
    );
    let per_second = |samples: &[f64]| samples.iter().map(|ns| 1e9 / ns).collect::<Vec<_>>();
    print_quartiles("prints per second per core", &per_second(&samples[0]), "/s");
    print_quartiles(
        "option events per second per core",
        &per_second(&samples[2]),
        "/s",
    );
}

fn main() {
    pin(0);
    let mut criterion = Criterion::default().configure_from_args();
    bench_estimate(&mut criterion);
    criterion.final_summary();
    if is_bench_run() {
        interleaved_report(rounds(21));
    }
}
