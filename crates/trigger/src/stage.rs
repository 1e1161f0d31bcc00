//! The stage-4 state machine of one market.

use recal_emit::{EmitterConfig, Guardrail, Guardrails};
use recal_types::{MarketId, ParameterId, ParameterSet, Timestamp, TriggerCause};

use crate::clamp::Candidate;
use crate::config::TriggerConfig;
use crate::damping::{Damper, MAX_MAGNITUDE};
use crate::error::{ConfigError, InputError};
use crate::inputs::RiskInputs;
use crate::policy::{Chain, Policy};
use crate::targets::targets;
use crate::triggers::{ActiveTriggers, Fired};

/// What one update decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// The complete parameter set to hand to the emitter, with its cause; `None` when nothing
    /// is worth a proposal. All parameters of the market change together in it.
    pub emit: Option<(ParameterSet, TriggerCause)>,
    /// Triggers whose condition became true at this update.
    pub fired: Fired,
    /// How many parameters of the emitted set the guardrails clamped (bounds, maximum step,
    /// or maintenance margin at most initial margin); zero when nothing is emitted.
    pub clamped: u8,
    /// The keeper must execute the market's pending (time-locked) proposal now, before
    /// submitting [`emit`](Self::emit): its time-lock and the update interval have passed.
    pub execute_pending: bool,
    /// The feed is stale or gapped: parameters only move to the safe side.
    pub conservative: bool,
    /// The undamped targets computed from the inputs (before guardrails).
    pub targets: ParameterSet,
}

/// Trigger evaluation for one market: targets, triggers, damping, guardrails and the decision
/// to emit. Pure logic on event time; the same inputs give the same decisions.
///
/// The stage keeps a model of the verifier's state, and relies on this keeper contract: each
/// emitted set is passed to an [`Emitter`](recal_emit::Emitter) that was
/// [resumed](recal_emit::Emitter::resume_market) with the same starting parameters and
/// configured with the same [`EmitterConfig`], and submitted at the update's event time; when a
/// decision says [`execute_pending`](Decision::execute_pending), the pending proposal is
/// executed at that time. Then every proposal passes the verifier's guardrail, interval and
/// time-lock rules.
///
/// ```
/// use recal_emit::{EmitterConfig, Guardrail, Guardrails};
/// use recal_trigger::{RiskInputs, TriggerConfig, TriggerStage};
/// use recal_types::{MarketId, ParameterId, ParameterSet, Timestamp, TriggerCause};
///
/// let start = ParameterSet {
///     initial_margin_ppm: 150_000, maintenance_margin_ppm: 100_000,
///     liquidation_addon_ppm: [0, 5_000, 20_000, 50_000], liquidation_penalty_ppm: 25_000,
///     auction_slippage_penalty_ppm: 5_000, insurance_fund_rate_ppm: 100_000,
///     funding_shift_ppm: 0, max_leverage_centi: 600, open_interest_cap: 1_000_000,
/// };
/// let rail = Guardrail::new(0, 10_000_000, 250_000, 1_000).unwrap();
/// let guardrails = Guardrails::new([rail; ParameterId::COUNT], 60, 3_600);
/// let timing = EmitterConfig { time_lock: 3_600, validity: 600 };
/// let mut stage =
///     TriggerStage::new(MarketId(1), start, guardrails, timing, TriggerConfig::default())
///         .unwrap();
///
/// let crash = RiskInputs {
///     timestamp: Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
///     realized_vol: 1.5, vol_of_vol: 1.0, tail_dof: 3.0, atm_vol: 1.2,
///     max_price_deviation: 0.04, book_depth: 1e6, open_interest_long: 1e7,
///     open_interest_short: 1e7, insurance_fund: 1e7, total_collateral: 1e8,
///     ..RiskInputs::default()
/// };
/// let decision = stage.update(&crash).unwrap();
/// assert_eq!(decision.fired.first_cause(), Some(TriggerCause::Deviation));
/// let (set, cause) = decision.emit.unwrap();
/// assert_eq!(cause, TriggerCause::Deviation);
/// // Re-margined at once, as far as the 25 % maximum step allows.
/// assert_eq!(set.maintenance_margin_ppm, 125_000);
/// assert!(decision.clamped > 0);
/// ```
#[derive(Debug, Clone)]
pub struct TriggerStage {
    market: MarketId,
    config: TriggerConfig,
    guardrails: Guardrails,
    open_interest_cap: u128,
    active: ActiveTriggers,
    damper: Damper,
    policy: Policy,
    chain: Chain,
    last_time: Option<Timestamp>,
}

