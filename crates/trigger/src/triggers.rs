//! Trigger conditions: which fired at an update, and which are active.

use recal_types::{Timestamp, TriggerCause};

use crate::config::Thresholds;
use crate::inputs::{FeedStatus, RiskInputs};

/// Number of input-driven triggers (causes with codes 1 to 5).
const TRIGGER_COUNT: usize = 5;

/// The input-driven triggers, in code (and priority) order.
const TRIGGERS: [TriggerCause; TRIGGER_COUNT] = [
    TriggerCause::Deviation,
    TriggerCause::FundLow,
    TriggerCause::OiSkew,
    TriggerCause::VolOfVolAcceleration,
    TriggerCause::StaleFeed,
];

/// The input values that made a trigger fire, with the threshold they crossed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Evidence {
    /// The price deviation within the window exceeded the threshold.
    Deviation {
        /// Observed deviation (fraction).
        deviation: f64,
        /// Threshold (fraction).
        threshold: f64,
    },
    /// The insurance fund fell below its floor relative to total collateral.
    FundLow {
        /// Insurance fund (notional).
        insurance_fund: f64,
        /// Total collateral (notional).
        total_collateral: f64,
        /// Floor of their ratio.
        threshold: f64,
    },
    /// The open-interest skew passed its threshold.
    OiSkew {
        /// Long open interest (notional).
        open_interest_long: f64,
        /// Short open interest (notional).
        open_interest_short: f64,
        /// Threshold of `|L − S| / (L + S)`.
        threshold: f64,
    },
    /// Vol-of-vol acceleration passed its threshold.
    VolOfVolAcceleration {
        /// Observed acceleration (per hour).
        acceleration: f64,
        /// Threshold (per hour).
        threshold: f64,
    },
    /// The feed went stale or gapped.
    StaleFeed {
        /// The reported status.
        status: FeedStatus,
    },
}

impl Evidence {
    /// The cause this evidence supports.
    #[must_use]
    pub const fn cause(&self) -> TriggerCause {
        match self {
            Self::Deviation { .. } => TriggerCause::Deviation,
            Self::FundLow { .. } => TriggerCause::FundLow,
            Self::OiSkew { .. } => TriggerCause::OiSkew,
            Self::VolOfVolAcceleration { .. } => TriggerCause::VolOfVolAcceleration,
            Self::StaleFeed { .. } => TriggerCause::StaleFeed,
        }
    }

    /// The evidence for `cause` in `inputs` if its condition holds.
    fn observe(cause: TriggerCause, inputs: &RiskInputs, t: &Thresholds) -> Option<Self> {
        match cause {
            TriggerCause::Deviation => {
                (inputs.max_price_deviation > t.deviation).then_some(Self::Deviation {
                    deviation: inputs.max_price_deviation,
                    threshold: t.deviation,
                })
            }
            TriggerCause::FundLow => {
                (inputs.fund_ratio() < t.fund_low_ratio).then_some(Self::FundLow {
                    insurance_fund: inputs.insurance_fund,
                    total_collateral: inputs.total_collateral,
                    threshold: t.fund_low_ratio,
                })
            }
            TriggerCause::OiSkew => (inputs.open_interest_skew().abs() > t.open_interest_skew)
                .then_some(Self::OiSkew {
                    open_interest_long: inputs.open_interest_long,
                    open_interest_short: inputs.open_interest_short,
                    threshold: t.open_interest_skew,
                }),
            TriggerCause::VolOfVolAcceleration => (inputs.vol_of_vol_acceleration
                > t.vol_of_vol_acceleration)
                .then_some(Self::VolOfVolAcceleration {
                    acceleration: inputs.vol_of_vol_acceleration,
                    threshold: t.vol_of_vol_acceleration,
                }),
            TriggerCause::StaleFeed => {
                (inputs.feed != FeedStatus::Fresh).then_some(Self::StaleFeed {
                    status: inputs.feed,
                })
            }
            TriggerCause::Heartbeat | TriggerCause::TargetDrift => None,
        }
    }
}

/// One trigger firing: its condition became true at `at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TriggerEvent {
    /// Event time of the snapshot that fired it.
    pub at: Timestamp,
    /// The values that caused it.
    pub evidence: Evidence,
}

impl TriggerEvent {
    /// The trigger's cause.
    #[must_use]
    pub const fn cause(&self) -> TriggerCause {
        self.evidence.cause()
    }
}

/// The triggers that fired at one update, at most one per cause, in priority order; a fixed
/// array, so a decision never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Fired {
    events: [Option<TriggerEvent>; TRIGGER_COUNT],
}

impl Fired {
    /// The events, highest priority (lowest cause code) first.
    pub fn iter(&self) -> impl Iterator<Item = &TriggerEvent> {
        self.events.iter().flatten()
    }

