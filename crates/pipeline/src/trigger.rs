//! Stage 4 adapter: risk snapshots to [`RiskInputs`], through [`TriggerStage::update`].

use recal_trigger::{RiskInputs, TriggerStage};
use recal_types::MarketId;

use crate::message::{MarketDecision, RiskSnapshot};
use crate::stage::Stage;

/// Trigger evaluation for every market. Each snapshot yields one [`MarketDecision`] (most
/// decide nothing); a snapshot the stage refuses (non-finite input) is counted and dropped.
#[derive(Debug, Clone)]
pub struct TriggerAdapter {
    stages: Vec<TriggerStage>,
    refused: u64,
    fired: u64,
}

impl TriggerAdapter {
    /// One [`TriggerStage`] per market.
    #[must_use]
    pub const fn new(stages: Vec<TriggerStage>) -> Self {
        Self {
            stages,
            refused: 0,
            fired: 0,
        }
    }

    /// Snapshots refused as invalid.
    #[must_use]
    pub const fn refused(&self) -> u64 {
        self.refused
    }

    /// Trigger firings so far (each trigger counted when its condition becomes true).
    #[must_use]
    pub const fn fired(&self) -> u64 {
        self.fired
    }

    /// The stage of `market`.
    #[must_use]
    pub fn stage(&self, market: MarketId) -> Option<&TriggerStage> {
        self.stages.iter().find(|stage| stage.market() == market)
    }
}

/// The trigger inputs of a snapshot. No option data flows yet, so the ATM implied volatility
/// is stood in for by the long-horizon realised volatility and the risk reversal is zero.
#[must_use]
pub fn risk_inputs(snapshot: &RiskSnapshot) -> RiskInputs {
    let estimate = &snapshot.estimate;
    let equity = (snapshot.total_collateral - snapshot.bad_debt).max(f64::MIN_POSITIVE);
    RiskInputs {
        timestamp: snapshot.time,
        realized_vol: estimate.short_vol,
        vol_of_vol: estimate.vol_of_vol,
        vol_of_vol_acceleration: estimate.vol_of_vol_acceleration,
        tail_dof: estimate.tail_dof,
        risk_reversal_25d: 0.0,
        atm_vol: estimate.long_vol,
        max_price_deviation: estimate.deviation,
        debt_to_equity: snapshot.bad_debt / equity,
        book_depth: snapshot.book_depth,
        open_interest_long: snapshot.open_interest_long,
        open_interest_short: snapshot.open_interest_short,
        insurance_fund: snapshot.insurance_fund,
        total_collateral: snapshot.total_collateral,
        feed: estimate.feed,
    }
}

impl Stage for TriggerAdapter {
    type Input<'a> = &'a RiskSnapshot;
    type Output = MarketDecision;

    fn process(&mut self, snapshot: &RiskSnapshot, out: &mut Vec<MarketDecision>) {
        let Some(stage) = self
            .stages
            .iter_mut()
            .find(|stage| stage.market() == snapshot.market)
        else {
            return;
        };
        match stage.update(&risk_inputs(snapshot)) {
            Ok(decision) => {
                self.fired += decision.fired.iter().count() as u64;
                out.push(MarketDecision {
                    market: snapshot.market,
                    time: snapshot.time,
                    receive_time: snapshot.receive_time,
                    decision,
                });
            }
            Err(_) => self.refused += 1,
        }
    }
}
