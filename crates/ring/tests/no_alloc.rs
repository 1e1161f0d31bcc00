//! After construction the ring never allocates: every operation, including parking and
//! waking under `Backoff`, runs under a counting global allocator (allocation-counter) that
//! sees zero allocations on the threads that use the ring.

use recal_ring::{WaitStrategy, ring};

/// Allocations `work` makes on this thread (allocation-counter counts per thread, so the test
/// harness's own threads do not pollute the figure).
fn count_allocations(work: impl FnOnce()) -> u64 {
    allocation_counter::measure(work).count_total
}

/// The counter is live, so the zeros below are not vacuous.
#[test]
fn the_counter_sees_allocations() {
    assert!(count_allocations(|| drop(std::hint::black_box(Box::new(7u64)))) >= 1);
}

#[test]
fn single_thread_operations_do_not_allocate() {
    let (mut producer, mut consumer) = ring::<String>(8, WaitStrategy::BusySpin).unwrap();
    let items: Vec<String> = (0..64).map(|i| i.to_string()).collect();
    let mut items = items.into_iter();
    let allocations = count_allocations(|| {
        for _ in 0..8 {
            producer.try_push(items.next().unwrap()).unwrap();
            assert!(consumer.try_pop().is_ok());
            let written = producer.reserve(3).fill_from_iter(items.by_ref().take(3));
            assert_eq!(written, 3);
            assert_eq!(consumer.read(2).release(2), 2);
            assert_eq!(consumer.read(8).into_iter().count(), 1);
        }
        assert!(producer.try_push(String::new()).is_ok());
        assert_eq!(consumer.len(), 1);
    });
    assert_eq!(allocations, 0);

    let (mut producer, mut consumer) = ring::<u64>(16, WaitStrategy::BusySpin).unwrap();
    let allocations = count_allocations(|| {
        // Four at a time into sixteen slots: no chunk is ever cut by the buffer's end.
        for round in 0..100u64 {
            assert_eq!(producer.push_slice(&[round; 4]), 4);
            assert_eq!(consumer.read(16).as_slice(), &[round; 4]);
            assert_eq!(consumer.read(16).release_all(), 4);
        }
    });
    assert_eq!(allocations, 0);
}

#[test]
fn blocking_handoff_with_parking_does_not_allocate() {
    const ITEMS: u64 = 20_000;
    let (mut producer, mut consumer) = ring::<u64>(4, WaitStrategy::Backoff).unwrap();
    let writer = std::thread::spawn(move || {
        count_allocations(|| {
            for value in 0..ITEMS {
                producer.push(value).unwrap();
                if value % 1000 == 0 {
                    // Let the consumer run dry and park now and then.
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
        })
    });
    let reader_allocations = count_allocations(|| {
        for expected in 0..ITEMS {
            assert_eq!(consumer.pop(), Ok(expected));
        }
    });
    assert_eq!(writer.join().unwrap(), 0);
    assert_eq!(reader_allocations, 0);
}
