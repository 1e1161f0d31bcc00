//! The recal pipeline: the five stages wired together.
//!
//! Each stage is a single-threaded state machine behind the [`Stage`] trait; the adapters here
//! route messages to the pure logic of the stage crates:
//!
//! | stage | adapter | logic | in → out |
//! |---|---|---|---|
//! | 1 feed decode | [`DecodeStage`] | `recal-feed` | [`RawMessage`] → [`Event`](recal_types::Event) |
//! | 2 estimator update | [`EstimateStage`] | `recal-estimate` | event → [`Estimated`] |
//! | 3 Greek aggregation | [`GreeksStage`] | `recal-greeks` | estimate / state → [`RiskSnapshot`] |
//! | 4 trigger evaluation | [`TriggerAdapter`] | `recal-trigger` | snapshot → [`MarketDecision`] |
//! | 5 signed emit | [`EmitStage`] | `recal-emit` | decision → [`Signed`] |
//!
//! After stage 5, [`VerifierModel`] plays the signed proposals against a model of the on-chain
//! verifier (signed → [`Emitted`]: applied, queued or executed).
//!
//! Placement: [`Fused`] runs all five on one thread, run-to-completion per input message (see
//! its docs for the `pinned` and `auto` placements to come). [`Metrics`] holds the counters
//! and the receive → decision and receive → signed latency percentiles. [`demo`] generates a
//! seeded, deterministic market with a crash to run it on. [`sink`] delivers signed proposals to
//! the outside (callback, channel, journal, NDJSON, TCP).

mod build;
mod chain;
mod clock;
mod config;
mod decode;
pub mod demo;
mod emit;
mod error;
mod estimate;
mod fused;
mod greeks;
mod hop;
mod message;
mod metrics;
mod placement;
mod recorder;
pub mod replay;
pub mod sink;
mod stage;
mod threaded;
mod trigger;
mod worker;

pub use chain::VerifierModel;
pub use clock::LatencyClock;
pub use config::{
    MarketSpec, PipelineConfig, VOL_OF_VOL_WEIGHT, default_guardrails, default_start,
};
pub use decode::DecodeStage;
pub use emit::EmitStage;
pub use error::BuildError;
pub use estimate::EstimateStage;
pub use fused::Fused;
pub use greeks::{GreeksSettings, GreeksStage, Route};
pub use hop::{Backpressure, Channel, Input, OwnedBytes};
pub use message::{
    Emitted, EstimateUpdate, Estimated, Execution, MarketDecision, ProposalRecord, RawMessage,
    RiskSnapshot, Signed,
};
pub use metrics::{Counters, LatencyHistogram, LatencySummary, Metrics};
pub use placement::{Group, Placement, PlacementError, Plan, StageId};
/// How a ring end waits for its peer (re-exported for placement settings).
pub use recal_ring::WaitStrategy;
pub use recorder::{Boundary, JournalMode, JournalOptions, Recorder, TYPED_EVENT};
pub use stage::Stage;
pub use threaded::{Finished, RingOptions, RingWait, StageFailure, Threaded};
pub use trigger::{TriggerAdapter, risk_inputs};
pub use worker::{Callback, WorkerMetrics};
