//! One thread's share of the pipeline: the stages of a [`Group`], run to completion per
//! input, with the hand-off to the next group's ring.
//!
//! The fused placement is one worker holding all five stages on the caller's thread; a
//! threaded placement is one worker per group, each on its own thread. Either way a message
//! goes through the same code: each `enter_*` step either runs the stage (when the worker
//! holds it) or sends the message down the ring to the worker that does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use recal_emit::InputsDigest;
use recal_feed::DecodeError;
use recal_types::{Event, MarketId, ParameterSet, Source, Timestamp};

use crate::chain::VerifierModel;
use crate::clock::LatencyClock;
use crate::decode::DecodeStage;
use crate::emit::EmitStage;
use crate::estimate::EstimateStage;
use crate::greeks::GreeksStage;
use crate::hop::{Conflate, Control, Disconnected, Envelope, Hop, Input, Outbox};
use crate::message::{Emitted, Estimated, MarketDecision, RawMessage, RiskSnapshot, Signed};
use crate::metrics::{Counters, LatencyHistogram, Metrics};
use crate::placement::{Group, StageId};
use crate::recorder::{Boundary, Recorder};
use crate::stage::Stage;
use crate::trigger::TriggerAdapter;

/// All five stages and the verifier model, as built from a configuration.
#[derive(Debug)]
pub struct Stages {
    /// Stage 1.
    pub decode: DecodeStage,
    /// Stage 2.
    pub estimate: EstimateStage,
    /// Stage 3.
    pub greeks: GreeksStage,
    /// Stage 4.
    pub trigger: TriggerAdapter,
    /// Stage 5.
    pub emit: EmitStage,
    /// The on-chain verifier model after stage 5.
    pub chain: VerifierModel,
}

/// Where a worker sends what its last stage produced.
#[derive(Debug)]
pub enum Downstream {
    /// Nowhere: the worker holds stage 5, whose output goes to [`Delivery`].
    End,
    /// Events to the worker holding stage 2.
    Events(Outbox<Event>),
    /// Estimates to the worker holding stage 3.
    Estimates(Outbox<Estimated>),
    /// Snapshots to the worker holding stage 4.
    Snapshots(Outbox<RiskSnapshot>),
    /// Decisions to the worker holding stage 5.
    Decisions(Outbox<MarketDecision>),
}

impl Downstream {
    fn send_control(&mut self, control: Control, sent_ns: u64) -> Result<(), Disconnected> {
        fn send<T: Conflate>(
            outbox: &mut Outbox<T>,
            control: Control,
            sent_ns: u64,
        ) -> Result<(), Disconnected> {
            outbox.send(Envelope {
                sent_ns,
                hop: Hop::Control(control),
            })
        }
        match self {
            Self::End => Ok(()),
            Self::Events(outbox) => send(outbox, control, sent_ns),
            Self::Estimates(outbox) => send(outbox, control, sent_ns),
            Self::Snapshots(outbox) => send(outbox, control, sent_ns),
            Self::Decisions(outbox) => send(outbox, control, sent_ns),
        }
    }

    /// Moves waiting messages into the ring; returns whether none is left waiting.
    fn flush(&mut self) -> Result<bool, Disconnected> {
        match self {
            Self::End => Ok(true),
            Self::Events(outbox) => outbox.flush(),
            Self::Estimates(outbox) => outbox.flush(),
            Self::Snapshots(outbox) => outbox.flush(),
            Self::Decisions(outbox) => outbox.flush(),
        }
    }

    fn flush_all(&mut self) -> Result<(), Disconnected> {
        match self {
            Self::End => Ok(()),
            Self::Events(outbox) => outbox.flush_all(),
            Self::Estimates(outbox) => outbox.flush_all(),
            Self::Snapshots(outbox) => outbox.flush_all(),
            Self::Decisions(outbox) => outbox.flush_all(),
        }
    }

