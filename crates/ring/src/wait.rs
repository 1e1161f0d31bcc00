//! What a blocking `push` or `pop` does while the ring is full or empty.

use crate::primitive::{AtomicBool, Mutex, Ordering, spin_hint, thread};

/// How a half waits for its peer in the blocking [`Producer::push`](crate::Producer::push) and
/// [`Consumer::pop`](crate::Consumer::pop). Chosen once per ring, for both halves.
///
/// | strategy   | latency | CPU while idle | use when |
/// |------------|---------|----------------|----------|
/// | `BusySpin` | lowest  | 100 % of a core | the thread has a core of its own (pinned placement) |
/// | `Yield`    | low     | high, but shares the core | a few more threads than cores |
/// | `Backoff`  | µs after a long idle | ~0 once parked | idle stages, oversubscribed machines |
///
/// Busy-spinning more threads than there are cores collapses throughput by orders of
/// magnitude (measured here: five spinning stages on two cores ran ~490x slower than two), so
/// `BusySpin` is for pinned threads only.
///
/// Only `Backoff` parks, so only a `Backoff` ring makes the other half pay for a wake-up check
/// (one atomic read-modify-write per publish); the other strategies add nothing to the hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WaitStrategy {
    /// Spin on the peer's index with a CPU spin hint.
    #[default]
    BusySpin,
    /// Give the core back to the OS scheduler between checks.
    Yield,
    /// Spin, then yield, then park the thread until the peer publishes or drops its half
    /// (crossbeam's `Backoff` schedule).
    Backoff,
}

/// A parking spot for one half of the ring: the flag its peer checks after publishing, and the
/// thread to wake.
///
/// The hand-over is a Dekker-style pair of read-modify-writes on `waiting`, so that either the
/// waiter sees the peer's publish, or the peer sees the waiter and unparks it, whatever the
/// interleaving:
/// - waiter: `waiting.swap(true, AcqRel)`, re-check the ring, park, `waiting.store(false)`;
/// - peer: publish the index (Release), then `waiting.fetch_or(false, AcqRel)`; unpark if set.
///
/// Both accesses are RMWs, so they are totally ordered on `waiting`; whichever comes second
/// reads (and synchronises with) the first. A spurious unpark only makes the waiter re-check.
pub(crate) struct Parker {
    waiting: AtomicBool,
    thread: Mutex<Option<thread::Thread>>,
}

impl Parker {
    pub(crate) fn new() -> Self {
        Self {
            waiting: AtomicBool::new(false),
            thread: Mutex::new(None),
        }
    }

    /// Parks the calling thread unless `still_blocked()` turns false once this parker is
    /// visible to the peer. Returns after a wake-up (possibly spurious); the caller re-checks.
    pub(crate) fn park_while(&self, still_blocked: impl FnOnce() -> bool) {
        *self.lock_thread() = Some(thread::current());
        self.waiting.swap(true, Ordering::AcqRel);
        if still_blocked() {
            thread::park();
        }
        self.waiting.store(false, Ordering::Release);
    }

    /// Wakes the thread parked here, if any. Call after publishing an index or closing a half.
    ///
    /// Kept out of line and cold: only `Backoff` rings call it on the hot path, so its
    /// read-modify-write and lock stay out of the push and pop code of every other ring.
    #[cold]
    #[inline(never)]
    pub(crate) fn unpark_if_waiting(&self) {
        if self.waiting.fetch_or(false, Ordering::AcqRel)
            && let Some(thread) = self.lock_thread().as_ref()
        {
            thread.unpark();
        }
    }

    fn lock_thread(&self) -> impl core::ops::DerefMut<Target = Option<thread::Thread>> + '_ {
        // A poisoned lock only means a thread panicked while storing a handle; the handle is
        // still a valid `Option<Thread>`, so carry on with it.
        self.thread
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The state of one blocking call's wait: counts steps of the backoff schedule.
pub(crate) struct Waiter {
    strategy: WaitStrategy,
    #[cfg(not(loom))]
    backoff: crossbeam_utils::Backoff,
}

impl Waiter {
    pub(crate) fn new(strategy: WaitStrategy) -> Self {
        Self {
            strategy,
            #[cfg(not(loom))]
            backoff: crossbeam_utils::Backoff::new(),
        }
    }

    /// Waits one step. `parker` is this half's parking spot and `still_blocked` re-checks the
    /// ring after the parker is published (see [`Parker`]).
    pub(crate) fn idle(&mut self, parker: &Parker, still_blocked: impl FnOnce() -> bool) {
        match self.strategy {
            WaitStrategy::BusySpin => spin_hint(),
            WaitStrategy::Yield => thread::yield_now(),
            WaitStrategy::Backoff => {
                // Under loom the spin/yield phase is skipped so that the model checks parking.
                #[cfg(not(loom))]
                if !self.backoff.is_completed() {
                    self.backoff.snooze();
                    return;
                }
                parker.park_while(still_blocked);
            }
        }
    }
}
