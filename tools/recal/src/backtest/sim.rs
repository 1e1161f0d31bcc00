//! The protocol simulator: a seeded population of leveraged perpetual accounts, the protocol's
//! liquidation engine and its insurance fund, marked to each print of a tape under whatever
//! margins a policy has in force. Pure and deterministic: no clock, no I/O, no randomness after
//! [`Population::generate`].
//!
//! **Traders.** Each trader has a deposit (log-normal, median [`PopulationConfig::median_deposit`]),
//! a side (long with probability [`PopulationConfig::long_share`]), a utilisation `u` in
//! `[0.3, 1]` (skewed high) and a rebalancing period (uniform in
//! [`PopulationConfig::rebalance_hours`], random phase). A trader holds `u` times the largest
//! position the margins in force allow: `size = side · u · equity · L / price` with
//! `L = min(1 / initial margin, max leverage)`. So a lower initial margin buys more exposure
//! with the same collateral, a higher one less. Everyone opens at the first simulated print; at
//! each rebalancing time a trader realises its profit and loss and resizes to the margins then
//! in force, and a trader that was liquidated comes back topped up to its deposit (new money
//! arriving), so the calm part of a tape keeps pricing in the margins asked.
//!
//! **Liquidation.** At every print, an account whose equity `collateral + size · (price − entry)`
//! is below `maintenance margin · |size| · price` is closed in full, all such accounts at once,
//! longs selling into the bids and shorts buying the asks. Each side's average fill is worse than
//! the print by `IMPACT_PER_DEPTH · Q / depth` (at most [`MAX_IMPACT`]), `Q` the side's
//! liquidated notional and `depth` the book inside ±1 %: a linear book that moves 1 % per
//! `depth` sold fills a block half way. The liquidation penalty (a fraction of notional, at most
//! what is left) goes to the insurance fund; negative equity after the fill is bad debt, paid by
//! the fund while it lasts, then socialised. Margin changes act on open positions the moment
//! they are in force. No trading fees, no funding, no price impact on the tape itself (the tape
//! is what happened, cascade included).

use recal::pipeline::demo::SplitMix64;
use recal::types::{PPM_SCALE, ParameterSet};

/// Average fill impact per unit of liquidated notional over depth (0.5 %: half of the 1 % a
/// block of `depth` moves the price).
pub const IMPACT_PER_DEPTH: f64 = 0.005;
/// Largest fill impact (50 %).
pub const MAX_IMPACT: f64 = 0.5;
const NS_PER_HOUR: f64 = 3_600e9;

/// The shape of the account population.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationConfig {
    /// PRNG seed \[7\].
    pub seed: u64,
    /// Number of traders \[500\].
    pub accounts: usize,
    /// Median deposit, quote units \[20 000\].
    pub median_deposit: f64,
    /// Share of traders that are long \[0.6\]: crowded longs, as before most crashes.
    pub long_share: f64,
    /// Insurance fund at the start over total deposits \[0.10\]: the engine's healthy-fund ratio,
    /// so leverage is governed by the margins, not by fund health.
    pub fund_ratio: f64,
    /// Range of the rebalancing period, hours \[2, 8\].
    pub rebalance_hours: (f64, f64),
}

impl Default for PopulationConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            accounts: 500,
            median_deposit: 20_000.0,
            long_share: 0.6,
            fund_ratio: 0.10,
            rebalance_hours: (2.0, 8.0),
        }
    }
}

/// One trader's fixed traits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trader {
    /// Protocol account id.
    pub id: u64,
    /// Deposit, and the collateral it tops back up to after a liquidation.
    pub deposit: f64,
    /// +1 long, −1 short.
    pub side: f64,
    /// Share of the largest allowed position it holds.
    pub utilisation: f64,
    /// Time between rebalancings, ns.
    pub rebalance_every_ns: u64,
    /// First rebalancing, ns after the population opens.
    pub first_rebalance_ns: u64,
}

/// The traders and the insurance fund they start with.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// The traders.
    pub traders: Vec<Trader>,
    /// Insurance fund at the start.
    pub insurance_fund: f64,
}

impl Population {
    /// The population of `config`, the same for the same config.
    #[must_use]
    pub fn generate(config: &PopulationConfig) -> Self {
        let mut rng = SplitMix64::new(config.seed);
        let (low, high) = config.rebalance_hours;
        let traders: Vec<Trader> = (0..config.accounts)
            .map(|i| {
                let deposit = (config.median_deposit * rng.normal().exp())
                    .clamp(config.median_deposit / 40.0, config.median_deposit * 100.0);
                let side = if rng.uniform() < config.long_share {
                    1.0
                } else {
                    -1.0
                };
                let utilisation = 0.3 + 0.7 * rng.uniform().sqrt();
                let every = ((low + (high - low).max(0.0) * rng.uniform()) * NS_PER_HOUR) as u64;
                let every = every.max(1);
                Trader {
                    id: 1_000 + i as u64,
                    deposit,
                    side,
                    utilisation,
                    rebalance_every_ns: every,
                    first_rebalance_ns: (rng.uniform() * every as f64) as u64,
                }
            })
            .collect();
        let deposits: f64 = traders.iter().map(|t| t.deposit).sum();
        Self {
            traders,
            insurance_fund: deposits * config.fund_ratio,
        }
    }

