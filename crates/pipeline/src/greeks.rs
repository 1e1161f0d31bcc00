//! Stage 3 adapter: the account book of each market and its risk snapshot.

use std::collections::HashMap;

use recal_greeks::{
    AccountBook, BookExposure, CollateralAsset, GreeksError, Instrument, LinearKind, MarginParams,
    Market, Position, Solvency, SolvencyModel, SolvencyParams, Underlying,
};
use recal_types::{Event, InstrumentId, MarketId, Payload, Timestamp};

use crate::message::{EstimateUpdate, Estimated, RiskSnapshot};
use crate::stage::Stage;

/// The ids one market's messages are recognised by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The market, as signed into proposals.
    pub market: MarketId,
    /// The market's id in protocol-state events (positions, open interest).
    pub market_instrument: InstrumentId,
    /// The underlying's price instrument (estimates, book tops).
    pub price_instrument: InstrumentId,
    /// The collateral asset (collateral, insurance fund, total collateral).
    pub collateral_asset: InstrumentId,
}

/// Settings of the greeks stage.
#[derive(Debug, Clone)]
pub struct GreeksSettings {
    /// Margin model of the account books.
    pub margin: MarginParams,
    /// Accounts revalued per price tick.
    pub refresh_budget: usize,
    /// Expected Shortfall settings.
    pub solvency: SolvencyParams,
    /// Minimum event time between two solvency computations, ns.
    pub solvency_interval_ns: u64,
}

/// The underlying's id inside each market's [`AccountBook`] (one underlying per book).
const UNDERLYING: u32 = 0;

/// The book of one market, built at its first price.
#[derive(Debug)]
struct Book {
    accounts: AccountBook,
    perpetual: usize,
    collateral: usize,
    /// Protocol account id → book account.
    ids: HashMap<u64, usize>,
    long_units: f64,
    short_units: f64,
}

/// State of one market.
#[derive(Debug)]
struct MarketRisk {
    route: Route,
    book: Option<Book>,
    /// State events received before the first price, replayed when the book is built.
    pending: Vec<Event>,
    estimate: Option<EstimateUpdate>,
    /// Negative collateral balances per protocol account.
    debts: HashMap<u64, f64>,
    insurance_fund: f64,
    total_collateral: f64,
    open_interest: Option<(f64, f64)>,
    book_depth: f64,
    solvency: Option<Solvency>,
    solvency_at: Option<Timestamp>,
}

/// Greek aggregation. Maintains each market's [`AccountBook`] from position and collateral
/// events and spot ticks, and emits a [`RiskSnapshot`] on every estimate update of the market's
/// underlying and on every change of its insurance fund, total collateral or open interest.
/// Work per tick is bounded: the liquidation index answers the breached accounts, at most
/// `refresh_budget` accounts are revalued, and the solvency ratio is recomputed at most once
/// per `solvency_interval_ns` of event time.
#[derive(Debug)]
pub struct GreeksStage {
    settings: GreeksSettings,
    /// The Expected Shortfall's Student-t table, built once; `None` for invalid settings (no
    /// solvency ratio is then reported).
    solvency_model: Option<SolvencyModel>,
    markets: Vec<MarketRisk>,
    errors: u64,
}

impl GreeksStage {
    /// A stage for the markets of `routes`.
    #[must_use]
    pub fn new(routes: &[Route], settings: GreeksSettings) -> Self {
        let markets = routes
            .iter()
            .map(|&route| MarketRisk {
                route,
                book: None,
                pending: Vec::new(),
                estimate: None,
                debts: HashMap::new(),
                insurance_fund: 0.0,
                total_collateral: 0.0,
                open_interest: None,
                book_depth: 0.0,
                solvency: None,
                solvency_at: None,
            })
            .collect();
        Self {
            solvency_model: SolvencyModel::new(settings.solvency).ok(),
            settings,
            markets,
            errors: 0,
        }
    }

    /// Events the account books refused (invalid position, unknown account, …).
    #[must_use]
    pub const fn errors(&self) -> u64 {
        self.errors
    }

    /// Accounts in the book of `market`.
    #[must_use]
    pub fn accounts(&self, market: MarketId) -> usize {
        self.markets
            .iter()
            .find(|m| m.route.market == market)
            .and_then(|m| m.book.as_ref())
            .map_or(0, |book| book.accounts.len())
    }
}

