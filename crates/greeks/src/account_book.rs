//! The account book of stage 3: accounts, their margins and liquidation ranges, kept up to date
//! incrementally, with a liquidation index per underlying.
//!
//! Costs, for n accounts:
//! - a spot tick ([`AccountBook::set_spot`]) updates one price and reads the accounts whose
//!   liquidation price the move crossed from the underlying's [`LiquidationIndex`]:
//!   O(log n + k) for k accounts returned; no account is revalued;
//! - a position or collateral change revalues that one account in full (its positions × the
//!   margin model's scenarios) and updates its index entries in O(log n);
//! - an option volatility change revalues the holders of that option;
//! - [`AccountBook::refresh`] revalues at most `budget` accounts, round-robin, so that ranges
//!   computed at an old spot or volatility converge to full revaluation across ticks: every
//!   account is fresh again after ⌈n / budget⌉ calls without a market change.

use std::collections::{BTreeMap, BTreeSet};

use crate::account::{Account, AccountValuation, Exposure, Position, value_account};
use crate::cascade::{CascadeAccount, Side};
use crate::error::{GreeksError, positive};
use crate::liquidation_index::{LiquidationIndex, LiquidationRange};
use crate::liquidation_map::LiquidationMap;
use crate::margin::{DynamicMargin, MarginParams, dynamic_margin};
use crate::market::{Instrument, Market, Underlying};

/// An account's full risk at one market state: valuation, margins and liquidation ranges.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountRisk {
    /// Equity, collateral and per-underlying exposures.
    pub valuation: AccountValuation,
    /// Margin and dynamic delta margin per underlying.
    pub margins: BTreeMap<u32, DynamicMargin>,
    /// Σ initial margin over underlyings.
    pub initial_margin: f64,
    /// Σ maintenance margin over underlyings.
    pub maintenance_margin: f64,
    /// Liquidation range per underlying (moving that underlying's spot alone).
    pub ranges: BTreeMap<u32, LiquidationRange>,
}

impl AccountRisk {
    /// Equity − maintenance margin: the account is liquidatable when this is ≤ 0.
    #[must_use]
    pub fn surplus(&self) -> f64 {
        self.valuation.equity - self.maintenance_margin
    }
}

/// Full computation of an account's risk from scratch: revaluation, margins (with their spot
/// derivatives) and, per underlying, the delta-gamma liquidation range of
/// surplus = equity − maintenance margin.
///
/// # Errors
/// As [`value_account`] and [`crate::underlying_margin`].
///
/// ```
/// use recal_greeks::*;
/// let mut market = Market::new();
/// market.set_underlying(1, Underlying { spot: 100.0, short_vol: 0.6, depth_per_percent: 1e6 })?;
/// let perp = market.add_instrument(Instrument::Linear { underlying: 1, kind: LinearKind::Perpetual })?;
/// let usdc = market.add_asset(CollateralAsset { price: 1.0, haircut: 0.0, underlying: None })?;
/// let mut account = Account::new();
/// account.set_collateral(usdc, 150.0)?;
/// account.set_position(perp, Position { quantity: 10.0, entry_price: 100.0 })?;
/// let risk = assess_account(&account, &market, &MarginParams::default())?;
/// // surplus(S) = 150 + 10(S − 100) − 0.05·10·S = 0 at S = 850/9.5
/// assert!((risk.ranges[&1].below - 850.0 / 9.5).abs() < 1e-6);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn assess_account(
    account: &Account,
    market: &Market,
    params: &MarginParams,
) -> Result<AccountRisk, GreeksError> {
    let valuation = value_account(account, market)?;
    let mut risk = AccountRisk::default();
    for &underlying in valuation.exposures.keys() {
        let margin = dynamic_margin(account, market, params, underlying)?;
        risk.initial_margin += margin.margin.initial;
        risk.maintenance_margin += margin.margin.maintenance;
        risk.margins.insert(underlying, margin);
    }
    let surplus = valuation.equity - risk.maintenance_margin;
    for (&underlying, exposure) in &valuation.exposures {
        let margin = risk.margins[&underlying];
        let range = LiquidationRange::from_expansion(
            exposure.spot,
            surplus,
            exposure.delta - margin.spot_delta,
            exposure.gamma - margin.spot_gamma,
        );
        risk.ranges.insert(underlying, range);
    }
    risk.valuation = valuation;
    Ok(risk)
}

