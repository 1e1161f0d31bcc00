//! recal-ring against the machine's floor and its peers (rtrb, crossbeam `ArrayQueue`).
//!
//! - **Floor**: a bare `AtomicU64` ping-pong between two pinned cores — one cache line moving
//!   back and forth, the least any cross-core hand-over can cost here.
//! - **Hop latency**: ping-pong round trips through two rings (there and back), pinned; one
//!   hop is half a round trip.
//! - **Throughput**: one pinned producer, one pinned consumer, `u64` items, single items and
//!   (where the ring has a batch API) batches of 64.
//!
//! Criterion reports absolute figures. Because this machine's cross-core latency flips between
//! states lasting seconds, the bench then runs the contenders interleaved in short rounds (see
//! `support`) and prints the quartiles of the per-round ratios, which is what the README
//! reports. `RECAL_BENCH_ROUNDS` sets the number of rounds (default 61).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;
use recal_ring::WaitStrategy;
use support::{cores, interleave, is_bench_run, pin, print_quartiles, print_ratio, rounds};

mod support;

const CAPACITY: usize = 1024;
const BATCH: usize = 64;

/// Runs `remote` on a thread pinned to core 1 and `local` on this thread pinned to core 0,
/// starting both at a barrier; returns the time `local` took.
fn on_two_cores<R: Send + 'static>(
    remote: impl FnOnce() -> R + Send + 'static,
    local: impl FnOnce(),
) -> Duration {
    let barrier = Arc::new(Barrier::new(2));
    let remote_barrier = barrier.clone();
    let handle = std::thread::spawn(move || {
        pin(1);
        remote_barrier.wait();
        remote()
    });
    pin(0);
    barrier.wait();
    let start = Instant::now();
    local();
    let elapsed = start.elapsed();
    handle.join().expect("bench thread panicked");
    elapsed
}

