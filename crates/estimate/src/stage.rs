//! Stage 2 as a whole: decoded [`Event`]s in, small [`Update`] messages to stage 3 out.
//!
//! # What it consumes and what it sends
//! | input event | tracked as | output |
//! |---|---|---|
//! | trade, spot, index, oracle price, funding mark | underlying | [`Update::Spot`] when the print passes the outlier filter |
//! | feed gap | underlying | the last [`Update::Spot`] again, flagged [`FeedHealth::Gapped`] |
//! | option quote (mark IV) | option | [`Update::ImpliedVol`] when the IV changed; [`Update::Surface`] for its expiry at most once per `summary_interval_ns` |
//! | option greeks (underlying price) | option | the expiry's forward; an IV held back for it |
//! | macro value | (any) | fed to every underlying's correlations, then passed through |
//! | anything else (protocol state, book tops, untracked instruments) | — | [`Update::Passthrough`], the event untouched |
//!
//! Before a passed-through event, every underlying whose feed has gone quiet for longer than
//! its stale age (in the event time of the event being passed) is re-sent once, flagged
//! [`FeedHealth::Stale`]. Every update carries its [`Origin`]: the ordinal of the event in the
//! stage's input, the venue's sequence, the event time and the receive time.
//!
//! # Surface maintenance
//! Each underlying owns a [`VolSurface`]. An option's quote and its greeks arrive as two events
//! (Deribit tickers: quote first); a quote for an expiry whose forward is not known yet is held
//! until the greeks bring one. Every option event also runs one slice of background SABR
//! calibration (at most `calibration_iterations` iterations, [`VolSurface::calibrate`]). A
//! surface summary costs two delta-strike searches (bisections), so it is rate-limited per
//! expiry in event time; it carries the expiry's static-arbitrage counts
//! ([`VolSurface::check_expiry`]).
//!
//! # Units
//! Volatilities, vol-of-vol and implied vols are annualised fractions (0.55 = 55 %), the
//! short and long horizons being the first and last of [`UnderlyingConfig::horizons`];
//! vol-of-vol acceleration is per hour of event time; deviation is a relative move (0.01 =
//! 1 %); the tail is Student-t degrees of freedom; times are ns since the Unix epoch.
//!
//! # Cost
//! Routing is an array lookup by [`InstrumentId`]; a price costs what
//! [`UnderlyingEstimator::on_price`] costs, an option event O(log n) in its expiry's strikes
//! plus the calibration slice (and, when due, a summary). Once every instrument has been seen
//! and every strike quoted, nothing allocates: updates go to the caller's `emit`.

use recal_types::{Event, InstrumentId, InstrumentKind, Payload, Timestamp};

use crate::arbitrage::ArbitrageCounts;
use crate::error::EstimateError;
use crate::input::{NS_PER_YEAR, check_price};
use crate::skew::SmileSummary;
use crate::surface::VolSurface;
use crate::underlying::{UnderlyingConfig, UnderlyingEstimator};

/// Hours per year: the estimators' per-year acceleration over this is per hour.
const HOURS_PER_YEAR: f64 = 365.25 * 24.0;

/// Student-t degrees of freedom reported before the tail estimate exists (close to normal).
const DEFAULT_TAIL_DOF: f64 = 30.0;

/// Configuration of an [`EstimateStage`].
#[derive(Debug, Clone, PartialEq)]
pub struct StageConfig {
    /// Estimators of every underlying.
    pub underlying: UnderlyingConfig,
    /// Volatility reported until the short EWMA horizon is warm (annualised) \[0.5\].
    pub fallback_vol: f64,
    /// Nanoseconds in the surfaces' year \[[`NS_PER_YEAR`]; Deribit quotes in 365-day years\].
    pub surface_ns_per_year: f64,
    /// CEV exponent of the SABR wings \[1: lognormal backbone\].
    pub sabr_beta: f64,
    /// SABR iterations run per option event, the slice of background calibration \[1\].
    pub calibration_iterations: usize,
    /// Least event time between two summaries of one expiry, ns \[1 s\].
    pub summary_interval_ns: u64,
}

impl Default for StageConfig {
    fn default() -> Self {
        Self {
            underlying: UnderlyingConfig::default(),
            fallback_vol: 0.5,
            surface_ns_per_year: NS_PER_YEAR,
            sabr_beta: 1.0,
            calibration_iterations: 1,
            summary_interval_ns: 1_000_000_000,
        }
    }
}

