//! The live metrics snapshot: a small JSON file another process reads (`recal stats`).
//!
//! An engine whose [`StatsOptions::enabled`] is set writes a [`StatsSnapshot`] to
//! `/dev/shm/recal-<pid>.stats` (the temporary directory when `/dev/shm` is absent; a second
//! engine in the same process adds `-<n>`), or to [`StatsOptions::path`]. It publishes when it
//! is built, then at most every [`StatsOptions::interval`] while messages are pushed (it looks
//! at the clock every 256 pushes, so an idle engine's snapshot ages; call
//! [`Engine::publish_stats`](crate::Engine::publish_stats) from an idle loop to refresh it),
//! and removes the file when it is dropped or shut down.
//!
//! Each snapshot is written to a hidden temporary file in the same directory and renamed over
//! the previous one, so a reader sees either the old or the new snapshot, never a torn one.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use recal_pipeline::{Counters, Group, LatencySummary, Metrics, Plan, WorkerMetrics};
use serde::{Deserialize, Serialize};

/// Version of the snapshot format, written in every snapshot.
pub const FORMAT_VERSION: u32 = 1;

/// Pushes between two looks at the clock.
const PUSHES_PER_CLOCK_CHECK: u32 = 256;

/// Prefix and suffix of snapshot file names.
const FILE_PREFIX: &str = "recal-";
const FILE_SUFFIX: &str = ".stats";

/// Engines of this process that have published, for distinct file names.
static ENGINES: AtomicU32 = AtomicU32::new(0);

/// Whether and where an engine publishes its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsOptions {
    /// Publish at all \[false, so that tests and embedded uses leave no files behind\].
    pub enabled: bool,
    /// The snapshot file \[none: `recal-<pid>.stats` in [`default_dir`]\].
    pub path: Option<PathBuf>,
    /// Shortest time between two snapshots \[100 ms\].
    pub interval: Duration,
}

impl Default for StatsOptions {
    fn default() -> Self {
        Self {
            enabled: false,
            path: None,
            interval: Duration::from_millis(100),
        }
    }
}

/// One snapshot of a running engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// [`FORMAT_VERSION`] of the writer.
    pub version: u32,
    /// Process id of the engine.
    pub pid: u32,
    /// When the engine started, ms since the Unix epoch.
    pub started_unix_ms: u64,
    /// When this snapshot was taken, ms since the Unix epoch.
    pub updated_unix_ms: u64,
    /// The resolved placement (`fused`, or the thread groups with their cores).
    pub placement: String,
    /// Counters of the whole pipeline.
    #[serde(with = "CountersFields")]
    pub counters: Counters,
    /// Receive → stage-4 decision, ns.
    #[serde(with = "SummaryFields")]
    pub tick_to_decision: LatencySummary,
    /// Receive → stage-5 signature, ns.
    #[serde(with = "SummaryFields")]
    pub tick_to_signed: LatencySummary,
    /// Per stage thread (threaded placements; empty when fused).
    pub groups: Vec<GroupStats>,
}

/// What one stage thread measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupStats {
    /// Its stages (`"greeks+trigger+emit"`).
    pub stages: String,
    /// The core it is pinned to, if any.
    pub core: Option<usize>,
    /// Counters of its stages.
    #[serde(with = "CountersFields")]
    pub counters: Counters,
    /// Time messages waited in the ring into the thread, ns.
    #[serde(with = "SummaryFields")]
    pub queueing: LatencySummary,
    /// Time the thread spent per message, ns.
    #[serde(with = "SummaryFields")]
    pub service: LatencySummary,
}

/// The serde form of [`Counters`] (the pipeline crate has no serde).
#[derive(Serialize, Deserialize)]
#[serde(remote = "Counters")]
struct CountersFields {
    messages: u64,
    events: u64,
    rejects: u64,
    filtered_prints: u64,
    decisions: u64,
    triggers: u64,
    proposals: u64,
    applied: u64,
    queued: u64,
    executed: u64,
    refused: u64,
    stage_errors: u64,
    conflated: u64,
    journal_errors: u64,
}

