//! `recal convert`: historical CSV files to an NDJSON feed tape that the engine reads
//! through recal-ingress (one envelope per line, see `crates/ingress/README.md`).
//!
//! Every input row becomes venue-shaped messages (Binance `trade` / `markPriceUpdate`,
//! Deribit `ticker` / `trades`, recal/1 `book_snapshot`); the lines of all inputs are merged,
//! sorted by event time (stable: ties keep input and row order, so the output is
//! deterministic), checked through `recal_feed::Decoder` exactly as the engine will decode
//! them, and written. Skipped rows are counted with their reasons.

mod bars;
mod book_depth;
mod generic;
mod input;
mod klines;
mod messages;
mod numbers;
mod options_chain;
mod report;
mod tardis_trades;
mod time;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use flate2::Compression;
use flate2::write::GzEncoder;
use recal_feed::{Decoder, DecoderConfig};
use recal_ingress::Envelope;
use recal_types::{Source, Timestamp};

use self::bars::{BarPath, BarPrints};
use self::input::Table;
use self::report::{FileReport, Skip};
use self::time::TimeUnit;

/// One tape line before it is written.
#[derive(Debug)]
pub(crate) struct Line {
    /// Event time, for sorting.
    pub(crate) time_ns: u64,
    /// Receive time written as `recv_ns`.
    pub(crate) recv_ns: u64,
    pub(crate) source: Source,
    pub(crate) message: String,
}

/// The layout of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tell from the header row (or, without one, Binance's kline column order).
    Auto,
    /// Binance klines (`open_time,open,high,low,close,volume,close_time,…`).
    BinanceKlines,
    /// Binance futures `bookDepth` (`timestamp,percentage,depth,notional`).
    BinanceBookDepth,
    /// Tardis.dev `trades`.
    TardisTrades,
    /// Tardis.dev `options_chain`.
    TardisOptionsChain,
    /// Deribit chain snapshots (`instrument_name,…,mark_iv,…,greeks,…`).
    DeribitChain,
    /// Generic OHLC bars, columns named by `--time-col`, `--open-col`, ….
    Ohlc,
    /// Generic trades, columns named by `--time-col`, `--price-col`, `--size-col`, ….
    Trades,
}

impl Format {
    const fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::BinanceKlines => "binance-klines",
            Self::BinanceBookDepth => "binance-book-depth",
            Self::TardisTrades => "tardis-trades",
            Self::TardisOptionsChain => "tardis-options-chain",
            Self::DeribitChain => "deribit-chain",
            Self::Ohlc => "ohlc",
            Self::Trades => "trades",
        }
    }

    /// The format of `table`, told from its header.
    fn detect(table: &Table) -> Option<Self> {
        let Some(header) = &table.header else {
            return Some(Self::BinanceKlines);
        };
        let candidates = [
            (
                Self::TardisOptionsChain,
                &[
                    "exchange",
                    "symbol",
                    "timestamp",
                    "local_timestamp",
                    "strike_price",
                    "expiration",
                    "mark_iv",
                ][..],
            ),
            (
                Self::TardisTrades,
                &[
                    "exchange",
                    "symbol",
                    "timestamp",
                    "local_timestamp",
                    "id",
                    "side",
                    "price",
                    "amount",
                ],
            ),
            (
                Self::DeribitChain,
                &[
                    "instrument_name",
                    "timestamp",
                    "mark_price",
                    "mark_iv",
                    "underlying_price",
                ],
            ),
            (
                Self::BinanceBookDepth,
                &["timestamp", "percentage", "depth", "notional"],
            ),
            (
                Self::BinanceKlines,
                &["open_time", "open", "high", "low", "close"],
            ),
        ];
        candidates
            .into_iter()
            .find(|(_, columns)| header.has_all(columns))
            .map(|(format, _)| format)
    }
}

/// Arguments of `recal convert`.
#[derive(clap::Args, Debug, Clone)]
pub struct ConvertArgs {
    /// Input CSV files, gzip-compressed or not (told by the magic bytes).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The tape to write (NDJSON envelopes); `-` for standard output; a name ending in `.gz`
    /// is gzip-compressed.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Layout of the inputs.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// How a bar becomes prints (klines, OHLC).
    #[arg(long, value_enum, default_value_t = BarPath::Ohlc)]
    pub bar_path: BarPath,
    /// Which message a bar's prints become.
    #[arg(long, value_enum, default_value_t = BarPrints::Auto)]
    pub bar_prints: BarPrints,
    /// Bar length in milliseconds [default: from close times, else the smallest step between
    /// bars].
    #[arg(long)]
    pub bar_ms: Option<u64>,
    /// Source whose message shape prices take (deribit, binance-spot, binance-usdm,
    /// binance-coinm) [default: from the file name or the exchange column].
    #[arg(long, value_parser = source_arg)]
    pub source: Option<Source>,
    /// Instrument name at the venue [default: from the file name, `BTCUSDT-um-1m-…` →
    /// BTCUSDT].
    #[arg(long)]
    pub symbol: Option<String>,
    /// Generic formats: the time column (a name, or a 0-based position with --no-header).
    #[arg(long)]
    pub time_col: Option<String>,
    /// Unit of the time column [default: ms; bookDepth: iso].
    #[arg(long, value_enum)]
    pub time_unit: Option<TimeUnit>,
    /// Generic OHLC: open column.
    #[arg(long, default_value = "open")]
    pub open_col: String,
    /// Generic OHLC: high column.
    #[arg(long, default_value = "high")]
    pub high_col: String,
    /// Generic OHLC: low column.
    #[arg(long, default_value = "low")]
    pub low_col: String,
    /// Generic OHLC: close column.
    #[arg(long, default_value = "close")]
    pub close_col: String,
    /// Generic OHLC: volume column [default: `volume` if present].
    #[arg(long)]
    pub volume_col: Option<String>,
    /// Generic trades: price column.
    #[arg(long, default_value = "price")]
    pub price_col: String,
    /// Generic trades: size column.
    #[arg(long, default_value = "size")]
    pub size_col: String,
    /// Generic trades: taker side column (buy/sell) [default: the tick rule].
    #[arg(long)]
    pub side_col: Option<String>,
    /// The inputs have no header row: name columns by 0-based position.
    #[arg(long)]
    pub no_header: bool,
    /// Largest implied volatility kept, as a fraction (the decoder's default limit).
    #[arg(long, default_value_t = 10.0)]
    pub max_iv: f64,
}

