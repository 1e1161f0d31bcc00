//! Event time.

use serde::{Deserialize, Serialize};

/// Nanoseconds per second.
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// An event-time instant: nanoseconds since the Unix epoch, as stamped by the venue or oracle
/// that produced the event.
///
/// Logic never reads the wall clock (`DESIGN.md`, "Determinism"); every time a stage reasons
/// about comes from an event, so replaying a journal reproduces it exactly. A `u64` of
/// nanoseconds reaches the year 2554.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The instant `nanos` nanoseconds after the Unix epoch.
    #[must_use]
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// The instant `seconds` whole seconds after the Unix epoch, or `None` if it does not fit.
    #[must_use]
    pub const fn from_unix_seconds(seconds: u64) -> Option<Self> {
        match seconds.checked_mul(NANOS_PER_SECOND) {
            Some(nanos) => Some(Self(nanos)),
            None => None,
        }
    }

    /// Nanoseconds since the Unix epoch.
    #[must_use]
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Whole seconds since the Unix epoch, rounded down: the unit of `block.timestamp` and of a
    /// proposal's `validAfter` and `expiry`.
    ///
    /// ```
    /// use recal_types::Timestamp;
    /// assert_eq!(Timestamp::from_nanos(1_999_999_999).as_unix_seconds(), 1);
    /// ```
    #[must_use]
    pub const fn as_unix_seconds(self) -> u64 {
        self.0 / NANOS_PER_SECOND
    }

    /// Nanoseconds elapsed from `earlier` to `self`, zero if `earlier` is later (event times
    /// from different sources may be slightly out of order).
    #[must_use]
    pub const fn saturating_nanos_since(self, earlier: Self) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let t = Timestamp::from_unix_seconds(1_700_000_000).unwrap();
        assert_eq!(t.as_nanos(), 1_700_000_000_000_000_000);
        assert_eq!(t.as_unix_seconds(), 1_700_000_000);
        assert_eq!(
            Timestamp::from_unix_seconds(u64::MAX / 1_000_000_000 + 1),
            None
        );
        let later = Timestamp::from_nanos(t.as_nanos() + 5);
        assert_eq!(later.saturating_nanos_since(t), 5);
        assert_eq!(t.saturating_nanos_since(later), 0);
    }

    #[test]
    fn serializes_as_plain_nanoseconds() {
        let t = Timestamp::from_nanos(42);
        assert_eq!(serde_json::to_string(&t).unwrap(), "42");
    }
}
