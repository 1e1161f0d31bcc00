//! The reading half of a ring and its batch view, [`ReadChunk`].

use core::cell::Cell;
use core::marker::PhantomData;

use crate::error::{PopError, TryPopError};
use crate::primitive::{Arc, Ordering};
use crate::shared::{CLOSED, POSITION_MASK, Shared, SlotMap, advance, distance};
use crate::wait::{WaitStrategy, Waiter};

/// The reading half of a ring. `Send` but neither `Clone` nor `Sync`: exactly one thread pops
/// at a time.
///
/// ```compile_fail
/// fn needs_sync<T: Sync>(_: T) {}
/// let (_producer, consumer) = recal_ring::ring::<u64>(4, Default::default()).unwrap();
/// needs_sync(consumer);
/// ```
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    /// Copy of the shared slot map, read on every operation.
    slots: SlotMap<T>,
    /// The consumer's own copy of `shared.head`; it is the only writer, so this is exact.
    head: usize,
    /// The producer's `tail` position as last read. Only ever behind the real one, so it can
    /// only under-report items; re-read when it says the ring lacks items.
    cached_tail: usize,
    /// Whether the last read of `tail` carried the producer's close flag.
    producer_gone: bool,
    /// The ring's wait strategy. Under `Backoff` the producer may park, so every release
    /// checks whether to wake it.
    wait: WaitStrategy,
    _not_sync: PhantomData<Cell<()>>,
}

impl<T> Consumer<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>, wait: WaitStrategy) -> Self {
        let head = shared.head.load(Ordering::Relaxed);
        let cached_tail = shared.tail.load(Ordering::Relaxed);
        Self {
            slots: shared.slot_map(),
            shared,
            head,
            cached_tail,
            producer_gone: false,
            wait,
            _not_sync: PhantomData,
        }
    }

    /// Number of items the ring holds when full.
    pub fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Number of items ready to read right now (re-reads the producer's position).
    pub fn len(&mut self) -> usize {
        self.refresh_tail();
        distance(self.head, self.cached_tail)
    }

    /// Whether no item is ready to read right now.
    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
    }

    /// Whether the producer was dropped. Items it pushed before that can still be read.
    pub fn is_abandoned(&self) -> bool {
        self.shared.tail.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Re-reads the producer's index word: its position and its close flag, in one load.
    #[inline(always)]
    fn refresh_tail(&mut self) {
        let tail = self.shared.tail.load(Ordering::Acquire);
        self.cached_tail = tail & POSITION_MASK;
        self.producer_gone = tail & CLOSED != 0;
    }

    /// Items ready according to the cached tail, re-reading the real tail only when the cache
    /// reports fewer than `wanted`.
    #[inline(always)]
    fn available_at_least(&mut self, wanted: usize) -> usize {
        let available = distance(self.head, self.cached_tail);
        if available >= wanted {
            return available;
        }
        self.refresh_tail();
        distance(self.head, self.cached_tail)
    }

    /// Pops the oldest item if there is one; never waits.
    #[inline]
    pub fn try_pop(&mut self) -> Result<T, TryPopError> {
        if self.available_at_least(1) == 0 {
            // `available_at_least` re-read the tail word, so `producer_gone` is as fresh as
            // the position that says the ring is empty: no item can hide behind the flag.
            return Err(if self.producer_gone {
                TryPopError::Disconnected
            } else {
                TryPopError::Empty
            });
        }
        self.shared.access.read(self.slots.index(self.head), 1);
        // SAFETY: position `head` is below the published tail, so its slot holds an
        // initialised item that the consumer owns; reading it moves the item out, and the slot
        // is handed back to the producer as uninitialised right after.
        let item = unsafe { (*self.slots.slot(self.head)).assume_init_read() };
        self.release_positions(1);
        Ok(item)
    }

    /// Pops the oldest item, waiting with the ring's [`WaitStrategy`] while the ring is empty.
    /// Fails only once the ring is drained and the producer was dropped.
    pub fn pop(&mut self) -> Result<T, PopError> {
        let mut waiter = Waiter::new(self.wait);
        loop {
            match self.try_pop() {
                Ok(item) => return Ok(item),
                Err(TryPopError::Disconnected) => return Err(PopError),
                Err(TryPopError::Empty) => {}
            }
            let shared = &*self.shared;
            let head = self.head;
            // The raw tail word equals `head` only while the ring is empty *and* the producer
            // is alive (a close sets the top bit).
            waiter.idle(&shared.consumer_parker, || {
                shared.tail.load(Ordering::Acquire) == head
            });
        }
    }

    /// Borrows up to `max` contiguous ready items in place. Nothing leaves the ring until
    /// [`ReadChunk::release`] (or iterating the chunk by value); the chunk may be shorter than
    /// `max` (fewer ready, or they wrap around the end of the buffer) and may be empty.
    ///
    /// ```
    /// let (mut producer, mut consumer) = recal_ring::ring::<u32>(8, Default::default()).unwrap();
    /// producer.push_slice(&[1, 2, 3, 4]);
    /// let chunk = consumer.read(3);
    /// assert_eq!(chunk.as_slice(), &[1, 2, 3]);
    /// chunk.release(2);
    /// assert_eq!(consumer.try_pop(), Ok(3));
    /// ```
    #[inline]
    pub fn read(&mut self, max: usize) -> ReadChunk<'_, T> {
        let wanted = max.min(self.slots.contiguous_from(self.head));
        let len = wanted.min(self.available_at_least(wanted));
        if len > 0 {
            self.shared.access.read(self.slots.index(self.head), len);
        }
        ReadChunk {
            consumer: self,
            len,
        }
    }

    /// Hands `count` read positions back to the producer.
    #[inline(always)]
    fn release_positions(&mut self, count: usize) {
        self.head = advance(self.head, count);
        self.shared.head.store(self.head, Ordering::Release);
        if self.wait == WaitStrategy::Backoff {
            self.shared.producer_parker.unpark_if_waiting();
        }
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        self.shared
            .head
            .store(self.head | CLOSED, Ordering::Release);
        self.shared.producer_parker.unpark_if_waiting();
    }
}

