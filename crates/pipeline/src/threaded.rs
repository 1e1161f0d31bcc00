//! Threaded placements: the stage groups of a [`Plan`] on their own threads, joined by
//! `recal-ring` SPSC rings.
//!
//! The caller's thread feeds raw bytes or events into the first ring (copying the bytes into
//! the slot, so the caller's buffer is free at once); each group's thread pops its ring, runs
//! its stages to completion and pushes to the next ring; the last group signs, plays the
//! verifier model and hands the records to a callback or to a ring the caller drains.
//!
//! Shutdown ([`Threaded::shutdown`]) closes the feed: each thread drains its ring, flushes what
//! waits for room, and closes the next ring, so nothing pushed before the shutdown is lost. A
//! panic in a stage stops its thread; its rings close, the threads around it stop, and
//! [`Threaded::shutdown`] (or the next push) reports which stage panicked.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use recal_ring::{Consumer, TryPopError, WaitStrategy, ring};
use recal_types::{Event, MarketId, ParameterSet, Source, Timestamp};

use crate::build::build;
use crate::clock::LatencyClock;
use crate::config::PipelineConfig;
use crate::error::BuildError;
use crate::hop::{
    Backpressure, Channel, Control, Envelope, Hop, Input, Outbox, OwnedBytes, Receiver, Sender,
    channel,
};
use crate::message::Emitted;
use crate::metrics::Metrics;
use crate::placement::{Group, Plan, StageId};
use crate::recorder::Recorder;
use crate::worker::{
    Callback, Delivery, Downstream, Inbound, PartialStages, Worker, WorkerMetrics,
};

/// Settings of the rings (and stage threads) of a threaded placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingOptions {
    /// Slots per ring (a power of two) \[4096\].
    pub capacity: usize,
    /// What a full ring does to market data \[[`Backpressure::Block`]\].
    pub backpressure: Backpressure,
    /// What joins the threads \[[`Channel::Ring`]\]; `Mpsc` is the benchmark peer.
    pub channel: Channel,
    /// Time every stage call for per-stage percentiles \[false\]: two clock reads per stage
    /// call, for benchmarks.
    pub time_stages: bool,
    /// How each ring's ends wait \[[`RingWait::Plan`]\].
    pub wait: RingWait,
}

/// How the ends of each ring wait for the peer (an empty ring for the consumer, a full one for
/// the producer).
///
/// The rings of a plan with `g` groups are, in pipeline order: the feed ring into group 0, the
/// ring into each later group, and the output ring the caller drains (`g + 1` rings).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RingWait {
    /// The plan's choice ([`Plan::wait`]): busy-spin when every thread has a core of its own,
    /// spin-yield-park otherwise.
    #[default]
    Plan,
    /// The same strategy on every ring.
    All(WaitStrategy),
    /// One strategy per ring, in pipeline order (`g + 1` of them).
    PerRing(Vec<WaitStrategy>),
}

impl RingWait {
    /// The strategy of each of the `groups + 1` rings of `plan`.
    ///
    /// # Errors
    /// [`BuildError::WaitCount`] when a per-ring list does not name every ring.
    pub fn per_ring(&self, plan: &Plan) -> Result<Vec<WaitStrategy>, BuildError> {
        let rings = plan.groups.len() + 1;
        match self {
            Self::Plan => Ok(vec![plan.wait; rings]),
            Self::All(wait) => Ok(vec![*wait; rings]),
            Self::PerRing(waits) if waits.len() == rings => Ok(waits.clone()),
            Self::PerRing(waits) => Err(BuildError::WaitCount {
                rings,
                given: waits.len(),
            }),
        }
    }
}

impl Default for RingOptions {
    fn default() -> Self {
        Self {
            capacity: 4_096,
            backpressure: Backpressure::Block,
            channel: Channel::Ring,
            time_stages: false,
            wait: RingWait::Plan,
        }
    }
}

/// Why a threaded pipeline stopped before it was asked to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageFailure {
    /// A stage panicked; its thread stopped and the pipeline with it.
    #[error("stage {stage} panicked: {message}")]
    Panicked {
        /// The stage that panicked.
        stage: StageId,
        /// The panic message.
        message: String,
    },
    /// The pipeline has stopped (a stage failed earlier; see [`Threaded::shutdown`]).
    #[error("the pipeline has stopped")]
    Stopped,
}

