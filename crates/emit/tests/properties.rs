//! Properties over random proposals and domains: the prepared-domain signing hash against
//! alloy's own EIP-712 implementation, and the round trips of the record layout and the
//! typed-data JSON.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolStruct;
use proptest::prelude::*;
use recal_emit::eip712::{self, Eip712Domain, PreparedDomain, RiskParameterProposal};
use recal_emit::{
    EthSignature, Proposal, RecordError, Secp256k1Signer, SignedProposal, SignedTypedData, Signer,
    record,
};
use recal_types::{MarketId, Nonce, ParameterSet, TriggerCause};

fn bytes32() -> impl Strategy<Value = B256> {
    any::<[u8; 32]>().prop_map(B256::from)
}

/// Any parameter set, every field over its whole range.
pub fn parameters() -> impl Strategy<Value = ParameterSet> {
    (
        (any::<u32>(), any::<u32>(), any::<[u32; 4]>()),
        (any::<u32>(), any::<u32>(), any::<u32>()),
        (any::<i32>(), any::<u32>(), any::<u128>()),
    )
        .prop_map(
            |((im, mm, addon), (pen, slip, fund), (shift, lev, cap))| ParameterSet {
                initial_margin_ppm: im,
                maintenance_margin_ppm: mm,
                liquidation_addon_ppm: addon,
                liquidation_penalty_ppm: pen,
                auction_slippage_penalty_ppm: slip,
                insurance_fund_rate_ppm: fund,
                funding_shift_ppm: shift,
                max_leverage_centi: lev,
                open_interest_cap: cap,
            },
        )
}

/// Any proposal.
pub fn proposal() -> impl Strategy<Value = Proposal> {
    (
        any::<u32>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        parameters(),
        proptest::sample::select(TriggerCause::ALL.to_vec()),
        bytes32(),
    )
        .prop_map(
            |(market, nonce, valid_after, expiry, parameters, cause, inputs_digest)| Proposal {
                market: MarketId(market),
                nonce: Nonce(nonce),
                valid_after,
                expiry,
                parameters,
                cause,
                inputs_digest,
            },
        )
}

/// Any proposal with arbitrary (not necessarily valid) signature words.
pub fn signed() -> impl Strategy<Value = SignedProposal<EthSignature>> {
    (proposal(), bytes32(), bytes32(), 27u8..=28).prop_map(|(proposal, r, s, v)| SignedProposal {
        proposal,
        signature: EthSignature { r, s, v },
    })
}

/// Any EIP-712 domain: each field present or not, any name and version text, chain ids over
/// the whole `uint256` range.
pub fn domain() -> impl Strategy<Value = Eip712Domain> {
    (
        proptest::option::of("[ -~]{0,12}"),
        proptest::option::of("[0-9a-z.]{0,6}"),
        proptest::option::of(prop_oneof![
            any::<u64>().prop_map(U256::from),
            any::<[u8; 32]>().prop_map(U256::from_be_bytes),
        ]),
        proptest::option::of(any::<[u8; 20]>().prop_map(Address::from)),
        proptest::option::of(bytes32()),
    )
        .prop_map(|(name, version, chain_id, contract, salt)| {
            Eip712Domain::new(
                name.map(Into::into),
                version.map(Into::into),
                chain_id,
                contract,
                salt,
            )
        })
}

proptest! {
    /// For any proposal and domain: the struct hash, and the signing hash through an
    /// `Eip712Domain` or a `PreparedDomain`, are alloy's `eip712_hash_struct` and
    /// `eip712_signing_hash`.
    #[test]
    fn signing_hash_is_alloys(proposal in proposal(), domain in domain()) {
        let typed = proposal.typed();
        let expected = typed.eip712_signing_hash(&domain);
        prop_assert_eq!(typed.struct_hash(), typed.eip712_hash_struct());
        prop_assert_eq!(proposal.signing_hash(&domain), expected);
        let prepared = PreparedDomain::new(domain.clone());
        prop_assert_eq!(prepared.separator(), domain.separator());
        prop_assert_eq!(proposal.signing_hash(&prepared), expected);
    }

    /// The record layout round-trips.
    #[test]
    fn record_round_trips(signed in signed()) {
        let bytes = record::encode(&signed);
        prop_assert_eq!(record::decode(&bytes), Ok(signed));
        prop_assert_eq!(record::decode(&bytes[1..]), Err(RecordError::Length(record::LEN - 1)));
    }

    /// The typed-data JSON round-trips, for any domain.
    #[test]
    fn typed_data_round_trips(signed in signed(), domain in domain()) {
        let typed = SignedTypedData { domain, signed };
        let mut json = Vec::new();
        typed.write_json(&mut json).unwrap();
        prop_assert!(!json.contains(&b'\n'));
        prop_assert_eq!(SignedTypedData::from_json(&json).unwrap(), typed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Signing through either domain form gives the same signature, which recovers over alloy's
    /// hash.
    #[test]
    fn signatures_agree(proposal in proposal(), chain_id: u64, contract: [u8; 20]) {
        let signer = Secp256k1Signer::from_bytes(&[0x21; 32]).unwrap();
        let domain = eip712::domain(chain_id, contract.into());
        let prepared = PreparedDomain::from(domain.clone());
        let signed = proposal.sign(&prepared, &signer).unwrap();
        prop_assert_eq!(signed, proposal.sign(&domain, &signer).unwrap());
        let alloy_hash = proposal.typed().eip712_signing_hash(&domain);
        prop_assert_eq!(signed.signature, signer.sign_digest(&alloy_hash).unwrap());
        prop_assert_eq!(signed.signature.recover(&alloy_hash).unwrap(), signer.address());
    }

    /// `from_typed` inverts `typed`.
    #[test]
    fn typed_round_trips(proposal in proposal()) {
        prop_assert_eq!(Proposal::from_typed(&proposal.typed()), Ok(proposal));
    }
}

/// A trigger cause code that names no cause is refused.
#[test]
fn unknown_trigger_cause_is_refused() {
    let mut typed: RiskParameterProposal = Proposal {
        market: MarketId(1),
        nonce: Nonce(1),
        valid_after: 0,
        expiry: 1,
        parameters: ParameterSet::default(),
        cause: TriggerCause::Heartbeat,
        inputs_digest: B256::ZERO,
    }
    .typed();
    typed.triggerCause = 0;
    assert_eq!(
        Proposal::from_typed(&typed),
        Err(recal_types::UnknownTriggerCause(0))
    );
}

/// A record whose trigger cause code names no cause is refused.
#[test]
fn record_with_unknown_trigger_cause_is_refused() {
    let signed = SignedProposal {
        proposal: Proposal {
            market: MarketId(1),
            nonce: Nonce(1),
            valid_after: 0,
            expiry: 1,
            parameters: ParameterSet::default(),
            cause: TriggerCause::Heartbeat,
            inputs_digest: B256::ZERO,
        },
        signature: EthSignature {
            r: B256::ZERO,
            s: B256::ZERO,
            v: 27,
        },
    };
    let mut bytes = record::encode(&signed);
    bytes[88] = 0;
    assert_eq!(
        record::decode(&bytes),
        Err(RecordError::TriggerCause(recal_types::UnknownTriggerCause(
            0
        )))
    );
}