impl ConvertArgs {
    /// `--time-unit`, or the format's own default.
    fn time_unit_or(&self, default: TimeUnit) -> TimeUnit {
        self.time_unit.unwrap_or(default)
    }
}

fn source_arg(name: &str) -> Result<Source, String> {
    Source::from_name(name).ok_or_else(|| {
        format!("unknown source `{name}` (deribit, binance-spot, binance-usdm, binance-coinm, pyth, recal)")
    })
}

/// Reads one input into lines.
fn convert_file(path: &Path, args: &ConvertArgs) -> anyhow::Result<(Vec<Line>, FileReport)> {
    let mut table = Table::open(path, args.no_header.then_some(false))?;
    let format = match args.format {
        Format::Auto => Format::detect(&table).with_context(|| {
            format!(
                "cannot tell the format of {}: pass --format",
                path.display()
            )
        })?,
        format => format,
    };
    let mut report = FileReport {
        path: path.to_path_buf(),
        format: format.name(),
        ..FileReport::default()
    };
    let mut lines = Vec::new();
    let out = &mut lines;
    match format {
        Format::Auto | Format::BinanceKlines => klines::convert(&mut table, args, &mut report, out),
        Format::BinanceBookDepth => book_depth::convert(&mut table, args, &mut report, out),
        Format::TardisTrades => tardis_trades::convert(&mut table, args, &mut report, out),
        Format::TardisOptionsChain => {
            options_chain::convert_tardis(&mut table, args, &mut report, out)
        }
        Format::DeribitChain => options_chain::convert_deribit(&mut table, args, &mut report, out),
        Format::Ohlc => generic::convert_ohlc(&mut table, args, &mut report, out),
        Format::Trades => generic::convert_trades(&mut table, args, &mut report, out),
    }
    .with_context(|| format!("converting {}", path.display()))?;
    Ok((lines, report))
}

/// Runs `recal convert`: prints one report block per input and a summary on standard error
/// (standard output may be the tape).
///
/// # Errors
/// An input that cannot be read or whose format cannot be told, or an output that cannot be
/// written.
pub fn run(args: &ConvertArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut lines: Vec<(usize, Line)> = Vec::new();
    let mut reports = Vec::new();
    for (index, path) in args.inputs.iter().enumerate() {
        let (file_lines, report) = convert_file(path, args)?;
        lines.extend(file_lines.into_iter().map(|line| (index, line)));
        reports.push(report);
    }
    lines.sort_by_key(|(_, line)| line.time_ns);
    let mut decoder = Decoder::new(DecoderConfig::default());
    let mut events = Vec::new();
    let mut writer = output(&args.output)?;
    let mut written = 0_u64;
    for (index, line) in &lines {
        events.clear();
        let received = Timestamp::from_nanos(line.recv_ns);
        match decoder.decode(line.source, line.message.as_bytes(), received, &mut events) {
            Ok(_) => {
                Envelope {
                    source: line.source,
                    receive_time: Some(received),
                    message: line.message.as_bytes(),
                }
                .write_line(&mut writer)
                .context("writing the tape")?;
                reports[*index].lines += 1;
                written += 1;
            }
            Err(error) => {
                reports[*index].skip(Skip::new(format!("decoder refused the message: {error}")))
            }
        }
    }
    writer.finish()?;
    let mut summary = io::stderr().lock();
    for report in &reports {
        write!(summary, "{report}")?;
    }
    writeln!(
        summary,
        "tape {}: lines {written}, skipped rows {}, in {:.2} s",
        args.output.display(),
        reports.iter().map(FileReport::skipped_rows).sum::<u64>(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}

/// The output stream: a file, gzip-compressed for a `.gz` name, or standard output.
enum Output {
    Plain(BufWriter<Box<dyn Write>>),
    Gzip(GzEncoder<BufWriter<File>>),
}

impl Output {
    fn finish(self) -> anyhow::Result<()> {
        match self {
            Self::Plain(mut writer) => writer.flush()?,
            Self::Gzip(encoder) => encoder.finish()?.flush()?,
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(writer) => writer.write(bytes),
            Self::Gzip(encoder) => encoder.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(writer) => writer.flush(),
            Self::Gzip(encoder) => encoder.flush(),
        }
    }
}

fn output(path: &Path) -> anyhow::Result<Output> {
    if path == Path::new("-") {
        return Ok(Output::Plain(BufWriter::new(Box::new(io::stdout().lock()))));
    }
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    if path.extension().is_some_and(|extension| extension == "gz") {
        Ok(Output::Gzip(GzEncoder::new(
            BufWriter::new(file),
            Compression::default(),
        )))
    } else {
        Ok(Output::Plain(BufWriter::new(Box::new(file))))
    }
}
