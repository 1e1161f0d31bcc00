//! The embedding API: push bytes or events in, get signed proposals out.

use recal_feed::DecodeError;
use recal_pipeline::{BuildError, Emitted, Fused, Metrics};
use recal_types::{Event, MarketId, ParameterSet, Source};

use crate::config::{Config, Placement};

/// A callback that sees every proposal and execution as it is produced.
type Sink = Box<dyn FnMut(&Emitted) + Send>;

/// The recalibration engine, embedded next to a matching engine or a keeper.
///
/// Push raw feed bytes ([`Engine::push_bytes`]) or typed events ([`Engine::push_event`]) from
/// one thread; each runs through the five stages before the call returns (fused placement).
/// Signed proposals, with the verifier model's verdict, are handed to the callback set with
/// [`Engine::on_proposal`] or collected for [`Engine::drain_proposals`].
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
    pipeline: Fused,
    sink: Option<Sink>,
    proposals: Vec<Emitted>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Engine")
            .field("pipeline", &self.pipeline)
            .field("sink", &self.sink.is_some())
            .field("proposals", &self.proposals.len())
            .finish()
    }
}

impl Engine {
    /// Builds the stages for `config`.
    ///
    /// # Errors
    /// A [`BuildError`] naming the invalid part of the configuration.
    pub fn new(config: Config) -> Result<Self, BuildError> {
        let pipeline = match config.placement {
            Placement::Fused => Fused::new(&config.pipeline)?,
        };
        Ok(Self {
            pipeline,
            sink: None,
            proposals: Vec::new(),
        })
    }

    /// Sends every later proposal and execution to `sink` instead of collecting it for
    /// [`Engine::drain_proposals`].
    pub fn on_proposal(&mut self, sink: impl FnMut(&Emitted) + Send + 'static) {
        self.sink = Some(Box::new(sink));
    }

    /// Now on the engine's latency clock (ns since the Unix epoch, monotonic): the receive
    /// time to stamp bytes with. Stage logic never reads it.
    #[must_use]
    pub fn clock_ns(&self) -> u64 {
        self.pipeline.clock_ns()
    }

    /// Runs one raw message from `source`, received at `receive_ns` (latency clock), through
    /// the pipeline; returns the number of events it decoded to.
    ///
    /// # Errors
    /// Why the decoder rejected it (the reject is also counted in [`Engine::metrics`]).
    pub fn push_bytes(
        &mut self,
        source: Source,
        bytes: &[u8],
        receive_ns: u64,
    ) -> Result<usize, DecodeError> {
        let decoded = self.pipeline.push_bytes(source, bytes, receive_ns);
        self.deliver();
        decoded
    }

    /// Runs one typed event through stages 2–5 (its receive time is the event's own).
    pub fn push_event(&mut self, event: Event) {
        self.pipeline.push_event(event);
        self.deliver();
    }

    /// Proposals and executions collected since the last call, oldest first (empty when a
    /// callback is set).
    pub fn drain_proposals(&mut self) -> Vec<Emitted> {
        std::mem::take(&mut self.proposals)
    }

    /// Counters and latency percentiles so far.
    #[must_use]
    pub fn metrics(&self) -> Metrics {
        self.pipeline.metrics()
    }

    /// The id of the market named `name` (as in [`recal_pipeline::MarketSpec::market`]).
    #[must_use]
    pub fn market_id(&self, name: &str) -> Option<MarketId> {
        self.pipeline.market_id(name)
    }

    /// The parameters the verifier model has in force for `market`.
    #[must_use]
    pub fn in_force(&self, market: MarketId) -> Option<&ParameterSet> {
        self.pipeline.in_force(market)
    }

    /// Accounts in the book of `market`.
    #[must_use]
    pub fn accounts(&self, market: MarketId) -> usize {
        self.pipeline.accounts(market)
    }

    fn deliver(&mut self) {
        match &mut self.sink {
            Some(sink) => self.pipeline.drain().for_each(|emitted| sink(&emitted)),
            None => self.proposals.extend(self.pipeline.drain()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

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
        let mut called = Engine::new(Config::default()).unwrap();
        let (sender, receiver) = mpsc::channel();
        called.on_proposal(move |emitted| sender.send(emitted.clone()).unwrap());
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
        assert_eq!(drained.accounts(market), 50);
        let counters = drained.metrics().counters;
        assert_eq!(counters.messages, messages.len() as u64);
        assert_eq!(counters.proposals, counters.applied + counters.queued);
        let last_applied = collected.iter().rev().find_map(|e| match e {
            Emitted::Submitted(r) => Some(r.in_force),
            Emitted::Executed(x) => x.result.clone().ok(),
        });
        assert_eq!(drained.in_force(market), last_applied.as_ref());
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
