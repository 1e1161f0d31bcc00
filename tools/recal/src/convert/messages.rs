//! Venue-shaped JSON messages, written the way the venues send them so that recal-feed
//! decodes them through its ordinary paths. Number fields take the CSV text verbatim (checked
//! to be JSON numbers); names are escaped as JSON strings.

use std::fmt::Write;

/// A JSON string literal of `text`.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

/// A Binance `trade` stream event (spot or futures): `m` is whether the buyer was the maker,
/// i.e. the seller took liquidity.
pub(crate) fn binance_trade(
    symbol: &str,
    time_ms: u64,
    trade_id: u64,
    price: &str,
    quantity: &str,
    buyer_is_maker: bool,
) -> String {
    format!(
        r#"{{"e":"trade","E":{time_ms},"T":{time_ms},"s":{},"t":{trade_id},"p":"{price}","q":"{quantity}","m":{buyer_is_maker}}}"#,
        quoted(symbol)
    )
}

/// A Binance futures `markPriceUpdate` with the mark price only.
pub(crate) fn binance_mark_price(symbol: &str, time_ms: u64, price: &str) -> String {
    format!(
        r#"{{"e":"markPriceUpdate","E":{time_ms},"s":{},"p":"{price}"}}"#,
        quoted(symbol)
    )
}

/// A Deribit `trades.{instrument}.raw` notification carrying one trade.
pub(crate) fn deribit_trade(
    instrument: &str,
    time_ms: u64,
    trade_seq: u64,
    price: &str,
    amount: &str,
    buy: bool,
) -> String {
    let name = quoted(instrument);
    let direction = if buy { "buy" } else { "sell" };
    format!(
        r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"trades.{instrument}.raw","data":[{{"trade_seq":{trade_seq},"timestamp":{time_ms},"price":{price},"amount":{amount},"direction":"{direction}","instrument_name":{name}}}]}}}}"#,
        instrument = name.trim_matches('"'),
    )
}

/// The fields of a Deribit option `ticker` notification (implied volatilities in percent, as
/// Deribit sends them). Optional fields are left out when `None`.
#[derive(Debug, Default)]
pub(crate) struct OptionTicker<'a> {
    pub(crate) instrument: &'a str,
    pub(crate) time_ms: u64,
    pub(crate) mark_price: &'a str,
    pub(crate) mark_iv: &'a str,
    pub(crate) bid_iv: Option<&'a str>,
    pub(crate) ask_iv: Option<&'a str>,
    pub(crate) underlying_price: &'a str,
    pub(crate) underlying_index: Option<&'a str>,
    pub(crate) index_price: Option<&'a str>,
    pub(crate) open_interest: &'a str,
    pub(crate) best_bid: Option<(&'a str, &'a str)>,
    pub(crate) best_ask: Option<(&'a str, &'a str)>,
    pub(crate) last_price: Option<&'a str>,
    /// Venue Greeks as `(name, value)`.
    pub(crate) greeks: Vec<(&'a str, &'a str)>,
}

impl OptionTicker<'_> {
    /// The `ticker.{instrument}.100ms` notification.
    pub(crate) fn to_json(&self) -> String {
        let name = quoted(self.instrument);
        let mut data = format!(
            r#"{{"instrument_name":{name},"timestamp":{},"mark_price":{},"mark_iv":{},"underlying_price":{},"open_interest":{}"#,
            self.time_ms, self.mark_price, self.mark_iv, self.underlying_price, self.open_interest
        );
        let mut number = |key: &str, value: Option<&str>| {
            if let Some(value) = value {
                let _ = write!(data, r#","{key}":{value}"#);
            }
        };
        number("bid_iv", self.bid_iv);
        number("ask_iv", self.ask_iv);
        number("index_price", self.index_price);
        number("last_price", self.last_price);
        number("best_bid_price", self.best_bid.map(|(price, _)| price));
        number("best_bid_amount", self.best_bid.map(|(_, amount)| amount));
        number("best_ask_price", self.best_ask.map(|(price, _)| price));
        number("best_ask_amount", self.best_ask.map(|(_, amount)| amount));
        if let Some(index) = self.underlying_index {
            let _ = write!(data, r#","underlying_index":{}"#, quoted(index));
        }
        if !self.greeks.is_empty() {
            data.push_str(r#","greeks":{"#);
            for (position, (key, value)) in self.greeks.iter().enumerate() {
                let comma = if position == 0 { "" } else { "," };
                let _ = write!(data, r#"{comma}"{key}":{value}"#);
            }
            data.push('}');
        }
        data.push('}');
        format!(
            r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"ticker.{}.100ms","data":{data}}}}}"#,
            name.trim_matches('"')
        )
    }
}

/// A recal/1 `book_snapshot` of a venue instrument: levels as `(price, size)` text.
pub(crate) fn book_snapshot(
    venue: &str,
    instrument: &str,
    time_ns: u64,
    sequence: u64,
    bids: &[(String, String)],
    asks: &[(String, String)],
) -> String {
    let side = |levels: &[(String, String)]| {
        let entries: Vec<String> = levels
            .iter()
            .map(|(price, size)| format!(r#"["{price}","{size}"]"#))
            .collect();
        entries.join(",")
    };
    format!(
        r#"{{"schema":"recal/1","type":"book_snapshot","ts":{time_ns},"seq":{sequence},"venue":"{venue}","instrument":{},"bids":[{}],"asks":[{}]}}"#,
        quoted(instrument),
        side(bids),
        side(asks)
    )
}