impl<T> core::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Consumer")
            .field("capacity", &self.capacity())
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

/// Contiguous ready items borrowed by [`Consumer::read`]. Read them in place with
/// [`as_slice`](Self::as_slice) (zero-copy), then hand slots back with
/// [`release`](Self::release) — one index update for the whole batch — or move them out by
/// iterating the chunk by value. Dropping the chunk without either leaves the items in the
/// ring.
pub struct ReadChunk<'a, T> {
    consumer: &'a mut Consumer<T>,
    /// Number of borrowed items, starting at the consumer's head.
    len: usize,
}

impl<'a, T> ReadChunk<'a, T> {
    /// Number of items borrowed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no item was ready.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The borrowed items, oldest first.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        let start = self.consumer.slots.slot(self.consumer.head);
        // SAFETY: the `len` slots from `start` are initialised (below the tail the consumer
        // read), contiguous (`read` never crosses the buffer's end) and owned by the consumer,
        // which this chunk borrows mutably; `MaybeUninit<T>` has `T`'s layout.
        unsafe { core::slice::from_raw_parts(start.cast::<T>(), self.len) }
    }

    /// Drops the first `count` items (at most all of them) and hands their slots back to the
    /// producer with one index update. Returns how many were released.
    #[inline]
    pub fn release(self, count: usize) -> usize {
        let count = count.min(self.len);
        if core::mem::needs_drop::<T>() {
            for offset in 0..count {
                let position = advance(self.consumer.head, offset);
                // SAFETY: the item at `position` is initialised and owned by the consumer, and
                // is dropped exactly once, before its slot is released below.
                unsafe { (*self.consumer.slots.slot(position)).assume_init_drop() };
            }
        }
        if count > 0 {
            self.consumer.release_positions(count);
        }
        count
    }

    /// Releases every borrowed item. Returns how many.
    #[inline]
    pub fn release_all(self) -> usize {
        let count = self.len;
        self.release(count)
    }
}

impl<'a, T> IntoIterator for ReadChunk<'a, T> {
    type Item = T;
    type IntoIter = ReadChunkIntoIter<'a, T>;

    /// Moves the items out, oldest first. The slots of the items taken are released together
    /// when the iterator is dropped; items not taken stay in the ring.
    fn into_iter(self) -> Self::IntoIter {
        ReadChunkIntoIter {
            consumer: self.consumer,
            len: self.len,
            taken: 0,
        }
    }
}

/// By-value iterator over a [`ReadChunk`]; releases the slots it moved items out of when
/// dropped, with one index update.
pub struct ReadChunkIntoIter<'a, T> {
    consumer: &'a mut Consumer<T>,
    len: usize,
    /// Items `0..taken` were moved out and await release.
    taken: usize,
}

impl<T> Iterator for ReadChunkIntoIter<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.taken == self.len {
            return None;
        }
        let position = advance(self.consumer.head, self.taken);
        // SAFETY: `taken < len`, so the item at `position` is initialised, owned by the
        // consumer and not yet moved out; `taken` advances so it is never read twice.
        let item = unsafe { (*self.consumer.slots.slot(position)).assume_init_read() };
        self.taken += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.taken;
        (left, Some(left))
    }
}

impl<T> ExactSizeIterator for ReadChunkIntoIter<'_, T> {}

impl<T> Drop for ReadChunkIntoIter<'_, T> {
    fn drop(&mut self) {
        if self.taken > 0 {
            self.consumer.release_positions(self.taken);
        }
    }
}
