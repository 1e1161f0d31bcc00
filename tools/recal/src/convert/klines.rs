//! Binance kline files (public-data `…-1m-….csv`, with or without the header row; spot,
//! USDⓈ-M or COIN-M) to Binance-shaped prints.

use std::path::Path;

use anyhow::Context;
use recal_types::Source;

use super::bars::{self, Bar, BarSettings};
use super::input::{Table, field};
use super::report::{FileReport, Skip};
use super::{ConvertArgs, Line};

/// Binance's column order in header-less kline files.
const COLUMNS: [&str; 7] = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
];

/// A kline time: milliseconds, or microseconds (Binance spot files from 2025 on) when the
/// number is too large to be milliseconds.
fn kline_time(text: &str, column: &str) -> Result<u64, Skip> {
    let value: u64 = text
        .parse()
        .map_err(|_| Skip::new(format!("{column} is not an integer time")))?;
    let nanos = if value >= 100_000_000_000_000 {
        value.checked_mul(1_000)
    } else {
        value.checked_mul(1_000_000)
    };
    nanos.ok_or_else(|| Skip::new(format!("{column} out of range")))
}

/// The futures market of a Binance futures symbol: COIN-M for a USD-quoted pair
/// (`BTCUSD_PERP`, `BTCUSD_250328`), USDⓈ-M otherwise (`BTCUSDT`, `BTCUSDT_250328`).
pub(crate) fn futures_market(symbol: &str) -> Source {
    let pair = symbol.split('_').next().unwrap_or(symbol);
    if pair.ends_with("USD") {
        Source::BinanceCoinmFutures
    } else {
        Source::BinanceUsdmFutures
    }
}

/// The market a kline file is about, from `--symbol`/`--source` or its name:
/// `BTCUSDT-um-1m-…` (USDⓈ-M), `BTCUSD_PERP-1m-…` or `…-cm-…` (COIN-M).
pub(crate) fn market(path: &Path, args: &ConvertArgs) -> anyhow::Result<(String, Source)> {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    let symbol = match &args.symbol {
        Some(symbol) => symbol.clone(),
        None => name
            .split('-')
            .next()
            .filter(|prefix| !prefix.is_empty())
            .map(str::to_ascii_uppercase)
            .with_context(|| format!("cannot tell the symbol of {name}: pass --symbol"))?,
    };
    let source = match args.source {
        Some(source) => source,
        None if name.contains("-cm-") => Source::BinanceCoinmFutures,
        None if name.contains("-um-") => Source::BinanceUsdmFutures,
        None if symbol.contains('_') => futures_market(&symbol),
        None => anyhow::bail!(
            "cannot tell from its name whether {name} is spot, USDⓈ-M or COIN-M: pass --source {}|{}|{}",
            Source::BinanceSpot.name(),
            Source::BinanceUsdmFutures.name(),
            Source::BinanceCoinmFutures.name(),
        ),
    };
    Ok((symbol, source))
}

/// Converts one kline file.
pub(crate) fn convert(
    table: &mut Table,
    args: &ConvertArgs,
    report: &mut FileReport,
    out: &mut Vec<Line>,
) -> anyhow::Result<()> {
    let (symbol, source) = market(&report.path, args)?;
    let position = |index: usize| -> anyhow::Result<usize> {
        match &table.header {
            Some(_) => table.column(COLUMNS[index]),
            None => Ok(index),
        }
    };
    let [time, open, high, low, close] = [
        position(0)?,
        position(1)?,
        position(2)?,
        position(3)?,
        position(4)?,
    ];
    let (volume, close_time) = match &table.header {
        Some(_) => (
            table.optional_column("volume"),
            table.optional_column("close_time"),
        ),
        None => (Some(5), Some(6)),
    };
    let mut bars = Vec::new();
    table.rows(report, |row| {
        let start = kline_time(field(row, time), "open_time")?;
        let length = match close_time.map(|column| field(row, column)) {
            None | Some("") => None,
            Some(text) => Some(
                (kline_time(text, "close_time")? + 1_000_000)
                    .checked_sub(start)
                    .ok_or_else(|| Skip::new("close_time before open_time"))?,
            ),
        };
        let prices = [open, high, low, close].map(|column| field(row, column));
        bars.push(Bar::new(
            start,
            length,
            prices,
            volume.map(|column| field(row, column)),
        )?);
        Ok(())
    })?;
    let settings = BarSettings {
        path: args.bar_path,
        prints: args.bar_prints,
        length_ms: args.bar_ms,
        source,
        symbol,
    };
    bars::emit(bars, &settings, report, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn futures_markets_from_symbols() {
        assert_eq!(futures_market("BTCUSD_PERP"), Source::BinanceCoinmFutures);
        assert_eq!(futures_market("ETHUSD_250328"), Source::BinanceCoinmFutures);
        assert_eq!(futures_market("BTCUSDT_250328"), Source::BinanceUsdmFutures);
        assert_eq!(futures_market("BTCUSDT"), Source::BinanceUsdmFutures);
    }

    #[test]
    fn kline_times_in_ms_or_us() {
        assert_eq!(
            kline_time("1584003600000", "t"),
            Ok(1_584_003_600_000_000_000)
        );
        assert_eq!(
            kline_time("1735689600000000", "t"),
            Ok(1_735_689_600_000_000_000)
        );
        assert!(kline_time("x", "t").is_err());
    }
}