/// Accounts with incrementally maintained risk and a liquidation index per underlying.
///
/// ```
/// use recal_greeks::*;
/// let mut market = Market::new();
/// market.set_underlying(1, Underlying { spot: 100.0, short_vol: 0.6, depth_per_percent: 1e6 })?;
/// let perp = market.add_instrument(Instrument::Linear { underlying: 1, kind: LinearKind::Perpetual })?;
/// let usdc = market.add_asset(CollateralAsset { price: 1.0, haircut: 0.0, underlying: None })?;
/// let mut book = AccountBook::new(market, MarginParams::default())?;
/// let alice = book.add_account();
/// book.set_collateral(alice, usdc, 150.0)?;
/// book.set_position(alice, perp, Position { quantity: 10.0, entry_price: 100.0 })?;
/// assert!(book.set_spot(1, 95.0)?.is_empty());
/// assert_eq!(book.set_spot(1, 89.0)?, vec![alice]); // below 850/9.5 ≈ 89.47
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
#[derive(Debug, Clone)]
pub struct AccountBook {
    market: Market,
    params: MarginParams,
    accounts: Vec<Account>,
    risks: Vec<AccountRisk>,
    /// Market epoch at which each account was last revalued.
    valued_at: Vec<u64>,
    /// Accounts holding each instrument.
    holders: Vec<BTreeSet<usize>>,
    indexes: BTreeMap<u32, LiquidationIndex>,
    /// Next account [`AccountBook::refresh`] revalues.
    cursor: usize,
    /// Incremented on every market or parameter change.
    epoch: u64,
}

impl AccountBook {
    /// An empty book over `market` under `params`.
    ///
    /// # Errors
    /// [`GreeksError::Input`] for invalid parameters.
    pub fn new(market: Market, params: MarginParams) -> Result<Self, GreeksError> {
        params.validate()?;
        let holders = vec![BTreeSet::new(); market.instruments().len()];
        Ok(AccountBook {
            market,
            params,
            accounts: Vec::new(),
            risks: Vec::new(),
            valued_at: Vec::new(),
            holders,
            indexes: BTreeMap::new(),
            cursor: 0,
            epoch: 0,
        })
    }

    /// The market the book is valued against.
    #[must_use]
    pub fn market(&self) -> &Market {
        &self.market
    }

    /// The margin parameters in force.
    #[must_use]
    pub fn params(&self) -> &MarginParams {
        &self.params
    }

    /// Number of accounts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the book has no account.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Account `account`.
    ///
    /// # Errors
    /// [`GreeksError::UnknownAccount`].
    pub fn account(&self, account: usize) -> Result<&Account, GreeksError> {
        self.accounts
            .get(account)
            .ok_or(GreeksError::UnknownAccount { account })
    }

    /// Risk of `account` as of its last revaluation.
    ///
    /// # Errors
    /// [`GreeksError::UnknownAccount`].
    pub fn risk(&self, account: usize) -> Result<&AccountRisk, GreeksError> {
        self.risks
            .get(account)
            .ok_or(GreeksError::UnknownAccount { account })
    }

    /// Whether `account` was revalued since the last market or parameter change.
    #[must_use]
    pub fn is_fresh(&self, account: usize) -> bool {
        self.valued_at.get(account) == Some(&self.epoch)
    }

    /// The liquidation index of `underlying`, if any account is exposed to it.
    #[must_use]
    pub fn index(&self, underlying: u32) -> Option<&LiquidationIndex> {
        self.indexes.get(&underlying)
    }

    /// Adds an empty account and returns its id.
    pub fn add_account(&mut self) -> usize {
        self.accounts.push(Account::new());
        self.risks.push(AccountRisk::default());
        self.valued_at.push(self.epoch);
        self.accounts.len() - 1
    }

    /// Adds an instrument to the market and returns its index.
    ///
    /// # Errors
    /// As [`Market::add_instrument`].
    pub fn add_instrument(&mut self, instrument: Instrument) -> Result<usize, GreeksError> {
        let index = self.market.add_instrument(instrument)?;
        self.holders.push(BTreeSet::new());
        Ok(index)
    }

    /// Sets `account`'s position in `instrument` (quantity 0 closes it) and revalues the account.
    ///
    /// # Errors
    /// [`GreeksError::UnknownAccount`], [`GreeksError::UnknownInstrument`], an invalid position,
    /// or a revaluation error (the book is then unchanged).
    pub fn set_position(
        &mut self,
        account: usize,
        instrument: usize,
        position: Position,
    ) -> Result<(), GreeksError> {
        self.market.instrument(instrument)?;
        let mut updated = self.account(account)?.clone();
        updated.set_position(instrument, position)?;
        self.commit(account, updated)?;
        let holders = &mut self.holders[instrument];
        if position.quantity == 0.0 {
            holders.remove(&account);
        } else {
            holders.insert(account);
        }
        Ok(())
    }

