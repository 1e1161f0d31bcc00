//! Integer identifiers shared by every stage.

use serde::{Deserialize, Serialize};

/// Interned identifier of a market (one underlying with its listed instruments).
///
/// Assigned by the feed decoder when it interns instrument names; on the wire (EIP-712) it is a
/// `uint32`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct MarketId(pub u32);

/// Sequence number of a parameter proposal for one market.
///
/// The on-chain verifier accepts a nonce only if it is strictly greater than the last one it
/// consumed for that market, so nonces are monotonic per market; on the wire it is a `uint64`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Nonce(pub u64);

impl Nonce {
    /// The nonce after this one, or `None` when the counter is exhausted.
    ///
    /// ```
    /// use recal_types::Nonce;
    /// assert_eq!(Nonce(7).next(), Some(Nonce(8)));
    /// assert_eq!(Nonce(u64::MAX).next(), None);
    /// ```
    #[must_use]
    pub fn next(self) -> Option<Self> {
        self.0.checked_add(1).map(Self)
    }
}