/// The event an update comes from, for latency accounting and replay comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// Ordinal of the event in the stage's input, from 0 (the input journal's record order
    /// when the stage reads a whole journal): deterministic on replay.
    pub input: u64,
    /// The venue's sequence number carried by the event (0 when it has none).
    pub venue_sequence: u64,
    /// Event time of the event: the time the estimates refer to.
    pub time: Timestamp,
    /// Receive time of the event (latency metrics only, never read by logic).
    pub receive_time: Timestamp,
}

/// Health of an underlying's price feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedHealth {
    /// Prints arrive.
    Fresh,
    /// No print for longer than the stale age.
    Stale,
    /// The feed reported lost messages.
    Gapped,
}

/// Spot and price estimates of one underlying (units: see the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpotUpdate {
    /// The underlying's price instrument.
    pub instrument: InstrumentId,
    /// The event behind the update.
    pub origin: Origin,
    /// Last price that passed the outlier filter.
    pub spot: f64,
    /// Short-horizon EWMA volatility, or the fallback until it is warm.
    pub short_vol: f64,
    /// Longest-horizon EWMA volatility once warm, else the short one.
    pub long_vol: f64,
    /// Realized volatility over the rolling window, else the short one.
    pub realized_vol: f64,
    /// Largest relative move inside the deviation window (0 before two prints).
    pub deviation: f64,
    /// Vol-of-vol of the short volatility (0 before it exists).
    pub vol_of_vol: f64,
    /// Rate of change of vol-of-vol per hour (0 until vol-of-vol is warm).
    pub vol_of_vol_acceleration: f64,
    /// Student-t degrees of freedom of the returns (30 before the estimate exists).
    pub tail_dof: f64,
    /// Health of the feed.
    pub feed: FeedHealth,
}

/// A change of one option's mark implied volatility.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IvUpdate {
    /// The option.
    pub instrument: InstrumentId,
    /// Its underlying's price instrument.
    pub underlying: InstrumentId,
    /// The event behind the update.
    pub origin: Origin,
    /// Expiry of the option.
    pub expiry: Timestamp,
    /// Strike of the option.
    pub strike: f64,
    /// Forward of the expiry the IV refers to.
    pub forward: f64,
    /// The new mark IV (annualised fraction).
    pub iv: f64,
    /// The IV it replaces, `None` for the strike's first quote.
    pub previous: Option<f64>,
}

/// Summary of one expiry's smile after its quotes changed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfaceUpdate {
    /// The underlying's price instrument.
    pub underlying: InstrumentId,
    /// The event behind the update.
    pub origin: Origin,
    /// The expiry.
    pub expiry: Timestamp,
    /// Time to expiry, years of the surface.
    pub expiry_years: f64,
    /// Forward of the expiry.
    pub forward: f64,
    /// ATM vol, 25-delta risk reversal and butterfly, SABR fit state.
    pub summary: SmileSummary,
    /// Static arbitrage in the expiry's smile and against its neighbours.
    pub arbitrage: ArbitrageCounts,
}

/// One message from stage 2 to stage 3.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Update {
    /// New price estimates of an underlying, or a change of its feed's health.
    Spot(SpotUpdate),
    /// A new mark IV of an option.
    ImpliedVol(IvUpdate),
    /// A new summary of one expiry's smile.
    Surface(SurfaceUpdate),
    /// An event stage 2 does not consume (protocol state, book tops, …), untouched.
    Passthrough(Event),
}

/// What the stage counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageCounters {
    /// Events processed.
    pub events: u64,
    /// Prints the outlier filter rejected.
    pub filtered: u64,
    /// Prints or macro values the estimators refused (time not increasing, bad price).
    pub refused: u64,
    /// Option events the surface refused (expired, bad forward or IV).
    pub options_refused: u64,
    /// Surface summaries sent.
    pub summaries: u64,
    /// Static-arbitrage findings in the summaries sent.
    pub arbitrage: ArbitrageCounts,
}

/// State of one underlying.
#[derive(Debug, Clone)]
struct Underlying {
    instrument: InstrumentId,
    estimator: UnderlyingEstimator,
    last: Option<SpotUpdate>,
    surface: VolSurface,
    /// (expiry ns, event time of its last summary).
    summarised: Vec<(u64, u64)>,
}

/// One tracked option.
#[derive(Debug, Clone, Copy)]
struct OptionSlot {
    instrument: InstrumentId,
    underlying: usize,
    expiry_ns: u64,
    strike: f64,
    /// A mark IV that arrived before its expiry had a forward.
    held_iv: Option<f64>,
}

/// Where an instrument's events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Untracked,
    Underlying(usize),
    Option(usize),
}