    /// Sets the amount of collateral `asset` held by `account` and revalues the account.
    ///
    /// # Errors
    /// [`GreeksError::UnknownAccount`], [`GreeksError::UnknownAsset`], an invalid amount, or a
    /// revaluation error (the book is then unchanged).
    pub fn set_collateral(
        &mut self,
        account: usize,
        asset: usize,
        amount: f64,
    ) -> Result<(), GreeksError> {
        self.market.asset(asset)?;
        let mut updated = self.account(account)?.clone();
        updated.set_collateral(asset, amount)?;
        self.commit(account, updated)
    }

    /// A spot tick: sets the spot of `underlying` and returns the accounts whose liquidation
    /// price the move from the previous spot crossed ([`LiquidationIndex::crossed`]): those it
    /// made liquidatable. O(log n + k) for k accounts crossed, whatever the book's size and
    /// however many accounts were breached already (those stay listed by
    /// [`AccountBook::breached`]). No account is revalued; the caller confirms candidates with
    /// [`AccountBook::revalue`] before liquidating them.
    ///
    /// # Errors
    /// [`GreeksError::UnknownUnderlying`]; [`GreeksError::Input`] unless `spot` is finite and > 0.
    pub fn set_spot(&mut self, underlying: u32, spot: f64) -> Result<Vec<usize>, GreeksError> {
        let from = self.market.underlying(underlying)?.spot;
        self.market.set_spot(underlying, spot)?;
        self.epoch += 1;
        Ok(self
            .indexes
            .get(&underlying)
            .map(|index| index.crossed(from, spot).collect())
            .unwrap_or_default())
    }

    /// Accounts whose liquidation range on `underlying` the current spot breaches, by the index:
    /// O(log n + k) for k accounts breached (including any in deficit).
    #[must_use]
    pub fn breached(&self, underlying: u32) -> Vec<usize> {
        match (
            self.indexes.get(&underlying),
            self.market.underlying(underlying),
        ) {
            (Some(index), Ok(state)) => index.breached(state.spot).collect(),
            _ => Vec::new(),
        }
    }

    /// Replaces the state of `underlying` (short-term volatility, depth, spot). Margins that depend
    /// on it are refreshed by [`AccountBook::refresh`].
    ///
    /// # Errors
    /// As [`Market::set_underlying`].
    pub fn set_underlying(
        &mut self,
        underlying: u32,
        state: Underlying,
    ) -> Result<(), GreeksError> {
        self.market.set_underlying(underlying, state)?;
        self.epoch += 1;
        Ok(())
    }

    /// Sets the implied volatility of option `instrument` and revalues its holders. Returns the
    /// number of accounts revalued.
    ///
    /// # Errors
    /// As [`Market::set_option_vol`], or a revaluation error.
    pub fn set_option_vol(&mut self, instrument: usize, vol: f64) -> Result<usize, GreeksError> {
        self.market.set_option_vol(instrument, vol)?;
        self.epoch += 1;
        let holders: Vec<usize> = self.holders[instrument].iter().copied().collect();
        for &account in &holders {
            self.revalue(account)?;
        }
        Ok(holders.len())
    }

    /// Replaces the margin parameters; margins are refreshed by [`AccountBook::refresh`].
    ///
    /// # Errors
    /// [`GreeksError::Input`] for invalid parameters (the book is then unchanged).
    pub fn set_params(&mut self, params: MarginParams) -> Result<(), GreeksError> {
        params.validate()?;
        self.params = params;
        self.epoch += 1;
        Ok(())
    }

    /// Revalues `account` in full at the current market and updates its index entries.
    ///
    /// # Errors
    /// [`GreeksError::UnknownAccount`] or a revaluation error (the account's previous risk is
    /// then kept).
    pub fn revalue(&mut self, account: usize) -> Result<&AccountRisk, GreeksError> {
        let risk = assess_account(self.account(account)?, &self.market, &self.params)?;
        self.store(account, risk);
        Ok(&self.risks[account])
    }

    /// Revalues at most `budget` accounts, continuing round-robin from where the previous call
    /// stopped; returns how many were revalued. Call once per tick to bound the work per tick.
    ///
    /// # Errors
    /// A revaluation error; the cursor then stays on the failing account.
    pub fn refresh(&mut self, budget: usize) -> Result<usize, GreeksError> {
        let count = budget.min(self.accounts.len());
        for _ in 0..count {
            self.cursor %= self.accounts.len();
            self.revalue(self.cursor)?;
            self.cursor += 1;
        }
        Ok(count)
    }

