//! Stage 3 pricing cost: price and all Greeks of one Black-76 option, by the scalar entry point
//! called per option (the straightforward implementation, the peer) and by the column-stored
//! batch path over the same 1,000 options.
//!
//! The goal is a batch path at least 4x faster than the scalar one. Today the batch
//! calls the same scalar kernel (libm `erfc`, `exp`, `ln`, which the compiler does not
//! vectorise), so this bench reports what the layout alone buys; a SIMD kernel is the next
//! step. After criterion's figures the two run interleaved (see `support`) and the paired ratio
//! is printed.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use recal_greeks::{BatchGreeks, Black76Inputs, OptionBatch, OptionKind, black76_greeks};
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
    }
}
