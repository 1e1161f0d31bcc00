//! Option chains to Deribit-shaped `ticker` notifications: Tardis.dev `options_chain` files
//! (OKX, Deribit, Binance options, …) and the Deribit chain snapshots of
//! `deribit_data_collector` (`deribit_btc_options_*.csv`).
//!
//! Instruments take Deribit's naming (`BTC-31OCT25-80000-C`), built from the row's
//! underlying, expiry date (UTC), strike and right; Deribit rows keep their own names.
//! Implied volatilities are written in percent, as Deribit sends them: Tardis gives fractions
//! (moved two decimal places, exactly), the Deribit collector percent (kept). A row whose
//! mark IV is outside `(0, --max-iv]` is skipped; a bid or ask IV outside it is left out.
//! Venue Greeks are kept only from Deribit, whose Greeks are the plain Black-76 ones in USD
//! that the `ticker` carries; other venues' (OKX: coin-denominated, premium-adjusted delta)
//! would mean something else under a Deribit ticker, so they are left out.

use csv::StringRecord;
use recal_types::Source;

use super::input::{Table, field};
use super::messages::OptionTicker;
use super::numbers::{json_number, non_negative, optional, percent, positive, value};
use super::report::{FileReport, Notes, Skip, count};
use super::time::{TimeUnit, deribit_date, parse};
use super::{ConvertArgs, Line};

/// The Greeks a Deribit ticker carries, in its order.
const GREEKS: [&str; 5] = ["delta", "gamma", "vega", "theta", "rho"];

/// A strike in Deribit's spelling: `80000`, `0d625` (the decimal point as `d`).
fn deribit_strike(strike: &str) -> Option<String> {
    let strike = json_number(strike).filter(|s| !s.contains(['e', 'E', '-']))?;
    let strike = match strike.split_once('.') {
        Some((integer, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                integer.to_owned()
            } else {
                format!("{integer}d{fraction}")
            }
        }
        None => strike.to_owned(),
    };
    (value(&strike.replace('d', ".")) > 0.0).then_some(strike)
}

/// `percent_text` if its value as a fraction is in `(0, max]`.
fn in_range(percent_text: &str, max: f64) -> bool {
    let fraction = value(percent_text) / 100.0;
    fraction > 0.0 && fraction <= max
}

/// An optional bid/ask IV in percent: absent, zero (Deribit's "no order") or out of range
/// leave it out; the latter is noted.
fn side_iv(percent_text: Option<String>, max: f64, notes: &mut Notes) -> Option<String> {
    let text = percent_text?;
    if value(&text) == 0.0 {
        return None;
    }
    if in_range(&text, max) {
        Some(text)
    } else {
        count(notes, "bid or ask IV out of range: left out");
        None
    }
}

/// A best bid or ask: both price and amount positive.
fn quote<'a>(price: &'a str, amount: &'a str) -> Option<(&'a str, &'a str)> {
    let price = optional(price).filter(|price| value(price) > 0.0)?;
    let amount = optional(amount).filter(|amount| value(amount) > 0.0)?;
    Some((price, amount))
}