    /// The liquidation map of `underlying` around its spot (see [`LiquidationMap::build`]), each
    /// account weighted by its collateral value and its gross notional on the underlying.
    ///
    /// # Errors
    /// [`GreeksError::UnknownUnderlying`], or invalid width or span.
    pub fn liquidation_map(
        &self,
        underlying: u32,
        bucket_width: f64,
        span: f64,
    ) -> Result<LiquidationMap, GreeksError> {
        let spot = self.market.underlying(underlying)?.spot;
        let empty = LiquidationIndex::new();
        let index = self.indexes.get(&underlying).unwrap_or(&empty);
        LiquidationMap::build(index, spot, bucket_width, span, |account| {
            let risk = &self.risks[account];
            let notional = risk
                .valuation
                .exposures
                .get(&underlying)
                .map_or(0.0, |exposure| exposure.gross_notional);
            (risk.valuation.collateral_value, notional)
        })
    }

    /// The accounts liquidated along `side` of `underlying` within `span` (fraction of spot) of
    /// the spot, as inputs to [`crate::run_cascade`] and [`crate::cascade_distance`]; accounts
    /// already breached or in deficit are included at the spot. O(log n + k).
    ///
    /// # Errors
    /// [`GreeksError::UnknownUnderlying`]; [`GreeksError::Input`] unless `span` is finite and > 0.
    pub fn cascade_accounts(
        &self,
        underlying: u32,
        side: Side,
        span: f64,
    ) -> Result<Vec<CascadeAccount>, GreeksError> {
        positive("span", span)?;
        let spot = self.market.underlying(underlying)?.spot;
        let Some(index) = self.indexes.get(&underlying) else {
            return Ok(Vec::new());
        };
        let reached: Vec<(f64, usize)> = match side {
            Side::Down => index
                .below_between(spot * (1.0 - span), f64::INFINITY)
                .collect(),
            Side::Up => index
                .above_between(f64::NEG_INFINITY, spot * (1.0 + span))
                .collect(),
        };
        let in_deficit = index.in_deficit().map(|account| (spot, account));
        let entries = reached.into_iter().chain(in_deficit);
        Ok(entries
            .filter_map(|(price, account)| {
                let risk = &self.risks[account];
                let exposure = risk.valuation.exposures.get(&underlying)?;
                // Accounts already breached (or in deficit, at +∞) are liquidated at the spot.
                let liquidation_price = match side {
                    Side::Down => price.min(spot),
                    Side::Up => price.max(spot),
                };
                Some(CascadeAccount {
                    liquidation_price,
                    equity: risk.valuation.equity,
                    delta: exposure.delta,
                    gamma: exposure.gamma,
                    reference_spot: exposure.spot,
                })
            })
            .collect())
    }

    /// Σ over accounts of their exposure on `underlying` as of their last revaluation, with the
    /// underlying's current spot (the traders' aggregate; a protocol that is their counterparty
    /// holds its negative, the input of [`crate::solvency`]). O(n); not for the tick path.
    #[must_use]
    pub fn total_exposure(&self, underlying: u32) -> Exposure {
        let spot = self
            .market
            .underlying(underlying)
            .map_or(0.0, |state| state.spot);
        self.risks
            .iter()
            .filter_map(|risk| risk.valuation.exposures.get(&underlying))
            .fold(
                Exposure {
                    spot,
                    ..Exposure::default()
                },
                |total, exposure| Exposure {
                    spot,
                    delta: total.delta + exposure.delta,
                    gamma: total.gamma + exposure.gamma,
                    vega: total.vega + exposure.vega,
                    pnl: total.pnl + exposure.pnl,
                    gross_notional: total.gross_notional + exposure.gross_notional,
                },
            )
    }

    /// Revalues `updated` and, if that succeeds, stores it as `account`.
    fn commit(&mut self, account: usize, updated: Account) -> Result<(), GreeksError> {
        let risk = assess_account(&updated, &self.market, &self.params)?;
        self.accounts[account] = updated;
        self.store(account, risk);
        Ok(())
    }

    /// Stores `risk` as the account's latest and moves its index entries.
    fn store(&mut self, account: usize, risk: AccountRisk) {
        for underlying in self.risks[account].ranges.keys() {
            if !risk.ranges.contains_key(underlying)
                && let Some(index) = self.indexes.get_mut(underlying)
            {
                index.remove(account);
            }
        }
        for (&underlying, &range) in &risk.ranges {
            self.indexes
                .entry(underlying)
                .or_default()
                .insert(account, range);
        }
        self.risks[account] = risk;
        self.valued_at[account] = self.epoch;
    }
}