/// Stage 2: per-underlying estimators and implied-volatility surfaces, fed by events (see the
/// module doc for what goes in and comes out).
///
/// ```
/// use recal_estimate::{EstimateStage, StageConfig, Update};
/// use recal_types::{Event, EventHeader, InstrumentId, Payload, Price, Source, Timestamp};
/// let btc = InstrumentId(1);
/// let mut stage = EstimateStage::new(StageConfig::default())?;
/// stage.track_underlying(btc)?;
/// let print = |seconds: u64, price: f64| {
///     let header = EventHeader {
///         source: Source::Pyth,
///         instrument: btc,
///         sequence: seconds,
///         source_time: Timestamp::from_nanos(seconds * 1_000_000_000),
///         receive_time: Timestamp::from_nanos(seconds * 1_000_000_000 + 500),
///     };
///     let price = Price { price, confidence: None, ema_price: None, ema_confidence: None };
///     Event::new(header, Payload::OraclePrice(price)).unwrap()
/// };
/// let mut updates = Vec::new();
/// stage.process(&print(1, 60_000.0), |u| updates.push(u));
/// stage.process(&print(2, 60_100.0), |u| updates.push(u));
/// let Update::Spot(spot) = updates[1] else { panic!() };
/// assert_eq!((spot.spot, spot.origin.input, spot.origin.venue_sequence), (60_100.0, 1, 2));
/// assert!((spot.deviation - 60_100.0 / 60_000.0 + 1.0).abs() < 1e-15);
/// # Ok::<(), recal_estimate::EstimateError>(())
/// ```
#[derive(Debug, Clone)]
pub struct EstimateStage {
    config: StageConfig,
    routes: Vec<Route>,
    underlyings: Vec<Underlying>,
    options: Vec<OptionSlot>,
    counters: StageCounters,
}

impl EstimateStage {
    /// A stage tracking nothing yet; the configuration is checked here.
    ///
    /// # Errors
    /// An invalid estimator configuration, fallback vol, year length or SABR β.
    pub fn new(config: StageConfig) -> Result<Self, EstimateError> {
        UnderlyingEstimator::new(config.underlying.clone())?;
        VolSurface::new(config.surface_ns_per_year, config.sabr_beta)?;
        check_price(config.fallback_vol).map_err(|_| EstimateError::InvalidValue {
            name: "fallback_vol",
            value: config.fallback_vol,
        })?;
        Ok(Self {
            config,
            routes: Vec::new(),
            underlyings: Vec::new(),
            options: Vec::new(),
            counters: StageCounters::default(),
        })
    }

    /// Routes `instrument` to `route`; an instrument is tracked once.
    fn route(&mut self, instrument: InstrumentId, route: Route) -> Result<(), EstimateError> {
        let index = instrument.0 as usize;
        if self
            .routes
            .get(index)
            .is_some_and(|r| *r != Route::Untracked)
        {
            return Err(EstimateError::InvalidConfig("instrument already tracked"));
        }
        if self.routes.len() <= index {
            self.routes.resize(index + 1, Route::Untracked);
        }
        self.routes[index] = route;
        Ok(())
    }

    /// Tracks the prices of `instrument` as an underlying (its own estimators and surface).
    ///
    /// # Errors
    /// The instrument is already tracked.
    pub fn track_underlying(&mut self, instrument: InstrumentId) -> Result<(), EstimateError> {
        self.route(instrument, Route::Underlying(self.underlyings.len()))?;
        self.underlyings.push(Underlying {
            instrument,
            estimator: UnderlyingEstimator::new(self.config.underlying.clone())?,
            last: None,
            surface: VolSurface::new(self.config.surface_ns_per_year, self.config.sabr_beta)?,
            summarised: Vec::new(),
        });
        Ok(())
    }

    /// Tracks `option` (its descriptor's kind must be [`InstrumentKind::Option`]) on the
    /// surface of the tracked underlying `underlying`.
    ///
    /// # Errors
    /// Not an option, a strike not finite and > 0, an untracked underlying, or an option
    /// already tracked.
    pub fn track_option(
        &mut self,
        option: InstrumentId,
        underlying: InstrumentId,
        kind: &InstrumentKind,
    ) -> Result<(), EstimateError> {
        let &InstrumentKind::Option { expiry, strike, .. } = kind else {
            return Err(EstimateError::InvalidConfig("not an option"));
        };
        check_price(strike)?;
        let Some(&Route::Underlying(index)) = self.routes.get(underlying.0 as usize) else {
            return Err(EstimateError::InvalidConfig("underlying not tracked"));
        };
        self.route(option, Route::Option(self.options.len()))?;
        self.options.push(OptionSlot {
            instrument: option,
            underlying: index,
            expiry_ns: expiry.as_nanos(),
            strike,
            held_iv: None,
        });
        Ok(())
    }

