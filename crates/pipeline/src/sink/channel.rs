//! A sink that sends over a channel.

use std::sync::mpsc::Sender;

use recal_types::Timestamp;

use super::Sink;
use super::SinkError;
use recal_emit::SignedProposal;

/// Sends a copy of every signed proposal over a `std::sync::mpsc` channel, e.g. to a thread
/// that submits them on chain. The channel is unbounded; fails with
/// [`SinkError::Disconnected`] once the receiver is dropped.
///
/// ```
/// use std::sync::mpsc;
/// use recal_pipeline::sink::{ChannelSink, Sink};
/// # use recal_emit::{B256, Proposal, SignedProposal};
/// # use recal_types::{MarketId, Nonce, ParameterSet, Timestamp, TriggerCause};
/// # let signed = SignedProposal { proposal: Proposal { market: MarketId(1), nonce: Nonce(1),
/// #     valid_after: 0, expiry: 1, parameters: ParameterSet::default(),
/// #     cause: TriggerCause::Heartbeat, inputs_digest: B256::ZERO }, signature: () };
/// let (sender, receiver) = mpsc::channel();
/// let mut sink = ChannelSink::new(sender);
/// sink.deliver(&signed, Timestamp::from_nanos(0)).unwrap();
/// assert_eq!(receiver.recv().unwrap(), signed);
/// ```
#[derive(Debug)]
pub struct ChannelSink<S> {
    sender: Sender<SignedProposal<S>>,
}

impl<S> ChannelSink<S> {
    /// A sink sending on `sender`.
    pub const fn new(sender: Sender<SignedProposal<S>>) -> Self {
        Self { sender }
    }
}

impl<S: Clone> Sink<S> for ChannelSink<S> {
    fn deliver(&mut self, signed: &SignedProposal<S>, _at: Timestamp) -> Result<(), SinkError> {
        self.sender
            .send(signed.clone())
            .map_err(|_| SinkError::Disconnected)
    }
}
