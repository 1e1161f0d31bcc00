//! The per-market snapshot the stage evaluates.

use recal_types::Timestamp;

use crate::error::InputError;

/// Health of the market-data feed behind a snapshot, as stage 1/2 report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FeedStatus {
    /// Data is current.
    #[default]
    Fresh,
    /// No update arrived within the feed's staleness limit.
    Stale,
    /// Sequence numbers or timestamps show missing data.
    Gapped,
}

/// One market's risk inputs at one event time: what stages 2 and 3 estimate and what the
/// protocol state reports.
///
/// Volatilities are annualised fractions (`0.6` = 60 %); notionals share one quote unit, whose
/// choice does not matter because only their ratios are used.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RiskInputs {
    /// Event time of the snapshot (the latest event that went into it).
    pub timestamp: Timestamp,
    /// Short-term realised volatility (annualised fraction).
    pub realized_vol: f64,
    /// Volatility of volatility (annualised fraction).
    pub vol_of_vol: f64,
    /// Acceleration of vol-of-vol: its change per hour (annualised fraction per hour); may be
    /// negative.
    pub vol_of_vol_acceleration: f64,
    /// Degrees of freedom `ν` of the fitted Student-t tail; smaller is fatter.
    pub tail_dof: f64,
    /// 25-delta risk reversal, call IV minus put IV (annualised fraction); negative when puts
    /// are bid.
    pub risk_reversal_25d: f64,
    /// At-the-money implied volatility (annualised fraction).
    pub atm_vol: f64,
    /// Largest oracle-price deviation inside the trigger window (stage 2's window, 5 minutes
    /// by default), as a fraction of the window's reference price.
    pub max_price_deviation: f64,
    /// Protocol debt divided by protocol equity.
    pub debt_to_equity: f64,
    /// Order-book depth within ±1 % of mid (notional, both sides).
    pub book_depth: f64,
    /// Open interest of longs (notional).
    pub open_interest_long: f64,
    /// Open interest of shorts (notional).
    pub open_interest_short: f64,
    /// Insurance-fund balance (notional).
    pub insurance_fund: f64,
    /// Total collateral posted to the protocol (notional).
    pub total_collateral: f64,
    /// Whether the data behind this snapshot is fresh.
    pub feed: FeedStatus,
}

impl RiskInputs {
    /// Checks that every field is finite and every magnitude non-negative.
    ///
    /// ```
    /// use recal_trigger::RiskInputs;
    /// let mut inputs = RiskInputs { realized_vol: 0.5, ..RiskInputs::default() };
    /// assert!(inputs.validate().is_ok());
    /// inputs.book_depth = f64::NAN;
    /// assert!(inputs.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), InputError> {
        let signed = [
            ("vol_of_vol_acceleration", self.vol_of_vol_acceleration),
            ("risk_reversal_25d", self.risk_reversal_25d),
        ];
        let magnitudes = [
            ("realized_vol", self.realized_vol),
            ("vol_of_vol", self.vol_of_vol),
            ("tail_dof", self.tail_dof),
            ("atm_vol", self.atm_vol),
            ("max_price_deviation", self.max_price_deviation),
            ("debt_to_equity", self.debt_to_equity),
            ("book_depth", self.book_depth),
            ("open_interest_long", self.open_interest_long),
            ("open_interest_short", self.open_interest_short),
            ("insurance_fund", self.insurance_fund),
            ("total_collateral", self.total_collateral),
        ];
        for (field, value) in signed.iter().chain(&magnitudes) {
            if !value.is_finite() {
                return Err(InputError::NonFinite { field });
            }
        }
        match magnitudes.iter().find(|(_, value)| *value < 0.0) {
            Some((field, _)) => Err(InputError::Negative { field }),
            None => Ok(()),
        }
    }

    /// Open-interest skew `(long − short) / (long + short)` in `[−1, 1]`; positive when longs
    /// are crowded, zero when there is no open interest.
    #[must_use]
    pub fn open_interest_skew(&self) -> f64 {
        let total = self.open_interest_long + self.open_interest_short;
        if total > 0.0 {
            (self.open_interest_long - self.open_interest_short) / total
        } else {
            0.0
        }
    }

    /// Insurance fund over total collateral; infinite fund coverage (no collateral) reads as
    /// `f64::MAX`, so it never looks low.
    #[must_use]
    pub fn fund_ratio(&self) -> f64 {
        if self.total_collateral > 0.0 {
            self.insurance_fund / self.total_collateral
        } else {
            f64::MAX
        }
    }
}
