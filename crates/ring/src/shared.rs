//! The state both halves of a ring point to.

use core::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use crate::primitive::{AtomicUsize, Ordering, SlotAccess};
use crate::wait::Parker;

/// Top bit of an index word: set by a half when it is dropped.
pub(crate) const CLOSED: usize = 1 << (usize::BITS - 1);

/// The bits of an index word that hold the position.
pub(crate) const POSITION_MASK: usize = !CLOSED;

/// Largest capacity whose fill level `0..=capacity` fits in a masked distance.
pub(crate) const MAX_CAPACITY: usize = 1 << (usize::BITS - 2);

/// `position + count`, wrapping within [`POSITION_MASK`].
#[inline(always)]
pub(crate) fn advance(position: usize, count: usize) -> usize {
    position.wrapping_add(count) & POSITION_MASK
}

/// Number of positions from `from` up to `to`, wrapping within [`POSITION_MASK`].
#[inline(always)]
pub(crate) fn distance(from: usize, to: usize) -> usize {
    to.wrapping_sub(from) & POSITION_MASK
}

/// The ring's shared state.
///
/// Positions (`head`, `tail`) are free-running counters that wrap within [`POSITION_MASK`]; a
/// position `p` lives in slot `p & mask`. The number of items is `distance(head, tail)`, always
/// in `0..=capacity`. The top bit of each index word is its half's [`CLOSED`] flag, so one load
/// of the peer's index tells both how far it got and whether it is gone — and, as the flag is
/// set after the half's last publish on the same atomic, a reader that sees it also sees the
/// final position.
///
/// Invariants:
/// - slots at positions `head..tail` are initialised and owned by the consumer;
/// - slots at positions `tail..head + capacity` are uninitialised and owned by the producer;
/// - only the producer stores `tail`, only the consumer stores `head`, each with `Release`
///   after it has finished with the slots it hands over, and each reads the other's with
///   `Acquire` before touching the slots it gains.
pub(crate) struct Shared<T> {
    /// Next position the consumer reads, plus [`CLOSED`] once the consumer is dropped.
    /// Stored only by the consumer.
    pub(crate) head: CachePadded<AtomicUsize>,
    /// Next position the producer writes, plus [`CLOSED`] once the producer is dropped.
    /// Stored only by the producer.
    pub(crate) tail: CachePadded<AtomicUsize>,
    /// Where the producer parks while the ring is full.
    pub(crate) producer_parker: Parker,
    /// Where the consumer parks while the ring is empty.
    pub(crate) consumer_parker: Parker,
    pub(crate) access: SlotAccess,
    /// The buffer (owned: allocated in `new`, freed in `drop`) and its mask.
    map: SlotMap<T>,
}

// SAFETY: the slots are the only state not behind atomics or a mutex. The head/tail protocol
// (see the type's invariants) gives each slot exactly one owner at a time — the producer for
// free slots, the consumer for full ones — and every hand-over is a Release store read by an
// Acquire load, so no slot is accessed from two threads without a happens-before edge. Items
// cross threads, hence `T: Send`; no `&T` is ever shared between the two halves, so `T: Sync`
// is not needed.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        debug_assert!(capacity.is_power_of_two());
        // Released from its `Box` so that both halves may write through the raw address
        // (under the head/tail protocol) without aliasing a `Box`; `drop` rebuilds the `Box`.
        let base = Box::into_raw(Box::<[T]>::new_uninit_slice(capacity)).cast::<MaybeUninit<T>>();
        let map = SlotMap {
            base,
            mask: capacity - 1,
        };
        Self {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            producer_parker: Parker::new(),
            consumer_parker: Parker::new(),
            access: SlotAccess::new(capacity),
            map,
        }
    }

    /// The slot map both halves copy for their hot paths.
    pub(crate) fn slot_map(&self) -> SlotMap<T> {
        self.map
    }
}

/// Where the slots are and how positions map to them. Each half keeps a copy, so the hot path
/// reads the buffer address and mask from the half's own memory instead of through the `Arc`
/// (after an `Acquire` load the compiler may not reuse them from before it).
pub(crate) struct SlotMap<T> {
    /// First slot of the buffer owned by `Shared`.
    base: *mut MaybeUninit<T>,
    /// `capacity - 1`; capacity is a power of two.
    mask: usize,
}

impl<T> Clone for SlotMap<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for SlotMap<T> {}

// SAFETY: a `SlotMap` is an address and a mask. It is only held by `Shared` and by the two
// halves, each of which also holds the `Arc<Shared>` that owns the buffer, so the address stays
// valid wherever the map travels; which thread may touch which slot is governed by the
// head/tail protocol of `Shared`, exactly as for the buffer itself, so `T: Send` suffices.
unsafe impl<T: Send> Send for SlotMap<T> {}
// SAFETY: as for `Send`: sharing the address gives no access by itself.
unsafe impl<T: Send> Sync for SlotMap<T> {}

impl<T> SlotMap<T> {
    #[inline(always)]
    pub(crate) fn capacity(&self) -> usize {
        self.mask + 1
    }

    /// The buffer index of `position`.
    #[inline(always)]
    pub(crate) fn index(&self, position: usize) -> usize {
        position & self.mask
    }

    /// Pointer to the slot of `position`. Contiguous slots may be addressed from it with
    /// `add`, up to the end of the buffer.
    #[inline(always)]
    pub(crate) fn slot(&self, position: usize) -> *mut MaybeUninit<T> {
        // SAFETY: `index <= mask < capacity`, so the offset stays inside the buffer.
        unsafe { self.base.add(self.index(position)) }
    }

    /// Number of contiguous slots from `position` to the end of the buffer.
    #[inline(always)]
    pub(crate) fn contiguous_from(&self, position: usize) -> usize {
        self.capacity() - self.index(position)
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Both halves are gone (this is the last `Arc`), and the `Arc`'s own synchronisation
        // makes their last stores visible here.
        let mut position = self.head.load(Ordering::Relaxed) & POSITION_MASK;
        let tail = self.tail.load(Ordering::Relaxed) & POSITION_MASK;
        while position != tail {
            // SAFETY: positions `head..tail` hold initialised items that nobody else can reach
            // any more; each is dropped exactly once.
            unsafe { (*self.map.slot(position)).assume_init_drop() };
            position = advance(position, 1);
        }
        let buffer = core::ptr::slice_from_raw_parts_mut(self.map.base, self.map.capacity());
        // SAFETY: `buffer` is exactly the allocation `new` released from its `Box`, freed only
        // here, once; its remaining slots are uninitialised, so freeing drops no `T`.
        drop(unsafe { Box::from_raw(buffer) });
    }
}
