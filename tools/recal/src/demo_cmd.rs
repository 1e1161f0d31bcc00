//! `recal run`: the generated demo market through the fused engine, printed as a timeline of
//! triggers and parameter changes, then latency percentiles and counters.

use std::fmt::Write as _;

use anyhow::Context as _;
use recal::pipeline::demo::{self, DemoConfig};
use recal::pipeline::{Emitted, Execution, LatencySummary, ProposalRecord};
use recal::types::{PPM_SCALE, ParameterSet, Timestamp, TriggerCause};
use recal::{Config, Engine};
use recal_emit::Outcome;

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
        }
    }
}

/// Generates the demo market, runs it and prints the report.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let demo = DemoConfig {
        seed: args.seed,
        accounts: args.accounts,
        calm_seconds: args.calm_seconds,
        crash_seconds: args.crash_seconds,
        recovery_seconds: args.recovery_seconds,
        ..DemoConfig::default()
    };
    let messages = demo::generate(&demo);
    let mut engine = Engine::new(Config::default()).context("building the engine")?;
    let mut timeline = Vec::new();
    for message in &messages {
        // A rejected message is counted by the engine and shown in the counters.
        let _decoded = engine.push_bytes(message.source, &message.bytes, engine.clock_ns());
        timeline.extend(engine.drain_proposals());
    }
    print!("{}", report(&demo, messages.len(), &timeline, &engine));
    Ok(())
}

fn report(demo: &DemoConfig, messages: usize, timeline: &[Emitted], engine: &Engine) -> String {
    let mut out = String::new();
    let clock = |t: Timestamp| {
        let s = t.as_unix_seconds() % 86_400;
        format!("{:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60)
    };
    let _ = writeln!(
        out,
        "recal demo market (seed {}): BTC-PERP, {} accounts, {messages} messages\n\
         calm from {}, crash {}-{} (-15 %, volatility clustering, book drains), recovery after\n",
        demo.seed,
        demo.accounts,
        clock(demo.start()),
        clock(demo.crash_start()),
        clock(demo.crash_end()),
    );
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
    let metrics = engine.metrics();
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
         stage errors {}",
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
