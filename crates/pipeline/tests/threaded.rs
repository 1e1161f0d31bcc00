//! Threaded placements against the fused one: the same inputs give the same signed proposals,
//! byte for byte, whatever the grouping; shutdown drains every ring; a panicking stage is named.

use recal_pipeline::demo::{self, DemoConfig};
use recal_pipeline::{
    Backpressure, BuildError, Channel, Emitted, Fused, PipelineConfig, Placement, Plan,
    RingOptions, RingWait, StageFailure, StageId, Threaded, WaitStrategy,
};

fn demo_config() -> DemoConfig {
    DemoConfig {
        calm_seconds: 600,
        crash_seconds: 900,
        recovery_seconds: 600,
        accounts: 200,
        ..DemoConfig::default()
    }
}

/// The signed proposals (debug text of the proposal and signature bytes) and executions.
fn records(emitted: &[Emitted]) -> Vec<String> {
    emitted
        .iter()
        .map(|e| match e {
            Emitted::Submitted(r) => format!(
                "{:?} {:?} {:?}",
                r.signed.proposal,
                r.signed.signature.to_bytes(),
                r.outcome
            ),
            Emitted::Executed(x) => format!("{x:?}"),
        })
        .collect()
}

fn fused() -> (Vec<String>, u64) {
    let mut pipeline = Fused::new(&PipelineConfig::default()).unwrap();
    let mut out = Vec::new();
    for message in demo::generate(&demo_config()) {
        let _ = pipeline.push_bytes(message.source, &message.bytes, pipeline.clock_ns());
        out.extend(pipeline.drain());
    }
    (records(&out), pipeline.metrics().counters.events)
}

fn threaded(plan: &Plan, rings: RingOptions) -> (Vec<String>, u64) {
    let mut pipeline = Threaded::start(&PipelineConfig::default(), plan, rings, None).unwrap();
    let mut out = Vec::new();
    for message in demo::generate(&demo_config()) {
        pipeline
            .push_bytes(message.source, &message.bytes, pipeline.clock_ns())
            .unwrap();
        out.extend(pipeline.drain());
    }
    let finished = pipeline.shutdown().unwrap();
    out.extend(finished.remaining);
    assert_eq!(finished.metrics.counters.rejects, 0);
    assert_eq!(finished.metrics.counters.stage_errors, 0);
    (records(&out), finished.metrics.counters.events)
}

#[test]
fn every_placement_signs_what_the_fused_one_signs() {
    let (expected, events) = fused();
    assert!(expected.len() > 3, "the demo proposes: {expected:?}");
    let rings = |capacity, channel, wait| RingOptions {
        capacity,
        channel,
        backpressure: Backpressure::Block,
        // Timing reads the clock only; it must not change what is signed.
        time_stages: true,
        wait,
    };
    let every_stage = Plan::unpinned(&[1, 2, 3, 4], WaitStrategy::Backoff).unwrap();
    for (plan, rings) in [
        (
            Plan::resolve(&Placement::Auto, 2).unwrap(),
            RingOptions::default(),
        ),
        (
            Plan::resolve(&Placement::Cores([1, 1, 0, 0, 0]), 2).unwrap(),
            // Two groups, three rings: each waits its own way.
            rings(
                8,
                Channel::Ring,
                RingWait::PerRing(vec![
                    WaitStrategy::Yield,
                    WaitStrategy::Backoff,
                    WaitStrategy::Yield,
                ]),
            ),
        ),
        // Every stage on its own thread (more threads than cores: the rings park), with tiny
        // rings so that every boundary fills up and waits.
        (every_stage.clone(), rings(2, Channel::Ring, RingWait::Plan)),
        // The benchmark peer: the same stages joined by mpsc channels.
        (every_stage, rings(64, Channel::Mpsc, RingWait::Plan)),
    ] {
        let (got, got_events) = threaded(&plan, rings);
        assert_eq!(got_events, events, "{plan:?}");
        assert_eq!(got, expected, "{plan:?}");
    }
}

