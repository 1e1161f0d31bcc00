//! Record, then replay: the same input journal through the same build gives byte-identical
//! stage journals and signatures, in fused and in threaded placement; other settings diverge
//! and the first divergent record and field are reported.

use std::path::Path;

use recal_pipeline::demo::{self, DemoConfig};
use recal_pipeline::replay::{self, Comparison};
use recal_pipeline::{
    Boundary, Fused, JournalMode, JournalOptions, PipelineConfig, Placement, Plan, RingOptions,
    Threaded,
};

fn demo_config() -> DemoConfig {
    DemoConfig {
        calm_seconds: 120,
        crash_seconds: 420,
        recovery_seconds: 120,
        accounts: 100,
        options: 16,
        option_quotes_per_second: 2,
        ..DemoConfig::default()
    }
}

fn journaled(dir: &Path) -> PipelineConfig {
    PipelineConfig {
        journal: JournalOptions {
            mode: JournalMode::All,
            dir: dir.to_path_buf(),
        },
        ..PipelineConfig::default()
    }
}

fn record_fused(dir: &Path) {
    let mut pipeline = Fused::new(&journaled(dir)).unwrap();
    for message in demo::generate(&demo_config()) {
        let _ = pipeline.push_bytes(message.source, &message.bytes, pipeline.clock_ns());
        pipeline.drain().for_each(drop);
    }
    assert_eq!(pipeline.metrics().counters.journal_errors, 0);
}

fn record_threaded(dir: &Path) {
    let plan = Plan::resolve(&Placement::Cores([1, 1, 0, 0, 0]), 2).unwrap();
    let mut pipeline =
        Threaded::start(&journaled(dir), &plan, RingOptions::default(), None).unwrap();
    for message in demo::generate(&demo_config()) {
        pipeline
            .push_bytes(message.source, &message.bytes, pipeline.clock_ns())
            .unwrap();
        pipeline.drain().for_each(drop);
    }
    let finished = pipeline.shutdown().unwrap();
    assert_eq!(finished.metrics.counters.journal_errors, 0);
}

fn replay(recorded: &Path, config: &PipelineConfig) -> Vec<Comparison> {
    let replayed = tempfile::tempdir().unwrap();
    replay::rerun(recorded, config, Some(replayed.path()), |_| {}).unwrap();
    replay::compare(recorded, replayed.path()).unwrap()
}

fn assert_identical(comparisons: &[Comparison]) {
    assert_eq!(comparisons.len(), 5, "every boundary compared");
    for comparison in comparisons {
        assert_eq!(comparison.divergence, None, "{comparison:?}");
        assert_eq!(
            comparison.unrecorded, 0,
            "a clean shutdown journals everything"
        );
        assert!(comparison.records > 0, "{comparison:?}");
    }
}

#[test]
fn a_fused_run_replays_byte_for_byte() {
    let recorded = tempfile::tempdir().unwrap();
    record_fused(recorded.path());
    assert_identical(&replay(recorded.path(), &PipelineConfig::default()));
}

#[test]
fn a_threaded_run_replays_byte_for_byte() {
    let recorded = tempfile::tempdir().unwrap();
    record_threaded(recorded.path());
    assert_identical(&replay(recorded.path(), &PipelineConfig::default()));
}

#[test]
fn other_settings_diverge_at_the_first_changed_record() {
    let recorded = tempfile::tempdir().unwrap();
    record_fused(recorded.path());
    let mut what_if = PipelineConfig::default();
    // Twice the sensitivity to tightening.
    what_if.trigger.damping.sensitivity.tighten_gain_ppm = 1_000_000;
    let comparisons = replay(recorded.path(), &what_if);
    // Stages 1-3 do not read the sensitivity; stage 4's decisions are the first to differ.
    for comparison in &comparisons {
        match comparison.boundary {
            Boundary::Events | Boundary::Estimates | Boundary::Snapshots => {
                assert_eq!(comparison.divergence, None, "{comparison:?}");
            }
            _ => {}
        }
    }
    let decisions = comparisons
        .iter()
        .find(|c| c.boundary == Boundary::Decisions)
        .unwrap();
    let divergence = decisions.divergence.as_ref().expect("decisions differ");
    assert!(divergence.field.is_some(), "{divergence:?}");
}
