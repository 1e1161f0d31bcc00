//! Where receive timestamps come from.

use std::time::{SystemTime, UNIX_EPOCH};

use recal_types::Timestamp;

/// A source of receive timestamps. The ingress reads it once per read from a socket or file
/// (every message of that read shares the time it arrived) and once per datagram.
///
/// Any `FnMut() -> Timestamp + Send` closure is a clock, which is how tests make receive times
/// deterministic:
///
/// ```
/// use recal_ingress::Clock;
/// use recal_types::Timestamp;
/// let mut tick = 0;
/// let mut clock = move || {
///     tick += 1;
///     Timestamp::from_nanos(tick)
/// };
/// assert_eq!(clock.now(), Timestamp::from_nanos(1));
/// assert_eq!(clock.now(), Timestamp::from_nanos(2));
/// ```
pub trait Clock: Send {
    /// The current time.
    fn now(&mut self) -> Timestamp;
}

impl<F: FnMut() -> Timestamp + Send> Clock for F {
    fn now(&mut self) -> Timestamp {
        self()
    }
}

/// The wall clock (`SystemTime`), nanoseconds since the Unix epoch; the default. Receive times
/// only feed latency metrics, so a wall clock stepping backwards costs a metric, not a result.
#[derive(Debug, Clone, Copy, Default)]
pub struct WallClock;

impl Clock for WallClock {
    fn now(&mut self) -> Timestamp {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
            });
        Timestamp::from_nanos(nanos)
    }
}
