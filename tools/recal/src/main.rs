//! `recal`: the command-line face of the engine.
//!
//! With no arguments it runs the main job on its built-in default (`recal run`): the generated
//! demo market through the engine. The ring latency demo is `recal ring-demo`.

mod backtest;
mod bench;
mod config_cmd;
mod convert;
mod demo_cmd;
mod feeds;
mod journal_cmd;
mod replay_cmd;
mod ring_demo;
mod stats_cmd;

use clap::{Parser, Subcommand};

/// Real-time recalibration of derivatives risk parameters.
#[derive(Parser, Debug)]
#[command(name = "recal", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the generated demo market (calm, crash, recovery) through the engine and print the
    /// timeline of parameter proposals and the latency percentiles. The default command.
    Run(demo_cmd::RunArgs),
    /// Load the engine with the demo market scaled up (100,000 accounts, 1,000 instruments):
    /// throughput of each placement against the stages joined by mpsc channels, open-loop
    /// latency percentiles per stage beside the machine's floor, .hgrm files and a plot.
    Bench(bench::BenchArgs),
    /// Re-run a recorded run's input journal, compare every stage boundary with the recording
    /// byte for byte (first divergent record and field), and with `--config` show how other
    /// settings change the parameter path.
    Replay(replay_cmd::ReplayArgs),
    /// Ping-pong through two recal rings and print round-trip percentiles beside the floor.
    RingDemo(ring_demo::RunArgs),
    /// Inspect journals: list segments, dump or tail records, verify integrity.
    #[command(subcommand)]
    Journal(journal_cmd::JournalCommand),
    /// Replay real crash tapes through a simulated protocol under static margins and under
    /// recal, and report bad debt, liquidations and the margin asked in calm markets.
    Backtest(backtest::BacktestArgs),
    /// Convert historical CSV files (Binance klines and bookDepth, Tardis trades and option
    /// chains, Deribit chain snapshots, generic OHLC or trades) into an NDJSON feed tape.
    Convert(Box<convert::ConvertArgs>),
    /// Print the documented default configuration (TOML), or check a configuration file.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Show the live metrics of running engines (those with `[stats] enabled = true`).
    Stats(stats_cmd::StatsArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => demo_cmd::run(&demo_cmd::RunArgs::default()),
        Some(Command::Run(args)) => demo_cmd::run(&args),
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::Replay(args)) => replay_cmd::run(&args),
        Some(Command::RingDemo(args)) => ring_demo::run(&args),
        Some(Command::Journal(command)) => journal_cmd::run(command),
        Some(Command::Convert(args)) => convert::run(&args),
        Some(Command::Backtest(args)) => backtest::run(&args),
        Some(Command::Config(command)) => config_cmd::run(&command),
        Some(Command::Stats(args)) => stats_cmd::run(&args),
    }
}
