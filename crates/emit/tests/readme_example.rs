//! The worked example in `README.md`: its type string, digest, signing hash, signature and
//! signer are the ones this crate produces, so the README cannot drift from the code.

use alloy_sol_types::SolStruct;
use recal_emit::eip712;

mod common;

const README: &str = include_str!("../README.md");

#[test]
fn readme_example_matches_the_code() {
    let (signer, proposal, domain) = common::readme_example();
    let hash = proposal.signing_hash(&domain);
    let signature = proposal.sign(&domain, &signer).unwrap().signature;

    let expected = [
        format!("{}", signer.address()),
        format!("{}", proposal.inputs_digest),
        format!("{hash}"),
        format!("0x{}", hex::encode(signature.to_bytes())),
        eip712::RiskParameterProposal::eip712_encode_type().into_owned(),
    ];
    for text in expected {
        assert!(README.contains(&text), "README.md lacks {text}");
    }
}
