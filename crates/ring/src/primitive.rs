//! The synchronisation primitives the ring is built from, swapped for loom's model-checked
//! twins under `--cfg loom` (the crossbeam pattern). The ring imports atomics, `Arc`, `Mutex`
//! and thread parking only from here, so the exact code that ships is the code loom checks.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex};
#[cfg(loom)]
pub(crate) use loom::thread;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex};
#[cfg(not(loom))]
pub(crate) use std::thread;

/// One step of a busy wait. Under loom a spin must hand control to the model checker, or an
/// exploration that waits on the other thread would never end.
#[inline(always)]
pub(crate) fn spin_hint() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}

/// Race detection for the ring's slots.
///
/// The slots themselves are `std::cell::UnsafeCell`s, because the batch API hands out
/// contiguous slices, which loom's cells cannot. Under loom every slot gets a companion
/// `loom::cell::UnsafeCell<()>` that is "accessed" whenever the real slot is, so loom checks
/// that each write to a slot happens after the previous lap's read of it, and each read after
/// the write. Outside loom this is a zero-sized no-op.
#[cfg(loom)]
pub(crate) struct SlotAccess(Box<[loom::cell::UnsafeCell<()>]>);

#[cfg(loom)]
impl SlotAccess {
    pub(crate) fn new(capacity: usize) -> Self {
        Self(
            (0..capacity)
                .map(|_| loom::cell::UnsafeCell::new(()))
                .collect(),
        )
    }

    /// Records a write of `len` slots starting at slot index `start` (no wrap).
    pub(crate) fn write(&self, start: usize, len: usize) {
        for cell in &self.0[start..start + len] {
            cell.with_mut(|_| ());
        }
    }

    /// Records a read of `len` slots starting at slot index `start` (no wrap).
    pub(crate) fn read(&self, start: usize, len: usize) {
        for cell in &self.0[start..start + len] {
            cell.with(|_| ());
        }
    }
}

#[cfg(not(loom))]
pub(crate) struct SlotAccess;

#[cfg(not(loom))]
impl SlotAccess {
    #[inline(always)]
    pub(crate) fn new(_capacity: usize) -> Self {
        Self
    }

    #[inline(always)]
    pub(crate) fn write(&self, _start: usize, _len: usize) {}

    #[inline(always)]
    pub(crate) fn read(&self, _start: usize, _len: usize) {}
}