    fn conflated(&self) -> u64 {
        match self {
            Self::End => 0,
            Self::Events(outbox) => outbox.conflated(),
            Self::Estimates(outbox) => outbox.conflated(),
            Self::Snapshots(outbox) => outbox.conflated(),
            Self::Decisions(outbox) => outbox.conflated(),
        }
    }
}

/// A callback that sees every record of the verifier model as it is produced.
pub type Callback = Box<dyn FnMut(&Emitted) + Send>;

/// Where the verifier model's records go.
pub enum Delivery {
    /// Kept until the owner drains them (fused placement).
    Collect(Vec<Emitted>),
    /// Handed to a callback on the worker's thread.
    Callback(Callback),
    /// Pushed into a ring the caller drains (waits for room: nothing is dropped).
    Ring(recal_ring::Producer<Emitted>),
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Collect(_) => "Collect",
            Self::Callback(_) => "Callback",
            Self::Ring(_) => "Ring",
        })
    }
}

/// What a worker measured: counters of its stages and its latency histograms.
#[derive(Debug, Clone, Default)]
pub struct WorkerMetrics {
    /// Counters of the worker's stages (others' fields stay 0).
    pub counters: Counters,
    /// Receive time → stage-4 exit, per input that reached a decision (stage 4's worker).
    pub tick_to_decision: LatencyHistogram,
    /// Receive time → stage-5 exit, per input that produced a signed proposal.
    pub tick_to_signed: LatencyHistogram,
    /// Time messages waited in the ring into this worker (threaded placements).
    pub queueing: LatencyHistogram,
    /// Time this worker spent on each message it received from a ring.
    pub service: LatencyHistogram,
    /// Time inside each stage's own work per call, in pipeline order (only when stage timing
    /// is on: it reads the clock twice per stage call).
    pub stages: Option<Box<[LatencyHistogram; StageId::COUNT]>>,
}

impl WorkerMetrics {
    /// Adds `other` into `self` (counters summed, histograms merged).
    pub fn merge(&mut self, other: &Self) {
        self.counters.add(&other.counters);
        self.tick_to_decision.add(&other.tick_to_decision);
        self.tick_to_signed.add(&other.tick_to_signed);
        self.queueing.add(&other.queueing);
        self.service.add(&other.service);
        if let Some(theirs) = &other.stages {
            let ours = self.stages.get_or_insert_with(Box::default);
            for (ours, theirs) in ours.iter_mut().zip(theirs.iter()) {
                ours.add(theirs);
            }
        }
    }

    /// The counters and the end-to-end percentiles.
    #[must_use]
    pub fn summary(&self) -> Metrics {
        Metrics {
            counters: self.counters,
            tick_to_decision: self.tick_to_decision.summary(),
            tick_to_signed: self.tick_to_signed.summary(),
        }
    }
}

/// A message type that enters a worker from a ring.
pub trait Inbound: Conflate + Sized {
    /// Runs the message through the worker's stages.
    fn enter(self, worker: &mut Worker);
    /// Its receive time (latency clock).
    fn receive_ns(&self) -> u64;
}

/// The stages of one group and the buffers between them.
#[derive(Debug)]
pub struct Worker {
    group: Group,
    decode: Option<DecodeStage>,
    estimate: Option<EstimateStage>,
    greeks: Option<GreeksStage>,
    trigger: Option<TriggerAdapter>,
    emit: Option<EmitStage>,
    chain: Option<VerifierModel>,
    /// The inputs digest, kept here when this worker decodes but another one signs.
    digest: InputsDigest,
    downstream: Downstream,
    delivery: Delivery,
    clock: LatencyClock,
    events: Vec<Event>,
    estimated: Vec<Estimated>,
    snapshots: Vec<RiskSnapshot>,
    decisions: Vec<MarketDecision>,
    signed: Vec<Signed>,
    emitted: Vec<Emitted>,
    metrics: WorkerMetrics,
    decided_ns: Option<u64>,
    signed_ns: Option<u64>,
    disconnected: bool,
    /// Where the worker reports the stage it is in (threaded placements), so a panic can be
    /// attributed to its stage.
    current: Option<Arc<AtomicU8>>,
    /// Journals of the boundaries this worker consumes.
    recorder: Recorder,
    /// Latency resets applied so far.
    resets: u64,
}

