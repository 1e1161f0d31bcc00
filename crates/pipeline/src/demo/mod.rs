//! A seeded, deterministic demo market: a BTC perpetual through a calm hour, a crash and a
//! recovery, with the protocol's book of accounts, fed to the engine as the bytes a venue and
//! the protocol would send (so the real decode path runs).
//!
//! - **Price**: one Binance USDⓈ-M `trade` per second of event time; GARCH(1,1) volatility
//!   clustering, calm at 40 % annualised, then a regime switch into a crash (150 %, −15 % over
//!   30 minutes), then a slow recovery; one manipulated print (+8 %) in the calm hour for the
//!   outlier filter to catch.
//! - **Liquidity**: a `bookTicker` every second (half a second after the trade) whose sizes
//!   drain to 15 % of calm through the crash and refill over the next hour.
//! - **Protocol state** (`recal/1`): ~1 000 accounts with perpetual positions and collateral at
//!   the start; the protocol's own liquidation engine (static 5 % maintenance) closes accounts
//!   as the price falls, and its insurance fund takes the impact of liquidating into a thin
//!   book; fund, total collateral and open interest are published every 10 s.
//!
//! - **Options** (optional, [`DemoConfig::options`]): a Deribit BTC option chain — four
//!   monthly expiries, strikes every 2 % around the opening price, calls and puts — whose
//!   `ticker` notifications quote a smile (put skew, convexity) on the regime's volatility,
//!   `option_quotes_per_second` of them per second round-robin over the chain. They load
//!   stage 1 and the implied-volatility surface with many instruments.
//!
//! Same [`DemoConfig`] (seed included), same bytes: the run is reproducible bit for bit.

mod book;
mod chain;
mod price;
mod rng;
mod wire;

pub use book::{Account, Protocol, StateChange};
pub use price::{Tick, path};
pub use rng::SplitMix64;
pub use wire::{ASSET, MARKET, SYMBOL};

use recal_types::{Source, Timestamp};

const NS_PER_SECOND: u64 = 1_000_000_000;
const NS_PER_MS: u64 = 1_000_000;
/// Protocol totals are published every this many seconds.
const TOTALS_EVERY_SECONDS: u64 = 10;

/// Shape of the demo market.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// PRNG seed \[7\].
    pub seed: u64,
    /// Event time of the first message, Unix seconds \[1 717 632 000, 2024-06-06 00:00 UTC\].
    pub start_unix_seconds: u64,
    /// Length of the calm regime \[3 600 s\].
    pub calm_seconds: u64,
    /// Length of the crash \[1 800 s\].
    pub crash_seconds: u64,
    /// Length of the recovery \[7 200 s\].
    pub recovery_seconds: u64,
    /// Opening price \[68 000\].
    pub start_price: f64,
    /// Annualised volatility of the calm regime \[0.40\].
    pub calm_vol: f64,
    /// Annualised volatility the crash regime reverts to \[1.50\].
    pub crash_vol: f64,
    /// Drift of the crash as a total move \[−0.15\].
    pub crash_move: f64,
    /// Drift of the recovery as a total move \[+0.04\].
    pub recovery_move: f64,
    /// Book depth at the end of the crash, relative to calm \[0.15\].
    pub crash_depth: f64,
    /// Number of accounts \[1 000\].
    pub accounts: usize,
    /// Insurance fund at the start over total collateral \[0.053\].
    pub fund_ratio: f64,
    /// Options in the quoted chain \[0: none\]; rounded down to a multiple of 8 (four
    /// expiries, calls and puts).
    pub options: usize,
    /// Option tickers per second of event time \[0\].
    pub option_quotes_per_second: usize,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            start_unix_seconds: 1_717_632_000,
            calm_seconds: 3_600,
            crash_seconds: 1_800,
            recovery_seconds: 7_200,
            start_price: 68_000.0,
            calm_vol: 0.40,
            crash_vol: 1.50,
            crash_move: -0.15,
            recovery_move: 0.04,
            crash_depth: 0.15,
            accounts: 1_000,
            fund_ratio: 0.053,
            options: 0,
            option_quotes_per_second: 0,
        }
    }
}

impl DemoConfig {
    /// Event time of the first message.
    #[must_use]
    pub const fn start(&self) -> Timestamp {
        Timestamp::from_nanos(self.start_unix_seconds * NS_PER_SECOND)
    }

