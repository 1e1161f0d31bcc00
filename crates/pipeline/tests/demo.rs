//! End to end: the generated demo market through the fused pipeline.

use recal_emit::Outcome;
use recal_pipeline::demo::{self, DemoConfig};
use recal_pipeline::{Emitted, Fused, PipelineConfig, default_start};
use recal_types::{Timestamp, TriggerCause};

/// A shorter demo than the command's (same shape), to keep the debug-build test quick.
fn short_demo(seed: u64) -> DemoConfig {
    DemoConfig {
        seed,
        calm_seconds: 1_200,
        crash_seconds: 1_800,
        recovery_seconds: 4_800,
        accounts: 400,
        ..DemoConfig::default()
    }
}

fn run(config: &DemoConfig) -> Vec<Emitted> {
    let mut pipeline = Fused::new(&PipelineConfig::default()).unwrap();
    let mut out = Vec::new();
    for message in demo::generate(config) {
        let _ = pipeline.push_bytes(message.source, &message.bytes, pipeline.clock_ns());
        out.extend(pipeline.drain());
    }
    let counters = pipeline.metrics().counters;
    assert_eq!(counters.stage_errors, 0, "{counters:?}");
    assert_eq!(
        counters.rejects, 0,
        "every generated message decodes: {counters:?}"
    );
    assert!(
        counters.filtered_prints >= 1,
        "the manipulated print is filtered"
    );
    out
}

#[test]
fn crash_tightens_then_relaxes_after_the_time_lock() {
    let config = short_demo(7);
    let emitted = run(&config);
    let in_crash = |t: Timestamp| t >= config.crash_start() && t < config.crash_end();

    // Every proposal and execution is accepted by the verifier model.
    for e in &emitted {
        match e {
            Emitted::Submitted(record) => assert!(record.outcome.is_ok(), "{record:?}"),
            Emitted::Executed(execution) => assert!(execution.result.is_ok(), "{execution:?}"),
        }
    }

    // Triggers in the crash: the price deviation first, then a low fund or vol-of-vol.
    let causes: Vec<(Timestamp, TriggerCause)> = emitted
        .iter()
        .filter_map(|e| match e {
            Emitted::Submitted(r) => Some((r.time, r.signed.proposal.cause)),
            Emitted::Executed(_) => None,
        })
        .filter(|(_, cause)| !matches!(cause, TriggerCause::TargetDrift | TriggerCause::Heartbeat))
        .collect();
    let (first_time, first) = causes[0];
    assert_eq!(first, TriggerCause::Deviation, "{causes:?}");
    assert!(in_crash(first_time), "{causes:?}");
    assert!(
        causes.iter().any(|(t, c)| *t > first_time
            && matches!(
                c,
                TriggerCause::FundLow | TriggerCause::VolOfVolAcceleration
            )),
        "{causes:?}"
    );

    // The maintenance margin in force, over event time.
    let mut path = vec![(config.start(), default_start().maintenance_margin_ppm)];
    for e in &emitted {
        match e {
            Emitted::Submitted(r) => path.push((r.time, r.in_force.maintenance_margin_ppm)),
            Emitted::Executed(x) => {
                path.push((x.time, x.result.as_ref().unwrap().maintenance_margin_ppm));
            }
        }
    }
    let before_crash = path
        .iter()
        .filter(|(t, _)| *t < config.crash_start())
        .map(|(_, mm)| *mm)
        .next_back()
        .unwrap();
    let peak = path
        .iter()
        .filter(|(t, _)| in_crash(*t))
        .map(|(_, mm)| *mm)
        .max()
        .unwrap();
    let end = path.last().unwrap().1;
    assert!(
        peak > before_crash,
        "tightens in the crash: {before_crash} → {peak}"
    );
    assert!(end < peak, "relaxes after: {peak} → {end}");

    // Loosening only ever takes effect through an execution after the time-lock.
    let mut queued_at = Vec::new();
    for e in &emitted {
        match e {
            Emitted::Submitted(r) => {
                if let Ok(Outcome::Queued { executable_at, .. }) = r.outcome {
                    assert!(executable_at >= r.time.as_unix_seconds() + 1_800, "{r:?}");
                    queued_at.push(executable_at);
                }
            }
            Emitted::Executed(x) => {
                assert!(
                    queued_at.iter().any(|&at| x.time.as_unix_seconds() >= at),
                    "{x:?}"
                );
            }
        }
    }
    let relaxed_after_crash = emitted.iter().any(|e| {
        matches!(e, Emitted::Executed(x) if x.time >= config.crash_end()
            && x.result.as_ref().unwrap().maintenance_margin_ppm < peak)
    });
    assert!(relaxed_after_crash, "a looser set executes after the crash");
}

#[test]
fn same_seed_same_proposals_and_signatures() {
    let signatures = |emitted: &[Emitted]| -> Vec<(String, [u8; 65])> {
        emitted
            .iter()
            .filter_map(|e| match e {
                Emitted::Submitted(r) => Some((
                    format!("{:?}", r.signed.proposal),
                    r.signed.signature.to_bytes(),
                )),
                Emitted::Executed(_) => None,
            })
            .collect()
    };
    let config = DemoConfig {
        calm_seconds: 600,
        crash_seconds: 900,
        recovery_seconds: 600,
        accounts: 200,
        ..DemoConfig::default()
    };
    let first = signatures(&run(&config));
    let second = signatures(&run(&config));
    assert!(!first.is_empty());
    assert_eq!(first, second);
    let other_seed = signatures(&run(&DemoConfig { seed: 8, ..config }));
    assert_ne!(first, other_seed, "the seed changes the market");
}
