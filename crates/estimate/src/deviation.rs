//! Largest relative price move inside a rolling window of event time (trigger 1: "oracle price
//! moves > 1 % within 5 min").
//!
//! # Definition
//! The window holds the prints with `t ≥ t_now − window` (inclusive, so two prints exactly
//! `window` apart count as "within" it). The deviation is
//! `(max − min) / min` over those prints: the largest `|p_j / p_i − 1|` over any two prints of
//! the window, in either direction (a fall from `max` to `min` or a rise from `min` to `max`;
//! `max/min − 1 ≥ 1 − min/max`, so the rise form bounds both). It does not depend on which
//! print came first, so a round trip (down 1 % and back) inside the window still fires.
//!
//! Min and max come from two monotonic deques: O(1) amortised per print, no scan.

use std::collections::VecDeque;

use crate::error::EstimateError;
use crate::input::{EventClock, check_price};

/// Default window of the deviation trigger: 5 minutes.
pub const DEFAULT_DEVIATION_WINDOW_NS: u64 = 5 * 60 * 1_000_000_000;

/// Rolling-window min, max and relative deviation of a price stream.
///
/// ```
/// use recal_estimate::DeviationWindow;
/// let minute = 60_000_000_000u64;
/// let mut w = DeviationWindow::new(5 * minute, 16).unwrap();
/// w.update(0, 100.0).unwrap();
/// w.update(minute, 99.5).unwrap();
/// w.update(2 * minute, 100.6).unwrap();
/// let d = w.deviation().unwrap();
/// assert!((d - (100.6 / 99.5 - 1.0)).abs() < 1e-15);
/// assert!(d > 0.01); // the 1 % trigger fires
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DeviationWindow {
    window_ns: u64,
    clock: EventClock,
    /// Prints whose price is strictly decreasing from front to back: front is the window max.
    max_queue: VecDeque<(u64, f64)>,
    /// Prints whose price is strictly increasing from front to back: front is the window min.
    min_queue: VecDeque<(u64, f64)>,
}

impl DeviationWindow {
    /// A window of `window_ns` (> 0); `capacity` prints preallocated per deque.
    pub fn new(window_ns: u64, capacity: usize) -> Result<Self, EstimateError> {
        if window_ns == 0 {
            return Err(EstimateError::InvalidConfig("window must be > 0"));
        }
        Ok(DeviationWindow {
            window_ns,
            clock: EventClock::default(),
            max_queue: VecDeque::with_capacity(capacity),
            min_queue: VecDeque::with_capacity(capacity),
        })
    }

    /// Feeds one print and returns the deviation of the window ending at it. On error nothing
    /// changes.
    pub fn update(&mut self, t_ns: u64, price: f64) -> Result<f64, EstimateError> {
        let price = check_price(price)?;
        self.clock.advance(t_ns)?;
        while self.max_queue.back().is_some_and(|&(_, p)| p <= price) {
            self.max_queue.pop_back();
        }
        self.max_queue.push_back((t_ns, price));
        while self.min_queue.back().is_some_and(|&(_, p)| p >= price) {
            self.min_queue.pop_back();
        }
        self.min_queue.push_back((t_ns, price));
        let oldest_kept = t_ns.saturating_sub(self.window_ns);
        for queue in [&mut self.max_queue, &mut self.min_queue] {
            while queue.front().is_some_and(|&(t, _)| t < oldest_kept) {
                queue.pop_front();
            }
        }
        Ok(self.deviation().unwrap_or(0.0))
    }

    /// Highest price in the window, `None` before the first print.
    pub fn max(&self) -> Option<f64> {
        self.max_queue.front().map(|&(_, p)| p)
    }

    /// Lowest price in the window, `None` before the first print.
    pub fn min(&self) -> Option<f64> {
        self.min_queue.front().map(|&(_, p)| p)
    }

    /// `(max − min) / min` over the window, `None` before the first print.
    pub fn deviation(&self) -> Option<f64> {
        Some((self.max()? - self.min()?) / self.min()?)
    }
}
