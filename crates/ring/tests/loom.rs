//! Model-checked tests: loom explores every interleaving (and every memory-ordering outcome it
//! models) of small scenarios. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p recal-ring --test loom --release`.
//!
//! Slot accesses are tracked with loom cells (see `primitive::SlotAccess`), so a missing
//! happens-before edge between a slot's write and its read — or its read and the next lap's
//! write — fails the model, as does a lost wake-up (loom reports the deadlock).
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use recal_ring::{Consumer, PopError, Producer, PushError, TryPopError, WaitStrategy, ring};

/// Pushes `values` one by one, yielding to the model while the ring is full.
fn push_all(producer: &mut Producer<usize>, values: impl IntoIterator<Item = usize>) {
    for value in values {
        let mut item = value;
        loop {
            match producer.try_push(item) {
                Ok(()) => break,
                Err(error) => {
                    item = error.into_inner();
                    thread::yield_now();
                }
            }
        }
    }
}

/// Pops `count` items, yielding to the model while the ring is empty.
fn pop_n(consumer: &mut Consumer<usize>, count: usize) -> Vec<usize> {
    let mut out = Vec::new();
    while out.len() < count {
        match consumer.try_pop() {
            Ok(value) => out.push(value),
            Err(TryPopError::Empty) => thread::yield_now(),
            Err(TryPopError::Disconnected) => panic!("producer is still alive"),
        }
    }
    out
}

#[test]
fn push_pop_wraps_in_order() {
    loom::model(|| {
        let (mut producer, mut consumer) = ring::<usize>(2, WaitStrategy::BusySpin).unwrap();
        let writer = thread::spawn(move || push_all(&mut producer, 0..3));
        assert_eq!(pop_n(&mut consumer, 3), [0, 1, 2]);
        writer.join().unwrap();
    });
}

#[test]
fn batch_reserve_commit_and_read_release_wrap() {
    loom::model(|| {
        let (mut producer, mut consumer) = ring::<usize>(2, WaitStrategy::BusySpin).unwrap();
        let writer = thread::spawn(move || {
            let mut next = 0;
            while next < 3 {
                let written = producer.reserve(2).fill_from_iter(next..3);
                if written == 0 {
                    thread::yield_now();
                }
                next += written;
            }
        });
        let mut seen = Vec::new();
        while seen.len() < 3 {
            let chunk = consumer.read(2);
            seen.extend_from_slice(chunk.as_slice());
            if chunk.release_all() == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(seen, [0, 1, 2]);
        writer.join().unwrap();
    });
}

#[test]
fn producer_drop_is_seen_after_the_last_item() {
    loom::model(|| {
        let (mut producer, mut consumer) = ring::<usize>(2, WaitStrategy::BusySpin).unwrap();
        let writer = thread::spawn(move || {
            push_all(&mut producer, [7]);
            drop(producer);
        });
        let first = loop {
            match consumer.try_pop() {
                Ok(value) => break value,
                Err(TryPopError::Empty) => thread::yield_now(),
                Err(TryPopError::Disconnected) => panic!("disconnect reported before item"),
            }
        };
        assert_eq!(first, 7);
        writer.join().unwrap();
        assert_eq!(consumer.try_pop(), Err(TryPopError::Disconnected));
    });
}

/// Items left in the ring are dropped exactly once, whichever half goes last.
#[test]
fn drop_of_either_half_frees_unread_items() {
    #[derive(Debug)]
    struct Tracked(Arc<AtomicUsize>);
    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut producer, mut consumer) = ring::<Tracked>(2, WaitStrategy::BusySpin).unwrap();
        let counter = drops.clone();
        let writer = thread::spawn(move || {
            let _ = producer.try_push(Tracked(counter.clone()));
            let _ = producer.try_push(Tracked(counter));
        });
        // Whatever was popped is dropped at once; the rest goes with the ring.
        drop(consumer.try_pop());
        drop(consumer);
        writer.join().unwrap();
        // Every item ever pushed (two) has been dropped once both halves are gone.
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    });
}

// In the two parking tests the thread that parks is the spawned one and the main thread joins
// it: loom models `unpark` of a thread blocked in `join` as a wrong wake-up of that join, so the
// thread that joins must be one its peer never needs to unpark.

/// A consumer that parks on an empty `Backoff` ring is always woken: by the push, or by the
/// producer's drop. A lost wake-up would show as a deadlock.
#[test]
fn parked_consumer_is_woken() {
    loom::model(|| {
        let (mut producer, mut consumer) = ring::<usize>(2, WaitStrategy::Backoff).unwrap();
        let reader = thread::spawn(move || (consumer.pop(), consumer.pop()));
        producer.push(5).unwrap();
        drop(producer);
        assert_eq!(reader.join().unwrap(), (Ok(5), Err(PopError)));
    });
}

/// A producer that parks on a full `Backoff` ring is always woken: by a pop, or by the
/// consumer's drop.
#[test]
fn parked_producer_is_woken() {
    loom::model(|| {
        let (mut producer, mut consumer) = ring::<usize>(1, WaitStrategy::Backoff).unwrap();
        producer.push(1).unwrap();
        let writer = thread::spawn(move || (producer.push(2), producer.push(3)));
        assert_eq!(consumer.pop(), Ok(1));
        drop(consumer);
        // Capacity one: the pop made room for exactly one more item, so the second push
        // succeeds and the third finds the consumer gone.
        assert_eq!(writer.join().unwrap(), (Ok(()), Err(PushError(3))));
    });
}
