//! Bars (OHLC) to prints: the path a bar is assumed to have taken, and the Binance-shaped
//! messages that carry it.

use recal_types::Source;

use super::Line;
use super::messages::{binance_mark_price, binance_trade};
use super::numbers::{positive, value};
use super::report::{FileReport, Skip};

const NANOS_PER_MILLI: u64 = 1_000_000;

/// Which prices of a bar become prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum BarPath {
    /// Four prints: the open at the bar's start, the two extremes at one and two thirds of
    /// the bar, the close 1 ms before its end. A bar that closed up (close ≥ open) is taken to
    /// have gone open → low → high → close, one that closed down open → high → low → close.
    Ohlc,
    /// One print: the close, 1 ms before the bar's end.
    Close,
}

/// Which message a print becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum BarPrints {
    /// `trade` when the file has any volume, `markPriceUpdate` when every bar's volume is 0
    /// or absent (mark- or index-price klines).
    Auto,
    /// Binance `trade`s, the bar's volume split evenly over its prints.
    Trade,
    /// Binance futures `markPriceUpdate`s.
    Mark,
}

/// One bar as read.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    /// Bar start, nanoseconds since the epoch.
    pub(crate) start_ns: u64,
    /// Bar length when the file says (Binance `close_time` + 1 ms − `open_time`).
    pub(crate) length_ns: Option<u64>,
    pub(crate) open: String,
    pub(crate) high: String,
    pub(crate) low: String,
    pub(crate) close: String,
    /// Traded volume, if the file has it.
    pub(crate) volume: Option<f64>,
}

impl Bar {
    /// A bar from its text fields, checked: prices positive, the high and low bounding the
    /// open and close.
    pub(crate) fn new(
        start_ns: u64,
        length_ns: Option<u64>,
        [open, high, low, close]: [&str; 4],
        volume: Option<&str>,
    ) -> Result<Self, Skip> {
        let open = positive(open, "open")?;
        let high = positive(high, "high")?;
        let low = positive(low, "low")?;
        let close = positive(close, "close")?;
        let (o, h, l, c) = (value(open), value(high), value(low), value(close));
        if h < o.max(c) || l > o.min(c) {
            return Err(Skip::new("high and low do not bound open and close"));
        }
        let volume = match volume {
            None | Some("") => None,
            Some(text) => Some(value(super::numbers::non_negative(text, "volume")?)),
        };
        Ok(Self {
            start_ns,
            length_ns,
            open: open.to_owned(),
            high: high.to_owned(),
            low: low.to_owned(),
            close: close.to_owned(),
            volume,
        })
    }

    fn prints(&self, path: BarPath, length_ms: u64) -> Vec<(u64, &str)> {
        let start = self.start_ns / NANOS_PER_MILLI;
        let last = start + length_ms.saturating_sub(1);
        match path {
            BarPath::Close => vec![(last, &self.close)],
            BarPath::Ohlc => {
                let up = value(&self.close) >= value(&self.open);
                let (first, second) = if up {
                    (&self.low, &self.high)
                } else {
                    (&self.high, &self.low)
                };
                vec![
                    (start, &self.open),
                    (start + length_ms / 3, first),
                    (start + 2 * length_ms / 3, second),
                    (last, &self.close),
                ]
            }
        }
    }
}

/// How bars become lines.
#[derive(Debug, Clone)]
pub(crate) struct BarSettings {
    pub(crate) path: BarPath,
    pub(crate) prints: BarPrints,
    /// Bar length in milliseconds, if given on the command line.
    pub(crate) length_ms: Option<u64>,
    pub(crate) source: Source,
    pub(crate) symbol: String,
}

/// The bar length: given, else from the file's close times, else the smallest step between
/// bar starts, else one minute.
fn bar_length_ms(bars: &[Bar], settings: &BarSettings, report: &mut FileReport) -> u64 {
    if let Some(length) = settings.length_ms {
        return length;
    }
    if let Some(length) = bars.iter().find_map(|bar| bar.length_ns) {
        return length / NANOS_PER_MILLI;
    }
    let step = bars
        .windows(2)
        .map(|pair| pair[1].start_ns - pair[0].start_ns)
        .filter(|&step| step > 0)
        .min();
    step.map_or_else(
        || {
            report.note("bar length unknown (one bar): one minute assumed");
            60_000
        },
        |step| step / NANOS_PER_MILLI,
    )
}

/// Turns `bars` (any order) into lines.
pub(crate) fn emit(
    mut bars: Vec<Bar>,
    settings: &BarSettings,
    report: &mut FileReport,
    out: &mut Vec<Line>,
) {
    bars.sort_by_key(|bar| bar.start_ns);
    let before = bars.len();
    bars.dedup_by_key(|bar| bar.start_ns);
    for _ in bars.len()..before {
        report.skip(Skip::new("duplicate bar start"));
    }
    let length_ms = bar_length_ms(&bars, settings, report);
    let trades = match settings.prints {
        BarPrints::Trade => true,
        BarPrints::Mark => false,
        BarPrints::Auto => bars
            .iter()
            .any(|bar| bar.volume.is_some_and(|volume| volume > 0.0)),
    };
    let mut trade_id = 0;
    let mut previous_price = f64::NAN;
    for bar in &bars {
        let prints = bar.prints(settings.path, length_ms);
        let size = bar.volume.unwrap_or(0.0) / prints.len() as f64;
        if trades && size <= 0.0 {
            report.skip(Skip::new("bar without volume: no trade to print"));
            continue;
        }
        for (time_ms, price) in prints {
            let message = if trades {
                trade_id += 1;
                let down = value(price) < previous_price;
                previous_price = value(price);
                binance_trade(
                    &settings.symbol,
                    time_ms,
                    trade_id,
                    price,
                    &size.to_string(),
                    down,
                )
            } else {
                binance_mark_price(&settings.symbol, time_ms, price)
            };
            out.push(Line {
                time_ns: time_ms * NANOS_PER_MILLI,
                recv_ns: time_ms * NANOS_PER_MILLI,
                source: settings.source,
                message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(open: &str, high: &str, low: &str, close: &str) -> Bar {
        Bar::new(
            60_000 * NANOS_PER_MILLI,
            None,
            [open, high, low, close],
            Some("8"),
        )
        .unwrap()
    }

    #[test]
    fn a_bar_that_closed_up_dips_first() {
        let up = bar("100", "110", "95", "105");
        assert_eq!(
            up.prints(BarPath::Ohlc, 60_000),
            vec![
                (60_000, "100"),
                (80_000, "95"),
                (100_000, "110"),
                (119_999, "105")
            ]
        );
        let down = bar("100", "110", "95", "97");
        assert_eq!(
            down.prints(BarPath::Ohlc, 60_000)[1..3],
            [(80_000, "110"), (100_000, "95")]
        );
        assert_eq!(down.prints(BarPath::Close, 60_000), vec![(119_999, "97")]);
    }

    #[test]
    fn inconsistent_bars_are_refused() {
        let bad = Bar::new(0, None, ["100", "99", "95", "98"], None);
        assert_eq!(
            bad.unwrap_err(),
            Skip::new("high and low do not bound open and close")
        );
        let bad = Bar::new(0, None, ["100", "110", "0", "98"], None);
        assert_eq!(bad.unwrap_err(), Skip::new("low is not positive"));
    }
}