impl Worker {
    /// A worker for `group`, taking its stages out of `stages` (the others stay there for
    /// the other workers), sending on to `downstream` and delivering to `delivery`.
    #[must_use]
    pub fn new(
        group: Group,
        stages: &mut PartialStages,
        downstream: Downstream,
        delivery: Delivery,
        clock: LatencyClock,
    ) -> Self {
        let holds = |stage| group.contains(stage);
        Self {
            group,
            decode: holds(StageId::Decode)
                .then(|| stages.decode.take())
                .flatten(),
            estimate: holds(StageId::Estimate)
                .then(|| stages.estimate.take())
                .flatten(),
            greeks: holds(StageId::Greeks)
                .then(|| stages.greeks.take())
                .flatten(),
            trigger: holds(StageId::Trigger)
                .then(|| stages.trigger.take())
                .flatten(),
            emit: holds(StageId::Emit).then(|| stages.emit.take()).flatten(),
            chain: holds(StageId::Emit).then(|| stages.chain.take()).flatten(),
            digest: InputsDigest::new(),
            downstream,
            delivery,
            clock,
            events: Vec::with_capacity(64),
            estimated: Vec::with_capacity(64),
            snapshots: Vec::with_capacity(64),
            decisions: Vec::with_capacity(64),
            signed: Vec::new(),
            emitted: Vec::new(),
            metrics: WorkerMetrics::default(),
            decided_ns: None,
            signed_ns: None,
            disconnected: false,
            current: None,
            recorder: Recorder::default(),
            resets: 0,
        }
    }

    /// Latency resets this worker has applied.
    #[must_use]
    pub const fn resets(&self) -> u64 {
        self.resets
    }

    /// The boundaries whose journals this worker writes: those it consumes.
    #[must_use]
    pub fn consumed_boundaries(group: Group) -> Vec<Boundary> {
        let mut boundaries = Vec::new();
        for (stage, consumed) in [
            (StageId::Decode, &[Boundary::Input][..]),
            (StageId::Estimate, &[Boundary::Events]),
            (StageId::Greeks, &[Boundary::Estimates]),
            (StageId::Trigger, &[Boundary::Snapshots]),
            (StageId::Emit, &[Boundary::Decisions, Boundary::Emitted]),
        ] {
            if group.contains(stage) {
                boundaries.extend_from_slice(consumed);
            }
        }
        boundaries
    }

    /// Makes the worker journal through `recorder`.
    #[must_use]
    pub fn recording(mut self, recorder: Recorder) -> Self {
        self.recorder = recorder;
        self
    }

    /// Times every stage call into [`WorkerMetrics::stages`] (for benchmarks: two clock reads
    /// per stage call).
    #[must_use]
    pub fn timing_stages(mut self) -> Self {
        self.metrics.stages = Some(Box::default());
        self
    }

    /// Records the time since `started` for `stage`, when stage timing is on.
    fn stage_done(&mut self, stage: StageId, started: Option<u64>) {
        if let (Some(started), Some(stages)) = (started, &mut self.metrics.stages) {
            stages[stage as usize].record(self.clock.now_ns().saturating_sub(started));
        }
    }

    /// Makes the worker store the stage it enters in `current` (one relaxed store per stage
    /// call), so that the thread running it can name the stage of a panic.
    #[must_use]
    pub fn reporting_stage_to(mut self, current: Arc<AtomicU8>) -> Self {
        self.current = Some(current);
        self
    }

