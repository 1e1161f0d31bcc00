//! Binance futures `bookDepth` files to recal/1 `book_snapshot` messages.
//!
//! A bookDepth row gives, for one snapshot time and one band (`percentage` −5…−1 bids, 1…5
//! asks, within that percentage of the mid), the cumulative base `depth` and quote `notional`
//! from the mid out to the band's edge. Each band's increment over the next-inner band
//! becomes one level: size = Δdepth, price = Δnotional / Δdepth (the band's volume-weighted
//! price). The synthetic book so built has exactly the file's cumulative depth and notional
//! at every band edge. A band with no increment makes no level.

use std::collections::BTreeMap;

use anyhow::Context;
use recal_types::Source;

use super::input::{Table, field};
use super::klines::futures_market;
use super::messages::book_snapshot;
use super::numbers::{non_negative, value};
use super::report::{FileReport, Skip};
use super::time::{TimeUnit, parse};
use super::{ConvertArgs, Line};

/// One band of one snapshot.
struct Band {
    percentage: f64,
    depth: f64,
    notional: f64,
    /// Decimal places of `depth` as written (the venue's quantity precision).
    depth_decimals: usize,
}

/// Decimal places of a number written as text.
fn decimals(text: &str) -> usize {
    text.split_once('.')
        .map_or(0, |(_, fraction)| fraction.len())
}

/// The rows of one snapshot time, in file order.
struct Snapshot {
    time_ns: u64,
    bands: Vec<Band>,
    rows: u64,
}

/// One side's levels from its bands (sorted from the mid out), or why they make no sense.
/// Sizes are written to the precision of the depths they are differences of, so that
/// `2665.106` does not come out as `2665.1059999999998`.
fn levels(bands: &mut [&Band]) -> Result<Vec<(String, String)>, Skip> {
    bands.sort_by(|a, b| a.percentage.abs().total_cmp(&b.percentage.abs()));
    let mut levels = Vec::new();
    let (mut depth, mut notional, mut precision) = (0.0, 0.0, 0);
    for band in bands.iter() {
        let places = precision.max(band.depth_decimals);
        precision = band.depth_decimals;
        let (size, quote) = (band.depth - depth, band.notional - notional);
        if size < 0.0 || quote < 0.0 {
            return Err(Skip::new("cumulative depth or notional shrinks outwards"));
        }
        if size > 0.0 && quote > 0.0 {
            levels.push(((quote / size).to_string(), format!("{size:.places$}")));
        }
        (depth, notional) = (band.depth, band.notional);
    }
    Ok(levels)
}

/// Converts one bookDepth file.
pub(crate) fn convert(
    table: &mut Table,
    args: &ConvertArgs,
    report: &mut FileReport,
    out: &mut Vec<Line>,
) -> anyhow::Result<()> {
    let name = report
        .path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("")
        .to_owned();
    let symbol = match &args.symbol {
        Some(symbol) => symbol.clone(),
        None => name
            .split('-')
            .next()
            .filter(|prefix| !prefix.is_empty())
            .map(str::to_ascii_uppercase)
            .with_context(|| format!("cannot tell the symbol of {name}: pass --symbol"))?,
    };
    let source = args.source.unwrap_or_else(|| futures_market(&symbol));
    let [time, percentage, depth, notional] =
        ["timestamp", "percentage", "depth", "notional"].map(|column| table.column(column));
    let (time, percentage, depth, notional) = (time?, percentage?, depth?, notional?);
    let mut snapshots: BTreeMap<u64, Snapshot> = BTreeMap::new();
    table.rows(report, |row| {
        let time_ns = parse(field(row, time), args.time_unit_or(TimeUnit::Iso))
            .ok_or_else(|| Skip::new("timestamp does not parse"))?;
        let band = Band {
            percentage: field(row, percentage)
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite() && *p != 0.0)
                .ok_or_else(|| Skip::new("percentage is not a non-zero number"))?,
            depth: value(non_negative(field(row, depth), "depth")?),
            depth_decimals: decimals(field(row, depth)),
            notional: value(non_negative(field(row, notional), "notional")?),
        };
        let snapshot = snapshots.entry(time_ns).or_insert_with(|| Snapshot {
            time_ns,
            bands: Vec::new(),
            rows: 0,
        });
        snapshot.bands.push(band);
        snapshot.rows += 1;
        Ok(())
    })?;
    for (sequence, snapshot) in (1..).zip(snapshots.values()) {
        let mut bids: Vec<&Band> = snapshot
            .bands
            .iter()
            .filter(|band| band.percentage < 0.0)
            .collect();
        let mut asks: Vec<&Band> = snapshot
            .bands
            .iter()
            .filter(|band| band.percentage > 0.0)
            .collect();
        let sides = levels(&mut bids).and_then(|bids| Ok((bids, levels(&mut asks)?)));
        let (bids, asks) = match sides {
            Ok(sides) => sides,
            Err(skip) => {
                for _ in 0..snapshot.rows {
                    report.skip(skip.clone());
                }
                continue;
            }
        };
        if bids.len() + asks.len() < snapshot.bands.len() {
            report.note("snapshot with a band of no depth of its own (no level for it)");
        }
        let message = book_snapshot(
            source.name(),
            &symbol,
            snapshot.time_ns,
            sequence,
            &bids,
            &asks,
        );
        out.push(Line {
            time_ns: snapshot.time_ns,
            recv_ns: snapshot.time_ns,
            source: Source::Recal,
            message,
        });
    }
    Ok(())
}
