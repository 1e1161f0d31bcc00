//! `recal stats`: read the live metrics snapshots that running engines publish.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use recal::pipeline::LatencySummary;
use recal::stats::{self, StatsSnapshot};

/// Options of `recal stats`.
#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// The engine: a process id, or the path of a snapshot file. Without it, every engine
    /// publishing in the directory is listed.
    pub target: Option<String>,
    /// Refresh every second until interrupted.
    #[arg(long)]
    pub watch: bool,
    /// Directory of the snapshots [/dev/shm, or the temporary directory without it].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Prints the snapshots `args` asks for, once or every second.
pub fn run(args: &StatsArgs) -> anyhow::Result<()> {
    let dir = args.dir.clone().unwrap_or_else(stats::default_dir);
    loop {
        let text = render(args.target.as_deref(), &dir)?;
        if !args.watch {
            print!("{text}");
            return Ok(());
        }
        // Clear the terminal and home the cursor before each refresh.
        print!("\x1b[2J\x1b[H{text}");
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn render(target: Option<&str>, dir: &Path) -> anyhow::Result<String> {
    let Some(target) = target else {
        return list(dir);
    };
    let files = match target.parse::<u32>() {
        Ok(pid) => {
            let files = stats::files_of(dir, pid)?;
            anyhow::ensure!(
                !files.is_empty(),
                "no stats snapshot of process {pid} in {} (is the engine running with \
                 [stats] enabled = true?)",
                dir.display()
            );
            files
        }
        Err(_) => vec![PathBuf::from(target)],
    };
    let mut out = String::new();
    for file in files {
        let snapshot = stats::read(&file)?;
        out.push_str(&describe(&file, &snapshot));
    }
    Ok(out)
}

/// One line per engine publishing in `dir`.
fn list(dir: &Path) -> anyhow::Result<String> {
    let files = stats::list(dir).with_context(|| format!("listing {}", dir.display()))?;
    if files.is_empty() {
        return Ok(format!(
            "no engine publishes stats in {} (set [stats] enabled = true in its configuration)\n",
            dir.display()
        ));
    }
    let mut out = format!(
        "{:>8}  {:<11} {:>12} {:>10} {:>14} {:>9}  placement\n",
        "pid", "state", "messages", "proposals", "decision p99", "updated"
    );
    for file in files {
        match stats::read(&file) {
            Ok(snapshot) => {
                let _ = writeln!(
                    out,
                    "{:>8}  {:<11} {:>12} {:>10} {:>11} ns {:>9}  {}",
                    snapshot.pid,
                    state(snapshot.pid),
                    snapshot.counters.messages,
                    snapshot.counters.proposals,
                    snapshot.tick_to_decision.p99,
                    age(snapshot.updated_unix_ms),
                    snapshot.placement,
                );
            }
            Err(error) => {
                let _ = writeln!(out, "{error}");
            }
        }
    }
    Ok(out)
}

/// Whether process `pid` still runs (a killed engine leaves its snapshot behind).
fn state(pid: u32) -> &'static str {
    if Path::new(&format!("/proc/{pid}")).exists() {
        "running"
    } else {
        "not running"
    }
}

fn now_unix_ms() -> u64 {
    jiff::Timestamp::now()
        .as_millisecond()
        .try_into()
        .unwrap_or(0)
}

/// How long ago `unix_ms` was, readably.
fn age(unix_ms: u64) -> String {
    let ms = now_unix_ms().saturating_sub(unix_ms);
    if ms < 10_000 {
        format!("{:.1} s ago", ms as f64 / 1e3)
    } else {
        format!("{} s ago", ms / 1_000)
    }
}

fn time(unix_ms: u64) -> String {
    i64::try_from(unix_ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or_else(|| unix_ms.to_string(), |time| format!("{time:.0}"))
}

fn latency_row(name: &str, s: &LatencySummary) -> String {
    format!(
        "  {name:<18} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}\n",
        s.p50, s.p90, s.p99, s.p999, s.p9999, s.max, s.count
    )
}

/// The counters that are not zero, by name, from the snapshot's own serde form (so a new
/// counter shows without a change here).
fn counters(snapshot: &serde_json::Value) -> String {
    snapshot
        .as_object()
        .map(|counters| {
            counters
                .iter()
                .filter(|(_, value)| value.as_u64() != Some(0))
                .map(|(name, value)| format!("{} {value}", name.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// A snapshot, readably.
fn describe(file: &Path, snapshot: &StatsSnapshot) -> String {
    let json = serde_json::to_value(snapshot).unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "recal engine, pid {} ({}), snapshot {}\n\
         placement: {}\n\
         started {}, updated {} ({})\n",
        snapshot.pid,
        state(snapshot.pid),
        file.display(),
        snapshot.placement,
        time(snapshot.started_unix_ms),
        time(snapshot.updated_unix_ms),
        age(snapshot.updated_unix_ms),
    );
    let _ = writeln!(out, "counters: {}\n", counters(&json["counters"]));
    let _ = writeln!(
        out,
        "  {:<18} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "latency (ns)", "p50", "p90", "p99", "p99.9", "p99.99", "max", "samples"
    );
    out.push_str(&latency_row("tick -> decision", &snapshot.tick_to_decision));
    out.push_str(&latency_row("tick -> signed", &snapshot.tick_to_signed));
    for (group, json) in snapshot
        .groups
        .iter()
        .zip(json["groups"].as_array().into_iter().flatten())
    {
        let core = group
            .core
            .map_or_else(|| "unpinned".to_owned(), |core| format!("core {core}"));
        let _ = writeln!(
            out,
            "\nthread [{}] on {core}: {}",
            group.stages,
            counters(&json["counters"])
        );
        out.push_str(&latency_row("queueing", &group.queueing));
        out.push_str(&latency_row("service", &group.service));
    }
    out.push('\n');
    out
}
