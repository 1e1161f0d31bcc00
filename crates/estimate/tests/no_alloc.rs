//! Steady state allocates nothing: after warm-up (windows filled, macro series registered),
//! prints and macro levels run under a counting global allocator that sees zero allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use recal_estimate::{SeriesId, UnderlyingConfig, UnderlyingEstimator};

/// Counts allocations made by the thread while it has opted in.
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

const DXY: SeriesId = 1;
const CREDIT_SPREAD: SeriesId = 2;

/// A deterministic wobbling price path, one print per second from `start`.
fn feed(estimator: &mut UnderlyingEstimator, start: u64, prints: u64) {
    const SECOND: u64 = 1_000_000_000;
    for i in start..start + prints {
        let t = i * SECOND;
        let price = 60_000.0 * (1.0 + 0.002 * ((i as f64) * 0.37).sin());
        estimator.on_price(t, price).expect("valid print");
        if i % 10 == 0 {
            let dxy = 104.0 + 0.1 * ((i as f64) * 0.11).cos();
            estimator.on_macro(DXY, t + 1, dxy).expect("valid level");
            estimator
                .on_macro(CREDIT_SPREAD, t + 2, 3.0 + 0.01 * (i % 7) as f64)
                .expect("valid level");
        }
    }
}

#[test]
fn steady_state_prints_and_macro_levels_do_not_allocate() {
    let mut estimator = UnderlyingEstimator::new(UnderlyingConfig::default()).unwrap();
    // Warm-up: longer than the 15-minute realized window, both macro series registered.
    feed(&mut estimator, 1, 2_000);

    ALLOCATIONS.with(|count| count.set(0));
    COUNTING.with(|counting| counting.set(true));
    feed(&mut estimator, 2_001, 10_000);
    COUNTING.with(|counting| counting.set(false));

    assert_eq!(ALLOCATIONS.with(Cell::get), 0);
    // And the work was real: the estimators saw the prints.
    assert!(
        estimator
            .rolling()
            .annual_vol()
            .is_some_and(|vol| vol > 0.0)
    );
}
