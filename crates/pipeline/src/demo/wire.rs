//! The demo's messages as the venues and the protocol send them: Binance USDⓈ-M futures JSON
//! for trades and book tops, `recal/1` JSON for protocol state.

use super::book::StateChange;

/// Venue symbol of the demo's price instrument.
pub const SYMBOL: &str = "BTCUSDT";
/// The demo's protocol market.
pub const MARKET: &str = "BTC-PERP";
/// The demo's collateral asset.
pub const ASSET: &str = "USDC";

/// A Binance futures `trade` at `ms` (transaction and event time).
pub fn trade(ms: u64, id: u64, price: f64, quantity: f64, buyer_is_maker: bool) -> Vec<u8> {
    format!(
        r#"{{"e":"trade","E":{ms},"T":{ms},"s":"{SYMBOL}","t":{id},"p":"{price:.1}","q":"{quantity:.3}","m":{buyer_is_maker}}}"#
    )
    .into_bytes()
}

/// A Binance futures `bookTicker` at `ms`.
pub fn book_ticker(ms: u64, id: u64, bid: f64, bid_size: f64, ask: f64, ask_size: f64) -> Vec<u8> {
    format!(
        r#"{{"e":"bookTicker","u":{id},"E":{ms},"T":{ms},"s":"{SYMBOL}","b":"{bid:.1}","B":"{bid_size:.3}","a":"{ask:.1}","A":"{ask_size:.3}"}}"#
    )
    .into_bytes()
}

/// A `recal/1` position or collateral change at `ns`.
pub fn state_change(ns: u64, seq: u64, change: &StateChange) -> Vec<u8> {
    match *change {
        StateChange::Position {
            account,
            size,
            entry,
        } => format!(
            r#"{{"schema":"recal/1","type":"position","ts":{ns},"seq":{seq},"market":"{MARKET}","account":{account},"size":"{size:.6}","entry_price":"{entry:.2}"}}"#
        ),
        StateChange::Collateral { account, amount } => format!(
            r#"{{"schema":"recal/1","type":"collateral","ts":{ns},"seq":{seq},"asset":"{ASSET}","account":{account},"collateral":"{amount:.2}"}}"#
        ),
    }
    .into_bytes()
}

/// The protocol's balances and open interest at `ns`: insurance fund, total collateral, open
/// interest (three messages).
pub fn protocol_totals(
    ns: u64,
    seq: u64,
    fund: f64,
    total: f64,
    open_interest: (f64, f64),
) -> [Vec<u8>; 3] {
    let (long, short) = open_interest;
    [
        format!(
            r#"{{"schema":"recal/1","type":"insurance_fund","ts":{ns},"seq":{seq},"asset":"{ASSET}","balance":"{fund:.2}"}}"#
        ),
        format!(
            r#"{{"schema":"recal/1","type":"total_collateral","ts":{ns},"seq":{},"asset":"{ASSET}","total":"{total:.2}"}}"#,
            seq + 1
        ),
        format!(
            r#"{{"schema":"recal/1","type":"open_interest","ts":{ns},"seq":{},"market":"{MARKET}","long":"{long:.6}","short":"{short:.6}"}}"#,
            seq + 2
        ),
    ]
    .map(String::into_bytes)
}
