//! The contract every stage adapter fulfils.

/// A single-threaded stage state machine: it owns its state, takes one input message at a time
/// and appends what it produces to a caller-owned buffer (reused across messages, so the steady
/// state does not allocate for the hand-off).
///
/// The pure logic lives in the stage crates (`recal-feed`, `recal-estimate`, `recal-greeks`,
/// `recal-trigger`, `recal-emit`); the types implementing this trait are thin adapters that
/// route messages to that logic. A placement (see [`crate::Fused`]) decides which thread runs
/// which stage and how messages move between them.
pub trait Stage {
    /// What the stage consumes; may borrow (raw bytes) for the duration of one call.
    type Input<'a>;
    /// What the stage produces.
    type Output;

    /// Processes one input message, appending zero or more outputs to `out`. Bad input is
    /// counted and dropped by the stage, never a panic.
    fn process(&mut self, input: Self::Input<'_>, out: &mut Vec<Self::Output>);
}