impl Stage for GreeksStage {
    type Input<'a> = &'a Estimated;
    type Output = RiskSnapshot;

    fn process(&mut self, input: &Estimated, out: &mut Vec<RiskSnapshot>) {
        let settings = &self.settings;
        let model = self.solvency_model.as_ref();
        for market in &mut self.markets {
            let result = match input {
                Estimated::Estimate(update)
                    if update.instrument == market.route.price_instrument =>
                {
                    market.on_estimate(update, settings, model).map(Some)
                }
                Estimated::Estimate(_) | Estimated::ImpliedVol(_) | Estimated::Surface(_) => {
                    Ok(None)
                }
                Estimated::Event(event) => market.on_event(event, settings, model),
            };
            match result {
                Ok(Some(snapshot)) => out.push(snapshot),
                Ok(None) => {}
                Err(_) => self.errors += 1,
            }
        }
    }
}

impl MarketRisk {
    /// A price tick (or feed-status change) of the underlying.
    fn on_estimate(
        &mut self,
        update: &EstimateUpdate,
        settings: &GreeksSettings,
        model: Option<&SolvencyModel>,
    ) -> Result<RiskSnapshot, GreeksError> {
        self.estimate = Some(*update);
        let state = Underlying {
            spot: update.spot,
            short_vol: update.short_vol,
            depth_per_percent: (self.book_depth / 2.0).max(1.0),
        };
        if self.book.is_none() {
            self.book = Some(Book::new(state, settings.margin.clone())?);
            for event in std::mem::take(&mut self.pending) {
                self.apply(&event)?;
            }
        }
        if let Some(book) = &mut self.book {
            book.accounts.set_underlying(UNDERLYING, state)?;
            book.accounts.refresh(settings.refresh_budget)?;
        }
        self.refresh_solvency(update, settings, model);
        Ok(self.snapshot(*update, update.time, update.receive_time))
    }

    /// A protocol-state or venue event; returns a snapshot when it changes a trigger input.
    fn on_event(
        &mut self,
        event: &Event,
        settings: &GreeksSettings,
        model: Option<&SolvencyModel>,
    ) -> Result<Option<RiskSnapshot>, GreeksError> {
        let Ok(payload) = event.payload() else {
            return Ok(None);
        };
        let id = event.instrument();
        let route = self.route;
        let changes_inputs = match payload {
            Payload::PositionChange(_) if id == route.market_instrument => {
                self.apply_or_defer(event)?;
                false
            }
            Payload::CollateralChange(change) if id == route.collateral_asset => {
                self.record_debt(change.account, change.collateral);
                self.apply_or_defer(event)?;
                false
            }
            Payload::InsuranceFund(balance) if id == route.collateral_asset => {
                self.insurance_fund = balance.amount.max(0.0);
                true
            }
            Payload::TotalCollateral(balance) if id == route.collateral_asset => {
                self.total_collateral = balance.amount;
                true
            }
            Payload::OpenInterest(oi) if id == route.market_instrument => {
                self.open_interest = Some((oi.long, oi.short));
                true
            }
            Payload::BestBidOffer(top) if id == route.price_instrument => {
                self.book_depth = top.bid_price * top.bid_size + top.ask_price * top.ask_size;
                false
            }
            _ => false,
        };
        let Some(estimate) = self.estimate.filter(|_| changes_inputs) else {
            return Ok(None);
        };
        self.refresh_solvency(&estimate, settings, model);
        Ok(Some(self.snapshot(
            estimate,
            estimate.time.max(event.source_time()),
            event.receive_time(),
        )))
    }

    fn record_debt(&mut self, account: u64, collateral: f64) {
        if collateral < 0.0 {
            self.debts.insert(account, -collateral);
        } else {
            self.debts.remove(&account);
        }
    }

    fn apply_or_defer(&mut self, event: &Event) -> Result<(), GreeksError> {
        if self.book.is_some() {
            self.apply(event)
        } else {
            self.pending.push(*event);
            Ok(())
        }
    }

