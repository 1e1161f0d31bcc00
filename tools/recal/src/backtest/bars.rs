//! Tapes of 1-minute klines: finding them, reading them, and turning each bar into the venue
//! prints the engine decodes.
//!
//! This reader covers Binance kline CSVs only (`open_time, open, high, low, close[, volume, …]`,
//! with or without a header row, as Binance's public-data files and their transcriptions in
//! `shared/data` are); `recal convert` turns the other recorded formats (trades, book depth,
//! option chains, JSON bars) into NDJSON feed tapes.
//!
//! **Bar → prints.** A bar becomes four trades, 15 s apart from its open time: open, then the
//! extreme the price most plausibly visited first, then the other, then close — O → H → L → C
//! when the bar closed down, O → L → H → C when it closed up (the path with one reversal fewer
//! than the alternative, the usual convention of bar backtesters). A liquidation engine marking
//! to these prints sees every bar's low and high, in a plausible order. The price of that
//! choice: the squared returns of the four legs add up to about three times a bar's
//! close-to-close variance (the high–low leg alone carries `4 ln 2 ≈ 2.8` times it for a
//! Brownian path), so recal's realised-volatility estimators read these tapes 1.3–1.8× higher
//! than close-to-close volatility (measured on the `shared/data` tapes).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use recal::types::Source;

/// Milliseconds per bar.
pub const BAR_MS: u64 = 60_000;
/// Prints per bar.
pub const PRINTS_PER_BAR: usize = 4;
/// Offset of each print inside its bar, ms.
const PRINT_OFFSETS_MS: [u64; PRINTS_PER_BAR] = [0, 15_000, 30_000, 45_000];
const NS_PER_MS: u64 = 1_000_000;

/// Why a kline file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BarError {
    /// The file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV layer failed (bad quoting, bad UTF-8, …).
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The CSV error.
        #[source]
        source: csv::Error,
    },
    /// The header names no `open_time`, `open`, `high`, `low` and `close` columns.
    #[error("{path}: not a kline file (needs open_time, open, high, low, close columns)")]
    NotKlines {
        /// The file.
        path: PathBuf,
    },
    /// A row is not a valid bar.
    #[error("{path}, line {line}: {reason}")]
    InvalidBar {
        /// The file.
        path: PathBuf,
        /// Line number (1-based, header included).
        line: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The file holds no bar.
    #[error("{path}: no bars")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Bars of the tape do not strictly follow each other in time.
    #[error("{path}: bar at {open_ms} ms does not follow the previous one")]
    OutOfOrder {
        /// The file.
        path: PathBuf,
        /// Open time of the offending bar.
        open_ms: u64,
    },
}

/// One 1-minute bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Bar start, ms since the Unix epoch (UTC).
    pub open_ms: u64,
    /// Open price.
    pub open: f64,
    /// High price.
    pub high: f64,
    /// Low price.
    pub low: f64,
    /// Close price.
    pub close: f64,
    /// Traded base quantity (0 in mark/index-price files).
    pub volume: f64,
}

impl Bar {
    /// The bar's four prints in the order the tape replays them (see the module docs).
    #[must_use]
    pub fn path(&self) -> [f64; PRINTS_PER_BAR] {
        if self.close >= self.open {
            [self.open, self.low, self.high, self.close]
        } else {
            [self.open, self.high, self.low, self.close]
        }
    }

    /// Event time of print `index` of the bar, ns.
    #[must_use]
    pub fn print_time_ns(&self, index: usize) -> u64 {
        (self.open_ms + PRINT_OFFSETS_MS[index % PRINTS_PER_BAR]) * NS_PER_MS
    }

    /// High − low over open: the bar's range as a fraction of price.
    #[must_use]
    pub fn range(&self) -> f64 {
        (self.high - self.low) / self.open
    }
}

