//! The inputs digest: a hash chain over the input-journal records a proposal was computed from.

use alloy_primitives::{B256, keccak256};

/// Accumulates the digest of the input-journal records consumed so far.
///
/// Construction (all hashes Keccak-256, `||` concatenation):
///
/// ```text
/// digest_0 = 0x00…00                                         (32 zero bytes)
/// digest_n = keccak256(digest_{n-1} || keccak256(record_n))  (n ≥ 1)
/// ```
///
/// `record_n` is the n-th input-journal record's payload exactly as journaled. Hashing each
/// record first makes every link a fixed 64-byte preimage, so records of any length cannot be
/// re-split into a different sequence with the same digest. A proposal signs `digest_n` of the
/// last record it consumed: an auditor replays the journal up to that record and must obtain the
/// same value.
///
/// ```
/// use recal_emit::{B256, InputsDigest};
/// use alloy_primitives::keccak256;
///
/// let mut digest = InputsDigest::new();
/// digest.absorb(b"record");
/// let expected = keccak256([B256::ZERO.as_slice(), keccak256(b"record").as_slice()].concat());
/// assert_eq!(digest.value(), expected);
/// assert_eq!(digest.records(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct InputsDigest {
    value: B256,
    records: u64,
}

impl InputsDigest {
    /// The digest of no records, `digest_0`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            value: B256::ZERO,
            records: 0,
        }
    }

    /// Resumes a chain at `value` after `records` records (e.g. from a checkpoint).
    #[must_use]
    pub const fn resume(value: B256, records: u64) -> Self {
        Self { value, records }
    }

    /// Chains one more record: `digest = keccak256(digest || keccak256(record))`.
    pub fn absorb(&mut self, record: &[u8]) {
        let mut link = [0u8; 64];
        link[..32].copy_from_slice(self.value.as_slice());
        link[32..].copy_from_slice(keccak256(record).as_slice());
        self.value = keccak256(link);
        self.records = self.records.wrapping_add(1);
    }

    /// The current digest, `digest_n`.
    #[must_use]
    pub const fn value(&self) -> B256 {
        self.value
    }

    /// How many records have been absorbed, `n` (wraps after 2⁶⁴, which is never reached).
    #[must_use]
    pub const fn records(&self) -> u64 {
        self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Independent twin: fold the chain over the whole record list at once.
    fn fold(records: &[Vec<u8>]) -> B256 {
        records.iter().fold(B256::ZERO, |acc, record| {
            let mut preimage = acc.to_vec();
            preimage.extend_from_slice(keccak256(record).as_slice());
            keccak256(&preimage)
        })
    }

    #[test]
    fn empty_chain_is_zero() {
        assert_eq!(InputsDigest::new().value(), B256::ZERO);
        assert_eq!(InputsDigest::default(), InputsDigest::new());
    }

    proptest! {
        #[test]
        fn matches_fold_and_resumes(
            records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
            split in 0usize..8,
        ) {
            let mut digest = InputsDigest::new();
            let split = split.min(records.len());
            for record in &records[..split] {
                digest.absorb(record);
            }
            let mut resumed = InputsDigest::resume(digest.value(), digest.records());
            for record in &records[split..] {
                resumed.absorb(record);
            }
            prop_assert_eq!(resumed.value(), fold(&records));
            prop_assert_eq!(resumed.records(), records.len() as u64);
        }

        #[test]
        fn record_boundaries_matter(a in proptest::collection::vec(any::<u8>(), 1..20), b in proptest::collection::vec(any::<u8>(), 1..20)) {
            let mut split = InputsDigest::new();
            split.absorb(&a);
            split.absorb(&b);
            let mut joined = InputsDigest::new();
            joined.absorb(&[a, b].concat());
            prop_assert_ne!(split.value(), joined.value());
        }
    }
}
