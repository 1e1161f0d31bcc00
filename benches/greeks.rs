//! Stage 3 costs.
//!
//! **Pricing**: price and all Greeks (delta, gamma, vega, theta, rho, carry rho, vanna, volga)
//! of one Black-76 option, by the scalar entry point called per option (the straightforward
//! implementation, the peer: one option at a time through `libm`'s exp, log and erfc, each full
//! result handed to `black_box`) and by the column-stored batch path over the same 1,000 options
//! (the same kernel with branch-free ports of those three functions, in vectorised passes: SSE2,
//! or AVX2 or AVX-512F chosen at run time; results equal to the scalar path's bit for bit; output
//! columns handed to `black_box`). The goal is a batch at least 4x faster. After
//! criterion's figures the two run interleaved in many short rounds (see `support`) and the
//! median of the paired per-round ratios is printed. A third contender in those rounds, a lean
//! hand-written scalar (the platform's exp and ln, no validation, no T = 0 / σ = 0 limits), is
//! a check on the peer: how much of the speed-up a leaner scalar would take back.
//!
//! **Spot tick vs book size**: the cost of one spot tick (set the spot, read from the index the
//! accounts whose liquidation price the move crossed) on account books of 1k, 10k, 100k and 1M
//! accounts, each holding collateral, a perpetual and four options (five positions). The goal
//! is a cost flat within 2x from 1k to 1M. All books are built first, then their ticks run
//! interleaved, and each round's ratio to the 1k book is reported. Two workloads: the typical
//! tick (the spot alternating between two prices 0.01 % apart, so the index path stays in
//! cache, as consecutive ticks' paths do) and, as the worst case, the tick's index query at
//! random price levels across the whole book (every lookup on a cache-cold path). A third
//! measurement is the cost of keeping the index current: the update of a re-margined account
//! (`LiquidationIndex::insert` of its range moved by a relative 1e-4, random accounts, on a copy
//! of each book's index).
//! `RECAL_BENCH_MAX_ACCOUNTS` caps the largest book (the 1M book takes about 15 s to build and
//! about 2 GB).
//!
//! **Solvency ratio**: Student-t Expected Shortfall of a net book against the insurance fund at
//! the default settings (4000 cells), from scratch (`solvency`, which builds the cell table) and
//! per tick with the table built once (`SolvencyModel`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use recal_greeks::{
    AccountBook, BatchGreeks, Black76Inputs, BookExposure, CollateralAsset, Greeks, Instrument,
    LinearKind, LiquidationIndex, LiquidationRange, MarginParams, Market, OptionBatch,
    OptionContract, OptionKind, Position, SolvencyModel, SolvencyParams, Underlying,
    black76_greeks, normal_cdf, solvency,
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

/// The peer: every option through the scalar entry point, each full result (price and all
/// eight Greeks) handed to `black_box` so that none of it can be optimised away.
fn scalar_pass(options: &[Black76Inputs]) {
    for option in options {
        black_box(black76_greeks(black_box(option)).expect("valid inputs"));
    }
}

/// A second, leaner scalar reference (not the peer, a check on it): the same formulas
/// written out by hand with the platform's exp and ln (glibc's, faster than `libm`'s but not
/// bit-reproducible across platforms, which the engine's replays need) and `libm`'s erfc (through
/// `normal_cdf`), without input validation and without the T = 0 / σ = 0 limits, so wrong
/// there. Agrees with the crate's scalar path to about 1e-14 relative on these inputs.
fn lean_greeks(option: &Black76Inputs) -> Greeks {
    let sign = option.kind.sign();
    let (forward, strike, time, rate, vol) = (
        option.forward,
        option.strike,
        option.time,
        option.rate,
        option.vol,
    );
    let discount = (-rate * time).exp();
    let root_time = time.sqrt();
    let std_dev = vol * root_time;
    let d1 = ((forward / strike).ln() + 0.5 * vol * vol * time) / std_dev;
    let d2 = d1 - std_dev;
    let cdf_d1 = normal_cdf(sign * d1);
    let cdf_d2 = normal_cdf(sign * d2);
    let density = (-0.5 * d1 * d1).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let (forward_pv, strike_pv) = (forward * discount, strike * discount);
    let price = sign * (forward_pv * cdf_d1 - strike_pv * cdf_d2);
    let vega = forward_pv * density * root_time;
    Greeks {
        price,
        delta: sign * discount * cdf_d1,
        gamma: discount * density / (forward * std_dev),
        vega,
        theta: -forward_pv * density * vol / (2.0 * root_time)
            - sign * (-rate * forward_pv * cdf_d1 + rate * strike_pv * cdf_d2),
        rho: -time * price,
        carry_rho: sign * time * forward_pv * cdf_d1,
        vanna: -discount * density * d2 / vol,
        volga: vega * d1 * d2 / vol,
    }
}