/// A single-producer single-consumer queue under test: its two halves, moved to two threads.
trait Spsc {
    const NAME: &'static str;
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn pair(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Pushes one item, spinning while full.
    fn send(tx: &mut Self::Tx, value: u64);
    /// Pops one item, spinning while empty.
    fn recv(rx: &mut Self::Rx) -> u64;
    /// Pushes `count` items `first..first + count` in batches of up to `BATCH`, or `None` if
    /// the queue has no batch API.
    fn send_batched(_tx: &mut Self::Tx, _first: u64, _count: u64) -> Option<()> {
        None
    }
    /// Pops `count` items in batches of up to `BATCH`, returning their sum.
    fn recv_batched(_rx: &mut Self::Rx, _count: u64) -> Option<u64> {
        None
    }
}

struct Recal;
struct Rtrb;
struct CrossbeamArrayQueue;

impl Spsc for Recal {
    const NAME: &'static str = "recal-ring";
    type Tx = recal_ring::Producer<u64>;
    type Rx = recal_ring::Consumer<u64>;
    fn pair(capacity: usize) -> (Self::Tx, Self::Rx) {
        recal_ring::ring(capacity, WaitStrategy::BusySpin).expect("power of two")
    }
    #[inline]
    fn send(tx: &mut Self::Tx, mut value: u64) {
        while let Err(error) = tx.try_push(value) {
            value = error.into_inner();
            std::hint::spin_loop();
        }
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> u64 {
        loop {
            if let Ok(value) = rx.try_pop() {
                return value;
            }
            std::hint::spin_loop();
        }
    }
    fn send_batched(tx: &mut Self::Tx, first: u64, count: u64) -> Option<()> {
        let (mut next, end) = (first, first + count);
        while next < end {
            let wanted = BATCH.min((end - next) as usize);
            let written = tx.reserve(wanted).fill_from_iter(next..end);
            if written == 0 {
                std::hint::spin_loop();
            }
            next += written as u64;
        }
        Some(())
    }
    fn recv_batched(rx: &mut Self::Rx, count: u64) -> Option<u64> {
        let (mut received, mut sum) = (0u64, 0u64);
        while received < count {
            let chunk = rx.read(BATCH);
            sum = chunk
                .as_slice()
                .iter()
                .fold(sum, |acc, v| acc.wrapping_add(*v));
            let taken = chunk.release_all();
            if taken == 0 {
                std::hint::spin_loop();
            }
            received += taken as u64;
        }
        Some(sum)
    }
}

impl Spsc for Rtrb {
    const NAME: &'static str = "rtrb";
    type Tx = rtrb::Producer<u64>;
    type Rx = rtrb::Consumer<u64>;
    fn pair(capacity: usize) -> (Self::Tx, Self::Rx) {
        rtrb::RingBuffer::new(capacity)
    }
    #[inline]
    fn send(tx: &mut Self::Tx, mut value: u64) {
        while let Err(rtrb::PushError::Full(back)) = tx.push(value) {
            value = back;
            std::hint::spin_loop();
        }
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> u64 {
        loop {
            if let Ok(value) = rx.pop() {
                return value;
            }
            std::hint::spin_loop();
        }
    }
    fn send_batched(tx: &mut Self::Tx, first: u64, count: u64) -> Option<()> {
        let (mut next, end) = (first, first + count);
        while next < end {
            let wanted = BATCH.min((end - next) as usize).min(tx.slots());
            let written = match tx.write_chunk_uninit(wanted) {
                Ok(chunk) => chunk.fill_from_iter(next..end),
                Err(_) => 0,
            };
            if written == 0 {
                std::hint::spin_loop();
            }
            next += written as u64;
        }
        Some(())
    }
    fn recv_batched(rx: &mut Self::Rx, count: u64) -> Option<u64> {
        let (mut received, mut sum) = (0u64, 0u64);
        while received < count {
            let wanted = BATCH.min(rx.slots());
            let taken = match rx.read_chunk(wanted) {
                Ok(chunk) => {
                    let (first, second) = chunk.as_slices();
                    sum = first
                        .iter()
                        .chain(second)
                        .fold(sum, |acc, v| acc.wrapping_add(*v));
                    let taken = chunk.len();
                    chunk.commit_all();
                    taken
                }
                Err(_) => 0,
            };
            if taken == 0 {
                std::hint::spin_loop();
            }
            received += taken as u64;
        }
        Some(sum)
    }
}

impl Spsc for CrossbeamArrayQueue {
    const NAME: &'static str = "crossbeam ArrayQueue";
    type Tx = Arc<ArrayQueue<u64>>;
    type Rx = Arc<ArrayQueue<u64>>;
    fn pair(capacity: usize) -> (Self::Tx, Self::Rx) {
        let queue = Arc::new(ArrayQueue::new(capacity));
        (queue.clone(), queue)
    }
    #[inline]
    fn send(tx: &mut Self::Tx, mut value: u64) {
        while let Err(back) = tx.push(value) {
            value = back;
            std::hint::spin_loop();
        }
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> u64 {
        loop {
            if let Some(value) = rx.pop() {
                return value;
            }
            std::hint::spin_loop();
        }
    }
}

/// Time for `round_trips` bare cache-line ping-pongs between core 0 and core 1.
fn floor_round_trips(round_trips: u64) -> Duration {
    let line = Arc::new(CachePadded::new(AtomicU64::new(0)));
    let remote_line = line.clone();
    on_two_cores(
        move || {
            for i in 0..round_trips {
                while remote_line.load(Ordering::Acquire) != 2 * i + 1 {
                    std::hint::spin_loop();
                }
                remote_line.store(2 * i + 2, Ordering::Release);
            }
        },
        || {
            for i in 0..round_trips {
                line.store(2 * i + 1, Ordering::Release);
                while line.load(Ordering::Acquire) != 2 * i + 2 {
                    std::hint::spin_loop();
                }
            }
        },
    )
}

/// Time for `round_trips` ping-pongs through two queues of kind `Q`, core 0 to core 1 and back.
fn queue_round_trips<Q: Spsc>(round_trips: u64) -> Duration {
    let (mut ping_tx, mut ping_rx) = Q::pair(64);
    let (mut pong_tx, mut pong_rx) = Q::pair(64);
    on_two_cores(
        move || {
            for _ in 0..round_trips {
                let value = Q::recv(&mut ping_rx);
                Q::send(&mut pong_tx, value);
            }
        },
        || {
            for i in 0..round_trips {
                Q::send(&mut ping_tx, i);
                black_box(Q::recv(&mut pong_rx));
            }
        },
    )
}

/// Time to move `count` items from core 1 to core 0 through a `Q`, one at a time or batched.
/// Returns `None` if `Q` has no batch API and `batched` was asked.
fn queue_transfer<Q: Spsc>(count: u64, batched: bool) -> Option<Duration> {
    let (mut tx, mut rx) = Q::pair(CAPACITY);
    if batched {
        Q::send_batched(&mut tx, 0, 0)?;
    }
    let expected = count.wrapping_mul(count.wrapping_sub(1)) / 2;
    let mut sum = 0u64;
    let elapsed = on_two_cores(
        move || {
            if batched {
                Q::send_batched(&mut tx, 0, count);
            } else {
                for value in 0..count {
                    Q::send(&mut tx, value);
                }
            }
        },
        || {
            sum = if batched {
                Q::recv_batched(&mut rx, count).expect("batch API checked above")
            } else {
                (0..count).fold(0u64, |acc, _| acc.wrapping_add(Q::recv(&mut rx)))
            };
        },
    );
    assert_eq!(sum, expected, "{}: items lost or duplicated", Q::NAME);
    Some(elapsed)
}

fn bench_latency(c: &mut Criterion) {
    let mut group = c.benchmark_group("ring/round_trip");
    group
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    group.bench_function("floor AtomicU64", |b| b.iter_custom(floor_round_trips));
    group.bench_function(Recal::NAME, |b| b.iter_custom(queue_round_trips::<Recal>));
    group.bench_function(Rtrb::NAME, |b| b.iter_custom(queue_round_trips::<Rtrb>));
    group.bench_function(CrossbeamArrayQueue::NAME, |b| {
        b.iter_custom(queue_round_trips::<CrossbeamArrayQueue>)
    });
    group.finish();
}

fn bench_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("ring/throughput");
    group
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .throughput(Throughput::Elements(1));
    let single = |name: &str| format!("{name} single");
    let batched = |name: &str| format!("{name} batch{BATCH}");
    group.bench_function(single(Recal::NAME), |b| {
        b.iter_custom(|n| queue_transfer::<Recal>(n, false).unwrap())
    });
    group.bench_function(batched(Recal::NAME), |b| {
        b.iter_custom(|n| queue_transfer::<Recal>(n, true).unwrap())
    });
    group.bench_function(single(Rtrb::NAME), |b| {
        b.iter_custom(|n| queue_transfer::<Rtrb>(n, false).unwrap())
    });
    group.bench_function(batched(Rtrb::NAME), |b| {
        b.iter_custom(|n| queue_transfer::<Rtrb>(n, true).unwrap())
    });
    group.bench_function(single(CrossbeamArrayQueue::NAME), |b| {
        b.iter_custom(|n| queue_transfer::<CrossbeamArrayQueue>(n, false).unwrap())
    });
    group.finish();
}

/// The interleaved comparison whose ratios the README reports.
fn interleaved_report(rounds: usize) {
    // Short rounds, many of them, so that neighbours in a round see the same machine state.
    const ROUND_TRIPS: u64 = 50_000;
    const ITEMS: u64 = 1_000_000;
    let hop_ns = |elapsed: Duration| elapsed.as_nanos() as f64 / (2 * ROUND_TRIPS) as f64;
    let items_per_us = |elapsed: Option<Duration>| {
        ITEMS as f64 / elapsed.expect("batch API present").as_secs_f64() / 1e6
    };

    let latency = interleave(
        rounds,
        &mut [
            &mut || hop_ns(floor_round_trips(ROUND_TRIPS)),
            &mut || hop_ns(queue_round_trips::<Recal>(ROUND_TRIPS)),
            &mut || hop_ns(queue_round_trips::<Rtrb>(ROUND_TRIPS)),
            &mut || hop_ns(queue_round_trips::<CrossbeamArrayQueue>(ROUND_TRIPS)),
        ],
    );
    println!("\nOne-way hop latency, {rounds} interleaved rounds of {ROUND_TRIPS} round trips");
    let names = [
        "floor (AtomicU64 ping-pong)",
        Recal::NAME,
        Rtrb::NAME,
        CrossbeamArrayQueue::NAME,
    ];
    for (name, samples) in names.iter().zip(&latency) {
        print_quartiles(name, samples, "ns/hop");
    }
    println!("  hop latency / floor, paired per round:");
    for (name, samples) in names.iter().zip(&latency).skip(1) {
        print_ratio(name, samples, &latency[0]);
    }

    let throughput = interleave(
        rounds,
        &mut [
            &mut || items_per_us(queue_transfer::<Recal>(ITEMS, false)),
            &mut || items_per_us(queue_transfer::<Rtrb>(ITEMS, false)),
            &mut || items_per_us(queue_transfer::<Recal>(ITEMS, true)),
            &mut || items_per_us(queue_transfer::<Rtrb>(ITEMS, true)),
            &mut || items_per_us(queue_transfer::<CrossbeamArrayQueue>(ITEMS, false)),
        ],
    );
    println!("\nThroughput, {rounds} interleaved rounds of {ITEMS} items");
    let names = [
        "recal-ring single",
        "rtrb single",
        "recal-ring batch64",
        "rtrb batch64",
        "crossbeam ArrayQueue single",
    ];
    for (name, samples) in names.iter().zip(&throughput) {
        print_quartiles(name, samples, "M items/s");
    }
    println!("  throughput ratios, paired per round:");
    print_ratio("recal single / rtrb single", &throughput[0], &throughput[1]);
    print_ratio(
        "recal batch64 / recal single",
        &throughput[2],
        &throughput[0],
    );
    print_ratio(
        "recal batch64 / rtrb batch64",
        &throughput[2],
        &throughput[3],
    );
    print_ratio(
        "recal single / ArrayQueue single",
        &throughput[0],
        &throughput[4],
    );
}

fn main() {
    assert!(
        cores().len() >= 2,
        "the ring bench needs two cores to pin producer and consumer apart"
    );
    let mut criterion = Criterion::default().configure_from_args();
    bench_latency(&mut criterion);
    bench_throughput(&mut criterion);
    criterion.final_summary();
    // `cargo test --benches` runs each bench once as a smoke test; skip the long report there.
    if is_bench_run() {
        interleaved_report(rounds(61));
    }
}
