//! Generic CSVs whose columns are named on the command line: OHLC bars (`--format ohlc`) and
//! trades (`--format trades`).

use anyhow::Context;
use recal_types::Source;

use super::bars::{self, Bar, BarSettings};
use super::input::{Table, field};
use super::messages::{binance_trade, deribit_trade};
use super::numbers::{positive, value};
use super::report::{FileReport, Notes, Skip, count};
use super::time::{TimeUnit, parse};
use super::{ConvertArgs, Line};

fn symbol(args: &ConvertArgs) -> anyhow::Result<String> {
    args.symbol
        .clone()
        .context("generic CSVs need --symbol (the venue's instrument name)")
}

fn time_column(table: &Table, args: &ConvertArgs) -> anyhow::Result<usize> {
    let name = args
        .time_col
        .as_deref()
        .context("generic CSVs need --time-col (and --time-unit)")?;
    table.column(name)
}

/// Converts an OHLC file.
pub(crate) fn convert_ohlc(
    table: &mut Table,
    args: &ConvertArgs,
    report: &mut FileReport,
    out: &mut Vec<Line>,
) -> anyhow::Result<()> {
    let time = time_column(table, args)?;
    let unit = args.time_unit_or(TimeUnit::Ms);
    let prices = [
        &args.open_col,
        &args.high_col,
        &args.low_col,
        &args.close_col,
    ];
    let [open, high, low, close] = prices.map(|name| table.column(name));
    let (open, high, low, close) = (open?, high?, low?, close?);
    let volume = match &args.volume_col {
        Some(name) => Some(table.column(name)?),
        None => table.optional_column("volume"),
    };
    let mut bars = Vec::new();
    table.rows(report, |row| {
        let start =
            parse(field(row, time), unit).ok_or_else(|| Skip::new("time does not parse"))?;
        let prices = [open, high, low, close].map(|column| field(row, column));
        bars.push(Bar::new(
            start,
            None,
            prices,
            volume.map(|column| field(row, column)),
        )?);
        Ok(())
    })?;
    let settings = BarSettings {
        path: args.bar_path,
        prints: args.bar_prints,
        length_ms: args.bar_ms,
        source: args.source.unwrap_or(Source::BinanceSpot),
        symbol: symbol(args)?,
    };
    bars::emit(bars, &settings, report, out);
    Ok(())
}

/// Converts a trades file. Without a side column the aggressor follows the tick rule (a print
/// above the previous one was bought, below sold, equal as the previous).
pub(crate) fn convert_trades(
    table: &mut Table,
    args: &ConvertArgs,
    report: &mut FileReport,
    out: &mut Vec<Line>,
) -> anyhow::Result<()> {
    let time = time_column(table, args)?;
    let unit = args.time_unit_or(TimeUnit::Ms);
    let price = table.column(&args.price_col)?;
    let size = table.column(&args.size_col)?;
    let side = args
        .side_col
        .as_deref()
        .map(|name| table.column(name))
        .transpose()?;
    let symbol = symbol(args)?;
    let source = args.source.unwrap_or(Source::BinanceSpot);
    if side.is_none() {
        report.note("no --side-col: aggressor by the tick rule (file-level note)");
    }
    let mut sequence = 0;
    let mut previous = (f64::NAN, true);
    let mut notes = Notes::new();
    table.rows(report, |row| {
        let time_ns =
            parse(field(row, time), unit).ok_or_else(|| Skip::new("time does not parse"))?;
        let price = positive(field(row, price), "price")?;
        let amount = positive(field(row, size), "size")?;
        let buy = match side.map(|column| field(row, column).to_ascii_lowercase()) {
            Some(side) if matches!(side.as_str(), "buy" | "b" | "bid") => true,
            Some(side) if matches!(side.as_str(), "sell" | "s" | "ask") => false,
            Some(_) => {
                count(&mut notes, "side neither buy nor sell: taken as a buy");
                true
            }
            None if value(price) > previous.0 => true,
            None if value(price) < previous.0 => false,
            None => previous.1,
        };
        previous = (value(price), buy);
        sequence += 1;
        let time_ms = time_ns / 1_000_000;
        let message = if source == Source::Deribit {
            deribit_trade(&symbol, time_ms, sequence, price, amount, buy)
        } else {
            binance_trade(&symbol, time_ms, sequence, price, amount, !buy)
        };
        out.push(Line {
            time_ns,
            recv_ns: time_ns,
            source,
            message,
        });
        Ok(())
    })?;
    report.merge_notes(notes);
    Ok(())
}
