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
use crate::json::{self, Json, object_fields};
use crate::sequence::Continuity;
use crate::{DecodeError, NameRole};

object_fields! {
    /// Every field any Binance event reads, plus the combined-stream envelope and the
    /// subscription response's `id`: one walk over the object finds them all.
    struct Fields {
        stream: "stream",
        data: "data",
        id: "id",
        kind: "e",
        event_time: "E",
        transaction_time: "T",
        symbol: "s",
        trade_id: "t",
        price: "p",
        quantity: "q",
        buyer_is_maker: "m",
        update_id: "u",
        first_update_id: "U",
        previous_update_id: "pu",
        /// Best bid price (`bookTicker`) or bid levels (`depthUpdate`).
        b: "b",
        bid_size: "B",
        /// Best ask price, ask levels, or the aggregate trade id (`aggTrade`).
        a: "a",
        ask_size: "A",
        index_price: "i",
        funding_rate: "r",
    }
}

/// Decodes one Binance message.
pub(crate) fn decode(ctx: &mut Context<'_>, root: Json<'_>) -> Result<(), DecodeError> {
    let mut event = Fields::of(root);
    if let (Some(_), Some(data)) = (event.stream().optional(), event.data().optional()) {
        event = Fields::of(data);
    }
    match event.kind().optional_string()? {
        Some("trade") => trade(ctx, &event, false),
        Some("aggTrade") => trade(ctx, &event, true),
        Some("bookTicker") => book_ticker(ctx, &event),
        Some("depthUpdate") => depth_update(ctx, &event),
        Some("markPriceUpdate") => mark_price(ctx, &event),
        Some(_) => Err(DecodeError::UnsupportedMessage),
        // Spot `bookTicker` has no event type.
        None if event.update_id().is_present() => book_ticker(ctx, &event),
        None if event.id().is_present() => Ok(()),
        None => Err(DecodeError::UnsupportedMessage),
    }
}

/// The event time: the transaction time `T` when present (futures), else the event time `E`,
/// else (spot `bookTicker`) the receive time.
fn event_time(ctx: &Context<'_>, event: &Fields<'_>) -> Result<Timestamp, DecodeError> {
    if event.transaction_time().is_present() {
        ctx.millis(event.transaction_time())
    } else if event.event_time().is_present() {
        ctx.millis(event.event_time())
    } else {
        Ok(ctx.receive_time)
    }
}

fn symbol(ctx: &mut Context<'_>, event: &Fields<'_>) -> Result<InstrumentId, DecodeError> {
    ctx.instrument_named(event.symbol(), NameRole::Tradable)
}

/// A `trade` (sequence: trade id `t`) or an `aggTrade` (sequence: aggregate trade id `a`).
fn trade(ctx: &mut Context<'_>, event: &Fields<'_>, aggregate: bool) -> Result<(), DecodeError> {
    let instrument = symbol(ctx, event)?;
    let time = event_time(ctx, event)?;
    let print = Trade {
        price: event.price().price()?,
        size: event.quantity().positive_size()?,
        // `m`: the buyer is the maker, so the seller took liquidity.
        aggressor: if event.buyer_is_maker().boolean()? {
            Aggressor::Sell
        } else {
            Aggressor::Buy
        },
    };
    let sequence = if aggregate {
        event.a()
    } else {
        event.trade_id()
    }
    .unsigned()?;
    ctx.emit(instrument, sequence, time, Payload::Trade(print))
}

fn book_ticker(ctx: &mut Context<'_>, event: &Fields<'_>) -> Result<(), DecodeError> {
    let instrument = symbol(ctx, event)?;
    let time = event_time(ctx, event)?;
    let top = BestBidOffer {
        bid_price: event.b().price()?,
        bid_size: event.bid_size().size()?,
        ask_price: event.a().price()?,
        ask_size: event.ask_size().size()?,
    };
    let sequence = event.update_id().unsigned()?;
    ctx.emit(instrument, sequence, time, Payload::BestBidOffer(top))
}

fn depth_update(ctx: &mut Context<'_>, event: &Fields<'_>) -> Result<(), DecodeError> {
    let instrument = symbol(ctx, event)?;
    let time = event_time(ctx, event)?;
    let first = event.first_update_id().unsigned()?;
    let last_in_event = event.update_id().unsigned()?;
    if first > last_in_event {
        return Err(DecodeError::SequenceRegression);
    }
    let previous_final = event.previous_update_id().optional_unsigned()?;
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
    for (levels, side) in [(event.b(), Side::Bid), (event.a(), Side::Ask)] {
        let key = levels.key();
        for entry in &levels.array()? {
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

fn mark_price(ctx: &mut Context<'_>, event: &Fields<'_>) -> Result<(), DecodeError> {
    let instrument = symbol(ctx, event)?;
    let time = ctx.millis(event.event_time())?;
    // `T` is the next funding time here, not a transaction time; 0 for contracts without
    // funding.
    let next_funding = event
        .transaction_time()
        .optional_unsigned()?
        .filter(|&millis| millis > 0)
        .map(|millis| Context::millis_unchecked(millis, "T"))
        .transpose()?;
    let mark = FundingMark {
        mark_price: event.price().price()?,
        index_price: event.index_price().optional_price()?,
        funding_rate: event.funding_rate().optional_number()?,
        next_funding_time: next_funding,
    };
    ctx.emit(instrument, 0, time, Payload::FundingMark(mark))
}
