//! The margin policies compared on a tape, and the loop that plays one policy: the same tape,
//! market model and population for each, only the source of the margins differs.
//!
//! - [`Policy::Static`]: fixed initial and maintenance margins.
//! - [`Policy::Recal`]: the engine runs alongside the simulated protocol. It sees every print
//!   of the tape (Binance `trade` messages, a `bookTicker` per bar carrying the simulated depth)
//!   and the protocol's state as `recal/1` messages (positions and collateral of every account
//!   that changes, then insurance fund, total collateral and open interest); the simulator
//!   enforces the parameters the engine's verifier model has *in force* (a tightening applied at
//!   once, a loosening after its time-lock), read before each print is shown to the engine: a
//!   decision taken on one print binds from the next, 15 s later, as a transaction landing on
//!   chain would.
//!
//! The first `warm_up_bars` of a tape only warm the engine's estimators; the population opens
//! at the first print after them, under every policy.

use recal::pipeline::{Counters, PipelineConfig};
use recal::types::{MarketId, Source};
use recal::{Config, Engine, EngineError, Placement};

use super::bars::{self, PRINTS_PER_BAR, Tape};
use super::market::BarState;
use super::sim::{Change, Margins, Population, Simulator, Tally};

const NS_PER_MS: u64 = 1_000_000;

/// Why a policy could not be played.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The engine could not be built from the policy's configuration.
    #[error("building the engine: {0}")]
    Engine(#[from] EngineError),
    /// The policy's configuration names no market.
    #[error("the recal configuration has no market")]
    NoMarket,
}

/// Where a run's margins come from.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Fixed margins, as fractions of notional.
    Static {
        /// Initial margin.
        initial: f64,
        /// Maintenance margin.
        maintenance: f64,
    },
    /// The engine's parameters in force, with this pipeline configuration (its market's price
    /// source and instrument are set from the tape).
    Recal {
        /// Name in reports.
        label: String,
        /// The engine's configuration.
        config: Box<PipelineConfig>,
    },
}

impl Policy {
    /// The name shown in reports (`static 20/10`, `recal`).
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::Static {
                initial,
                maintenance,
            } => format!("static {}/{}", percent(*initial), percent(*maintenance)),
            Self::Recal { label, .. } => label.clone(),
        }
    }
}

fn percent(fraction: f64) -> String {
    let value = fraction * 100.0;
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Initial margin asked over a set of prints.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MarginStats {
    /// Prints counted.
    pub prints: u64,
    /// Sum of the initial margin over them.
    pub initial_sum: f64,
    /// Largest initial margin among them.
    pub initial_max: f64,
}

impl MarginStats {
    fn add(&mut self, initial: f64) {
        self.prints += 1;
        self.initial_sum += initial;
        self.initial_max = self.initial_max.max(initial);
    }

    /// Mean initial margin, or `None` over no print.
    #[must_use]
    pub fn mean(&self) -> Option<f64> {
        (self.prints > 0).then(|| self.initial_sum / self.prints as f64)
    }
}

/// Margins in force at the open of a bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathPoint {
    /// Bar open, ns.
    pub time_ns: u64,
    /// Initial margin.
    pub initial: f64,
    /// Maintenance margin.
    pub maintenance: f64,
}

/// The outcome of one policy on one tape.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRun {
    /// The policy's name.
    pub name: String,
    /// Liquidations and bad debt.
    pub tally: Tally,
    /// Insurance fund at the end of the tape.
    pub insurance_fund: f64,
    /// Initial margin asked in calm minutes.
    pub calm: MarginStats,
    /// Liquidations in calm minutes.
    pub calm_liquidations: u64,
    /// Initial margin asked over the whole simulated tape.
    pub all: MarginStats,
    /// Margins in force at each simulated bar's open.
    pub path: Vec<PathPoint>,
    /// The engine's counters (recal policies only).
    pub engine: Option<Counters>,
}

/// What a run needs besides the policy.
#[derive(Debug, Clone)]
pub struct RunInputs<'a> {
    /// The tape.
    pub tape: &'a Tape,
    /// Depth and calm flag of every bar.
    pub states: &'a [BarState],
    /// The traders.
    pub population: &'a Population,
    /// Bars that only warm the engine up before the population opens.
    pub warm_up_bars: usize,
}

