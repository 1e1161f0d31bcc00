//! `recal bench`: the engine under load, end to end.
//!
//! The load is the demo market ([`recal::pipeline::demo`]) scaled up: by default 100,000
//! accounts and a 1,000-option Deribit chain (1,000 instruments quoted at 200 tickers per
//! second of event time) beside the perpetual's trades and book tops. Each contender runs it
//! twice:
//!
//! 1. **Throughput**: every message pushed as fast as the engine takes it (max rate), from the
//!    first push until the engine has drained and stopped; messages per second.
//! 2. **Latency**, open loop at `--rate` (default: a quarter of the fused engine's throughput, leaving headroom for bursts):
//!    after a warm-up pushed as fast as possible (the opening book of every account and the
//!    first minute, in which stage 3 builds its books; its samples are then dropped), message
//!    *i* is due at `t0 + i / rate` and stamped with that due time, not with the time it was
//!    actually pushed, so a stall delays the messages behind it and shows in their latency
//!    (coordinated omission corrected). Stage timing is on: per-stage percentiles.
//!
//! Contenders: `fused` (all stages on the pushing thread), `auto` (this machine's automatic
//! placement), `threads` (one thread per stage joined by recal rings) and `mpsc` (the same
//! five threads joined by `std::sync::mpsc` channels: the peer). Beside them, the machine's
//! own floor: a thread pinned like the feeder reading the clock in a loop, whose gaps are the
//! stalls the VM imposes on any busy thread.
//!
//! Every histogram is written as an HdrHistogram percentile distribution (`.hgrm`), and the
//! tick → decision curves with the floor as an SVG plot, into `--out`.

mod contender;
mod floor;
mod hgrm;
mod load;
mod svg;

use std::path::PathBuf;

use anyhow::Context as _;
use recal::pipeline::demo::DemoConfig;
use recal::pipeline::{LatencyHistogram, LatencySummary};

use contender::{Contender, Run};

/// Options of `recal bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Accounts in the protocol's book.
    #[arg(long, default_value_t = 100_000)]
    pub accounts: usize,
    /// Options in the quoted chain (instruments besides the perpetual).
    #[arg(long, default_value_t = 1_000)]
    pub options: usize,
    /// Option tickers per second of event time.
    #[arg(long, default_value_t = 200)]
    pub option_quotes_per_second: usize,
    /// Seconds of event time of the calm, crash and recovery regimes (each).
    #[arg(long, default_value_t = 600)]
    pub regime_seconds: u64,
    /// Open-loop rate of the latency runs, messages per second (default: a quarter of the fused
    /// engine's measured throughput).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Contenders to run, comma separated: fused, auto, threads, mpsc.
    #[arg(long, value_delimiter = ',', default_value = "fused,auto,threads,mpsc")]
    pub contenders: Vec<Contender>,
    /// Seconds of the machine-floor measurement.
    #[arg(long, default_value_t = 2.0)]
    pub floor_seconds: f64,
    /// Directory for the `.hgrm` files and the plot (default: target/recal-bench).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the benchmark and prints its report.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let demo = DemoConfig {
        accounts: args.accounts,
        options: args.options,
        option_quotes_per_second: args.option_quotes_per_second,
        calm_seconds: args.regime_seconds,
        crash_seconds: args.regime_seconds,
        recovery_seconds: args.regime_seconds,
        ..DemoConfig::default()
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/recal-bench"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let messages = load::Load::generate(&demo);
    let cores = load::pin_feeder();
    println!(
        "recal bench: {} messages ({} accounts, {} instruments, {} option tickers/s), {} cores",
        messages.len(),
        demo.accounts,
        messages.instruments(),
        demo.option_quotes_per_second,
        cores,
    );

    println!("\nthroughput (max rate, {} messages)", messages.len());
    let mut throughput = Vec::new();
    for contender in &args.contenders {
        let rate = contender.throughput(&messages)?;
        println!("  {:<8} {:>12.0} msg/s", contender.name(), rate);
        throughput.push((*contender, rate));
    }
    if let Some(peer) = throughput.iter().find(|(c, _)| *c == Contender::Mpsc) {
        for (contender, rate) in throughput.iter().filter(|(c, _)| *c != Contender::Mpsc) {
            println!(
                "  {} / mpsc: {:.2}x",
                contender.name(),
                rate / peer.1.max(f64::MIN_POSITIVE)
            );
        }
    }

    let rate = args.rate.unwrap_or_else(|| {
        throughput
            .iter()
            .find(|(c, _)| *c == Contender::Fused)
            .or(throughput.first())
            .map_or(10_000.0, |(_, rate)| rate / 4.0)
    });
    println!(
        "\nlatency: {} warm-up messages, then {} open loop at {rate:.0} msg/s, \
         coordinated-omission corrected (ns)",
        messages.warm_up().len(),
        messages.measured().len()
    );
    println!(
        "  {:<34} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "", "p50", "p90", "p99", "p99.9", "p99.99", "max", "samples"
    );
    let mut runs = Vec::new();
    for contender in &args.contenders {
        let run = contender.latency(&messages, rate)?;
        print_run(&run);
        runs.push(run);
    }

    let floor = floor::measure(args.floor_seconds);
    println!(
        "\nmachine floor: a pinned loop reading the clock for {:.1} s; gaps between reads (ns)",
        args.floor_seconds
    );
    print_row("gap between clock reads", &floor.histogram.summary());
    println!(
        "  gaps over 1 µs: {:.0} per second, over 10 µs: {:.0} per second",
        floor.over_1us_per_second, floor.over_10us_per_second
    );

    for run in &runs {
        for (name, histogram) in run.histograms() {
            hgrm::write(
                &out.join(format!("{}-{name}.hgrm", run.contender.name())),
                histogram,
            )?;
        }
    }
    hgrm::write(&out.join("floor.hgrm"), &floor.histogram)?;
    let mut curves: Vec<(String, &LatencyHistogram)> = runs
        .iter()
        .map(|run| {
            (
                format!("{} tick→decision", run.contender.name()),
                &run.total.tick_to_decision,
            )
        })
        .collect();
    curves.push(("machine floor (clock gaps)".into(), &floor.histogram));
    let plot = out.join("latency.svg");
    svg::write(&plot, &curves, rate)?;
    println!(
        "\nwrote percentile distributions (.hgrm) and {} to {}",
        plot.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        out.display()
    );
    Ok(())
}

fn print_run(run: &Run) {
    let name = run.contender.name();
    print_row(
        &format!("{name} tick → decision"),
        &run.total.tick_to_decision.summary(),
    );
    print_row(
        &format!("{name} tick → signed"),
        &run.total.tick_to_signed.summary(),
    );
    for (label, histogram) in run.stage_rows() {
        print_row(&format!("  {label}"), &histogram.summary());
    }
}

fn print_row(label: &str, s: &LatencySummary) {
    println!(
        "  {label:<34} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        s.p50, s.p90, s.p99, s.p999, s.p9999, s.max, s.count
    );
}
