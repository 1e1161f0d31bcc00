//! The engines compared by `recal bench`, and how each is driven.

use std::time::Instant;

use anyhow::Context as _;
use recal::pipeline::{
    Channel, Fused, Group, LatencyHistogram, PipelineConfig, Placement, Plan, RingOptions, StageId,
    Threaded, WaitStrategy, WorkerMetrics,
};
use recal::types::Source;

use super::load::Load;

/// One engine configuration under test.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    /// All five stages on the feeding thread.
    Fused,
    /// The automatic placement on this machine.
    Auto,
    /// One thread per stage, joined by recal rings.
    Threads,
    /// One thread per stage, joined by `std::sync::mpsc` channels (the peer).
    Mpsc,
}

/// What a latency run measured.
#[derive(Debug)]
pub struct Run {
    /// Who ran.
    pub contender: Contender,
    /// All groups merged: end-to-end and per-stage histograms.
    pub total: WorkerMetrics,
    /// Each thread's own measurements (queueing and service), threaded contenders only.
    pub groups: Vec<(Group, WorkerMetrics)>,
}

impl Run {
    /// Per-stage rows: each stage's own time, then each thread's queueing and service time.
    pub fn stage_rows(&self) -> Vec<(String, &LatencyHistogram)> {
        let mut rows = Vec::new();
        if let Some(stages) = &self.total.stages {
            for (stage, histogram) in StageId::ALL.iter().zip(stages.iter()) {
                rows.push((format!("stage {stage}"), histogram));
            }
        }
        for (group, metrics) in &self.groups {
            rows.push((format!("[{}] queueing", group.label()), &metrics.queueing));
            rows.push((format!("[{}] service", group.label()), &metrics.service));
        }
        rows
    }

    /// Every histogram with a file-name part.
    pub fn histograms(&self) -> Vec<(String, &LatencyHistogram)> {
        let mut all = vec![
            ("tick-to-decision".to_owned(), &self.total.tick_to_decision),
            ("tick-to-signed".to_owned(), &self.total.tick_to_signed),
        ];
        all.extend(
            self.stage_rows()
                .into_iter()
                .map(|(label, histogram)| (file_part(&label), histogram)),
        );
        all
    }
}

/// `"[decode+estimate] queueing"` → `"decode+estimate-queueing"`.
fn file_part(label: &str) -> String {
    label.trim().replace(['[', ']'], "").replace(' ', "-")
}

/// A running engine of one contender. Both variants are boxed: the fused pipeline holds every
/// stage's state inline and the threaded one its handles, and only one engine lives at a time.
enum Engine {
    Fused(Box<Fused>),
    Threaded(Box<Threaded>),
}

impl Engine {
    fn clock_ns(&self) -> u64 {
        match self {
            Self::Fused(fused) => fused.clock_ns(),
            Self::Threaded(threaded) => threaded.clock_ns(),
        }
    }

    fn push(&mut self, source: Source, bytes: &[u8], receive_ns: u64) -> anyhow::Result<()> {
        match self {
            Self::Fused(fused) => {
                // Rejects are counted; the demo has none.
                let _decoded = fused.push_bytes(source, bytes, receive_ns);
                fused.drain().for_each(drop);
            }
            Self::Threaded(threaded) => {
                threaded
                    .push_bytes(source, bytes, receive_ns)
                    .context("the pipeline stopped")?;
                threaded.drain().for_each(drop);
            }
        }
        Ok(())
    }

    /// Forgets the latency samples so far, once everything pushed has been processed.
    fn reset_latency(&mut self) -> anyhow::Result<()> {
        match self {
            Self::Fused(fused) => fused.reset_latency(),
            Self::Threaded(threaded) => threaded.reset_latency().context("the pipeline stopped")?,
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<(WorkerMetrics, Vec<(Group, WorkerMetrics)>)> {
        match self {
            Self::Fused(fused) => Ok((fused.worker_metrics(), Vec::new())),
            Self::Threaded(threaded) => {
                let finished = threaded.shutdown().context("the pipeline stopped")?;
                let total = finished.groups.iter().fold(
                    WorkerMetrics::default(),
                    |mut total, (_, metrics)| {
                        total.merge(metrics);
                        total
                    },
                );
                Ok((total, finished.groups))
            }
        }
    }
}

impl Contender {
    /// The contender's name in the report and the file names.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Fused => "fused",
            Self::Auto => "auto",
            Self::Threads => "threads",
            Self::Mpsc => "mpsc",
        }
    }

    fn start(self, time_stages: bool) -> anyhow::Result<Engine> {
        let config = PipelineConfig::default();
        let every_stage = || Plan::unpinned(&[1, 2, 3, 4], WaitStrategy::Backoff);
        let (plan, channel) = match self {
            Self::Fused => {
                let fused = if time_stages {
                    Fused::timing_stages(&config)
                } else {
                    Fused::new(&config)
                };
                return Ok(Engine::Fused(Box::new(fused?)));
            }
            Self::Auto => (
                Plan::resolve(&Placement::Auto, recal::available_cores())?,
                Channel::Ring,
            ),
            Self::Threads => (every_stage()?, Channel::Ring),
            Self::Mpsc => (every_stage()?, Channel::Mpsc),
        };
        if plan.is_fused() {
            return Ok(Engine::Fused(Box::new(Fused::new(&config)?)));
        }
        let rings = RingOptions {
            channel,
            time_stages,
            ..RingOptions::default()
        };
        Ok(Engine::Threaded(Box::new(Threaded::start(
            &config, &plan, rings, None,
        )?)))
    }

    /// Messages per second when `load` is pushed as fast as the engine takes it, until the
    /// engine has drained and stopped.
    pub fn throughput(self, load: &Load) -> anyhow::Result<f64> {
        let mut engine = self.start(false)?;
        let started = Instant::now();
        for message in load.messages() {
            let now = engine.clock_ns();
            engine.push(message.source, &message.bytes, now)?;
        }
        engine.finish()?;
        Ok(load.len() as f64 / started.elapsed().as_secs_f64().max(f64::MIN_POSITIVE))
    }

    /// Pushes the warm-up as fast as the engine takes it, then the measured part open loop at
    /// `rate` messages per second, each stamped with its due time.
    pub fn latency(self, load: &Load, rate: f64) -> anyhow::Result<Run> {
        let mut engine = self.start(true)?;
        for message in load.warm_up() {
            let now = engine.clock_ns();
            engine.push(message.source, &message.bytes, now)?;
        }
        engine.reset_latency()?;
        let interval_ns = 1e9 / rate.max(1.0);
        let start_ns = engine.clock_ns() + 1_000_000;
        for (index, message) in load.measured().iter().enumerate() {
            let due_ns = start_ns + (index as f64 * interval_ns) as u64;
            while engine.clock_ns() < due_ns {
                std::hint::spin_loop();
            }
            engine.push(message.source, &message.bytes, due_ns)?;
        }
        let (total, groups) = engine.finish()?;
        Ok(Run {
            contender: self,
            total,
            groups,
        })
    }
}
