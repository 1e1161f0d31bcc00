//! After construction the ring never allocates: every operation, including parking and
//! waking under `Backoff`, runs with a counting global allocator that sees zero allocations on
//! the threads that use the ring.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use recal_ring::{WaitStrategy, ring};

/// Counts allocations made by threads that opted in with [`count_allocations`].
struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the bookkeeping touches
// only const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|count| count.set(count.get() + 1));
        }
        // SAFETY: forwarded with the caller's own guarantees about `layout`.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's own guarantees about `ptr` and `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `work` on this thread and returns how many allocations it made.
fn count_allocations(work: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|count| count.set(0));
    COUNTING.with(|counting| counting.set(true));
    work();
    COUNTING.with(|counting| counting.set(false));
    ALLOCATIONS.with(Cell::get)
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