/// The serde form of [`LatencySummary`].
#[derive(Serialize, Deserialize)]
#[serde(remote = "LatencySummary")]
struct SummaryFields {
    count: u64,
    p50: u64,
    p90: u64,
    p99: u64,
    p999: u64,
    p9999: u64,
    max: u64,
}

/// A snapshot that could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The file could not be written, read or listed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file is not a snapshot.
    #[error("{} is not a recal stats snapshot: {source}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
}

/// Where snapshots go by default: `/dev/shm` when present (shared memory: no disk I/O), else
/// the temporary directory.
#[must_use]
pub fn default_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
}

/// The snapshot files in `dir` (`recal-*.stats`), sorted by name.
///
/// # Errors
/// [`StatsError::Io`] when `dir` cannot be listed.
pub fn list(dir: &Path) -> Result<Vec<PathBuf>, StatsError> {
    let entries = std::fs::read_dir(dir).map_err(|source| StatsError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(FILE_PREFIX) && name.ends_with(FILE_SUFFIX))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Reads the snapshot at `path`.
///
/// # Errors
/// [`StatsError::Io`] when it cannot be read, [`StatsError::Format`] when it is not a
/// snapshot.
pub fn read(path: &Path) -> Result<StatsSnapshot, StatsError> {
    let bytes = std::fs::read(path).map_err(|source| StatsError::Io {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| StatsError::Format {
        path: path.to_owned(),
        source,
    })
}

/// The snapshot file of the engine(s) of process `pid` in `dir`, first engine first.
///
/// # Errors
/// [`StatsError::Io`] when `dir` cannot be listed.
pub fn files_of(dir: &Path, pid: u32) -> Result<Vec<PathBuf>, StatsError> {
    let exact = format!("{FILE_PREFIX}{pid}{FILE_SUFFIX}");
    let numbered = format!("{FILE_PREFIX}{pid}-");
    Ok(list(dir)?
        .into_iter()
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name == exact || name.starts_with(&numbered))
        })
        .collect())
}

fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

/// Writes an engine's snapshots; removes the file when dropped.
#[derive(Debug)]
pub(crate) struct StatsPublisher {
    path: PathBuf,
    temporary: PathBuf,
    interval: Duration,
    last: Instant,
    pushes: u32,
    pid: u32,
    started_unix_ms: u64,
    placement: String,
}

impl StatsPublisher {
    /// A publisher for an engine running `plan`, per `options`.
    pub(crate) fn new(options: &StatsOptions, plan: &Plan) -> Self {
        let pid = std::process::id();
        let path = options.path.clone().unwrap_or_else(|| {
            let name = match ENGINES.fetch_add(1, Ordering::Relaxed) {
                0 => format!("{FILE_PREFIX}{pid}{FILE_SUFFIX}"),
                n => format!("{FILE_PREFIX}{pid}-{n}{FILE_SUFFIX}"),
            };
            default_dir().join(name)
        });
        let mut temporary = path.clone();
        let name = path.file_name().map_or_else(Default::default, |name| {
            format!(".{}.tmp", name.to_string_lossy())
        });
        temporary.set_file_name(name);
        Self {
            path,
            temporary,
            interval: options.interval,
            last: Instant::now(),
            pushes: 0,
            pid,
            started_unix_ms: unix_ms(SystemTime::now()),
            placement: plan.to_string(),
        }
    }

    /// The snapshot file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Counts a push; true when a snapshot is due (checked every 256 pushes).
    pub(crate) fn due(&mut self) -> bool {
        self.pushes = self.pushes.wrapping_add(1);
        self.pushes.is_multiple_of(PUSHES_PER_CLOCK_CHECK) && self.last.elapsed() >= self.interval
    }

