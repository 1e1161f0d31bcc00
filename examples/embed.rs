//! recal embedded next to a toy matching engine.
//!
//! A venue thread runs a tiny limit order book: market makers quote around a fair value that
//! drifts calmly for an hour, then crashes 15 % in twenty minutes, then steadies; takers cross
//! the spread and the matching loop prints trades. Every trade goes into the engine as the
//! Binance-shaped JSON a venue would send, and every 10 s the venue's protocol side sends its
//! insurance fund, total collateral and open interest (`recal/1` JSON). The engine runs fused,
//! on the venue thread, and hands each signed proposal to a callback; the callback publishes
//! the maintenance margin in force, which the venue's pre-trade risk check reads before it
//! accepts a taker order. So as the crash raises the margin, more over-leveraged orders are
//! turned away.
//!
//! The venue replays three of the last four hours: event times lie in the past, as the decoder refuses
//! events from the future.
//!
//! ```text
//! cargo run --release --example embed
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use recal::pipeline::{Emitted, default_start};
use recal::types::{PPM_SCALE, Source};
use recal::{Config, Engine, EngineError};

/// Event time between two steps of the venue, ms.
const STEP_MS: u64 = 500;
/// Steps simulated: three hours.
const STEPS: u64 = 3 * 3_600 * 1_000 / STEP_MS;
/// Price tick, USDT.
const TICK: f64 = 0.1;

/// A tiny deterministic random source (`SplitMix64`).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly standard normal (sum of four uniforms, rescaled).
    fn normal(&mut self) -> f64 {
        ((0..4).map(|_| self.uniform()).sum::<f64>() - 2.0) * 3f64.sqrt()
    }
}

/// One side of the book: price in ticks → resting quantity.
type Side = BTreeMap<u64, f64>;

/// The venue: a book, the trades it printed and its risk check.
struct Venue {
    bids: Side,
    asks: Side,
    trade_id: u64,
    /// Maintenance margin its risk check applies, ppm, as last set by recal's proposals.
    maintenance_margin_ppm: Arc<AtomicU32>,
    accepted: u64,
    refused: u64,
}

impl Venue {
    /// Market makers replace their quotes: five levels a side around `fair`.
    fn requote(&mut self, fair: f64, depth: f64) {
        self.bids.clear();
        self.asks.clear();
        let fair_ticks = (fair / TICK).round() as u64;
        for level in 1..=5 {
            self.bids.insert(fair_ticks - level * 5, depth);
            self.asks.insert(fair_ticks + level * 5, depth);
        }
    }

    /// An immediate-or-cancel taker order of `quantity` (positive buys) from an account
    /// posting `collateral`: refused when the collateral would not cover the maintenance
    /// margin of the notional; otherwise filled against the best level, as far as it goes.
    /// Returns the trade: price, quantity, whether the buyer was the maker.
    fn take(&mut self, quantity: f64, collateral: f64) -> Option<(f64, f64, bool)> {
        let buy = quantity > 0.0;
        let mut best = if buy {
            self.asks.first_entry()?
        } else {
            self.bids.last_entry()?
        };
        let price = *best.key() as f64 * TICK;
        let margin =
            f64::from(self.maintenance_margin_ppm.load(Ordering::Relaxed)) / f64::from(PPM_SCALE);
        if collateral < quantity.abs() * price * margin {
            self.refused += 1;
            return None;
        }
        self.accepted += 1;
        let filled = quantity.abs().min(*best.get());
        *best.get_mut() -= filled;
        if *best.get() <= 0.0 {
            best.remove();
        }
        Some((price, filled, !buy))
    }
}

/// Fair value at `step`: a calm hour, a 15 % crash over twenty minutes, then steady.
fn fair_value(step: u64, last: f64, rng: &mut Rng) -> f64 {
    let minute = step * STEP_MS / 60_000;
    let (drift, vol) = match minute {
        // Per step: 40 % annualised volatility when calm, 150 % in the crash.
        60..80 => (-0.15 / (20.0 * 120.0), 1.9e-4),
        _ => (0.0, 5e-5),
    };
    last * (1.0 + drift + vol * rng.normal())
}

