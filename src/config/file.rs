//! The configuration file: serde mirrors of every tunable setting, with the units a person
//! writes (seconds, names, hex addresses), converted into and out of the stages' own types.
//!
//! Each section's [`Default`] is the matching part of [`Config::default`], so an omitted key
//! takes the engine's default and the stage crates stay the one source of every default value.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use recal_emit::{Address, EmitterConfig, Guardrail, Guardrails};
use recal_estimate::{Decay, OutlierAction, OutlierConfig, UnderlyingConfig};
use recal_feed::{DecoderConfig, UnknownInstrumentPolicy};
use recal_greeks::{MarginModel, MarginParams, PortfolioMarginParams, SolvencyParams};
use recal_pipeline::{
    Backpressure, JournalMode, JournalOptions, MarketSpec, PipelineConfig, Placement, RingOptions,
    RingWait, WaitStrategy,
};
use recal_trigger::{
    DampingConfig, DeadBand, EmissionConfig, Sensitivity, TargetModel, Thresholds, TriggerConfig,
};
use recal_types::{ParameterId, ParameterSet, Source};
use serde::{Deserialize, Serialize};
use toml::Value;

use super::render::{Section, section};
use super::{Config, ConfigError};
use crate::stats::StatsOptions;

const NS_PER_SECOND: f64 = 1e9;

/// Where a value sits in the file (`"markets[0].start"`), for error messages.
#[derive(Clone, Copy)]
struct At<'a>(&'a str);

impl At<'_> {
    fn key(self, name: &str) -> String {
        if self.0.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.0)
        }
    }

    fn invalid(self, name: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key: self.key(name),
            reason: reason.into(),
        }
    }

    /// `value` if it is finite and `ok`, else an error saying it must be `expected`.
    fn require(self, name: &str, value: f64, ok: bool, expected: &str) -> Result<f64, ConfigError> {
        if value.is_finite() && ok {
            Ok(value)
        } else {
            Err(self.invalid(name, format!("{value} is not {expected}")))
        }
    }

    fn positive(self, name: &str, value: f64) -> Result<f64, ConfigError> {
        self.require(name, value, value > 0.0, "a finite number > 0")
    }

    fn non_negative(self, name: &str, value: f64) -> Result<f64, ConfigError> {
        self.require(name, value, value >= 0.0, "a finite number >= 0")
    }

    fn nanos(self, name: &str, seconds: f64) -> Result<u64, ConfigError> {
        let ok = seconds >= 0.0 && seconds * NS_PER_SECOND < u64::MAX as f64;
        let seconds = self.require(name, seconds, ok, "a duration in seconds >= 0")?;
        // In range and finite, checked above.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok((seconds * NS_PER_SECOND).round() as u64)
    }

    fn positive_nanos(self, name: &str, seconds: f64) -> Result<u64, ConfigError> {
        match self.nanos(name, seconds)? {
            0 => Err(self.invalid(name, "must be longer than 0 s")),
            nanos => Ok(nanos),
        }
    }

    fn at_least(self, name: &str, value: usize, least: usize) -> Result<usize, ConfigError> {
        if value >= least {
            Ok(value)
        } else {
            Err(self.invalid(name, format!("{value} is below the minimum {least}")))
        }
    }
}

fn seconds(nanos: u64) -> f64 {
    nanos as f64 / NS_PER_SECOND
}

/// A path from the file: empty means none; relative ones are taken from `base`.
fn path(text: &str, base: Option<&Path>) -> Option<PathBuf> {
    (!text.is_empty()).then(|| match base {
        Some(base) if Path::new(text).is_relative() => base.join(text),
        _ => PathBuf::from(text),
    })
}

fn path_text(path: Option<&PathBuf>) -> String {
    path.map(|path| path.display().to_string())
        .unwrap_or_default()
}

/// TOML integers are 64-bit: wider values are written saturated.
fn saturate<T: TryInto<i64> + PartialOrd + Default>(value: T) -> i64 {
    let negative = value < T::default();
    value
        .try_into()
        .unwrap_or(if negative { i64::MIN } else { i64::MAX })
}