    /// The parameters in force for every market, per the verifier model (empty unless this
    /// worker holds stage 5).
    #[must_use]
    pub fn in_force_all(&self) -> Vec<(MarketId, ParameterSet)> {
        self.chain
            .as_ref()
            .map(VerifierModel::in_force_all)
            .unwrap_or_default()
    }

    /// The group this worker runs.
    #[must_use]
    pub const fn group(&self) -> Group {
        self.group
    }

    /// Whether the next worker is gone (it stopped or panicked): this one must stop too.
    #[must_use]
    pub const fn is_disconnected(&self) -> bool {
        self.disconnected
    }

    /// Stage 1 and on for one raw message (this worker holds stage 1). The bytes are chained
    /// into the inputs digest whether or not they decode.
    ///
    /// # Errors
    /// The decoder's reason for rejecting the message (also counted and kept).
    pub fn raw(
        &mut self,
        source: Source,
        bytes: &[u8],
        receive_ns: u64,
    ) -> Result<usize, DecodeError> {
        self.metrics.counters.messages += 1;
        self.recorder.input(source, receive_ns, bytes);
        self.absorb(bytes);
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        report(&self.current, StageId::Decode);
        let started = stage_start(&self.metrics, &self.clock);
        let decoded = match &mut self.decode {
            Some(decode) => decode.decode(
                RawMessage {
                    source,
                    bytes,
                    receive_time: Timestamp::from_nanos(receive_ns),
                },
                &mut events,
            ),
            None => Ok(0),
        };
        self.stage_done(StageId::Decode, started);
        self.metrics.counters.events += events.len() as u64;
        for event in &events {
            self.enter_estimate(*event);
        }
        self.events = events;
        self.finish_input(receive_ns);
        decoded
    }

    /// Stages 2 and on for one event pushed by the caller; its bytes are chained into the
    /// inputs digest.
    pub fn event(&mut self, event: Event) {
        self.metrics.counters.messages += 1;
        self.metrics.counters.events += 1;
        self.recorder.input_event(&event);
        self.absorb(bytemuck::bytes_of(&event));
        self.enter_estimate(event);
        self.finish_input(event.receive_time().as_nanos());
    }

    /// One message from the ring into this worker: queueing and service time are recorded,
    /// a digest is applied (or passed on), an item runs through the stages.
    pub fn receive<T: Inbound>(&mut self, envelope: Envelope<T>) {
        let popped_ns = self.clock.now_ns();
        self.metrics
            .queueing
            .record(popped_ns.saturating_sub(envelope.sent_ns));
        match envelope.hop {
            Hop::Control(Control::Digest(digest)) => match &mut self.emit {
                Some(emit) => emit.resume_digest(digest),
                None => self.forward(Control::Digest(digest)),
            },
            Hop::Control(Control::ResetLatency) => self.reset_latency(),
            Hop::Item(item) => {
                let receive_ns = item.receive_ns();
                item.enter(self);
                self.finish_input(receive_ns);
            }
        }
        self.metrics
            .service
            .record(self.clock.now_ns().saturating_sub(popped_ns));
    }

    /// Moves messages waiting for room into the next ring; returns whether none is left.
    pub fn flush(&mut self) -> bool {
        match self.downstream.flush() {
            Ok(done) => done,
            Err(Disconnected) => {
                self.disconnected = true;
                true
            }
        }
    }

    /// Waits until every waiting message is in the next ring (at shutdown).
    pub fn flush_all(&mut self) {
        if self.downstream.flush_all().is_err() {
            self.disconnected = true;
        }
    }

