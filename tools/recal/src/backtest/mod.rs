//! `recal backtest`: real crash tapes through a simulated protocol, under static margins and
//! under recal, with the same population of accounts — so the DESIGN's bar ("less bad debt than
//! static margins in a crash, less margin than a static 20 % in calm markets") is measured, not
//! claimed. See `README.md` in this directory for the model and the results.
//!
//! Modules: [`bars`] reads kline tapes and makes the venue prints, [`market`] derives depth and
//! calm minutes, [`sim`] is the protocol simulator, [`policy`] plays one policy over a tape,
//! [`report`] prints the tables.

mod bars;
mod market;
mod policy;
mod report;
mod sim;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use recal::pipeline::PipelineConfig;
use recal::types::{PPM_SCALE, ParameterId};

use bars::Tape;
use policy::{Policy, RunInputs};
use report::TapeReport;
use sim::{Population, PopulationConfig};

/// The static initial margin the DESIGN's bar names; the verdict compares recal against it.
const BASELINE_INITIAL: f64 = 0.20;

/// The policies `--policy` can name.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyChoice {
    /// Static 20 % initial, 10 % maintenance margin.
    Static20,
    /// Static 10 % initial, 5 % maintenance (recal's starting parameters).
    Static10,
    /// recal with its default configuration.
    Recal,
    /// recal with its estimators' horizons scaled to a tape of 4 prints a minute
    /// ([`bar_tape_config`]).
    RecalBars,
}

impl PolicyChoice {
    const ALL: [Self; 4] = [Self::Static20, Self::Static10, Self::Recal, Self::RecalBars];

    fn policy(self) -> Policy {
        match self {
            Self::Static20 => Policy::Static {
                initial: BASELINE_INITIAL,
                maintenance: BASELINE_INITIAL / 2.0,
            },
            Self::Static10 => Policy::Static {
                initial: 0.10,
                maintenance: 0.05,
            },
            Self::Recal => Policy::Recal {
                label: "recal".into(),
                config: Box::new(PipelineConfig::default()),
            },
            Self::RecalBars => Policy::Recal {
                label: "recal-1m".into(),
                config: Box::new(bar_tape_config()),
            },
        }
    }
}

/// Half-life of the short volatility horizon on a bar tape: the default 60 s holds about 60
/// prints of a one-print-a-second feed; a 1-minute bar tape prints 4 times a minute, so 60
/// prints take 15 minutes.
const BAR_SHORT_HALF_LIFE_SECS: u64 = 15 * 60;

/// recal's default configuration fitted to a tape of 1-minute bars, two changes:
///
/// 1. The estimators' EWMA horizons become 15 min / 1 h / 4 h, the short one holding as many
///    prints as the default 1 min holds on a one-print-a-second feed. On 4 prints a minute the
///    default short horizon averages about 6 squared returns, so its volatility, its vol-of-vol
///    and the margin target swing several-fold from one minute to the next, and tightening
///    (at once) ratchets on the noise while loosening waits for the time-lock.
/// 2. The maintenance-margin target is capped at the initial-margin guardrail's maximum over
///    `initial_to_maintenance` (50 % / 1.5 = 33.3 % by default) instead of 50 %: with the
///    default cap a stressed target asks 50 % maintenance and 75 % initial, the guardrail clips
///    the initial margin to 50 %, and a position opened at full initial margin is liquidatable
///    at its first adverse tick.
///
/// Everything else — target formulas, triggers, damping, guardrails, time-lock — is the
/// default.
#[must_use]
pub fn bar_tape_config() -> PipelineConfig {
    let mut config = PipelineConfig::default();
    config.estimator.horizons = [BAR_SHORT_HALF_LIFE_SECS, 3_600, 4 * 3_600]
        .map(recal_estimate::Decay::half_life_secs)
        .to_vec();
    let model = &mut config.trigger.model;
    if let Some(market) = config.markets.first() {
        let initial_max = market
            .guardrails
            .guardrail(ParameterId::InitialMargin)
            .max() as f64
            / f64::from(PPM_SCALE);
        model.maintenance_cap = model
            .maintenance_cap
            .min(initial_max / model.initial_to_maintenance);
    }
    config
}

/// Options of `recal backtest`.
#[derive(clap::Args, Debug, Clone)]
pub struct BacktestArgs {
    /// Directory searched for 1-minute kline tapes: one tape per subdirectory (and symbol).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Replay this kline CSV instead of searching `--data` (repeatable; one tape per file).
    #[arg(long = "tape-file")]
    pub tape_files: Vec<PathBuf>,
    /// Policy to compare (repeatable) [default: all].
    #[arg(long = "policy", value_enum)]
    pub policies: Vec<PolicyChoice>,
    /// Seed of the account population; the same seed gives the same report.
    #[arg(long, default_value_t = PopulationConfig::default().seed)]
    pub seed: u64,
    /// Number of accounts.
    #[arg(long, default_value_t = PopulationConfig::default().accounts)]
    pub accounts: usize,
    /// Minutes at the start of each tape that only warm the engine's estimators up.
    #[arg(long, default_value_t = 60)]
    pub warm_up_minutes: usize,
    /// Replay only the first N bars of each tape.
    #[arg(long)]
    pub max_bars: Option<usize>,
    /// Calm book depth inside ±1 % of the price, as a multiple of the population's deposits:
    /// 2 means the traders' deposits are half what a normal minute's book holds within 1 %.
    #[arg(long, default_value_t = 2.0)]
    pub depth_to_deposits: f64,
    /// Points of recal's margin path printed per tape.
    #[arg(long, default_value_t = 12)]
    pub path_samples: usize,
}

