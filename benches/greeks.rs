//! Stage 3 costs.
//!
//! **Pricing**: price and all Greeks of one Black-76 option, by the scalar entry point called
//! per option (the straightforward implementation, the peer) and by the column-stored batch
//! path over the same 1,000 options.
//!
//! The goal is a batch path at least 4x faster than the scalar one. Today the batch
//! calls the same scalar kernel (libm `erfc`, `exp`, `ln`, which the compiler does not
//! vectorise), so this bench reports what the layout alone buys; a SIMD kernel is the next
//! step. After criterion's figures the two run interleaved (see `support`) and the paired ratio
//! is printed.
//!
//! **Spot tick vs book size**: the cost of one spot tick (set the spot, read the accounts whose
//! liquidation range it crosses from the index) on account books of 1k, 10k, 100k and 1M
//! accounts, each holding collateral, a perpetual and four options (five positions). The goal
//! is a cost flat within 2x from 1k to 1M. `RECAL_BENCH_MAX_ACCOUNTS` caps the largest book
//! (building 1M accounts takes a while).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use recal_greeks::{
    AccountBook, BatchGreeks, Black76Inputs, CollateralAsset, Instrument, LinearKind, MarginParams,
    Market, OptionBatch, OptionContract, OptionKind, Position, Underlying, black76_greeks,
};
use support::{interleave, is_bench_run, pin, print_quartiles, print_ratio, rounds};

mod support;

const OPTIONS: usize = 1_000;

/// A spread of strikes, expiries and vols around a forward of 60,000, calls and puts.
fn options() -> Vec<Black76Inputs> {
    (0..OPTIONS)
        .map(|i| Black76Inputs {
            kind: if i % 2 == 0 {
                OptionKind::Call
            } else {
                OptionKind::Put
            },
            forward: 60_000.0,
            strike: 30_000.0 + 60.0 * i as f64,
            time: 1.0 / 365.0 + (i % 50) as f64 / 50.0,
            rate: 0.01,
            vol: 0.4 + (i % 17) as f64 * 0.02,
        })
        .collect()
}

fn batch_of(options: &[Black76Inputs]) -> OptionBatch {
    let mut batch = OptionBatch::with_capacity(options.len());
    for option in options {
        batch.push(option).expect("valid inputs");
    }
    batch
}

fn scalar_pass(options: &[Black76Inputs]) -> f64 {
    options
        .iter()
        .map(|option| {
            black76_greeks(black_box(option))
                .expect("valid inputs")
                .delta
        })
        .sum()
}

fn bench_pricing(c: &mut Criterion) {
    let options = options();
    let batch = batch_of(&options);
    let mut out = BatchGreeks::new();
    let mut group = c.benchmark_group("greeks/1000 options");
    group.throughput(Throughput::Elements(OPTIONS as u64));
    group.bench_function("scalar per option", |b| b.iter(|| scalar_pass(&options)));
    group.bench_function("batch", |b| {
        b.iter(|| recal_greeks::black76_batch(black_box(&batch), &mut out).expect("valid"))
    });
    group.finish();
}

const SPOT: f64 = 60_000.0;
const BTC: u32 = 1;

/// An account book of `accounts` accounts, each with USDC collateral, a perpetual and four
/// options drawn from a 40-option chain, sized so that liquidation prices spread over ±40 %.
fn account_book(accounts: usize) -> AccountBook {
    let mut market = Market::new();
    let underlying = Underlying {
        spot: SPOT,
        short_vol: 0.6,
        depth_per_percent: 5e7,
    };
    market
        .set_underlying(BTC, underlying)
        .expect("valid underlying");
    let usdc = market
        .add_asset(CollateralAsset {
            price: 1.0,
            haircut: 0.0,
            underlying: None,
        })
        .expect("valid asset");
    let perp = market
        .add_instrument(Instrument::Linear {
            underlying: BTC,
            kind: LinearKind::Perpetual,
        })
        .expect("valid instrument");
    let options: Vec<usize> = (0..40)
        .map(|i| {
            let contract = OptionContract {
                underlying: BTC,
                kind: if i % 2 == 0 {
                    OptionKind::Call
                } else {
                    OptionKind::Put
                },
                strike: 40_000.0 + 1_000.0 * i as f64,
                time: 0.05 + 0.01 * (i % 10) as f64,
                rate: 0.0,
                vol: 0.6,
            };
            market
                .add_instrument(Instrument::Option(contract))
                .expect("valid option")
        })
        .collect();
    let mut book = AccountBook::new(market, MarginParams::default()).expect("valid params");
    for n in 0..accounts {
        let account = book.add_account();
        let leverage = 1.0 + (n % 97) as f64 / 12.0;
        let quantity = if n % 3 == 0 { -1.0 } else { 1.0 } * (0.5 + (n % 7) as f64 * 0.25);
        book.set_collateral(account, usdc, quantity.abs() * SPOT / leverage)
            .expect("valid collateral");
        book.set_position(
            account,
            perp,
            Position {
                quantity,
                entry_price: SPOT,
            },
        )
        .expect("valid position");
        for k in 0..4 {
            let option = options[(n * 7 + k * 11) % options.len()];
            let size = if (n + k) % 2 == 0 { 0.1 } else { -0.1 };
            book.set_position(
                account,
                option,
                Position {
                    quantity: size,
                    entry_price: 500.0,
                },
            )
            .expect("valid position");
        }
    }
    book
}