/// Plays `policy` over the tape.
///
/// # Errors
/// A [`RunError`] when the engine cannot be built from the policy's configuration.
pub fn run(inputs: &RunInputs<'_>, policy: &Policy) -> Result<PolicyRun, RunError> {
    let mut source: Box<dyn MarginSource> = match policy {
        Policy::Static {
            initial,
            maintenance,
        } => Box::new(Margins::fixed(*initial, *maintenance)),
        Policy::Recal { config, .. } => Box::new(EngineFeed::new(inputs.tape, config)?),
    };
    let tape = inputs.tape;
    let mut simulator: Option<Simulator> = None;
    let mut changes = Vec::new();
    let mut calm = MarginStats::default();
    let mut calm_liquidations = 0;
    let mut all = MarginStats::default();
    let mut path = Vec::with_capacity(tape.bars.len());
    for (index, (bar, state)) in tape.bars.iter().zip(inputs.states).enumerate() {
        let simulated = index >= inputs.warm_up_bars;
        let quantity = (bar.volume / PRINTS_PER_BAR as f64).max(0.001);
        for (print, price) in bar.path().into_iter().enumerate() {
            let now = bar.print_time_ns(print);
            let margins = source.margins();
            if simulated {
                changes.clear();
                match &mut simulator {
                    Some(simulator) => {
                        let before = simulator.tally().liquidations;
                        simulator.step(price, state.depth, now, &margins, &mut changes);
                        if state.calm {
                            calm_liquidations += simulator.tally().liquidations - before;
                        }
                    }
                    None => {
                        simulator = Some(Simulator::open(
                            inputs.population,
                            &margins,
                            price,
                            now,
                            &mut changes,
                        ));
                    }
                }
                all.add(margins.initial);
                if state.calm {
                    calm.add(margins.initial);
                }
                if print == 0 {
                    path.push(PathPoint {
                        time_ns: now,
                        initial: margins.initial,
                        maintenance: margins.maintenance,
                    });
                }
            }
            source.print(now, price, quantity, (print == 0).then_some(state.depth));
            if let Some(simulator) = simulator.as_ref().filter(|_| !changes.is_empty()) {
                source.state(now + NS_PER_MS, &changes, simulator);
            }
        }
    }
    Ok(PolicyRun {
        name: policy.name(),
        tally: simulator
            .as_ref()
            .map_or_else(Tally::default, |s| *s.tally()),
        insurance_fund: simulator.as_ref().map_or_else(
            || inputs.population.insurance_fund,
            Simulator::insurance_fund,
        ),
        calm,
        calm_liquidations,
        all,
        path,
        engine: source.counters(),
    })
}

/// The margins in force and what the policy is shown of the market and the protocol.
trait MarginSource {
    /// The margins in force now.
    fn margins(&self) -> Margins;
    /// A print of the tape at `ns`; `depth` with the first print of each bar.
    fn print(&mut self, ns: u64, price: f64, quantity: f64, depth: Option<f64>);
    /// The protocol's state after `changes`, at `ns`.
    fn state(&mut self, ns: u64, changes: &[Change], simulator: &Simulator);
    /// The engine's counters, if there is an engine.
    fn counters(&self) -> Option<Counters>;
}

impl MarginSource for Margins {
    fn margins(&self) -> Margins {
        *self
    }

    fn print(&mut self, _ns: u64, _price: f64, _quantity: f64, _depth: Option<f64>) {}

    fn state(&mut self, _ns: u64, _changes: &[Change], _simulator: &Simulator) {}

    fn counters(&self) -> Option<Counters> {
        None
    }
}

/// The engine, fed the tape and the protocol's state as the bytes the venue and the protocol
/// would send.
struct EngineFeed {
    engine: Engine,
    market: MarketId,
    market_name: String,
    asset: String,
    source: Source,
    symbol: String,
    start: Margins,
    next_id: u64,
    seq: u64,
}

impl EngineFeed {
    fn new(tape: &Tape, config: &PipelineConfig) -> Result<Self, RunError> {
        let mut config = config.clone();
        config.markets.truncate(1);
        let spec = config.markets.first_mut().ok_or(RunError::NoMarket)?;
        spec.price_source = tape.source();
        spec.price_instrument.clone_from(&tape.symbol);
        let (market_name, asset, start) = (
            spec.market.clone(),
            spec.collateral_asset.clone(),
            Margins::from_parameters(&spec.start),
        );
        // Fused: each message is through all five stages when `push` returns, so the margins
        // read before the next print are exactly those the verifier holds then.
        let engine = Engine::new(Config {
            placement: Placement::Fused,
            pipeline: config,
            ..Config::default()
        })?;
        let market = engine.market_id(&market_name).ok_or(RunError::NoMarket)?;
        Ok(Self {
            engine,
            market,
            market_name,
            asset,
            source: tape.source(),
            symbol: tape.symbol.clone(),
            start,
            next_id: 1,
            seq: 0,
        })
    }

    fn push(&mut self, source: Source, bytes: &[u8], ns: u64) {
        // A refused message is counted in the engine's metrics, which the report shows.
        let _outcome = self.engine.push_bytes(source, bytes, ns);
        // In-force parameters are read from the verifier model; the records are not needed.
        drop(self.engine.drain_proposals());
    }

    fn push_state(&mut self, ns: u64, body: &str) {
        self.seq += 1;
        let message = format!(
            r#"{{"schema":"recal/1","ts":{ns},"seq":{seq},{body}}}"#,
            seq = self.seq
        );
        self.push(Source::Recal, message.as_bytes(), ns);
    }
}

impl MarginSource for EngineFeed {
    fn margins(&self) -> Margins {
        self.engine
            .in_force(self.market)
            .map_or(self.start, |parameters| {
                Margins::from_parameters(&parameters)
            })
    }

