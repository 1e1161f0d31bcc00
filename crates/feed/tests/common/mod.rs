//! Venue messages shaped exactly like the venues' documented examples, written from the public
//! API documentation named above each one (values are illustrative), plus variants with extra
//! and reordered fields. Shared by the integration tests.

#![allow(
    dead_code,
    reason = "each test binary uses its own subset of the fixtures"
)]

use recal_types::{Source, Timestamp};

/// A receive time later than every fixture's event time (2033-05-18), so the future-skew check
/// passes.
pub const RECEIVED: Timestamp = Timestamp::from_nanos(2_000_000_000_000_000_000);

/// docs.deribit.com, "Subscriptions" → `ticker.{instrument_name}.{interval}` (option).
pub const DERIBIT_OPTION_TICKER: &str = r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.BTC-27DEC24-60000-C.100ms","data":{"timestamp":1703059200123,"stats":{"volume":12.3,"price_change":-2.5,"low":0.061,"high":0.0665},"state":"open","settlement_price":0.0631,"open_interest":1523.4,"min_price":0.0405,"max_price":0.0915,"mark_price":0.0644,"mark_iv":56.12,"last_price":0.064,"interest_rate":0,"instrument_name":"BTC-27DEC24-60000-C","index_price":43210.55,"greeks":{"rho":75.83,"theta":-18.24,"vega":112.41,"gamma":0.00002,"delta":0.41335},"estimated_delivery_price":43210.55,"bid_iv":55.4,"best_bid_price":0.0635,"best_bid_amount":12.5,"best_ask_price":0.065,"best_ask_amount":7.1,"ask_iv":56.9,"underlying_price":44102.3,"underlying_index":"BTC-27DEC24"}}}"#;

/// The same ticker with fields reordered, an unknown field added and no bid (`bid_iv` 0).
pub const DERIBIT_OPTION_TICKER_REORDERED: &str = r#"{"params":{"data":{"instrument_name":"BTC-27DEC24-60000-C","underlying_price":44102.3,"mark_iv":56.12,"bid_iv":0,"ask_iv":56.9,"new_field":{"nested":[1,2,3]},"greeks":{"delta":0.41335,"vega":112.41},"mark_price":0.0644,"open_interest":1523.4,"timestamp":1703059200123},"channel":"ticker.BTC-27DEC24-60000-C.100ms"},"method":"subscription","jsonrpc":"2.0"}"#;

/// docs.deribit.com, `ticker.{instrument_name}.{interval}` example (perpetual).
pub const DERIBIT_PERPETUAL_TICKER: &str = r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.BTC-PERPETUAL.raw","data":{"timestamp":1623060194301,"stats":{"volume_usd":284061480,"volume":7871.02139035,"price_change":0.7229,"low":35213.5,"high":36824.5},"state":"open","settlement_price":36169.49,"open_interest":502097590,"min_price":35898.37,"max_price":36991.72,"mark_price":36446.51,"last_price":36457.5,"interest_value":1.7362511643080387,"instrument_name":"BTC-PERPETUAL","index_price":36441.64,"funding_8h":0.0000211,"estimated_delivery_price":36441.64,"current_funding":0,"best_bid_price":36442.5,"best_bid_amount":5000,"best_ask_price":36443,"best_ask_amount":100}}}"#;

/// docs.deribit.com, `book.{instrument_name}.{interval}` example: the first notification is a
/// snapshot.
pub const DERIBIT_BOOK_SNAPSHOT: &str = r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"snapshot","timestamp":1554373962454,"instrument_name":"BTC-PERPETUAL","change_id":297217,"bids":[["new",5042.34,30],["new",5041.94,20]],"asks":[["new",5042.64,40],["new",5043.3,40]]}}}"#;

/// The next change, chained by `prev_change_id`.
pub const DERIBIT_BOOK_CHANGE: &str = r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"change","timestamp":1554373962480,"prev_change_id":297217,"instrument_name":"BTC-PERPETUAL","change_id":297218,"bids":[["delete",5041.94,0]],"asks":[["change",5042.64,39]]}}}"#;

/// A change whose `prev_change_id` skips 297218: a gap.
pub const DERIBIT_BOOK_GAPPED_CHANGE: &str = r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"change","timestamp":1554373962600,"prev_change_id":297219,"instrument_name":"BTC-PERPETUAL","change_id":297220,"bids":[["new",5040.0,1]],"asks":[]}}}"#;