fn lean_pass(options: &[Black76Inputs]) {
    for option in options {
        black_box(lean_greeks(black_box(option)));
    }
}

/// The batch path over the same options, its output columns handed to `black_box`.
fn batch_pass(batch: &OptionBatch, out: &mut BatchGreeks) {
    recal_greeks::black76_batch(black_box(batch), out).expect("valid inputs");
    black_box(out);
}

fn bench_pricing(c: &mut Criterion) {
    let options = options();
    let batch = batch_of(&options);
    let mut out = BatchGreeks::new();
    let mut group = c.benchmark_group("greeks/1000 options");
    group.throughput(Throughput::Elements(OPTIONS as u64));
    group.bench_function("scalar per option", |b| b.iter(|| scalar_pass(&options)));
    group.bench_function("batch", |b| b.iter(|| batch_pass(&batch, &mut out)));
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

/// `count` price levels spread uniformly over ±40 % of the spot (where the books' liquidation
/// prices lie), in a fixed pseudo-random order (xorshift64).
fn random_levels(count: usize) -> Vec<f64> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1_u64 << 53) as f64;
            SPOT * (0.6 + 0.8 * unit)
        })
        .collect()
}

/// Nanoseconds per index lookup of a tick's kind (the accounts a move of 1e-9 crosses, rising
/// and falling in turn) at each of `levels`, which jump across the whole index: no two
/// consecutive lookups share a path, the cache-cold case a tick normally is not. Also returns
/// the accounts found per lookup. With `chained`, each level is made to depend on the previous
/// lookup's result (an opaque zero times it is added), so that a lookup cannot start before the
/// previous one ends: the latency of a lookup rather than the throughput of independent ones,
/// whose cache misses the CPU may overlap.
fn cold_lookup_ns(book: &AccountBook, levels: &[f64], chained: bool) -> (f64, f64) {
    let index = book.index(BTC).expect("the book is indexed");
    let start = Instant::now();
    let mut found = 0;
    for (i, &level) in levels.iter().enumerate() {
        let level = if chained {
            level + black_box(0.0) * found as f64
        } else {
            black_box(level)
        };
        let to = if i % 2 == 0 {
            level * (1.0 + 1e-9)
        } else {
            level * (1.0 - 1e-9)
        };
        found += index.crossed(level, to).count();
    }
    let elapsed = start.elapsed();
    (
        elapsed.as_nanos() as f64 / levels.len() as f64,
        found as f64 / levels.len() as f64,
    )
}

/// `count` accounts of a book of `accounts`, in a fixed pseudo-random order (xorshift64), with
/// their current ranges on the bench's underlying.
fn sample_ranges(book: &AccountBook, count: usize) -> Vec<(usize, LiquidationRange)> {
    let index = book.index(BTC).expect("the book is indexed");
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let account = (state % book.len() as u64) as usize;
            (
                account,
                index.range(account).expect("every account is indexed"),
            )
        })
        .collect()
}

/// Nanoseconds per index update of a re-margined account (`insert` of its new range, which
/// moves its two entries): `sample`'s accounts in turn, each range moved by a relative 1e-4
/// when `moved` is false and moved back when it is true (the small shift a refresh at a nearby
/// spot gives), so the index keeps its shape across rounds; flips `moved`.
fn update_ns(
    index: &mut LiquidationIndex,
    sample: &[(usize, LiquidationRange)],
    moved: &mut bool,
) -> f64 {
    let factor = if *moved { 1.0 } else { 1.0 + 1e-4 };
    *moved = !*moved;
    let start = Instant::now();
    for &(account, range) in sample {
        let moved = LiquidationRange {
            below: range.below * factor,
            above: range.above * factor,
        };
        index.insert(black_box(account), black_box(moved));
    }
    start.elapsed().as_nanos() as f64 / sample.len() as f64
}