fn main() -> Result<(), EngineError> {
    let started = Instant::now();
    let maintenance_margin_ppm = Arc::new(AtomicU32::new(default_start().maintenance_margin_ppm));
    let proposals = Arc::new(AtomicU64::new(0));
    let venue_thread = std::thread::spawn({
        let maintenance_margin_ppm = Arc::clone(&maintenance_margin_ppm);
        let proposals = Arc::clone(&proposals);
        move || run_venue(maintenance_margin_ppm, proposals)
    });
    let (venue, metrics) = venue_thread.join().expect("the venue thread panicked")?;
    println!(
        "venue: {} trades over {} h of event time; taker orders accepted {}, refused by the \
         risk check {}",
        venue.trade_id,
        STEPS * STEP_MS / 3_600_000,
        venue.accepted,
        venue.refused,
    );
    println!(
        "recal: {} proposals; maintenance margin now {:.2} %",
        proposals.load(Ordering::Relaxed),
        f64::from(maintenance_margin_ppm.load(Ordering::Relaxed)) * 100.0 / f64::from(PPM_SCALE),
    );
    let latency = metrics.tick_to_decision;
    println!(
        "tick -> decision: p50 {} ns, p99 {} ns, p99.9 {} ns over {} messages; wall time {:.2} s",
        latency.p50,
        latency.p99,
        latency.p999,
        metrics.counters.messages,
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// The venue thread: matching loop, feed into the engine, risk check fed by its proposals.
fn run_venue(
    maintenance_margin_ppm: Arc<AtomicU32>,
    proposals: Arc<AtomicU64>,
) -> Result<(Venue, recal::Metrics), EngineError> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64);
    let start_ms = now_ms - 4 * 3_600 * 1_000;
    // The callback runs on this thread (fused placement), right after the message that
    // produced the proposal.
    let mut engine = Engine::with_callback(Config::default(), {
        let maintenance_margin_ppm = Arc::clone(&maintenance_margin_ppm);
        move |emitted: &Emitted| {
            let (time, in_force) = match emitted {
                Emitted::Submitted(record) => {
                    proposals.fetch_add(1, Ordering::Relaxed);
                    (record.time, record.in_force)
                }
                Emitted::Executed(execution) => match &execution.result {
                    Ok(in_force) => (execution.time, *in_force),
                    Err(_) => return,
                },
            };
            let previous =
                maintenance_margin_ppm.swap(in_force.maintenance_margin_ppm, Ordering::Relaxed);
            if previous != in_force.maintenance_margin_ppm {
                println!(
                    "  minute {:>3}: maintenance margin {:.2} % -> {:.2} %",
                    (time.as_nanos() / 1_000_000).saturating_sub(start_ms) / 60_000,
                    f64::from(previous) / 1e4,
                    f64::from(in_force.maintenance_margin_ppm) / 1e4,
                );
            }
        }
    })?;
    let mut venue = Venue {
        bids: Side::new(),
        asks: Side::new(),
        trade_id: 0,
        maintenance_margin_ppm,
        accepted: 0,
        refused: 0,
    };
    let mut rng = Rng(7);
    let mut fair = 68_000.0;
    let mut state_seq = 0;
    let (mut long, mut short) = (1_000.0, 1_000.0);
    for step in 0..STEPS {
        let ms = start_ms + step * STEP_MS;
        fair = fair_value(step, fair, &mut rng);
        venue.requote(fair, 2.0);
        // A taker: up to 3 BTC, leverage between 1x and 25x.
        let side = if rng.uniform() < 0.5 { 1.0 } else { -1.0 };
        let quantity = (rng.uniform() * 3.0 + 0.01) * side;
        let collateral = quantity.abs() * fair / (1.0 + 24.0 * rng.uniform());
        if let Some((price, filled, buyer_is_maker)) = venue.take(quantity, collateral) {
            venue.trade_id += 1;
            let trade = format!(
                r#"{{"e":"trade","E":{ms},"T":{ms},"s":"BTCUSDT","t":{},"p":"{price:.1}","q":"{filled:.3}","m":{buyer_is_maker}}}"#,
                venue.trade_id
            );
            push(&mut engine, Source::BinanceUsdmFutures, trade.as_bytes())?;
            if buyer_is_maker {
                short += filled;
            } else {
                long += filled;
            }
        }
        if step % 20 == 0 {
            // The protocol's balances every 10 s: the fund shrinks as the crash bites.
            let ns = ms * 1_000_000;
            let fund = 5_000_000.0 * (fair / 68_000.0).powi(2);
            for message in [
                format!(
                    r#"{{"schema":"recal/1","type":"insurance_fund","ts":{ns},"seq":{},"asset":"USDC","balance":"{fund:.2}"}}"#,
                    state_seq + 1
                ),
                format!(
                    r#"{{"schema":"recal/1","type":"total_collateral","ts":{ns},"seq":{},"asset":"USDC","total":"50000000.00"}}"#,
                    state_seq + 2
                ),
                format!(
                    r#"{{"schema":"recal/1","type":"open_interest","ts":{ns},"seq":{},"market":"BTC-PERP","long":"{long:.6}","short":"{short:.6}"}}"#,
                    state_seq + 3
                ),
            ] {
                push(&mut engine, Source::Recal, message.as_bytes())?;
            }
            state_seq += 3;
        }
    }
    let finished = engine.shutdown()?;
    Ok((venue, finished.metrics))
}

/// Pushes one message stamped with the engine's receive clock. A message the decoder rejects
/// is counted in the metrics and skipped; any other error stops the venue.
fn push(engine: &mut Engine, source: Source, bytes: &[u8]) -> Result<(), EngineError> {
    match engine.push_bytes(source, bytes, engine.clock_ns()) {
        Ok(()) | Err(EngineError::Rejected(_)) => Ok(()),
        Err(error) => Err(error),
    }
}
