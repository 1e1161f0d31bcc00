//! Fused placement: all five stages run to completion on the caller's thread.

use recal_emit::{Address, Emitter, Outcome, Secp256k1Signer, Verifier, eip712};
use recal_feed::{DecodeError, Decoder, NameRole};
use recal_trigger::TriggerStage;
use recal_types::{Event, MarketId, Nonce, ParameterSet, Source, Timestamp};

use crate::chain::VerifierModel;
use crate::clock::LatencyClock;
use crate::config::PipelineConfig;
use crate::decode::DecodeStage;
use crate::emit::EmitStage;
use crate::error::BuildError;
use crate::estimate::EstimateStage;
use crate::greeks::{GreeksSettings, GreeksStage, Route};
use crate::message::{Emitted, Estimated, MarketDecision, RawMessage, RiskSnapshot, Signed};
use crate::metrics::{Counters, LatencyHistogram, Metrics};
use crate::stage::Stage;
use crate::trigger::TriggerAdapter;

/// The five stages fused on one thread: each input message runs through decode, estimate,
/// greeks, trigger and emit before the call returns, with no hop between threads.
///
/// This is the placement for few cores (this project's 2-core machine): a hop between cores
/// costs tens to hundreds of ns and five busy-spinning stage threads on two cores would
/// oversubscribe them. The `pinned` placement (one core per stage, busy-spinning) and `auto`
/// (pin when there are enough cores, else group adjacent stages) will run the same [`Stage`]
/// values on their own threads, joined by `recal-ring` SPSC rings carrying the same messages
/// (batch reads and writes), with state events never dropped and market data conflated when a
/// ring is full.
///
/// Latency accounting reads [`LatencyClock`] at stage 4 and stage 5 exit and subtracts the
/// message's receive time; stage logic reads only event time. After stage 5 the signed
/// instructions are played against the [`VerifierModel`] (outside the measured path, as the
/// chain would be).
#[derive(Debug)]
pub struct Fused {
    decode: DecodeStage,
    estimate: EstimateStage,
    greeks: GreeksStage,
    trigger: TriggerAdapter,
    emit: EmitStage,
    chain: VerifierModel,
    routes: Vec<Route>,
    clock: LatencyClock,
    events: Vec<Event>,
    estimated: Vec<Estimated>,
    snapshots: Vec<RiskSnapshot>,
    decisions: Vec<MarketDecision>,
    signed: Vec<Signed>,
    emitted: Vec<Emitted>,
    counters: Counters,
    tick_to_decision: LatencyHistogram,
    tick_to_signed: LatencyHistogram,
}

