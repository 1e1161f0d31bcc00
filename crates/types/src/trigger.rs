//! Why a proposal was emitted.

use serde::{Deserialize, Serialize};

/// The trigger that caused a parameter proposal.
///
/// Each cause has a stable integer code ([`TriggerCause::code`]) that is signed into the
/// proposal (`uint8 triggerCause`) and must never be renumbered; code 0 is reserved as invalid
/// so that an all-zero record is never a valid cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum TriggerCause {
    /// The oracle price moved more than the deviation threshold inside its window
    /// (default: 1 % within 5 minutes); re-margin all positions now.
    Deviation = 1,
    /// The insurance fund fell below its floor relative to total collateral (default 5 %);
    /// tighten all leverage.
    FundLow = 2,
    /// Open-interest long/short skew passed its threshold; shift funding against the crowded
    /// side.
    OiSkew = 3,
    /// Volatility of volatility is accelerating.
    VolOfVolAcceleration = 4,
    /// A feed went stale or gapped; parameters move to the safe side (conservative mode).
    StaleFeed = 5,
    /// No trigger fired for the heartbeat period; the current parameters are re-emitted.
    Heartbeat = 6,
    /// Continuous damping moved the parameters toward their targets by more than the dead band.
    TargetDrift = 7,
}

/// A code that names no [`TriggerCause`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown trigger cause code {0}")]
pub struct UnknownTriggerCause(pub u8);

impl TriggerCause {
    /// Every cause, in code order.
    pub const ALL: [Self; 7] = [
        Self::Deviation,
        Self::FundLow,
        Self::OiSkew,
        Self::VolOfVolAcceleration,
        Self::StaleFeed,
        Self::Heartbeat,
        Self::TargetDrift,
    ];

    /// The stable wire code of this cause.
    #[must_use]
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The cause with wire code `code`.
    ///
    /// ```
    /// use recal_types::TriggerCause;
    /// assert_eq!(TriggerCause::from_code(2), Ok(TriggerCause::FundLow));
    /// assert!(TriggerCause::from_code(0).is_err());
    /// ```
    pub fn from_code(code: u8) -> Result<Self, UnknownTriggerCause> {
        Self::ALL
            .into_iter()
            .find(|cause| cause.code() == code)
            .ok_or(UnknownTriggerCause(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_round_trip() {
        let codes: Vec<u8> = TriggerCause::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes, [1, 2, 3, 4, 5, 6, 7]);
        for code in 0..=u8::MAX {
            match TriggerCause::from_code(code) {
                Ok(cause) => assert_eq!(cause.code(), code),
                Err(err) => {
                    assert_eq!(err, UnknownTriggerCause(code));
                    assert!(code == 0 || code > 7);
                }
            }
        }
    }
}
