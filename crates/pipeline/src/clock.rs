//! The clock of the latency metrics (never read by stage logic).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Monotonic nanoseconds on the Unix-epoch scale: the Unix time at creation plus the monotonic
/// time elapsed since. Receive timestamps and stage-exit times are both read from it, so their
/// difference is a latency that a wall-clock step cannot make negative.
#[derive(Debug, Clone, Copy)]
pub struct LatencyClock {
    anchor_unix_ns: u64,
    start: Instant,
}

impl Default for LatencyClock {
    fn default() -> Self {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            anchor_unix_ns: u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX),
            start: Instant::now(),
        }
    }
}

impl LatencyClock {
    /// Now, in ns since the Unix epoch.
    #[must_use]
    pub fn now_ns(&self) -> u64 {
        let elapsed = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.anchor_unix_ns.saturating_add(elapsed)
    }
}
