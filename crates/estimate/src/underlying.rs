//! All the per-underlying estimators wired together behind the outlier filter.

use crate::correlation::{MacroCorrelation, SeriesId};
use crate::decay::Decay;
use crate::deviation::{DEFAULT_DEVIATION_WINDOW_NS, DeviationWindow};
use crate::error::EstimateError;
use crate::ewma::{DEFAULT_HALF_LIVES_SECS, EwmaHorizons};
use crate::outlier::{OutlierConfig, OutlierFilter, Verdict};
use crate::rolling::RollingRealizedVol;
use crate::stale::StaleDetector;
use crate::tail::{DEFAULT_NU_BOUNDS, TailEstimator};
use crate::volvol::VolOfVol;

/// Configuration of an [`UnderlyingEstimator`].
#[derive(Debug, Clone, PartialEq)]
pub struct UnderlyingConfig {
    /// EWMA variance horizons; the first is the short horizon that feeds vol-of-vol.
    pub horizons: Vec<Decay>,
    /// Window of the rolling realized volatility, ns.
    pub realized_window_ns: u64,
    /// Window of the deviation trigger, ns.
    pub deviation_window_ns: u64,
    /// Decay of vol-of-vol and its acceleration.
    pub vol_of_vol_decay: Decay,
    /// Decay of the kurtosis estimate.
    pub tail_decay: Decay,
    /// Bounds of the Student-t degrees of freedom.
    pub nu_bounds: (f64, f64),
    /// Decay of macro correlations and betas.
    pub correlation_decay: Decay,
    /// Outlier filter applied to every print before any estimator sees it.
    pub outlier: OutlierConfig,
    /// The source is stale after this long without a print, ns.
    pub stale_after_ns: u64,
    /// Prints preallocated in each rolling window.
    pub window_capacity: usize,
}

impl Default for UnderlyingConfig {
    /// Half-lives 1 min / 15 min / 4 h; 15-min realized window; 5-min deviation window;
    /// vol-of-vol over 15 min, kurtosis and correlation over 4 h; ν in [3, 30]; default
    /// outlier filter; stale after 60 s; 4096 prints preallocated per window.
    fn default() -> Self {
        UnderlyingConfig {
            horizons: DEFAULT_HALF_LIVES_SECS.map(Decay::half_life_secs).to_vec(),
            realized_window_ns: 15 * 60 * 1_000_000_000,
            deviation_window_ns: DEFAULT_DEVIATION_WINDOW_NS,
            vol_of_vol_decay: Decay::half_life_secs(15 * 60),
            tail_decay: Decay::half_life_secs(4 * 3600),
            nu_bounds: DEFAULT_NU_BOUNDS,
            correlation_decay: Decay::half_life_secs(4 * 3600),
            outlier: OutlierConfig::default(),
            stale_after_ns: 60 * 1_000_000_000,
            window_capacity: 4096,
        }
    }
}

/// Stage-2 state of one underlying: prints go through the outlier filter, then every
/// estimator; macro levels feed the correlations. Vol-of-vol is fed the first (short) EWMA
/// horizon's vol after each print once that horizon [is warm](crate::EwmaVariance::is_warm).
///
/// ```
/// use recal_estimate::{UnderlyingConfig, UnderlyingEstimator, Verdict};
/// let mut u = UnderlyingEstimator::new(UnderlyingConfig::default()).unwrap();
/// let second = 1_000_000_000u64;
/// for i in 0..120u64 {
///     u.on_price(i * second, 100.0 + 0.01 * (i % 5) as f64).unwrap();
/// }
/// assert_eq!(u.on_price(120 * second, 130.0).unwrap(), Verdict::Rejected); // manipulated print
/// assert!(u.deviation().deviation().unwrap() < 0.01);
/// assert!(u.ewma().horizon(0).unwrap().annual_vol().unwrap() > 0.0);
/// assert!(u.is_stale(200 * second));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UnderlyingEstimator {
    filter: OutlierFilter,
    stale: StaleDetector,
    ewma: EwmaHorizons,
    rolling: RollingRealizedVol,
    deviation: DeviationWindow,
    vol_of_vol: VolOfVol,
    tail: TailEstimator,
    correlation: MacroCorrelation,
}

impl UnderlyingEstimator {
    /// Builds every estimator, validating the configuration.
    pub fn new(config: UnderlyingConfig) -> Result<Self, EstimateError> {
        Ok(UnderlyingEstimator {
            filter: OutlierFilter::new(config.outlier)?,
            stale: StaleDetector::new(config.stale_after_ns)?,
            ewma: EwmaHorizons::new(&config.horizons)?,
            rolling: RollingRealizedVol::new(config.realized_window_ns, config.window_capacity)?,
            deviation: DeviationWindow::new(config.deviation_window_ns, config.window_capacity)?,
            vol_of_vol: VolOfVol::new(config.vol_of_vol_decay)?,
            tail: TailEstimator::new(config.tail_decay, config.nu_bounds)?,
            correlation: MacroCorrelation::new(config.correlation_decay, 4)?,
        })
    }

    /// Feeds one print of the underlying. Returns the filter's verdict; only an accepted or
    /// clamped price reaches the estimators. On error (bad price, time not increasing)
    /// nothing changes.
    pub fn on_price(&mut self, t_ns: u64, price: f64) -> Result<Verdict, EstimateError> {
        let verdict = self.filter.update(t_ns, price)?;
        self.stale.touch(t_ns);
        // The filter has validated the price and the time; a passed price is finite and > 0
        // and times strictly increase for every estimator behind it, so none of these fail.
        if let Some(passed) = verdict.price() {
            if let Some(r) = self.ewma.update(t_ns, passed)? {
                self.tail.update(&r);
            }
            self.rolling.update(t_ns, passed)?;
            self.deviation.update(t_ns, passed)?;
            self.correlation.update_underlying(t_ns, passed)?;
            // Vol-of-vol only reads the short vol once it is warm: its start-up swings are
            // not volatility of volatility.
            let short = self.ewma.horizon(0).filter(|h| h.is_warm());
            if let Some(vol) = short.and_then(|h| h.annual_vol()).filter(|v| *v > 0.0) {
                self.vol_of_vol.update(t_ns, vol)?;
            }
        }
        Ok(verdict)
    }

    /// Feeds one level of macro series `id`; on error nothing changes.
    pub fn on_macro(&mut self, id: SeriesId, t_ns: u64, level: f64) -> Result<(), EstimateError> {
        self.correlation.update_macro(id, t_ns, level)
    }

    /// True when no print arrived for longer than the stale age before `now_ns` (the time of
    /// the event being processed).
    pub fn is_stale(&self, now_ns: u64) -> bool {
        self.stale.is_stale(now_ns)
    }

    /// EWMA variance at every horizon.
    pub fn ewma(&self) -> &EwmaHorizons {
        &self.ewma
    }

    /// Rolling-window realized volatility.
    pub fn rolling(&self) -> &RollingRealizedVol {
        &self.rolling
    }

    /// Deviation trigger window.
    pub fn deviation(&self) -> &DeviationWindow {
        &self.deviation
    }

    /// Vol-of-vol of the short-horizon EWMA vol, and its acceleration.
    pub fn vol_of_vol(&self) -> &VolOfVol {
        &self.vol_of_vol
    }

    /// Kurtosis and Student-t degrees of freedom.
    pub fn tail(&self) -> &TailEstimator {
        &self.tail
    }

    /// Correlations and betas against macro series.
    pub fn correlation(&self) -> &MacroCorrelation {
        &self.correlation
    }
}
