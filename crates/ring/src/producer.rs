//! The writing half of a ring and its batch view, [`WriteChunk`].

use core::cell::Cell;
use core::marker::PhantomData;
use core::mem::MaybeUninit;

use crate::error::{PushError, TryPushError};
use crate::primitive::{Arc, Ordering};
use crate::shared::{CLOSED, POSITION_MASK, Shared, SlotMap, advance, distance};
use crate::wait::{WaitStrategy, Waiter};

/// The writing half of a ring. `Send` but neither `Clone` nor `Sync`: exactly one thread
/// pushes at a time.
///
/// ```
/// let (mut producer, mut consumer) = recal_ring::ring::<u64>(4, Default::default()).unwrap();
/// producer.try_push(7).unwrap();
/// assert_eq!(consumer.try_pop(), Ok(7));
/// ```
///
/// ```compile_fail
/// fn needs_clone<T: Clone>(_: T) {}
/// let (producer, _consumer) = recal_ring::ring::<u64>(4, Default::default()).unwrap();
/// needs_clone(producer);
/// ```
///
/// ```compile_fail
/// fn needs_sync<T: Sync>(_: T) {}
/// let (producer, _consumer) = recal_ring::ring::<u64>(4, Default::default()).unwrap();
/// needs_sync(producer);
/// ```
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    /// Copy of the shared slot map, read on every operation.
    slots: SlotMap<T>,
    /// The producer's own copy of `shared.tail`; it is the only writer, so this is exact.
    tail: usize,
    /// The consumer's `head` position as last read. Only ever behind the real one, so it can
    /// only under-report free space; re-read when it says the ring lacks room.
    cached_head: usize,
    /// Whether the last read of `head` carried the consumer's close flag.
    consumer_gone: bool,
    /// The ring's wait strategy. Under `Backoff` the consumer may park, so every publish checks
    /// whether to wake it. Kept here rather than read from `Shared`, so the hot path tests a
    /// field of its own.
    wait: WaitStrategy,
    _not_sync: PhantomData<Cell<()>>,
}

impl<T> Producer<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>, wait: WaitStrategy) -> Self {
        let tail = shared.tail.load(Ordering::Relaxed);
        let cached_head = shared.head.load(Ordering::Relaxed);
        Self {
            slots: shared.slot_map(),
            shared,
            tail,
            cached_head,
            consumer_gone: false,
            wait,
            _not_sync: PhantomData,
        }
    }

    /// Number of items the ring holds when full.
    pub fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Number of free slots right now (re-reads the consumer's position).
    pub fn free_slots(&mut self) -> usize {
        self.refresh_head();
        self.capacity() - distance(self.cached_head, self.tail)
    }

    /// Whether the consumer was dropped. Items pushed after that are dropped with the ring.
    pub fn is_abandoned(&self) -> bool {
        self.shared.head.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Re-reads the consumer's index word: its position and its close flag, in one load.
    #[inline(always)]
    fn refresh_head(&mut self) {
        let head = self.shared.head.load(Ordering::Acquire);
        self.cached_head = head & POSITION_MASK;
        self.consumer_gone = head & CLOSED != 0;
    }

    /// Free slots according to the cached head, re-reading the real head only when the cache
    /// reports fewer than `wanted`.
    #[inline(always)]
    fn free_at_least(&mut self, wanted: usize) -> usize {
        let capacity = self.capacity();
        let free = capacity - distance(self.cached_head, self.tail);
        if free >= wanted {
            return free;
        }
        self.refresh_head();
        capacity - distance(self.cached_head, self.tail)
    }

    /// Pushes `item` if there is room; never waits.
    #[inline]
    pub fn try_push(&mut self, item: T) -> Result<(), TryPushError<T>> {
        if self.free_at_least(1) == 0 {
            // `free_at_least` re-read the head word, so `consumer_gone` is as fresh as the
            // position that says the ring is full.
            return Err(if self.consumer_gone {
                TryPushError::Disconnected(item)
            } else {
                TryPushError::Full(item)
            });
        }
        self.shared.access.write(self.slots.index(self.tail), 1);
        // SAFETY: there is a free slot at `tail`, which the producer owns (type invariants of
        // `Shared`); writing it does not drop the uninitialised old contents.
        unsafe { (*self.slots.slot(self.tail)).write(item) };
        self.publish(advance(self.tail, 1));
        Ok(())
    }

    /// Pushes `item`, waiting with the ring's [`WaitStrategy`] while it is full. Fails, giving
    /// the item back, only if the consumer was dropped.
    pub fn push(&mut self, mut item: T) -> Result<(), PushError<T>> {
        let mut waiter = Waiter::new(self.wait);
        loop {
            match self.try_push(item) {
                Ok(()) => return Ok(()),
                Err(TryPushError::Disconnected(back)) => return Err(PushError(back)),
                Err(TryPushError::Full(back)) => item = back,
            }
            let shared = &*self.shared;
            let (tail, capacity) = (self.tail, self.capacity());
            waiter.idle(&shared.producer_parker, || {
                let head = shared.head.load(Ordering::Acquire);
                head & CLOSED == 0 && distance(head, tail) == capacity
            });
        }
    }

    /// Reserves up to `max` contiguous free slots to write in place; publish them with
    /// [`WriteChunk::commit`]. The chunk may be shorter than `max` (ring nearly full, or the
    /// free space wraps around the end of the buffer), and may be empty.
    ///
    /// ```
    /// let (mut producer, mut consumer) = recal_ring::ring::<u32>(8, Default::default()).unwrap();
    /// let mut chunk = producer.reserve(3);
    /// for value in [1, 2, 3] {
    ///     chunk.push(value).unwrap();
    /// }
    /// assert_eq!(chunk.commit(), 3);
    /// assert_eq!(consumer.read(8).as_slice(), &[1, 2, 3]);
    /// ```
    #[inline]
    pub fn reserve(&mut self, max: usize) -> WriteChunk<'_, T> {
        let wanted = max.min(self.slots.contiguous_from(self.tail));
        let len = wanted.min(self.free_at_least(wanted));
        WriteChunk {
            producer: self,
            len,
            written: 0,
        }
    }

    /// Copies as many items from `items` as fit, in at most two contiguous pieces, with one
    /// index update. Returns how many were pushed.
    pub fn push_slice(&mut self, items: &[T]) -> usize
    where
        T: Copy,
    {
        let first = self.reserve(items.len()).copy_from_slice(items);
        if first == items.len() {
            return first;
        }
        first
            + self
                .reserve(items.len() - first)
                .copy_from_slice(&items[first..])
    }

    /// Makes positions up to `new_tail` visible to the consumer.
    #[inline(always)]
    fn publish(&mut self, new_tail: usize) {
        self.tail = new_tail;
        self.shared.tail.store(new_tail, Ordering::Release);
        if self.wait == WaitStrategy::Backoff {
            self.shared.consumer_parker.unpark_if_waiting();
        }
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        self.shared
            .tail
            .store(self.tail | CLOSED, Ordering::Release);
        self.shared.consumer_parker.unpark_if_waiting();
    }
}

