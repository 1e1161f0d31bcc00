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
use crate::json::{self, Field, Json, object_fields};
use crate::sequence::Continuity;
use crate::{DecodeError, NameRole};

object_fields! {
    /// The JSON-RPC envelope.
    struct Envelope {
        method: "method",
        id: "id",
        params: "params",
    }
}

object_fields! {
    /// A subscription notification's `params`.
    struct Params {
        channel: "channel",
        data: "data",
    }
}

object_fields! {
    /// Every field of a `ticker` notification read by either kind of instrument.
    struct Ticker {
        instrument_name: "instrument_name",
        timestamp: "timestamp",
        mark_iv: "mark_iv",
        bid_iv: "bid_iv",
        ask_iv: "ask_iv",
        mark_price: "mark_price",
        greeks: "greeks",
        underlying_price: "underlying_price",
        open_interest: "open_interest",
        index_price: "index_price",
        current_funding: "current_funding",
        best_bid_price: "best_bid_price",
        best_bid_amount: "best_bid_amount",
        best_ask_price: "best_ask_price",
        best_ask_amount: "best_ask_amount",
    }
}

object_fields! {
    /// The venue's Greeks of an option ticker.
    struct Greeks {
        delta: "delta",
        vega: "vega",
    }
}

object_fields! {
    /// A `book` notification.
    struct Book {
        instrument_name: "instrument_name",
        timestamp: "timestamp",
        kind: "type",
        change_id: "change_id",
        prev_change_id: "prev_change_id",
        bids: "bids",
        asks: "asks",
    }
}

object_fields! {
    /// One print of a `trades` notification.
    struct Print {
        instrument_name: "instrument_name",
        timestamp: "timestamp",
        direction: "direction",
        price: "price",
        amount: "amount",
        trade_seq: "trade_seq",
    }
}

object_fields! {
    /// A `deribit_price_index` notification.
    struct Index {
        index_name: "index_name",
        timestamp: "timestamp",
        price: "price",
    }
}

