//! Several markets sharing one collateral pool: when the pool's insurance fund falls below
//! 5 % of its total collateral, every market on that pool tightens its leverage at the same
//! event time ("tighten all"), while a market on another pool is left alone.

use recal_pipeline::{Emitted, Fused, MarketSpec, PipelineConfig};
use recal_types::{Source, TriggerCause};

const T0_MS: u64 = 1_717_632_000_000;

fn market(name: &str, symbol: &str, collateral: &str) -> MarketSpec {
    MarketSpec {
        market: name.into(),
        price_instrument: symbol.into(),
        collateral_asset: collateral.into(),
        ..MarketSpec::btc_perp()
    }
}

fn trade(ms: u64, symbol: &str, id: u64, price: f64) -> Vec<u8> {
    format!(
        r#"{{"e":"trade","E":{ms},"T":{ms},"s":"{symbol}","t":{id},"p":"{price:.2}","q":"0.500","m":false}}"#
    )
    .into_bytes()
}

fn state(ms: u64, seq: u64, body: &str) -> Vec<u8> {
    let ns = ms * 1_000_000;
    format!(r#"{{"schema":"recal/1","ts":{ns},"seq":{seq},{body}}}"#).into_bytes()
}

#[test]
fn a_low_fund_tightens_every_market_of_its_pool() {
    let config = PipelineConfig {
        markets: vec![
            market("BTC-PERP", "BTCUSDT", "USDC"),
            market("ETH-PERP", "ETHUSDT", "USDC"),
            market("SOL-PERP", "SOLUSDT", "USDT"),
        ],
        ..PipelineConfig::default()
    };
    let mut pipeline = Fused::new(&config).unwrap();
    let ids = ["BTC-PERP", "ETH-PERP", "SOL-PERP"].map(|name| pipeline.market_id(name).unwrap());
    let mut seq = 0;
    let push = |pipeline: &mut Fused, source, bytes: Vec<u8>| {
        let decoded = pipeline.push_bytes(source, &bytes, pipeline.clock_ns());
        assert!(
            decoded.is_ok(),
            "{decoded:?}: {}",
            String::from_utf8_lossy(&bytes)
        );
    };
    // Books: two accounts per market, collateral in each pool, healthy funds.
    for (index, name) in ["BTC-PERP", "ETH-PERP", "SOL-PERP"].iter().enumerate() {
        for side in [1.0, -1.0] {
            seq += 1;
            let account = seq;
            let asset = if index == 2 { "USDT" } else { "USDC" };
            push(
                &mut pipeline,
                Source::Recal,
                state(
                    T0_MS,
                    seq,
                    &format!(
                        r#""type":"collateral","asset":"{asset}","account":{account},"collateral":"50000""#
                    ),
                ),
            );
            push(
                &mut pipeline,
                Source::Recal,
                state(
                    T0_MS,
                    seq,
                    &format!(
                        r#""type":"position","market":"{name}","account":{account},"size":"{side}","entry_price":"100""#
                    ),
                ),
            );
        }
    }
    let totals = |ms: u64, seq: u64, asset: &str, fund: u64| {
        [
            state(
                ms,
                seq,
                &format!(r#""type":"total_collateral","asset":"{asset}","total":"1000000""#),
            ),
            state(
                ms,
                seq + 1,
                &format!(r#""type":"insurance_fund","asset":"{asset}","balance":"{fund}""#),
            ),
        ]
    };
    for asset in ["USDC", "USDT"] {
        for bytes in totals(T0_MS, seq + 1, asset, 100_000) {
            push(&mut pipeline, Source::Recal, bytes);
        }
        seq += 2;
    }
    // Ten minutes of calm prints on every market.
    for second in 1..=600 {
        let ms = T0_MS + second * 1_000;
        for (symbol, price) in [("BTCUSDT", 100.0), ("ETHUSDT", 50.0), ("SOLUSDT", 20.0)] {
            let wobble = if second % 2 == 0 { 1.0005 } else { 0.9995 };
            push(
                &mut pipeline,
                Source::BinanceUsdmFutures,
                trade(ms, symbol, second, price * wobble),
            );
        }
    }
    pipeline.drain().for_each(drop);
    let before = ids.map(|id| *pipeline.in_force(id).unwrap());

    // The USDC fund drops to 2 % of its pool.
    let low_ms = T0_MS + 601_000;
    let [_, fund] = totals(low_ms, seq + 1, "USDC", 20_000);
    push(&mut pipeline, Source::Recal, fund);
    let answered: Vec<_> = pipeline
        .drain()
        .filter_map(|emitted| match emitted {
            Emitted::Submitted(record) if record.signed.proposal.cause == TriggerCause::FundLow => {
                Some(record)
            }
            _ => None,
        })
        .collect();
    let markets: Vec<_> = answered.iter().map(|r| r.signed.proposal.market).collect();
    assert!(
        markets.contains(&ids[0]) && markets.contains(&ids[1]),
        "{markets:?}"
    );
    assert!(!markets.contains(&ids[2]), "another pool is not touched");
    for record in &answered {
        assert!(record.outcome.is_ok(), "{record:?}");
        assert_eq!(
            record.time.as_nanos(),
            low_ms * 1_000_000,
            "at the fund's event time"
        );
    }
    for (index, id) in ids.iter().enumerate().take(2) {
        let after = pipeline.in_force(*id).unwrap();
        assert!(
            after.max_leverage_centi < before[index].max_leverage_centi,
            "{index}: {} -> {}",
            before[index].max_leverage_centi,
            after.max_leverage_centi
        );
    }
    assert_eq!(*pipeline.in_force(ids[2]).unwrap(), before[2]);
}