    /// Removes and returns the records delivered to [`Delivery::Collect`].
    pub fn drain(&mut self) -> std::vec::Drain<'_, Emitted> {
        match &mut self.delivery {
            Delivery::Collect(records) => records.drain(..),
            Delivery::Callback(_) | Delivery::Ring(_) => self.emitted.drain(..0),
        }
    }

    /// The worker's counters and histograms so far.
    #[must_use]
    pub fn metrics(&self) -> WorkerMetrics {
        let mut metrics = self.metrics.clone();
        let counters = &mut metrics.counters;
        if let Some(decode) = &self.decode {
            counters.rejects = decode.decoder().rejects().counters().total();
        }
        if let Some(estimate) = &self.estimate {
            counters.filtered_prints = estimate.filtered() + estimate.refused();
        }
        if let Some(trigger) = &self.trigger {
            counters.triggers = trigger.fired();
            counters.stage_errors += trigger.refused();
        }
        if let Some(greeks) = &self.greeks {
            counters.stage_errors += greeks.errors();
        }
        if let Some(emit) = &self.emit {
            counters.stage_errors += emit.errors();
        }
        counters.conflated = self.downstream.conflated();
        counters.journal_errors = self.recorder.errors();
        metrics
    }

    /// Stage 1, if this worker holds it.
    #[must_use]
    pub const fn decode_stage(&self) -> Option<&DecodeStage> {
        self.decode.as_ref()
    }

    /// Stage 3, if this worker holds it.
    #[must_use]
    pub const fn greeks_stage(&self) -> Option<&GreeksStage> {
        self.greeks.as_ref()
    }

    /// The verifier model, if this worker holds stage 5.
    #[must_use]
    pub const fn chain(&self) -> Option<&VerifierModel> {
        self.chain.as_ref()
    }

    /// Chains a raw input record into the digest: directly into stage 5 when this worker signs,
    /// otherwise into this worker's copy, which is sent on in-band before the record's items.
    fn absorb(&mut self, record: &[u8]) {
        match &mut self.emit {
            Some(emit) => emit.absorb(record),
            None => {
                self.digest.absorb(record);
                self.forward(Control::Digest(self.digest));
            }
        }
    }

    fn forward(&mut self, control: Control) {
        let sent_ns = self.clock.now_ns();
        if self.downstream.send_control(control, sent_ns).is_err() {
            self.disconnected = true;
        }
    }

    /// Forgets the latency samples recorded so far (counters stay) and passes the reset on,
    /// so every later thread forgets its own at the same point of the stream.
    pub fn reset_latency(&mut self) {
        let metrics = &mut self.metrics;
        metrics.tick_to_decision = LatencyHistogram::default();
        metrics.tick_to_signed = LatencyHistogram::default();
        metrics.queueing = LatencyHistogram::default();
        metrics.service = LatencyHistogram::default();
        if let Some(stages) = &mut metrics.stages {
            **stages = Default::default();
        }
        self.resets += 1;
        self.forward(Control::ResetLatency);
    }

    /// Sends `item` on (when the next stage is another worker's).
    fn send<T: Conflate>(
        outbox: &mut Outbox<T>,
        item: T,
        clock: &LatencyClock,
        disconnected: &mut bool,
    ) {
        let envelope = Envelope {
            sent_ns: clock.now_ns(),
            hop: Hop::Item(item),
        };
        if outbox.send(envelope).is_err() {
            *disconnected = true;
        }
    }

    fn enter_estimate(&mut self, event: Event) {
        let Some(estimate) = &mut self.estimate else {
            if let Downstream::Events(outbox) = &mut self.downstream {
                Self::send(outbox, event, &self.clock, &mut self.disconnected);
            }
            return;
        };
        report(&self.current, StageId::Estimate);
        self.recorder.event(&event);
        let mut estimated = std::mem::take(&mut self.estimated);
        estimated.clear();
        let started = stage_start(&self.metrics, &self.clock);
        estimate.process(&event, &mut estimated);
        self.stage_done(StageId::Estimate, started);
        for update in estimated.drain(..) {
            self.enter_greeks(update);
        }
        self.estimated = estimated;
    }

    fn enter_greeks(&mut self, estimated: Estimated) {
        let Some(greeks) = &mut self.greeks else {
            if let Downstream::Estimates(outbox) = &mut self.downstream {
                Self::send(outbox, estimated, &self.clock, &mut self.disconnected);
            }
            return;
        };
        report(&self.current, StageId::Greeks);
        self.recorder
            .text(Boundary::Estimates, estimated_time(&estimated), &estimated);
        let mut snapshots = std::mem::take(&mut self.snapshots);
        snapshots.clear();
        let started = stage_start(&self.metrics, &self.clock);
        greeks.process(&estimated, &mut snapshots);
        self.stage_done(StageId::Greeks, started);
        for snapshot in &snapshots {
            self.enter_trigger(*snapshot);
        }
        self.snapshots = snapshots;
    }

    fn enter_trigger(&mut self, snapshot: RiskSnapshot) {
        let Some(trigger) = &mut self.trigger else {
            if let Downstream::Snapshots(outbox) = &mut self.downstream {
                Self::send(outbox, snapshot, &self.clock, &mut self.disconnected);
            }
            return;
        };
        report(&self.current, StageId::Trigger);
        self.recorder
            .text(Boundary::Snapshots, snapshot.time.as_nanos(), &snapshot);
        let mut decisions = std::mem::take(&mut self.decisions);
        decisions.clear();
        let started = stage_start(&self.metrics, &self.clock);
        trigger.process(&snapshot, &mut decisions);
        self.stage_done(StageId::Trigger, started);
        if !decisions.is_empty() {
            self.decided_ns = self.decided_ns.or_else(|| Some(self.clock.now_ns()));
            self.metrics.counters.decisions += decisions.len() as u64;
        }
        for decision in &decisions {
            self.enter_emit(*decision);
        }
        self.decisions = decisions;
    }

    fn enter_emit(&mut self, decision: MarketDecision) {
        let Some(emit) = &mut self.emit else {
            if let Downstream::Decisions(outbox) = &mut self.downstream {
                Self::send(outbox, decision, &self.clock, &mut self.disconnected);
            }
            return;
        };
        report(&self.current, StageId::Emit);
        self.recorder
            .text(Boundary::Decisions, decision.time.as_nanos(), &decision);
        self.signed.clear();
        let started = stage_start(&self.metrics, &self.clock);
        emit.process(&decision, &mut self.signed);
        self.stage_done(StageId::Emit, started);
        if self.signed.iter().any(|signed| signed.proposal.is_some()) {
            self.signed_ns = self.signed_ns.or_else(|| Some(self.clock.now_ns()));
        }
        let Some(chain) = &mut self.chain else {
            return;
        };
        self.emitted.clear();
        for signed in self.signed.drain(..) {
            chain.process(signed, &mut self.emitted);
        }
        for emitted in self.emitted.drain(..) {
            count(&mut self.metrics.counters, &emitted);
            let time = match &emitted {
                Emitted::Submitted(record) => record.time,
                Emitted::Executed(execution) => execution.time,
            };
            self.recorder
                .text(Boundary::Emitted, time.as_nanos(), &emitted);
            match &mut self.delivery {
                Delivery::Collect(records) => records.push(emitted),
                Delivery::Callback(callback) => callback(&emitted),
                Delivery::Ring(producer) => {
                    if producer.push(emitted).is_err() {
                        self.disconnected = true;
                    }
                }
            }
        }
    }

    /// Records the latencies of the input just processed.
    fn finish_input(&mut self, receive_ns: u64) {
        if let Some(decided_ns) = self.decided_ns.take() {
            self.metrics
                .tick_to_decision
                .record(decided_ns.saturating_sub(receive_ns));
        }
        if let Some(signed_ns) = self.signed_ns.take() {
            self.metrics
                .tick_to_signed
                .record(signed_ns.saturating_sub(receive_ns));
        }
    }
}

