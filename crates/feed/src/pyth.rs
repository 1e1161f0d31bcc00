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
use crate::json::{self, Json};
use crate::{DecodeError, NameRole};

/// Decodes one Pyth message.
pub(crate) fn decode(ctx: &mut Context<'_>, root: Json<'_, '_>) -> Result<(), DecodeError> {
    if let Some(parsed) = json::optional(root, "parsed") {
        let feeds = parsed.as_array().ok_or(DecodeError::WrongType("parsed"))?;
        for feed_update in &feeds {
            feed(ctx, feed_update)?;
        }
        return Ok(());
    }
    match json::optional(root, "type").and_then(json::as_str) {
        Some("price_update") => feed(ctx, json::required(root, "price_feed")?),
        Some("response") => Ok(()),
        _ => Err(DecodeError::UnsupportedMessage),
    }
}

fn feed(ctx: &mut Context<'_>, update: Json<'_, '_>) -> Result<(), DecodeError> {
    let instrument = ctx.instrument(update, "id", NameRole::OracleFeed)?;
    let current = json::required(update, "price")?;
    let time = ctx.seconds(current, "publish_time")?;
    let (price, confidence) = price_and_confidence(current, "price")?;
    let ema = json::optional(update, "ema_price")
        .map(|ema| price_and_confidence(ema, "ema_price"))
        .transpose()?;
    let slot = json::optional(update, "metadata")
        .and_then(|metadata| json::optional(metadata, "slot"))
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
    object: Json<'_, '_>,
    key: &'static str,
) -> Result<(f64, f64), DecodeError> {
    let exponent = i32::try_from(json::signed(object, "expo")?)
        .map_err(|_| DecodeError::InvalidNumber("expo"))?;
    let scaled = |field: &'static str| {
        let value = json::required(object, field)?;
        let mantissa = json::as_str(value).ok_or(DecodeError::WrongType(field))?;
        scaled_integer(mantissa, exponent).ok_or(DecodeError::InvalidNumber(field))
    };
    let price = json::positive_price(scaled("price")?, key)?;
    let confidence = json::non_negative_size(scaled("conf")?, "conf")?;
    Ok((price, confidence))
}
