//! The per-market risk-parameter set, as integers with documented units.

use serde::{Deserialize, Serialize};

/// One whole in parts per million: `1_000_000` ppm is 100 %.
pub const PPM_SCALE: u32 = 1_000_000;

/// Moneyness buckets that carry their own liquidation-threshold add-on.
///
/// An option's bucket is chosen from its standardised moneyness
/// `z = |ln(K / F)| / (σ_ATM · √T)` (strike `K`, forward `F`, ATM volatility `σ_ATM`, time to
/// expiry `T` in years): [`Atm`](Self::Atm) for `z < 0.5`, [`Otm`](Self::Otm) for
/// `0.5 ≤ z < 1.5`, [`DeepOtm`](Self::DeepOtm) for `1.5 ≤ z < 3`, and
/// [`FarWings`](Self::FarWings) for `z ≥ 3`. Deeper buckets get larger add-ons when the
/// implied-volatility skew steepens, because their liquidation value gaps the most in a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoneynessBucket {
    /// At the money: `z < 0.5`.
    Atm = 0,
    /// Out of the money: `0.5 ≤ z < 1.5`.
    Otm = 1,
    /// Deep out of the money: `1.5 ≤ z < 3`.
    DeepOtm = 2,
    /// Far wings: `z ≥ 3`.
    FarWings = 3,
}

impl MoneynessBucket {
    /// Number of buckets.
    pub const COUNT: usize = 4;

    /// Every bucket, from the money outward; `ALL[b.index()] == b`.
    pub const ALL: [Self; Self::COUNT] = [Self::Atm, Self::Otm, Self::DeepOtm, Self::FarWings];

    /// Position of this bucket in [`ParameterSet::liquidation_addon_ppm`].
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// The risk parameters of one market, exactly as they are signed and enforced on chain.
///
/// Units:
///
/// | field | type | unit |
/// |---|---|---|
/// | margins, add-ons, penalties, fund rate | `u32` | parts per million of notional ([`PPM_SCALE`] = 100 %) |
/// | `funding_shift_ppm` | `i32` | ppm of notional per funding interval; positive: longs pay more |
/// | `max_leverage_centi` | `u32` | hundredths of a unit of leverage (`1_000` = 10.00×) |
/// | `open_interest_cap` | `u128` | base units (the base asset's smallest accounting unit) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ParameterSet {
    /// Initial margin ratio (ppm of notional) required to open or grow a position.
    pub initial_margin_ppm: u32,
    /// Maintenance margin ratio (ppm of notional) below which a position is liquidated.
    pub maintenance_margin_ppm: u32,
    /// Liquidation-threshold add-on per [`MoneynessBucket`] (ppm of notional), added to the
    /// maintenance margin of options in that bucket; indexed by [`MoneynessBucket::index`].
    pub liquidation_addon_ppm: [u32; MoneynessBucket::COUNT],
    /// Liquidation penalty (ppm of the liquidated notional) paid by the liquidated account.
    pub liquidation_penalty_ppm: u32,
    /// Slippage penalty of liquidation auctions (ppm of the auctioned notional), covering the
    /// price impact of selling into the book.
    pub auction_slippage_penalty_ppm: u32,
    /// Share of trading fees paid into the insurance fund (ppm).
    pub insurance_fund_rate_ppm: u32,
    /// Signed shift added to the funding / interest rate (ppm of notional per funding interval);
    /// positive makes longs pay shorts more, negative the reverse.
    pub funding_shift_ppm: i32,
    /// Maximum leverage, in hundredths (`1_000` = 10.00×).
    pub max_leverage_centi: u32,
    /// Open-interest cap of the market, in base units.
    pub open_interest_cap: u128,
}

