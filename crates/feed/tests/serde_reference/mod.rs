//! Test support: the same venue messages decoded the conventional way, with `serde_json` into
//! derived structs (allocating, no validation beyond the types), so tests can check the
//! decoder against an independent implementation and a later bench can compare the two.
//!
//! Numbers: JSON numbers go through serde_json with `float_roundtrip` (correctly rounded),
//! decimal strings through `str::parse::<f64>`.

use recal_types::{
    Aggressor, Balance, BestBidOffer, BookLevel, CollateralChange, FundingMark, MacroValue,
    OpenInterest, OptionGreeks, OptionQuote, Payload, PositionChange, Price, Side, Source,
    Timestamp, Trade,
};
use serde::Deserialize;
use serde_json::value::RawValue;

/// One decoded event, identified by its instrument's name instead of an interned id.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceEvent {
    /// The instrument's name as the venue spells it.
    pub instrument: String,
    /// The venue's sequence number, or 0.
    pub sequence: u64,
    /// Event time; `None` when the message has none (the decoder then uses the receive time).
    pub time: Option<Timestamp>,
    /// The typed body.
    pub payload: Payload,
}

/// Decodes `message` from `source`; `Err` for anything serde cannot map.
pub fn decode(source: Source, message: &str) -> Result<Vec<ReferenceEvent>, serde_json::Error> {
    match source {
        Source::Deribit => deribit(message),
        Source::BinanceSpot | Source::BinanceUsdmFutures | Source::BinanceCoinmFutures => {
            binance(message)
        }
        Source::Pyth => pyth(message),
        Source::Recal => recal(message),
    }
}

fn event(
    instrument: &str,
    sequence: u64,
    time: Option<Timestamp>,
    payload: Payload,
) -> ReferenceEvent {
    ReferenceEvent {
        instrument: instrument.to_owned(),
        sequence,
        time,
        payload,
    }
}

fn millis(ms: u64) -> Option<Timestamp> {
    Some(Timestamp::from_nanos(ms * 1_000_000))
}

fn decimal(text: &str) -> f64 {
    text.parse().expect("decimal string")
}

#[derive(Deserialize)]
struct DeribitNotification<'a> {
    method: Option<&'a str>,
    #[serde(borrow)]
    params: Option<DeribitParams<'a>>,
}

#[derive(Deserialize)]
struct DeribitParams<'a> {
    channel: &'a str,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct DeribitGreeks {
    delta: Option<f64>,
    vega: Option<f64>,
}

#[derive(Deserialize)]
struct DeribitTicker {
    instrument_name: String,
    timestamp: u64,
    mark_price: f64,
    mark_iv: Option<f64>,
    bid_iv: Option<f64>,
    ask_iv: Option<f64>,
    underlying_price: Option<f64>,
    open_interest: f64,
    greeks: Option<DeribitGreeks>,
    index_price: Option<f64>,
    current_funding: Option<f64>,
    best_bid_price: Option<f64>,
    best_bid_amount: Option<f64>,
    best_ask_price: Option<f64>,
    best_ask_amount: Option<f64>,
}

#[derive(Deserialize)]
struct DeribitBook {
    #[serde(rename = "type")]
    kind: Option<String>,
    timestamp: u64,
    instrument_name: String,
    change_id: u64,
    bids: Vec<(String, f64, f64)>,
    asks: Vec<(String, f64, f64)>,
}

#[derive(Deserialize)]
struct DeribitTrade {
    trade_seq: u64,
    timestamp: u64,
    price: f64,
    amount: f64,
    direction: String,
    instrument_name: String,
}

#[derive(Deserialize)]
struct DeribitIndex {
    timestamp: u64,
    price: f64,
    index_name: String,
}

