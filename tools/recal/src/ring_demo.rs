//! The ring latency demo: ping-pong through two recal rings between two threads and print the
//! round-trip percentiles beside the machine's floor (a bare cache-line ping-pong), measured
//! interleaved in the same run so that the two see the same machine state.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, ensure};
use crossbeam_utils::CachePadded;
use hdrhistogram::Histogram;
use recal_ring::{Consumer, Producer, WaitStrategy, ring};

/// Options of `recal ring-demo`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Round trips measured per contender (ring and floor each).
    #[arg(long, default_value_t = 400_000)]
    pub round_trips: u64,
    /// How the ring halves wait: busy-spin, yield or backoff.
    #[arg(long, value_enum, default_value_t = WaitArg::BusySpin)]
    pub wait: WaitArg,
}

/// `--wait` values, one per [`WaitStrategy`].
#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum WaitArg {
    /// Spin on the peer's index (needs a core per thread).
    BusySpin,
    /// Yield to the OS between checks.
    Yield,
    /// Spin, yield, then park until woken.
    Backoff,
}

impl From<WaitArg> for WaitStrategy {
    fn from(arg: WaitArg) -> Self {
        match arg {
            WaitArg::BusySpin => WaitStrategy::BusySpin,
            WaitArg::Yield => WaitStrategy::Yield,
            WaitArg::Backoff => WaitStrategy::Backoff,
        }
    }
}

/// Rounds the measurement is cut into; ring and floor alternate round by round.
const ROUNDS: u64 = 20;

/// Runs the demo and prints its report.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    ensure!(
        args.round_trips >= ROUNDS,
        "--round-trips must be at least {ROUNDS}"
    );
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let pinned = cores.len() >= 2;
    let wait = WaitStrategy::from(args.wait);
    println!(
        "recal ring latency demo: {} round trips through two {wait:?} rings, {}",
        args.round_trips,
        if pinned {
            "threads pinned to cores 0 and 1"
        } else {
            "threads unpinned (fewer than two cores)"
        }
    );

    let mut ring_histogram = new_histogram()?;
    let mut floor_histogram = new_histogram()?;
    let per_round = args.round_trips / ROUNDS;
    for _ in 0..ROUNDS {
        ring_round_trips(per_round, wait, &cores, &mut ring_histogram)?;
        floor_round_trips(per_round, &cores, &mut floor_histogram)?;
    }

    println!("\nround trip (ns)     p50      p90      p99    p99.9   p99.99       max");
    for (name, histogram) in [("recal ring", &ring_histogram), ("floor", &floor_histogram)] {
        print!("{name:<12}");
        for quantile in [0.5, 0.9, 0.99, 0.999, 0.9999] {
            print!(" {:>8}", histogram.value_at_quantile(quantile));
        }
        println!(" {:>9}", histogram.max());
    }
    let p50_ratio = ring_histogram.value_at_quantile(0.5) as f64
        / floor_histogram.value_at_quantile(0.5).max(1) as f64;
    println!(
        "\none-way hop p50: {} ns (ring) vs {} ns (floor): {p50_ratio:.2}x the floor",
        ring_histogram.value_at_quantile(0.5) / 2,
        floor_histogram.value_at_quantile(0.5) / 2,
    );
    println!("(each round trip includes two clock reads; both rows pay them alike)");
    Ok(())
}

fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).context("histogram bounds")
}

fn pin_to(cores: &[core_affinity::CoreId], index: usize) {
    if let Some(core) = cores.get(index) {
        core_affinity::set_for_current(*core);
    }
}

/// Measures `count` round trips through a pair of rings, recording each in `histogram`.
fn ring_round_trips(
    count: u64,
    wait: WaitStrategy,
    cores: &[core_affinity::CoreId],
    histogram: &mut Histogram<u64>,
) -> anyhow::Result<()> {
    let (mut ping, mut ping_rx): (Producer<u64>, Consumer<u64>) = ring(64, wait)?;
    let (mut pong_tx, mut pong) = ring::<u64>(64, wait)?;
    let echo_cores = cores.to_vec();
    let echo = std::thread::spawn(move || {
        pin_to(&echo_cores, 1);
        while let Ok(value) = ping_rx.pop() {
            if pong_tx.push(value).is_err() {
                break;
            }
        }
    });
    pin_to(cores, 0);
    for i in 0..count {
        let start = Instant::now();
        ping.push(i).context("echo thread stopped")?;
        let echoed = pong.pop().context("echo thread stopped")?;
        let elapsed = start.elapsed();
        ensure!(echoed == i, "ring returned {echoed}, expected {i}");
        histogram.saturating_record(elapsed.as_nanos() as u64);
    }
    drop(ping);
    echo.join()
        .map_err(|_| anyhow::anyhow!("echo thread panicked"))?;
    Ok(())
}

/// Measures `count` bare cache-line ping-pongs, recording each in `histogram`.
fn floor_round_trips(
    count: u64,
    cores: &[core_affinity::CoreId],
    histogram: &mut Histogram<u64>,
) -> anyhow::Result<()> {
    let line = Arc::new(CachePadded::new(AtomicU64::new(0)));
    let echo_line = line.clone();
    let echo_cores = cores.to_vec();
    let echo = std::thread::spawn(move || {
        pin_to(&echo_cores, 1);
        for i in 0..count {
            while echo_line.load(Ordering::Acquire) != 2 * i + 1 {
                std::hint::spin_loop();
            }
            echo_line.store(2 * i + 2, Ordering::Release);
        }
    });
    pin_to(cores, 0);
    for i in 0..count {
        let start = Instant::now();
        line.store(2 * i + 1, Ordering::Release);
        while line.load(Ordering::Acquire) != 2 * i + 2 {
            std::hint::spin_loop();
        }
        histogram.saturating_record(start.elapsed().as_nanos() as u64);
    }
    echo.join()
        .map_err(|_| anyhow::anyhow!("echo thread panicked"))?;
    Ok(())
}