/// Names one scalar of a [`ParameterSet`], so guardrails and damping can treat the parameters
/// uniformly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterId {
    /// [`ParameterSet::initial_margin_ppm`].
    InitialMargin,
    /// [`ParameterSet::maintenance_margin_ppm`].
    MaintenanceMargin,
    /// The [`MoneynessBucket::Atm`] entry of [`ParameterSet::liquidation_addon_ppm`].
    LiquidationAddonAtm,
    /// The [`MoneynessBucket::Otm`] entry of [`ParameterSet::liquidation_addon_ppm`].
    LiquidationAddonOtm,
    /// The [`MoneynessBucket::DeepOtm`] entry of [`ParameterSet::liquidation_addon_ppm`].
    LiquidationAddonDeepOtm,
    /// The [`MoneynessBucket::FarWings`] entry of [`ParameterSet::liquidation_addon_ppm`].
    LiquidationAddonFarWings,
    /// [`ParameterSet::liquidation_penalty_ppm`].
    LiquidationPenalty,
    /// [`ParameterSet::auction_slippage_penalty_ppm`].
    AuctionSlippagePenalty,
    /// [`ParameterSet::insurance_fund_rate_ppm`].
    InsuranceFundRate,
    /// [`ParameterSet::funding_shift_ppm`].
    FundingShift,
    /// [`ParameterSet::max_leverage_centi`].
    MaxLeverage,
    /// [`ParameterSet::open_interest_cap`].
    OpenInterestCap,
}

/// The direction in which a parameter protects the collateral pool.
///
/// Moving a parameter in its safe direction is *tightening* and may take effect at once;
/// moving it the other way is *loosening* and must wait for the time-lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SafeDirection {
    /// Larger is safer (margins, add-ons, penalties, fund contribution).
    Increase,
    /// Smaller is safer (leverage, open-interest cap).
    Decrease,
    /// Larger magnitude on the same side is safer (funding shift against the crowded side);
    /// shrinking it or flipping its sign loosens.
    AwayFromZero,
}

impl SafeDirection {
    /// Whether moving from `old` to `new` loosens; an unchanged value never does.
    ///
    /// ```
    /// use recal_types::SafeDirection;
    /// assert!(SafeDirection::Increase.is_loosening(100, 90));
    /// assert!(!SafeDirection::Decrease.is_loosening(100, 90));
    /// assert!(SafeDirection::AwayFromZero.is_loosening(-50, 10));
    /// assert!(!SafeDirection::AwayFromZero.is_loosening(0, -10));
    /// ```
    #[must_use]
    pub fn is_loosening(self, old: i128, new: i128) -> bool {
        match self {
            Self::Increase => new < old,
            Self::Decrease => new > old,
            Self::AwayFromZero => (old > 0 && new < old) || (old < 0 && new > old),
        }
    }
}

/// A value that does not fit the type of the parameter it was meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("value {value} does not fit parameter {parameter:?}")]
pub struct ValueOutOfRange {
    /// The parameter.
    pub parameter: ParameterId,
    /// The rejected value.
    pub value: i128,
}

impl ParameterId {
    /// Number of scalar parameters.
    pub const COUNT: usize = 12;

    /// Every parameter, in wire order; `ALL[p.index()] == p`.
    pub const ALL: [Self; Self::COUNT] = [
        Self::InitialMargin,
        Self::MaintenanceMargin,
        Self::LiquidationAddonAtm,
        Self::LiquidationAddonOtm,
        Self::LiquidationAddonDeepOtm,
        Self::LiquidationAddonFarWings,
        Self::LiquidationPenalty,
        Self::AuctionSlippagePenalty,
        Self::InsuranceFundRate,
        Self::FundingShift,
        Self::MaxLeverage,
        Self::OpenInterestCap,
    ];

    /// Position of this parameter in [`ParameterId::ALL`].
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The liquidation add-on parameter of `bucket`.
    #[must_use]
    pub const fn liquidation_addon(bucket: MoneynessBucket) -> Self {
        match bucket {
            MoneynessBucket::Atm => Self::LiquidationAddonAtm,
            MoneynessBucket::Otm => Self::LiquidationAddonOtm,
            MoneynessBucket::DeepOtm => Self::LiquidationAddonDeepOtm,
            MoneynessBucket::FarWings => Self::LiquidationAddonFarWings,
        }
    }

