//! Stage 3 costs.
//!
//! **Pricing**: price and all Greeks (delta, gamma, vega, theta, rho, carry rho, vanna, volga)
//! of one Black-76 option, by the scalar entry point called per option (the straightforward
//! implementation, the peer: one option at a time through `libm`'s exp, log and erfc) and by
//! the column-stored batch path over the same 1,000 options (the same kernel with branch-free
//! ports of those three functions, vectorised: SSE2, or AVX2 chosen at run time; results equal
//! to the scalar path's bit for bit). The goal is a batch at least 4x faster. After
//! criterion's figures the two run interleaved (see `support`) and the paired ratio is printed.
//!
//! **Spot tick vs book size**: the cost of one spot tick (set the spot, read from the index the
//! accounts whose liquidation price the move crossed) on account books of 1k, 10k, 100k and 1M
//! accounts, each holding collateral, a perpetual and four options (five positions). The goal
//! is a cost flat within 2x from 1k to 1M. `RECAL_BENCH_MAX_ACCOUNTS` caps the largest book
//! (building 1M accounts takes a while).
//!
//! **Solvency ratio**: Student-t Expected Shortfall of a net book against the insurance fund at
//! the default settings (4000 cells), from scratch (`solvency`, which builds the cell table) and
//! per tick with the table built once (`SolvencyModel`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use recal_greeks::{
    AccountBook, BatchGreeks, Black76Inputs, BookExposure, CollateralAsset, Instrument, LinearKind,
    MarginParams, Market, OptionBatch, OptionContract, OptionKind, Position, SolvencyModel,
    SolvencyParams, Underlying, black76_greeks, solvency,
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
/// spots (a typical tick: few or no accounts cross), and the accounts crossed per tick.
fn tick_ns(book: &mut AccountBook, ticks: u32) -> (f64, f64) {
    let start = Instant::now();
    let mut crossed = 0;
    for tick in 0..ticks {
        let spot = if tick % 2 == 0 { SPOT * 1.000_1 } else { SPOT };
        crossed += book
            .set_spot(BTC, black_box(spot))
            .expect("valid spot")
            .len();
    }
    let elapsed = start.elapsed();
    (
        elapsed.as_nanos() as f64 / f64::from(ticks),
        crossed as f64 / f64::from(ticks),
    )
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
        let mut crossed = 0.0;
        let mut samples: Vec<f64> = (0..15)
            .map(|_| {
                let (ns, per_tick) = tick_ns(&mut book, TICKS);
                crossed = per_tick;
                ns
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        let median = samples[samples.len() / 2];
        let base = *smallest.get_or_insert(median);
        let breached = book.breached(BTC).len();
        println!(
            "  {accounts:>9} accounts: {median:>8.1} ns/tick  ({:.2}x the 1k book; {crossed:.1} \
             crossed per tick, {breached} breached; built in {:.1} s)",
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

fn solvency_report(rounds: usize) {
    // Building the table takes milliseconds, a call with it a microsecond or less.
    const SCRATCH_CALLS: u32 = 2;
    const MODEL_CALLS: u32 = 2_000;
    let params = SolvencyParams::default();
    let model = SolvencyModel::new(params).expect("valid params");
    let book = [BookExposure {
        spot: SPOT,
        delta: -250.0,
        gamma: -0.02,
        vol: 0.6,
    }];
    let per_call_ns =
        |elapsed: std::time::Duration, calls: u32| elapsed.as_nanos() as f64 / f64::from(calls);
    let samples = interleave(
        rounds,
        &mut [
            &mut || {
                let start = Instant::now();
                for _ in 0..SCRATCH_CALLS {
                    black_box(solvency(5e6, black_box(&book), &params).expect("valid"));
                }
                per_call_ns(start.elapsed(), SCRATCH_CALLS)
            },
            &mut || {
                let start = Instant::now();
                for _ in 0..MODEL_CALLS {
                    black_box(model.solvency(5e6, black_box(&book)).expect("valid"));
                }
                per_call_ns(start.elapsed(), MODEL_CALLS)
            },
        ],
    );
    println!(
        "\nSolvency ratio (Student-t ES, {} cells, nu = {}), {rounds} interleaved rounds",
        params.cells, params.dof
    );
    print_quartiles("from scratch (solvency)", &samples[0], "ns/call");
    print_quartiles("table built once (SolvencyModel)", &samples[1], "ns/call");
    print_ratio("from scratch / table built once", &samples[0], &samples[1]);
}

fn main() {
    pin(0);
    let mut criterion = Criterion::default().configure_from_args();
    bench_pricing(&mut criterion);
    criterion.final_summary();
    if is_bench_run() {
        interleaved_report(rounds(21));
        solvency_report(rounds(21));
        let max_accounts = std::env::var("RECAL_BENCH_MAX_ACCOUNTS")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(1_000_000);
        spot_tick_report(max_accounts);
    }
}