/// docs.deribit.com, `trades.{instrument_name}.{interval}` example.
pub const DERIBIT_TRADES: &str = r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"trades.BTC-PERPETUAL.raw","data":[{"trade_seq":30289442,"trade_id":"48079269","timestamp":1590484512188,"tick_direction":2,"price":8950,"mark_price":8948.9,"instrument_name":"BTC-PERPETUAL","index_price":8955.88,"direction":"sell","amount":10},{"trade_seq":30289443,"trade_id":"48079270","timestamp":1590484512188,"tick_direction":0,"price":8950.5,"mark_price":8948.9,"instrument_name":"BTC-PERPETUAL","index_price":8955.88,"direction":"buy","amount":20}]}}"#;

/// docs.deribit.com, `deribit_price_index.{index_name}` example.
pub const DERIBIT_INDEX: &str = r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"deribit_price_index.btc_usd","data":{"timestamp":1550588002899,"price":3937.89,"index_name":"btc_usd"}}}"#;

/// docs.deribit.com, `public/test` response to a heartbeat: a control message.
pub const DERIBIT_RESPONSE: &str = r#"{"jsonrpc":"2.0","id":8212,"result":{"version":"1.2.26"},"usIn":1535043730126248,"usOut":1535043730126250,"usDiff":2}"#;

/// developers.binance.com, spot WebSocket streams, "Trade Streams" payload.
pub const BINANCE_SPOT_TRADE: &str = r#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#;

/// The same trade wrapped in a combined stream, reordered, with an extra field.
pub const BINANCE_SPOT_TRADE_COMBINED: &str = r#"{"stream":"bnbbtc@trade","data":{"M":true,"m":true,"T":1672515782136,"q":"100","p":"0.001","t":12345,"s":"BNBBTC","X":"MARKET","E":1672515782136,"e":"trade"}}"#;

/// Spot "Individual Symbol Book Ticker Streams" payload (no event type, no time).
pub const BINANCE_SPOT_BOOK_TICKER: &str = r#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;

/// Spot "Diff. Depth Stream" payload.
pub const BINANCE_SPOT_DEPTH: &str = r#"{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"],["0.0027","0.00000000"]]}"#;

/// The next spot depth update, continuing at `U` = 161.
pub const BINANCE_SPOT_DEPTH_NEXT: &str = r#"{"e":"depthUpdate","E":1672515782236,"s":"BNBBTC","U":161,"u":163,"b":[["0.0024","9"]],"a":[]}"#;

/// A spot depth update that skips 164..=169: a gap.
pub const BINANCE_SPOT_DEPTH_GAPPED: &str = r#"{"e":"depthUpdate","E":1672515782336,"s":"BNBBTC","U":170,"u":171,"b":[],"a":[["0.0026","99"]]}"#;

/// developers.binance.com, USDⓈ-M futures, "Mark Price Stream" payload.
pub const BINANCE_MARK_PRICE: &str = r#"{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}"#;

/// USDⓈ-M futures "Individual Symbol Book Ticker Streams" payload.
pub const BINANCE_FUTURES_BOOK_TICKER: &str = r#"{"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#;

/// USDⓈ-M futures "Diff. Book Depth Streams" payload (with `pu`).
pub const BINANCE_FUTURES_DEPTH: &str = r#"{"e":"depthUpdate","E":1568014460893,"T":1568014460891,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#;

/// USDⓈ-M futures "Aggregate Trade Streams" payload.
pub const BINANCE_AGG_TRADE: &str = r#"{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","f":100,"l":105,"T":123456785,"m":false}"#;

/// developers.binance.com, COIN-M futures, "Diff. Book Depth Streams" payload (a quarterly,
/// with the pair `ps`).
pub const BINANCE_COINM_DEPTH: &str = r#"{"e":"depthUpdate","E":1591270260907,"T":1591270260891,"s":"BTCUSD_200626","ps":"BTCUSD","U":17285681,"u":17285702,"pu":17285675,"b":[["9517.6","10"]],"a":[["9518.5","45"],["9532.5","0"]]}"#;

/// COIN-M futures "Mark Price Stream" payload of the inverse perpetual.
pub const BINANCE_COINM_MARK_PRICE: &str = r#"{"e":"markPriceUpdate","E":1596095725000,"s":"BTCUSD_PERP","p":"11185.87786614","P":"11183.21537614","i":"11184.47354534","r":"0.00030000","T":1596096000000}"#;

/// A subscription response: a control message.
pub const BINANCE_RESPONSE: &str = r#"{"result":null,"id":1}"#;

