//! Properties over random input tapes: guardrails, steps, intervals, conservative mode,
//! determinism, and acceptance of every proposal by the verifier model.

mod support;

use proptest::prelude::*;
use recal_trigger::{DeadBand, Decision, FeedStatus, RiskInputs, Sensitivity, TriggerConfig};
use recal_types::{ParameterId, Timestamp};
use support::{Keeper, MARKET, MIN_INTERVAL, OnChain, guardrails};

const T0: u64 = 1_700_000_000;

/// A snapshot drawn from wide ranges, including zeros and extremes.
fn snapshot() -> impl Strategy<Value = (u64, RiskInputs)> {
    let gap = prop_oneof![1u64..120, 120u64..4_000];
    let vols = (0.0..3.0f64, 0.0..3.0f64, -2.0..4.0f64, 0.0..40.0f64);
    let surface = (-0.5..0.5f64, 0.0..2.0f64, 0.0..0.1f64, 0.0..5.0f64);
    let book = (
        0.0..1e8f64,
        0.0..1e8f64,
        0.0..1e8f64,
        0.0..2e7f64,
        0.0..2e8f64,
    );
    let feed = prop_oneof![
        6 => Just(FeedStatus::Fresh),
        1 => Just(FeedStatus::Stale),
        1 => Just(FeedStatus::Gapped),
    ];
    (gap, vols, surface, book, feed).prop_map(
        |(
            gap,
            (vol, vov, accel, dof),
            (rr, atm, dev, de),
            (depth, long, short, fund, coll),
            feed,
        )| {
            let inputs = RiskInputs {
                timestamp: Timestamp::default(),
                realized_vol: vol,
                vol_of_vol: vov,
                vol_of_vol_acceleration: accel,
                tail_dof: dof,
                risk_reversal_25d: rr,
                atm_vol: atm,
                max_price_deviation: dev,
                debt_to_equity: de,
                book_depth: depth,
                open_interest_long: long,
                open_interest_short: short,
                insurance_fund: fund,
                total_collateral: coll,
                feed,
            };
            (gap, inputs)
        },
    )
}

/// Damping and emission settings from fast to sluggish, including the extremes.
fn config() -> impl Strategy<Value = TriggerConfig> {
    let gains = (
        0u32..=1_000_000,
        0u32..=1_000_000,
        1u64..600,
        0u32..1_000_000,
    );
    let emission = (0u32..50_000, 0u128..5_000, 1u64..7_200);
    (gains, emission).prop_map(
        |((tighten, loosen, interval, rate), (relative, absolute, heartbeat))| {
            let mut config = TriggerConfig::default();
            config.damping.sensitivity = Sensitivity {
                tighten_gain_ppm: tighten,
                loosen_gain_ppm: loosen,
                interval_seconds: interval,
            };
            config.damping.max_rate_ppm_of_range = rate;
            config.emission.dead_band = [DeadBand {
                relative_ppm: relative,
                absolute,
            }; ParameterId::COUNT];
            config.emission.heartbeat_seconds = heartbeat;
            config
        },
    )
}

/// Runs a tape (gaps in seconds) through a keeper; checks every step against the verifier and
/// the invariants; returns the decisions.
fn run(config: TriggerConfig, tape: &[(u64, RiskInputs)]) -> Result<Vec<Decision>, TestCaseError> {
    let rails = guardrails();
    let mut keeper = Keeper::new(config);
    let mut seconds = T0;
    let mut last_applied_at: Option<u64> = None;
    let mut decisions = Vec::with_capacity(tape.len());
    for (gap, inputs) in tape {
        seconds += gap;
        let inputs = RiskInputs {
            timestamp: Timestamp::from_unix_seconds(seconds).unwrap(),
            ..*inputs
        };
        let before = *keeper.stage.applied();
        let pending = keeper.verifier.pending(MARKET).map(|p| p.parameters);
        let step = keeper
            .step(&inputs)
            .map_err(|rejection| TestCaseError::fail(format!("verifier rejected: {rejection}")))?;
        let decision = step.decision;
        if let Some((set, _)) = decision.emit {
            // Inside bounds, within the maximum step from the parameters in force (after the
            // pending proposal executed, if it did), maintenance at most initial margin.
            let from = match (decision.execute_pending, pending) {
                (true, Some(executed)) => executed,
                (true, None) => return Err(TestCaseError::fail("executed nothing")),
                (false, _) => before,
            };
            prop_assert!(rails.check(&from, &set).is_ok());
            for p in ParameterId::ALL {
                let rail = rails.guardrail(p);
                prop_assert!((rail.min()..=rail.max()).contains(&set.get(p)));
            }
            prop_assert!(set.maintenance_margin_ppm <= set.initial_margin_ppm);
            if decision.conservative {
                prop_assert!(!set.is_loosening_from(&before));
            }
        }
        if decision.conservative {
            prop_assert!(!decision.execute_pending);
            prop_assert!(!step.applied.is_loosening_from(&before));
        }
        if step.applied != before || step.on_chain == OnChain::Applied {
            if let Some(last) = last_applied_at {
                prop_assert!(step.seconds >= last + MIN_INTERVAL);
            }
            last_applied_at = Some(step.seconds);
        }
        decisions.push(decision);
    }
    Ok(decisions)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_proposal_passes_the_verifier_and_the_guardrails(
        tape in prop::collection::vec(snapshot(), 1..60),
    ) {
        run(TriggerConfig::default(), &tape)?;
    }

    #[test]
    fn any_sensitivity_keeps_the_guarantees(
        config in config(),
        tape in prop::collection::vec(snapshot(), 1..40),
    ) {
        run(config, &tape)?;
    }

    #[test]
    fn same_inputs_give_the_same_decisions(tape in prop::collection::vec(snapshot(), 1..30)) {
        let first = run(TriggerConfig::default(), &tape)?;
        prop_assert_eq!(first, run(TriggerConfig::default(), &tape)?);
    }
}
