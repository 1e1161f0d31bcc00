//! `recal`: the command-line face of the engine.
//!
//! With no arguments it runs the main job on its built-in default (`recal run`). Until the
//! pipeline lands that job is the ring latency demo; the command stays the same when the demo
//! market replaces it.

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
    /// Run the main job (today: the ring latency demo). The default when no command is given.
    Run(ring_demo::RunArgs),
    /// Inspect journals: list segments, dump or tail records, verify integrity.
    #[command(subcommand)]
    Journal(journal_cmd::JournalCommand),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => ring_demo::run(&ring_demo::RunArgs::default()),
        Some(Command::Run(args)) => ring_demo::run(&args),
        Some(Command::Journal(command)) => journal_cmd::run(command),
    }
}