/// Nanoseconds per spot tick on `book`, over `ticks` ticks alternating between two nearby
/// spots (a typical tick: few or no accounts cross).
fn tick_ns(book: &mut AccountBook, ticks: u32) -> f64 {
    let start = Instant::now();
    let mut crossed = 0;
    for tick in 0..ticks {
        let spot = if tick % 2 == 0 { SPOT * 1.000_1 } else { SPOT };
        crossed += book
            .set_spot(BTC, black_box(spot))
            .expect("valid spot")
            .len();
    }
    black_box(crossed);
    start.elapsed().as_nanos() as f64 / f64::from(ticks)
}

fn spot_tick_report(max_accounts: usize) {
    const TICKS: u32 = 20_000;
    println!(
        "\nSpot tick cost vs accounts (five positions each), median of 15 runs of {TICKS} ticks"
    );
    let mut smallest = None;
    for accounts in [1_000, 10_000, 100_000, 1_000_000] {
        if accounts > max_accounts {
            break;
        }
        let build = Instant::now();
        let mut book = account_book(accounts);
        let built = build.elapsed();
        let mut samples: Vec<f64> = (0..15).map(|_| tick_ns(&mut book, TICKS)).collect();
        samples.sort_by(f64::total_cmp);
        let median = samples[samples.len() / 2];
        let base = *smallest.get_or_insert(median);
        println!(
            "  {accounts:>9} accounts: {median:>8.1} ns/tick  ({:.2}x the 1k book; built in {:.1} s)",
            median / base,
            built.as_secs_f64()
        );
    }
}

fn interleaved_report(rounds: usize) {
    const PASSES: u32 = 200;
    let options = options();
    let batch = batch_of(&options);
    let mut out = BatchGreeks::new();
    let per_option_ns = |elapsed: std::time::Duration| {
        elapsed.as_nanos() as f64 / (f64::from(PASSES) * OPTIONS as f64)
    };
    let samples = interleave(
        rounds,
        &mut [
            &mut || {
                let start = Instant::now();
                for _ in 0..PASSES {
                    black_box(scalar_pass(&options));
                }
                per_option_ns(start.elapsed())
            },
            &mut || {
                let start = Instant::now();
                for _ in 0..PASSES {
                    recal_greeks::black76_batch(black_box(&batch), &mut out).expect("valid");
                }
                per_option_ns(start.elapsed())
            },
        ],
    );
    println!(
        "\nPrice + all Greeks, {rounds} interleaved rounds of {PASSES} passes over {OPTIONS} options"
    );
    print_quartiles("scalar per option", &samples[0], "ns/option");
    print_quartiles("batch", &samples[1], "ns/option");
    print_ratio(
        "scalar time / batch time (speed-up)",
        &samples[0],
        &samples[1],
    );
}

fn main() {
    pin(0);
    let mut criterion = Criterion::default().configure_from_args();
    bench_pricing(&mut criterion);
    criterion.final_summary();
    if is_bench_run() {
        interleaved_report(rounds(21));
        let max_accounts = std::env::var("RECAL_BENCH_MAX_ACCOUNTS")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(1_000_000);
        spot_tick_report(max_accounts);
    }
}