    fn print(&mut self, ns: u64, price: f64, quantity: f64, depth: Option<f64>) {
        let id = self.next_id;
        self.next_id += 1;
        if let Some(depth) = depth {
            let ticker = bars::book_ticker_message(&self.symbol, ns, id, price, depth);
            self.push(self.source, &ticker, ns);
        }
        let trade = bars::trade_message(&self.symbol, ns, id, price, quantity);
        self.push(self.source, &trade, ns);
    }

    fn state(&mut self, ns: u64, changes: &[Change], simulator: &Simulator) {
        let (market, asset) = (self.market_name.clone(), self.asset.clone());
        for change in changes {
            let body = match *change {
                Change::Position {
                    account,
                    size,
                    entry,
                } => format!(
                    r#""type":"position","market":"{market}","account":{account},"size":"{size:.6}","entry_price":"{entry}""#
                ),
                Change::Collateral { account, amount } => format!(
                    r#""type":"collateral","asset":"{asset}","account":{account},"collateral":"{amount:.2}""#
                ),
            };
            self.push_state(ns, &body);
        }
        let (long, short) = simulator.open_interest();
        let totals = [
            format!(
                r#""type":"insurance_fund","asset":"{asset}","balance":"{:.2}""#,
                simulator.insurance_fund()
            ),
            format!(
                r#""type":"total_collateral","asset":"{asset}","total":"{:.2}""#,
                simulator.total_collateral()
            ),
            format!(
                r#""type":"open_interest","market":"{market}","long":"{long:.6}","short":"{short:.6}""#
            ),
        ];
        for body in totals {
            self.push_state(ns, &body);
        }
    }

    fn counters(&self) -> Option<Counters> {
        Some(self.engine.metrics().counters)
    }
}

#[cfg(test)]
mod tests {
    use super::super::bars::Bar;
    use super::super::market::bar_states;
    use super::super::sim::PopulationConfig;
    use super::*;

    /// Two calm hours at 100, then a crash: 12 minutes falling 3 % each with 4 % ranges, and
    /// half an hour flat at the bottom.
    fn crash_tape() -> Tape {
        let start_ms = 1_700_000_000_000 / 60_000 * 60_000;
        let mut price = 100.0;
        let bars = (0..170u64)
            .map(|i| {
                let (open, close) = if (120..132).contains(&i) {
                    let open = price;
                    price *= 0.97;
                    (open, price)
                } else {
                    (price, price)
                };
                let wide = (120..132).contains(&i);
                Bar {
                    open_ms: start_ms + i * 60_000,
                    open,
                    high: open.max(close) * if wide { 1.005 } else { 1.0002 },
                    low: open.min(close) * if wide { 0.985 } else { 0.9998 },
                    close,
                    volume: 1.0,
                }
            })
            .collect();
        Tape {
            name: "synthetic".into(),
            symbol: "BTCUSDT".into(),
            bars,
        }
    }

    fn play(policy: &Policy) -> PolicyRun {
        let tape = crash_tape();
        let population = Population::generate(&PopulationConfig {
            accounts: 60,
            ..PopulationConfig::default()
        });
        let states = bar_states(&tape.bars, 0.5 * population.deposits());
        let inputs = RunInputs {
            tape: &tape,
            states: &states,
            population: &population,
            warm_up_bars: 60,
        };
        run(&inputs, policy).unwrap()
    }

    #[test]
    fn higher_static_margins_give_less_bad_debt_and_less_exposure() {
        let runs: Vec<PolicyRun> = [0.05, 0.10, 0.20, 0.40]
            .map(|initial| {
                play(&Policy::Static {
                    initial,
                    maintenance: initial / 2.0,
                })
            })
            .into();
        assert!(
            runs[0].tally.bad_debt > 0.0,
            "5 % margins must lose money here"
        );
        for pair in runs.windows(2) {
            let (looser, tighter) = (&pair[0].tally, &pair[1].tally);
            assert!(
                tighter.bad_debt <= looser.bad_debt,
                "{looser:?} vs {tighter:?}"
            );
            assert!(tighter.peak_open_interest < looser.peak_open_interest);
        }
        assert_eq!(runs[0].name, "static 5/2.5");
        assert_eq!(runs[3].calm.initial_max, 0.40);
        assert!(
            runs[3]
                .calm
                .mean()
                .is_some_and(|mean| (mean - 0.40).abs() < 1e-12)
        );
    }

    #[test]
    fn the_recal_policy_is_deterministic_and_tightens_in_the_crash() {
        let policy = Policy::Recal {
            label: "recal".into(),
            config: Box::new(PipelineConfig::default()),
        };
        let first = play(&policy);
        assert_eq!(first, play(&policy));
        let engine = first.engine.unwrap();
        assert_eq!(engine.rejects, 0);
        assert!(engine.proposals > 0);
        let before = first.path[50].initial;
        let crash = first.path[75].initial;
        assert!(crash > before, "{before} → {crash}");
    }
}