/// The stages not yet handed to a worker.
#[derive(Debug)]
pub struct PartialStages {
    decode: Option<DecodeStage>,
    estimate: Option<EstimateStage>,
    greeks: Option<GreeksStage>,
    trigger: Option<TriggerAdapter>,
    emit: Option<EmitStage>,
    chain: Option<VerifierModel>,
}

impl From<Stages> for PartialStages {
    fn from(stages: Stages) -> Self {
        Self {
            decode: Some(stages.decode),
            estimate: Some(stages.estimate),
            greeks: Some(stages.greeks),
            trigger: Some(stages.trigger),
            emit: Some(stages.emit),
            chain: Some(stages.chain),
        }
    }
}

impl Inbound for Input {
    fn enter(self, worker: &mut Worker) {
        match self {
            Self::Raw {
                source,
                receive_time,
                bytes,
            } => {
                // A reject is counted and kept by the decoder.
                let _rejected = worker.raw(source, bytes.as_slice(), receive_time.as_nanos());
            }
            Self::Event(event) => worker.event(event),
        }
    }

    fn receive_ns(&self) -> u64 {
        match self {
            Self::Raw { receive_time, .. } => receive_time.as_nanos(),
            Self::Event(event) => event.receive_time().as_nanos(),
        }
    }
}