/// What a group's thread publishes for readers on other threads.
#[derive(Debug, Clone, Default)]
struct Live {
    metrics: WorkerMetrics,
    in_force: Vec<(MarketId, ParameterSet)>,
    resets: u64,
}

/// One running group.
struct GroupThread {
    group: Group,
    live: Arc<Mutex<Live>>,
    current: Arc<AtomicU8>,
    handle: JoinHandle<Result<Worker, String>>,
}

/// What a finished run leaves.
#[derive(Debug)]
pub struct Finished {
    /// The whole pipeline's counters and end-to-end percentiles.
    pub metrics: Metrics,
    /// Each group's measurements, in pipeline order.
    pub groups: Vec<(Group, WorkerMetrics)>,
    /// Records not yet drained when the pipeline stopped.
    pub remaining: Vec<Emitted>,
}

/// The stages on threads, per a [`Plan`].
pub struct Threaded {
    feed: Outbox<Input>,
    output: Option<Consumer<Emitted>>,
    threads: Vec<GroupThread>,
    clock: LatencyClock,
    markets: Vec<(String, MarketId)>,
    boxed_inputs: u64,
    /// Records taken off the output ring while waiting, kept for [`Threaded::drain`].
    stash: Vec<Emitted>,
}

impl std::fmt::Debug for Threaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Threaded")
            .field(
                "groups",
                &self.threads.iter().map(|t| t.group).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// The receiving end of the channel into a group, by message type.
enum Inbox {
    Input(Receiver<Envelope<Input>>),
    Events(Receiver<Envelope<Event>>),
    Estimates(Receiver<Envelope<crate::message::Estimated>>),
    Snapshots(Receiver<Envelope<crate::message::RiskSnapshot>>),
    Decisions(Receiver<Envelope<crate::message::MarketDecision>>),
}

impl Threaded {
    /// Builds the stages for `config` and starts one thread per group of `plan` (which must
    /// not be fused). Records go to `callback` on the last group's thread when given, else to
    /// a ring that [`Threaded::drain`] empties (the last group waits while it is full).
    ///
    /// # Errors
    /// A [`BuildError`] for an invalid configuration or ring capacity.
    pub fn start(
        config: &PipelineConfig,
        plan: &Plan,
        rings: RingOptions,
        callback: Option<Callback>,
    ) -> Result<Self, BuildError> {
        let (stages, routes) = build(config)?;
        let markets = config
            .markets
            .iter()
            .zip(&routes)
            .map(|(spec, route)| (spec.market.clone(), route.market))
            .collect();
        let clock = LatencyClock::default();
        let cores = core_affinity::get_core_ids().unwrap_or_default();
        let waits = rings.wait.per_ring(plan)?;
        let (feed, first) = new_channel(&rings, waits[0])?;
        let feed = Outbox::new(feed, Backpressure::Block);
        let mut inbox = Some(Inbox::Input(first));
        let mut stages = PartialStages::from(stages);
        let mut output = None;
        let mut callback = callback;
        let mut threads = Vec::with_capacity(plan.groups.len());
        for (index, group) in plan.groups.iter().enumerate() {
            // The ring out of this group is the ring into the next one, or the output ring.
            let wait = waits[index + 1];
            let (downstream, next) = match group.last {
                StageId::Emit => (Downstream::End, None),
                StageId::Decode => {
                    let (tx, rx) = new_channel(&rings, wait)?;
                    (
                        Downstream::Events(Outbox::new(tx, rings.backpressure)),
                        Some(Inbox::Events(rx)),
                    )
                }
                StageId::Estimate => {
                    let (tx, rx) = new_channel(&rings, wait)?;
                    (
                        Downstream::Estimates(Outbox::new(tx, rings.backpressure)),
                        Some(Inbox::Estimates(rx)),
                    )
                }
                StageId::Greeks => {
                    let (tx, rx) = new_channel(&rings, wait)?;
                    (
                        Downstream::Snapshots(Outbox::new(tx, rings.backpressure)),
                        Some(Inbox::Snapshots(rx)),
                    )
                }
                StageId::Trigger => {
                    let (tx, rx) = new_channel(&rings, wait)?;
                    // Decisions are never conflated: each may carry a proposal.
                    (
                        Downstream::Decisions(Outbox::new(tx, Backpressure::Block)),
                        Some(Inbox::Decisions(rx)),
                    )
                }
            };
            let delivery = if group.last == StageId::Emit {
                match callback.take() {
                    Some(callback) => Delivery::Callback(callback),
                    None => {
                        let (tx, rx) = new_ring(rings.capacity, wait)?;
                        output = Some(rx);
                        Delivery::Ring(tx)
                    }
                }
            } else {
                Delivery::Collect(Vec::new())
            };
            let current = Arc::new(AtomicU8::new(group.first as u8));
            let mut worker = Worker::new(*group, &mut stages, downstream, delivery, clock)
                .reporting_stage_to(Arc::clone(&current));
            if rings.time_stages {
                worker = worker.timing_stages();
            }
            let recorder = Recorder::open(&config.journal, Worker::consumed_boundaries(*group))?;
            worker = worker.recording(recorder);
            let this_inbox = std::mem::replace(&mut inbox, next).ok_or(BuildError::Plan)?;
            let core = group.core.and_then(|index| cores.get(index).copied());
            threads.push(spawn(worker, this_inbox, core, current, clock)?);
        }
        Ok(Self {
            feed,
            output,
            threads,
            clock,
            markets,
            boxed_inputs: 0,
            stash: Vec::new(),
        })
    }

    /// Now on the latency clock, ns since the Unix epoch.
    #[must_use]
    pub fn clock_ns(&self) -> u64 {
        self.clock.now_ns()
    }

    /// Copies one raw message into the first ring (waiting while it is full).
    ///
    /// # Errors
    /// [`StageFailure::Stopped`] when the pipeline has stopped.
    pub fn push_bytes(
        &mut self,
        source: Source,
        bytes: &[u8],
        receive_ns: u64,
    ) -> Result<(), StageFailure> {
        let bytes = OwnedBytes::copy_of(bytes);
        if matches!(bytes, OwnedBytes::Boxed(_)) {
            self.boxed_inputs += 1;
        }
        self.feed_input(Input::Raw {
            source,
            receive_time: Timestamp::from_nanos(receive_ns),
            bytes,
        })
    }

    /// Pushes one typed event into the first ring (waiting while it is full).
    ///
    /// # Errors
    /// [`StageFailure::Stopped`] when the pipeline has stopped.
    pub fn push_event(&mut self, event: Event) -> Result<(), StageFailure> {
        self.feed_input(Input::Event(event))
    }

    fn feed_input(&mut self, input: Input) -> Result<(), StageFailure> {
        self.feed
            .send(Envelope {
                sent_ns: self.clock.now_ns(),
                hop: Hop::Item(input),
            })
            .map_err(|_| StageFailure::Stopped)
    }

    /// Makes every stage thread forget its latency samples once it reaches this point of the
    /// input (counters stay), and waits until the last thread has: everything pushed before is
    /// processed, and the measurement starts here (e.g. after a warm-up).
    ///
    /// # Errors
    /// [`StageFailure::Stopped`] when the pipeline has stopped.
    pub fn reset_latency(&mut self) -> Result<(), StageFailure> {
        let Some(last) = self.threads.last() else {
            return Ok(());
        };
        let before = last.live.lock().map_or(0, |live| live.resets);
        self.feed
            .send(Envelope {
                sent_ns: self.clock.now_ns(),
                hop: Hop::Control(Control::ResetLatency),
            })
            .map_err(|_| StageFailure::Stopped)?;
        self.feed.flush_all().map_err(|_| StageFailure::Stopped)?;
        loop {
            let done = last.live.lock().map_or(true, |live| live.resets > before);
            if done {
                return Ok(());
            }
            if last.handle.is_finished() {
                return Err(StageFailure::Stopped);
            }
            // Keep the output moving so that the last thread never waits for room.
            self.stash.extend(DrainRing {
                ring: self.output.as_mut(),
            });
            std::thread::yield_now();
        }
    }

    /// Raw messages too long for a ring slot, copied to the heap instead.
    #[must_use]
    pub const fn boxed_inputs(&self) -> u64 {
        self.boxed_inputs
    }

    /// The records produced so far and not yet drained (none when a callback takes them).
    pub fn drain(&mut self) -> impl Iterator<Item = Emitted> + '_ {
        self.stash.drain(..).chain(DrainRing {
            ring: self.output.as_mut(),
        })
    }

    /// A live snapshot of the counters and end-to-end percentiles (each group publishes when
    /// idle and every 100 ms when busy).
    #[must_use]
    pub fn metrics(&self) -> Metrics {
        self.group_metrics()
            .iter()
            .fold(WorkerMetrics::default(), |mut all, (_, metrics)| {
                all.merge(metrics);
                all
            })
            .summary()
    }

    /// Each group's live measurements, in pipeline order.
    #[must_use]
    pub fn group_metrics(&self) -> Vec<(Group, WorkerMetrics)> {
        self.threads
            .iter()
            .map(|thread| {
                let live = thread.live.lock().map(|live| live.metrics.clone());
                (thread.group, live.unwrap_or_default())
            })
            .collect()
    }

    /// The id of the market named `name` in the configuration.
    #[must_use]
    pub fn market_id(&self, name: &str) -> Option<MarketId> {
        self.markets
            .iter()
            .find(|(market, _)| market == name)
            .map(|(_, id)| *id)
    }

    /// The parameters the verifier model had in force for `market` at its last publication.
    #[must_use]
    pub fn in_force(&self, market: MarketId) -> Option<ParameterSet> {
        let last = self.threads.last()?;
        let live = last.live.lock().ok()?;
        live.in_force
            .iter()
            .find(|(id, _)| *id == market)
            .map(|(_, parameters)| *parameters)
    }

    /// Closes the feed, lets every thread drain its ring and stop, and returns the final
    /// measurements with the records not yet drained.
    ///
    /// # Errors
    /// [`StageFailure::Panicked`] naming the first stage that panicked.
    pub fn shutdown(self) -> Result<Finished, StageFailure> {
        let Self {
            feed,
            mut output,
            threads,
            stash,
            ..
        } = self;
        drop(feed);
        let mut remaining = stash;
        let mut groups = Vec::with_capacity(threads.len());
        let mut failure = None;
        for thread in threads {
            // The last group may wait for room in the output ring: keep draining it while
            // the threads finish.
            while !thread.handle.is_finished() {
                if let Some(ring) = output.as_mut() {
                    remaining.extend(DrainRing { ring: Some(ring) });
                }
                std::thread::yield_now();
            }
            match thread.handle.join() {
                Ok(Ok(worker)) => groups.push((thread.group, worker.metrics())),
                Ok(Err(message)) => {
                    let stage =
                        StageId::from_index(usize::from(thread.current.load(Ordering::Acquire)))
                            .unwrap_or(thread.group.first);
                    failure.get_or_insert(StageFailure::Panicked { stage, message });
                }
                Err(_) => {
                    failure.get_or_insert(StageFailure::Panicked {
                        stage: thread.group.first,
                        message: "the thread could not be joined".into(),
                    });
                }
            }
        }
        if let Some(ring) = output.as_mut() {
            remaining.extend(DrainRing { ring: Some(ring) });
        }
        if let Some(failure) = failure {
            return Err(failure);
        }
        let metrics = groups
            .iter()
            .fold(WorkerMetrics::default(), |mut all, (_, metrics)| {
                all.merge(metrics);
                all
            })
            .summary();
        Ok(Finished {
            metrics,
            groups,
            remaining,
        })
    }
}

