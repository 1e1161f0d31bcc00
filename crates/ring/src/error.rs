//! Typed errors of the ring. Every error that gives an item back carries it, so nothing is
//! lost by a failed push.

/// Why a ring could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CapacityError {
    /// Capacity must be a non-zero power of two (index masking instead of division), at
    /// most a quarter of the address space.
    #[error(
        "ring capacity must be a non-zero power of two no larger than 2^(usize::BITS - 2), got {0}"
    )]
    NotPowerOfTwo(usize),
}

/// Why [`Producer::try_push`](crate::Producer::try_push) did not push. Holds the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryPushError<T> {
    /// The ring is full; the consumer is alive and may make room.
    #[error("ring is full")]
    Full(T),
    /// The ring is full and the consumer was dropped, so it never will make room.
    #[error("ring consumer was dropped")]
    Disconnected(T),
}

impl<T> TryPushError<T> {
    /// The item that was not pushed.
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(item) | Self::Disconnected(item) => item,
        }
    }
}

/// Why a blocking [`Producer::push`](crate::Producer::push) gave up: the consumer is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("ring consumer was dropped")]
pub struct PushError<T>(pub T);

/// Why [`Consumer::try_pop`](crate::Consumer::try_pop) returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryPopError {
    /// Nothing to read now; the producer is alive and may push more.
    #[error("ring is empty")]
    Empty,
    /// Nothing to read, and the producer was dropped, so nothing ever will be.
    #[error("ring producer was dropped and the ring is drained")]
    Disconnected,
}

/// Why a blocking [`Consumer::pop`](crate::Consumer::pop) gave up: the ring is drained and
/// the producer is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("ring producer was dropped and the ring is drained")]
pub struct PopError;
