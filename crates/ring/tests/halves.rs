//! Behaviour of each half on its own and around a dropped peer: capacity checks, drops of
//! unread items, no hang on a dead peer, `Send` halves.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use recal_ring::{
    CapacityError, Consumer, PopError, Producer, PushError, TryPopError, TryPushError,
    WaitStrategy, ring,
};

const STRATEGIES: [WaitStrategy; 3] = [
    WaitStrategy::BusySpin,
    WaitStrategy::Yield,
    WaitStrategy::Backoff,
];

/// Counts its drops, to prove every item is dropped exactly once.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn halves_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Producer<String>>();
    assert_send::<Consumer<String>>();
}

#[test]
fn capacity_must_be_a_power_of_two() {
    assert_eq!(
        ring::<u8>(0, WaitStrategy::BusySpin).unwrap_err(),
        CapacityError::NotPowerOfTwo(0)
    );
    assert_eq!(
        ring::<u8>(6, WaitStrategy::BusySpin).unwrap_err(),
        CapacityError::NotPowerOfTwo(6)
    );
    for capacity in [1, 2, 64, 1 << 16] {
        let (producer, _consumer) = ring::<u8>(capacity, WaitStrategy::BusySpin).unwrap();
        assert_eq!(producer.capacity(), capacity);
    }
}

#[test]
fn unread_items_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut producer, mut consumer) = ring::<Tracked>(8, WaitStrategy::BusySpin).unwrap();
    for _ in 0..6 {
        assert!(producer.try_push(Tracked(drops.clone())).is_ok());
    }
    drop(consumer.try_pop().unwrap());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(consumer.read(2).release(2), 2);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    // Written but never committed: dropped with the chunk, never seen by the consumer.
    let mut chunk = producer.reserve(2);
    assert!(chunk.push(Tracked(drops.clone())).is_ok());
    drop(chunk);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
    assert_eq!(consumer.len(), 3);
    drop(producer);
    drop(consumer);
    assert_eq!(drops.load(Ordering::SeqCst), 7);
}

#[test]
fn by_value_iteration_releases_only_what_it_took() {
    let (mut producer, mut consumer) = ring::<String>(8, WaitStrategy::BusySpin).unwrap();
    for word in ["a", "b", "c", "d"] {
        producer.try_push(word.to_owned()).unwrap();
    }
    let taken: Vec<String> = consumer.read(8).into_iter().take(3).collect();
    assert_eq!(taken, ["a", "b", "c"]);
    assert_eq!(consumer.try_pop().as_deref(), Ok("d"));
}

#[test]
fn consumer_sees_disconnect_only_after_draining() {
    for wait in STRATEGIES {
        let (mut producer, mut consumer) = ring::<u32>(4, wait).unwrap();
        producer.try_push(1).unwrap();
        producer.try_push(2).unwrap();
        assert!(!consumer.is_abandoned());
        drop(producer);
        assert!(consumer.is_abandoned());
        assert_eq!(consumer.try_pop(), Ok(1));
        assert_eq!(consumer.pop(), Ok(2));
        assert_eq!(consumer.try_pop(), Err(TryPopError::Disconnected));
        assert_eq!(consumer.pop(), Err(PopError));
    }
}

#[test]
fn producer_sees_disconnect_when_full() {
    for wait in STRATEGIES {
        let (mut producer, consumer) = ring::<u32>(2, wait).unwrap();
        drop(consumer);
        assert!(producer.is_abandoned());
        // Room left: pushes still succeed (the items are dropped with the ring).
        producer.try_push(1).unwrap();
        producer.try_push(2).unwrap();
        assert_eq!(producer.try_push(3), Err(TryPushError::Disconnected(3)));
        assert_eq!(producer.push(4), Err(PushError(4)));
    }
}

#[test]
fn full_ring_gives_the_item_back() {
    let (mut producer, _consumer) = ring::<u32>(1, WaitStrategy::BusySpin).unwrap();
    producer.try_push(1).unwrap();
    let error = producer.try_push(2).unwrap_err();
    assert_eq!(error, TryPushError::Full(2));
    assert_eq!(error.into_inner(), 2);
    assert!(producer.reserve(4).is_empty());
}

/// A blocked half must wake when its peer acts or dies, for every strategy (for `Backoff`
/// this exercises park and unpark).
#[test]
fn blocked_halves_wake_on_peer_action_or_drop() {
    for wait in STRATEGIES {
        // Blocked pop, woken by a push.
        let (mut producer, mut consumer) = ring::<u32>(2, wait).unwrap();
        let reader = std::thread::spawn(move || (consumer.pop(), consumer.pop()));
        std::thread::sleep(Duration::from_millis(20));
        producer.push(9).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        drop(producer);
        assert_eq!(reader.join().unwrap(), (Ok(9), Err(PopError)));

        // Blocked push, woken by a pop, then by the consumer's drop.
        let (mut producer, mut consumer) = ring::<u32>(1, wait).unwrap();
        producer.push(1).unwrap();
        let writer = std::thread::spawn(move || (producer.push(2), producer.push(3)));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(consumer.pop(), Ok(1));
        std::thread::sleep(Duration::from_millis(20));
        drop(consumer);
        assert_eq!(writer.join().unwrap(), (Ok(()), Err(PushError(3))));
    }
}