impl TriggerStage {
    /// A stage for `market`, whose verifier was registered with `start` and `guardrails`, and
    /// whose emitter runs with `timing` (see the keeper contract above).
    pub fn new(
        market: MarketId,
        start: ParameterSet,
        guardrails: Guardrails,
        timing: EmitterConfig,
        config: TriggerConfig,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        if timing.validity == 0 {
            return Err(ConfigError::ZeroValidity);
        }
        for parameter in ParameterId::ALL {
            let rail = guardrails.guardrail(parameter);
            let fits = [rail.min(), rail.max()].into_iter().all(|bound| {
                bound.unsigned_abs() <= MAX_MAGNITUDE.unsigned_abs()
                    && ParameterSet::default().with(parameter, bound).is_ok()
            });
            if !fits {
                return Err(ConfigError::GuardrailRange { parameter });
            }
        }
        guardrails
            .check(&start, &start)
            .map_err(ConfigError::StartOutsideGuardrails)?;
        // Dead bands reuse the guardrail step formula on an unbounded range.
        let unusable = ConfigError::OutOfRange {
            name: "emission.dead_band",
        };
        let dead_band: Vec<Guardrail> = config
            .emission
            .dead_band
            .iter()
            .map(|band| Guardrail::new(i128::MIN, i128::MAX - 1, band.relative_ppm, band.absolute))
            .collect::<Result<_, _>>()
            .map_err(|_| unusable.clone())?;
        let dead_band: [Guardrail; ParameterId::COUNT] =
            dead_band.try_into().map_err(|_| unusable)?;
        Ok(Self {
            market,
            open_interest_cap: config
                .model
                .open_interest_cap
                .unwrap_or(start.open_interest_cap),
            active: ActiveTriggers::default(),
            damper: Damper::new(
                ParameterId::ALL.map(|p| start.get(p)),
                &config.damping,
                &guardrails,
            ),
            policy: Policy::new(
                dead_band,
                config.emission.heartbeat_seconds,
                config.emission.supersede_dead_bands,
                timing,
            ),
            chain: Chain::new(start),
            last_time: None,
            config,
            guardrails,
        })
    }

    /// The market this stage recalibrates.
    #[must_use]
    pub const fn market(&self) -> MarketId {
        self.market
    }

    /// The parameters the stage believes are in force on chain.
    #[must_use]
    pub const fn applied(&self) -> &ParameterSet {
        self.chain.applied()
    }

    /// Which triggers are active after the latest update.
    #[must_use]
    pub const fn active_triggers(&self) -> &ActiveTriggers {
        &self.active
    }

    /// Evaluates one snapshot. An input earlier than the previous one is taken at the previous
    /// time (event times from different sources may be slightly out of order). An invalid
    /// snapshot is refused and changes nothing.
    pub fn update(&mut self, inputs: &RiskInputs) -> Result<Decision, InputError> {
        inputs.validate()?;
        let now = self
            .last_time
            .map_or(inputs.timestamp, |last| last.max(inputs.timestamp));
        let dt = self
            .last_time
            .map_or(0, |last| now.saturating_nanos_since(last));
        self.last_time = Some(now);

        let fired = self.active.evaluate(inputs, &self.config.thresholds);
        let conservative = self.active.is_active(TriggerCause::StaleFeed);
        let targets = targets(
            inputs,
            &self.config.model,
            self.open_interest_cap,
            self.active.is_active(TriggerCause::FundLow),
        );
        let bypass = ParameterId::ALL.map(|p| {
            bypassing_triggers(p)
                .iter()
                .any(|&cause| self.active.is_active(cause))
        });
        let gains = self.damper.gains(dt);
        self.damper.step(
            &ParameterId::ALL.map(|p| targets.get(p)),
            &gains,
            &bypass,
            conservative,
        );

        let seconds = now.as_unix_seconds();
        let execute_pending = self.chain.settle(seconds, conservative, &self.guardrails);
        let candidate = Candidate::build(
            &self.damper.rounded(),
            self.chain.applied(),
            &self.guardrails,
        );
        let emit = self.policy.decide(
            fired.first_cause(),
            &candidate,
            &mut self.chain,
            conservative,
            seconds,
            &self.guardrails,
        );
        let clamped = emit.map_or(0, |(set, _)| {
            ParameterId::ALL
                .into_iter()
                .filter(|&p| candidate.clamped[p.index()] && set.get(p) == candidate.full.get(p))
                .count() as u8
        });
        Ok(Decision {
            emit,
            fired,
            clamped,
            execute_pending,
            conservative,
            targets,
        })
    }
}