    /// What the stage counted so far.
    pub fn counters(&self) -> StageCounters {
        self.counters
    }

    /// The estimators of a tracked underlying.
    pub fn estimator(&self, underlying: InstrumentId) -> Option<&UnderlyingEstimator> {
        self.underlying(underlying).map(|u| &u.estimator)
    }

    /// The implied-volatility surface of a tracked underlying.
    pub fn surface(&self, underlying: InstrumentId) -> Option<&VolSurface> {
        self.underlying(underlying).map(|u| &u.surface)
    }

    fn underlying(&self, instrument: InstrumentId) -> Option<&Underlying> {
        match self.routes.get(instrument.0 as usize) {
            Some(&Route::Underlying(index)) => self.underlyings.get(index),
            _ => None,
        }
    }

    /// Processes one event, passing every update it produces to `emit`, in order. Bad input
    /// is counted ([`EstimateStage::counters`]), never a panic.
    pub fn process(&mut self, event: &Event, mut emit: impl FnMut(Update)) {
        let origin = Origin {
            input: self.counters.events,
            venue_sequence: event.sequence(),
            time: event.source_time(),
            receive_time: event.receive_time(),
        };
        self.counters.events += 1;
        let route = self
            .routes
            .get(event.instrument().0 as usize)
            .copied()
            .unwrap_or(Route::Untracked);
        let payload = event.payload();
        match (route, payload) {
            (Route::Underlying(index), Ok(Payload::FeedGap(_))) => {
                self.flag(index, origin, FeedHealth::Gapped, &mut emit);
                return;
            }
            (Route::Underlying(index), Ok(payload)) => {
                if let Some(price) = price_of(&payload) {
                    self.on_price(index, origin, price, &mut emit);
                    return;
                }
            }
            (Route::Option(index), Ok(Payload::OptionQuote(quote))) => {
                self.on_option(index, origin, None, Some(quote.mark_iv), &mut emit);
                return;
            }
            (Route::Option(index), Ok(Payload::OptionGreeks(greeks))) => {
                let forward = Some(greeks.underlying_price);
                self.on_option(index, origin, forward, None, &mut emit);
                return;
            }
            (_, Ok(Payload::MacroValue(value))) => {
                let (id, t_ns) = (event.instrument().0, origin.time.as_nanos());
                for underlying in &mut self.underlyings {
                    if underlying
                        .estimator
                        .on_macro(id, t_ns, value.value)
                        .is_err()
                    {
                        self.counters.refused += 1;
                    }
                }
            }
            _ => {}
        }
        let now_ns = origin.time.as_nanos();
        for index in 0..self.underlyings.len() {
            if self.underlyings[index].estimator.is_stale(now_ns) {
                self.flag(index, origin, FeedHealth::Stale, &mut emit);
            }
        }
        emit(Update::Passthrough(*event));
    }

    fn on_price(
        &mut self,
        index: usize,
        origin: Origin,
        price: f64,
        emit: &mut impl FnMut(Update),
    ) {
        let underlying = &mut self.underlyings[index];
        match underlying.estimator.on_price(origin.time.as_nanos(), price) {
            Ok(verdict) => match verdict.price() {
                Some(spot) => {
                    let update = spot_update(underlying, &self.config, origin, spot);
                    underlying.last = Some(update);
                    emit(Update::Spot(update));
                }
                None => self.counters.filtered += 1,
            },
            Err(_) => self.counters.refused += 1,
        }
    }

    /// Re-sends the last spot update of underlying `index` flagged `feed`, once per change.
    fn flag(
        &mut self,
        index: usize,
        origin: Origin,
        feed: FeedHealth,
        emit: &mut impl FnMut(Update),
    ) {
        if let Some(last) = &mut self.underlyings[index].last
            && last.feed != feed
        {
            last.feed = feed;
            last.origin = origin;
            emit(Update::Spot(*last));
        }
    }

