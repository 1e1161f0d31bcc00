//! The embedding API: push bytes or events in, get signed proposals out.

use recal_feed::DecodeError;
use recal_pipeline::{
    BuildError, Callback, Emitted, Finished, Fused, Metrics, PlacementError, Plan, StageFailure,
    Threaded,
};
use recal_types::{Event, MarketId, ParameterSet, Source};

use crate::config::Config;
use crate::stats::{StatsError, StatsPublisher};

/// Why an engine could not be built or stopped running.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The configuration is invalid.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The placement does not fit this machine.
    #[error(transparent)]
    Placement(#[from] PlacementError),
    /// The decoder rejected a message (fused placement; a threaded engine counts rejects in
    /// its metrics instead, since decoding happens on another thread).
    #[error(transparent)]
    Rejected(#[from] DecodeError),
    /// A stage failed and the engine stopped.
    #[error(transparent)]
    Stopped(#[from] StageFailure),
    /// The live metrics snapshot could not be written.
    #[error("stats snapshot: {0}")]
    Stats(#[from] StatsError),
}

/// The stages, fused on the caller's thread or running on their own.
enum Runner {
    Fused {
        pipeline: Box<Fused>,
        callback: Option<Callback>,
        proposals: Vec<Emitted>,
    },
    Threaded(Threaded),
}

/// The recalibration engine, embedded next to a matching engine or a keeper.
///
/// Push raw feed bytes ([`Engine::push_bytes`]) or typed events ([`Engine::push_event`]) from
/// one thread. With the fused placement each runs through the five stages before the call
/// returns; with a threaded one the call copies the message into the first ring (waiting only
/// when it is full) and the stage threads do the rest. Signed proposals, with the verifier
/// model's verdict, go to the callback given to [`Engine::with_callback`] or are collected for
/// [`Engine::drain_proposals`]. [`Engine::shutdown`] drains the rings and stops the threads.
///
/// ```
/// use recal::{Config, Engine};
/// use recal_types::Source;
///
/// let mut engine = Engine::new(Config::default()).unwrap();
/// let trade = br#"{"e":"trade","E":1717632001000,"T":1717632001000,"s":"BTCUSDT","t":1,"p":"68000.5","q":"0.1","m":false}"#;
/// engine.push_bytes(Source::BinanceUsdmFutures, trade, engine.clock_ns()).unwrap();
/// assert_eq!(engine.metrics().counters.events, 1);
/// ```
pub struct Engine {
    runner: Runner,
    plan: Plan,
    /// The live metrics snapshot, when [`Config::stats`] enables it.
    stats: Option<StatsPublisher>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Engine")
            .field("plan", &self.plan)
            .finish_non_exhaustive()
    }
}

/// Cores this process may run on (1 when the OS does not say).
#[must_use]
pub fn available_cores() -> usize {
    core_affinity::get_core_ids().map_or(1, |cores| cores.len().max(1))
}

impl Engine {
    /// Builds the stages for `config` and starts them per its placement; proposals are
    /// collected for [`Engine::drain_proposals`].
    ///
    /// # Errors
    /// An [`EngineError`] naming the invalid part of the configuration or placement.
    pub fn new(config: Config) -> Result<Self, EngineError> {
        Self::start(config, None)
    }

    /// Like [`Engine::new`], but every proposal and execution goes to `callback` as it is
    /// produced: on the pushing thread (fused) or on the thread of stage 5 (threaded).
    ///
    /// # Errors
    /// An [`EngineError`] naming the invalid part of the configuration or placement.
    pub fn with_callback(
        config: Config,
        callback: impl FnMut(&Emitted) + Send + 'static,
    ) -> Result<Self, EngineError> {
        Self::start(config, Some(Box::new(callback)))
    }

    fn start(config: Config, callback: Option<Callback>) -> Result<Self, EngineError> {
        let plan = Plan::resolve(&config.placement, available_cores())?;
        let runner = if plan.is_fused() {
            Runner::Fused {
                pipeline: Box::new(Fused::new(&config.pipeline)?),
                callback,
                proposals: Vec::new(),
            }
        } else {
            Runner::Threaded(Threaded::start(
                &config.pipeline,
                &plan,
                config.rings,
                callback,
            )?)
        };
        let stats = config
            .stats
            .enabled
            .then(|| StatsPublisher::new(&config.stats, &plan));
        let mut engine = Self {
            runner,
            plan,
            stats,
        };
        engine.publish_stats()?;
        Ok(engine)
    }

    /// Writes the live metrics snapshot now (when [`Config::stats`] enables it): pushes
    /// publish it at most every `stats.interval`, so an engine that goes idle can call this to
    /// bring it up to date. See [`crate::stats`].
    ///
    /// # Errors
    /// [`EngineError::Stats`] when the snapshot file cannot be written.
    pub fn publish_stats(&mut self) -> Result<(), EngineError> {
        if self.stats.is_none() {
            return Ok(());
        }
        let metrics = self.metrics();
        let groups = match &self.runner {
            Runner::Fused { .. } => Vec::new(),
            Runner::Threaded(threaded) => threaded.group_metrics(),
        };
        match &mut self.stats {
            Some(stats) => Ok(stats.publish(&metrics, &groups)?),
            None => Ok(()),
        }
    }

    /// The live metrics snapshot file, when [`Config::stats`] enables it.
    #[must_use]
    pub fn stats_path(&self) -> Option<&std::path::Path> {
        self.stats.as_ref().map(StatsPublisher::path)
    }

    /// Counts a push and publishes the snapshot when due. Monitoring never stops the engine:
    /// a failed write is skipped, and the next due one tries again.
    fn after_push(&mut self) {
        if self.stats.as_mut().is_some_and(StatsPublisher::due) {
            let _ = self.publish_stats();
        }
    }

    /// The placement resolved on this machine: which stages share a thread, on which core.
    #[must_use]
    pub const fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Now on the engine's latency clock (ns since the Unix epoch, monotonic): the receive
    /// time to stamp bytes with. Stage logic never reads it.
    #[must_use]
    pub fn clock_ns(&self) -> u64 {
        match &self.runner {
            Runner::Fused { pipeline, .. } => pipeline.clock_ns(),
            Runner::Threaded(threaded) => threaded.clock_ns(),
        }
    }

    /// Runs one raw message from `source`, received at `receive_ns` (latency clock), through
    /// the pipeline (fused), or hands it to the stage threads.
    ///
    /// # Errors
    /// [`EngineError::Rejected`] with the decoder's reason (fused; the reject is also counted
    /// in [`Engine::metrics`]), or [`EngineError::Stopped`] when a stage thread has failed.
    pub fn push_bytes(
        &mut self,
        source: Source,
        bytes: &[u8],
        receive_ns: u64,
    ) -> Result<(), EngineError> {
        let pushed = match &mut self.runner {
            Runner::Fused {
                pipeline,
                callback,
                proposals,
            } => {
                let decoded = pipeline.push_bytes(source, bytes, receive_ns);
                deliver(pipeline, callback, proposals);
                decoded.map(drop).map_err(EngineError::from)
            }
            Runner::Threaded(threaded) => threaded
                .push_bytes(source, bytes, receive_ns)
                .map_err(EngineError::from),
        };
        self.after_push();
        pushed
    }

    /// Runs one typed event through stages 2–5 (its receive time is the event's own).
    ///
    /// # Errors
    /// [`EngineError::Stopped`] when a stage thread has failed.
    pub fn push_event(&mut self, event: Event) -> Result<(), EngineError> {
        let pushed = match &mut self.runner {
            Runner::Fused {
                pipeline,
                callback,
                proposals,
            } => {
                pipeline.push_event(event);
                deliver(pipeline, callback, proposals);
                Ok(())
            }
            Runner::Threaded(threaded) => threaded.push_event(event).map_err(EngineError::from),
        };
        self.after_push();
        pushed
    }

    /// Proposals and executions produced since the last call, oldest first (empty when a
    /// callback takes them).
    pub fn drain_proposals(&mut self) -> Vec<Emitted> {
        match &mut self.runner {
            Runner::Fused { proposals, .. } => std::mem::take(proposals),
            Runner::Threaded(threaded) => threaded.drain().collect(),
        }
    }

    /// Counters and latency percentiles so far (a threaded engine's stage threads publish
    /// them when idle and every 100 ms when busy).
    #[must_use]
    pub fn metrics(&self) -> Metrics {
        match &self.runner {
            Runner::Fused { pipeline, .. } => pipeline.metrics(),
            Runner::Threaded(threaded) => threaded.metrics(),
        }
    }

    /// The id of the market named `name` (as in [`recal_pipeline::MarketSpec::market`]).
    #[must_use]
    pub fn market_id(&self, name: &str) -> Option<MarketId> {
        match &self.runner {
            Runner::Fused { pipeline, .. } => pipeline.market_id(name),
            Runner::Threaded(threaded) => threaded.market_id(name),
        }
    }

    /// The parameters the verifier model has in force for `market` (a threaded engine:
    /// as last published by the stage-5 thread).
    #[must_use]
    pub fn in_force(&self, market: MarketId) -> Option<ParameterSet> {
        match &self.runner {
            Runner::Fused { pipeline, .. } => pipeline.in_force(market).copied(),
            Runner::Threaded(threaded) => threaded.in_force(market),
        }
    }

    /// Stops the engine: a threaded one closes its feed, drains every ring and joins its
    /// threads; the live metrics snapshot file, if any, is removed. Returns the final metrics, per-group measurements (threaded) and the records
    /// not yet drained.
    ///
    /// # Errors
    /// [`EngineError::Stopped`] naming the stage that panicked, if one did.
    pub fn shutdown(self) -> Result<Finished, EngineError> {
        match self.runner {
            Runner::Fused {
                pipeline,
                proposals,
                ..
            } => Ok(Finished {
                metrics: pipeline.metrics(),
                groups: Vec::new(),
                remaining: proposals,
            }),
            Runner::Threaded(threaded) => Ok(threaded.shutdown()?),
        }
    }
}

/// Hands the fused pipeline's new records to the callback, or keeps them for draining.
fn deliver(pipeline: &mut Fused, callback: &mut Option<Callback>, proposals: &mut Vec<Emitted>) {
    match callback {
        Some(callback) => pipeline.drain().for_each(|emitted| callback(&emitted)),
        None => proposals.extend(pipeline.drain()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use recal_pipeline::Placement;
    use recal_pipeline::demo::{self, DemoConfig};

    use super::*;

    fn small_demo() -> Vec<demo::DemoMessage> {
        demo::generate(&DemoConfig {
            calm_seconds: 120,
            crash_seconds: 300,
            recovery_seconds: 60,
            accounts: 50,
            ..DemoConfig::default()
        })
    }

    #[test]
    fn callback_and_drain_see_the_same_proposals() {
        let messages = small_demo();
        let mut drained = Engine::new(Config::default()).unwrap();
        let (sender, receiver) = mpsc::channel();
        let mut called = Engine::with_callback(Config::default(), move |emitted| {
            sender.send(emitted.clone()).unwrap();
        })
        .unwrap();
        let mut collected = Vec::new();
        for message in &messages {
            drained
                .push_bytes(message.source, &message.bytes, drained.clock_ns())
                .unwrap();
            called
                .push_bytes(message.source, &message.bytes, called.clock_ns())
                .unwrap();
            collected.extend(drained.drain_proposals());
            assert!(called.drain_proposals().is_empty());
        }
        let via_callback: Vec<Emitted> = receiver.try_iter().collect();
        // Receive times differ between the two engines; everything signed must not.
        let signed = |emitted: &[Emitted]| -> Vec<String> {
            emitted
                .iter()
                .map(|e| match e {
                    Emitted::Submitted(r) => format!("{:?} {:?}", r.signed, r.outcome),
                    Emitted::Executed(x) => format!("{x:?}"),
                })
                .collect()
        };
        assert!(!collected.is_empty());
        assert_eq!(signed(&collected), signed(&via_callback));

        let market = drained.market_id("BTC-PERP").unwrap();
        let counters = drained.metrics().counters;
        assert_eq!(counters.messages, messages.len() as u64);
        assert_eq!(counters.proposals, counters.applied + counters.queued);
        let last_applied = collected.iter().rev().find_map(|e| match e {
            Emitted::Submitted(r) => Some(r.in_force),
            Emitted::Executed(x) => x.result.clone().ok(),
        });
        assert_eq!(drained.in_force(market), last_applied);
    }

    #[test]
    fn a_threaded_engine_signs_what_the_fused_one_signs() {
        let records = |placement| {
            let config = Config {
                placement,
                ..Config::default()
            };
            let mut engine = Engine::new(config).unwrap();
            let mut records = Vec::new();
            for message in small_demo() {
                let _ = engine.push_bytes(message.source, &message.bytes, engine.clock_ns());
                records.extend(engine.drain_proposals());
            }
            let finished = engine.shutdown().unwrap();
            records.extend(finished.remaining);
            let counters = finished.metrics.counters;
            let text: Vec<String> = records
                .iter()
                .map(|e| match e {
                    Emitted::Submitted(r) => format!("{:?} {:?}", r.signed, r.outcome),
                    Emitted::Executed(x) => format!("{x:?}"),
                })
                .collect();
            (text, counters.events, counters.proposals)
        };
        let fused = records(Placement::Fused);
        assert!(fused.2 > 0);
        // Explicit cores, so the test threads on any machine with two cores or more.
        if available_cores() >= 2 {
            assert_eq!(records(Placement::Cores([1, 1, 0, 0, 0])), fused);
        }
    }

    #[test]
    fn a_bad_message_is_an_error_and_a_counted_reject() {
        let mut engine = Engine::new(Config::default()).unwrap();
        assert!(
            engine
                .push_bytes(Source::BinanceUsdmFutures, b"{oops", engine.clock_ns())
                .is_err()
        );
        assert_eq!(engine.metrics().counters.rejects, 1);
    }
}