/// The triggers under which a tightening of `parameter` skips damping and goes straight to
/// its target (within guardrails): a price deviation or accelerating vol-of-vol re-margins
/// (margins and add-ons), a low fund tightens leverage and the open-interest cap, and an
/// open-interest skew shifts funding.
const fn bypassing_triggers(parameter: ParameterId) -> &'static [TriggerCause] {
    match parameter {
        ParameterId::InitialMargin
        | ParameterId::MaintenanceMargin
        | ParameterId::LiquidationAddonAtm
        | ParameterId::LiquidationAddonOtm
        | ParameterId::LiquidationAddonDeepOtm
        | ParameterId::LiquidationAddonFarWings => {
            &[TriggerCause::Deviation, TriggerCause::VolOfVolAcceleration]
        }
        ParameterId::MaxLeverage | ParameterId::OpenInterestCap => &[TriggerCause::FundLow],
        ParameterId::FundingShift => &[TriggerCause::OiSkew],
        ParameterId::LiquidationPenalty
        | ParameterId::AuctionSlippagePenalty
        | ParameterId::InsuranceFundRate => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::FeedStatus;

    const T0: u64 = 1_700_000_000;

    fn guardrails() -> Guardrails {
        let rails = ParameterId::ALL.map(|p| match p {
            ParameterId::FundingShift => Guardrail::new(-1_000, 1_000, 0, 100).unwrap(),
            _ => Guardrail::new(0, 2_000_000, 250_000, 1_000).unwrap(),
        });
        Guardrails::new(rails, 60, 3_600)
    }

    fn start() -> ParameterSet {
        ParameterSet {
            initial_margin_ppm: 400_000,
            maintenance_margin_ppm: 300_000,
            liquidation_addon_ppm: [0, 5_000, 20_000, 50_000],
            liquidation_penalty_ppm: 25_000,
            auction_slippage_penalty_ppm: 5_000,
            insurance_fund_rate_ppm: 100_000,
            funding_shift_ppm: 0,
            max_leverage_centi: 250,
            open_interest_cap: 1_000_000,
        }
    }

    const TIMING: EmitterConfig = EmitterConfig {
        time_lock: 3_600,
        validity: 600,
    };

    fn stage(config: TriggerConfig) -> TriggerStage {
        TriggerStage::new(MarketId(1), start(), guardrails(), TIMING, config).unwrap()
    }

    fn calm(seconds: u64, feed: FeedStatus) -> RiskInputs {
        RiskInputs {
            timestamp: Timestamp::from_unix_seconds(T0 + seconds).unwrap(),
            realized_vol: 0.5,
            vol_of_vol: 0.4,
            tail_dof: 6.0,
            atm_vol: 0.5,
            book_depth: 2e7,
            open_interest_long: 5e7,
            open_interest_short: 5e7,
            insurance_fund: 1e7,
            total_collateral: 1e8,
            feed,
            ..RiskInputs::default()
        }
    }

    #[test]
    fn refuses_bad_configuration() {
        let new = |start: ParameterSet, rails: Guardrails, timing, config| {
            TriggerStage::new(MarketId(1), start, rails, timing, config).unwrap_err()
        };
        let config = TriggerConfig::default();
        let zero = EmitterConfig {
            validity: 0,
            ..TIMING
        };
        assert_eq!(
            new(start(), guardrails(), zero, config),
            ConfigError::ZeroValidity
        );
        let inverted = ParameterSet {
            maintenance_margin_ppm: 500_000,
            ..start()
        };
        assert!(matches!(
            new(inverted, guardrails(), TIMING, config),
            ConfigError::StartOutsideGuardrails(_)
        ));
        let negative = Guardrail::new(-1, 10, 0, 0).unwrap();
        let rails = Guardrails::new([negative; ParameterId::COUNT], 60, 3_600);
        assert_eq!(
            new(start(), rails, TIMING, config),
            ConfigError::GuardrailRange {
                parameter: ParameterId::InitialMargin
            }
        );
        let mut bad = config;
        bad.damping.sensitivity.interval_seconds = 0;
        assert!(matches!(
            new(start(), guardrails(), TIMING, bad),
            ConfigError::OutOfRange { .. }
        ));
    }

    #[test]
    fn invalid_inputs_change_nothing() {
        let mut stage = stage(TriggerConfig::default());
        let mut twin = stage.clone();
        let mut bad = calm(600, FeedStatus::Fresh);
        bad.realized_vol = -0.1;
        assert_eq!(
            stage.update(&bad),
            Err(InputError::Negative {
                field: "realized_vol"
            })
        );
        bad.realized_vol = f64::INFINITY;
        assert!(stage.update(&bad).is_err());
        for seconds in [0, 30, 90] {
            let inputs = calm(seconds, FeedStatus::Fresh);
            assert_eq!(stage.update(&inputs), twin.update(&inputs));
        }
    }

    #[test]
    fn dead_band_then_heartbeat() {
        let mut config = TriggerConfig::default();
        config.emission.dead_band = [crate::DeadBand {
            relative_ppm: 1_000_000,
            absolute: 1 << 100,
        }; ParameterId::COUNT];
        let mut stage = stage(config);
        let causes: Vec<_> = (0..=60)
            .filter_map(|minute| {
                let decision = stage.update(&calm(minute * 60, FeedStatus::Fresh)).unwrap();
                decision.emit.map(|(_, cause)| (minute, cause))
            })
            .collect();
        assert_eq!(causes, [(60, TriggerCause::Heartbeat)]);
    }

    #[test]
    fn conservative_mode_suspends_loosening_until_fresh() {
        let mut stage = stage(TriggerConfig::default());
        let first = stage.update(&calm(0, FeedStatus::Stale)).unwrap();
        assert_eq!(first.fired.first_cause(), Some(TriggerCause::StaleFeed));
        for minute in 1..30 {
            let before = *stage.applied();
            let decision = stage
                .update(&calm(minute * 60, FeedStatus::Gapped))
                .unwrap();
            assert!(decision.conservative);
            if let Some((set, _)) = decision.emit {
                assert!(!set.is_loosening_from(&before));
            }
        }
        // The margins' targets are far below the start: loosening resumes once data is fresh.
        let loosening = (30..40).find_map(|minute| {
            let before = *stage.applied();
            let decision = stage.update(&calm(minute * 60, FeedStatus::Fresh)).unwrap();
            decision
                .emit
                .filter(|(set, _)| set.is_loosening_from(&before))
                .map(|(set, cause)| (minute, set, cause))
        });
        let (minute, set, cause) = loosening.expect("a loosening proposal");
        assert_eq!(cause, TriggerCause::TargetDrift);
        assert!(minute < 35);
        assert!(set.initial_margin_ppm < start().initial_margin_ppm);
        // Not in force until the time-lock passes and the keeper executes it.
        assert_eq!(
            stage.applied().initial_margin_ppm,
            start().initial_margin_ppm
        );
    }

    #[test]
    fn late_snapshot_is_taken_at_the_latest_time() {
        let mut stage = stage(TriggerConfig::default());
        let mut twin = stage.clone();
        stage.update(&calm(600, FeedStatus::Fresh)).unwrap();
        twin.update(&calm(600, FeedStatus::Fresh)).unwrap();
        let late = stage.update(&calm(300, FeedStatus::Fresh)).unwrap();
        let same_time = twin.update(&calm(600, FeedStatus::Fresh)).unwrap();
        assert_eq!(late.emit, same_time.emit);
        assert_eq!(late.targets, same_time.targets);
    }
}