    /// An option's forward (from its greeks) and/or mark IV (from its quote).
    fn on_option(
        &mut self,
        index: usize,
        origin: Origin,
        forward: Option<f64>,
        iv: Option<f64>,
        emit: &mut impl FnMut(Update),
    ) {
        let config = &self.config;
        let slot = &mut self.options[index];
        let underlying = &mut self.underlyings[slot.underlying];
        let surface = &mut underlying.surface;
        let now_ns = origin.time.as_nanos();
        let expiry_ns = slot.expiry_ns;
        let mut refused = surface.set_time(now_ns.max(surface.now_ns())).is_err();
        if let Some(forward) = forward {
            let known = surface.smile(expiry_ns).map(|s| s.forward());
            if known != Some(forward) {
                refused |= surface.set_forward(expiry_ns, forward).is_err();
            }
        }
        let iv = iv.or_else(|| slot.held_iv.take());
        if let Some(iv) = iv.filter(|_| !refused) {
            if let Some(smile_forward) = surface.smile(expiry_ns).map(|s| s.forward()) {
                match surface.set_iv(expiry_ns, slot.strike, iv) {
                    Ok(previous) if previous != Some(iv) => {
                        emit(Update::ImpliedVol(IvUpdate {
                            instrument: slot.instrument,
                            underlying: underlying.instrument,
                            origin,
                            expiry: Timestamp::from_nanos(expiry_ns),
                            strike: slot.strike,
                            forward: smile_forward,
                            iv,
                            previous,
                        }));
                        summarise(
                            underlying,
                            config,
                            &mut self.counters,
                            expiry_ns,
                            origin,
                            emit,
                        );
                    }
                    Ok(_) => {}
                    Err(_) => refused = true,
                }
            } else {
                slot.held_iv = Some(iv);
            }
        }
        self.counters.options_refused += u64::from(refused);
        underlying.surface.calibrate(config.calibration_iterations);
    }
}

/// Sends the summary of `expiry_ns` of `underlying` if its interval has passed.
fn summarise(
    underlying: &mut Underlying,
    config: &StageConfig,
    counters: &mut StageCounters,
    expiry_ns: u64,
    origin: Origin,
    emit: &mut impl FnMut(Update),
) {
    let now_ns = origin.time.as_nanos();
    let position = underlying
        .summarised
        .iter()
        .position(|&(e, _)| e == expiry_ns);
    let due = position.is_none_or(|i| {
        now_ns.saturating_sub(underlying.summarised[i].1) >= config.summary_interval_ns
    });
    let Some(smile) = underlying.surface.smile(expiry_ns).filter(|_| due) else {
        return;
    };
    let Ok(summary) = smile.summary() else {
        return;
    };
    let arbitrage = underlying.surface.check_expiry(expiry_ns, |_| {});
    match position {
        Some(i) => underlying.summarised[i].1 = now_ns,
        None => underlying.summarised.push((expiry_ns, now_ns)),
    }
    counters.summaries += 1;
    counters.arbitrage.add(arbitrage);
    emit(Update::Surface(SurfaceUpdate {
        underlying: underlying.instrument,
        origin,
        expiry: Timestamp::from_nanos(expiry_ns),
        expiry_years: smile.expiry_years(),
        forward: smile.forward(),
        summary,
        arbitrage,
    }));
}

/// The estimates of `underlying` after an accepted print at `spot`.
fn spot_update(
    underlying: &Underlying,
    config: &StageConfig,
    origin: Origin,
    spot: f64,
) -> SpotUpdate {
    let estimator = &underlying.estimator;
    let ewma = estimator.ewma();
    let warm_vol = |index: usize| {
        ewma.horizon(index)
            .filter(|h| h.is_warm())
            .and_then(|h| h.annual_vol())
            .filter(|v| *v > 0.0)
    };
    let short_vol = warm_vol(0).unwrap_or(config.fallback_vol);
    let long_vol = ewma
        .len()
        .checked_sub(1)
        .and_then(warm_vol)
        .unwrap_or(short_vol);
    let vol_of_vol = estimator.vol_of_vol();
    SpotUpdate {
        instrument: underlying.instrument,
        origin,
        spot,
        short_vol,
        long_vol,
        realized_vol: estimator.rolling().annual_vol().unwrap_or(short_vol),
        deviation: estimator.deviation().deviation().unwrap_or(0.0),
        vol_of_vol: vol_of_vol.vol_of_vol().unwrap_or(0.0),
        // Before vol-of-vol rests on a full memory its slope is the start-up transient.
        vol_of_vol_acceleration: vol_of_vol
            .acceleration()
            .filter(|_| vol_of_vol.is_warm())
            .map_or(0.0, |per_year| per_year / HOURS_PER_YEAR),
        tail_dof: estimator
            .tail()
            .degrees_of_freedom()
            .unwrap_or(DEFAULT_TAIL_DOF),
        feed: FeedHealth::Fresh,
    }
}

/// The price an event carries for the estimators, if it is a price event.
fn price_of(payload: &Payload) -> Option<f64> {
    match payload {
        Payload::Trade(trade) => Some(trade.price),
        Payload::SpotPrice(p) | Payload::IndexPrice(p) | Payload::OraclePrice(p) => Some(p.price),
        Payload::FundingMark(mark) => Some(mark.mark_price),
        _ => None,
    }
}
