//! Calm-market churn: once a loosening waits out its time-lock, small tightenings of the
//! targets (within a few dead bands) must not supersede it again and again; a large one still
//! does, and so does a trigger.

mod support;

use recal_trigger::{FeedStatus, RiskInputs, TriggerConfig};
use recal_types::Timestamp;
use support::{Keeper, OnChain, Step, TIME_LOCK};

const T0: u64 = 1_700_000_000;
const STEP_SECONDS: u64 = 30;

/// A calm market whose realised volatility is `vol`.
fn calm(seconds: u64, vol: f64) -> RiskInputs {
    RiskInputs {
        timestamp: Timestamp::from_unix_seconds(T0 + seconds).unwrap(),
        realized_vol: vol,
        vol_of_vol: 0.4,
        vol_of_vol_acceleration: 0.0,
        tail_dof: 6.0,
        risk_reversal_25d: -0.02,
        atm_vol: vol,
        max_price_deviation: 0.002,
        debt_to_equity: 0.8,
        book_depth: 2e7,
        open_interest_long: 5e7,
        open_interest_short: 5e7,
        insurance_fund: 1e7,
        total_collateral: 1e8,
        feed: FeedStatus::Fresh,
    }
}

/// Runs `vol(minute)` for `minutes`, one snapshot every 30 s.
fn run(config: TriggerConfig, minutes: u64, vol: impl Fn(u64) -> f64) -> Vec<Step> {
    let mut keeper = Keeper::new(config);
    (0..=minutes * 60 / STEP_SECONDS)
        .map(|i| {
            let seconds = i * STEP_SECONDS;
            keeper.step(&calm(seconds, vol(seconds / 60))).unwrap()
        })
        .collect()
}

fn executions(steps: &[Step]) -> usize {
    steps.iter().filter(|s| s.decision.execute_pending).count()
}

fn superseded_loosenings(steps: &[Step]) -> usize {
    let mut pending = false;
    let mut superseded = 0;
    for step in steps {
        match step.on_chain {
            OnChain::Queued { .. } => pending = true,
            OnChain::Applied if pending => {
                superseded += 1;
                pending = false;
            }
            _ => {}
        }
        if step.decision.execute_pending {
            pending = false;
        }
    }
    superseded
}

/// Minutes of high volatility before the calm, long enough for the damped parameters to
/// settle on their targets.
const SETTLE_MINUTES: u64 = 120;

/// Volatility that fell from 60 % to 35 % (so margins want to loosen), then wobbles by ±1.5
/// vol points every few minutes, a wobble of a dead band or two in the margin targets.
fn wobbling(minute: u64) -> f64 {
    if minute < SETTLE_MINUTES {
        0.6
    } else {
        0.35 + if (minute / 4).is_multiple_of(2) {
            0.015
        } else {
            -0.015
        }
    }
}

/// The steps of the calm part.
fn calm_part(steps: &[Step]) -> &[Step] {
    &steps[(SETTLE_MINUTES * 60 / STEP_SECONDS) as usize..]
}

#[test]
fn small_tightenings_do_not_cancel_a_pending_loosening() {
    let minutes = SETTLE_MINUTES + 3 * TIME_LOCK / 60;
    let steps = run(TriggerConfig::default(), minutes, wobbling);
    let calm = calm_part(&steps);
    assert!(
        executions(calm) >= 2,
        "loosenings execute after their time-lock"
    );
    assert_eq!(superseded_loosenings(calm), 0);
    // Each execution comes a full time-lock after its loosening was queued, and the calm
    // ends looser than it began.
    let mut queued_at = None;
    for step in calm {
        // A step executes the pending loosening before it submits a new one.
        if step.decision.execute_pending
            && let Some(queued) = queued_at
        {
            assert!(
                step.seconds >= queued + TIME_LOCK,
                "executed at {} s, queued at {queued} s",
                step.seconds
            );
        }
        if matches!(step.on_chain, OnChain::Queued { .. }) {
            queued_at = Some(step.seconds);
        }
    }
    let (first, last) = (calm[0].applied, calm[calm.len() - 1].applied);
    assert!(last.initial_margin_ppm < first.initial_margin_ppm);

    // Without the rule (any tightening beyond one dead band supersedes), the same market
    // churns: its loosenings are cancelled before they execute.
    let mut churning = TriggerConfig::default();
    churning.emission.supersede_dead_bands = 1;
    let churned = run(churning, minutes, wobbling);
    assert!(
        superseded_loosenings(calm_part(&churned)) > 0,
        "the test market wobbles enough to churn without the rule"
    );
}

#[test]
fn a_large_tightening_still_supersedes_a_pending_loosening() {
    // Calm, loosening queued; then volatility doubles: far beyond three dead bands.
    let steps = run(TriggerConfig::default(), 60, |minute| match minute {
        0..20 => 0.6,
        20..40 => 0.35,
        _ => 0.9,
    });
    assert!(superseded_loosenings(&steps) >= 1);
}
