//! `recal run`: the generated demo market (or real feeds: tapes, TCP, UDP) through the engine
//! (fused by default), printed as a timeline of triggers and parameter changes, then latency
//! percentiles and counters. The input is journaled so that `recal replay` can re-run it.
//!
//! Journal decisions: `recal run` journals the input (and the emitted proposals) by default,
//! into a new directory under `/dev/shm` when the machine has it (tmpfs: journaling costs no
//! disk I/O on the hot path), else under the temp dir; `--journal` and `--journal-dir`
//! override it, and with `--config` the file's `[journal]` applies unless a flag overrides
//! it. The directory must be new or empty (appending to another run's journals would make
//! both unreplayable). The effective configuration is written beside the journals as
//! `config.toml`, which `recal replay` reads.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use recal::pipeline::demo::{self, DemoConfig};
use recal::pipeline::{
    Emitted, Execution, JournalMode, LatencySummary, Metrics, Plan, ProposalRecord,
};
use recal::types::{PPM_SCALE, ParameterSet, Timestamp, TriggerCause};
use recal::{Config, Engine, EngineError, Placement};
use recal_emit::Outcome;

use crate::feeds::{self, FeedArgs};

/// Options of `recal run`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Seed of the generated market; the same seed gives the same timeline and signatures.
    #[arg(long, default_value_t = DemoConfig::default().seed)]
    pub seed: u64,
    /// Number of accounts in the generated book.
    #[arg(long, default_value_t = DemoConfig::default().accounts)]
    pub accounts: usize,
    /// Length of the calm regime, seconds of event time.
    #[arg(long, default_value_t = DemoConfig::default().calm_seconds)]
    pub calm_seconds: u64,
    /// Length of the crash, seconds of event time.
    #[arg(long, default_value_t = DemoConfig::default().crash_seconds)]
    pub crash_seconds: u64,
    /// Length of the recovery, seconds of event time.
    #[arg(long, default_value_t = DemoConfig::default().recovery_seconds)]
    pub recovery_seconds: u64,
    /// Where the stages run: `fused` on this thread, `auto` on the other cores, `pinned` one
    /// core per stage (needs six cores). Overrides the configuration's placement [fused].
    #[arg(long, value_enum)]
    pub placement: Option<PlacementArg>,
    /// Engine configuration file (TOML; `recal config default` prints one) [the defaults].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What the run journals: `off`, `input` (the input and the emitted proposals: all that
    /// replay needs) or `all` (every stage boundary, for byte-for-byte replay checks of each
    /// stage) [input; with `--config`, the file's `[journal]`].
    #[arg(long, value_enum)]
    pub journal: Option<JournalArg>,
    /// New or empty directory for the run's journals [a new `recal-run-…` directory under
    /// `/dev/shm` when present, else the temp dir].
    #[arg(long, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
    /// Real feeds instead of the generated demo market.
    #[command(flatten)]
    pub feeds: FeedArgs,
}

/// The journal modes `recal run` offers.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalArg {
    /// No journal: the run cannot be replayed.
    Off,
    /// The input and the emitted proposals.
    Input,
    /// Every stage boundary.
    All,
}

impl From<JournalArg> for JournalMode {
    fn from(arg: JournalArg) -> Self {
        match arg {
            JournalArg::Off => Self::Off,
            JournalArg::Input => Self::Input,
            JournalArg::All => Self::All,
        }
    }
}

/// The placements `recal run` offers (an explicit core map is for the config file).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlacementArg {
    /// All five stages on the pushing thread.
    #[default]
    Fused,
    /// Pinned when there are enough cores, else adjacent stages grouped on the other cores.
    Auto,
    /// One pinned, busy-spinning core per stage.
    Pinned,
}

impl From<PlacementArg> for Placement {
    fn from(arg: PlacementArg) -> Self {
        match arg {
            PlacementArg::Fused => Self::Fused,
            PlacementArg::Auto => Self::Auto,
            PlacementArg::Pinned => Self::Pinned,
        }
    }
}

impl Default for RunArgs {
    fn default() -> Self {
        let demo = DemoConfig::default();
        Self {
            seed: demo.seed,
            accounts: demo.accounts,
            calm_seconds: demo.calm_seconds,
            crash_seconds: demo.crash_seconds,
            recovery_seconds: demo.recovery_seconds,
            placement: None,
            config: None,
            journal: None,
            journal_dir: None,
            feeds: FeedArgs::default(),
        }
    }
}

