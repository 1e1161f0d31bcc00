//! Tunable constants of the stage, with their documented defaults.

use recal_types::ParameterId;

use crate::error::ConfigError;

/// Constants of the target formulas (see [`targets`](crate::targets) for the formulas).
/// Fractions are of notional unless stated; defaults in brackets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetModel {
    /// `k`: standard deviations of the liquidation-horizon move the maintenance margin covers
    /// \[2.33, the one-sided 99 % normal quantile\].
    pub margin_quantile: f64,
    /// `h`: time to liquidate a position, seconds \[86 400, one day\].
    pub liquidation_horizon_seconds: f64,
    /// `w_vov`: weight of vol-of-vol in the effective volatility \[0.5\].
    pub vol_of_vol_weight: f64,
    /// `c_tail`: tail factor slope in `1 + c_tail / (ν − 2)` \[1.0\].
    pub tail_weight: f64,
    /// Largest tail factor, also used for `ν ≤ 2` (infinite variance) \[3.0\].
    pub tail_factor_cap: f64,
    /// Smallest maintenance margin \[0.02\].
    pub maintenance_floor: f64,
    /// Largest maintenance margin \[0.5\].
    pub maintenance_cap: f64,
    /// Initial margin over maintenance margin \[1.5\].
    pub initial_to_maintenance: f64,
    /// Largest initial margin \[1.0\].
    pub initial_cap: f64,
    /// Liquidation add-on per moneyness bucket with a flat smile
    /// \[0, 0.005, 0.02, 0.05\] (ATM, OTM, deep OTM, far wings).
    pub addon_base: [f64; 4],
    /// Add-on per unit of normalised skew `|RR₂₅| / σ_ATM`, per bucket \[0, 0.02, 0.08, 0.2\].
    pub addon_skew_slope: [f64; 4],
    /// Largest add-on of any bucket \[0.5\].
    pub addon_cap: f64,
    /// Liquidation penalty; no input recalibrates it, so its target is this constant \[0.025\].
    pub liquidation_penalty: f64,
    /// Share of the larger open-interest side assumed liquidated into the book at once \[0.05\].
    pub slippage_liquidated_share: f64,
    /// Smallest auction slippage penalty \[0.002\].
    pub slippage_floor: f64,
    /// Largest auction slippage penalty, also used with an empty book \[0.1\].
    pub slippage_cap: f64,
    /// Insurance-fund contribution rate (share of fees) at or below the reference leverage
    /// \[0.1\].
    pub fund_rate_base: f64,
    /// Extra contribution rate per unit of debt-to-equity above the reference \[0.1\].
    pub fund_rate_slope: f64,
    /// Debt-to-equity above which the contribution rate rises \[1.0\].
    pub fund_rate_reference: f64,
    /// Largest contribution rate \[0.5\].
    pub fund_rate_cap: f64,
    /// Funding shift at full open-interest skew (fraction of notional per funding interval)
    /// \[0.0004\].
    pub funding_shift_per_skew: f64,
    /// Largest funding-shift magnitude \[0.0005\].
    pub funding_shift_cap: f64,
    /// Leverage cap with a healthy fund, before the initial-margin bound \[20.0\].
    pub max_leverage: f64,
    /// Fund-to-collateral ratio at and above which leverage is not reduced \[0.10\].
    pub healthy_fund_ratio: f64,
    /// Leverage multiplier with an empty fund; it rises linearly to 1 at the healthy ratio
    /// \[0.25\].
    pub min_health_factor: f64,
    /// Extra multiplier of leverage and open-interest cap while the fund-low trigger is active
    /// \[0.5\].
    pub fund_low_factor: f64,
    /// Open-interest cap with a healthy fund, base units; `None` takes the starting
    /// parameters' cap \[None\].
    pub open_interest_cap: Option<u128>,
}

impl Default for TargetModel {
    fn default() -> Self {
        Self {
            margin_quantile: 2.33,
            liquidation_horizon_seconds: 86_400.0,
            vol_of_vol_weight: 0.5,
            tail_weight: 1.0,
            tail_factor_cap: 3.0,
            maintenance_floor: 0.02,
            maintenance_cap: 0.5,
            initial_to_maintenance: 1.5,
            initial_cap: 1.0,
            addon_base: [0.0, 0.005, 0.02, 0.05],
            addon_skew_slope: [0.0, 0.02, 0.08, 0.2],
            addon_cap: 0.5,
            liquidation_penalty: 0.025,
            slippage_liquidated_share: 0.05,
            slippage_floor: 0.002,
            slippage_cap: 0.1,
            fund_rate_base: 0.1,
            fund_rate_slope: 0.1,
            fund_rate_reference: 1.0,
            fund_rate_cap: 0.5,
            funding_shift_per_skew: 0.0004,
            funding_shift_cap: 0.0005,
            max_leverage: 20.0,
            healthy_fund_ratio: 0.1,
            min_health_factor: 0.25,
            fund_low_factor: 0.5,
            open_interest_cap: None,
        }
    }
}

