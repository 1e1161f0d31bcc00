//! Pyth price updates as JSON: the Hermes REST / SSE response
//! (`/v2/updates/price/latest?parsed=true`, `/v2/updates/price/stream`: an object with a
//! `parsed` array) and the price-service WebSocket message (`{"type":"price_update",
//! "price_feed":…}`), per <https://hermes.pyth.network/docs> and
//! <https://docs.pyth.network/price-feeds/how-pyth-works/hermes>.
//!
//! Each feed becomes one [`OraclePrice`](recal_types::Payload::OraclePrice) event with price,
//! confidence, EMA price and EMA confidence, each `integer × 10^expo` computed exactly (see
//! [`scaled_integer`](crate::decimal::scaled_integer)); the event time is `publish_time`
//! (seconds) and the sequence the Solana/Pythnet slot when given.

use recal_types::{Payload, Price};

use crate::context::Context;
use crate::decimal::scaled_integer;
use crate::json::{self, Json, object_fields};
use crate::{DecodeError, NameRole};

object_fields! {
    /// A Hermes response (`parsed`) or a WebSocket message (`type`, `price_feed`).
    struct Message {
        parsed: "parsed",
        kind: "type",
        price_feed: "price_feed",
    }
}

object_fields! {
    /// One feed's update.
    struct FeedUpdate {
        id: "id",
        price: "price",
        ema_price: "ema_price",
        metadata: "metadata",
    }
}

object_fields! {
    /// A price object: `price × 10^expo` and `conf × 10^expo` at `publish_time`.
    struct PriceObject {
        price: "price",
        conf: "conf",
        expo: "expo",
        publish_time: "publish_time",
    }
}

/// Decodes one Pyth message.
pub(crate) fn decode(ctx: &mut Context<'_>, root: Json<'_>) -> Result<(), DecodeError> {
    let message = Message::of(root);
    if let Some(parsed) = message.parsed().optional() {
        let feeds = parsed.as_array().ok_or(DecodeError::WrongType("parsed"))?;
        for feed_update in &feeds {
            feed(ctx, feed_update)?;
        }
        return Ok(());
    }
    match message.kind().optional().and_then(json::as_str) {
        Some("price_update") => feed(ctx, message.price_feed().required()?),
        Some("response") => Ok(()),
        _ => Err(DecodeError::UnsupportedMessage),
    }
}

fn feed(ctx: &mut Context<'_>, update: Json<'_>) -> Result<(), DecodeError> {
    let update = FeedUpdate::of(update);
    let instrument = ctx.instrument_named(update.id(), NameRole::OracleFeed)?;
    let current = PriceObject::of(update.price().required()?);
    let time = ctx.seconds(current.publish_time())?;
    let (price, confidence) = price_and_confidence(&current, "price")?;
    let ema = update
        .ema_price()
        .optional()
        .map(|ema| price_and_confidence(&PriceObject::of(ema), "ema_price"))
        .transpose()?;
    let slot = update
        .metadata()
        .optional()
        .and_then(|metadata| json::field(metadata, "slot").optional())
        .map(|slot| json::as_unsigned(slot, "slot"))
        .transpose()?
        .unwrap_or(0);
    let price = Price {
        price,
        confidence: Some(confidence),
        ema_price: ema.map(|(price, _)| price),
        ema_confidence: ema.map(|(_, confidence)| confidence),
    };
    ctx.emit(instrument, slot, time, Payload::OraclePrice(price))
}

/// `(price, conf)` of a Pyth price object, both scaled by `10^expo`.
fn price_and_confidence(
    object: &PriceObject<'_>,
    key: &'static str,
) -> Result<(f64, f64), DecodeError> {
    let exponent =
        i32::try_from(object.expo().signed()?).map_err(|_| DecodeError::InvalidNumber("expo"))?;
    let scaled = |field: json::Field<'_>| {
        let mantissa = field.string()?;
        scaled_integer(mantissa, exponent).ok_or(DecodeError::InvalidNumber(field.key()))
    };
    let price = json::positive_price(scaled(object.price())?, key)?;
    let confidence = json::non_negative_size(scaled(object.conf())?, "conf")?;
    Ok((price, confidence))
}
