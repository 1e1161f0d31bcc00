//! Real feeds for `recal run`: NDJSON tapes, TCP (client or server) and UDP endpoints polled by
//! a `recal-ingress` [`Ingress`] on the engine's thread, each message pushed into the engine.
//!
//! Receive times: every message is stamped with the engine's latency clock when it is pushed,
//! not with the tape's recorded `recv_ns`, so that the latency percentiles measure this run
//! (a tape's receive times are years old). Stage logic runs on the source timestamps.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use recal::pipeline::Emitted;
use recal::types::Source;
use recal::{Engine, EngineError};
use recal_ingress::{Backoff, EndpointStats, Framing, Ingress, IngressConfig};

/// Where `recal run` reads real feeds from instead of the generated demo market.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct FeedArgs {
    /// NDJSON tape of envelopes (`{"source":…,"recv_ns":…,"msg":{…}}`, as `recal convert`
    /// writes), plain or `.gz`; repeatable. The run ends when every tape has been read.
    #[arg(long, value_name = "FILE")]
    pub tape: Vec<PathBuf>,
    /// Connect to a newline-delimited feed at HOST:PORT (reconnects with backoff); repeatable.
    #[arg(long, value_name = "ADDR")]
    pub tcp: Vec<SocketAddr>,
    /// Accept newline-delimited feed connections on HOST:PORT; repeatable.
    #[arg(long, value_name = "ADDR")]
    pub listen: Vec<SocketAddr>,
    /// Receive one message per datagram on HOST:PORT; repeatable.
    #[arg(long, value_name = "ADDR")]
    pub udp: Vec<SocketAddr>,
    /// Source of the raw venue messages on the network endpoints (`deribit`, `binance-spot`,
    /// `binance-usdm`, `binance-coinm`, `pyth`, `recal`) [none: each line or datagram is an
    /// envelope naming its source, as on tapes].
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Stop after this many seconds of wall time [network feeds: at Ctrl-C].
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
}

impl FeedArgs {
    /// Whether any real feed was asked for (else `recal run` runs the demo market).
    #[must_use]
    pub fn any(&self) -> bool {
        !(self.tape.is_empty()
            && self.tcp.is_empty()
            && self.listen.is_empty()
            && self.udp.is_empty())
    }

    fn only_tapes(&self) -> bool {
        self.tcp.is_empty() && self.listen.is_empty() && self.udp.is_empty()
    }

    /// A one-line description of the feeds, for the report's header.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .tape
            .iter()
            .map(|path| format!("tape {}", path.display()))
            .collect();
        parts.extend(self.tcp.iter().map(|addr| format!("tcp client {addr}")));
        parts.extend(self.listen.iter().map(|addr| format!("tcp server {addr}")));
        parts.extend(self.udp.iter().map(|addr| format!("udp {addr}")));
        parts.join(", ")
    }

    fn ingress(&self) -> anyhow::Result<Ingress> {
        let network = match &self.source {
            Some(name) => Framing::Raw(
                Source::from_name(name).with_context(|| format!("unknown source `{name}`"))?,
            ),
            None => Framing::Envelope,
        };
        let mut ingress = Ingress::new(IngressConfig::default())?;
        for path in &self.tape {
            ingress
                .add_tape(path, Framing::Envelope)
                .with_context(|| format!("opening the tape {}", path.display()))?;
        }
        for &addr in &self.tcp {
            ingress.add_tcp_client(addr, network, Backoff::default())?;
        }
        for &addr in &self.listen {
            ingress.add_tcp_server(addr, network)?;
        }
        for &addr in &self.udp {
            ingress.add_udp(addr, network)?;
        }
        Ok(ingress)
    }
}

/// What a feed run delivered.
#[derive(Debug)]
pub struct FeedRun {
    /// Messages pushed into the engine.
    pub messages: u64,
    /// Proposals and executions, in order.
    pub timeline: Vec<Emitted>,
    /// The ingress's own counts (frames refused before reaching the engine among them).
    pub ingress: EndpointStats,
}

/// Polls the feeds into `engine` until the tapes end (tapes only), `--duration` passes or
/// Ctrl-C.
///
/// # Errors
/// An endpoint that cannot be opened, a failing poller, or a stopped engine.
pub fn run(engine: &mut Engine, args: &FeedArgs) -> anyhow::Result<FeedRun> {
    let mut ingress = args.ingress()?;
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))
        .context("installing the Ctrl-C handler")?;
    let deadline = args
        .duration
        .map(|seconds| Instant::now() + Duration::from_secs_f64(seconds.max(0.0)));

    let mut run = FeedRun {
        messages: 0,
        timeline: Vec::new(),
        ingress: EndpointStats::default(),
    };
    let mut stopped: Option<EngineError> = None;
    while stopped.is_none()
        && !interrupted.load(Ordering::Relaxed)
        && deadline.is_none_or(|deadline| Instant::now() < deadline)
        && !(args.only_tapes() && ingress.open_tapes() == 0)
    {
        ingress.poll_fn(
            Some(Duration::from_millis(100)),
            |source, bytes, _received| {
                if stopped.is_some() {
                    return;
                }
                run.messages += 1;
                match engine.push_bytes(source, bytes, engine.clock_ns()) {
                    // A rejected message is counted by the engine and shown in the counters.
                    Ok(()) | Err(EngineError::Rejected(_)) => {}
                    Err(error) => stopped = Some(error),
                }
            },
        )?;
        run.timeline.extend(engine.drain_proposals());
    }
    if let Some(error) = stopped {
        return Err(error).context("the engine stopped");
    }
    run.ingress = ingress.totals();
    Ok(run)
}
