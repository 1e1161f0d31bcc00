//! Reconnect delays of a TCP client: exponential, bounded, with deterministic jitter.

use std::time::Duration;

/// How a TCP client waits between connection attempts.
///
/// The n-th consecutive failed attempt (from 0) waits `min(initial × 2ⁿ, max)`, of which the
/// upper half is jittered: the delay is drawn in `[d/2, d]` by a hash of `(seed, n)`. The
/// jitter is deterministic, so a test or a replay sees the same delays every run, while
/// clients with different seeds (the ingress mixes in the endpoint id) do not reconnect in
/// lockstep. A successful connection starts the sequence again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry (default 100 ms).
    pub initial: Duration,
    /// Longest delay (default 5 s).
    pub max: Duration,
    /// Consecutive failed attempts after which the client gives up; `None` (default) retries
    /// forever.
    pub max_attempts: Option<u32>,
    /// Seed of the jitter.
    pub seed: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
            max_attempts: None,
            seed: 0,
        }
    }
}

impl Backoff {
    /// The delay after `failures` consecutive failed attempts (`failures ≥ 1`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use recal_ingress::Backoff;
    /// let backoff = Backoff { initial: Duration::from_millis(100), max: Duration::from_secs(1), ..Backoff::default() };
    /// for failures in 1..20 {
    ///     let delay = backoff.delay(failures);
    ///     let full = (Duration::from_millis(100) * 2u32.pow((failures - 1).min(10))).min(Duration::from_secs(1));
    ///     assert!(delay >= full / 2 && delay <= full);
    ///     assert_eq!(delay, backoff.delay(failures));
    /// }
    /// ```
    #[must_use]
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(32);
        let full = self
            .initial
            .saturating_mul(1 << doublings.min(31))
            .min(self.max);
        let nanos = u64::try_from(full.as_nanos()).unwrap_or(u64::MAX);
        let half = nanos / 2;
        let jitter = splitmix64(self.seed ^ u64::from(failures)) % (nanos - half + 1);
        Duration::from_nanos(half + jitter)
    }
}

/// SplitMix64's output function: a good 64-bit mix for a deterministic draw.
const fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