/// Runs the demo market (or the feeds given) and prints the report.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let mut config = load_config(args)?;
    let journal_dir = prepare_journal(args, &mut config)?;
    let mut engine = Engine::new(config).context("building the engine")?;
    let plan = engine.plan().clone();
    if let Some(dir) = &journal_dir {
        eprintln!(
            "journals: {} (re-run with: recal replay {0})",
            dir.display()
        );
    }
    let (header, mut timeline) = if args.feeds.any() {
        let run = feeds::run(&mut engine, &args.feeds)?;
        let header = format!(
            "recal on {}: {} messages (ingress refused {} oversized, {} bad envelopes, {} \
             partial lines)",
            args.feeds.describe(),
            run.messages,
            run.ingress.oversized,
            run.ingress.bad_envelopes,
            run.ingress.partial_lines,
        );
        (header, run.timeline)
    } else {
        run_demo(args, &mut engine)?
    };
    let finished = engine.shutdown().context("stopping the engine")?;
    timeline.extend(finished.remaining);
    print!("{}", report(&header, &timeline, &finished.metrics, &plan));
    if let Some(dir) = &journal_dir {
        println!("journals: {}", dir.display());
    }
    Ok(())
}

/// The configuration file's, or the default, with `--placement` applied.
fn load_config(args: &RunArgs) -> anyhow::Result<Config> {
    let mut config = match &args.config {
        Some(path) => {
            let config = Config::load(path)
                .with_context(|| format!("reading the configuration {}", path.display()))?;
            config
                .warnings()
                .iter()
                .for_each(|w| eprintln!("warning: {w}"));
            config
        }
        None => Config::default(),
    };
    if let Some(placement) = args.placement {
        config.placement = placement.into();
    }
    Ok(config)
}

/// Applies the journal flags to `config` (see the module docs for the defaults), creates the
/// directory and writes the effective configuration into it. Returns the directory, or `None`
/// when nothing is journaled.
fn prepare_journal(args: &RunArgs, config: &mut Config) -> anyhow::Result<Option<PathBuf>> {
    let journal = &mut config.pipeline.journal;
    match args.journal {
        Some(mode) => journal.mode = mode.into(),
        None if args.config.is_none() => journal.mode = JournalMode::Input,
        None => {}
    }
    if journal.mode == JournalMode::Off {
        return Ok(None);
    }
    if let Some(dir) = &args.journal_dir {
        journal.dir.clone_from(dir);
    }
    if journal.dir.as_os_str().is_empty() {
        journal.dir = fresh_run_dir();
    }
    let dir = journal.dir.clone();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    if std::fs::read_dir(&dir)?.next().is_some() {
        anyhow::bail!(
            "the journal directory {} is not empty: give a new one with --journal-dir",
            dir.display()
        );
    }
    let text = config.to_toml().context("rendering the configuration")?;
    std::fs::write(dir.join("config.toml"), text)
        .with_context(|| format!("writing {}/config.toml", dir.display()))?;
    Ok(Some(dir))
}

/// `/dev/shm/recal-run-<unix seconds>-<pid>`, or the same under the temp dir.
fn fresh_run_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    base.join(format!("recal-run-{seconds}-{}", std::process::id()))
}

/// Generates the demo market and pushes it through `engine`: the report header and the
/// timeline so far.
fn run_demo(args: &RunArgs, engine: &mut Engine) -> anyhow::Result<(String, Vec<Emitted>)> {
    let demo = DemoConfig {
        seed: args.seed,
        accounts: args.accounts,
        calm_seconds: args.calm_seconds,
        crash_seconds: args.crash_seconds,
        recovery_seconds: args.recovery_seconds,
        ..DemoConfig::default()
    };
    let messages = demo::generate(&demo);
    let mut timeline = Vec::new();
    for message in &messages {
        match engine.push_bytes(message.source, &message.bytes, engine.clock_ns()) {
            // A rejected message is counted by the engine and shown in the counters.
            Ok(()) | Err(EngineError::Rejected(_)) => {}
            Err(stopped) => return Err(stopped).context("the engine stopped"),
        }
        timeline.extend(engine.drain_proposals());
    }
    let clock = clock_text;
    let header = format!(
        "recal demo market (seed {}): BTC-PERP, {} accounts, {} messages\n\
         calm from {}, crash {}-{} (-15 %, volatility clustering, book drains), recovery after",
        demo.seed,
        demo.accounts,
        messages.len(),
        clock(demo.start()),
        clock(demo.crash_start()),
        clock(demo.crash_end()),
    );
    Ok((header, timeline))
}