/// Decodes one Deribit message.
pub(crate) fn decode(ctx: &mut Context<'_>, root: Json<'_>) -> Result<(), DecodeError> {
    let envelope = Envelope::of(root);
    match envelope.method().optional().and_then(json::as_str) {
        Some("subscription") => {}
        Some("heartbeat") => return Ok(()),
        _ if envelope.id().is_present() => return Ok(()),
        _ => return Err(DecodeError::UnsupportedMessage),
    }
    let params = Params::of(envelope.params().required()?);
    let channel = params.channel().string()?;
    let data = params.data().required()?;
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

fn ticker(ctx: &mut Context<'_>, data: Json<'_>) -> Result<(), DecodeError> {
    let fields = Ticker::of(data);
    let instrument = ctx.instrument_named(fields.instrument_name(), NameRole::Tradable)?;
    let time = ctx.millis(fields.timestamp())?;
    match ctx.kind_of(instrument) {
        Some(InstrumentKind::Option { .. }) => option_ticker(ctx, &fields, instrument, time),
        _ => future_ticker(ctx, &fields, instrument, time),
    }
}

fn option_ticker(
    ctx: &mut Context<'_>,
    fields: &Ticker<'_>,
    instrument: InstrumentId,
    time: Timestamp,
) -> Result<(), DecodeError> {
    let max_iv = ctx.config.max_implied_volatility;
    let quote = OptionQuote {
        mark_iv: implied_volatility(fields.mark_iv().number()?, "mark_iv", max_iv)?,
        bid_iv: optional_implied_volatility(fields.bid_iv(), max_iv)?,
        ask_iv: optional_implied_volatility(fields.ask_iv(), max_iv)?,
        mark_price: fields.mark_price().price()?,
    };
    let greeks = fields.greeks().optional().map(Greeks::of);
    let greeks = OptionGreeks {
        underlying_price: fields.underlying_price().price()?,
        open_interest: fields.open_interest().size()?,
        delta: greeks
            .map(|g| g.delta().optional_number())
            .transpose()?
            .flatten(),
        vega: greeks
            .map(|g| g.vega().optional_number())
            .transpose()?
            .flatten(),
    };
    ctx.emit(instrument, 0, time, Payload::OptionQuote(quote))?;
    ctx.emit(instrument, 0, time, Payload::OptionGreeks(greeks))
}

/// Perpetuals and futures: mark, index and funding, plus the top of book when both sides
/// are quoted (Deribit sends a zero or null price for an empty side).
fn future_ticker(
    ctx: &mut Context<'_>,
    fields: &Ticker<'_>,
    instrument: InstrumentId,
    time: Timestamp,
) -> Result<(), DecodeError> {
    let mark = FundingMark {
        mark_price: fields.mark_price().price()?,
        index_price: fields.index_price().optional_price()?,
        funding_rate: fields.current_funding().optional_number()?,
        next_funding_time: None,
    };
    ctx.emit(instrument, 0, time, Payload::FundingMark(mark))?;
    let bid = fields.best_bid_price().optional_number()?.unwrap_or(0.0);
    let ask = fields.best_ask_price().optional_number()?.unwrap_or(0.0);
    if bid > 0.0 && ask > 0.0 {
        let top = BestBidOffer {
            bid_price: bid,
            bid_size: fields.best_bid_amount().size()?,
            ask_price: ask,
            ask_size: fields.best_ask_amount().size()?,
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
fn optional_implied_volatility(field: Field<'_>, max: f64) -> Result<Option<f64>, DecodeError> {
    match field.optional_number()? {
        None | Some(0.0) => Ok(None),
        Some(percent) => implied_volatility(percent, field.key(), max).map(Some),
    }
}

fn book(ctx: &mut Context<'_>, data: Json<'_>) -> Result<(), DecodeError> {
    let fields = Book::of(data);
    let instrument = ctx.instrument_named(fields.instrument_name(), NameRole::Tradable)?;
    let time = ctx.millis(fields.timestamp())?;
    let change_id = fields.change_id().unsigned()?;
    let snapshot = match fields.kind().optional().and_then(json::as_str) {
        Some("snapshot") => true,
        Some("change") => false,
        // The grouped `book.{instrument}.{group}.{depth}.{interval}` channel has no type: every
        // message is a full snapshot of the top levels.
        None if !fields.prev_change_id().is_present() => true,
        None => false,
        Some(_) => return Err(DecodeError::WrongType("type")),
    };
    if snapshot {
        ctx.emit(instrument, change_id, time, Payload::BookSnapshotBegin)?;
        levels(ctx, &fields, instrument, change_id, time)?;
        ctx.emit(instrument, change_id, time, Payload::BookSnapshotEnd)?;
        ctx.books.set(instrument, Continuity::Live(change_id));
        return Ok(());
    }
    let previous = fields.prev_change_id().unsigned()?;
    match ctx.books.get(instrument) {
        Continuity::Live(last) if change_id <= last => Err(DecodeError::SequenceRegression),
        Continuity::Live(last) if previous == last => {
            levels(ctx, &fields, instrument, change_id, time)?;
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
    fields: &Book<'_>,
    instrument: InstrumentId,
    change_id: u64,
    time: Timestamp,
) -> Result<(), DecodeError> {
    for (levels, side) in [(fields.bids(), Side::Bid), (fields.asks(), Side::Ask)] {
        let key = levels.key();
        for entry in &levels.array()? {
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

fn trades(ctx: &mut Context<'_>, data: Json<'_>) -> Result<(), DecodeError> {
    let trades = data.as_array().ok_or(DecodeError::WrongType("data"))?;
    for trade in &trades {
        let fields = Print::of(trade);
        let instrument = ctx.instrument_named(fields.instrument_name(), NameRole::Tradable)?;
        let time = ctx.millis(fields.timestamp())?;
        let aggressor = match fields.direction().string()? {
            "buy" => Aggressor::Buy,
            "sell" => Aggressor::Sell,
            _ => return Err(DecodeError::WrongType("direction")),
        };
        let print = Trade {
            price: fields.price().price()?,
            size: fields.amount().positive_size()?,
            aggressor,
        };
        let sequence = fields.trade_seq().unsigned()?;
        ctx.emit(instrument, sequence, time, Payload::Trade(print))?;
    }
    Ok(())
}

fn index(ctx: &mut Context<'_>, data: Json<'_>) -> Result<(), DecodeError> {
    let fields = Index::of(data);
    let instrument = ctx.instrument_named(fields.index_name(), NameRole::Index)?;
    let time = ctx.millis(fields.timestamp())?;
    let price = Price {
        price: fields.price().price()?,
        confidence: None,
        ema_price: None,
        ema_confidence: None,
    };
    ctx.emit(instrument, 0, time, Payload::IndexPrice(price))
}
