//! Stage 2 adapter: events through [`recal_estimate::EstimateStage`], its updates as the
//! pipeline's [`Estimated`] messages.

use recal_estimate::{
    EstimateError, FeedHealth, SpotUpdate, StageConfig, StageCounters, UnderlyingConfig, Update,
};
use recal_trigger::FeedStatus;
use recal_types::{Event, InstrumentId, InstrumentKind};

use crate::message::{EstimateUpdate, Estimated};
use crate::stage::Stage;

/// Estimator update: a thin adapter over [`recal_estimate::EstimateStage`], which owns the
/// logic (what is consumed, what passes through, stale and gap flags, the surfaces). Spot
/// updates become [`EstimateUpdate`]s with the trigger stage's [`FeedStatus`]; IV changes and
/// surface summaries travel as they are; every other event passes through unchanged.
#[derive(Debug, Clone)]
pub struct EstimateStage {
    logic: recal_estimate::EstimateStage,
}

impl EstimateStage {
    /// Estimators for the price instruments `instruments`, all with `config`; `fallback_vol`
    /// stands in for the short volatility until its horizon is warm.
    ///
    /// # Errors
    /// An invalid estimator configuration, or an instrument listed twice.
    pub fn new(
        instruments: &[InstrumentId],
        config: &UnderlyingConfig,
        fallback_vol: f64,
    ) -> Result<Self, EstimateError> {
        let mut logic = recal_estimate::EstimateStage::new(StageConfig {
            underlying: config.clone(),
            fallback_vol,
            ..StageConfig::default()
        })?;
        for &instrument in instruments {
            logic.track_underlying(instrument)?;
        }
        Ok(Self { logic })
    }

    /// Tracks `option` on the implied-volatility surface of the tracked price instrument
    /// `underlying` ([`recal_estimate::EstimateStage::track_option`]).
    ///
    /// # Errors
    /// Not an option, an untracked underlying, or an option already tracked.
    pub fn track_option(
        &mut self,
        option: InstrumentId,
        underlying: InstrumentId,
        kind: &InstrumentKind,
    ) -> Result<(), EstimateError> {
        self.logic.track_option(option, underlying, kind)
    }

    /// The stage logic, for its estimators, surfaces and counters.
    #[must_use]
    pub const fn logic(&self) -> &recal_estimate::EstimateStage {
        &self.logic
    }

    /// What the stage counted so far.
    #[must_use]
    pub fn counters(&self) -> StageCounters {
        self.logic.counters()
    }

    /// Prints the outlier filter rejected.
    #[must_use]
    pub fn filtered(&self) -> u64 {
        self.counters().filtered
    }

    /// Prints the estimators refused (time not increasing, bad price).
    #[must_use]
    pub fn refused(&self) -> u64 {
        self.counters().refused
    }
}

/// The pipeline's form of a spot update.
fn estimate_update(spot: &SpotUpdate) -> EstimateUpdate {
    EstimateUpdate {
        instrument: spot.instrument,
        origin_sequence: spot.origin.input,
        time: spot.origin.time,
        receive_time: spot.origin.receive_time,
        spot: spot.spot,
        short_vol: spot.short_vol,
        long_vol: spot.long_vol,
        realized_vol: spot.realized_vol,
        deviation: spot.deviation,
        vol_of_vol: spot.vol_of_vol,
        vol_of_vol_acceleration: spot.vol_of_vol_acceleration,
        tail_dof: spot.tail_dof,
        feed: match spot.feed {
            FeedHealth::Fresh => FeedStatus::Fresh,
            FeedHealth::Stale => FeedStatus::Stale,
            FeedHealth::Gapped => FeedStatus::Gapped,
        },
    }
}

impl Stage for EstimateStage {
    type Input<'a> = &'a Event;
    type Output = Estimated;

    fn process(&mut self, event: &Event, out: &mut Vec<Estimated>) {
        self.logic.process(event, |update| {
            out.push(match update {
                Update::Spot(spot) => Estimated::Estimate(estimate_update(&spot)),
                Update::ImpliedVol(iv) => Estimated::ImpliedVol(iv),
                Update::Surface(surface) => Estimated::Surface(surface),
                Update::Passthrough(event) => Estimated::Event(event),
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use recal_types::{EventHeader, FeedGap, Payload, PositionChange, Price, Source, Timestamp};

    use super::*;

    fn event(instrument: u32, seconds: u64, payload: Payload) -> Event {
        let header = EventHeader {
            source: Source::Pyth,
            instrument: InstrumentId(instrument),
            sequence: 0,
            source_time: Timestamp::from_nanos(seconds * 1_000_000_000),
            receive_time: Timestamp::from_nanos(seconds * 1_000_000_000 + 1),
        };
        Event::new(header, payload).unwrap()
    }

    #[test]
    fn updates_become_pipeline_messages() {
        let btc = InstrumentId(1);
        let mut stage = EstimateStage::new(&[btc], &UnderlyingConfig::default(), 0.5).unwrap();
        let price = |p| {
            Payload::OraclePrice(Price {
                price: p,
                confidence: None,
                ema_price: None,
                ema_confidence: None,
            })
        };
        let mut out = Vec::new();
        stage.process(&event(1, 1, price(100.0)), &mut out);
        stage.process(&event(1, 2, price(101.0)), &mut out);
        let gap = FeedGap {
            expected: 1,
            received: 5,
        };
        stage.process(&event(1, 3, Payload::FeedGap(gap)), &mut out);
        let position = PositionChange {
            account: 1,
            size: 1.0,
            entry_price: None,
        };
        let state = event(9, 4, Payload::PositionChange(position));
        stage.process(&state, &mut out);
        let Estimated::Estimate(second) = out[1] else {
            panic!("{out:?}")
        };
        assert_eq!((second.origin_sequence, second.spot), (1, 101.0));
        assert_eq!(second.time, Timestamp::from_nanos(2_000_000_000));
        assert_eq!(second.feed, FeedStatus::Fresh);
        let Estimated::Estimate(gapped) = out[2] else {
            panic!("{out:?}")
        };
        assert_eq!(
            (gapped.origin_sequence, gapped.feed),
            (2, FeedStatus::Gapped)
        );
        assert_eq!(gapped.spot, 101.0);
        assert_eq!(out[3], Estimated::Event(state));
        assert_eq!((stage.filtered(), stage.refused()), (0, 0));
        assert_eq!(stage.counters().events, 4);
    }
}
