//! Stage 2 adapter: price events per underlying through [`UnderlyingEstimator`].

use recal_estimate::{EstimateError, UnderlyingConfig, UnderlyingEstimator};
use recal_trigger::FeedStatus;
use recal_types::{Event, InstrumentId, Payload};

use crate::message::{EstimateUpdate, Estimated};
use crate::stage::Stage;

/// Hours per year, to turn the estimator's per-year acceleration into stage 4's per hour.
const HOURS_PER_YEAR: f64 = 365.25 * 24.0;

/// One tracked price instrument.
#[derive(Debug, Clone)]
struct Tracked {
    instrument: InstrumentId,
    estimator: UnderlyingEstimator,
    last: Option<EstimateUpdate>,
}

/// Estimator update. Trades, spot, index, oracle and mark prices of a tracked instrument feed
/// its estimator and yield an [`EstimateUpdate`]; a feed gap on it, or any event arriving after
/// it went stale, yields an update flagged [`FeedStatus::Gapped`] / [`FeedStatus::Stale`];
/// every other event passes through.
#[derive(Debug, Clone)]
pub struct EstimateStage {
    tracked: Vec<Tracked>,
    fallback_vol: f64,
    filtered: u64,
    refused: u64,
}

impl EstimateStage {
    /// Estimators for `instruments`, all with `config`; `fallback_vol` stands in for the short
    /// volatility until its horizon is warm.
    ///
    /// # Errors
    /// An invalid estimator configuration.
    pub fn new(
        instruments: &[InstrumentId],
        config: &UnderlyingConfig,
        fallback_vol: f64,
    ) -> Result<Self, EstimateError> {
        let tracked = instruments
            .iter()
            .map(|&instrument| {
                Ok(Tracked {
                    instrument,
                    estimator: UnderlyingEstimator::new(config.clone())?,
                    last: None,
                })
            })
            .collect::<Result<_, EstimateError>>()?;
        Ok(Self {
            tracked,
            fallback_vol,
            filtered: 0,
            refused: 0,
        })
    }

    /// Prints the outlier filter rejected.
    #[must_use]
    pub const fn filtered(&self) -> u64 {
        self.filtered
    }

    /// Prints the estimators refused (time not increasing, bad price).
    #[must_use]
    pub const fn refused(&self) -> u64 {
        self.refused
    }

    fn on_price(&mut self, index: usize, event: &Event, price: f64, out: &mut Vec<Estimated>) {
        let fallback_vol = self.fallback_vol;
        let tracked = &mut self.tracked[index];
        let t_ns = event.source_time().as_nanos();
        match tracked.estimator.on_price(t_ns, price) {
            Ok(verdict) => {
                let Some(spot) = verdict.price() else {
                    self.filtered += 1;
                    return;
                };
                let update = snapshot(tracked, event, spot, fallback_vol);
                tracked.last = Some(update);
                out.push(Estimated::Estimate(update));
            }
            Err(_) => self.refused += 1,
        }
    }

    /// Re-issues the last update of tracked instrument `index` with a degraded feed status.
    fn flag(&mut self, index: usize, event: &Event, feed: FeedStatus, out: &mut Vec<Estimated>) {
        if let Some(last) = &mut self.tracked[index].last
            && last.feed != feed
        {
            last.feed = feed;
            last.time = event.source_time();
            last.receive_time = event.receive_time();
            out.push(Estimated::Estimate(*last));
        }
    }
}

/// The estimates of `tracked` after an accepted print at `spot`.
fn snapshot(tracked: &Tracked, event: &Event, spot: f64, fallback_vol: f64) -> EstimateUpdate {
    let estimator = &tracked.estimator;
    let ewma = estimator.ewma();
    let warm_vol = |index: usize| {
        ewma.horizon(index)
            .filter(|h| h.is_warm())
            .and_then(|h| h.annual_vol())
            .filter(|v| *v > 0.0)
    };
    let short_vol = warm_vol(0).unwrap_or(fallback_vol);
    let long_vol = ewma
        .len()
        .checked_sub(1)
        .and_then(warm_vol)
        .unwrap_or(short_vol);
    let vol_of_vol = estimator.vol_of_vol();
    EstimateUpdate {
        instrument: tracked.instrument,
        time: event.source_time(),
        receive_time: event.receive_time(),
        spot,
        short_vol,
        long_vol,
        deviation: estimator.deviation().deviation().unwrap_or(0.0),
        vol_of_vol: vol_of_vol.vol_of_vol().unwrap_or(0.0),
        // Before vol-of-vol rests on a full memory its slope is the start-up transient.
        vol_of_vol_acceleration: vol_of_vol
            .acceleration()
            .filter(|_| vol_of_vol.is_warm())
            .map_or(0.0, |per_year| per_year / HOURS_PER_YEAR),
        tail_dof: estimator.tail().degrees_of_freedom().unwrap_or(30.0),
        feed: FeedStatus::Fresh,
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

impl Stage for EstimateStage {
    type Input<'a> = &'a Event;
    type Output = Estimated;

    fn process(&mut self, event: &Event, out: &mut Vec<Estimated>) {
        let index = self
            .tracked
            .iter()
            .position(|t| t.instrument == event.instrument());
        let payload = event.payload();
        let price = payload.as_ref().ok().and_then(price_of);
        match (index, &payload, price) {
            (Some(index), Ok(Payload::FeedGap(_)), _) => {
                self.flag(index, event, FeedStatus::Gapped, out);
            }
            (Some(index), _, Some(price)) => self.on_price(index, event, price, out),
            _ => {
                let now = event.source_time().as_nanos();
                for index in 0..self.tracked.len() {
                    if self.tracked[index].estimator.is_stale(now) {
                        self.flag(index, event, FeedStatus::Stale, out);
                    }
                }
                out.push(Estimated::Event(*event));
            }
        }
    }
}