#[test]
fn a_wait_list_must_name_every_ring() {
    let plan = Plan::unpinned(&[2], WaitStrategy::Backoff).unwrap();
    let rings = RingOptions {
        wait: RingWait::PerRing(vec![WaitStrategy::Yield; 2]),
        ..RingOptions::default()
    };
    let Err(error) = Threaded::start(&PipelineConfig::default(), &plan, rings, None) else {
        panic!("two groups have three rings: a list of two must be refused");
    };
    assert!(
        matches!(error, BuildError::WaitCount { rings: 3, given: 2 }),
        "{error}"
    );
}

#[test]
fn callback_delivery_sees_every_record_on_the_stage_thread() {
    let (expected, _) = fused();
    let (sender, receiver) = std::sync::mpsc::channel();
    let plan = Plan::resolve(&Placement::Auto, 2).unwrap();
    let callback = Box::new(move |emitted: &Emitted| {
        sender.send(emitted.clone()).unwrap();
    });
    let mut pipeline = Threaded::start(
        &PipelineConfig::default(),
        &plan,
        RingOptions::default(),
        Some(callback),
    )
    .unwrap();
    for message in demo::generate(&demo_config()) {
        pipeline
            .push_bytes(message.source, &message.bytes, pipeline.clock_ns())
            .unwrap();
    }
    let finished = pipeline.shutdown().unwrap();
    assert!(finished.remaining.is_empty());
    let got: Vec<Emitted> = receiver.try_iter().collect();
    assert_eq!(records(&got), expected);
}

#[test]
fn a_panicking_stage_stops_the_pipeline_and_is_named() {
    let plan = Plan::resolve(&Placement::Cores([0, 1, 1, 1, 1]), 2).unwrap();
    let callback = Box::new(|_: &Emitted| panic!("the keeper's callback failed"));
    let mut pipeline = Threaded::start(
        &PipelineConfig::default(),
        &plan,
        RingOptions::default(),
        Some(callback),
    )
    .unwrap();
    // The feed notices the stop when the first ring's consumer is gone (or not at all, if the
    // input runs out first); either way shutdown reports the panic.
    for message in demo::generate(&demo_config()) {
        let pushed = pipeline.push_bytes(message.source, &message.bytes, pipeline.clock_ns());
        if pushed.is_err() {
            break;
        }
    }
    let failure = pipeline.shutdown().unwrap_err();
    assert_eq!(
        failure,
        StageFailure::Panicked {
            stage: StageId::Emit,
            message: "the keeper's callback failed".into()
        }
    );
}

#[test]
fn shutdown_under_load_loses_no_state_event() {
    // Every other stage on its own thread with tiny rings, so that most messages are still in
    // flight when the feed closes.
    let plan = Plan::unpinned(&[1, 2, 3, 4], WaitStrategy::Backoff).unwrap();
    let rings = RingOptions {
        capacity: 4,
        ..RingOptions::default()
    };
    let mut pipeline = Threaded::start(&PipelineConfig::default(), &plan, rings, None).unwrap();
    let messages: Vec<_> = demo::generate(&demo_config())
        .into_iter()
        .filter(|message| message.source == recal_types::Source::Recal)
        .collect();
    for message in &messages {
        pipeline
            .push_bytes(message.source, &message.bytes, pipeline.clock_ns())
            .unwrap();
    }
    let finished = pipeline.shutdown().unwrap();
    let counters = finished.metrics.counters;
    assert_eq!(counters.messages, messages.len() as u64);
    assert_eq!(counters.events, messages.len() as u64, "{counters:?}");
    assert_eq!(counters.rejects + counters.stage_errors, 0, "{counters:?}");
    assert_eq!(counters.conflated, 0);
    // Stage 3's thread received every state event (passed through stage 2) and, ahead of
    // each message's events, its inputs digest.
    let (_, greeks) = finished
        .groups
        .iter()
        .find(|(group, _)| group.contains(StageId::Greeks))
        .unwrap();
    assert_eq!(
        greeks.service.summary().count,
        counters.messages + counters.events
    );
}