/// `HH:MM:SS` of a timestamp (UTC).
fn clock_text(t: Timestamp) -> String {
    let s = t.as_unix_seconds() % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60)
}

fn report(header: &str, timeline: &[Emitted], metrics: &Metrics, plan: &Plan) -> String {
    let mut out = String::new();
    let clock = clock_text;
    let _ = writeln!(out, "{header}\nplacement: {plan}\n");
    let _ = writeln!(
        out,
        "timeline   nonce  cause                  IM       MM    leverage  funding  outcome"
    );
    for emitted in timeline {
        let _ = match emitted {
            Emitted::Submitted(record) => writeln!(out, "{}", proposal_line(record, &clock)),
            Emitted::Executed(execution) => writeln!(out, "{}", execution_line(execution, &clock)),
        };
    }
    let _ = writeln!(
        out,
        "\nlatency (ns)          p50      p90      p99    p99.9      max   samples"
    );
    for (name, summary) in [
        ("tick -> decision", metrics.tick_to_decision),
        ("tick -> signed", metrics.tick_to_signed),
    ] {
        let _ = writeln!(out, "{}", latency_row(name, &summary));
    }
    let c = metrics.counters;
    let _ = writeln!(
        out,
        "\ncounters: messages {}, events {}, rejects {}, filtered prints {}, decisions {}, \
         triggers {}, proposals {} (applied {}, queued {}, executed {}, refused {}), \
         stage errors {}, conflated {}",
        c.messages,
        c.events,
        c.rejects,
        c.filtered_prints,
        c.decisions,
        c.triggers,
        c.proposals,
        c.applied,
        c.queued,
        c.executed,
        c.refused,
        c.stage_errors,
        c.conflated,
    );
    if let Some(Emitted::Submitted(last)) = timeline
        .iter()
        .rev()
        .find(|e| matches!(e, Emitted::Submitted(_)))
    {
        let signature = last.signed.signature.to_bytes();
        let hex: String = signature[..16].iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(
            out,
            "last proposal: nonce {}, signature 0x{hex}…",
            last.signed.proposal.nonce.0
        );
    }
    out
}

fn percent(ppm: u32) -> String {
    format!("{:.2}%", f64::from(ppm) * 100.0 / f64::from(PPM_SCALE))
}

fn parameters(set: &ParameterSet) -> String {
    format!(
        "{:>7}  {:>7}  {:>7.2}x  {:>+5} ppm",
        percent(set.initial_margin_ppm),
        percent(set.maintenance_margin_ppm),
        f64::from(set.max_leverage_centi) / 100.0,
        set.funding_shift_ppm,
    )
}

fn cause_name(cause: TriggerCause) -> &'static str {
    match cause {
        TriggerCause::Deviation => "deviation",
        TriggerCause::FundLow => "fund low",
        TriggerCause::OiSkew => "oi skew",
        TriggerCause::VolOfVolAcceleration => "vol-of-vol accel",
        TriggerCause::StaleFeed => "stale feed",
        TriggerCause::Heartbeat => "heartbeat",
        TriggerCause::TargetDrift => "target drift",
    }
}

fn proposal_line(record: &ProposalRecord, clock: &impl Fn(Timestamp) -> String) -> String {
    let proposal = &record.signed.proposal;
    let outcome = match &record.outcome {
        Ok(Outcome::Applied) => "applied".to_owned(),
        Ok(Outcome::Queued { executable_at, .. }) => format!(
            "queued until {}",
            clock(Timestamp::from_unix_seconds(*executable_at).unwrap_or_default())
        ),
        Err(rejection) => format!("REFUSED: {rejection}"),
    };
    format!(
        "{}  #{:<4}  {:<18} {}  {outcome}",
        clock(record.time),
        proposal.nonce.0,
        cause_name(proposal.cause),
        parameters(&proposal.parameters),
    )
}

fn execution_line(execution: &Execution, clock: &impl Fn(Timestamp) -> String) -> String {
    match &execution.result {
        Ok(set) => format!(
            "{}  exec   {:<18} {}  executed after time-lock",
            clock(execution.time),
            "(queued proposal)",
            parameters(set),
        ),
        Err(rejection) => format!(
            "{}  exec   execution REFUSED: {rejection}",
            clock(execution.time)
        ),
    }
}

fn latency_row(name: &str, s: &LatencySummary) -> String {
    format!(
        "{name:<16} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
        s.p50, s.p90, s.p99, s.p999, s.max, s.count
    )
}
