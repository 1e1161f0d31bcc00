//! The demo protocol: a generated book of perpetual accounts with collateral, and the
//! protocol's own liquidation engine, which runs on static margins as the chain would.

use super::DemoConfig;
use super::rng::SplitMix64;

/// Maintenance margin the demo protocol liquidates at (static, 5 % of notional).
const MAINTENANCE: f64 = 0.05;
/// Liquidation penalty (2.5 % of notional); a fifth of it goes to the insurance fund.
const PENALTY: f64 = 0.025;
/// Price impact of a liquidation in a calm book, as a fraction of price; it grows as the book
/// drains (divided by the depth scale), and the insurance fund bears it.
const CALM_IMPACT: f64 = 0.008;

/// One trader account.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Account {
    /// Protocol account id.
    pub id: u64,
    /// Perpetual position in BTC (negative: short).
    pub size: f64,
    /// Entry price.
    pub entry: f64,
    /// Collateral in USDC.
    pub collateral: f64,
}

/// A change of an account the protocol publishes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StateChange {
    /// The account's position is now `size` at `entry`.
    Position {
        /// Account id.
        account: u64,
        /// New size.
        size: f64,
        /// Entry price.
        entry: f64,
    },
    /// The account's collateral is now `amount`.
    Collateral {
        /// Account id.
        account: u64,
        /// New balance.
        amount: f64,
    },
}

/// The protocol's book and insurance fund.
#[derive(Debug, Clone)]
pub struct Protocol {
    /// The accounts.
    pub accounts: Vec<Account>,
    /// Insurance fund, USDC.
    pub insurance_fund: f64,
}

impl Protocol {
    /// `config.accounts` accounts at `price`: log-normal collateral (median 5 000 USDC),
    /// leverage 1–10× skewed low, 60 % long.
    pub fn generate(config: &DemoConfig, rng: &mut SplitMix64, price: f64) -> Self {
        let accounts: Vec<Account> = (0..config.accounts)
            .map(|i| {
                let collateral = (5_000.0 * rng.normal().exp()).clamp(200.0, 500_000.0);
                let leverage = 1.0 + 9.0 * rng.uniform().powi(2);
                let side = if rng.uniform() < 0.6 { 1.0 } else { -1.0 };
                Account {
                    id: 1_000 + i as u64,
                    size: side * collateral * leverage / price,
                    entry: price * (1.0 + 0.002 * rng.normal()),
                    collateral,
                }
            })
            .collect();
        let total: f64 = accounts.iter().map(|a| a.collateral).sum();
        Self {
            accounts,
            insurance_fund: total * config.fund_ratio,
        }
    }

    /// Collateral posted, summed.
    pub fn total_collateral(&self) -> f64 {
        self.accounts.iter().map(|a| a.collateral).sum()
    }

    /// Open interest (long, short) in BTC.
    pub fn open_interest(&self) -> (f64, f64) {
        self.accounts.iter().fold((0.0, 0.0), |(long, short), a| {
            (long + a.size.max(0.0), short + (-a.size).max(0.0))
        })
    }

    /// Liquidates every account below maintenance at `price` with the book at `depth_scale`,
    /// appending the published changes.
    pub fn liquidate(&mut self, price: f64, depth_scale: f64, out: &mut Vec<StateChange>) {
        let impact = CALM_IMPACT / depth_scale.max(0.05);
        for account in &mut self.accounts {
            if account.size == 0.0 {
                continue;
            }
            let notional = account.size.abs() * price;
            let equity = account.collateral + account.size * (price - account.entry);
            if equity >= MAINTENANCE * notional {
                continue;
            }
            // Closed into the book: the trader keeps what is left after the penalty, the fund
            // takes a fifth of the penalty and pays the impact and any deficit.
            let left = equity - PENALTY * notional;
            self.insurance_fund += 0.2 * PENALTY * notional - impact * notional;
            if left < 0.0 {
                self.insurance_fund += left;
            }
            account.size = 0.0;
            account.collateral = left.max(0.0);
            out.push(StateChange::Position {
                account: account.id,
                size: 0.0,
                entry: price,
            });
            out.push(StateChange::Collateral {
                account: account.id,
                amount: account.collateral,
            });
        }
    }
}
