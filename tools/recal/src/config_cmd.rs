//! `recal config`: print the documented default configuration, or check a file.

use std::path::PathBuf;

use anyhow::Context as _;
use recal::pipeline::{Fused, Plan};
use recal::{Config, available_cores};

/// What `recal config` does.
#[derive(clap::Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the full default configuration as TOML, every key with its meaning, unit and
    /// default: `recal config default > recal.toml` starts a configuration file.
    Default,
    /// Validate a configuration file (every key and value, the signing key file, the
    /// stages' settings) and print the placement it resolves to on this machine.
    Check {
        /// The TOML file.
        file: PathBuf,
    },
}

/// Runs `command`.
pub fn run(command: &ConfigCommand) -> anyhow::Result<()> {
    match command {
        ConfigCommand::Default => {
            print!("{}", Config::default_toml());
            Ok(())
        }
        ConfigCommand::Check { file } => check(file),
    }
}

fn check(file: &PathBuf) -> anyhow::Result<()> {
    let config = Config::load(file).with_context(|| format!("{} is not valid", file.display()))?;
    // Building the stages checks what the file's keys cannot check one by one (starting
    // parameters inside their guardrails, market names unique, ...).
    Fused::new(&config.pipeline)
        .with_context(|| format!("{}: the stages refuse these settings", file.display()))?;
    let cores = available_cores();
    let plan = Plan::resolve(&config.placement, cores).with_context(|| {
        format!(
            "{}: the placement does not fit this machine",
            file.display()
        )
    })?;
    let waits =
        if plan.is_fused() {
            Vec::new()
        } else {
            config.rings.wait.per_ring(&plan).with_context(|| {
                format!("{}: rings.wait does not fit the placement", file.display())
            })?
        };
    for warning in config.warnings() {
        eprintln!("warning: {warning}");
    }
    println!("{}: ok", file.display());
    let markets: Vec<&str> = config
        .pipeline
        .markets
        .iter()
        .map(|market| market.market.as_str())
        .collect();
    println!("markets: {}", markets.join(", "));
    println!(
        "placement: {:?} -> {} on this machine ({cores} cores)",
        config.placement, plan
    );
    if !waits.is_empty() {
        println!("ring waits (feed, between threads, output): {waits:?}");
    }
    Ok(())
}