    /// Sum of the deposits.
    #[must_use]
    pub fn deposits(&self) -> f64 {
        self.traders.iter().map(|t| t.deposit).sum()
    }
}

/// The risk parameters the simulator enforces, as fractions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Margins {
    /// Initial margin: a position may be opened up to `equity / initial`.
    pub initial: f64,
    /// Maintenance margin: below `maintenance · notional` of equity a position is liquidated.
    pub maintenance: f64,
    /// Liquidation penalty, fraction of liquidated notional, paid into the insurance fund.
    pub liquidation_penalty: f64,
    /// Leverage cap on top of the initial margin.
    pub max_leverage: f64,
}

impl Margins {
    /// Static margins: `initial` and `maintenance` as fractions, the liquidation penalty of
    /// recal's starting parameters, no leverage cap beyond `1 / initial`.
    #[must_use]
    pub fn fixed(initial: f64, maintenance: f64) -> Self {
        let start = recal::pipeline::default_start();
        Self {
            initial,
            maintenance,
            liquidation_penalty: ppm(start.liquidation_penalty_ppm),
            max_leverage: f64::INFINITY,
        }
    }

    /// The margins of a parameter set in force.
    #[must_use]
    pub fn from_parameters(parameters: &ParameterSet) -> Self {
        Self {
            initial: ppm(parameters.initial_margin_ppm),
            maintenance: ppm(parameters.maintenance_margin_ppm),
            liquidation_penalty: ppm(parameters.liquidation_penalty_ppm),
            max_leverage: f64::from(parameters.max_leverage_centi) / 100.0,
        }
    }

    /// The largest leverage a trader may open at.
    #[must_use]
    pub fn leverage(&self) -> f64 {
        (1.0 / self.initial.max(f64::MIN_POSITIVE)).min(self.max_leverage)
    }
}

fn ppm(value: u32) -> f64 {
    f64::from(value) / f64::from(PPM_SCALE)
}

/// A change of an account the protocol publishes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// The account's position is now `size` (base units, negative short) at `entry`.
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

/// What happened so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    /// Accounts liquidated.
    pub liquidations: u64,
    /// Notional liquidated, at the print.
    pub liquidated_notional: f64,
    /// Negative equity left by liquidations.
    pub bad_debt: f64,
    /// The part of it the insurance fund could not pay.
    pub socialised: f64,
    /// Liquidation penalties paid into the fund.
    pub penalties: f64,
    /// Largest open interest (longs + shorts) at a print, quote units.
    pub peak_open_interest: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Account {
    collateral: f64,
    size: f64,
    entry: f64,
    next_rebalance_ns: u64,
}

impl Account {
    fn equity(&self, price: f64) -> f64 {
        self.collateral + self.size * (price - self.entry)
    }
}

/// The protocol's accounts and insurance fund under one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulator {
    traders: Vec<Trader>,
    accounts: Vec<Account>,
    insurance_fund: f64,
    tally: Tally,
}

impl Simulator {
    /// Every trader of `population` opens at `price` at `now_ns` under `margins`; the opening
    /// balances and positions are appended to `changes`.
    #[must_use]
    pub fn open(
        population: &Population,
        margins: &Margins,
        price: f64,
        now_ns: u64,
        changes: &mut Vec<Change>,
    ) -> Self {
        let accounts = population
            .traders
            .iter()
            .map(|t| Account {
                collateral: t.deposit,
                size: 0.0,
                entry: price,
                next_rebalance_ns: now_ns.saturating_add(t.first_rebalance_ns),
            })
            .collect();
        let mut simulator = Self {
            traders: population.traders.clone(),
            accounts,
            insurance_fund: population.insurance_fund,
            tally: Tally::default(),
        };
        for index in 0..simulator.accounts.len() {
            simulator.resize(index, price, margins, changes);
        }
        simulator.note_open_interest(price);
        simulator
    }