    /// The direction in which this parameter protects the pool.
    #[must_use]
    pub const fn safe_direction(self) -> SafeDirection {
        match self {
            Self::MaxLeverage | Self::OpenInterestCap => SafeDirection::Decrease,
            Self::FundingShift => SafeDirection::AwayFromZero,
            _ => SafeDirection::Increase,
        }
    }
}

impl ParameterSet {
    /// The value of `parameter`, widened to `i128`.
    ///
    /// Every parameter fits exactly except an open-interest cap above `i128::MAX`
    /// (1.7 × 10³⁸ base units), which saturates to `i128::MAX`; guardrail maxima are strictly
    /// below that, so a saturated cap is always out of bounds rather than silently accepted.
    #[must_use]
    pub fn get(&self, parameter: ParameterId) -> i128 {
        match parameter {
            ParameterId::InitialMargin => self.initial_margin_ppm.into(),
            ParameterId::MaintenanceMargin => self.maintenance_margin_ppm.into(),
            ParameterId::LiquidationAddonAtm => self.addon(MoneynessBucket::Atm),
            ParameterId::LiquidationAddonOtm => self.addon(MoneynessBucket::Otm),
            ParameterId::LiquidationAddonDeepOtm => self.addon(MoneynessBucket::DeepOtm),
            ParameterId::LiquidationAddonFarWings => self.addon(MoneynessBucket::FarWings),
            ParameterId::LiquidationPenalty => self.liquidation_penalty_ppm.into(),
            ParameterId::AuctionSlippagePenalty => self.auction_slippage_penalty_ppm.into(),
            ParameterId::InsuranceFundRate => self.insurance_fund_rate_ppm.into(),
            ParameterId::FundingShift => self.funding_shift_ppm.into(),
            ParameterId::MaxLeverage => self.max_leverage_centi.into(),
            ParameterId::OpenInterestCap => {
                i128::try_from(self.open_interest_cap).unwrap_or(i128::MAX)
            }
        }
    }

    /// A copy with `parameter` set to `value`, or an error if `value` does not fit its type.
    ///
    /// ```
    /// use recal_types::{ParameterId, ParameterSet};
    /// let set = ParameterSet::default().with(ParameterId::FundingShift, -25).unwrap();
    /// assert_eq!(set.funding_shift_ppm, -25);
    /// assert!(set.with(ParameterId::InitialMargin, -1).is_err());
    /// ```
    pub fn with(mut self, parameter: ParameterId, value: i128) -> Result<Self, ValueOutOfRange> {
        let out_of_range = |_| ValueOutOfRange { parameter, value };
        match parameter {
            ParameterId::InitialMargin => {
                self.initial_margin_ppm = value.try_into().map_err(out_of_range)?;
            }
            ParameterId::MaintenanceMargin => {
                self.maintenance_margin_ppm = value.try_into().map_err(out_of_range)?;
            }
            ParameterId::LiquidationAddonAtm
            | ParameterId::LiquidationAddonOtm
            | ParameterId::LiquidationAddonDeepOtm
            | ParameterId::LiquidationAddonFarWings => {
                let bucket = parameter.index() - ParameterId::LiquidationAddonAtm.index();
                self.liquidation_addon_ppm[bucket] = value.try_into().map_err(out_of_range)?;
            }
            ParameterId::LiquidationPenalty => {
                self.liquidation_penalty_ppm = value.try_into().map_err(out_of_range)?;
            }
            ParameterId::AuctionSlippagePenalty => {
                self.auction_slippage_penalty_ppm = value.try_into().map_err(out_of_range)?;
            }
            ParameterId::InsuranceFundRate => {
                self.insurance_fund_rate_ppm = value.try_into().map_err(out_of_range)?;
            }
            ParameterId::FundingShift => {
                self.funding_shift_ppm = value.try_into().map_err(out_of_range)?;
            }
            ParameterId::MaxLeverage => {
                self.max_leverage_centi = value.try_into().map_err(out_of_range)?;
            }
            ParameterId::OpenInterestCap => {
                self.open_interest_cap = value.try_into().map_err(out_of_range)?;
            }
        }
        Ok(self)
    }

