//! Deribit JSON-RPC subscription notifications (API v2, "Subscriptions" section of
//! <https://docs.deribit.com/>): `ticker.{instrument}.{interval}`,
//! `book.{instrument}.{interval}` (snapshot, then changes chained by `prev_change_id`),
//! `trades.{instrument}.{interval}` and `deribit_price_index.{index}`.
//!
//! Units: prices as Deribit quotes them (option prices in the base currency for inverse
//! options), sizes in contracts, implied volatilities converted from percent to a fraction
//! (one correctly rounded division by 100). Control messages (JSON-RPC responses, heartbeats)
//! decode to no events.

use recal_types::{
    Aggressor, BestBidOffer, BookLevel, FeedGap, FundingMark, InstrumentId, InstrumentKind,
    OptionGreeks, OptionQuote, Payload, Price, Side, Timestamp, Trade,
};

use crate::context::Context;
use crate::json::{self, Json};
use crate::sequence::Continuity;
use crate::{DecodeError, NameRole};

/// Decodes one Deribit message.
pub(crate) fn decode(ctx: &mut Context<'_>, root: Json<'_, '_>) -> Result<(), DecodeError> {
    match json::optional(root, "method").and_then(json::as_str) {
        Some("subscription") => {}
        Some("heartbeat") => return Ok(()),
        _ if json::optional(root, "id").is_some() => return Ok(()),
        _ => return Err(DecodeError::UnsupportedMessage),
    }
    let params = json::required(root, "params")?;
    let channel = json::string(params, "channel")?;
    let data = json::required(params, "data")?;
    match channel
        .split_once('.')
        .map_or(channel, |(prefix, _)| prefix)
    {
        "ticker" => ticker(ctx, data),
        "book" => book(ctx, data),
        "trades" => trades(ctx, data),
        "deribit_price_index" => index(ctx, data),
        _ => Err(DecodeError::UnsupportedMessage),
    }
}

fn ticker(ctx: &mut Context<'_>, data: Json<'_, '_>) -> Result<(), DecodeError> {
    let instrument = ctx.instrument(data, "instrument_name", NameRole::Tradable)?;
    let time = ctx.millis(data, "timestamp")?;
    match ctx.kind_of(instrument) {
        Some(InstrumentKind::Option { .. }) => option_ticker(ctx, data, instrument, time),
        _ => future_ticker(ctx, data, instrument, time),
    }
}

fn option_ticker(
    ctx: &mut Context<'_>,
    data: Json<'_, '_>,
    instrument: InstrumentId,
    time: Timestamp,
) -> Result<(), DecodeError> {
    let max_iv = ctx.config.max_implied_volatility;
    let quote = OptionQuote {
        mark_iv: implied_volatility(json::number(data, "mark_iv")?, "mark_iv", max_iv)?,
        bid_iv: optional_implied_volatility(data, "bid_iv", max_iv)?,
        ask_iv: optional_implied_volatility(data, "ask_iv", max_iv)?,
        mark_price: json::price(data, "mark_price")?,
    };
    let greeks = json::optional(data, "greeks");
    let greek = |key| greeks.map(|g| json::optional_number(g, key)).transpose();
    let greeks = OptionGreeks {
        underlying_price: json::price(data, "underlying_price")?,
        open_interest: json::size(data, "open_interest")?,
        delta: greek("delta")?.flatten(),
        vega: greek("vega")?.flatten(),
    };
    ctx.emit(instrument, 0, time, Payload::OptionQuote(quote))?;
    ctx.emit(instrument, 0, time, Payload::OptionGreeks(greeks))
}

/// Perpetuals and futures: mark, index and funding, plus the top of book when both sides
/// are quoted (Deribit sends a zero or null price for an empty side).
fn future_ticker(
    ctx: &mut Context<'_>,
    data: Json<'_, '_>,
    instrument: InstrumentId,
    time: Timestamp,
) -> Result<(), DecodeError> {
    let mark = FundingMark {
        mark_price: json::price(data, "mark_price")?,
        index_price: json::optional_number(data, "index_price")?
            .map(|index| json::positive_price(index, "index_price"))
            .transpose()?,
        funding_rate: json::optional_number(data, "current_funding")?,
        next_funding_time: None,
    };
    ctx.emit(instrument, 0, time, Payload::FundingMark(mark))?;
    let bid = json::optional_number(data, "best_bid_price")?.unwrap_or(0.0);
    let ask = json::optional_number(data, "best_ask_price")?.unwrap_or(0.0);
    if bid > 0.0 && ask > 0.0 {
        let top = BestBidOffer {
            bid_price: bid,
            bid_size: json::size(data, "best_bid_amount")?,
            ask_price: ask,
            ask_size: json::size(data, "best_ask_amount")?,
        };
        ctx.emit(instrument, 0, time, Payload::BestBidOffer(top))?;
    }
    Ok(())
}

