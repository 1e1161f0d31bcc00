//! Stale-source detection in event time.

use crate::error::EstimateError;

/// Flags a source that has not updated for longer than a configured age.
///
/// "Now" is the timestamp of whatever event is being processed (another source, a heartbeat),
/// never the wall clock.
///
/// ```
/// use recal_estimate::StaleDetector;
/// let mut s = StaleDetector::new(10).unwrap();
/// assert!(s.is_stale(0)); // never heard from
/// s.touch(100);
/// assert!(!s.is_stale(110));
/// assert!(s.is_stale(111));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleDetector {
    max_age_ns: u64,
    last_update_ns: Option<u64>,
}

impl StaleDetector {
    /// Stale after more than `max_age_ns` (> 0) without an update.
    pub fn new(max_age_ns: u64) -> Result<Self, EstimateError> {
        if max_age_ns == 0 {
            return Err(EstimateError::InvalidConfig("max age must be > 0"));
        }
        Ok(StaleDetector {
            max_age_ns,
            last_update_ns: None,
        })
    }

    /// Records an update of the source at `t_ns` (older timestamps than the last are ignored).
    pub fn touch(&mut self, t_ns: u64) {
        self.last_update_ns = Some(self.last_update_ns.map_or(t_ns, |last| last.max(t_ns)));
    }

    /// True when the source never updated, or last updated more than the max age before
    /// `now_ns`.
    pub fn is_stale(&self, now_ns: u64) -> bool {
        self.last_update_ns
            .is_none_or(|last| now_ns.saturating_sub(last) > self.max_age_ns)
    }

    /// Age of the last update at `now_ns`, `None` if never updated.
    pub fn age_ns(&self, now_ns: u64) -> Option<u64> {
        self.last_update_ns.map(|last| now_ns.saturating_sub(last))
    }
}
