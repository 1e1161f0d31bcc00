//! `recal replay DIR`: re-run a recorded input journal through this build, compare every stage
//! boundary with the recording byte for byte, and (with `--config`) show how other settings
//! would have changed the parameter path.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use recal::pipeline::replay::{self, Comparison};
use recal::pipeline::{Emitted, PipelineConfig};
use recal::types::{PPM_SCALE, ParameterSet, Timestamp};

/// Options of `recal replay`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReplayArgs {
    /// The run's journal directory (as `recal run` printed it).
    pub dir: PathBuf,
    /// Re-run also with this configuration and compare the parameter paths (what-if).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The configuration a run was recorded with: `DIR/config.toml` when the run had one, else
/// the default.
fn recorded_config(dir: &Path) -> anyhow::Result<PipelineConfig> {
    let file = dir.join("config.toml");
    if file.exists() {
        Ok(recal::Config::load(&file)
            .with_context(|| format!("reading {}", file.display()))?
            .pipeline)
    } else {
        Ok(PipelineConfig::default())
    }
}

/// Replays the run and prints the comparison.
pub fn run(args: &ReplayArgs) -> anyhow::Result<()> {
    let total = replay::input_len(&args.dir).context("reading the input journal")?;
    let recorded = recorded_config(&args.dir)?;
    let scratch = tempfile::tempdir().context("creating a directory for the replay's journals")?;
    println!(
        "replaying {} ({total} input records) through this build",
        args.dir.display()
    );
    let emitted = with_progress(total, "replay", |progress| {
        replay::rerun(&args.dir, &recorded, Some(scratch.path()), progress)
    })?;
    let comparisons = replay::compare(&args.dir, scratch.path())?;
    let identical = print_comparisons(&comparisons);
    if identical {
        println!("every recorded record is byte-identical: the run is reproduced");
    }

    if let Some(path) = &args.config {
        let what_if = recal::Config::load(path)
            .with_context(|| format!("reading {}", path.display()))?
            .pipeline;
        let other = with_progress(total, "what-if", |progress| {
            replay::rerun(&args.dir, &what_if, None, progress)
        })?;
        println!("\nwhat-if with {}:", path.display());
        print_what_if(&emitted, &other);
    }
    if identical {
        Ok(())
    } else {
        anyhow::bail!("the replay diverged from the recording")
    }
}

fn with_progress<T>(
    total: u64,
    label: &'static str,
    work: impl FnOnce(&mut dyn FnMut(u64)) -> Result<T, replay::ReplayError>,
) -> anyhow::Result<T> {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>8} [{bar:40}] {pos}/{len} records {per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(label);
    let result = work(&mut |done| bar.set_position(done));
    bar.finish_and_clear();
    Ok(result?)
}

/// Prints each boundary's result; returns whether all are identical.
fn print_comparisons(comparisons: &[Comparison]) -> bool {
    let mut identical = true;
    for comparison in comparisons {
        let name = comparison.boundary.name();
        match &comparison.divergence {
            None if comparison.unrecorded > 0 => println!(
                "  {name:<10} {:>9} records identical; the recording ends there (the run was \
                 cut off) and the replay goes on for {} more",
                comparison.records, comparison.unrecorded
            ),
            None => println!("  {name:<10} {:>9} records identical", comparison.records),
            Some(divergence) => {
                identical = false;
                println!(
                    "  {name:<10} first divergence at record {}{}",
                    divergence.record,
                    divergence
                        .field
                        .as_ref()
                        .map_or_else(String::new, |field| format!(", field `{field}`"))
                );
                let show = |text: &Option<String>| {
                    text.as_deref().map_or_else(
                        || "(no record: the journal ends here)".to_owned(),
                        |text| text.chars().take(400).collect(),
                    )
                };
                println!("    recorded: {}", show(&divergence.recorded));
                println!("    replayed: {}", show(&divergence.replayed));
            }
        }
    }
    if comparisons.is_empty() {
        println!("  (the run journaled only its input: nothing to compare)");
    }
    identical
}

/// Reads one parameter of a set as a display number.
type ReadParameter = fn(&ParameterSet) -> f64;

/// The named parameters compared, with how to read each from a set.
const PARAMETERS: [(&str, ReadParameter); 6] = [
    ("initial margin %", |p| ppm_percent(p.initial_margin_ppm)),
    ("maintenance margin %", |p| {
        ppm_percent(p.maintenance_margin_ppm)
    }),
    ("liquidation penalty %", |p| {
        ppm_percent(p.liquidation_penalty_ppm)
    }),
    ("slippage penalty %", |p| {
        ppm_percent(p.auction_slippage_penalty_ppm)
    }),
    ("max leverage x", |p| {
        f64::from(p.max_leverage_centi) / 100.0
    }),
    ("funding shift ppm", |p| f64::from(p.funding_shift_ppm)),
];

fn ppm_percent(ppm: u32) -> f64 {
    f64::from(ppm) * 100.0 / f64::from(PPM_SCALE)
}

/// Min, max and last value of a parameter along a path.
fn stats(path: &[(Timestamp, ParameterSet)], read: ReadParameter) -> (f64, f64, f64) {
    let mut values = path.iter().map(|(_, set)| read(set));
    let min = values.clone().fold(f64::INFINITY, f64::min);
    let max = values.clone().fold(f64::NEG_INFINITY, f64::max);
    (min, max, values.next_back().unwrap_or(f64::NAN))
}

fn print_what_if(recorded: &[Emitted], other: &[Emitted]) {
    let (a, b) = (
        replay::parameter_path(recorded),
        replay::parameter_path(other),
    );
    println!(
        "  parameter changes in force: recorded {}, what-if {}",
        a.len(),
        b.len()
    );
    let first_difference = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .or_else(|| (a.len() != b.len()).then(|| a.len().min(b.len())));
    match first_difference {
        None => println!("  the parameter paths are identical"),
        Some(index) => {
            let time = a.get(index).or(b.get(index)).map(|(t, _)| *t);
            println!(
                "  the paths part at change {index}{}",
                time.map_or_else(String::new, |t| format!(
                    " (event time {} s)",
                    t.as_unix_seconds()
                ))
            );
        }
    }
    println!(
        "  {:<22} {:>26} {:>26}",
        "", "recorded min / max / end", "what-if min / max / end"
    );
    for (name, read) in PARAMETERS {
        let (x, y) = (stats(&a, read), stats(&b, read));
        println!(
            "  {name:<22} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            x.0, x.1, x.2, y.0, y.1, y.2
        );
    }
}
