//! Stage 5 adapter: sign decisions with [`Emitter`].

use recal_emit::{Emitter, InputsDigest, Secp256k1Signer};

use crate::message::{MarketDecision, Signed};
use crate::stage::Stage;

/// Signed emit: each decision that emits a parameter set, or asks for the pending proposal to
/// be executed, becomes a [`Signed`] instruction for the keeper. Input records enter the
/// inputs digest through [`EmitStage::absorb`].
#[derive(Debug)]
pub struct EmitStage {
    emitter: Emitter<Secp256k1Signer>,
    errors: u64,
}

impl EmitStage {
    /// A stage signing with `emitter` (already resumed for every market).
    #[must_use]
    pub const fn new(emitter: Emitter<Secp256k1Signer>) -> Self {
        Self { emitter, errors: 0 }
    }

    /// Chains one input record (the bytes of a raw message or of an event pushed directly) into
    /// the inputs digest of the next proposals.
    pub fn absorb(&mut self, record: &[u8]) {
        self.emitter.absorb(record);
    }

    /// Continues the inputs digest from `digest`: the chain another thread computed over the
    /// input records up to the decisions that follow (threaded placements).
    pub fn resume_digest(&mut self, digest: InputsDigest) {
        self.emitter.resume_digest(digest);
    }

    /// Decisions that could not be signed (nonce or time overflow, signer failure).
    #[must_use]
    pub const fn errors(&self) -> u64 {
        self.errors
    }
}

impl Stage for EmitStage {
    type Input<'a> = &'a MarketDecision;
    type Output = Signed;

    fn process(&mut self, input: &MarketDecision, out: &mut Vec<Signed>) {
        let decision = &input.decision;
        let proposal = decision.emit.and_then(|(parameters, cause)| {
            match self
                .emitter
                .emit(input.market, parameters, cause, input.time)
            {
                Ok(signed) => Some(signed),
                Err(_) => {
                    self.errors += 1;
                    None
                }
            }
        });
        if decision.execute_pending || proposal.is_some() {
            out.push(Signed {
                market: input.market,
                time: input.time,
                receive_time: input.receive_time,
                execute_pending: decision.execute_pending,
                proposal,
            });
        }
    }
}
