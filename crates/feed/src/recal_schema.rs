//! The recal JSON schema for protocol state and macro series (`recal/1`), documented with
//! examples in the crate's `README.md`.
//!
//! Every message is one object with `"schema":"recal/1"`, a `type`, the event time `ts` in
//! nanoseconds since the Unix epoch, an optional sequence number `seq`, and the fields of its
//! type. Amounts are decimal strings (exact) or JSON numbers.

use recal_types::{
    Balance, CollateralChange, InstrumentId, MacroValue, OpenInterest, Payload, PositionChange,
};

use crate::context::Context;
use crate::json::{self, Json};
use crate::{DecodeError, NameRole};

/// The schema tag this decoder accepts.
const SCHEMA: &str = "recal/1";

/// Decodes one recal-schema message.
pub(crate) fn decode(ctx: &mut Context<'_>, root: Json<'_, '_>) -> Result<(), DecodeError> {
    if json::string(root, "schema")? != SCHEMA {
        return Err(DecodeError::UnsupportedMessage);
    }
    let kind = json::string(root, "type")?;
    let time = ctx.nanos(root, "ts")?;
    let sequence = json::optional(root, "seq")
        .map(|seq| json::as_unsigned(seq, "seq"))
        .transpose()?
        .unwrap_or(0);
    let (instrument, payload) = match kind {
        "position" => (
            market(ctx, root)?,
            Payload::PositionChange(PositionChange {
                account: json::unsigned(root, "account")?,
                size: json::number(root, "size")?,
                entry_price: json::optional_number(root, "entry_price")?
                    .map(|price| json::positive_price(price, "entry_price"))
                    .transpose()?,
            }),
        ),
        "collateral" => (
            asset(ctx, root)?,
            Payload::CollateralChange(CollateralChange {
                account: json::unsigned(root, "account")?,
                collateral: json::number(root, "collateral")?,
            }),
        ),
        "insurance_fund" => (
            asset(ctx, root)?,
            Payload::InsuranceFund(Balance {
                amount: json::number(root, "balance")?,
            }),
        ),
        "total_collateral" => (
            asset(ctx, root)?,
            Payload::TotalCollateral(Balance {
                amount: json::size(root, "total")?,
            }),
        ),
        "open_interest" => (
            market(ctx, root)?,
            Payload::OpenInterest(OpenInterest {
                long: json::size(root, "long")?,
                short: json::size(root, "short")?,
            }),
        ),
        "macro" => (
            ctx.instrument(root, "series", NameRole::MacroSeries)?,
            Payload::MacroValue(MacroValue {
                value: json::number(root, "value")?,
            }),
        ),
        _ => return Err(DecodeError::UnsupportedMessage),
    };
    ctx.emit(instrument, sequence, time, payload)
}

fn market(ctx: &mut Context<'_>, root: Json<'_, '_>) -> Result<InstrumentId, DecodeError> {
    ctx.instrument(root, "market", NameRole::ProtocolMarket)
}

fn asset(ctx: &mut Context<'_>, root: Json<'_, '_>) -> Result<InstrumentId, DecodeError> {
    ctx.instrument(root, "asset", NameRole::CollateralAsset)
}