/// Percent to fraction, in `(0, max]`.
fn implied_volatility(percent: f64, key: &'static str, max: f64) -> Result<f64, DecodeError> {
    let fraction = percent / 100.0;
    if fraction > 0.0 && fraction <= max {
        Ok(fraction)
    } else {
        Err(DecodeError::ImpliedVolatilityOutOfRange(key))
    }
}

/// Deribit sends 0 (or omits the field) when there is no order on that side.
fn optional_implied_volatility(
    data: Json<'_, '_>,
    key: &'static str,
    max: f64,
) -> Result<Option<f64>, DecodeError> {
    match json::optional_number(data, key)? {
        None | Some(0.0) => Ok(None),
        Some(percent) => implied_volatility(percent, key, max).map(Some),
    }
}

fn book(ctx: &mut Context<'_>, data: Json<'_, '_>) -> Result<(), DecodeError> {
    let instrument = ctx.instrument(data, "instrument_name", NameRole::Tradable)?;
    let time = ctx.millis(data, "timestamp")?;
    let change_id = json::unsigned(data, "change_id")?;
    let snapshot = match json::optional(data, "type").and_then(json::as_str) {
        Some("snapshot") => true,
        Some("change") => false,
        // The grouped `book.{instrument}.{group}.{depth}.{interval}` channel has no type: every
        // message is a full snapshot of the top levels.
        None if json::optional(data, "prev_change_id").is_none() => true,
        None => false,
        Some(_) => return Err(DecodeError::WrongType("type")),
    };
    if snapshot {
        ctx.emit(instrument, change_id, time, Payload::BookSnapshotBegin)?;
        levels(ctx, data, instrument, change_id, time)?;
        ctx.emit(instrument, change_id, time, Payload::BookSnapshotEnd)?;
        ctx.books.set(instrument, Continuity::Live(change_id));
        return Ok(());
    }
    let previous = json::unsigned(data, "prev_change_id")?;
    match ctx.books.get(instrument) {
        Continuity::Live(last) if change_id <= last => Err(DecodeError::SequenceRegression),
        Continuity::Live(last) if previous == last => {
            levels(ctx, data, instrument, change_id, time)?;
            ctx.books.set(instrument, Continuity::Live(change_id));
            Ok(())
        }
        Continuity::Live(last) => {
            let gap = FeedGap {
                expected: last,
                received: previous,
            };
            ctx.emit(instrument, change_id, time, Payload::FeedGap(gap))?;
            ctx.books.set(instrument, Continuity::Stale);
            ctx.gap = true;
            Ok(())
        }
        Continuity::Unknown | Continuity::Stale => Err(DecodeError::BookStale),
    }
}

/// The `bids` and `asks` arrays: `[action, price, amount]` with action `new`, `change` or
/// `delete` (a delete has size 0).
fn levels(
    ctx: &mut Context<'_>,
    data: Json<'_, '_>,
    instrument: InstrumentId,
    change_id: u64,
    time: Timestamp,
) -> Result<(), DecodeError> {
    for (key, side) in [("bids", Side::Bid), ("asks", Side::Ask)] {
        for entry in &json::array(data, key)? {
            let entry = entry.as_array().ok_or(DecodeError::WrongType(key))?;
            let field = |index| entry.get(index).ok_or(DecodeError::MissingField(key));
            let action = json::as_str(field(0)?).ok_or(DecodeError::WrongType(key))?;
            let price = json::positive_price(json::as_number(field(1)?, key)?, key)?;
            let size = json::non_negative_size(json::as_number(field(2)?, key)?, key)?;
            let size = match action {
                "new" | "change" => size,
                "delete" => 0.0,
                _ => return Err(DecodeError::WrongType(key)),
            };
            let level = BookLevel { side, price, size };
            ctx.emit(instrument, change_id, time, Payload::BookLevel(level))?;
        }
    }
    Ok(())
}

fn trades(ctx: &mut Context<'_>, data: Json<'_, '_>) -> Result<(), DecodeError> {
    let trades = data.as_array().ok_or(DecodeError::WrongType("data"))?;
    for trade in &trades {
        let instrument = ctx.instrument(trade, "instrument_name", NameRole::Tradable)?;
        let time = ctx.millis(trade, "timestamp")?;
        let aggressor = match json::string(trade, "direction")? {
            "buy" => Aggressor::Buy,
            "sell" => Aggressor::Sell,
            _ => return Err(DecodeError::WrongType("direction")),
        };
        let print = Trade {
            price: json::price(trade, "price")?,
            size: json::positive_size(trade, "amount")?,
            aggressor,
        };
        let sequence = json::unsigned(trade, "trade_seq")?;
        ctx.emit(instrument, sequence, time, Payload::Trade(print))?;
    }
    Ok(())
}

fn index(ctx: &mut Context<'_>, data: Json<'_, '_>) -> Result<(), DecodeError> {
    let instrument = ctx.instrument(data, "index_name", NameRole::Index)?;
    let time = ctx.millis(data, "timestamp")?;
    let price = Price {
        price: json::price(data, "price")?,
        confidence: None,
        ema_price: None,
        ema_confidence: None,
    };
    ctx.emit(instrument, 0, time, Payload::IndexPrice(price))
}