fn deribit(message: &str) -> Result<Vec<ReferenceEvent>, serde_json::Error> {
    let notification: DeribitNotification<'_> = serde_json::from_str(message)?;
    let (Some("subscription"), Some(params)) = (notification.method, notification.params) else {
        return Ok(Vec::new());
    };
    let data = params.data.get();
    let mut events = Vec::new();
    match params.channel.split('.').next() {
        Some("ticker") => {
            let t: DeribitTicker = serde_json::from_str(data)?;
            let time = millis(t.timestamp);
            let name = &t.instrument_name;
            if name.split('-').count() == 4 {
                let iv = |value: Option<f64>| value.filter(|v| *v != 0.0).map(|v| v / 100.0);
                let greeks = t.greeks.as_ref();
                events.push(event(
                    name,
                    0,
                    time,
                    Payload::OptionQuote(OptionQuote {
                        mark_iv: t.mark_iv.unwrap_or_default() / 100.0,
                        bid_iv: iv(t.bid_iv),
                        ask_iv: iv(t.ask_iv),
                        mark_price: t.mark_price,
                    }),
                ));
                events.push(event(
                    name,
                    0,
                    time,
                    Payload::OptionGreeks(OptionGreeks {
                        underlying_price: t.underlying_price.unwrap_or_default(),
                        open_interest: t.open_interest,
                        delta: greeks.and_then(|g| g.delta),
                        vega: greeks.and_then(|g| g.vega),
                    }),
                ));
            } else {
                events.push(event(
                    name,
                    0,
                    time,
                    Payload::FundingMark(FundingMark {
                        mark_price: t.mark_price,
                        index_price: t.index_price,
                        funding_rate: t.current_funding,
                        next_funding_time: None,
                    }),
                ));
                let (bid, ask) = (
                    t.best_bid_price.unwrap_or(0.0),
                    t.best_ask_price.unwrap_or(0.0),
                );
                if bid > 0.0 && ask > 0.0 {
                    events.push(event(
                        name,
                        0,
                        time,
                        Payload::BestBidOffer(BestBidOffer {
                            bid_price: bid,
                            bid_size: t.best_bid_amount.unwrap_or_default(),
                            ask_price: ask,
                            ask_size: t.best_ask_amount.unwrap_or_default(),
                        }),
                    ));
                }
            }
        }
        Some("book") => {
            let book: DeribitBook = serde_json::from_str(data)?;
            let time = millis(book.timestamp);
            let snapshot = book.kind.as_deref() != Some("change");
            let at = |payload| event(&book.instrument_name, book.change_id, time, payload);
            if snapshot {
                events.push(at(Payload::BookSnapshotBegin));
            }
            for (levels, side) in [(&book.bids, Side::Bid), (&book.asks, Side::Ask)] {
                for (action, price, size) in levels {
                    let size = if action == "delete" { 0.0 } else { *size };
                    events.push(at(Payload::BookLevel(BookLevel {
                        side,
                        price: *price,
                        size,
                    })));
                }
            }
            if snapshot {
                events.push(at(Payload::BookSnapshotEnd));
            }
        }
        Some("trades") => {
            let trades: Vec<DeribitTrade> = serde_json::from_str(data)?;
            for t in trades {
                let aggressor = if t.direction == "sell" {
                    Aggressor::Sell
                } else {
                    Aggressor::Buy
                };
                let payload = Payload::Trade(Trade {
                    price: t.price,
                    size: t.amount,
                    aggressor,
                });
                events.push(event(
                    &t.instrument_name,
                    t.trade_seq,
                    millis(t.timestamp),
                    payload,
                ));
            }
        }
        Some("deribit_price_index") => {
            let index: DeribitIndex = serde_json::from_str(data)?;
            let price = Price {
                price: index.price,
                confidence: None,
                ema_price: None,
                ema_confidence: None,
            };
            events.push(event(
                &index.index_name,
                0,
                millis(index.timestamp),
                Payload::IndexPrice(price),
            ));
        }
        _ => {}
    }
    Ok(events)
}