/// A channel of the kind and capacity of `rings` whose ring ends wait with `wait`.
fn new_channel<T>(
    rings: &RingOptions,
    wait: recal_ring::WaitStrategy,
) -> Result<(Sender<T>, Receiver<T>), BuildError> {
    channel(rings.channel, rings.capacity, wait).map_err(BuildError::RingCapacity)
}

/// A ring of `capacity` slots whose ends wait with `wait`.
fn new_ring<T>(
    capacity: usize,
    wait: recal_ring::WaitStrategy,
) -> Result<(recal_ring::Producer<T>, Consumer<T>), BuildError> {
    ring(capacity, wait).map_err(|_| BuildError::RingCapacity(capacity))
}

/// Pops every record waiting in the output ring.
struct DrainRing<'a> {
    ring: Option<&'a mut Consumer<Emitted>>,
}

impl Iterator for DrainRing<'_> {
    type Item = Emitted;

    fn next(&mut self) -> Option<Emitted> {
        self.ring.as_mut()?.try_pop().ok()
    }
}

/// How long a busy thread goes between publications of its live measurements.
const PUBLISH_INTERVAL_NS: u64 = 100_000_000;

/// Starts `worker`'s thread on `inbox`, pinned to `core` when given; `current` is the stage
/// the worker reports it is in, read to name a stage that panicked.
fn spawn(
    worker: Worker,
    inbox: Inbox,
    core: Option<core_affinity::CoreId>,
    current: Arc<AtomicU8>,
    clock: LatencyClock,
) -> Result<GroupThread, BuildError> {
    let group = worker.group();
    let live = Arc::new(Mutex::new(Live::default()));
    let thread_live = Arc::clone(&live);
    let handle = std::thread::Builder::new()
        .name(format!("recal-{}", group.label()))
        .spawn(move || {
            if let Some(core) = core {
                core_affinity::set_for_current(core);
            }
            let run = catch_unwind(AssertUnwindSafe(|| {
                let mut runner = Runner {
                    worker,
                    live: thread_live,
                    clock,
                    published_ns: 0,
                    published_resets: 0,
                };
                match inbox {
                    Inbox::Input(inbox) => runner.run(inbox),
                    Inbox::Events(inbox) => runner.run(inbox),
                    Inbox::Estimates(inbox) => runner.run(inbox),
                    Inbox::Snapshots(inbox) => runner.run(inbox),
                    Inbox::Decisions(inbox) => runner.run(inbox),
                }
                runner.worker
            }));
            run.map_err(|payload| panic_message(payload.as_ref()))
        })
        .map_err(BuildError::Thread)?;
    Ok(GroupThread {
        group,
        live,
        current,
        handle,
    })
}

