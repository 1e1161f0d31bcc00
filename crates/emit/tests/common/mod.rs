//! The worked example of `README.md`, shared by the tests that check the README against the code.

use alloy_primitives::{address, keccak256};
use alloy_sol_types::Eip712Domain;
use recal_emit::{InputsDigest, Proposal, Secp256k1Signer, eip712};
use recal_types::{MarketId, Nonce, ParameterSet, TriggerCause};

/// The README's keeper key, proposal and domain.
pub fn readme_example() -> (Secp256k1Signer, Proposal, Eip712Domain) {
    let signer = Secp256k1Signer::from_bytes(&keccak256(b"recal example keeper").0).unwrap();
    let mut digest = InputsDigest::new();
    digest.absorb(b"record-1");
    digest.absorb(b"record-2");
    let proposal = Proposal {
        market: MarketId(7),
        nonce: Nonce(42),
        valid_after: 1_700_000_000,
        expiry: 1_700_000_600,
        parameters: ParameterSet {
            initial_margin_ppm: 100_000,
            maintenance_margin_ppm: 50_000,
            liquidation_addon_ppm: [0, 5_000, 20_000, 60_000],
            liquidation_penalty_ppm: 25_000,
            auction_slippage_penalty_ppm: 10_000,
            insurance_fund_rate_ppm: 200_000,
            funding_shift_ppm: -40,
            max_leverage_centi: 1_000,
            open_interest_cap: 1_000_000_000_000_000_000_000_000,
        },
        cause: TriggerCause::Deviation,
        inputs_digest: digest.value(),
    };
    let domain = eip712::domain(1, address!("CcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"));
    (signer, proposal, domain)
}