#[derive(Deserialize)]
struct BinanceEnvelope<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// Every field any of the four Binance events uses; `b`/`a` are strings in `bookTicker` and
/// level arrays in `depthUpdate` and `a` is the aggregate trade id in `aggTrade`, hence the untagged [`PriceOrLevels`].
#[derive(Deserialize)]
#[allow(
    non_snake_case,
    reason = "Binance's single-letter keys differ only by case"
)]
struct BinanceEvent {
    e: Option<String>,
    E: Option<u64>,
    T: Option<u64>,
    s: Option<String>,
    t: Option<u64>,
    p: Option<String>,
    q: Option<String>,
    m: Option<bool>,
    u: Option<u64>,
    i: Option<String>,
    r: Option<String>,
    b: Option<PriceOrLevels>,
    B: Option<String>,
    a: Option<PriceOrLevels>,
    A: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PriceOrLevels {
    AggregateTradeId(u64),
    Price(String),
    Levels(Vec<(String, String)>),
}

fn binance(message: &str) -> Result<Vec<ReferenceEvent>, serde_json::Error> {
    let envelope: BinanceEnvelope<'_> = serde_json::from_str(message)?;
    let body = envelope.data.map_or(message, RawValue::get);
    let e: BinanceEvent = serde_json::from_str(body)?;
    let Some(symbol) = e.s.as_deref() else {
        return Ok(Vec::new());
    };
    let time = millis(e.T.or(e.E).unwrap_or_default()).filter(|_| e.T.or(e.E).is_some());
    let text = |field: &Option<String>| decimal(field.as_deref().unwrap_or_default());
    let price = |field: &Option<PriceOrLevels>| match field {
        Some(PriceOrLevels::Price(p)) => decimal(p),
        _ => f64::NAN,
    };
    let mut events = Vec::new();
    match e.e.as_deref() {
        Some("trade" | "aggTrade") => {
            let aggressor = if e.m == Some(true) {
                Aggressor::Sell
            } else {
                Aggressor::Buy
            };
            let payload = Payload::Trade(Trade {
                price: text(&e.p),
                size: text(&e.q),
                aggressor,
            });
            let aggregate_id = match e.a {
                Some(PriceOrLevels::AggregateTradeId(id)) => Some(id),
                _ => None,
            };
            let sequence = e.t.or(aggregate_id).unwrap_or_default();
            events.push(event(symbol, sequence, time, payload));
        }
        Some("depthUpdate") => {
            let sequence = e.u.unwrap_or_default();
            for (levels, side) in [(&e.b, Side::Bid), (&e.a, Side::Ask)] {
                if let Some(PriceOrLevels::Levels(levels)) = levels {
                    for (p, q) in levels {
                        let payload = Payload::BookLevel(BookLevel {
                            side,
                            price: decimal(p),
                            size: decimal(q),
                        });
                        events.push(event(symbol, sequence, time, payload));
                    }
                }
            }
        }
        Some("markPriceUpdate") => {
            let payload = Payload::FundingMark(FundingMark {
                mark_price: text(&e.p),
                index_price: e.i.as_deref().map(decimal),
                funding_rate: e.r.as_deref().filter(|r| !r.is_empty()).map(decimal),
                next_funding_time: e.T.filter(|t| *t > 0).and_then(millis),
            });
            events.push(event(symbol, 0, millis(e.E.unwrap_or_default()), payload));
        }
        Some("bookTicker") | None => {
            let payload = Payload::BestBidOffer(BestBidOffer {
                bid_price: price(&e.b),
                bid_size: text(&e.B),
                ask_price: price(&e.a),
                ask_size: text(&e.A),
            });
            events.push(event(symbol, e.u.unwrap_or_default(), time, payload));
        }
        Some(_) => {}
    }
    Ok(events)
}

#[derive(Deserialize)]
struct PythMessage {
    parsed: Option<Vec<PythFeed>>,
    price_feed: Option<PythFeed>,
}

#[derive(Deserialize)]
struct PythFeed {
    id: String,
    price: PythPrice,
    ema_price: Option<PythPrice>,
    metadata: Option<PythMetadata>,
}

#[derive(Deserialize)]
struct PythPrice {
    price: String,
    conf: String,
    expo: i32,
    publish_time: u64,
}

#[derive(Deserialize)]
struct PythMetadata {
    slot: Option<u64>,
}

fn pyth(message: &str) -> Result<Vec<ReferenceEvent>, serde_json::Error> {
    let message: PythMessage = serde_json::from_str(message)?;
    let scaled = |mantissa: &str, expo: i32| decimal(&format!("{mantissa}e{expo}"));
    let feeds = message
        .parsed
        .unwrap_or_default()
        .into_iter()
        .chain(message.price_feed);
    Ok(feeds
        .map(|feed| {
            let ema = feed.ema_price.as_ref();
            let price = Price {
                price: scaled(&feed.price.price, feed.price.expo),
                confidence: Some(scaled(&feed.price.conf, feed.price.expo)),
                ema_price: ema.map(|e| scaled(&e.price, e.expo)),
                ema_confidence: ema.map(|e| scaled(&e.conf, e.expo)),
            };
            let slot = feed.metadata.and_then(|m| m.slot).unwrap_or_default();
            let time = Timestamp::from_unix_seconds(feed.price.publish_time);
            event(&feed.id, slot, time, Payload::OraclePrice(price))
        })
        .collect())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Amount {
    Text(String),
    Number(f64),
}

impl Amount {
    fn value(&self) -> f64 {
        match self {
            Self::Text(text) => decimal(text),
            Self::Number(number) => *number,
        }
    }
}

#[derive(Deserialize)]
struct RecalMessage {
    #[serde(rename = "type")]
    kind: String,
    ts: u64,
    seq: Option<u64>,
    market: Option<String>,
    asset: Option<String>,
    series: Option<String>,
    account: Option<u64>,
    size: Option<Amount>,
    entry_price: Option<Amount>,
    collateral: Option<Amount>,
    balance: Option<Amount>,
    total: Option<Amount>,
    long: Option<Amount>,
    short: Option<Amount>,
    value: Option<Amount>,
}

fn recal(message: &str) -> Result<Vec<ReferenceEvent>, serde_json::Error> {
    let m: RecalMessage = serde_json::from_str(message)?;
    let amount = |field: &Option<Amount>| field.as_ref().map_or(f64::NAN, Amount::value);
    let account = m.account.unwrap_or_default();
    let (name, payload) = match m.kind.as_str() {
        "position" => (
            &m.market,
            Payload::PositionChange(PositionChange {
                account,
                size: amount(&m.size),
                entry_price: m.entry_price.as_ref().map(Amount::value),
            }),
        ),
        "collateral" => (
            &m.asset,
            Payload::CollateralChange(CollateralChange {
                account,
                collateral: amount(&m.collateral),
            }),
        ),
        "insurance_fund" => (
            &m.asset,
            Payload::InsuranceFund(Balance {
                amount: amount(&m.balance),
            }),
        ),
        "total_collateral" => (
            &m.asset,
            Payload::TotalCollateral(Balance {
                amount: amount(&m.total),
            }),
        ),
        "open_interest" => (
            &m.market,
            Payload::OpenInterest(OpenInterest {
                long: amount(&m.long),
                short: amount(&m.short),
            }),
        ),
        "macro" => (
            &m.series,
            Payload::MacroValue(MacroValue {
                value: amount(&m.value),
            }),
        ),
        _ => return Ok(Vec::new()),
    };
    let name = name.as_deref().unwrap_or_default();
    Ok(vec![event(
        name,
        m.seq.unwrap_or_default(),
        Some(Timestamp::from_nanos(m.ts)),
        payload,
    )])
}