    /// One print: liquidates the accounts below maintenance at `price` into a book of `depth`
    /// (quote units inside ±1 %), then rebalances the traders due at `now_ns`.
    pub fn step(
        &mut self,
        price: f64,
        depth: f64,
        now_ns: u64,
        margins: &Margins,
        changes: &mut Vec<Change>,
    ) {
        self.liquidate(price, depth, margins, changes);
        for index in 0..self.accounts.len() {
            let account = &mut self.accounts[index];
            if now_ns < account.next_rebalance_ns {
                continue;
            }
            let every = self.traders[index].rebalance_every_ns;
            let behind = (now_ns - account.next_rebalance_ns) / every + 1;
            account.next_rebalance_ns = account
                .next_rebalance_ns
                .saturating_add(behind.saturating_mul(every));
            self.resize(index, price, margins, changes);
        }
        self.note_open_interest(price);
    }

    fn liquidate(&mut self, price: f64, depth: f64, margins: &Margins, out: &mut Vec<Change>) {
        let breached = |a: &Account| {
            a.size != 0.0 && a.equity(price) < margins.maintenance * a.size.abs() * price
        };
        let (mut sold, mut bought) = (0.0, 0.0);
        for account in self.accounts.iter().filter(|a| breached(a)) {
            if account.size > 0.0 {
                sold += account.size * price;
            } else {
                bought -= account.size * price;
            }
        }
        if sold == 0.0 && bought == 0.0 {
            return;
        }
        let impact = |notional: f64| {
            if depth > 0.0 {
                (IMPACT_PER_DEPTH * notional / depth).min(MAX_IMPACT)
            } else {
                MAX_IMPACT
            }
        };
        let (long_fill, short_fill) =
            (price * (1.0 - impact(sold)), price * (1.0 + impact(bought)));
        for (account, trader) in self.accounts.iter_mut().zip(&self.traders) {
            if !breached(account) {
                continue;
            }
            let fill = if account.size > 0.0 {
                long_fill
            } else {
                short_fill
            };
            let notional = account.size.abs() * price;
            let left = account.equity(fill);
            let tally = &mut self.tally;
            tally.liquidations += 1;
            tally.liquidated_notional += notional;
            if left >= 0.0 {
                let penalty = (margins.liquidation_penalty * notional).min(left);
                self.insurance_fund += penalty;
                tally.penalties += penalty;
                account.collateral = left - penalty;
            } else {
                let covered = self.insurance_fund.min(-left).max(0.0);
                self.insurance_fund -= covered;
                tally.bad_debt -= left;
                tally.socialised += -left - covered;
                account.collateral = 0.0;
            }
            account.size = 0.0;
            account.entry = price;
            out.push(Change::Position {
                account: trader.id,
                size: 0.0,
                entry: price,
            });
            out.push(Change::Collateral {
                account: trader.id,
                amount: account.collateral,
            });
        }
    }

    /// Realises account `index`'s profit and loss at `price` and resizes it to its
    /// utilisation of the leverage `margins` allow (topping a closed account up to its deposit).
    fn resize(&mut self, index: usize, price: f64, margins: &Margins, out: &mut Vec<Change>) {
        let trader = &self.traders[index];
        let account = &mut self.accounts[index];
        let mut equity = account.equity(price);
        if account.size == 0.0 {
            equity = equity.max(trader.deposit);
        }
        if equity <= 0.0 {
            return;
        }
        account.collateral = equity;
        account.entry = price;
        account.size = trader.side * trader.utilisation * equity * margins.leverage() / price;
        out.push(Change::Collateral {
            account: trader.id,
            amount: equity,
        });
        out.push(Change::Position {
            account: trader.id,
            size: account.size,
            entry: price,
        });
    }

    fn note_open_interest(&mut self, price: f64) {
        let (long, short) = self.open_interest();
        let notional = (long + short) * price;
        self.tally.peak_open_interest = self.tally.peak_open_interest.max(notional);
    }

    /// The insurance fund's balance.
    #[must_use]
    pub const fn insurance_fund(&self) -> f64 {
        self.insurance_fund
    }

    /// Collateral posted, summed.
    #[must_use]
    pub fn total_collateral(&self) -> f64 {
        self.accounts.iter().map(|a| a.collateral).sum()
    }

    /// Open interest (long, short), base units.
    #[must_use]
    pub fn open_interest(&self) -> (f64, f64) {
        self.accounts.iter().fold((0.0, 0.0), |(long, short), a| {
            (long + a.size.max(0.0), short + (-a.size).max(0.0))
        })
    }

