//! Tardis.dev `trades` files (`exchange,symbol,timestamp,local_timestamp,id,side,price,amount`)
//! to venue-shaped trades.
//!
//! The venue decides the shape: `deribit` → Deribit `trades` notifications; `binance`,
//! `binance-futures`, `binance-delivery` → Binance `trade` events of spot, USDⓈ-M, COIN-M;
//! any other exchange (recal has no decoder of its own for it: Gemini, Coinbase, …) →
//! Binance-spot-shaped `trade` events under `binance-spot`, the symbol stripped of `-` and `/`
//! (`BTC-USD` → `BTCUSD`). `--source` forces the source. Times: `timestamp` (exchange time,
//! µs) is the event time, `local_timestamp` (capture time) the receive time.

use recal_types::Source;

use super::input::{Table, field};
use super::messages::{binance_trade, deribit_trade};
use super::numbers::positive;
use super::report::{FileReport, Notes, Skip, count};
use super::time::{TimeUnit, parse};
use super::{ConvertArgs, Line};

/// The source whose shape trades of `exchange` take.
fn source_of(exchange: &str) -> Source {
    match exchange {
        "deribit" => Source::Deribit,
        "binance-futures" => Source::BinanceUsdmFutures,
        "binance-delivery" => Source::BinanceCoinmFutures,
        _ => Source::BinanceSpot,
    }
}

/// Converts one Tardis trades file.
pub(crate) fn convert(
    table: &mut Table,
    args: &ConvertArgs,
    report: &mut FileReport,
    out: &mut Vec<Line>,
) -> anyhow::Result<()> {
    let columns = [
        "exchange",
        "symbol",
        "timestamp",
        "local_timestamp",
        "id",
        "side",
        "price",
        "amount",
    ]
    .map(|column| table.column(column));
    let [exchange, symbol, time, local_time, id, side, price, amount] = columns;
    let (exchange, symbol, time, local_time) = (exchange?, symbol?, time?, local_time?);
    let (id, side, price, amount) = (id?, side?, price?, amount?);
    let mut row_number = 0;
    let mut notes = Notes::new();
    table.rows(report, |row| {
        row_number += 1;
        let time_ns = parse(field(row, time), TimeUnit::Us)
            .ok_or_else(|| Skip::new("timestamp does not parse"))?;
        let recv_ns = parse(field(row, local_time), TimeUnit::Us).unwrap_or(time_ns);
        let venue = field(row, exchange);
        let source = args.source.unwrap_or_else(|| source_of(venue));
        let price = positive(field(row, price), "price")?;
        let amount = positive(field(row, amount), "amount")?;
        let buy = match field(row, side) {
            "buy" => true,
            "sell" => false,
            _ => {
                count(&mut notes, "side unknown: taken as a buy");
                true
            }
        };
        let sequence = field(row, id).parse().unwrap_or(row_number);
        let time_ms = time_ns / 1_000_000;
        let name = field(row, symbol);
        let message = if source == Source::Deribit {
            deribit_trade(name, time_ms, sequence, price, amount, buy)
        } else {
            if source == Source::BinanceSpot && !venue.starts_with("binance") {
                count(
                    &mut notes,
                    "exchange without a decoder of its own: carried as binance-spot trades",
                );
            }
            let symbol: String = name
                .chars()
                .filter(|c| !matches!(c, '-' | '/'))
                .map(|c| c.to_ascii_uppercase())
                .collect();
            binance_trade(&symbol, time_ms, sequence, price, amount, !buy)
        };
        out.push(Line {
            time_ns,
            recv_ns,
            source,
            message,
        });
        Ok(())
    })?;
    report.merge_notes(notes);
    Ok(())
}