    /// Whether nothing fired.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The highest-priority cause that fired.
    #[must_use]
    pub fn first_cause(&self) -> Option<TriggerCause> {
        self.iter().next().map(TriggerEvent::cause)
    }
}

/// Which triggers' conditions hold at the latest update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ActiveTriggers {
    active: [bool; TRIGGER_COUNT],
}

impl ActiveTriggers {
    /// Whether the condition of `cause` holds; always `false` for heartbeat and target drift.
    #[must_use]
    pub fn is_active(&self, cause: TriggerCause) -> bool {
        TRIGGERS
            .iter()
            .position(|&c| c == cause)
            .is_some_and(|i| self.active[i])
    }

    /// Evaluates every condition on `inputs`: updates the active set and returns the triggers
    /// whose condition became true (a trigger fires on its rising edge and re-arms once its
    /// condition clears).
    pub(crate) fn evaluate(&mut self, inputs: &RiskInputs, thresholds: &Thresholds) -> Fired {
        let mut fired = Fired::default();
        for (i, cause) in TRIGGERS.into_iter().enumerate() {
            let evidence = Evidence::observe(cause, inputs, thresholds);
            let was_active = std::mem::replace(&mut self.active[i], evidence.is_some());
            if !was_active {
                fired.events[i] = evidence.map(|evidence| TriggerEvent {
                    at: inputs.timestamp,
                    evidence,
                });
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64, deviation: f64, feed: FeedStatus) -> RiskInputs {
        RiskInputs {
            timestamp: Timestamp::from_unix_seconds(seconds).unwrap(),
            max_price_deviation: deviation,
            insurance_fund: 1.0,
            total_collateral: 10.0,
            feed,
            ..RiskInputs::default()
        }
    }

    #[test]
    fn fires_on_the_rising_edge_and_re_arms() {
        let thresholds = Thresholds::default();
        let mut active = ActiveTriggers::default();
        assert!(
            active
                .evaluate(&at(1, 0.005, FeedStatus::Fresh), &thresholds)
                .is_empty()
        );
        let fired = active.evaluate(&at(2, 0.02, FeedStatus::Fresh), &thresholds);
        let events: Vec<_> = fired.iter().copied().collect();
        assert_eq!(
            events,
            [TriggerEvent {
                at: Timestamp::from_unix_seconds(2).unwrap(),
                evidence: Evidence::Deviation {
                    deviation: 0.02,
                    threshold: 0.01
                },
            }]
        );
        // Still above: active, but no new event.
        assert!(
            active
                .evaluate(&at(3, 0.03, FeedStatus::Fresh), &thresholds)
                .is_empty()
        );
        assert!(active.is_active(TriggerCause::Deviation));
        // Exactly at the threshold is not above it: clears and re-arms.
        assert!(
            active
                .evaluate(&at(4, 0.01, FeedStatus::Fresh), &thresholds)
                .is_empty()
        );
        assert!(!active.is_active(TriggerCause::Deviation));
        let again = active.evaluate(&at(5, 0.02, FeedStatus::Gapped), &thresholds);
        let causes: Vec<_> = again.iter().map(TriggerEvent::cause).collect();
        assert_eq!(causes, [TriggerCause::Deviation, TriggerCause::StaleFeed]);
        assert_eq!(again.first_cause(), Some(TriggerCause::Deviation));
        assert!(!active.is_active(TriggerCause::Heartbeat));
    }

    #[test]
    fn each_condition_and_its_evidence() {
        let thresholds = Thresholds::default();
        let inputs = RiskInputs {
            insurance_fund: 4.0,
            total_collateral: 100.0,
            open_interest_long: 1.0,
            open_interest_short: 3.0,
            vol_of_vol_acceleration: 0.6,
            ..RiskInputs::default()
        };
        let mut active = ActiveTriggers::default();
        let evidence: Vec<_> = active
            .evaluate(&inputs, &thresholds)
            .iter()
            .map(|e| e.evidence)
            .collect();
        assert_eq!(
            evidence,
            [
                Evidence::FundLow {
                    insurance_fund: 4.0,
                    total_collateral: 100.0,
                    threshold: 0.05
                },
                Evidence::OiSkew {
                    open_interest_long: 1.0,
                    open_interest_short: 3.0,
                    threshold: 0.4
                },
                Evidence::VolOfVolAcceleration {
                    acceleration: 0.6,
                    threshold: 0.5
                },
            ]
        );
        // No collateral: the fund cannot be low; no open interest: no skew.
        let empty = RiskInputs::default();
        assert!(
            ActiveTriggers::default()
                .evaluate(&empty, &thresholds)
                .is_empty()
        );
    }
}