    /// What happened so far.
    #[must_use]
    pub const fn tally(&self) -> &Tally {
        &self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000_000_000;

    /// One long trader: deposit 1 000, full utilisation, rebalancing once a day.
    fn one_long() -> Population {
        Population {
            traders: vec![Trader {
                id: 1,
                deposit: 1_000.0,
                side: 1.0,
                utilisation: 1.0,
                rebalance_every_ns: 24 * HOUR,
                first_rebalance_ns: 24 * HOUR,
            }],
            insurance_fund: 100.0,
        }
    }

    fn run(path: &[f64], depth: f64, margins: &Margins) -> (Simulator, Vec<usize>) {
        let mut changes = Vec::new();
        let mut simulator = Simulator::open(&one_long(), margins, path[0], 0, &mut changes);
        let mut liquidated_at = Vec::new();
        for (i, &price) in path.iter().enumerate().skip(1) {
            let before = simulator.tally().liquidations;
            simulator.step(price, depth, i as u64, margins, &mut changes);
            if simulator.tally().liquidations > before {
                liquidated_at.push(i);
            }
        }
        (simulator, liquidated_at)
    }

    #[test]
    fn a_slow_fall_liquidates_at_the_first_print_below_the_threshold_with_no_bad_debt() {
        // 20 % initial: 5× on 1 000 at 100 = 50 units. 10 % maintenance: liquidated when
        // 1 000 + 50 (p − 100) < 5 p, i.e. p < 88.89: first at 88.
        let margins = Margins::fixed(0.20, 0.10);
        let depth = 4_400.0; // impact 0.5 % · 4 400 / 4 400 = 0.5 %: fill 87.56
        let (simulator, at) = run(&[100.0, 95.0, 90.0, 88.9, 88.0, 80.0], depth, &margins);
        assert_eq!(at, vec![4]);
        let tally = simulator.tally();
        assert_eq!(tally.liquidated_notional, 4_400.0);
        assert_eq!(tally.bad_debt, 0.0);
        // Left: 1 000 + 50 (87.56 − 100) = 378; penalty 2.5 % of 4 400 = 110 to the fund.
        assert!((tally.penalties - 110.0).abs() < 1e-9);
        assert!((simulator.insurance_fund() - 210.0).abs() < 1e-9);
        assert!((simulator.total_collateral() - 268.0).abs() < 1e-9);
    }

    #[test]
    fn a_gap_through_bankruptcy_leaves_exact_bad_debt_paid_by_the_fund_then_socialised() {
        let margins = Margins::fixed(0.20, 0.10);
        // 100 → 90 (equity 500 ≥ 450: safe) → 75: equity −250, liquidated there. Notional at
        // the print 3 750 into a book of 3 750: fill 75 · 0.995 = 74.625, left
        // 1 000 + 50 · (74.625 − 100) = −268.75.
        let (simulator, at) = run(&[100.0, 90.0, 75.0], 3_750.0, &margins);
        assert_eq!(at, vec![2]);
        let tally = simulator.tally();
        assert!((tally.bad_debt - 268.75).abs() < 1e-9);
        assert!((tally.socialised - 168.75).abs() < 1e-9);
        assert_eq!(simulator.insurance_fund(), 0.0);
        assert_eq!(simulator.open_interest(), (0.0, 0.0));
    }

    #[test]
    fn margins_in_force_act_on_open_positions_and_a_rebalance_reopens() {
        // 10 % initial: 10× = 100 units at 100. At 97 equity is 700 of 9 700 notional
        // (7.2 %): safe under 5 % maintenance, liquidated when maintenance is raised to 8 %.
        let loose = Margins::fixed(0.10, 0.05);
        let tight = Margins::fixed(0.10, 0.08);
        let mut changes = Vec::new();
        let mut simulator = Simulator::open(&one_long(), &loose, 100.0, 0, &mut changes);
        simulator.step(97.0, f64::INFINITY, 1, &loose, &mut changes);
        assert_eq!(simulator.tally().liquidations, 0);
        simulator.step(97.0, f64::INFINITY, 2, &tight, &mut changes);
        assert_eq!(simulator.tally().liquidations, 1);
        // 700 left, penalty 2.5 % of 9 700 = 242.5: 457.5 stays; at the daily rebalance the
        // trader tops back up to its deposit and reopens at 10×.
        assert!((simulator.total_collateral() - 457.5).abs() < 1e-9);
        simulator.step(97.0, f64::INFINITY, 24 * HOUR, &loose, &mut changes);
        assert_eq!(simulator.total_collateral(), 1_000.0);
        let (long, _) = simulator.open_interest();
        assert!((long - 10_000.0 / 97.0).abs() < 1e-9);
    }

    #[test]
    fn the_same_seed_gives_the_same_population() {
        let config = PopulationConfig::default();
        assert_eq!(Population::generate(&config), Population::generate(&config));
        let other = PopulationConfig {
            seed: 8,
            ..config.clone()
        };
        assert_ne!(Population::generate(&config), Population::generate(&other));
        let population = Population::generate(&config);
        assert!(
            population
                .traders
                .iter()
                .all(|t| (0.3..=1.0).contains(&t.utilisation))
        );
        let longs = population.traders.iter().filter(|t| t.side > 0.0).count();
        assert!((250..350).contains(&longs), "{longs} longs of 500");
    }
}
