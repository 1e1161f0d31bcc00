//! Binance stream events, spot (<https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams>)
//! and futures (<https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams>):
//! `trade`, `aggTrade`, `bookTicker`, `depthUpdate` and `markPriceUpdate`, bare or wrapped in a combined
//! stream (`{"stream":…,"data":…}`). The [`Source`](recal_types::Source) given to the decoder
//! says which market the symbol belongs to (spot `BTCUSDT` vs the USDⓈ-M perpetual `BTCUSDT`).
//!
//! Prices and quantities are decimal strings, parsed exactly. Depth updates are chained: each
//! must start at the previous final update id + 1 (spot: `U ≤ last + 1 ≤ u`; futures:
//! `pu == last`). A break emits a [`FeedGap`](recal_types::FeedGap) and then applies the update,
//! because the stream itself never carries a snapshot: consumers treat the book as partial
//! until it is resynchronised from a REST snapshot (the ingress's job). Subscription responses
//! (`{"result":null,"id":1}`) decode to no events.

use recal_types::{
    Aggressor, BestBidOffer, BookLevel, FeedGap, FundingMark, InstrumentId, Payload, Side,
    Timestamp, Trade,
};

use crate::context::Context;
use crate::json::{self, Json};
use crate::sequence::Continuity;
use crate::{DecodeError, NameRole};

/// Decodes one Binance message.
pub(crate) fn decode(ctx: &mut Context<'_>, root: Json<'_, '_>) -> Result<(), DecodeError> {
    let event = match (json::optional(root, "stream"), json::optional(root, "data")) {
        (Some(_), Some(data)) => data,
        _ => root,
    };
    let kind = json::optional(event, "e")
        .map(|kind| json::as_str(kind).ok_or(DecodeError::WrongType("e")))
        .transpose()?;
    match kind {
        Some("trade") => trade(ctx, event, "t"),
        Some("aggTrade") => trade(ctx, event, "a"),
        Some("bookTicker") => book_ticker(ctx, event),
        Some("depthUpdate") => depth_update(ctx, event),
        Some("markPriceUpdate") => mark_price(ctx, event),
        Some(_) => Err(DecodeError::UnsupportedMessage),
        // Spot `bookTicker` has no event type.
        None if json::optional(event, "u").is_some() => book_ticker(ctx, event),
        None if json::optional(event, "id").is_some() => Ok(()),
        None => Err(DecodeError::UnsupportedMessage),
    }
}

/// The event time: the transaction time `T` when present (futures), else the event time `E`,
/// else (spot `bookTicker`) the receive time.
fn event_time(ctx: &Context<'_>, event: Json<'_, '_>) -> Result<Timestamp, DecodeError> {
    if json::optional(event, "T").is_some() {
        ctx.millis(event, "T")
    } else if json::optional(event, "E").is_some() {
        ctx.millis(event, "E")
    } else {
        Ok(ctx.receive_time)
    }
}

fn symbol(ctx: &mut Context<'_>, event: Json<'_, '_>) -> Result<InstrumentId, DecodeError> {
    ctx.instrument(event, "s", NameRole::Tradable)
}

/// A `trade` (sequence: trade id `t`) or an `aggTrade` (sequence: aggregate trade id `a`).
fn trade(
    ctx: &mut Context<'_>,
    event: Json<'_, '_>,
    sequence_key: &'static str,
) -> Result<(), DecodeError> {
    let instrument = symbol(ctx, event)?;
    let time = event_time(ctx, event)?;
    let print = Trade {
        price: json::price(event, "p")?,
        size: json::positive_size(event, "q")?,
        // `m`: the buyer is the maker, so the seller took liquidity.
        aggressor: if json::boolean(event, "m")? {
            Aggressor::Sell
        } else {
            Aggressor::Buy
        },
    };
    let sequence = json::unsigned(event, sequence_key)?;
    ctx.emit(instrument, sequence, time, Payload::Trade(print))
}

fn book_ticker(ctx: &mut Context<'_>, event: Json<'_, '_>) -> Result<(), DecodeError> {
    let instrument = symbol(ctx, event)?;
    let time = event_time(ctx, event)?;
    let top = BestBidOffer {
        bid_price: json::price(event, "b")?,
        bid_size: json::size(event, "B")?,
        ask_price: json::price(event, "a")?,
        ask_size: json::size(event, "A")?,
    };
    let sequence = json::unsigned(event, "u")?;
    ctx.emit(instrument, sequence, time, Payload::BestBidOffer(top))
}

fn depth_update(ctx: &mut Context<'_>, event: Json<'_, '_>) -> Result<(), DecodeError> {
    let instrument = symbol(ctx, event)?;
    let time = event_time(ctx, event)?;
    let first = json::unsigned(event, "U")?;
    let last_in_event = json::unsigned(event, "u")?;
    if first > last_in_event {
        return Err(DecodeError::SequenceRegression);
    }
    let previous_final = json::optional(event, "pu")
        .map(|value| json::as_unsigned(value, "pu"))
        .transpose()?;
    if let Continuity::Live(last) = ctx.books.get(instrument) {
        let continuous = match previous_final {
            Some(previous) => previous == last,
            None => first <= last.saturating_add(1),
        };
        if last_in_event <= last {
            return Err(DecodeError::SequenceRegression);
        }
        if !continuous {
            let gap = FeedGap {
                expected: last.saturating_add(1),
                received: previous_final.map_or(first, |previous| previous.saturating_add(1)),
            };
            ctx.emit(instrument, last_in_event, time, Payload::FeedGap(gap))?;
            ctx.gap = true;
        }
    }
    for (key, side) in [("b", Side::Bid), ("a", Side::Ask)] {
        for entry in &json::array(event, key)? {
            let entry = entry.as_array().ok_or(DecodeError::WrongType(key))?;
            let field = |index| entry.get(index).ok_or(DecodeError::MissingField(key));
            let level = BookLevel {
                side,
                price: json::positive_price(json::as_number(field(0)?, key)?, key)?,
                size: json::non_negative_size(json::as_number(field(1)?, key)?, key)?,
            };
            ctx.emit(instrument, last_in_event, time, Payload::BookLevel(level))?;
        }
    }
    ctx.books.set(instrument, Continuity::Live(last_in_event));
    Ok(())
}

fn mark_price(ctx: &mut Context<'_>, event: Json<'_, '_>) -> Result<(), DecodeError> {
    let instrument = symbol(ctx, event)?;
    let time = ctx.millis(event, "E")?;
    // `T` is the next funding time here, not a transaction time; 0 for contracts without
    // funding.
    let next_funding = json::optional(event, "T")
        .map(|value| json::as_unsigned(value, "T"))
        .transpose()?
        .filter(|&millis| millis > 0)
        .map(|millis| Context::millis_unchecked(millis, "T"))
        .transpose()?;
    let mark = FundingMark {
        mark_price: json::price(event, "p")?,
        index_price: json::optional_number(event, "i")?
            .map(|index| json::positive_price(index, "i"))
            .transpose()?,
        funding_rate: json::optional_number(event, "r")?,
        next_funding_time: next_funding,
    };
    ctx.emit(instrument, 0, time, Payload::FundingMark(mark))
}