/// hermes.pyth.network, `GET /v2/updates/price/latest?ids[]=…&parsed=true` response shape.
pub const PYTH_HERMES: &str = r#"{"binary":{"encoding":"hex","data":["504e41550100000003b801000000040d00"]},"parsed":[{"id":"e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43","price":{"price":"6140993501000","conf":"4144212180","expo":-8,"publish_time":1717632000},"ema_price":{"price":"6130128400000","conf":"4497845200","expo":-8,"publish_time":1717632000},"metadata":{"slot":148623513,"proof_available_time":1717632001,"prev_publish_time":1717631999}},{"id":"ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace","price":{"price":"380412345678","conf":"212345678","expo":-8,"publish_time":1717632000},"ema_price":{"price":"379900000000","conf":"250000000","expo":-8,"publish_time":1717632000},"metadata":{"slot":148623513}}]}"#;

/// Pyth price-service WebSocket `price_update` message (docs.pyth.network, "Hermes").
pub const PYTH_PRICE_UPDATE: &str = r#"{"type":"price_update","price_feed":{"id":"e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43","price":{"price":"6141000000000","conf":"4100000000","expo":-8,"publish_time":1717632001},"ema_price":{"price":"6130200000000","conf":"4490000000","expo":-8,"publish_time":1717632001}}}"#;

/// The recal schema (crates/feed/README.md), one message per type.
pub const RECAL_POSITION: &str = r#"{"schema":"recal/1","type":"position","ts":1717632000000000000,"seq":41,"market":"BTC-PERP","account":17,"size":"-1.5","entry_price":"61000.5"}"#;
/// Collateral change.
pub const RECAL_COLLATERAL: &str = r#"{"schema":"recal/1","type":"collateral","ts":1717632000000000000,"seq":42,"asset":"USDC","account":17,"collateral":"12500.25"}"#;
/// Insurance-fund balance.
pub const RECAL_INSURANCE_FUND: &str = r#"{"schema":"recal/1","type":"insurance_fund","ts":1717632000000000000,"seq":43,"asset":"USDC","balance":"2500000"}"#;
/// Total collateral.
pub const RECAL_TOTAL_COLLATERAL: &str = r#"{"schema":"recal/1","type":"total_collateral","ts":1717632000000000000,"seq":44,"asset":"USDC","total":"48000000.5"}"#;
/// Open interest by side.
pub const RECAL_OPEN_INTEREST: &str = r#"{"schema":"recal/1","type":"open_interest","ts":1717632000000000000,"seq":45,"market":"BTC-PERP","long":"1250.5","short":"980.25"}"#;
/// A macro series value.
pub const RECAL_MACRO: &str =
    r#"{"schema":"recal/1","type":"macro","ts":1717632000000000000,"series":"DXY","value":104.25}"#;

/// Every valid fixture with its source, in an order in which each decodes successfully on a
/// fresh decoder (book snapshot before its change, ordered timestamps per stream).
pub const ALL: &[(Source, &str)] = &[
    (Source::Deribit, DERIBIT_OPTION_TICKER),
    (Source::Deribit, DERIBIT_OPTION_TICKER_REORDERED),
    (Source::Deribit, DERIBIT_PERPETUAL_TICKER),
    (Source::Deribit, DERIBIT_BOOK_SNAPSHOT),
    (Source::Deribit, DERIBIT_BOOK_CHANGE),
    (Source::Deribit, DERIBIT_TRADES),
    (Source::Deribit, DERIBIT_INDEX),
    (Source::Deribit, DERIBIT_RESPONSE),
    (Source::BinanceSpot, BINANCE_SPOT_TRADE),
    (Source::BinanceSpot, BINANCE_SPOT_TRADE_COMBINED),
    (Source::BinanceSpot, BINANCE_SPOT_BOOK_TICKER),
    (Source::BinanceSpot, BINANCE_SPOT_DEPTH),
    (Source::BinanceSpot, BINANCE_SPOT_DEPTH_NEXT),
    (Source::BinanceSpot, BINANCE_RESPONSE),
    (Source::BinanceUsdmFutures, BINANCE_MARK_PRICE),
    (Source::BinanceUsdmFutures, BINANCE_FUTURES_BOOK_TICKER),
    (Source::BinanceUsdmFutures, BINANCE_FUTURES_DEPTH),
    (Source::BinanceUsdmFutures, BINANCE_AGG_TRADE),
    (Source::BinanceCoinmFutures, BINANCE_COINM_DEPTH),
    (Source::BinanceCoinmFutures, BINANCE_COINM_MARK_PRICE),
    (Source::Pyth, PYTH_HERMES),
    (Source::Pyth, PYTH_PRICE_UPDATE),
    (Source::Recal, RECAL_POSITION),
    (Source::Recal, RECAL_COLLATERAL),
    (Source::Recal, RECAL_INSURANCE_FUND),
    (Source::Recal, RECAL_TOTAL_COLLATERAL),
    (Source::Recal, RECAL_OPEN_INTEREST),
    (Source::Recal, RECAL_MACRO),
];