fn spot_tick_report(max_accounts: usize, rounds: usize) {
    const TICKS: u32 = 2_000;
    const LEVELS: usize = 2_000;
    const UPDATES: usize = 2_000;
    let sizes: Vec<usize> = [1_000, 10_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|&accounts| accounts <= max_accounts)
        .collect();
    println!("\nSpot tick cost vs accounts (five positions each)");
    let mut books: Vec<AccountBook> = sizes
        .iter()
        .map(|&accounts| {
            let build = Instant::now();
            let book = account_book(accounts);
            println!(
                "  {accounts:>9} accounts built in {:.1} s, {} breached at the spot",
                build.elapsed().as_secs_f64(),
                book.breached(BTC).len()
            );
            book
        })
        .collect();

    // Typical ticks: every book's ticks run once per round, interleaved, so that each round's
    // ratio to the 1k book compares measurements taken within milliseconds of each other.
    let crossed: Vec<f64> = books
        .iter_mut()
        .map(|book| tick_ns(book, TICKS).1)
        .collect();
    let mut tickers: Vec<Box<dyn FnMut() -> f64 + '_>> = books
        .iter_mut()
        .map(|book| Box::new(move || tick_ns(book, TICKS).0) as Box<dyn FnMut() -> f64>)
        .collect();
    let mut contenders: Vec<&mut dyn FnMut() -> f64> = tickers
        .iter_mut()
        .map(|ticker| ticker.as_mut() as &mut dyn FnMut() -> f64)
        .collect();
    let samples = interleave(rounds, &mut contenders);
    drop(contenders);
    drop(tickers);
    println!(
        "  typical tick (set_spot, alternating between two spots 0.01 % apart), \
         {rounds} interleaved rounds of {TICKS} ticks per book"
    );
    for (i, &accounts) in sizes.iter().enumerate() {
        print_quartiles(
            &format!("{accounts} accounts ({:.1} crossed/tick)", crossed[i]),
            &samples[i],
            "ns/tick",
        );
    }
    for (i, &accounts) in sizes.iter().enumerate().skip(1) {
        print_ratio(
            &format!("{accounts} accounts / 1000 accounts"),
            &samples[i],
            &samples[0],
        );
    }

    // Cache-cold lookups at random price levels: independent, then each waiting for the previous.
    let levels = random_levels(LEVELS);
    for chained in [false, true] {
        let found: Vec<f64> = books
            .iter()
            .map(|book| cold_lookup_ns(book, &levels, chained).1)
            .collect();
        let mut lookups: Vec<Box<dyn FnMut() -> f64 + '_>> = books
            .iter()
            .map(|book| {
                let levels = &levels;
                Box::new(move || cold_lookup_ns(book, levels, chained).0) as Box<dyn FnMut() -> f64>
            })
            .collect();
        let mut contenders: Vec<&mut dyn FnMut() -> f64> = lookups
            .iter_mut()
            .map(|lookup| lookup.as_mut() as &mut dyn FnMut() -> f64)
            .collect();
        let samples = interleave(rounds, &mut contenders);
        println!(
            "  cold index lookup (a tick's query at a random level over ±40 %{}), {rounds} \
             interleaved rounds of {LEVELS} lookups per book",
            if chained {
                ", each waiting for the previous"
            } else {
                ""
            }
        );
        for (i, &accounts) in sizes.iter().enumerate() {
            print_quartiles(
                &format!("{accounts} accounts ({:.2} found/lookup)", found[i]),
                &samples[i],
                "ns/lookup",
            );
        }
        for (i, &accounts) in sizes.iter().enumerate().skip(1) {
            print_ratio(
                &format!("{accounts} accounts / 1000 accounts"),
                &samples[i],
                &samples[0],
            );
        }
        drop(contenders);
        drop(lookups);
    }

    // Index updates of re-margined accounts, on a copy of each book's index.
    let mut updated: Vec<_> = books
        .iter()
        .map(|book| {
            let index = book.index(BTC).expect("the book is indexed").clone();
            (index, sample_ranges(book, UPDATES), false)
        })
        .collect();
    let mut updaters: Vec<Box<dyn FnMut() -> f64 + '_>> = updated
        .iter_mut()
        .map(|(index, sample, moved)| {
            Box::new(move || update_ns(index, sample, moved)) as Box<dyn FnMut() -> f64>
        })
        .collect();
    let mut contenders: Vec<&mut dyn FnMut() -> f64> = updaters
        .iter_mut()
        .map(|updater| updater.as_mut() as &mut dyn FnMut() -> f64)
        .collect();
    let samples = interleave(rounds, &mut contenders);
    println!(
        "  index update (insert of a re-margined account's moved range, random accounts), \
         {rounds} interleaved rounds of {UPDATES} updates per book"
    );
    for (i, &accounts) in sizes.iter().enumerate() {
        print_quartiles(&format!("{accounts} accounts"), &samples[i], "ns/update");
    }
    for (i, &accounts) in sizes.iter().enumerate().skip(1) {
        print_ratio(
            &format!("{accounts} accounts / 1000 accounts"),
            &samples[i],
            &samples[0],
        );
    }
}

