//! Stage 2 of recal: estimator update, per underlying, in event time.
//!
//! Every estimator reads time only from the timestamps (ns) given with each observation, costs
//! O(1) amortised per event (the outlier filter O(N) for its small fixed N), allocates nothing
//! per event in steady state, and refuses bad input (non-finite or non-positive price,
//! duplicate or out-of-order timestamp) with an [`EstimateError`], leaving its state unchanged.
//! Pure logic: no threads, no I/O.
//!
//! The implied-volatility surface ([`VolSurface`] of [`Smile`]s) costs O(log n) per quote
//! update and query (n strikes of the expiry); replacing a quoted strike's IV, querying and
//! slices of SABR calibration allocate nothing once every strike has been quoted once (a new
//! strike may allocate a B-tree node). Its SABR fits run only in the slices the caller gives
//! them ([`VolSurface::calibrate`]), off the hot path.
//!
//! [`EstimateStage`] is the stage as a whole: it takes decoded [`recal_types::Event`]s, routes
//! prints to each tracked underlying's [`UnderlyingEstimator`] and option quotes to its
//! [`VolSurface`], and hands small [`Update`] messages for stage 3 to a caller-provided `emit`
//! (spot and price estimates, per-option IV changes, per-expiry smile summaries with their
//! static-arbitrage counts; every other event passed through untouched), each with the
//! [`Origin`] of the event behind it. Units: volatilities annualised fractions, vol-of-vol
//! acceleration per hour, deviation a relative move, times ns of event time (see
//! [`stage`]).
//!
//! | module | estimator |
//! |---|---|
//! | [`input`] | validated prints, event-time clock, log returns ([`LogReturns`]) |
//! | [`decay`] | half-life (event time) or RiskMetrics lambda forgetting ([`Decay`]) |
//! | [`ewma`] | EWMA variance at several horizons ([`EwmaHorizons`]), irregular-time exact |
//! | [`rolling`] | realized vol over an exact rolling window ([`RollingRealizedVol`]) |
//! | [`deviation`] | max relative move inside a window, trigger 1 ([`DeviationWindow`]) |
//! | [`volvol`] | vol-of-vol and its acceleration ([`VolOfVol`]) |
//! | [`tail`] | EWMA kurtosis → Student-t ν ([`TailEstimator`]) |
//! | [`correlation`] | EWMA correlation / beta against macro series ([`MacroCorrelation`]) |
//! | [`outlier`] | median/MAD filter against manipulated prints ([`OutlierFilter`]) |
//! | [`stale`] | stale-source flag ([`StaleDetector`]) |
//! | [`implied`] | Black-76 price and implied vol ([`Black76`]) |
//! | [`sabr`] | Hagan SABR vol and its calibration ([`SabrParams`], [`SabrCalibration`]) |
//! | [`smile`] | one expiry's IV smile: linear total variance in log-moneyness, SABR wings ([`Smile`]) |
//! | [`skew`] | ATM vol, 25-delta risk reversal and butterfly ([`SmileSummary`]) |
//! | [`surface`] | smiles across expiries, linear total variance in time ([`VolSurface`]) |
//! | [`arbitrage`] | static no-arbitrage checks: vertical spread, butterfly, density, calendar ([`Arbitrage`]) |
//! | [`underlying`] | all of the price estimators behind the outlier filter ([`UnderlyingEstimator`]) |
//! | [`stage`] | events in, [`Update`]s out: the stage-2 state machine ([`EstimateStage`]) |

pub mod arbitrage;
pub mod correlation;
pub mod decay;
pub mod deviation;
pub mod error;
pub mod ewma;
pub mod implied;
pub mod input;
pub mod outlier;
pub mod rolling;
pub mod sabr;
pub mod skew;
pub mod smile;
pub mod stage;
pub mod stale;
pub mod surface;
pub mod tail;
pub mod underlying;
pub mod volvol;

pub use arbitrage::{Arbitrage, ArbitrageCounts};
pub use correlation::{MacroCorrelation, SeriesId};
pub use decay::Decay;
pub use deviation::{DEFAULT_DEVIATION_WINDOW_NS, DeviationWindow};
pub use error::EstimateError;
pub use ewma::{DEFAULT_HALF_LIVES_SECS, EwmaHorizons, EwmaVariance};
pub use implied::{Black76, OptionKind};
pub use input::{EventClock, LogReturns, NS_PER_YEAR, Return, check_price};
pub use outlier::{OutlierAction, OutlierConfig, OutlierFilter, Verdict};
pub use rolling::RollingRealizedVol;
pub use sabr::{SabrCalibration, SabrParams};
pub use skew::{DELTA_25, SmileSummary};
pub use smile::Smile;
pub use stage::{
    EstimateStage, FeedHealth, IvUpdate, Origin, SpotUpdate, StageConfig, StageCounters,
    SurfaceUpdate, Update,
};
pub use stale::StaleDetector;
pub use surface::VolSurface;
pub use tail::{DEFAULT_NU_BOUNDS, TailEstimator};
pub use underlying::{UnderlyingConfig, UnderlyingEstimator};
pub use volvol::VolOfVol;