/// Trigger thresholds; a trigger fires when its condition becomes true and stays active while
/// it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Price deviation within the window above which all positions are re-margined at once
    /// \[0.01, i.e. 1 %\].
    pub deviation: f64,
    /// Fund-to-collateral ratio below which all leverage is tightened \[0.05\].
    pub fund_low_ratio: f64,
    /// Open-interest skew magnitude `|L − S| / (L + S)` above which funding shifts at once
    /// \[0.4\].
    pub open_interest_skew: f64,
    /// Vol-of-vol acceleration (per hour) above which margins are re-computed at once \[0.5\].
    pub vol_of_vol_acceleration: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            deviation: 0.01,
            fund_low_ratio: 0.05,
            open_interest_skew: 0.4,
            vol_of_vol_acceleration: 0.5,
        }
    }
}

/// The Recalibration Sensitivity: the first-order filter's gain per reference interval of
/// event time, separately for tightening and loosening moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sensitivity {
    /// Share of the gap to a tighter target closed per interval, ppm \[500 000\].
    pub tighten_gain_ppm: u32,
    /// Share of the gap to a looser target closed per interval, ppm \[100 000\].
    pub loosen_gain_ppm: u32,
    /// The reference interval, seconds \[60\].
    pub interval_seconds: u64,
}

impl Default for Sensitivity {
    fn default() -> Self {
        Self {
            tighten_gain_ppm: 500_000,
            loosen_gain_ppm: 100_000,
            interval_seconds: 60,
        }
    }
}

/// Continuous damping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DampingConfig {
    /// Filter gains.
    pub sensitivity: Sensitivity,
    /// Rate limit of the filter: largest move per second of event time, in ppm of the
    /// parameter's guardrail range `max − min` \[3 334, the whole range in about 5 minutes\].
    pub max_rate_ppm_of_range: u32,
}

impl Default for DampingConfig {
    fn default() -> Self {
        Self {
            sensitivity: Sensitivity::default(),
            max_rate_ppm_of_range: 3_334,
        }
    }
}

/// Smallest change of one parameter worth a proposal:
/// `max(⌊|current| · relative_ppm / 10⁶⌋, absolute)` in the parameter's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeadBand {
    /// Relative part, ppm of the current value.
    pub relative_ppm: u32,
    /// Absolute floor, in the parameter's unit.
    pub absolute: u128,
}

/// When to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmissionConfig {
    /// Dead band per parameter, indexed by [`ParameterId::index`]. Defaults: 2 % of the value,
    /// at least 1 000 ppm for margins, add-ons, penalties and the fund rate, 5 ppm for the
    /// funding shift, 10 (0.10×) for leverage, and no floor for the open-interest cap.
    pub dead_band: [DeadBand; ParameterId::COUNT],
    /// Re-emit the parameters in force after this many seconds without a proposal \[3 600\].
    pub heartbeat_seconds: u64,
    /// While a loosening waits out its time-lock, a drift tightening supersedes it (on chain,
    /// the newer proposal replaces the pending one) only if some parameter moves by more than
    /// this many dead bands \[3\]. Smaller tightenings wait for the loosening to execute, so
    /// that in a calm market small wobbles of the targets do not cancel every loosening before
    /// its time-lock ends. Triggers always supersede.
    pub supersede_dead_bands: u32,
}

impl Default for EmissionConfig {
    fn default() -> Self {
        let dead_band = ParameterId::ALL.map(|parameter| DeadBand {
            relative_ppm: 20_000,
            absolute: match parameter {
                ParameterId::FundingShift => 5,
                ParameterId::MaxLeverage => 10,
                ParameterId::OpenInterestCap => 0,
                _ => 1_000,
            },
        });
        Self {
            dead_band,
            heartbeat_seconds: 3_600,
            supersede_dead_bands: 3,
        }
    }
}