fn interleaved_report(rounds: usize) {
    // Short rounds (a few milliseconds), many of them: on a shared machine a round that a
    // preemption hits is an outlier the median of the paired ratios ignores.
    const PASSES: u32 = 20;
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
                    scalar_pass(&options);
                }
                per_option_ns(start.elapsed())
            },
            &mut || {
                let start = Instant::now();
                for _ in 0..PASSES {
                    batch_pass(&batch, &mut out);
                }
                per_option_ns(start.elapsed())
            },
            &mut || {
                let start = Instant::now();
                for _ in 0..PASSES {
                    lean_pass(&options);
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
    print_quartiles("lean hand-written scalar (check)", &samples[2], "ns/option");
    print_ratio(
        "scalar time / batch time (speed-up)",
        &samples[0],
        &samples[1],
    );
    print_ratio("lean scalar time / batch time", &samples[2], &samples[1]);
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

/// Worst single-update latency while the spot drifts: an index of `accounts` ranges spread over
/// ±40 % of a spot of 100 (pseudo-random, xorshift64), then `2 × accounts` re-margins, round
/// robin over the accounts, each placing the account's range around a spot that falls linearly
/// from 100 to 50 over the run: the prices leave the directory's window, which re-centres
/// several times along the way. Every `insert` is timed on its own (`Instant` around it, about
/// 20 ns of overhead included); the max, p99.9, p99 and median per update are reported.
fn recentre_report(max_accounts: usize) {
    println!("\nWorst single update while the spot drifts (re-centring), one timed insert each");
    for accounts in [100_000, 1_000_000] {
        if accounts > max_accounts {
            continue;
        }
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let offsets: Vec<(f64, f64)> = (0..accounts)
            .map(|_| (1.0 - 0.4 * uniform(), 1.0 + 0.4 * uniform()))
            .collect();
        let range = |spot: f64, (down, up): (f64, f64)| LiquidationRange {
            below: spot * down,
            above: spot * up,
        };
        let mut index = LiquidationIndex::new();
        for (account, &offset) in offsets.iter().enumerate() {
            index.insert(account, range(100.0, offset));
        }
        let updates = 2 * accounts;
        let mut times = Vec::with_capacity(updates);
        for i in 0..updates {
            let spot = 100.0 - 50.0 * i as f64 / updates as f64;
            let account = i % accounts;
            let moved = range(spot, offsets[account]);
            let start = Instant::now();
            index.insert(black_box(account), black_box(moved));
            times.push(start.elapsed().as_nanos() as f64);
        }
        black_box(index.breached(50.0).count());
        times.sort_unstable_by(f64::total_cmp);
        let at = |q: f64| times[((updates - 1) as f64 * q) as usize];
        println!(
            "  {accounts:>9} accounts, {updates} updates: max {:.1} us, p99.9 {:.2} us, \
             p99 {:.2} us, median {:.0} ns, mean {:.0} ns; {} over 100 us, {} over 1 ms",
            times[updates - 1] / 1e3,
            at(0.999) / 1e3,
            at(0.99) / 1e3,
            at(0.5),
            times.iter().sum::<f64>() / updates as f64,
            times.iter().filter(|&&t| t > 1e5).count(),
            times.iter().filter(|&&t| t > 1e6).count(),
        );
    }
}

fn main() {
    pin(0);
    let mut criterion = Criterion::default().configure_from_args();
    bench_pricing(&mut criterion);
    criterion.final_summary();
    if is_bench_run() {
        interleaved_report(rounds(101));
        solvency_report(rounds(21));
        let max_accounts = std::env::var("RECAL_BENCH_MAX_ACCOUNTS")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(1_000_000);
        recentre_report(max_accounts);
        spot_tick_report(max_accounts, rounds(41));
    }
}