    /// Applies a position or collateral event to the book.
    fn apply(&mut self, event: &Event) -> Result<(), GreeksError> {
        let (Some(book), Some(estimate)) = (&mut self.book, &self.estimate) else {
            return Ok(());
        };
        match event.payload() {
            Ok(Payload::PositionChange(change)) => book.set_position(
                change.account,
                change.size,
                change.entry_price.unwrap_or(estimate.spot),
            ),
            Ok(Payload::CollateralChange(change)) => {
                book.set_collateral(change.account, change.collateral.max(0.0))
            }
            _ => Ok(()),
        }
    }

    fn refresh_solvency(
        &mut self,
        estimate: &EstimateUpdate,
        settings: &GreeksSettings,
        model: Option<&SolvencyModel>,
    ) {
        let due = self.solvency_at.is_none_or(|at| {
            estimate.time.saturating_nanos_since(at) >= settings.solvency_interval_ns
        });
        let Some(book) = self.book.as_ref().filter(|_| due) else {
            return;
        };
        self.solvency_at = Some(estimate.time);
        // The protocol is every trader's counterparty: it holds the opposite of their net.
        let exposure = BookExposure {
            spot: estimate.spot,
            delta: book.short_units - book.long_units,
            gamma: 0.0,
            vol: estimate.short_vol,
        };
        self.solvency =
            model.and_then(|model| model.solvency(self.insurance_fund, &[exposure]).ok());
    }

    fn snapshot(
        &self,
        estimate: EstimateUpdate,
        time: Timestamp,
        receive_time: Timestamp,
    ) -> RiskSnapshot {
        let spot = estimate.spot;
        let (long_units, short_units, breached) = self.book.as_ref().map_or((0.0, 0.0, 0), |b| {
            (b.long_units, b.short_units, breached_count(&b.accounts))
        });
        let (oi_long, oi_short) = self.open_interest.unwrap_or((long_units, short_units));
        RiskSnapshot {
            market: self.route.market,
            time,
            receive_time,
            estimate,
            breached_accounts: breached,
            total_exposure: (long_units + short_units) * spot,
            solvency_ratio: self.solvency.and_then(|s| s.ratio),
            bad_debt: self.debts.values().sum(),
            insurance_fund: self.insurance_fund,
            total_collateral: self.total_collateral,
            open_interest_long: oi_long * spot,
            open_interest_short: oi_short * spot,
            book_depth: self.book_depth,
        }
    }
}

/// Accounts of `accounts` breached at its current spot, counted from the liquidation index
/// without collecting them: O(log n + k) and no allocation per snapshot.
fn breached_count(accounts: &AccountBook) -> usize {
    match (
        accounts.index(UNDERLYING),
        accounts.market().underlying(UNDERLYING),
    ) {
        (Some(index), Ok(state)) => index.breached(state.spot).count(),
        _ => 0,
    }
}

impl Book {
    fn new(underlying: Underlying, margin: MarginParams) -> Result<Self, GreeksError> {
        let mut market = Market::new();
        market.set_underlying(UNDERLYING, underlying)?;
        let perpetual = market.add_instrument(Instrument::Linear {
            underlying: UNDERLYING,
            kind: LinearKind::Perpetual,
        })?;
        let collateral = market.add_asset(CollateralAsset {
            price: 1.0,
            haircut: 0.0,
            underlying: None,
        })?;
        Ok(Self {
            accounts: AccountBook::new(market, margin)?,
            perpetual,
            collateral,
            ids: HashMap::new(),
            long_units: 0.0,
            short_units: 0.0,
        })
    }

    fn account(&mut self, id: u64) -> usize {
        let accounts = &mut self.accounts;
        *self.ids.entry(id).or_insert_with(|| accounts.add_account())
    }

    fn set_position(&mut self, id: u64, size: f64, entry_price: f64) -> Result<(), GreeksError> {
        let account = self.account(id);
        let old = self
            .accounts
            .account(account)?
            .positions()
            .get(&self.perpetual)
            .map_or(0.0, |p| p.quantity);
        self.accounts.set_position(
            account,
            self.perpetual,
            Position {
                quantity: size,
                entry_price,
            },
        )?;
        self.long_units += size.max(0.0) - old.max(0.0);
        self.short_units += (-size).max(0.0) - (-old).max(0.0);
        Ok(())
    }

    fn set_collateral(&mut self, id: u64, amount: f64) -> Result<(), GreeksError> {
        let account = self.account(id);
        self.accounts
            .set_collateral(account, self.collateral, amount)
    }
}
