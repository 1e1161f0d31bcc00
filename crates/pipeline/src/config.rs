//! Configuration of the pipeline: markets, and the settings of each stage.

use recal_emit::{EmitterConfig, Guardrail, Guardrails};
use recal_estimate::UnderlyingConfig;
use recal_feed::DecoderConfig;
use recal_greeks::{MarginParams, SolvencyParams};
use recal_trigger::{TargetModel, TriggerConfig};
use recal_types::{ParameterId, ParameterSet, Source};

use crate::recorder::JournalOptions;

/// One protocol market recal recalibrates, and where its data comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketSpec {
    /// The market's name in the `recal/1` protocol-state messages (`"BTC-PERP"`).
    pub market: String,
    /// Source of the underlying's price (trades, book tops).
    pub price_source: Source,
    /// The price instrument's name at that source (`"BTCUSDT"`).
    pub price_instrument: String,
    /// The collateral asset (`"USDC"`) whose insurance fund and total collateral back the
    /// market; valued at 1 quote unit.
    pub collateral_asset: String,
    /// Parameters in force on chain when the engine starts.
    pub start: ParameterSet,
    /// The verifier's immutable guardrails for the market.
    pub guardrails: Guardrails,
}

impl MarketSpec {
    /// The BTC perpetual of the demo: prices from the Binance USDⓈ-M `BTCUSDT` streams, USDC
    /// collateral, [`default_start`] and [`default_guardrails`].
    #[must_use]
    pub fn btc_perp() -> Self {
        Self {
            market: "BTC-PERP".into(),
            price_source: Source::BinanceUsdmFutures,
            price_instrument: "BTCUSDT".into(),
            collateral_asset: "USDC".into(),
            start: default_start(),
            guardrails: default_guardrails(),
        }
    }
}

/// Everything the five stages need.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The markets; default: [`MarketSpec::btc_perp`].
    pub markets: Vec<MarketSpec>,
    /// Stage 1 limits and policies; default [`DecoderConfig::default`].
    pub decoder: DecoderConfig,
    /// Stage 2 estimators per underlying; default [`UnderlyingConfig::default`].
    pub estimator: UnderlyingConfig,
    /// Volatility assumed before the short EWMA horizon is warm \[0.5\].
    pub fallback_vol: f64,
    /// Stage 3 margin model of the account book; default [`MarginParams::default`].
    pub margin: MarginParams,
    /// Accounts revalued in full per price tick, round-robin \[16\]: bounds the work per tick.
    pub refresh_budget: usize,
    /// Expected Shortfall settings of the solvency ratio (default: 97.5 %, ν = 4, one hour,
    /// 200 cells; each computation costs about a millisecond, see `solvency_interval_ns`).
    pub solvency: SolvencyParams,
    /// The solvency ratio is recomputed at most this often, in event time \[300 s\]: it is
    /// background work sliced onto the tick path, so it shows in the latency tail.
    pub solvency_interval_ns: u64,
    /// Stage 4 targets, thresholds, damping and emission; default [`TriggerConfig::default`]
    /// except the vol-of-vol weight of the margin target, 0.005 (see
    /// [`VOL_OF_VOL_WEIGHT`]).
    pub trigger: TriggerConfig,
    /// Stage 5 timing: time-lock of loosening proposals and validity \[1 800 s, 600 s\].
    pub timing: EmitterConfig,
    /// EIP-712 chain id of the verifier \[1\].
    pub chain_id: u64,
    /// Address of the verifier contract \[`0xcc…cc`\].
    pub verifying_contract: [u8; 20],
    /// Address of the verifier's guardian \[`0x9999…99`\].
    pub guardian: [u8; 20],
    /// Journals of the run \[off\]: the input for replay, or every stage boundary too.
    pub journal: JournalOptions,
    /// The keeper's secp256k1 secret key. The default is a fixed, publicly known demo key
    /// (`0x42…42`): replace it with a real key (`recal_emit::load_secret_key`) outside demos.
    pub signing_key: [u8; 32],
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            markets: vec![MarketSpec::btc_perp()],
            decoder: DecoderConfig::default(),
            estimator: UnderlyingConfig::default(),
            fallback_vol: 0.5,
            margin: MarginParams::default(),
            refresh_budget: 16,
            solvency: SolvencyParams {
                cells: 200,
                ..SolvencyParams::default()
            },
            solvency_interval_ns: 300_000_000_000,
            trigger: TriggerConfig {
                model: TargetModel {
                    vol_of_vol_weight: VOL_OF_VOL_WEIGHT,
                    ..TargetModel::default()
                },
                ..TriggerConfig::default()
            },
            timing: EmitterConfig {
                time_lock: 1_800,
                validity: 600,
            },
            chain_id: 1,
            verifying_contract: [0xcc; 20],
            guardian: [0x99; 20],
            signing_key: [0x42; 32],
            journal: JournalOptions::default(),
        }
    }
}

/// Weight of vol-of-vol in the margin target, `σ · (1 + w · vov)`. Stage 2 measures the
/// vol-of-vol of its short (1-minute) EWMA volatility at every print, annualised: of order 40–80
/// on a 1-second tape, where the target model's default weight (0.5) assumes a vol-of-vol of
/// order 1. 0.005 lets it add about a quarter in calm markets and two fifths in a crash.
pub const VOL_OF_VOL_WEIGHT: f64 = 0.005;

/// Starting parameters of a market: IM 10 %, MM 5 %, add-ons 0 / 0.5 / 2 / 5 %, liquidation
/// penalty 2.5 %, auction slippage 0.5 %, fund rate 10 %, no funding shift, 10× leverage, an
/// open-interest cap of 10¹² base units.
#[must_use]
pub fn default_start() -> ParameterSet {
    ParameterSet {
        initial_margin_ppm: 100_000,
        maintenance_margin_ppm: 50_000,
        liquidation_addon_ppm: [0, 5_000, 20_000, 50_000],
        liquidation_penalty_ppm: 25_000,
        auction_slippage_penalty_ppm: 5_000,
        insurance_fund_rate_ppm: 100_000,
        funding_shift_ppm: 0,
        max_leverage_centi: 1_000,
        open_interest_cap: 1_000_000_000_000,
    }
}

/// Guardrails of a market: margins 1–50 % (IM from 2 %), add-ons and penalties 0–50 %, funding
/// shift ±2 000 ppm, leverage 1–50×, open-interest cap up to 10¹⁵; each update moves a
/// parameter by at most 25 % of its value (with a small absolute floor); updates at least 30 s
/// apart; loosening waits at least 1 800 s.
#[must_use]
pub fn default_guardrails() -> Guardrails {
    let rail = |min, max, step_ppm, step_abs| {
        Guardrail::new(min, max, step_ppm, step_abs).expect("static guardrail bounds are ordered")
    };
    let rails = ParameterId::ALL.map(|parameter| match parameter {
        ParameterId::InitialMargin => rail(20_000, 500_000, 250_000, 2_000),
        ParameterId::MaintenanceMargin => rail(10_000, 500_000, 250_000, 2_000),
        ParameterId::FundingShift => rail(-2_000, 2_000, 0, 250),
        ParameterId::MaxLeverage => rail(100, 5_000, 250_000, 50),
        ParameterId::OpenInterestCap => rail(0, 1_000_000_000_000_000, 250_000, 0),
        _ => rail(0, 500_000, 250_000, 2_000),
    });
    Guardrails::new(rails, 30, 1_800)
}
