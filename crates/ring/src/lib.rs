//! Bounded lock-free single-producer single-consumer rings: the joints between recal's
//! pipeline stages.
//!
//! A ring is built once with [`ring`] and split into a [`Producer`] and a [`Consumer`], each
//! `Send` but neither `Clone` nor `Sync`. After construction nothing allocates.
//!
//! - **Single items**: [`Producer::try_push`] / [`Consumer::try_pop`] never wait;
//!   [`Producer::push`] / [`Consumer::pop`] wait with the ring's [`WaitStrategy`].
//! - **Batches**: [`Producer::reserve`] hands out contiguous free slots to write in place and
//!   [`WriteChunk::commit`] publishes them with one index store; [`Consumer::read`] borrows
//!   contiguous ready items as a slice and [`ReadChunk::release`] returns their slots with one
//!   index store. For `Copy` records both directions are zero-copy.
//! - **Dead peers**: dropping a half is observable on the other
//!   ([`Producer::is_abandoned`], [`TryPopError::Disconnected`], [`PushError`]); blocking
//!   calls return instead of hanging. Items still in the ring are dropped with it.
//!
//! ```
//! use recal_ring::{ring, WaitStrategy};
//!
//! let (mut producer, mut consumer) = ring::<u64>(1024, WaitStrategy::Backoff).unwrap();
//! let writer = std::thread::spawn(move || {
//!     for value in 0..10_000 {
//!         producer.push(value).unwrap();
//!     }
//! });
//! let mut expected = 0;
//! while let Ok(value) = consumer.pop() {
//!     assert_eq!(value, expected);
//!     expected += 1;
//! }
//! assert_eq!(expected, 10_000);
//! writer.join().unwrap();
//! ```
//!
//! # Why hand-written
//! rtrb and crossbeam's `ArrayQueue` are the crates of the field; recal keeps its own ring
//! because the pipeline needs, in one type, per-ring wait strategies that can park with
//! wake-up, observable peer drop on both blocking paths, and batch reserve/commit and
//! read/release that publish with one store. `benches/ring.rs` measures it against both.
//!
//! # Layout and memory ordering
//! `head` (consumer) and `tail` (producer) are free-running counters, each on its own cache
//! line (`crossbeam_utils::CachePadded`: 128 bytes on x86_64, covering the adjacent-line
//! prefetcher). Each half keeps its own counter locally and caches the peer's, re-reading it
//! (`Acquire`) only when the cached value says the ring is full or empty; it publishes its own
//! with a `Release` store after finishing with the slots it hands over. Under `--cfg loom` the
//! same code runs against loom's model-checked primitives (`tests/loom.rs`).

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]

mod consumer;
mod error;
mod primitive;
mod producer;
mod shared;
mod wait;

pub use consumer::{Consumer, ReadChunk, ReadChunkIntoIter};
pub use error::{CapacityError, PopError, PushError, TryPopError, TryPushError};
pub use producer::{Producer, WriteChunk};
pub use wait::WaitStrategy;

use primitive::Arc;
use shared::Shared;

/// Builds a ring holding up to `capacity` items (a non-zero power of two, so a position maps
/// to its slot with a mask) whose blocking calls wait with `wait`. All memory is allocated
/// here, once.
///
/// ```
/// assert!(recal_ring::ring::<u8>(1000, Default::default()).is_err());
/// let (producer, consumer) = recal_ring::ring::<u8>(1024, Default::default()).unwrap();
/// assert_eq!(producer.capacity(), 1024);
/// assert_eq!(consumer.capacity(), 1024);
/// ```
pub fn ring<T>(
    capacity: usize,
    wait: WaitStrategy,
) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    if !capacity.is_power_of_two() || capacity > shared::MAX_CAPACITY {
        return Err(CapacityError::NotPowerOfTwo(capacity));
    }
    Ok(split(Shared::new(capacity), wait))
}

/// Hands one shared state to a new producer and consumer, which start at its positions.
fn split<T>(shared: Shared<T>, wait: WaitStrategy) -> (Producer<T>, Consumer<T>) {
    let shared = Arc::new(shared);
    (
        Producer::new(Arc::clone(&shared), wait),
        Consumer::new(shared, wait),
    )
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::primitive::Ordering;
    use crate::shared::POSITION_MASK;

    /// Positions wrap within 63 (or 31) bits without touching the close flag: start a ring a
    /// few items before the wrap and push, batch and pop across it.
    #[test]
    fn positions_wrap_without_touching_the_close_flag() {
        let shared = Shared::<u64>::new(4);
        let start = POSITION_MASK - 2;
        shared.head.store(start, Ordering::Relaxed);
        shared.tail.store(start, Ordering::Relaxed);
        let (mut producer, mut consumer) = split(shared, WaitStrategy::BusySpin);
        let mut expected = 0;
        for round in 0..10u64 {
            assert_eq!(producer.push_slice(&[round * 3, round * 3 + 1]), 2);
            producer.try_push(round * 3 + 2).unwrap();
            assert_eq!(consumer.len(), 3);
            assert!(!consumer.is_abandoned() && !producer.is_abandoned());
            let chunk = consumer.read(2);
            for &value in chunk.as_slice() {
                assert_eq!(value, expected);
                expected += 1;
            }
            let released = chunk.release_all();
            for _ in released..3 {
                assert_eq!(consumer.try_pop(), Ok(expected));
                expected += 1;
            }
            assert_eq!(producer.free_slots(), 4);
        }
        drop(producer);
        assert_eq!(consumer.try_pop(), Err(TryPopError::Disconnected));
    }
}
