//! The worked example in `README.md`: its type string, digest, signing hash, signature and
//! signer are the ones this crate produces, so the README cannot drift from the code.

use alloy_sol_types::SolStruct;
use recal_emit::{SignedTypedData, eip712};

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

/// The README's typed data (the first ```json block) and signature (the block after it).
fn readme_example() -> (serde_json::Value, String) {
    let json_start = README.find("```json\n").unwrap() + "```json\n".len();
    let json_len = README[json_start..].find("```").unwrap();
    let json = serde_json::from_str(&README[json_start..json_start + json_len]).unwrap();
    let after = &README[json_start + json_len..];
    let signature_start = after.find("```\n0x").unwrap() + "```\n".len();
    let signature = after[signature_start..].lines().next().unwrap().to_owned();
    (json, signature)
}

#[test]
fn typed_data_json_is_the_readme_typed_data_plus_its_signature() {
    let (signer, proposal, domain) = common::readme_example();
    let signed = proposal.sign(&domain, &signer).unwrap();
    let mut line = Vec::new();
    SignedTypedData { domain, signed }
        .write_json(&mut line)
        .unwrap();

    let mut produced: serde_json::Value = serde_json::from_slice(&line).unwrap();
    let signature = produced
        .as_object_mut()
        .unwrap()
        .remove("signature")
        .unwrap();
    let (readme_typed_data, readme_signature) = readme_example();
    assert_eq!(produced, readme_typed_data);
    let rsv = format!(
        "0x{}{}{:02x}",
        signature["r"].as_str().unwrap().trim_start_matches("0x"),
        signature["s"].as_str().unwrap().trim_start_matches("0x"),
        signature["v"].as_u64().unwrap()
    );
    assert_eq!(rsv, readme_signature);
    // The README example parses back into the same proposal.
    let mut readme_line = readme_typed_data;
    readme_line["signature"] = signature;
    let parsed = SignedTypedData::from_json(readme_line.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.signed, signed);
}
