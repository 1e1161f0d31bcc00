//! Two threads, many items: order kept, nothing lost, nothing duplicated, for single-item and
//! batch paths mixed at random and for every wait strategy.

use std::sync::Mutex;

use recal_ring::{Consumer, Producer, TryPopError, WaitStrategy, ring};

/// The tests here each keep two threads busy; run them one at a time so that, on a two-core
/// machine, spinning threads never outnumber the cores (which would make `BusySpin` crawl).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Tiny deterministic generator (xorshift64*), so each run mixes paths the same way.
struct Mix(u64);

impl Mix {
    fn next(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound
    }
}

fn produce(mut producer: Producer<u64>, total: u64, seed: u64) {
    let mut mix = Mix(seed);
    let mut next = 0u64;
    while next < total {
        match mix.next(3) {
            0 => {
                producer.push(next).unwrap();
                next += 1;
            }
            1 => {
                let wanted = (mix.next(64) + 1).min((total - next) as usize);
                let written = producer.reserve(wanted).fill_from_iter(next..);
                next += written as u64;
                if written == 0 {
                    std::thread::yield_now();
                }
            }
            _ => {
                let wanted = (mix.next(64) + 1).min((total - next) as usize);
                let batch: Vec<u64> = (next..next + wanted as u64).collect();
                let written = producer.push_slice(&batch);
                next += written as u64;
                if written == 0 {
                    std::thread::yield_now();
                }
            }
        }
    }
}

/// Consumes until the producer is gone; returns how many items arrived, asserting each is the
/// next in sequence.
fn consume(mut consumer: Consumer<u64>, seed: u64) -> u64 {
    let mut mix = Mix(seed);
    let mut expected = 0u64;
    loop {
        match mix.next(3) {
            0 => match consumer.pop() {
                Ok(value) => {
                    assert_eq!(value, expected);
                    expected += 1;
                }
                Err(_) => return expected,
            },
            1 => {
                let chunk = consumer.read(mix.next(64) + 1);
                for &value in chunk.as_slice() {
                    assert_eq!(value, expected);
                    expected += 1;
                }
                if chunk.release_all() == 0 {
                    std::thread::yield_now();
                }
            }
            _ => {
                let mut got = 0;
                for value in consumer.read(mix.next(64) + 1) {
                    assert_eq!(value, expected);
                    expected += 1;
                    got += 1;
                }
                if got == 0 {
                    match consumer.try_pop() {
                        Ok(value) => {
                            assert_eq!(value, expected);
                            expected += 1;
                        }
                        Err(TryPopError::Disconnected) => return expected,
                        Err(TryPopError::Empty) => std::thread::yield_now(),
                    }
                }
            }
        }
    }
}

fn run(total: u64, capacity: usize, wait: WaitStrategy) {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (producer, consumer) = ring::<u64>(capacity, wait).unwrap();
    let writer = std::thread::spawn(move || produce(producer, total, 0x9E37_79B9_7F4A_7C15));
    let received = consume(consumer, 0xD1B5_4A32_D192_ED03);
    writer.join().unwrap();
    assert_eq!(received, total, "items lost or duplicated");
}

#[test]
fn ten_million_items_in_order() {
    run(10_000_000, 1024, WaitStrategy::Yield);
}

#[test]
fn every_strategy_and_tiny_rings() {
    for wait in [
        WaitStrategy::BusySpin,
        WaitStrategy::Yield,
        WaitStrategy::Backoff,
    ] {
        for capacity in [1, 2, 8] {
            run(200_000, capacity, wait);
        }
    }
}

#[test]
fn heap_items_cross_threads_intact() {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (mut producer, mut consumer) = ring::<String>(16, WaitStrategy::Backoff).unwrap();
    let writer = std::thread::spawn(move || {
        for i in 0..100_000u32 {
            producer.push(i.to_string()).unwrap();
        }
    });
    let mut expected = 0u32;
    while let Ok(text) = consumer.pop() {
        assert_eq!(text, expected.to_string());
        expected += 1;
    }
    writer.join().unwrap();
    assert_eq!(expected, 100_000);
}
