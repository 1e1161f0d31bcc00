//! A sink that calls a closure.

use recal_types::Timestamp;

use super::Sink;
use super::SinkError;
use recal_emit::SignedProposal;

/// Calls a closure with every signed proposal; never fails.
///
/// ```
/// use recal_pipeline::sink::{CallbackSink, Sink};
/// # use recal_emit::{B256, Proposal, SignedProposal};
/// # use recal_types::{MarketId, Nonce, ParameterSet, Timestamp, TriggerCause};
/// # let signed = SignedProposal { proposal: Proposal { market: MarketId(1), nonce: Nonce(1),
/// #     valid_after: 0, expiry: 1, parameters: ParameterSet::default(),
/// #     cause: TriggerCause::Heartbeat, inputs_digest: B256::ZERO }, signature: () };
/// let mut nonces = Vec::new();
/// let mut sink = CallbackSink::new(|signed: &SignedProposal<()>| nonces.push(signed.proposal.nonce));
/// sink.deliver(&signed, Timestamp::from_nanos(0)).unwrap();
/// assert_eq!(nonces, [Nonce(1)]);
/// ```
#[derive(Debug)]
pub struct CallbackSink<F> {
    callback: F,
}

impl<F> CallbackSink<F> {
    /// A sink calling `callback`.
    pub const fn new(callback: F) -> Self {
        Self { callback }
    }
}

impl<S, F: FnMut(&SignedProposal<S>)> Sink<S> for CallbackSink<F> {
    fn deliver(&mut self, signed: &SignedProposal<S>, _at: Timestamp) -> Result<(), SinkError> {
        (self.callback)(signed);
        Ok(())
    }
}