impl<T> core::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Producer")
            .field("capacity", &self.capacity())
            .field("tail", &self.tail)
            .finish_non_exhaustive()
    }
}

/// Contiguous free slots reserved by [`Producer::reserve`], written in place and published
/// all at once by [`commit`](WriteChunk::commit) with a single index update.
///
/// Items written but not committed are dropped with the chunk and never reach the consumer.
pub struct WriteChunk<'a, T> {
    producer: &'a mut Producer<T>,
    /// Number of reserved slots, starting at the producer's tail.
    len: usize,
    /// Slots `0..written` are initialised.
    written: usize,
}

impl<T> WriteChunk<'_, T> {
    /// Number of slots reserved.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no slot could be reserved.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Writes `item` into the next reserved slot, or gives it back if all are written.
    #[inline]
    pub fn push(&mut self, item: T) -> Result<(), T> {
        if self.written == self.len {
            return Err(item);
        }
        // SAFETY: `written < len`, so the slot is reserved and not yet initialised.
        unsafe { (*self.slot(self.written)).write(item) };
        self.written += 1;
        Ok(())
    }

    /// The reserved slots not yet written, for writing in place (e.g. decoding straight into
    /// the ring). Mark what you wrote with [`assume_written`](Self::assume_written).
    pub fn unwritten_mut(&mut self) -> &mut [MaybeUninit<T>] {
        // SAFETY: slots `written..len` are reserved for this chunk, contiguous (reserve never
        // crosses the end of the buffer) and reached by nobody else while `self` borrows the
        // producer mutably.
        unsafe { core::slice::from_raw_parts_mut(self.slot(self.written), self.len - self.written) }
    }

    /// Declares that the first `count` slots of [`unwritten_mut`](Self::unwritten_mut) were
    /// initialised.
    ///
    /// # Safety
    /// `count` must not exceed the length `unwritten_mut` returned, and each of those `count`
    /// slots must hold a valid `T`.
    pub unsafe fn assume_written(&mut self, count: usize) {
        debug_assert!(count <= self.len - self.written);
        self.written += count;
    }

    /// Writes items from `items` until the chunk is full or the iterator ends, then commits.
    /// Returns how many were pushed.
    /// (Should the iterator panic, the items it had already yielded are leaked, not dropped.)
    #[inline]
    pub fn fill_from_iter(mut self, items: impl IntoIterator<Item = T>) -> usize {
        let mut count = 0;
        for (slot, item) in self.unwritten_mut().iter_mut().zip(items) {
            slot.write(item);
            count += 1;
        }
        self.written += count;
        self.commit()
    }

    /// Publishes the written slots to the consumer with one index update. Returns how many.
    #[inline]
    pub fn commit(mut self) -> usize {
        let count = core::mem::take(&mut self.written);
        if count > 0 {
            let producer = &mut *self.producer;
            producer
                .shared
                .access
                .write(producer.slots.index(producer.tail), count);
            producer.publish(advance(producer.tail, count));
        }
        count
    }

    #[inline(always)]
    fn slot(&self, offset: usize) -> *mut MaybeUninit<T> {
        self.producer
            .slots
            .slot(advance(self.producer.tail, offset))
    }
}

impl<T: Copy> WriteChunk<'_, T> {
    /// Copies as many items from `items` as the chunk still has room for, then commits.
    /// Returns how many were pushed.
    #[inline]
    pub fn copy_from_slice(mut self, items: &[T]) -> usize {
        let count = items.len().min(self.len - self.written);
        let destination = self.slot(self.written).cast::<T>();
        // SAFETY: `count` reserved, unwritten, contiguous slots start at `destination`; they
        // cannot overlap `items`, which the caller borrows from outside the ring.
        unsafe { core::ptr::copy_nonoverlapping(items.as_ptr(), destination, count) };
        self.written += count;
        self.commit()
    }
}

impl<T> Drop for WriteChunk<'_, T> {
    fn drop(&mut self) {
        for offset in 0..self.written {
            // SAFETY: slots `0..written` were initialised by this chunk and never published,
            // so they are dropped here exactly once.
            unsafe { (*self.slot(offset)).assume_init_drop() };
        }
    }
}
