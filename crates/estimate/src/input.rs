//! Validated inputs shared by the estimators: prices, event-time clocks and log returns.

use crate::error::EstimateError;

/// Nanoseconds in the year used for annualisation: 365.25 days of 86 400 s.
pub const NS_PER_YEAR: f64 = 365.25 * 86_400.0 * 1e9;

/// Checks that a price (or a macro level) is finite and strictly positive.
pub fn check_price(price: f64) -> Result<f64, EstimateError> {
    if price.is_finite() && price > 0.0 {
        Ok(price)
    } else {
        Err(EstimateError::InvalidPrice(price))
    }
}

/// Checks that a value is finite.
pub(crate) fn check_finite(name: &'static str, value: f64) -> Result<f64, EstimateError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(EstimateError::InvalidValue { name, value })
    }
}

/// The event-time clock of one stream: refuses timestamps that do not strictly increase.
///
/// Time comes only from events (nanoseconds, venue or oracle time), never from the wall clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventClock {
    last_ns: Option<u64>,
}

impl EventClock {
    /// The last accepted timestamp, if any.
    pub fn last_ns(&self) -> Option<u64> {
        self.last_ns
    }

    /// Accepts `t_ns` if it is after the previous timestamp and returns the gap since it
    /// (`None` for the first); a duplicate or out-of-order timestamp is an error and leaves
    /// the clock unchanged.
    pub fn advance(&mut self, t_ns: u64) -> Result<Option<u64>, EstimateError> {
        let gap = match self.last_ns {
            Some(last_ns) if t_ns <= last_ns => {
                return Err(EstimateError::NonIncreasingTime {
                    last_ns,
                    got_ns: t_ns,
                });
            }
            Some(last_ns) => Some(t_ns - last_ns),
            None => None,
        };
        self.last_ns = Some(t_ns);
        Ok(gap)
    }
}

/// One log return between two consecutive accepted prints of a stream.
///
/// Only [`LogReturns`] builds these, so a `Return` always has a strictly positive gap and a
/// finite log return.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Return {
    t_ns: u64,
    dt_ns: u64,
    log_return: f64,
}

impl Return {
    /// Event time of the print that closes the return, ns.
    pub fn t_ns(&self) -> u64 {
        self.t_ns
    }
    /// Gap since the previous print, ns (> 0).
    pub fn dt_ns(&self) -> u64 {
        self.dt_ns
    }
    /// `ln(p_t / p_prev)`.
    pub fn log_return(&self) -> f64 {
        self.log_return
    }
}

/// Turns a stream of `(t_ns, price)` prints into log returns, validating each print.
///
/// ```
/// use recal_estimate::LogReturns;
/// let mut returns = LogReturns::default();
/// assert_eq!(returns.update(1_000, 100.0).unwrap(), None); // first print: no return yet
/// let r = returns.update(2_000, 101.0).unwrap().unwrap();
/// assert_eq!(r.dt_ns(), 1_000);
/// assert!((r.log_return() - (1.01f64).ln()).abs() < 1e-15);
/// assert!(returns.update(2_000, 102.0).is_err()); // duplicate timestamp refused
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LogReturns {
    clock: EventClock,
    last_price: f64,
}

impl LogReturns {
    /// Feeds one print. Returns the log return since the previous print (`None` on the first),
    /// or an error, in which case nothing changes.
    pub fn update(&mut self, t_ns: u64, price: f64) -> Result<Option<Return>, EstimateError> {
        let price = check_price(price)?;
        let gap = self.clock.advance(t_ns)?;
        let previous = std::mem::replace(&mut self.last_price, price);
        Ok(gap.map(|dt_ns| Return {
            t_ns,
            dt_ns,
            log_return: (price / previous).ln(),
        }))
    }

    /// The last accepted price, if any.
    pub fn last_price(&self) -> Option<f64> {
        self.clock.last_ns().map(|_| self.last_price)
    }

    /// The last accepted timestamp, if any.
    pub fn last_ns(&self) -> Option<u64> {
        self.clock.last_ns()
    }
}