    /// Whether moving from `current` to `self` loosens any parameter (see [`SafeDirection`]);
    /// such a change must wait for the time-lock, while a change that loosens nothing may apply
    /// at once.
    ///
    /// ```
    /// use recal_types::ParameterSet;
    /// let current = ParameterSet { initial_margin_ppm: 100_000, ..ParameterSet::default() };
    /// let lower = ParameterSet { initial_margin_ppm: 90_000, ..current };
    /// assert!(lower.is_loosening_from(&current));
    /// assert!(!current.is_loosening_from(&lower));
    /// ```
    #[must_use]
    pub fn is_loosening_from(&self, current: &Self) -> bool {
        ParameterId::ALL.into_iter().any(|parameter| {
            parameter
                .safe_direction()
                .is_loosening(current.get(parameter), self.get(parameter))
        })
    }

    fn addon(&self, bucket: MoneynessBucket) -> i128 {
        self.liquidation_addon_ppm[bucket.index()].into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn indices_match_order() {
        for (i, p) in ParameterId::ALL.iter().enumerate() {
            assert_eq!(p.index(), i);
        }
        for (i, b) in MoneynessBucket::ALL.iter().enumerate() {
            assert_eq!(b.index(), i);
            let id = ParameterId::liquidation_addon(*b);
            let set = ParameterSet::default().with(id, 7).unwrap();
            assert_eq!(set.liquidation_addon_ppm[i], 7);
        }
    }

    #[test]
    fn huge_open_interest_cap_saturates() {
        let set = ParameterSet {
            open_interest_cap: u128::MAX,
            ..ParameterSet::default()
        };
        assert_eq!(set.get(ParameterId::OpenInterestCap), i128::MAX);
    }

    #[test]
    fn serde_round_trip() {
        let set = ParameterSet {
            initial_margin_ppm: 100_000,
            maintenance_margin_ppm: 50_000,
            liquidation_addon_ppm: [0, 5_000, 20_000, 60_000],
            liquidation_penalty_ppm: 25_000,
            auction_slippage_penalty_ppm: 10_000,
            insurance_fund_rate_ppm: 200_000,
            funding_shift_ppm: -30,
            max_leverage_centi: 1_000,
            open_interest_cap: 5_000_000_000_000_000_000_000,
        };
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(serde_json::from_str::<ParameterSet>(&json).unwrap(), set);
    }

    proptest! {
        #[test]
        fn with_then_get_round_trips(index in 0..ParameterId::COUNT, value in any::<i64>()) {
            let parameter = ParameterId::ALL[index];
            match ParameterSet::default().with(parameter, value.into()) {
                Ok(set) => prop_assert_eq!(set.get(parameter), i128::from(value)),
                Err(err) => prop_assert_eq!(err, ValueOutOfRange { parameter, value: value.into() }),
            }
        }

        #[test]
        fn loosening_and_tightening_are_exclusive(
            index in 0..ParameterId::COUNT, old in -1000i128..1000, new in -1000i128..1000,
        ) {
            let dir = ParameterId::ALL[index].safe_direction();
            let reverse_loosens = dir.is_loosening(new, old);
            if old != new && dir != SafeDirection::AwayFromZero {
                prop_assert_ne!(dir.is_loosening(old, new), reverse_loosens);
            }
            prop_assert!(!dir.is_loosening(old, old));
        }
    }
}