fn unsigned(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// Declares a string-valued enum of the file mirroring a stage crate's enum.
macro_rules! choice {
    (
        $(#[$meta:meta])*
        $name:ident => $target:ty { $( $(#[$variant_meta:meta])+ $variant:ident => $value:path, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub(crate) enum $name { $( $(#[$variant_meta])+ $variant, )+ }

        impl Section for $name {}

        impl From<$name> for $target {
            fn from(choice: $name) -> Self {
                match choice { $( $name::$variant => $value, )+ }
            }
        }

        impl From<$target> for $name {
            fn from(value: $target) -> Self {
                match value { $( $value => $name::$variant, )+ }
            }
        }
    };
}

choice! {
    /// A feed source, by its name in the file: [`Source::name`], as on tapes and flags
    /// (`tests.rs` checks that the two agree).
    SourceName => Source {
        /// Deribit.
        Deribit => Source::Deribit,
        /// Binance spot.
        #[serde(rename = "binance-spot")]
        BinanceSpot => Source::BinanceSpot,
        /// Binance USDⓈ-M futures.
        #[serde(rename = "binance-usdm")]
        BinanceUsdmFutures => Source::BinanceUsdmFutures,
        /// Binance COIN-M futures.
        #[serde(rename = "binance-coinm")]
        BinanceCoinmFutures => Source::BinanceCoinmFutures,
        /// Pyth (Hermes).
        Pyth => Source::Pyth,
        /// The recal protocol-state schema.
        Recal => Source::Recal,
    }
}

choice! {
    /// What a full ring does to market data.
    BackpressureName => Backpressure {
        /// Wait for room.
        Block => Backpressure::Block,
        /// Latest value per instrument wins.
        Conflate => Backpressure::Conflate,
    }
}

choice! {
    /// Instrument names the decoder has not seen.
    UnknownInstrumentsName => UnknownInstrumentPolicy {
        /// Register them.
        AutoRegister => UnknownInstrumentPolicy::AutoRegister,
        /// Reject the message.
        Reject => UnknownInstrumentPolicy::Reject,
    }
}

choice! {
    /// What the outlier filter does with a print outside its band.
    OutlierActionName => OutlierAction {
        /// Drop it.
        Reject => OutlierAction::Reject,
        /// Move it to the band's edge.
        Clamp => OutlierAction::Clamp,
    }
}

choice! {
    /// The margin method.
    MarginModelName => MarginModel {
        /// Volatility-adjusted ratios.
        VolatilityAdjusted => MarginModel::VolatilityAdjusted,
        /// Scenario grid.
        Portfolio => MarginModel::Portfolio,
    }
}

choice! {
    /// Which stage boundaries are journaled.
    JournalModeName => JournalMode {
        /// No journal.
        Off => JournalMode::Off,
        /// The input and what stage 5 emitted.
        Input => JournalMode::Input,
        /// Every boundary.
        All => JournalMode::All,
    }
}

/// The `placement` key: `"fused"`, `"auto"`, `"pinned"` or `{ cores = [c1, c2, c3, c4, c5] }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub(crate) struct PlacementValue(Placement);

impl Section for PlacementValue {}

impl TryFrom<Value> for PlacementValue {
    type Error = String;

    fn try_from(value: Value) -> Result<Self, String> {
        let expected = r#"expected "fused", "auto", "pinned" or { cores = [c1, c2, c3, c4, c5] }"#;
        let placement = match &value {
            Value::String(name) => match name.as_str() {
                "fused" => Placement::Fused,
                "auto" => Placement::Auto,
                "pinned" => Placement::Pinned,
                other => return Err(format!("unknown placement `{other}`, {expected}")),
            },
            Value::Table(table) if table.len() == 1 => {
                let cores = table.get("cores").ok_or_else(|| expected.to_owned())?;
                let cores: [usize; 5] = cores.clone().try_into().map_err(|_| {
                    format!("`cores` must list one core index per stage (5), {expected}")
                })?;
                Placement::Cores(cores)
            }
            _ => return Err(expected.to_owned()),
        };
        Ok(Self(placement))
    }
}

impl From<PlacementValue> for Value {
    fn from(PlacementValue(placement): PlacementValue) -> Self {
        let name = match placement {
            Placement::Fused => "fused",
            Placement::Auto => "auto",
            Placement::Pinned => "pinned",
            Placement::Cores(cores) => {
                let cores = cores.iter().map(|&core| Value::Integer(saturate(core)));
                return Self::Table(toml::Table::from_iter([(
                    "cores".to_owned(),
                    Self::Array(cores.collect()),
                )]));
            }
        };
        Self::String(name.to_owned())
    }
}

/// The `rings.wait` key: `"plan"`, one strategy (`"busy_spin"`, `"yield"`, `"backoff"`) for
/// every ring, or a list of them, one per ring in pipeline order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub(crate) struct RingWaitValue(RingWait);

impl Section for RingWaitValue {}

const WAIT_NAMES: [(&str, WaitStrategy); 3] = [
    ("busy_spin", WaitStrategy::BusySpin),
    ("yield", WaitStrategy::Yield),
    ("backoff", WaitStrategy::Backoff),
];

fn wait_strategy(value: &Value) -> Result<WaitStrategy, String> {
    let name = value.as_str().unwrap_or_default();
    WAIT_NAMES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|&(_, wait)| wait)
        .ok_or_else(|| {
            format!(r#"unknown wait strategy {value}, expected "busy_spin", "yield" or "backoff""#)
        })
}

fn wait_name(wait: WaitStrategy) -> Value {
    let name = WAIT_NAMES
        .iter()
        .find(|&&(_, known)| known == wait)
        .map_or("backoff", |&(name, _)| name);
    Value::String(name.to_owned())
}

impl TryFrom<Value> for RingWaitValue {
    type Error = String;

    fn try_from(value: Value) -> Result<Self, String> {
        let wait = match &value {
            Value::String(name) if name == "plan" => RingWait::Plan,
            Value::String(_) => RingWait::All(wait_strategy(&value)?),
            Value::Array(list) => {
                RingWait::PerRing(list.iter().map(wait_strategy).collect::<Result<_, _>>()?)
            }
            _ => {
                return Err(r#"expected "plan", "busy_spin", "yield", "backoff" or a list of them, one per ring"#.to_owned());
            }
        };
        Ok(Self(wait))
    }
}

impl From<RingWaitValue> for Value {
    fn from(RingWaitValue(wait): RingWaitValue) -> Self {
        match wait {
            RingWait::Plan => Self::String("plan".to_owned()),
            RingWait::All(wait) => wait_name(wait),
            RingWait::PerRing(waits) => Self::Array(waits.into_iter().map(wait_name).collect()),
        }
    }
}

/// A forgetting rule: a number is a half-life in seconds of event time, `{ lambda = 0.94 }`
/// the per-observation factor of bar data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub(crate) enum DecayValue {
    /// Half-life, seconds.
    HalfLife(f64),
    /// Per-observation factor.
    Lambda(f64),
}

impl Section for DecayValue {}

impl TryFrom<Value> for DecayValue {
    type Error = String;

    fn try_from(value: Value) -> Result<Self, String> {
        let expected = "expected a half-life in seconds or { lambda = <factor in (0, 1)> }";
        match value {
            // Half-lives are written as integers of seconds as often as not.
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(seconds) => Ok(Self::HalfLife(seconds as f64)),
            Value::Float(seconds) => Ok(Self::HalfLife(seconds)),
            Value::Table(table) if table.len() == 1 => match table.get("lambda") {
                Some(Value::Float(lambda)) => Ok(Self::Lambda(*lambda)),
                _ => Err(expected.to_owned()),
            },
            _ => Err(expected.to_owned()),
        }
    }
}

impl From<DecayValue> for Value {
    fn from(decay: DecayValue) -> Self {
        match decay {
            DecayValue::HalfLife(seconds) => Self::Float(seconds),
            DecayValue::Lambda(lambda) => Self::Table(toml::Table::from_iter([(
                "lambda".to_owned(),
                Self::Float(lambda),
            )])),
        }
    }
}

impl From<Decay> for DecayValue {
    fn from(decay: Decay) -> Self {
        match decay {
            Decay::HalfLife { half_life_ns } => Self::HalfLife(seconds(half_life_ns)),
            Decay::Lambda(lambda) => Self::Lambda(lambda),
        }
    }
}

impl DecayValue {
    fn resolve(self, at: At<'_>, name: &str) -> Result<Decay, ConfigError> {
        match self {
            Self::HalfLife(seconds) => Ok(Decay::HalfLife {
                half_life_ns: at.positive_nanos(name, seconds)?,
            }),
            Self::Lambda(lambda) => at
                .require(
                    name,
                    lambda,
                    lambda > 0.0 && lambda < 1.0,
                    "a lambda in (0, 1)",
                )
                .map(Decay::Lambda),
        }
    }
}

section! {
    /// The whole file.
    pub(crate) struct ConfigFile {
        /// Where the stages run: "fused" (all five on the pushing thread, no hops; the lowest
        /// latency when cores are few), "auto" (other cores, adjacent stages grouped so no core
        /// is oversubscribed), "pinned" (one busy-spinning core per stage; needs six cores) or
        /// { cores = [c1, c2, c3, c4, c5] } (stage -> core; stages sharing a core must be
        /// adjacent).
        placement: PlacementValue,
        /// Rings between stage threads (threaded placements only).
        rings: RingsFile,
        /// Journals of the stage boundaries.
        journal: JournalFile,
        /// The live metrics snapshot that `recal stats` reads from another process.
        stats: StatsFile,
        /// The markets recalibrated, one [[markets]] table each.
        markets: Vec<MarketFile>,
        /// Stage 1: feed decode.
        decoder: DecoderFile,
        /// Stage 2: estimators per underlying.
        estimator: EstimatorFile,
        /// Stage 3: margin model of the account book.
        margin: MarginFile,
        /// Stage 3: Expected Shortfall of the book against the insurance fund.
        solvency: SolvencyFile,
        /// Stage 4: targets, triggers, damping and emission.
        trigger: TriggerFile,
        /// Stage 5: signing and the verifier contract.
        emitter: EmitterFile,
    }
}

impl Default for ConfigFile {
    fn default() -> Self {
        Self::from(&Config::default())
    }
}

section! {
    /// `[rings]`.
    pub(crate) struct RingsFile {
        /// Slots per ring, a power of two.
        capacity: usize,
        /// What a full ring does to market data: "block" (wait; nothing is dropped, runs are
        /// deterministic) or "conflate" (the latest value per instrument wins, counted; state
        /// events still wait).
        backpressure: BackpressureName,
        /// How ring ends wait for their peer: "plan" (busy-spin when every stage thread has
        /// a core of its own, else spin, yield, then park), one of "busy_spin", "yield",
        /// "backoff" for every ring, or a list with one per ring in pipeline order (the feed
        /// ring into the first thread, the ring into each later thread, the output ring).
        wait: RingWaitValue,
    }
}

impl Default for RingsFile {
    fn default() -> Self {
        ConfigFile::default().rings
    }
}

section! {
    /// `[journal]`.
    pub(crate) struct JournalFile {
        /// What is journaled: "off", "input" (the input, the source of truth for replay, and
        /// what stage 5 emitted) or "all" (every stage boundary too).
        mode: JournalModeName,
        /// Directory of the run's journals (one subdirectory per journal); "" leaves it to
        /// the command (`recal run` makes a new one under /dev/shm when present). A relative
        /// path is taken from the configuration file's directory.
        dir: String,
    }
}

impl Default for JournalFile {
    fn default() -> Self {
        ConfigFile::default().journal
    }
}

section! {
    /// `[stats]`.
    pub(crate) struct StatsFile {
        /// Publish a live metrics snapshot for `recal stats`.
        enabled: bool,
        /// Snapshot file; "" is /dev/shm/recal-<pid>.stats (the temporary directory when
        /// /dev/shm is absent).
        path: String,
        /// Shortest time between two snapshots, milliseconds.
        interval_ms: u64,
    }
}

impl Default for StatsFile {
    fn default() -> Self {
        ConfigFile::default().stats
    }
}

section! {
    /// `[[markets]]`.
    pub(crate) struct MarketFile {
        /// The market's name in the recal/1 protocol-state messages.
        name: String,
        /// Source of the underlying's price: "deribit", "binance-spot", "binance-usdm",
        /// "binance-coinm", "pyth" or "recal".
        price_source: SourceName,
        /// The price instrument's name at that source.
        price_instrument: String,
        /// The collateral asset backing the market (valued at 1 quote unit).
        collateral_asset: String,
        /// Parameters in force on chain when the engine starts.
        start: StartFile,
        /// The verifier's immutable guardrails for the market.
        guardrails: GuardrailsFile,
    }
}

impl Default for MarketFile {
    fn default() -> Self {
        Self::from(&MarketSpec::btc_perp())
    }
}

section! {
    /// `[markets.start]`: a parameter set.
    pub(crate) struct StartFile {
        /// Initial margin, ppm of notional.
        initial_margin_ppm: u32,
        /// Maintenance margin, ppm of notional.
        maintenance_margin_ppm: u32,
        /// Liquidation add-on per moneyness bucket (ATM, OTM, deep OTM, far wings), ppm.
        liquidation_addon_ppm: [u32; 4],
        /// Liquidation penalty, ppm of the liquidated notional.
        liquidation_penalty_ppm: u32,
        /// Slippage penalty of liquidation auctions, ppm of the auctioned notional.
        auction_slippage_penalty_ppm: u32,
        /// Share of trading fees paid into the insurance fund, ppm.
        insurance_fund_rate_ppm: u32,
        /// Shift of the funding rate, ppm of notional per funding interval (+: longs pay).
        funding_shift_ppm: i32,
        /// Maximum leverage, hundredths (1000 = 10x).
        max_leverage_centi: u32,
        /// Open-interest cap, base units.
        open_interest_cap: u64,
    }
}

impl Default for StartFile {
    fn default() -> Self {
        MarketFile::default().start
    }
}

section! {
    /// `[markets.guardrails]`.
    pub(crate) struct GuardrailsFile {
        /// Shortest time between two applied updates, seconds.
        min_update_interval_seconds: u64,
        /// Shortest wait of a loosening proposal between submission and execution, seconds.
        min_time_lock_seconds: u64,
        /// Bounds and largest step per parameter, in the parameter's unit: a value must lie in
        /// [min, max] and move by at most max(max_step_absolute, |current| * max_step_ppm / 1e6)
        /// per update.
        parameters: PerParameter<RailValue>,
    }
}

impl Default for GuardrailsFile {
    fn default() -> Self {
        MarketFile::default().guardrails
    }
}

/// One parameter's guardrail; every key is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RailValue {
    /// Smallest allowed value.
    min: i64,
    /// Largest allowed value.
    max: i64,
    /// Largest step relative to the current value, ppm.
    max_step_ppm: u32,
    /// Largest step in absolute terms (a floor of the relative one).
    max_step_absolute: u64,
}

impl Section for RailValue {}

impl From<&Guardrail> for RailValue {
    fn from(rail: &Guardrail) -> Self {
        // `Guardrail` exposes its step only through `max_step(current)`, which is
        // `max(absolute, ⌊|current| · ppm / 10⁶⌋)`: at 0 it is the absolute floor, and at
        // 10³⁰ the relative part, 10²⁴ · ppm, exceeds any realistic floor.
        const PROBE: i128 = 1_000_000_000_000_000_000_000_000_000_000;
        const PER_PPM: u128 = 1_000_000_000_000_000_000_000_000;
        let absolute = rail.max_step(0);
        let at_probe = rail.max_step(PROBE);
        let ppm = if at_probe > absolute {
            at_probe / PER_PPM
        } else {
            0
        };
        Self {
            min: saturate(rail.min()),
            max: saturate(rail.max()),
            max_step_ppm: u32::try_from(ppm).unwrap_or(u32::MAX),
            max_step_absolute: unsigned(absolute),
        }
    }
}

/// One parameter's dead band; both keys are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeadBandValue {
    /// Relative part, ppm of the current value.
    relative_ppm: u32,
    /// Absolute floor, in the parameter's unit.
    absolute: u64,
}

impl Section for DeadBandValue {}

section! {
    /// A value per risk parameter, keyed by the parameter's name.
    #[serde(bound(deserialize = "T: Deserialize<'de>, PerParameter<T>: Default"))]
    pub(crate) struct PerParameter<T> {
        /// Initial margin (ppm).
        initial_margin: T,
        /// Maintenance margin (ppm).
        maintenance_margin: T,
        /// Liquidation add-on of at-the-money options (ppm).
        liquidation_addon_atm: T,
        /// Liquidation add-on of out-of-the-money options (ppm).
        liquidation_addon_otm: T,
        /// Liquidation add-on of deep out-of-the-money options (ppm).
        liquidation_addon_deep_otm: T,
        /// Liquidation add-on of the far wings (ppm).
        liquidation_addon_far_wings: T,
        /// Liquidation penalty (ppm).
        liquidation_penalty: T,
        /// Auction slippage penalty (ppm).
        auction_slippage_penalty: T,
        /// Insurance-fund contribution rate (ppm).
        insurance_fund_rate: T,
        /// Funding shift (ppm per funding interval).
        funding_shift: T,
        /// Maximum leverage (hundredths).
        max_leverage: T,
        /// Open-interest cap (base units).
        open_interest_cap: T,
    }
}

impl<T: Copy + Section> PerParameter<T> {
    fn from_fn(value: impl Fn(ParameterId) -> T) -> Self {
        Self {
            initial_margin: value(ParameterId::InitialMargin),
            maintenance_margin: value(ParameterId::MaintenanceMargin),
            liquidation_addon_atm: value(ParameterId::LiquidationAddonAtm),
            liquidation_addon_otm: value(ParameterId::LiquidationAddonOtm),
            liquidation_addon_deep_otm: value(ParameterId::LiquidationAddonDeepOtm),
            liquidation_addon_far_wings: value(ParameterId::LiquidationAddonFarWings),
            liquidation_penalty: value(ParameterId::LiquidationPenalty),
            auction_slippage_penalty: value(ParameterId::AuctionSlippagePenalty),
            insurance_fund_rate: value(ParameterId::InsuranceFundRate),
            funding_shift: value(ParameterId::FundingShift),
            max_leverage: value(ParameterId::MaxLeverage),
            open_interest_cap: value(ParameterId::OpenInterestCap),
        }
    }

    const fn get(&self, parameter: ParameterId) -> T {
        match parameter {
            ParameterId::InitialMargin => self.initial_margin,
            ParameterId::MaintenanceMargin => self.maintenance_margin,
            ParameterId::LiquidationAddonAtm => self.liquidation_addon_atm,
            ParameterId::LiquidationAddonOtm => self.liquidation_addon_otm,
            ParameterId::LiquidationAddonDeepOtm => self.liquidation_addon_deep_otm,
            ParameterId::LiquidationAddonFarWings => self.liquidation_addon_far_wings,
            ParameterId::LiquidationPenalty => self.liquidation_penalty,
            ParameterId::AuctionSlippagePenalty => self.auction_slippage_penalty,
            ParameterId::InsuranceFundRate => self.insurance_fund_rate,
            ParameterId::FundingShift => self.funding_shift,
            ParameterId::MaxLeverage => self.max_leverage,
            ParameterId::OpenInterestCap => self.open_interest_cap,
        }
    }

    /// The key of `parameter` in the table.
    fn key(parameter: ParameterId) -> &'static str {
        <Self as Section>::FIELDS[parameter.index()].key
    }
}

impl Default for PerParameter<RailValue> {
    fn default() -> Self {
        GuardrailsFile::default().parameters
    }
}

impl Default for PerParameter<DeadBandValue> {
    fn default() -> Self {
        EmissionFile::default().dead_band
    }
}

section! {
    /// `[decoder]`.
    pub(crate) struct DecoderFile {
        /// Longest message accepted, bytes; longer ones are rejected unparsed.
        max_message_bytes: usize,
        /// How far an event time may be ahead of the receive time, seconds; 0 disables the
        /// check (for example when replaying without receive times).
        max_future_skew_seconds: f64,
        /// Largest implied volatility accepted, as a fraction (10 = 1000 %).
        max_implied_volatility: f64,
        /// Instrument names not seen before: "auto_register" or "reject".
        unknown_instruments: UnknownInstrumentsName,
        /// Recent rejects kept for inspection (every reject is counted regardless).
        reject_capacity: usize,
        /// Bytes kept of each kept reject.
        reject_bytes: usize,
    }
}

impl Default for DecoderFile {
    fn default() -> Self {
        ConfigFile::default().decoder
    }
}

section! {
    /// `[estimator]`.
    pub(crate) struct EstimatorFile {
        /// EWMA variance horizons, each a half-life in seconds of event time or
        /// { lambda = <factor> } for bar data; the first is the short horizon that feeds
        /// vol-of-vol.
        horizons: Vec<DecayValue>,
        /// Window of the rolling realized volatility, seconds.
        realized_window_seconds: f64,
        /// Window of the price-deviation trigger, seconds.
        deviation_window_seconds: f64,
        /// Decay of vol-of-vol and its acceleration (half-life in seconds, or { lambda }).
        vol_of_vol_decay: DecayValue,
        /// Decay of the kurtosis (fat-tail) estimate.
        tail_decay: DecayValue,
        /// Bounds [lowest, highest] of the Student-t degrees of freedom.
        nu_bounds: [f64; 2],
        /// Decay of macro correlations and betas.
        correlation_decay: DecayValue,
        /// The price source is stale after this long without a print, seconds.
        stale_after_seconds: f64,
        /// Prints preallocated in each rolling window.
        window_capacity: usize,
        /// Annualised volatility assumed before the short horizon is warm.
        fallback_vol: f64,
        /// Outlier filter applied to every print before any estimator sees it.
        outlier: OutlierFile,
    }
}

impl Default for EstimatorFile {
    fn default() -> Self {
        ConfigFile::default().estimator
    }
}

section! {
    /// `[estimator.outlier]`.
    pub(crate) struct OutlierFile {
        /// Recent prints the median and MAD are taken over (>= 3).
        window: usize,
        /// Band half-width, in scale units (> 0).
        k: f64,
        /// Floor of the scale, log-price units (1e-4 = 1 bp).
        min_scale: f64,
        /// Prints held before any is filtered (>= 3, <= window).
        min_history: usize,
        /// A print outside the band: "reject" or "clamp" (to the band's edge).
        action: OutlierActionName,
        /// Consecutive consistent outside prints after which the next one is accepted as a new
        /// level; 0 never accepts one.
        confirm_after: usize,
    }
}

impl Default for OutlierFile {
    fn default() -> Self {
        EstimatorFile::default().outlier
    }
}

section! {
    /// `[margin]`.
    pub(crate) struct MarginFile {
        /// Margin method: "volatility_adjusted" or "portfolio" (scenario grid and add-ons).
        model: MarginModelName,
        /// Initial margin ratio at the reference volatility (0.10 = 10 %).
        initial_ratio: f64,
        /// Maintenance margin ratio at the reference volatility.
        maintenance_ratio: f64,
        /// Reference volatility, annualised.
        reference_vol: f64,
        /// Tail factor scaling the volatility-adjusted margin for fat tails (>= 0).
        tail_factor: f64,
        /// Accounts revalued in full per price tick, round-robin: bounds the work per tick.
        refresh_budget: usize,
        /// Scenario grid and add-ons of the portfolio model.
        portfolio: PortfolioFile,
    }
}

impl Default for MarginFile {
    fn default() -> Self {
        ConfigFile::default().margin
    }
}

section! {
    /// `[margin.portfolio]`.
    pub(crate) struct PortfolioFile {
        /// Relative spot shocks of the grid (-0.15 = -15 %), each > -1.
        spot_shocks: Vec<f64>,
        /// Relative volatility shocks of the grid (-0.30 scales volatilities by 0.70), each
        /// >= -1.
        vol_shocks: Vec<f64>,
        /// Width of a moneyness bucket, in |ln(K/S)|.
        otm_bucket_width: f64,
        /// Deep-OTM add-on ratio per moneyness bucket, each >= 0.
        otm_addon_by_bucket: Vec<f64>,
        /// Gross notional above which the concentration add-on applies, quote currency.
        concentration_threshold: f64,
        /// Concentration add-on per unit of notional over the threshold.
        concentration_rate: f64,
        /// Factor on the liquidation slippage add-on.
        liquidation_cost_factor: f64,
    }
}

impl Default for PortfolioFile {
    fn default() -> Self {
        MarginFile::default().portfolio
    }
}

section! {
    /// `[solvency]`.
    pub(crate) struct SolvencyFile {
        /// Confidence level of the Expected Shortfall, in (0, 1).
        level: f64,
        /// Student-t degrees of freedom (> 2).
        dof: f64,
        /// Liquidation horizon, years (1/8760 = one hour).
        horizon_years: f64,
        /// Quantile cells of the computation (>= 2); each costs time on the tick path.
        cells: usize,
        /// The solvency ratio is recomputed at most this often, seconds of event time.
        interval_seconds: f64,
    }
}

impl Default for SolvencyFile {
    fn default() -> Self {
        ConfigFile::default().solvency
    }
}

section! {
    /// `[trigger]`.
    pub(crate) struct TriggerFile {
        /// Constants of the target formulas (fractions of notional unless stated).
        model: ModelFile,
        /// Trigger thresholds.
        thresholds: ThresholdsFile,
        /// Continuous damping toward the targets.
        damping: DampingFile,
        /// When to emit.
        emission: EmissionFile,
    }
}

impl Default for TriggerFile {
    fn default() -> Self {
        ConfigFile::default().trigger
    }
}

section! {
    /// `[trigger.model]`.
    pub(crate) struct ModelFile {
        /// Standard deviations of the liquidation-horizon move the maintenance margin covers.
        margin_quantile: f64,
        /// Time to liquidate a position, seconds.
        liquidation_horizon_seconds: f64,
        /// Weight of vol-of-vol in the effective volatility sigma * (1 + w * vov).
        vol_of_vol_weight: f64,
        /// Tail factor slope in 1 + c / (nu - 2).
        tail_weight: f64,
        /// Largest tail factor (also used for nu <= 2).
        tail_factor_cap: f64,
        /// Smallest maintenance margin.
        maintenance_floor: f64,
        /// Largest maintenance margin.
        maintenance_cap: f64,
        /// Initial margin over maintenance margin (>= 1).
        initial_to_maintenance: f64,
        /// Largest initial margin.
        initial_cap: f64,
        /// Liquidation add-on per moneyness bucket with a flat smile (ATM, OTM, deep OTM, far
        /// wings).
        addon_base: [f64; 4],
        /// Add-on per unit of normalised skew |RR25| / ATM vol, per bucket.
        addon_skew_slope: [f64; 4],
        /// Largest add-on of any bucket.
        addon_cap: f64,
        /// Liquidation penalty (a constant target).
        liquidation_penalty: f64,
        /// Share of the larger open-interest side assumed liquidated into the book at once.
        slippage_liquidated_share: f64,
        /// Smallest auction slippage penalty.
        slippage_floor: f64,
        /// Largest auction slippage penalty (also used with an empty book).
        slippage_cap: f64,
        /// Insurance-fund contribution rate (share of fees) at or below the reference
        /// debt-to-equity.
        fund_rate_base: f64,
        /// Extra contribution rate per unit of debt-to-equity above the reference.
        fund_rate_slope: f64,
        /// Debt-to-equity above which the contribution rate rises.
        fund_rate_reference: f64,
        /// Largest contribution rate.
        fund_rate_cap: f64,
        /// Funding shift at full open-interest skew, per funding interval.
        funding_shift_per_skew: f64,
        /// Largest funding-shift magnitude.
        funding_shift_cap: f64,
        /// Leverage cap with a healthy fund, before the initial-margin bound (x).
        max_leverage: f64,
        /// Fund-to-collateral ratio at and above which leverage is not reduced.
        healthy_fund_ratio: f64,
        /// Leverage multiplier with an empty fund (rises linearly to 1 at the healthy ratio).
        min_health_factor: f64,
        /// Extra multiplier of leverage and open-interest cap while the fund-low trigger is
        /// active.
        fund_low_factor: f64,
        /// Open-interest cap with a healthy fund, base units; 0 takes the starting
        /// parameters' cap.
        open_interest_cap: u64,
    }
}

impl Default for ModelFile {
    fn default() -> Self {
        TriggerFile::default().model
    }
}

section! {
    /// `[trigger.thresholds]`.
    pub(crate) struct ThresholdsFile {
        /// Price deviation within the deviation window above which all positions are
        /// re-margined at once (0.01 = 1 %).
        deviation: f64,
        /// Insurance fund / total collateral below which all leverage is tightened.
        fund_low_ratio: f64,
        /// Open-interest skew |L - S| / (L + S) above which funding shifts at once.
        open_interest_skew: f64,
        /// Vol-of-vol acceleration, per hour, above which margins are recomputed at once.
        vol_of_vol_acceleration: f64,
    }
}

impl Default for ThresholdsFile {
    fn default() -> Self {
        TriggerFile::default().thresholds
    }
}

section! {
    /// `[trigger.damping]`.
    pub(crate) struct DampingFile {
        /// Largest move per second of event time, ppm of the parameter's guardrail range.
        max_rate_ppm_of_range: u32,
        /// The Recalibration Sensitivity: the filter's gain per reference interval.
        sensitivity: SensitivityFile,
    }
}

impl Default for DampingFile {
    fn default() -> Self {
        TriggerFile::default().damping
    }
}

section! {
    /// `[trigger.damping.sensitivity]`.
    pub(crate) struct SensitivityFile {
        /// Share of the gap to a tighter target closed per interval, ppm (<= 1000000).
        tighten_gain_ppm: u32,
        /// Share of the gap to a looser target closed per interval, ppm (<= 1000000).
        loosen_gain_ppm: u32,
        /// The reference interval, seconds (> 0).
        interval_seconds: u64,
    }
}

impl Default for SensitivityFile {
    fn default() -> Self {
        DampingFile::default().sensitivity
    }
}

section! {
    /// `[trigger.emission]`.
    pub(crate) struct EmissionFile {
        /// Re-emit the parameters in force after this long without a proposal, seconds.
        heartbeat_seconds: u64,
        /// While a loosening waits out its time-lock, a drift tightening supersedes it only
        /// if some parameter moves by more than this many dead bands (triggers always do).
        supersede_dead_bands: u32,
        /// Smallest change worth a proposal, per parameter:
        /// max(|current| * relative_ppm / 1e6, absolute), in the parameter's unit.
        dead_band: PerParameter<DeadBandValue>,
    }
}

impl Default for EmissionFile {
    fn default() -> Self {
        TriggerFile::default().emission
    }
}

section! {
    /// `[emitter]`.
    pub(crate) struct EmitterFile {
        /// Delay before a loosening proposal becomes valid, seconds (at least the guardrails'
        /// min_time_lock_seconds).
        time_lock_seconds: u64,
        /// How long a proposal stays valid after it becomes valid, seconds.
        validity_seconds: u64,
        /// EIP-712 chain id of the verifier.
        chain_id: u64,
        /// Address of the verifier contract.
        verifying_contract: String,
        /// Address of the verifier's guardian.
        guardian: String,
        /// File holding the keeper's secp256k1 secret key (64 hex digits, mode 600); never
        /// the key itself. "" signs with the publicly known demo key, with a warning. A
        /// relative path is taken from the configuration file's directory.
        key_file: String,
    }
}

impl Default for EmitterFile {
    fn default() -> Self {
        ConfigFile::default().emitter
    }
}

impl From<&Config> for ConfigFile {
    fn from(config: &Config) -> Self {
        let pipeline = &config.pipeline;
        let estimator = &pipeline.estimator;
        let outlier = &estimator.outlier;
        let decoder = &pipeline.decoder;
        let margin = &pipeline.margin;
        let portfolio = &margin.portfolio;
        let model = &pipeline.trigger.model;
        let thresholds = &pipeline.trigger.thresholds;
        let damping = &pipeline.trigger.damping;
        let emission = &pipeline.trigger.emission;
        Self {
            placement: PlacementValue(config.placement.clone()),
            rings: RingsFile {
                capacity: config.rings.capacity,
                backpressure: config.rings.backpressure.into(),
                wait: RingWaitValue(config.rings.wait.clone()),
            },
            journal: JournalFile {
                mode: pipeline.journal.mode.into(),
                dir: pipeline.journal.dir.display().to_string(),
            },
            stats: StatsFile {
                enabled: config.stats.enabled,
                path: path_text(config.stats.path.as_ref()),
                interval_ms: u64::try_from(config.stats.interval.as_millis()).unwrap_or(u64::MAX),
            },
            markets: pipeline.markets.iter().map(MarketFile::from).collect(),
            decoder: DecoderFile {
                max_message_bytes: decoder.max_message_len,
                max_future_skew_seconds: decoder.max_future_skew_ns.map_or(0.0, seconds),
                max_implied_volatility: decoder.max_implied_volatility,
                unknown_instruments: decoder.unknown_instruments.into(),
                reject_capacity: decoder.reject_capacity,
                reject_bytes: decoder.reject_bytes,
            },
            estimator: EstimatorFile {
                horizons: estimator.horizons.iter().copied().map(Into::into).collect(),
                realized_window_seconds: seconds(estimator.realized_window_ns),
                deviation_window_seconds: seconds(estimator.deviation_window_ns),
                vol_of_vol_decay: estimator.vol_of_vol_decay.into(),
                tail_decay: estimator.tail_decay.into(),
                nu_bounds: [estimator.nu_bounds.0, estimator.nu_bounds.1],
                correlation_decay: estimator.correlation_decay.into(),
                stale_after_seconds: seconds(estimator.stale_after_ns),
                window_capacity: estimator.window_capacity,
                fallback_vol: pipeline.fallback_vol,
                outlier: OutlierFile {
                    window: outlier.window,
                    k: outlier.k,
                    min_scale: outlier.min_scale,
                    min_history: outlier.min_history,
                    action: outlier.action.into(),
                    confirm_after: outlier.confirm_after,
                },
            },
            margin: MarginFile {
                model: margin.model.into(),
                initial_ratio: margin.initial_ratio,
                maintenance_ratio: margin.maintenance_ratio,
                reference_vol: margin.reference_vol,
                tail_factor: margin.tail_factor,
                refresh_budget: pipeline.refresh_budget,
                portfolio: PortfolioFile {
                    spot_shocks: portfolio.spot_shocks.clone(),
                    vol_shocks: portfolio.vol_shocks.clone(),
                    otm_bucket_width: portfolio.otm_bucket_width,
                    otm_addon_by_bucket: portfolio.otm_addon_by_bucket.clone(),
                    concentration_threshold: portfolio.concentration_threshold,
                    concentration_rate: portfolio.concentration_rate,
                    liquidation_cost_factor: portfolio.liquidation_cost_factor,
                },
            },
            solvency: SolvencyFile {
                level: pipeline.solvency.level,
                dof: pipeline.solvency.dof,
                horizon_years: pipeline.solvency.horizon_years,
                cells: pipeline.solvency.cells,
                interval_seconds: seconds(pipeline.solvency_interval_ns),
            },
            trigger: TriggerFile {
                model: ModelFile {
                    margin_quantile: model.margin_quantile,
                    liquidation_horizon_seconds: model.liquidation_horizon_seconds,
                    vol_of_vol_weight: model.vol_of_vol_weight,
                    tail_weight: model.tail_weight,
                    tail_factor_cap: model.tail_factor_cap,
                    maintenance_floor: model.maintenance_floor,
                    maintenance_cap: model.maintenance_cap,
                    initial_to_maintenance: model.initial_to_maintenance,
                    initial_cap: model.initial_cap,
                    addon_base: model.addon_base,
                    addon_skew_slope: model.addon_skew_slope,
                    addon_cap: model.addon_cap,
                    liquidation_penalty: model.liquidation_penalty,
                    slippage_liquidated_share: model.slippage_liquidated_share,
                    slippage_floor: model.slippage_floor,
                    slippage_cap: model.slippage_cap,
                    fund_rate_base: model.fund_rate_base,
                    fund_rate_slope: model.fund_rate_slope,
                    fund_rate_reference: model.fund_rate_reference,
                    fund_rate_cap: model.fund_rate_cap,
                    funding_shift_per_skew: model.funding_shift_per_skew,
                    funding_shift_cap: model.funding_shift_cap,
                    max_leverage: model.max_leverage,
                    healthy_fund_ratio: model.healthy_fund_ratio,
                    min_health_factor: model.min_health_factor,
                    fund_low_factor: model.fund_low_factor,
                    open_interest_cap: model.open_interest_cap.map_or(0, unsigned),
                },
                thresholds: ThresholdsFile {
                    deviation: thresholds.deviation,
                    fund_low_ratio: thresholds.fund_low_ratio,
                    open_interest_skew: thresholds.open_interest_skew,
                    vol_of_vol_acceleration: thresholds.vol_of_vol_acceleration,
                },
                damping: DampingFile {
                    max_rate_ppm_of_range: damping.max_rate_ppm_of_range,
                    sensitivity: SensitivityFile {
                        tighten_gain_ppm: damping.sensitivity.tighten_gain_ppm,
                        loosen_gain_ppm: damping.sensitivity.loosen_gain_ppm,
                        interval_seconds: damping.sensitivity.interval_seconds,
                    },
                },
                emission: EmissionFile {
                    heartbeat_seconds: emission.heartbeat_seconds,
                    supersede_dead_bands: emission.supersede_dead_bands,
                    dead_band: PerParameter::from_fn(|parameter| {
                        let band = emission.dead_band[parameter.index()];
                        DeadBandValue {
                            relative_ppm: band.relative_ppm,
                            absolute: unsigned(band.absolute),
                        }
                    }),
                },
            },
            emitter: EmitterFile {
                time_lock_seconds: pipeline.timing.time_lock,
                validity_seconds: pipeline.timing.validity,
                chain_id: pipeline.chain_id,
                verifying_contract: format!("{:#x}", Address::from(pipeline.verifying_contract)),
                guardian: format!("{:#x}", Address::from(pipeline.guardian)),
                key_file: path_text(config.signing_key_file.as_ref()),
            },
        }
    }
}

impl From<&MarketSpec> for MarketFile {
    fn from(spec: &MarketSpec) -> Self {
        let start = &spec.start;
        Self {
            name: spec.market.clone(),
            price_source: spec.price_source.into(),
            price_instrument: spec.price_instrument.clone(),
            collateral_asset: spec.collateral_asset.clone(),
            start: StartFile {
                initial_margin_ppm: start.initial_margin_ppm,
                maintenance_margin_ppm: start.maintenance_margin_ppm,
                liquidation_addon_ppm: start.liquidation_addon_ppm,
                liquidation_penalty_ppm: start.liquidation_penalty_ppm,
                auction_slippage_penalty_ppm: start.auction_slippage_penalty_ppm,
                insurance_fund_rate_ppm: start.insurance_fund_rate_ppm,
                funding_shift_ppm: start.funding_shift_ppm,
                max_leverage_centi: start.max_leverage_centi,
                open_interest_cap: unsigned(start.open_interest_cap),
            },
            guardrails: GuardrailsFile {
                min_update_interval_seconds: spec.guardrails.min_update_interval(),
                min_time_lock_seconds: spec.guardrails.min_time_lock(),
                parameters: PerParameter::from_fn(|parameter| {
                    RailValue::from(spec.guardrails.guardrail(parameter))
                }),
            },
        }
    }
}

impl ConfigFile {
    /// The engine configuration this file describes, checked value by value; relative paths
    /// are taken from `base`. The signing key file is read here.
    pub(crate) fn resolve(self, base: Option<&Path>) -> Result<Config, ConfigError> {
        let top = At("");
        if !self.rings.capacity.is_power_of_two() {
            return Err(At("rings").invalid(
                "capacity",
                format!("{} is not a power of two", self.rings.capacity),
            ));
        }
        if self.stats.interval_ms == 0 {
            return Err(At("stats").invalid("interval_ms", "must be at least 1 ms"));
        }
        if self.markets.is_empty() {
            return Err(top.invalid("markets", "at least one [[markets]] table is needed"));
        }
        let markets = self
            .markets
            .iter()
            .enumerate()
            .map(|(index, market)| market.resolve(At(&format!("markets[{index}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        let signing_key_file = path(&self.emitter.key_file, base);
        let signing_key = match &signing_key_file {
            Some(key_file) => *recal_emit::load_secret_key(key_file)?.expose(),
            None => PipelineConfig::default().signing_key,
        };
        let pipeline = PipelineConfig {
            markets,
            decoder: self.decoder.resolve(At("decoder"))?,
            estimator: self.estimator.resolve(At("estimator"))?,
            fallback_vol: At("estimator").positive("fallback_vol", self.estimator.fallback_vol)?,
            margin: self.margin.resolve(At("margin"))?,
            refresh_budget: self.margin.refresh_budget,
            solvency: self.solvency.resolve(At("solvency"))?,
            solvency_interval_ns: At("solvency")
                .nanos("interval_seconds", self.solvency.interval_seconds)?,
            trigger: self.trigger.resolve()?,
            timing: EmitterConfig {
                time_lock: self.emitter.time_lock_seconds,
                validity: self.emitter.validity_seconds,
            },
            chain_id: self.emitter.chain_id,
            verifying_contract: address(
                At("emitter"),
                "verifying_contract",
                &self.emitter.verifying_contract,
            )?,
            guardian: address(At("emitter"), "guardian", &self.emitter.guardian)?,
            signing_key,
            journal: JournalOptions {
                mode: self.journal.mode.into(),
                dir: path(&self.journal.dir, base).unwrap_or_default(),
            },
        };
        Ok(Config {
            placement: self.placement.0,
            rings: RingOptions {
                capacity: self.rings.capacity,
                backpressure: self.rings.backpressure.into(),
                wait: self.rings.wait.0,
                ..RingOptions::default()
            },
            pipeline,
            stats: StatsOptions {
                enabled: self.stats.enabled,
                path: path(&self.stats.path, base),
                interval: Duration::from_millis(self.stats.interval_ms),
            },
            signing_key_file,
        })
    }
}

fn address(at: At<'_>, name: &str, text: &str) -> Result<[u8; 20], ConfigError> {
    Address::from_str(text)
        .map(|address| address.0.0)
        .map_err(|_| {
            at.invalid(
                name,
                format!("`{text}` is not a 0x-prefixed 20-byte hex address"),
            )
        })
}

impl MarketFile {
    fn resolve(&self, at: At<'_>) -> Result<MarketSpec, ConfigError> {
        for (name, text) in [
            ("name", &self.name),
            ("price_instrument", &self.price_instrument),
            ("collateral_asset", &self.collateral_asset),
        ] {
            if text.is_empty() {
                return Err(at.invalid(name, "must not be empty"));
            }
        }
        let start = &self.start;
        let rails = &self.guardrails;
        let rails_key = at.key("guardrails.parameters");
        let per_parameter = ParameterId::ALL
            .iter()
            .map(|&parameter| {
                let rail = rails.parameters.get(parameter);
                Guardrail::new(
                    rail.min.into(),
                    rail.max.into(),
                    rail.max_step_ppm,
                    rail.max_step_absolute.into(),
                )
                .map_err(|error| {
                    At(&rails_key)
                        .invalid(PerParameter::<RailValue>::key(parameter), error.to_string())
                })
            })
            .collect::<Result<Vec<_>, _>>()?
            .try_into()
            .expect("one guardrail per parameter");
        Ok(MarketSpec {
            market: self.name.clone(),
            price_source: self.price_source.into(),
            price_instrument: self.price_instrument.clone(),
            collateral_asset: self.collateral_asset.clone(),
            start: ParameterSet {
                initial_margin_ppm: start.initial_margin_ppm,
                maintenance_margin_ppm: start.maintenance_margin_ppm,
                liquidation_addon_ppm: start.liquidation_addon_ppm,
                liquidation_penalty_ppm: start.liquidation_penalty_ppm,
                auction_slippage_penalty_ppm: start.auction_slippage_penalty_ppm,
                insurance_fund_rate_ppm: start.insurance_fund_rate_ppm,
                funding_shift_ppm: start.funding_shift_ppm,
                max_leverage_centi: start.max_leverage_centi,
                open_interest_cap: start.open_interest_cap.into(),
            },
            guardrails: Guardrails::new(
                per_parameter,
                rails.min_update_interval_seconds,
                rails.min_time_lock_seconds,
            ),
        })
    }
}

impl DecoderFile {
    fn resolve(&self, at: At<'_>) -> Result<DecoderConfig, ConfigError> {
        let skew = at.nanos("max_future_skew_seconds", self.max_future_skew_seconds)?;
        Ok(DecoderConfig {
            max_message_len: at.at_least("max_message_bytes", self.max_message_bytes, 1)?,
            max_future_skew_ns: (skew > 0).then_some(skew),
            max_implied_volatility: at
                .positive("max_implied_volatility", self.max_implied_volatility)?,
            unknown_instruments: self.unknown_instruments.into(),
            reject_capacity: self.reject_capacity,
            reject_bytes: self.reject_bytes,
        })
    }
}

impl EstimatorFile {
    fn resolve(&self, at: At<'_>) -> Result<UnderlyingConfig, ConfigError> {
        if self.horizons.is_empty() {
            return Err(at.invalid("horizons", "at least one horizon is needed"));
        }
        let horizons = self
            .horizons
            .iter()
            .enumerate()
            .map(|(index, decay)| decay.resolve(at, &format!("horizons[{index}]")))
            .collect::<Result<_, _>>()?;
        let [nu_low, nu_high] = self.nu_bounds;
        at.require(
            "nu_bounds",
            nu_low,
            nu_low > 2.0,
            "a lowest degree of freedom > 2",
        )?;
        at.require(
            "nu_bounds",
            nu_high,
            nu_high >= nu_low,
            "a highest degree >= the lowest",
        )?;
        let window_capacity = at.at_least("window_capacity", self.window_capacity, 2)?;
        Ok(UnderlyingConfig {
            horizons,
            realized_window_ns: at
                .positive_nanos("realized_window_seconds", self.realized_window_seconds)?,
            deviation_window_ns: at
                .positive_nanos("deviation_window_seconds", self.deviation_window_seconds)?,
            vol_of_vol_decay: self.vol_of_vol_decay.resolve(at, "vol_of_vol_decay")?,
            tail_decay: self.tail_decay.resolve(at, "tail_decay")?,
            nu_bounds: (nu_low, nu_high),
            correlation_decay: self.correlation_decay.resolve(at, "correlation_decay")?,
            outlier: self.outlier.resolve(At(&at.key("outlier")))?,
            stale_after_ns: at.positive_nanos("stale_after_seconds", self.stale_after_seconds)?,
            window_capacity,
        })
    }
}

impl OutlierFile {
    fn resolve(&self, at: At<'_>) -> Result<OutlierConfig, ConfigError> {
        let window = at.at_least("window", self.window, 3)?;
        let min_history = at.at_least("min_history", self.min_history, 3)?;
        if min_history > window {
            return Err(at.invalid(
                "min_history",
                format!("{min_history} exceeds window ({window})"),
            ));
        }
        Ok(OutlierConfig {
            window,
            k: at.positive("k", self.k)?,
            min_scale: at.positive("min_scale", self.min_scale)?,
            min_history,
            action: self.action.into(),
            confirm_after: self.confirm_after,
        })
    }
}

impl MarginFile {
    fn resolve(&self, at: At<'_>) -> Result<MarginParams, ConfigError> {
        let grid_key = at.key("portfolio");
        let grid = At(&grid_key);
        let p = &self.portfolio;
        for (index, &shock) in p.spot_shocks.iter().enumerate() {
            grid.require(
                &format!("spot_shocks[{index}]"),
                shock,
                shock > -1.0,
                "a shock > -1",
            )?;
        }
        for (index, &shock) in p.vol_shocks.iter().enumerate() {
            grid.require(
                &format!("vol_shocks[{index}]"),
                shock,
                shock >= -1.0,
                "a shock >= -1",
            )?;
        }
        for (index, &ratio) in p.otm_addon_by_bucket.iter().enumerate() {
            grid.non_negative(&format!("otm_addon_by_bucket[{index}]"), ratio)?;
        }
        Ok(MarginParams {
            model: self.model.into(),
            initial_ratio: at.positive("initial_ratio", self.initial_ratio)?,
            maintenance_ratio: at.positive("maintenance_ratio", self.maintenance_ratio)?,
            reference_vol: at.positive("reference_vol", self.reference_vol)?,
            tail_factor: at.non_negative("tail_factor", self.tail_factor)?,
            portfolio: PortfolioMarginParams {
                spot_shocks: p.spot_shocks.clone(),
                vol_shocks: p.vol_shocks.clone(),
                otm_bucket_width: grid.positive("otm_bucket_width", p.otm_bucket_width)?,
                otm_addon_by_bucket: p.otm_addon_by_bucket.clone(),
                concentration_threshold: grid
                    .non_negative("concentration_threshold", p.concentration_threshold)?,
                concentration_rate: grid
                    .non_negative("concentration_rate", p.concentration_rate)?,
                liquidation_cost_factor: grid
                    .non_negative("liquidation_cost_factor", p.liquidation_cost_factor)?,
            },
        })
    }
}

impl SolvencyFile {
    fn resolve(&self, at: At<'_>) -> Result<SolvencyParams, ConfigError> {
        Ok(SolvencyParams {
            level: at.require(
                "level",
                self.level,
                self.level > 0.0 && self.level < 1.0,
                "in (0, 1)",
            )?,
            dof: at.require("dof", self.dof, self.dof > 2.0, "a number > 2")?,
            horizon_years: at.positive("horizon_years", self.horizon_years)?,
            cells: at.at_least("cells", self.cells, 2)?,
        })
    }
}

impl TriggerFile {
    /// The trigger settings, checked by [`TriggerConfig::validate`] (which names the constant).
    fn resolve(&self) -> Result<TriggerConfig, ConfigError> {
        let m = &self.model;
        let t = &self.thresholds;
        let s = &self.damping.sensitivity;
        let config = TriggerConfig {
            model: TargetModel {
                margin_quantile: m.margin_quantile,
                liquidation_horizon_seconds: m.liquidation_horizon_seconds,
                vol_of_vol_weight: m.vol_of_vol_weight,
                tail_weight: m.tail_weight,
                tail_factor_cap: m.tail_factor_cap,
                maintenance_floor: m.maintenance_floor,
                maintenance_cap: m.maintenance_cap,
                initial_to_maintenance: m.initial_to_maintenance,
                initial_cap: m.initial_cap,
                addon_base: m.addon_base,
                addon_skew_slope: m.addon_skew_slope,
                addon_cap: m.addon_cap,
                liquidation_penalty: m.liquidation_penalty,
                slippage_liquidated_share: m.slippage_liquidated_share,
                slippage_floor: m.slippage_floor,
                slippage_cap: m.slippage_cap,
                fund_rate_base: m.fund_rate_base,
                fund_rate_slope: m.fund_rate_slope,
                fund_rate_reference: m.fund_rate_reference,
                fund_rate_cap: m.fund_rate_cap,
                funding_shift_per_skew: m.funding_shift_per_skew,
                funding_shift_cap: m.funding_shift_cap,
                max_leverage: m.max_leverage,
                healthy_fund_ratio: m.healthy_fund_ratio,
                min_health_factor: m.min_health_factor,
                fund_low_factor: m.fund_low_factor,
                open_interest_cap: (m.open_interest_cap > 0).then(|| m.open_interest_cap.into()),
            },
            thresholds: Thresholds {
                deviation: t.deviation,
                fund_low_ratio: t.fund_low_ratio,
                open_interest_skew: t.open_interest_skew,
                vol_of_vol_acceleration: t.vol_of_vol_acceleration,
            },
            damping: DampingConfig {
                sensitivity: Sensitivity {
                    tighten_gain_ppm: s.tighten_gain_ppm,
                    loosen_gain_ppm: s.loosen_gain_ppm,
                    interval_seconds: s.interval_seconds,
                },
                max_rate_ppm_of_range: self.damping.max_rate_ppm_of_range,
            },
            emission: EmissionConfig {
                dead_band: ParameterId::ALL.map(|parameter| {
                    let band = self.emission.dead_band.get(parameter);
                    DeadBand {
                        relative_ppm: band.relative_ppm,
                        absolute: band.absolute.into(),
                    }
                }),
                heartbeat_seconds: self.emission.heartbeat_seconds,
                supersede_dead_bands: self.emission.supersede_dead_bands,
            },
        };
        let million = recal_types::PPM_SCALE;
        let sensitivity = At("trigger.damping.sensitivity");
        for (name, gain) in [
            ("tighten_gain_ppm", s.tighten_gain_ppm),
            ("loosen_gain_ppm", s.loosen_gain_ppm),
        ] {
            if gain > million {
                return Err(sensitivity.invalid(name, format!("{gain} exceeds {million}")));
            }
        }
        config.validate().map_err(|error| {
            let key = match error {
                recal_trigger::ConfigError::NonFinite { name }
                | recal_trigger::ConfigError::OutOfRange { name } => match name {
                    "sensitivity.interval_seconds" => {
                        "trigger.damping.sensitivity.interval_seconds".to_owned()
                    }
                    name if name.starts_with("thresholds.") => format!("trigger.{name}"),
                    name => format!("trigger.model.{name}"),
                },
                _ => "trigger".to_owned(),
            };
            ConfigError::Invalid {
                key,
                reason: error.to_string(),
            }
        })?;
        Ok(config)
    }
}
