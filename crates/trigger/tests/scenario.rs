//! A scripted calm → crash → recovery tape through the stage, the emitter and the verifier.

mod support;

use recal_trigger::{FeedStatus, RiskInputs, TriggerConfig};
use recal_types::{ParameterSet, Timestamp, TriggerCause};
use support::{Keeper, OnChain, Step, TIME_LOCK, guardrails};

const T0: u64 = 1_700_000_000;
const STEP_SECONDS: u64 = 30;
const END_MINUTES: u64 = 480;

fn calm(seconds: u64) -> RiskInputs {
    RiskInputs {
        timestamp: Timestamp::from_unix_seconds(T0 + seconds).unwrap(),
        realized_vol: 0.5,
        vol_of_vol: 0.4,
        vol_of_vol_acceleration: 0.0,
        tail_dof: 6.0,
        risk_reversal_25d: -0.02,
        atm_vol: 0.5,
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

/// The tape: calm for an hour, a 30-minute crash, then recovery with a 5-minute stale feed.
fn tape(seconds: u64) -> RiskInputs {
    let minute = seconds / 60;
    let mut inputs = calm(seconds);
    if (60..90).contains(&minute) {
        let drained = (seconds - 3_600).min(1_200) as f64 / 1_200.0;
        inputs = RiskInputs {
            realized_vol: 1.6,
            vol_of_vol: 1.5,
            vol_of_vol_acceleration: if minute < 63 { 2.0 } else { 0.0 },
            tail_dof: 3.0,
            risk_reversal_25d: -0.25,
            atm_vol: 1.0,
            max_price_deviation: if minute < 75 { 0.05 } else { 0.005 },
            debt_to_equity: 2.5,
            book_depth: 3e6,
            open_interest_long: if minute < 65 { 6e7 } else { 9e7 },
            open_interest_short: if minute < 65 { 4e7 } else { 3e7 },
            insurance_fund: 1e7 - 7e6 * drained,
            ..inputs
        };
    } else if minute >= 90 {
        inputs.realized_vol = 0.55;
        inputs.atm_vol = 0.55;
        inputs.risk_reversal_25d = -0.03;
        if (150..155).contains(&minute) {
            inputs.feed = FeedStatus::Stale;
        }
    }
    inputs
}

fn run() -> Vec<Step> {
    let mut keeper = Keeper::new(TriggerConfig::default());
    (0..=END_MINUTES * 60 / STEP_SECONDS)
        .map(|i| {
            keeper
                .step(&tape(i * STEP_SECONDS))
                .expect("verifier accepts")
        })
        .collect()
}

fn row(step: &Step) -> String {
    let fired: Vec<String> = step
        .decision
        .fired
        .iter()
        .map(|e| format!("{:?}", e.cause()))
        .collect();
    let cause = step
        .decision
        .emit
        .map_or("-".into(), |(_, c)| format!("{c:?}"));
    let chain = match step.on_chain {
        OnChain::Idle => "-".to_string(),
        OnChain::Applied => "applied".into(),
        OnChain::Queued { executable_at } => format!("queued→{}m", (executable_at - T0) / 60),
    };
    let p: &ParameterSet = &step.applied;
    format!(
        "{:>6.1} {:<28} {:<20} {:<12} {:>4} {:>7} {:>7} {:>6} {:>6} {:>6} {:>5} {:>5} {:>6}",
        (step.seconds - T0) as f64 / 60.0,
        fired.join(","),
        cause,
        chain,
        if step.decision.execute_pending {
            "exec"
        } else {
            ""
        },
        p.initial_margin_ppm,
        p.maintenance_margin_ppm,
        p.liquidation_addon_ppm[2],
        p.auction_slippage_penalty_ppm,
        p.insurance_fund_rate_ppm,
        p.funding_shift_ppm,
        p.max_leverage_centi,
        p.open_interest_cap / 1_000_000_000_000_000_000,
    )
}

#[test]
fn crash_tightens_at_once_and_relaxes_only_after_the_time_lock() {
    let steps = run();
    println!(
        "{:>6} {:<28} {:<20} {:<12} {:>4} {:>7} {:>7} {:>6} {:>6} {:>6} {:>5} {:>5} {:>6}",
        "min",
        "fired",
        "emitted",
        "chain",
        "",
        "IM",
        "MM",
        "dOTM",
        "slip",
        "fund",
        "fshft",
        "lev",
        "OIcap"
    );
    println!("{}", row(&steps[0]));
    for step in steps.iter().filter(|s| {
        !s.decision.fired.is_empty() || s.decision.emit.is_some() || s.decision.execute_pending
    }) {
        println!("{}", row(step));
    }

    // Triggers, in order, with their times.
    let fired: Vec<(u64, TriggerCause)> = steps
        .iter()
        .flat_map(|s| {
            s.decision
                .fired
                .iter()
                .map(|e| ((e.at.as_unix_seconds() - T0) / 60, e.cause()))
        })
        .collect();
    assert_eq!(
        fired,
        [
            (60, TriggerCause::Deviation),
            (60, TriggerCause::VolOfVolAcceleration),
            (65, TriggerCause::OiSkew),
            (74, TriggerCause::FundLow),
            (150, TriggerCause::StaleFeed),
        ]
    );

    let at = |minute: u64| &steps[(minute * 60 / STEP_SECONDS) as usize];
    let calm_end = at(59).applied;
    // Calm: less margin than a static 20 %.
    assert!(calm_end.initial_margin_ppm < 200_000);

    // The crash re-margins in the same update, applied at once.
    let crash = at(60);
    assert_eq!(
        crash.decision.emit.map(|(_, c)| c),
        Some(TriggerCause::Deviation)
    );
    assert_eq!(crash.on_chain, OnChain::Applied);
    assert!(crash.applied.initial_margin_ppm > calm_end.initial_margin_ppm);
    assert!(
        crash.decision.clamped > 0,
        "a 25 % step cannot reach the crash target"
    );
    // The fund-low trigger tightens leverage and the open-interest cap at once.
    let fund_low = at(74);
    assert_eq!(fund_low.on_chain, OnChain::Applied);
    let peak = at(89).applied;
    assert_eq!(peak.initial_margin_ppm, 500_000);
    assert!(peak.max_leverage_centi < calm_end.max_leverage_centi);
    assert!(peak.open_interest_cap < calm_end.open_interest_cap);
    assert!(
        peak.funding_shift_ppm > 0,
        "funding shifts against the crowded longs"
    );
    assert!(peak.liquidation_addon_ppm[2] > calm_end.liquidation_addon_ppm[2]);

    // Afterwards the margins relax, but only through executed time-locked proposals.
    let end = steps.last().unwrap().applied;
    assert!(end.initial_margin_ppm < peak.initial_margin_ppm / 2);
    assert!(end.max_leverage_centi > peak.max_leverage_centi);
    let mut queued_at = None;
    for pair in steps.windows(2) {
        let (before, step) = (&pair[0].applied, &pair[1]);
        if step.applied.is_loosening_from(before) {
            assert!(
                step.decision.execute_pending,
                "loosened without a time-lock"
            );
            let submitted: u64 = queued_at.take().expect("a queued proposal");
            assert!(step.seconds >= submitted + TIME_LOCK);
        }
        if let OnChain::Queued { .. } = step.on_chain {
            queued_at = Some(step.seconds);
        }
        guardrails().check(before, &step.applied).unwrap();
        // Conservative mode never loosens.
        if step.decision.conservative {
            assert!(!step.applied.is_loosening_from(before));
            if let Some((set, _)) = step.decision.emit {
                assert!(!set.is_loosening_from(before));
            }
        }
    }
}