    /// Event time at which the crash begins.
    #[must_use]
    pub const fn crash_start(&self) -> Timestamp {
        Timestamp::from_nanos((self.start_unix_seconds + self.calm_seconds) * NS_PER_SECOND)
    }

    /// Event time at which the crash ends and the recovery begins.
    #[must_use]
    pub const fn crash_end(&self) -> Timestamp {
        Timestamp::from_nanos(
            (self.start_unix_seconds + self.calm_seconds + self.crash_seconds) * NS_PER_SECOND,
        )
    }
}

/// One message of the demo, in event-time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoMessage {
    /// Who sends it.
    pub source: Source,
    /// Its event time.
    pub time: Timestamp,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Generates the demo's messages, sorted by event time.
#[must_use]
pub fn generate(config: &DemoConfig) -> Vec<DemoMessage> {
    let mut rng = SplitMix64::new(config.seed);
    let ticks = path(config, &mut rng);
    let mut protocol = Protocol::generate(config, &mut rng, config.start_price);
    let start_ns = config.start_unix_seconds * NS_PER_SECOND;
    let mut messages = Vec::with_capacity(ticks.len() * 2 + 3 * config.accounts);
    let mut seq = 0u64;
    let mut push = |source, ns: u64, bytes| {
        messages.push(DemoMessage {
            source,
            time: Timestamp::from_nanos(ns),
            bytes,
        });
    };

    // The book as it stands when the demo opens.
    for account in &protocol.accounts {
        for change in [
            StateChange::Collateral {
                account: account.id,
                amount: account.collateral,
            },
            StateChange::Position {
                account: account.id,
                size: account.size,
                entry: account.entry,
            },
        ] {
            seq += 1;
            push(
                Source::Recal,
                start_ns,
                wire::state_change(start_ns, seq, &change),
            );
        }
    }

    let chain = chain::OptionChain::new(config);
    let mut next_option = 0;
    let manipulated_second = config.calm_seconds / 2;
    let mut changes = Vec::new();
    for tick in &ticks {
        let second_ns = start_ns + (tick.second + 1) * NS_PER_SECOND;
        let ms = second_ns / NS_PER_MS;
        let printed = if tick.second == manipulated_second {
            tick.price * 1.08
        } else {
            tick.price
        };
        let quantity = 0.01 + 2.0 * rng.uniform();
        let seller = rng.uniform() < 0.5;
        push(
            Source::BinanceUsdmFutures,
            second_ns,
            wire::trade(ms, tick.second + 1, printed, quantity, seller),
        );

        changes.clear();
        protocol.liquidate(tick.price, tick.depth_scale, &mut changes);
        for change in &changes {
            seq += 1;
            let ns = second_ns + NS_PER_MS;
            push(Source::Recal, ns, wire::state_change(ns, seq, change));
        }

        let size = |rng: &mut SplitMix64| 30.0 * tick.depth_scale * (0.8 + 0.4 * rng.uniform());
        let (bid_size, ask_size) = (size(&mut rng), size(&mut rng));
        let half_spread = 0.5 + 5.0 / tick.depth_scale;
        push(
            Source::BinanceUsdmFutures,
            second_ns + 500 * NS_PER_MS,
            wire::book_ticker(
                ms + 500,
                tick.second + 1,
                tick.price - half_spread,
                bid_size,
                tick.price + half_spread,
                ask_size,
            ),
        );

        for quote in 0..config.option_quotes_per_second.min(chain.len()) {
            // Spread over the second, between the trade and the book ticker.
            let ms = ms + 1 + (quote as u64 * 400) / config.option_quotes_per_second as u64;
            push(
                Source::Deribit,
                ms * NS_PER_MS,
                chain.ticker(next_option, ms, tick),
            );
            next_option = (next_option + 1) % chain.len();
        }

        if tick.second % TOTALS_EVERY_SECONDS == 0 {
            let ns = second_ns + 600 * NS_PER_MS;
            let totals = wire::protocol_totals(
                ns,
                seq + 1,
                protocol.insurance_fund,
                protocol.total_collateral(),
                protocol.open_interest(),
            );
            seq += 3;
            for bytes in totals {
                push(Source::Recal, ns, bytes);
            }
        }
    }
    messages
}