/// A named sequence of bars of one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct Tape {
    /// Name shown in reports (the data directory's name, or the file's stem).
    pub name: String,
    /// Venue symbol, from the file name (`BTCUSDT-um-1m-….csv` → `BTCUSDT`).
    pub symbol: String,
    /// The bars, strictly increasing in time.
    pub bars: Vec<Bar>,
}

impl Tape {
    /// The venue stream the symbol belongs to: Binance COIN-M for `…_PERP` (and other `_`
    /// delivery names without a `USDT` quote), Binance USDⓈ-M otherwise.
    #[must_use]
    pub fn source(&self) -> Source {
        if self.symbol.contains('_') && !self.symbol.contains("USDT") {
            Source::BinanceCoinmFutures
        } else {
            Source::BinanceUsdmFutures
        }
    }

    /// Reads the kline files `paths` (in any order) into one tape named `name`.
    ///
    /// # Errors
    /// A [`BarError`] for the first unreadable file, invalid bar, or when bars of the files
    /// overlap.
    pub fn read(name: &str, paths: &[PathBuf]) -> Result<Self, BarError> {
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            files.push((path, read_bars(path)?));
        }
        files.sort_by_key(|(_, bars)| bars.first().map(|b| b.open_ms));
        let mut bars: Vec<Bar> = Vec::new();
        for (path, file_bars) in files {
            if let (Some(last), Some(first)) = (bars.last(), file_bars.first())
                && first.open_ms <= last.open_ms
            {
                return Err(BarError::OutOfOrder {
                    path: path.clone(),
                    open_ms: first.open_ms,
                });
            }
            bars.extend(file_bars);
        }
        let symbol = paths.first().map_or_else(String::new, |p| symbol_of(p));
        Ok(Self {
            name: name.to_owned(),
            symbol,
            bars,
        })
    }
}

/// The symbol a Binance kline file name starts with (up to its first `-`).
fn symbol_of(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    stem.split('-').next().unwrap_or(stem).to_owned()
}