/// Converts one Tardis `options_chain` file.
pub(crate) fn convert_tardis(
    table: &mut Table,
    args: &ConvertArgs,
    report: &mut FileReport,
    out: &mut Vec<Line>,
) -> anyhow::Result<()> {
    let column = |name| table.column(name);
    let [
        exchange,
        symbol,
        time,
        local_time,
        right,
        strike,
        expiration,
    ] = [
        "exchange",
        "symbol",
        "timestamp",
        "local_timestamp",
        "type",
        "strike_price",
        "expiration",
    ]
    .map(column);
    let (exchange, symbol, time, local_time) = (exchange?, symbol?, time?, local_time?);
    let (right, strike, expiration) = (right?, strike?, expiration?);
    let [
        open_interest,
        last,
        bid,
        bid_amount,
        bid_iv,
        ask,
        ask_amount,
        ask_iv,
    ] = [
        "open_interest",
        "last_price",
        "bid_price",
        "bid_amount",
        "bid_iv",
        "ask_price",
        "ask_amount",
        "ask_iv",
    ]
    .map(column);
    let (open_interest, last, bid, bid_amount) = (open_interest?, last?, bid?, bid_amount?);
    let (bid_iv, ask, ask_amount, ask_iv) = (bid_iv?, ask?, ask_amount?, ask_iv?);
    let [mark, mark_iv, index, underlying] = [
        "mark_price",
        "mark_iv",
        "underlying_index",
        "underlying_price",
    ]
    .map(column);
    let (mark, mark_iv, index, underlying) = (mark?, mark_iv?, index?, underlying?);
    let greeks: Vec<(&str, Option<usize>)> = GREEKS
        .iter()
        .map(|name| (*name, table.optional_column(name)))
        .collect();
    let mut notes = Notes::new();
    table.rows(report, |row| {
        let time_ns = parse(field(row, time), TimeUnit::Us)
            .ok_or_else(|| Skip::new("timestamp does not parse"))?;
        let recv_ns = parse(field(row, local_time), TimeUnit::Us).unwrap_or(time_ns);
        let deribit = field(row, exchange) == "deribit";
        let name = if deribit {
            field(row, symbol).to_owned()
        } else {
            deribit_name(row, [symbol, index, expiration, strike, right])?
        };
        let mark_iv = percent(positive(field(row, mark_iv), "mark_iv")?);
        if !in_range(&mark_iv, args.max_iv) {
            return Err(Skip::new("mark_iv out of range"));
        }
        let side = |column| optional(field(row, column)).map(percent);
        let ticker = OptionTicker {
            instrument: &name,
            time_ms: time_ns / 1_000_000,
            mark_price: positive(field(row, mark), "mark_price")?,
            mark_iv: &mark_iv,
            bid_iv: side_iv(side(bid_iv), args.max_iv, &mut notes).as_deref(),
            ask_iv: side_iv(side(ask_iv), args.max_iv, &mut notes).as_deref(),
            underlying_price: positive(field(row, underlying), "underlying_price")?,
            underlying_index: Some(field(row, index)).filter(|index| !index.is_empty()),
            index_price: None,
            open_interest: non_negative(field(row, open_interest), "open_interest")?,
            best_bid: quote(field(row, bid), field(row, bid_amount)),
            best_ask: quote(field(row, ask), field(row, ask_amount)),
            last_price: optional(field(row, last)).filter(|last| value(last) > 0.0),
            greeks: if deribit {
                greeks
                    .iter()
                    .filter_map(|(name, column)| Some((*name, optional(field(row, (*column)?))?)))
                    .collect()
            } else {
                Vec::new()
            },
        }
        .to_json();
        out.push(Line {
            time_ns,
            recv_ns,
            source: Source::Deribit,
            message: ticker,
        });
        Ok(())
    })?;
    report.merge_notes(notes);
    Ok(())
}

/// Deribit's name for a Tardis chain row of another venue: underlying from
/// `underlying_index` (`BTC-USD` → `BTC`, else the symbol's first part), date from
/// `expiration` (µs), strike, right from `type`.
fn deribit_name(
    row: &StringRecord,
    [symbol, index, expiration, strike, right]: [usize; 5],
) -> Result<String, Skip> {
    let underlying = [field(row, index), field(row, symbol)]
        .into_iter()
        .find_map(|text| {
            text.split(['-', '_'])
                .next()
                .filter(|base| !base.is_empty())
        })
        .ok_or_else(|| Skip::new("no underlying"))?
        .to_ascii_uppercase();
    let date = parse(field(row, expiration), TimeUnit::Us)
        .and_then(deribit_date)
        .ok_or_else(|| Skip::new("expiration does not parse"))?;
    let strike = deribit_strike(field(row, strike))
        .ok_or_else(|| Skip::new("strike_price is not a positive number"))?;
    let right = match field(row, right) {
        "call" | "C" | "c" => "C",
        "put" | "P" | "p" => "P",
        _ => return Err(Skip::new("type is neither call nor put")),
    };
    Ok(format!("{underlying}-{date}-{strike}-{right}"))
}

