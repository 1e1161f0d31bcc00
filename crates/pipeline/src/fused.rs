//! Fused placement: all five stages run to completion on the caller's thread.

use recal_feed::DecodeError;
use recal_types::{Event, MarketId, ParameterSet, Source};

use crate::build::build;
use crate::clock::LatencyClock;
use crate::config::PipelineConfig;
use crate::error::BuildError;
use crate::greeks::Route;
use crate::message::Emitted;
use crate::metrics::Metrics;
use crate::placement::{Group, StageId};
use crate::recorder::Recorder;
use crate::worker::{Delivery, Downstream, Worker, WorkerMetrics};

/// The five stages fused on one thread: each input message runs through decode, estimate,
/// greeks, trigger and emit before the call returns, with no hop between threads.
///
/// This is the placement for few cores (this project's 2-core machine): a hop between cores
/// costs tens to hundreds of ns, and busy-spinning stage threads must not outnumber the cores.
/// [`crate::Threaded`] runs the same stages on threads joined by rings.
///
/// Latency accounting reads [`LatencyClock`] at stage 4 and stage 5 exit and subtracts the
/// message's receive time; stage logic reads only event time. After stage 5 the signed
/// instructions are played against the [`crate::VerifierModel`] (outside the measured path, as
/// the chain would be).
#[derive(Debug)]
pub struct Fused {
    worker: Worker,
    routes: Vec<Route>,
    clock: LatencyClock,
}

impl Fused {
    /// Builds the stages for `config`'s markets; market, price and collateral names are
    /// registered in the decoder's instrument table, and each market's id is its protocol
    /// market's instrument id.
    ///
    /// # Errors
    /// A [`BuildError`] naming the invalid part of the configuration.
    pub fn new(config: &PipelineConfig) -> Result<Self, BuildError> {
        Self::build(config, false)
    }

    /// Like [`Fused::new`], timing every stage call for per-stage percentiles
    /// ([`Fused::worker_metrics`]): two clock reads per stage call, for benchmarks.
    ///
    /// # Errors
    /// A [`BuildError`] naming the invalid part of the configuration.
    pub fn timing_stages(config: &PipelineConfig) -> Result<Self, BuildError> {
        Self::build(config, true)
    }

    fn build(config: &PipelineConfig, time_stages: bool) -> Result<Self, BuildError> {
        let (stages, routes) = build(config)?;
        let clock = LatencyClock::default();
        let everything = Group {
            first: StageId::Decode,
            last: StageId::Emit,
            core: None,
        };
        let mut worker = Worker::new(
            everything,
            &mut stages.into(),
            Downstream::End,
            Delivery::Collect(Vec::new()),
            clock,
        );
        if time_stages {
            worker = worker.timing_stages();
        }
        let recorder = Recorder::open(&config.journal, Worker::consumed_boundaries(everything))?;
        worker = worker.recording(recorder);
        Ok(Self {
            worker,
            routes,
            clock,
        })
    }

    /// Now on the latency clock, ns since the Unix epoch: the receive time to pass with
    /// messages read from a socket or a generator.
    #[must_use]
    pub fn clock_ns(&self) -> u64 {
        self.clock.now_ns()
    }

    /// Runs one raw message from `source` through all five stages; returns how many events it
    /// decoded to. The bytes are chained into the inputs digest whether or not they decode.
    ///
    /// # Errors
    /// The decoder's reason for rejecting the message (it is also counted and kept).
    pub fn push_bytes(
        &mut self,
        source: Source,
        bytes: &[u8],
        receive_ns: u64,
    ) -> Result<usize, DecodeError> {
        self.worker.raw(source, bytes, receive_ns)
    }

    /// Runs one already decoded event through stages 2–5; its bytes are chained into the
    /// inputs digest.
    pub fn push_event(&mut self, event: Event) {
        self.worker.event(event);
    }

    /// Removes and returns the proposals and executions produced so far, oldest first.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Emitted> {
        self.worker.drain()
    }

    /// The counters and latency percentiles so far.
    #[must_use]
    pub fn metrics(&self) -> Metrics {
        self.worker.metrics().summary()
    }

    /// Forgets the latency samples recorded so far (counters stay).
    pub fn reset_latency(&mut self) {
        self.worker.reset_latency();
    }

    /// Counters and histograms, per-stage ones included when timed.
    #[must_use]
    pub fn worker_metrics(&self) -> WorkerMetrics {
        self.worker.metrics()
    }

    /// The id of the market named `name` in the configuration.
    #[must_use]
    pub fn market_id(&self, name: &str) -> Option<MarketId> {
        let decode = self.worker.decode_stage()?;
        let id = decode.decoder().instruments().lookup(Source::Recal, name)?;
        self.routes
            .iter()
            .find(|route| route.market_instrument == id)
            .map(|route| route.market)
    }

    /// The parameters the verifier model has in force for `market`.
    #[must_use]
    pub fn in_force(&self, market: MarketId) -> Option<&ParameterSet> {
        self.worker.chain()?.in_force(market)
    }

    /// Accounts in the book of `market`.
    #[must_use]
    pub fn accounts(&self, market: MarketId) -> usize {
        self.worker
            .greeks_stage()
            .map_or(0, |greeks| greeks.accounts(market))
    }
}