/// Everything tunable in the trigger stage. `TriggerConfig::default()` gives the documented
/// defaults.
///
/// ```
/// use recal_trigger::TriggerConfig;
/// let mut config = TriggerConfig::default();
/// config.thresholds.deviation = 0.02;
/// assert!(config.validate().is_ok());
/// config.model.initial_to_maintenance = 0.9; // initial margin below maintenance
/// assert!(config.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TriggerConfig {
    /// Target formulas.
    pub model: TargetModel,
    /// Trigger thresholds.
    pub thresholds: Thresholds,
    /// Continuous damping.
    pub damping: DampingConfig,
    /// Emission policy.
    pub emission: EmissionConfig,
}

impl TriggerConfig {
    /// Checks every constant is finite and within its range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let m = &self.model;
        let t = &self.thresholds;
        let unbounded = f64::MAX;
        let ranges = [
            ("margin_quantile", m.margin_quantile, 0.0, unbounded),
            (
                "liquidation_horizon_seconds",
                m.liquidation_horizon_seconds,
                f64::MIN_POSITIVE,
                unbounded,
            ),
            ("vol_of_vol_weight", m.vol_of_vol_weight, 0.0, unbounded),
            ("tail_weight", m.tail_weight, 0.0, unbounded),
            ("tail_factor_cap", m.tail_factor_cap, 1.0, unbounded),
            (
                "maintenance_floor",
                m.maintenance_floor,
                0.0,
                m.maintenance_cap,
            ),
            ("maintenance_cap", m.maintenance_cap, 0.0, 1.0),
            (
                "initial_to_maintenance",
                m.initial_to_maintenance,
                1.0,
                unbounded,
            ),
            ("initial_cap", m.initial_cap, m.maintenance_cap, 1.0),
            ("addon_cap", m.addon_cap, 0.0, 1.0),
            ("liquidation_penalty", m.liquidation_penalty, 0.0, 1.0),
            (
                "slippage_liquidated_share",
                m.slippage_liquidated_share,
                0.0,
                1.0,
            ),
            ("slippage_floor", m.slippage_floor, 0.0, m.slippage_cap),
            ("slippage_cap", m.slippage_cap, 0.0, 1.0),
            ("fund_rate_base", m.fund_rate_base, 0.0, m.fund_rate_cap),
            ("fund_rate_slope", m.fund_rate_slope, 0.0, unbounded),
            ("fund_rate_reference", m.fund_rate_reference, 0.0, unbounded),
            ("fund_rate_cap", m.fund_rate_cap, 0.0, 1.0),
            ("funding_shift_per_skew", m.funding_shift_per_skew, 0.0, 1.0),
            ("funding_shift_cap", m.funding_shift_cap, 0.0, 1.0),
            ("max_leverage", m.max_leverage, f64::MIN_POSITIVE, 1e6),
            (
                "healthy_fund_ratio",
                m.healthy_fund_ratio,
                f64::MIN_POSITIVE,
                unbounded,
            ),
            ("min_health_factor", m.min_health_factor, 0.0, 1.0),
            ("fund_low_factor", m.fund_low_factor, 0.0, 1.0),
            ("thresholds.deviation", t.deviation, 0.0, unbounded),
            (
                "thresholds.fund_low_ratio",
                t.fund_low_ratio,
                0.0,
                unbounded,
            ),
            (
                "thresholds.open_interest_skew",
                t.open_interest_skew,
                0.0,
                1.0,
            ),
            (
                "thresholds.vol_of_vol_acceleration",
                t.vol_of_vol_acceleration,
                -unbounded,
                unbounded,
            ),
        ];
        let buckets = (0..4).flat_map(|b| {
            [
                ("addon_base", m.addon_base[b], 0.0, m.addon_cap),
                ("addon_skew_slope", m.addon_skew_slope[b], 0.0, unbounded),
            ]
        });
        for (name, value, lo, hi) in ranges.into_iter().chain(buckets) {
            if !value.is_finite() {
                return Err(ConfigError::NonFinite { name });
            }
            if !(lo..=hi).contains(&value) {
                return Err(ConfigError::OutOfRange { name });
            }
        }
        let s = &self.damping.sensitivity;
        let million = recal_types::PPM_SCALE;
        if s.tighten_gain_ppm > million || s.loosen_gain_ppm > million {
            return Err(ConfigError::OutOfRange {
                name: "sensitivity gain",
            });
        }
        if s.interval_seconds == 0 {
            return Err(ConfigError::OutOfRange {
                name: "sensitivity.interval_seconds",
            });
        }
        Ok(())
    }
}
