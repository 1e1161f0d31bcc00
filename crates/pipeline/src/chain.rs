//! The on-chain side of stage 5: a [`Verifier`] model the keeper's instructions are played
//! against, so the demo shows what is in force.

use recal_emit::Verifier;
use recal_types::{MarketId, ParameterSet};

use crate::message::{Emitted, Execution, ProposalRecord, Signed};
use crate::stage::Stage;

/// The verifier contract, modelled: executes pending proposals when told, then checks and
/// applies (or queues) each signed proposal at its decision's event time.
#[derive(Debug)]
pub struct VerifierModel {
    verifier: Verifier,
}

impl VerifierModel {
    /// A model of `verifier` (with every market registered).
    #[must_use]
    pub const fn new(verifier: Verifier) -> Self {
        Self { verifier }
    }

    /// The parameters in force for `market`.
    #[must_use]
    pub fn in_force(&self, market: MarketId) -> Option<&ParameterSet> {
        self.verifier.parameters(market)
    }

    /// The parameters in force for every registered market.
    #[must_use]
    pub fn in_force_all(&self) -> Vec<(MarketId, ParameterSet)> {
        self.verifier
            .markets()
            .filter_map(|market| Some((market, *self.in_force(market)?)))
            .collect()
    }

    fn in_force_or_default(&self, market: MarketId) -> ParameterSet {
        self.in_force(market).copied().unwrap_or_default()
    }
}

impl Stage for VerifierModel {
    type Input<'a> = Signed;
    type Output = Emitted;

    fn process(&mut self, input: Signed, out: &mut Vec<Emitted>) {
        let now = input.time.as_unix_seconds();
        if input.execute_pending
            && let Some(pending) = self.verifier.pending(input.market).copied()
        {
            let result = self
                .verifier
                .execute(pending.id, now)
                .map(|()| self.in_force_or_default(input.market));
            out.push(Emitted::Executed(Execution {
                market: input.market,
                time: input.time,
                result,
            }));
        }
        if let Some(signed) = input.proposal {
            let outcome = self.verifier.submit(&signed, now);
            out.push(Emitted::Submitted(Box::new(ProposalRecord {
                in_force: self.in_force_or_default(input.market),
                signed,
                outcome,
                time: input.time,
                receive_time: input.receive_time,
            })));
        }
    }
}
