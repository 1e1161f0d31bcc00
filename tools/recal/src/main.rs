//! `recal`: the command-line face of the engine.
//!
//! With no arguments it runs the main job on its built-in default (`recal run`): the generated
//! demo market through the engine. The ring latency demo is `recal ring-demo`.

mod demo_cmd;
mod journal_cmd;
mod ring_demo;

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
    /// Ping-pong through two recal rings and print round-trip percentiles beside the floor.
    RingDemo(ring_demo::RunArgs),
    /// Inspect journals: list segments, dump or tail records, verify integrity.
    #[command(subcommand)]
    Journal(journal_cmd::JournalCommand),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => demo_cmd::run(&demo_cmd::RunArgs::default()),
        Some(Command::Run(args)) => demo_cmd::run(&args),
        Some(Command::RingDemo(args)) => ring_demo::run(&args),
        Some(Command::Journal(command)) => journal_cmd::run(command),
    }
}
