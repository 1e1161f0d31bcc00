//! Stage 1 adapter: raw bytes to events through [`recal_feed::Decoder`].

use recal_feed::{DecodeError, Decoder};
use recal_types::Event;

use crate::message::RawMessage;
use crate::stage::Stage;

/// Feed decode. Rejected messages are counted and kept by the decoder
/// ([`Decoder::rejects`]) and produce no output.
#[derive(Debug)]
pub struct DecodeStage {
    decoder: Decoder,
}

impl DecodeStage {
    /// Wraps `decoder` (whose instrument table the pipeline has pre-registered).
    #[must_use]
    pub const fn new(decoder: Decoder) -> Self {
        Self { decoder }
    }

    /// Decodes `input`, appending its events to `out`; returns how many.
    ///
    /// # Errors
    /// Why the decoder rejected the message (counted and kept by the decoder as well).
    pub fn decode(
        &mut self,
        input: RawMessage<'_>,
        out: &mut Vec<Event>,
    ) -> Result<usize, DecodeError> {
        self.decoder
            .decode(input.source, input.bytes, input.receive_time, out)
    }

    /// The decoder: instrument table and rejects.
    #[must_use]
    pub const fn decoder(&self) -> &Decoder {
        &self.decoder
    }
}

impl Stage for DecodeStage {
    type Input<'a> = RawMessage<'a>;
    type Output = Event;

    fn process(&mut self, input: RawMessage<'_>, out: &mut Vec<Event>) {
        // A reject is recorded inside the decoder; nothing is appended.
        let _rejected = self.decode(input, out);
    }
}