/// Runs the backtest and prints the report.
///
/// # Errors
/// An unreadable `--tape-file` or `--data` directory, or an engine that cannot be built.
pub fn run(args: &BacktestArgs) -> anyhow::Result<()> {
    let sources = if args.tape_files.is_empty() {
        if !args.data.is_dir() {
            println!(
                "recal backtest: no data directory at {} — the crash tapes are not present, \
                 nothing to judge (pass --data DIR or --tape-file FILE)",
                args.data.display()
            );
            return Ok(());
        }
        bars::discover(&args.data)?
    } else {
        args.tape_files
            .iter()
            .map(|path| (tape_name(path), vec![path.clone()]))
            .collect()
    };
    if sources.is_empty() {
        println!(
            "recal backtest: no 1-minute kline tape found under {} — nothing to judge",
            args.data.display()
        );
        return Ok(());
    }
    anyhow::ensure!(
        args.depth_to_deposits.is_finite() && args.depth_to_deposits > 0.0,
        "--depth-to-deposits must be a positive number"
    );
    let choices = if args.policies.is_empty() {
        PolicyChoice::ALL.to_vec()
    } else {
        args.policies.clone()
    };
    let policies: Vec<Policy> = choices.iter().map(|c| c.policy()).collect();
    let population = Population::generate(&PopulationConfig {
        seed: args.seed,
        accounts: args.accounts,
        ..PopulationConfig::default()
    });
    println!(
        "recal backtest: {} tape(s), policies {}; population seed {}, {} accounts, calm depth \
         {}× deposits\n",
        sources.len(),
        policies
            .iter()
            .map(Policy::name)
            .collect::<Vec<_>>()
            .join(", "),
        args.seed,
        args.accounts,
        args.depth_to_deposits,
    );
    let mut verdicts = Vec::new();
    for (name, files) in &sources {
        let mut tape = match Tape::read(name, files) {
            Ok(tape) => tape,
            Err(error) if args.tape_files.is_empty() => {
                println!("== {name}: skipped, {error}\n");
                continue;
            }
            Err(error) => return Err(error).context("reading the tape"),
        };
        if let Some(max) = args.max_bars {
            tape.bars.truncate(max.max(1));
        }
        let report = backtest(&tape, &population, &policies, args)
            .with_context(|| format!("tape {name}"))?;
        print!("{}", report::render(&report, args.path_samples));
        let baseline_name = PolicyChoice::Static20.policy().name();
        if let Some(baseline) = report.run(&baseline_name) {
            for run in report.runs.iter().filter(|run| run.engine.is_some()) {
                let line = report::verdict(run, baseline, BASELINE_INITIAL);
                println!("   verdict: {line}");
                verdicts.push(format!("{:<20} {line}", report.tape));
            }
        }
        println!();
    }
    if !verdicts.is_empty() {
        println!("summary");
        for line in verdicts {
            println!("  {line}");
        }
    }
    Ok(())
}

fn tape_name(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("tape")
        .to_owned()
}

/// Every policy over `tape` with `population`, with the warm-up and depth of `args`.
fn backtest(
    tape: &Tape,
    population: &Population,
    policies: &[Policy],
    args: &BacktestArgs,
) -> anyhow::Result<TapeReport> {
    let (Some(first), Some(last)) = (tape.bars.first(), tape.bars.last()) else {
        anyhow::bail!("the tape has no bars");
    };
    let warm_up_bars = args.warm_up_minutes.min(tape.bars.len() - 1);
    let calm_depth = args.depth_to_deposits * population.deposits();
    let states = market::bar_states(&tape.bars, calm_depth);
    let inputs = RunInputs {
        tape,
        states: &states,
        population,
        warm_up_bars,
    };
    let runs = policies
        .iter()
        .map(|policy| policy::run(&inputs, policy))
        .collect::<Result<Vec<_>, _>>()?;
    let low = tape
        .bars
        .iter()
        .min_by(|a, b| a.low.total_cmp(&b.low))
        .map_or((first.low, first.open_ms), |bar| (bar.low, bar.open_ms));
    Ok(TapeReport {
        tape: tape.name.clone(),
        instrument: format!("{} ({:?})", tape.symbol, tape.source()),
        bars: tape.bars.len(),
        span_ms: (first.open_ms, last.open_ms),
        first_last: (first.open, last.close),
        low,
        warm_up_bars,
        population: (
            population.traders.len(),
            population.deposits(),
            population.insurance_fund,
        ),
        calm_bars: states[warm_up_bars..].iter().filter(|s| s.calm).count(),
        runs,
    })
}