/// The text of a panic payload (`panic!` with a literal or a formatted message).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// A group's thread loop.
struct Runner {
    worker: Worker,
    live: Arc<Mutex<Live>>,
    clock: LatencyClock,
    published_ns: u64,
    published_resets: u64,
}

impl Runner {
    /// Pops and processes until the ring is closed and drained (or the next group is gone),
    /// then flushes what waits for room.
    fn run<T: Inbound>(&mut self, mut inbox: Receiver<Envelope<T>>) {
        let mut since_check = 0_u32;
        loop {
            match inbox.try_pop() {
                Ok(envelope) => self.worker.receive(envelope),
                Err(TryPopError::Disconnected) => break,
                Err(TryPopError::Empty) => {
                    if !self.worker.flush() {
                        std::hint::spin_loop();
                        continue;
                    }
                    self.publish();
                    match inbox.pop() {
                        Ok(envelope) => self.worker.receive(envelope),
                        Err(_) => break,
                    }
                }
            }
            if self.worker.is_disconnected() {
                break;
            }
            if self.worker.resets() != self.published_resets {
                self.publish();
            }
            since_check += 1;
            if since_check == 256 {
                since_check = 0;
                if self.clock.now_ns().saturating_sub(self.published_ns) > PUBLISH_INTERVAL_NS {
                    self.publish();
                }
            }
        }
        self.worker.flush_all();
        self.publish();
    }

    fn publish(&mut self) {
        self.published_ns = self.clock.now_ns();
        // A reset must be seen by `reset_latency`, so wait for the lock then; otherwise never
        // block the stage for a reader.
        let live = if self.worker.resets() == self.published_resets {
            self.live.try_lock().ok()
        } else {
            self.live.lock().ok()
        };
        if let Some(mut live) = live {
            live.metrics = self.worker.metrics();
            live.in_force = self.worker.in_force_all();
            live.resets = self.worker.resets();
            self.published_resets = self.worker.resets();
        }
    }
}