/// The kline files under `dir`, grouped into tapes: one tape per directory (`dir` itself and
/// each subdirectory) and symbol, named after the directory (and the symbol, when a directory
/// holds several), sorted by name. A file is a kline file when its name ends in `.csv` and its
/// first line is a kline header or a headerless kline row.
///
/// # Errors
/// [`BarError::Io`] when `dir` or a subdirectory cannot be listed.
pub fn discover(dir: &Path) -> Result<Vec<(String, Vec<PathBuf>)>, BarError> {
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(
        sorted_entries(dir)?
            .into_iter()
            .filter(|path| path.is_dir()),
    );
    let mut tapes = Vec::new();
    for sub in dirs {
        let mut by_symbol: Vec<(String, Vec<PathBuf>)> = Vec::new();
        for file in sorted_entries(&sub)? {
            if file.extension().is_none_or(|ext| ext != "csv") || !looks_like_klines(&file) {
                continue;
            }
            let symbol = symbol_of(&file);
            match by_symbol.iter_mut().find(|(s, _)| *s == symbol) {
                Some((_, files)) => files.push(file),
                None => by_symbol.push((symbol, vec![file])),
            }
        }
        let dir_name = sub.file_name().and_then(|n| n.to_str()).unwrap_or("data");
        let several = by_symbol.len() > 1;
        tapes.extend(by_symbol.into_iter().map(|(symbol, files)| {
            let name = if several {
                format!("{dir_name} {symbol}")
            } else {
                dir_name.to_owned()
            };
            (name, files)
        }));
    }
    tapes.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(tapes)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, BarError> {
    let io = |source| BarError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    entries.sort();
    Ok(entries)
}

/// Whether the first line of `path` is a kline header or a kline row.
fn looks_like_klines(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut first = String::new();
    if BufReader::new(file).read_line(&mut first).is_err() {
        return false;
    }
    let fields: Vec<&str> = first.trim().split(',').collect();
    fields.first() == Some(&"open_time")
        || (fields.len() >= 5 && fields.iter().take(5).all(|f| f.parse::<f64>().is_ok()))
}

/// Column positions of a kline file.
#[derive(Debug, Clone, Copy)]
struct Columns {
    open_time: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    volume: Option<usize>,
}

/// Binance's headerless layout: `open_time, open, high, low, close, volume, …`.
const BINANCE_COLUMNS: Columns = Columns {
    open_time: 0,
    open: 1,
    high: 2,
    low: 3,
    close: 4,
    volume: Some(5),
};

/// Reads the bars of one kline file, validating every row.
///
/// # Errors
/// See [`BarError`].
pub fn read_bars(path: &Path) -> Result<Vec<Bar>, BarError> {
    let file = File::open(path).map_err(|source| BarError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let csv_error = |source| BarError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file);
    let mut bars: Vec<Bar> = Vec::new();
    let mut columns = None;
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, csv::Position::line);
        let invalid = |reason| BarError::InvalidBar {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let columns = match columns {
            Some(columns) => columns,
            None if record.get(0) == Some("open_time") => {
                let find = |name| record.iter().position(|field| field == name);
                let found = Columns {
                    open_time: 0,
                    open: find("open").ok_or_else(|| not_klines(path))?,
                    high: find("high").ok_or_else(|| not_klines(path))?,
                    low: find("low").ok_or_else(|| not_klines(path))?,
                    close: find("close").ok_or_else(|| not_klines(path))?,
                    volume: find("volume"),
                };
                columns = Some(found);
                continue;
            }
            None => *columns.insert(BINANCE_COLUMNS),
        };
        let bar = parse_bar(&record, columns).map_err(invalid)?;
        if bars.last().is_some_and(|last| bar.open_ms <= last.open_ms) {
            return Err(BarError::OutOfOrder {
                path: path.to_path_buf(),
                open_ms: bar.open_ms,
            });
        }
        bars.push(bar);
    }
    if bars.is_empty() {
        return Err(BarError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(bars)
}

fn not_klines(path: &Path) -> BarError {
    BarError::NotKlines {
        path: path.to_path_buf(),
    }
}

fn parse_bar(record: &csv::StringRecord, columns: Columns) -> Result<Bar, &'static str> {
    let price = |index: usize| -> Result<f64, &'static str> {
        let value: f64 = record
            .get(index)
            .ok_or("missing price column")?
            .trim()
            .parse()
            .map_err(|_| "price is not a number")?;
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err("price is not finite and positive")
        }
    };
    let open_ms = record
        .get(columns.open_time)
        .ok_or("missing open_time")?
        .trim()
        .parse::<u64>()
        .map_err(|_| "open_time is not an integer of milliseconds")?;
    if open_ms % BAR_MS != 0 || open_ms > u64::MAX / NS_PER_MS - BAR_MS {
        return Err("open_time is not a whole minute in range");
    }
    let volume = match columns.volume.and_then(|i| record.get(i)) {
        Some(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or("volume is not a finite non-negative number")?,
        None => 0.0,
    };
    let bar = Bar {
        open_ms,
        open: price(columns.open)?,
        high: price(columns.high)?,
        low: price(columns.low)?,
        close: price(columns.close)?,
        volume,
    };
    if bar.high < bar.open.max(bar.close) || bar.low > bar.open.min(bar.close) {
        return Err("high below open/close or low above them");
    }
    Ok(bar)
}

/// A Binance futures `trade` message for `symbol` at `ns` (event and transaction time).
#[must_use]
pub fn trade_message(symbol: &str, ns: u64, id: u64, price: f64, quantity: f64) -> Vec<u8> {
    let ms = ns / NS_PER_MS;
    format!(
        r#"{{"e":"trade","E":{ms},"T":{ms},"s":"{symbol}","t":{id},"p":"{price}","q":"{quantity:.3}","m":false}}"#
    )
    .into_bytes()
}