impl Fused {
    /// Builds the stages for `config`'s markets; market, price and collateral names are
    /// registered in the decoder's instrument table, and each market's id is its protocol
    /// market's instrument id.
    ///
    /// # Errors
    /// A [`BuildError`] naming the invalid part of the configuration.
    pub fn new(config: &PipelineConfig) -> Result<Self, BuildError> {
        let mut decoder = Decoder::new(config.decoder);
        let mut routes = Vec::with_capacity(config.markets.len());
        for spec in &config.markets {
            let table = decoder.instruments_mut();
            let mut register = |source, name: &str, role| {
                table
                    .register(source, name, role)
                    .map_err(|source| BuildError::Instrument {
                        market: spec.market.clone(),
                        source,
                    })
            };
            let market_instrument =
                register(Source::Recal, &spec.market, NameRole::ProtocolMarket)?;
            routes.push(Route {
                market: MarketId(market_instrument.0),
                market_instrument,
                price_instrument: register(
                    spec.price_source,
                    &spec.price_instrument,
                    NameRole::Tradable,
                )?,
                collateral_asset: register(
                    Source::Recal,
                    &spec.collateral_asset,
                    NameRole::CollateralAsset,
                )?,
            });
        }

        let signer = Secp256k1Signer::from_bytes(&config.signing_key)?;
        let domain = eip712::domain(config.chain_id, Address::from(config.verifying_contract));
        let mut verifier = Verifier::new(
            domain.clone(),
            [signer.address()],
            Address::from(config.guardian),
        );
        let mut emitter = Emitter::new(signer, domain, config.timing);
        let mut stages = Vec::with_capacity(routes.len());
        for (spec, route) in config.markets.iter().zip(&routes) {
            verifier.register_market(route.market, spec.start, spec.guardrails.clone());
            emitter.resume_market(route.market, Nonce(1), spec.start);
            stages.push(TriggerStage::new(
                route.market,
                spec.start,
                spec.guardrails.clone(),
                config.timing,
                config.trigger,
            )?);
        }

        let prices: Vec<_> = routes.iter().map(|r| r.price_instrument).collect();
        Ok(Self {
            decode: DecodeStage::new(decoder),
            estimate: EstimateStage::new(&prices, &config.estimator, config.fallback_vol)?,
            greeks: GreeksStage::new(
                &routes,
                GreeksSettings {
                    margin: config.margin.clone(),
                    refresh_budget: config.refresh_budget,
                    solvency: config.solvency,
                    solvency_interval_ns: config.solvency_interval_ns,
                },
            ),
            trigger: TriggerAdapter::new(stages),
            emit: EmitStage::new(emitter),
            chain: VerifierModel::new(verifier),
            routes,
            clock: LatencyClock::default(),
            events: Vec::with_capacity(64),
            estimated: Vec::with_capacity(64),
            snapshots: Vec::with_capacity(64),
            decisions: Vec::with_capacity(64),
            signed: Vec::new(),
            emitted: Vec::new(),
            counters: Counters::default(),
            tick_to_decision: LatencyHistogram::default(),
            tick_to_signed: LatencyHistogram::default(),
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
        self.counters.messages += 1;
        self.emit.absorb(bytes);
        self.events.clear();
        let decoded = self.decode.decode(
            RawMessage {
                source,
                bytes,
                receive_time: Timestamp::from_nanos(receive_ns),
            },
            &mut self.events,
        );
        self.run_events(receive_ns);
        decoded
    }

    /// Runs one already decoded event through stages 2–5; its bytes are chained into the
    /// inputs digest.
    pub fn push_event(&mut self, event: Event) {
        self.counters.messages += 1;
        self.emit.absorb(bytemuck::bytes_of(&event));
        self.events.clear();
        self.events.push(event);
        self.run_events(event.receive_time().as_nanos());
    }

    /// Removes and returns the proposals and executions produced so far, oldest first.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Emitted> {
        self.emitted.drain(..)
    }

    /// The counters and latency percentiles so far.
    #[must_use]
    pub fn metrics(&self) -> Metrics {
        let mut counters = self.counters;
        counters.rejects = self.decode.decoder().rejects().counters().total();
        counters.filtered_prints = self.estimate.filtered() + self.estimate.refused();
        counters.triggers = self.trigger.fired();
        counters.stage_errors = self.greeks.errors() + self.trigger.refused() + self.emit.errors();
        Metrics {
            counters,
            tick_to_decision: self.tick_to_decision.summary(),
            tick_to_signed: self.tick_to_signed.summary(),
        }
    }

    /// The id of the market named `name` in the configuration.
    #[must_use]
    pub fn market_id(&self, name: &str) -> Option<MarketId> {
        let id = self
            .decode
            .decoder()
            .instruments()
            .lookup(Source::Recal, name)?;
        self.routes
            .iter()
            .find(|route| route.market_instrument == id)
            .map(|route| route.market)
    }

    /// The parameters the verifier model has in force for `market`.
    #[must_use]
    pub fn in_force(&self, market: MarketId) -> Option<&ParameterSet> {
        self.chain.in_force(market)
    }

    /// Accounts in the book of `market`.
    #[must_use]
    pub fn accounts(&self, market: MarketId) -> usize {
        self.greeks.accounts(market)
    }

    /// Stages 2–5 on the decoded events of one message.
    fn run_events(&mut self, receive_ns: u64) {
        self.counters.events += self.events.len() as u64;
        let mut decided_ns = None;
        let mut signed_ns = None;
        for event in &self.events {
            self.estimated.clear();
            self.estimate.process(event, &mut self.estimated);
            self.snapshots.clear();
            for estimated in &self.estimated {
                self.greeks.process(estimated, &mut self.snapshots);
            }
            self.decisions.clear();
            for snapshot in &self.snapshots {
                self.trigger.process(snapshot, &mut self.decisions);
            }
            if self.decisions.is_empty() {
                continue;
            }
            decided_ns = decided_ns.or_else(|| Some(self.clock.now_ns()));
            self.counters.decisions += self.decisions.len() as u64;
            self.signed.clear();
            for decision in &self.decisions {
                self.emit.process(decision, &mut self.signed);
            }
            if self.signed.iter().any(|s| s.proposal.is_some()) {
                signed_ns = signed_ns.or_else(|| Some(self.clock.now_ns()));
            }
            let before = self.emitted.len();
            for signed in self.signed.drain(..) {
                self.chain.process(signed, &mut self.emitted);
            }
            for emitted in &self.emitted[before..] {
                count(&mut self.counters, emitted);
            }
        }
        if let Some(decided_ns) = decided_ns {
            self.tick_to_decision
                .record(decided_ns.saturating_sub(receive_ns));
        }
        if let Some(signed_ns) = signed_ns {
            self.tick_to_signed
                .record(signed_ns.saturating_sub(receive_ns));
        }
    }
}

/// Counts one verifier-model outcome.
fn count(counters: &mut Counters, emitted: &Emitted) {
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