    /// Writes a snapshot of `metrics` and the stage threads' `groups`.
    pub(crate) fn publish(
        &mut self,
        metrics: &Metrics,
        groups: &[(Group, WorkerMetrics)],
    ) -> Result<(), StatsError> {
        self.last = Instant::now();
        let snapshot = StatsSnapshot {
            version: FORMAT_VERSION,
            pid: self.pid,
            started_unix_ms: self.started_unix_ms,
            updated_unix_ms: unix_ms(SystemTime::now()),
            placement: self.placement.clone(),
            counters: metrics.counters,
            tick_to_decision: metrics.tick_to_decision,
            tick_to_signed: metrics.tick_to_signed,
            groups: groups
                .iter()
                .map(|(group, measured)| GroupStats {
                    stages: group.label(),
                    core: group.core,
                    counters: measured.counters,
                    queueing: measured.queueing.summary(),
                    service: measured.service.summary(),
                })
                .collect(),
        };
        let bytes = serde_json::to_vec(&snapshot).map_err(|source| StatsError::Format {
            path: self.path.clone(),
            source,
        })?;
        let io_error = |path: &Path| {
            let path = path.to_owned();
            move |source| StatsError::Io { path, source }
        };
        std::fs::write(&self.temporary, bytes).map_err(io_error(&self.temporary))?;
        std::fs::rename(&self.temporary, &self.path).map_err(io_error(&self.path))
    }
}

impl Drop for StatsPublisher {
    fn drop(&mut self) {
        // Best effort: the file may already be gone, and a drop cannot report anything.
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_file(&self.temporary);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use recal_pipeline::demo::{self, DemoConfig};

    use super::*;
    use crate::{Config, Engine};

    #[test]
    fn a_reader_in_another_thread_sees_whole_snapshots_that_grow() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("engine.stats");
        let config = Config {
            stats: StatsOptions {
                enabled: true,
                path: Some(path.clone()),
                interval: Duration::from_millis(1),
            },
            ..Config::default()
        };
        let mut engine = Engine::new(config).unwrap();
        assert_eq!(engine.stats_path(), Some(path.as_path()));
        // Published as soon as the engine is built.
        assert_eq!(read(&path).unwrap().counters.messages, 0);

        let done = Arc::new(AtomicBool::new(false));
        let reader = std::thread::spawn({
            let (path, done) = (path.clone(), Arc::clone(&done));
            move || {
                let mut seen = Vec::new();
                while !done.load(Ordering::Acquire) {
                    // Every read is a whole snapshot: never torn, never missing.
                    let snapshot = read(&path).unwrap();
                    assert_eq!(snapshot.pid, std::process::id());
                    assert_eq!(snapshot.version, FORMAT_VERSION);
                    seen.push(snapshot.counters.messages);
                }
                seen
            }
        });
        let messages = demo::generate(&DemoConfig {
            calm_seconds: 120,
            crash_seconds: 300,
            recovery_seconds: 60,
            accounts: 50,
            ..DemoConfig::default()
        });
        for message in &messages {
            let _ = engine.push_bytes(message.source, &message.bytes, engine.clock_ns());
        }
        engine.publish_stats().unwrap();
        done.store(true, Ordering::Release);
        let seen = reader.join().unwrap();
        assert!(
            seen.windows(2).all(|pair| pair[0] <= pair[1]),
            "counters went back"
        );

        let last = read(&path).unwrap();
        assert_eq!(last.counters, engine.metrics().counters);
        assert_eq!(last.counters.messages, messages.len() as u64);
        assert!(last.placement.starts_with("fused"), "{}", last.placement);
        assert!(last.updated_unix_ms >= last.started_unix_ms);
        assert_eq!(
            list(dir.path()).unwrap(),
            Vec::<PathBuf>::new(),
            "custom name"
        );

        engine.shutdown().unwrap();
        assert!(!path.exists(), "the snapshot is removed at shutdown");
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn default_names_are_per_process_and_listed() {
        let dir = tempfile::tempdir().unwrap();
        let pid = std::process::id();
        for name in [
            format!("recal-{pid}.stats"),
            format!("recal-{pid}-1.stats"),
            "recal-1.stats".into(),
            "other".into(),
        ] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        assert_eq!(list(dir.path()).unwrap().len(), 3);
        assert_eq!(files_of(dir.path(), pid).unwrap().len(), 2);
        assert!(matches!(
            read(&dir.path().join("other")),
            Err(StatsError::Format { .. })
        ));
    }
}