impl Inbound for Event {
    fn enter(self, worker: &mut Worker) {
        worker.enter_estimate(self);
    }

    fn receive_ns(&self) -> u64 {
        self.receive_time().as_nanos()
    }
}

impl Inbound for Estimated {
    fn enter(self, worker: &mut Worker) {
        worker.enter_greeks(self);
    }

    fn receive_ns(&self) -> u64 {
        match self {
            Self::Estimate(update) => update.receive_time.as_nanos(),
            Self::ImpliedVol(update) => update.origin.receive_time.as_nanos(),
            Self::Surface(update) => update.origin.receive_time.as_nanos(),
            Self::Event(event) => event.receive_time().as_nanos(),
        }
    }
}

impl Inbound for RiskSnapshot {
    fn enter(self, worker: &mut Worker) {
        worker.enter_trigger(self);
    }

    fn receive_ns(&self) -> u64 {
        self.receive_time.as_nanos()
    }
}

impl Inbound for MarketDecision {
    fn enter(self, worker: &mut Worker) {
        worker.enter_emit(self);
    }

    fn receive_ns(&self) -> u64 {
        self.receive_time.as_nanos()
    }
}

/// Event time of a stage-2 output.
fn estimated_time(estimated: &Estimated) -> u64 {
    match estimated {
        Estimated::Estimate(update) => update.time.as_nanos(),
        Estimated::ImpliedVol(update) => update.origin.time.as_nanos(),
        Estimated::Surface(update) => update.origin.time.as_nanos(),
        Estimated::Event(event) => event.source_time().as_nanos(),
    }
}

/// Now, when stage timing is on.
fn stage_start(metrics: &WorkerMetrics, clock: &LatencyClock) -> Option<u64> {
    metrics.stages.as_ref().map(|_| clock.now_ns())
}

/// Stores `stage` in `current`, when the worker reports its stage.
fn report(current: &Option<Arc<AtomicU8>>, stage: StageId) {
    if let Some(current) = current {
        current.store(stage as u8, Ordering::Relaxed);
    }
}

/// Counts one verifier-model outcome.
fn count(counters: &mut Counters, emitted: &Emitted) {
    use recal_emit::Outcome;
    match emitted {
        Emitted::Submitted(record) => {
            counters.proposals += 1;
            match record.outcome {
                Ok(Outcome::Applied) => counters.applied += 1,
                Ok(Outcome::Queued { .. }) => counters.queued += 1,
                Err(_) => counters.refused += 1,
            }
        }
        Emitted::Executed(execution) => match execution.result {
            Ok(_) => counters.executed += 1,
            Err(_) => counters.refused += 1,
        },
    }
}
