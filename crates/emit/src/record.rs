//! The fixed binary layout of a signed proposal, as the pipeline's journal sink stores it.
//!
//! [`LEN`] = 186 bytes, integers little-endian (as the journal's own frames), no padding:
//!
//! | offset | size | field |
//! |---:|---:|---|
//! | 0 | 4 | market id (`u32`) |
//! | 4 | 8 | nonce (`u64`) |
//! | 12 | 8 | `validAfter` (`u64`, Unix seconds) |
//! | 20 | 8 | `expiry` (`u64`, Unix seconds) |
//! | 28 | 4 | initial margin (`u32` ppm) |
//! | 32 | 4 | maintenance margin (`u32` ppm) |
//! | 36 | 16 | liquidation add-ons ATM, OTM, deep OTM, far wings (4 × `u32` ppm) |
//! | 52 | 4 | liquidation penalty (`u32` ppm) |
//! | 56 | 4 | auction slippage penalty (`u32` ppm) |
//! | 60 | 4 | insurance-fund rate (`u32` ppm) |
//! | 64 | 4 | funding shift (`i32` ppm) |
//! | 68 | 4 | maximum leverage (`u32` centi) |
//! | 72 | 16 | open-interest cap (`u128`) |
//! | 88 | 1 | trigger cause code (`u8`) |
//! | 89 | 32 | inputs digest |
//! | 121 | 32 | signature `r` (big-endian, as signed) |
//! | 153 | 32 | signature `s` (big-endian, as signed) |
//! | 185 | 1 | signature `v` (27 or 28) |
//!
//! [`VERSION`] is this layout's version (the proposal journal's schema version); a new layout
//! gets a new version.

use alloy_primitives::B256;
use recal_types::{MarketId, MoneynessBucket, Nonce, ParameterSet, TriggerCause};

use crate::error::RecordError;
use crate::proposal::{Proposal, SignedProposal};
use crate::signer::EthSignature;

/// Length in bytes of an encoded signed proposal.
pub const LEN: usize = 186;

/// Version of this layout; journals of proposals carry it as their schema version.
pub const VERSION: u32 = 1;

/// Encodes `signed` in the layout above.
///
/// ```
/// use recal_emit::{record, B256, EthSignature, Proposal, SignedProposal};
/// use recal_types::{MarketId, Nonce, ParameterSet, TriggerCause};
///
/// let signed = SignedProposal {
///     proposal: Proposal {
///         market: MarketId(1), nonce: Nonce(2), valid_after: 3, expiry: 4,
///         parameters: ParameterSet::default(), cause: TriggerCause::Heartbeat,
///         inputs_digest: B256::ZERO,
///     },
///     signature: EthSignature { r: B256::repeat_byte(1), s: B256::repeat_byte(2), v: 27 },
/// };
/// let bytes = record::encode(&signed);
/// assert_eq!(bytes[0..4], 1u32.to_le_bytes());
/// assert_eq!(record::decode(&bytes), Ok(signed));
/// ```
#[must_use]
pub fn encode(signed: &SignedProposal<EthSignature>) -> [u8; LEN] {
    let proposal = &signed.proposal;
    let p = &proposal.parameters;
    let mut out = Cursor {
        bytes: [0; LEN],
        at: 0,
    };
    out.put(&proposal.market.0.to_le_bytes());
    out.put(&proposal.nonce.0.to_le_bytes());
    out.put(&proposal.valid_after.to_le_bytes());
    out.put(&proposal.expiry.to_le_bytes());
    out.put(&p.initial_margin_ppm.to_le_bytes());
    out.put(&p.maintenance_margin_ppm.to_le_bytes());
    for bucket in MoneynessBucket::ALL {
        out.put(&p.liquidation_addon_ppm[bucket.index()].to_le_bytes());
    }
    out.put(&p.liquidation_penalty_ppm.to_le_bytes());
    out.put(&p.auction_slippage_penalty_ppm.to_le_bytes());
    out.put(&p.insurance_fund_rate_ppm.to_le_bytes());
    out.put(&p.funding_shift_ppm.to_le_bytes());
    out.put(&p.max_leverage_centi.to_le_bytes());
    out.put(&p.open_interest_cap.to_le_bytes());
    out.put(&[proposal.cause.code()]);
    out.put(proposal.inputs_digest.as_slice());
    out.put(signed.signature.r.as_slice());
    out.put(signed.signature.s.as_slice());
    out.put(&[signed.signature.v]);
    debug_assert_eq!(out.at, LEN);
    out.bytes
}

/// Decodes a signed proposal encoded by [`encode`]. The signature is not checked (that is the
/// [`Verifier`](crate::Verifier)'s job); the length and the trigger cause code are.
pub fn decode(bytes: &[u8]) -> Result<SignedProposal<EthSignature>, RecordError> {
    let bytes: &[u8; LEN] = bytes
        .try_into()
        .map_err(|_| RecordError::Length(bytes.len()))?;
    let mut input = Reader { bytes, at: 0 };
    let market = MarketId(u32::from_le_bytes(input.take()));
    let nonce = Nonce(u64::from_le_bytes(input.take()));
    let valid_after = u64::from_le_bytes(input.take());
    let expiry = u64::from_le_bytes(input.take());
    let initial_margin_ppm = u32::from_le_bytes(input.take());
    let maintenance_margin_ppm = u32::from_le_bytes(input.take());
    let mut liquidation_addon_ppm = [0; MoneynessBucket::COUNT];
    for bucket in MoneynessBucket::ALL {
        liquidation_addon_ppm[bucket.index()] = u32::from_le_bytes(input.take());
    }
    let parameters = ParameterSet {
        initial_margin_ppm,
        maintenance_margin_ppm,
        liquidation_addon_ppm,
        liquidation_penalty_ppm: u32::from_le_bytes(input.take()),
        auction_slippage_penalty_ppm: u32::from_le_bytes(input.take()),
        insurance_fund_rate_ppm: u32::from_le_bytes(input.take()),
        funding_shift_ppm: i32::from_le_bytes(input.take()),
        max_leverage_centi: u32::from_le_bytes(input.take()),
        open_interest_cap: u128::from_le_bytes(input.take()),
    };
    let [code] = input.take();
    let cause = TriggerCause::from_code(code)?;
    let inputs_digest = B256::from(input.take::<32>());
    let r = B256::from(input.take::<32>());
    let s = B256::from(input.take::<32>());
    let [v] = input.take();
    Ok(SignedProposal {
        proposal: Proposal {
            market,
            nonce,
            valid_after,
            expiry,
            parameters,
            cause,
            inputs_digest,
        },
        signature: EthSignature { r, s, v },
    })
}

/// Writes consecutive fields into a fixed buffer.
struct Cursor {
    bytes: [u8; LEN],
    at: usize,
}

impl Cursor {
    fn put(&mut self, field: &[u8]) {
        self.bytes[self.at..self.at + field.len()].copy_from_slice(field);
        self.at += field.len();
    }
}

/// Reads consecutive fields from a buffer of exactly [`LEN`] bytes.
struct Reader<'a> {
    bytes: &'a [u8; LEN],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut field = [0; N];
        field.copy_from_slice(&self.bytes[self.at..self.at + N]);
        self.at += N;
        field
    }
}