/// The `(name, value)` pairs of a Python dict printed as text
/// (`{'vega': 5.49167, 'delta': -0.43897}`), numbers only, in `GREEKS` order.
fn python_greeks(text: &str) -> Vec<(&'static str, &str)> {
    let pairs: Vec<(&str, &str)> = text
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .filter_map(|pair| {
            let (key, value) = pair.split_once(':')?;
            Some((
                key.trim().trim_matches(['\'', '"']),
                json_number(value.trim())?,
            ))
        })
        .collect();
    GREEKS
        .iter()
        .filter_map(|greek| {
            pairs
                .iter()
                .find(|(key, _)| key == greek)
                .map(|(_, value)| (*greek, *value))
        })
        .collect()
}

/// Converts one Deribit chain snapshot file.
pub(crate) fn convert_deribit(
    table: &mut Table,
    args: &ConvertArgs,
    report: &mut FileReport,
    out: &mut Vec<Line>,
) -> anyhow::Result<()> {
    let column = |name| table.column(name);
    let [name, time, mark, mark_iv, underlying, open_interest] = [
        "instrument_name",
        "timestamp",
        "mark_price",
        "mark_iv",
        "underlying_price",
        "open_interest",
    ]
    .map(column);
    let (name, time, mark, mark_iv) = (name?, time?, mark?, mark_iv?);
    let (underlying, open_interest) = (underlying?, open_interest?);
    let optional_column = |name| table.optional_column(name);
    let [bid_iv, ask_iv, index, index_price, last, greeks] = [
        "bid_iv",
        "ask_iv",
        "underlying_index",
        "index_price",
        "last_price",
        "greeks",
    ]
    .map(optional_column);
    let [bid, bid_amount, ask, ask_amount] = [
        "best_bid_price",
        "best_bid_amount",
        "best_ask_price",
        "best_ask_amount",
    ]
    .map(optional_column);
    let mut notes = Notes::new();
    table.rows(report, |row| {
        let get = |column: Option<usize>| column.map_or("", |column| field(row, column));
        let time_ns = parse(field(row, time), TimeUnit::Ms)
            .ok_or_else(|| Skip::new("timestamp does not parse"))?;
        let mark_iv = positive(field(row, mark_iv), "mark_iv")?;
        if !in_range(mark_iv, args.max_iv) {
            return Err(Skip::new("mark_iv out of range"));
        }
        let side = |column| optional(get(column)).map(str::to_owned);
        let ticker = OptionTicker {
            instrument: field(row, name),
            time_ms: time_ns / 1_000_000,
            mark_price: positive(field(row, mark), "mark_price")?,
            mark_iv,
            bid_iv: side_iv(side(bid_iv), args.max_iv, &mut notes).as_deref(),
            ask_iv: side_iv(side(ask_iv), args.max_iv, &mut notes).as_deref(),
            underlying_price: positive(field(row, underlying), "underlying_price")?,
            underlying_index: Some(get(index)).filter(|index| !index.is_empty()),
            index_price: optional(get(index_price)).filter(|price| value(price) > 0.0),
            open_interest: non_negative(field(row, open_interest), "open_interest")?,
            best_bid: quote(get(bid), get(bid_amount)),
            best_ask: quote(get(ask), get(ask_amount)),
            last_price: optional(get(last)).filter(|last| value(last) > 0.0),
            greeks: python_greeks(get(greeks)),
        }
        .to_json();
        out.push(Line {
            time_ns,
            recv_ns: time_ns,
            source: Source::Deribit,
            message: ticker,
        });
        Ok(())
    })?;
    report.merge_notes(notes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strikes_in_deribit_spelling() {
        assert_eq!(deribit_strike("80000").as_deref(), Some("80000"));
        assert_eq!(deribit_strike("9250.0").as_deref(), Some("9250"));
        assert_eq!(deribit_strike("0.625").as_deref(), Some("0d625"));
        assert_eq!(deribit_strike("0"), None);
        assert_eq!(deribit_strike("-5"), None);
        assert_eq!(deribit_strike("1e5"), None);
    }

    #[test]
    fn greeks_from_python_text() {
        let text =
            "{'vega': 5.49167, 'theta': -26.07217, 'rho': -0.99385, 'gamma': 7e-05, 'delta': nan}";
        assert_eq!(
            python_greeks(text),
            vec![
                ("gamma", "7e-05"),
                ("vega", "5.49167"),
                ("theta", "-26.07217"),
                ("rho", "-0.99385")
            ]
        );
        assert!(python_greeks("").is_empty());
    }
}