/// A Binance futures `bookTicker` for `symbol` at `ns` whose two sides together hold `depth`
/// quote units at a 1 bp spread around `price`: recal reads a book top's notional as the depth
/// inside ±1 %.
#[must_use]
pub fn book_ticker_message(symbol: &str, ns: u64, id: u64, price: f64, depth: f64) -> Vec<u8> {
    let ms = ns / NS_PER_MS;
    let (bid, ask) = (price * (1.0 - 0.000_05), price * (1.0 + 0.000_05));
    let size = depth / (bid + ask);
    format!(
        r#"{{"e":"bookTicker","u":{id},"E":{ms},"T":{ms},"s":"{symbol}","b":"{bid}","B":"{size:.3}","a":"{ask}","A":"{size:.3}"}}"#
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        let mut file = File::create(&path).unwrap();
        file.write_all(text.as_bytes()).unwrap();
        path
    }

    #[test]
    fn reads_headed_and_headerless_files_and_orders_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let headed = write(
            dir.path(),
            "BTCUSDT-um-1m-a.csv",
            "open_time,open,high,low,close,volume,count\n\
             60000,100,101,99,100.5,2.5,10\n120000,100.5,100.6,98,99,0,1\n",
        );
        let bare = write(
            dir.path(),
            "BTCUSDT-1m-b.csv",
            "180000,99,99.5,98.5,99.2,1,0,0,0,0,0,0\n",
        );
        let tape = Tape::read("t", &[bare, headed]).unwrap();
        assert_eq!(tape.symbol, "BTCUSDT");
        assert_eq!(tape.source(), Source::BinanceUsdmFutures);
        assert_eq!(tape.bars.len(), 3);
        assert_eq!(tape.bars[0].path(), [100.0, 99.0, 101.0, 100.5]);
        assert_eq!(tape.bars[1].path(), [100.5, 100.6, 98.0, 99.0]);
        assert_eq!(tape.bars[2].print_time_ns(3), 225_000_000_000);
    }

    #[test]
    fn bad_rows_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "open_time,open,high,low,close\n60000,100,99,98,100\n",
                "high below",
            ),
            (
                "open_time,open,high,low,close\n60000,100,NaN,98,100\n",
                "finite",
            ),
            (
                "open_time,open,high,low,close\n60001,100,101,98,100\n",
                "whole minute",
            ),
            ("open_time,open,high,low,close\n60000,100\n", "missing"),
            ("open_time,price\n60000,100\n", "not a kline file"),
            ("open_time,open,high,low,close\n", "no bars"),
            (
                "open_time,open,high,low,close\n120000,1,1,1,1\n60000,1,1,1,1\n",
                "does not follow",
            ),
        ];
        for (text, expected) in cases {
            let path = write(dir.path(), "X-1m.csv", text);
            let error = read_bars(&path).unwrap_err().to_string();
            assert!(error.contains(expected), "{error} should say {expected}");
        }
    }

    #[test]
    fn discovery_groups_kline_files_per_directory_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let crash = dir.path().join("crash-a");
        std::fs::create_dir(&crash).unwrap();
        let row = "open_time,open,high,low,close\n60000,1,1,1,1\n";
        write(&crash, "BTCUSD_PERP-1m-1.csv", row);
        write(&crash, "BTCUSD_PERP-1m-2.csv", row);
        write(&crash, "BTCUSDT-bookDepth.csv", "timestamp,percentage\n");
        write(dir.path(), "notes.md", "# hi");
        let tapes = discover(dir.path()).unwrap();
        assert_eq!(tapes.len(), 1);
        assert_eq!(tapes[0].0, "crash-a");
        assert_eq!(tapes[0].1.len(), 2);
        let tape = Tape {
            name: String::new(),
            symbol: "BTCUSD_PERP".into(),
            bars: Vec::new(),
        };
        assert_eq!(tape.source(), Source::BinanceCoinmFutures);
    }
}
