//! A signed proposal as the JSON typed data of `eth_signTypedData_v4`, plus its signature.
//!
//! One object per proposal, with the keys `types`, `primaryType`, `domain` and `message`
//! exactly as an Ethereum library takes them for verification (see the crate README's worked
//! example), and `signature: {r, s, v}`. Integers of 64 bits and more in the message are decimal
//! strings so that JavaScript does not round them; `chainId` is a number up to 2⁵³ − 1 and a
//! decimal string above. Addresses are EIP-55 checksummed, 32-byte values `0x`-prefixed
//! lower-case hex. The NDJSON and TCP sinks write one such object per line.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{Eip712Domain, SolStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::eip712::RiskParameterProposal;
use crate::error::TypedDataError;
use crate::proposal::{Proposal, SignedProposal};
use crate::signer::EthSignature;

/// A signed proposal with the domain it was signed for: what one JSON typed-data object holds.
///
/// ```
/// use recal_emit::{eip712, B256, EthSignature, Proposal, SignedProposal, SignedTypedData};
/// use recal_types::{MarketId, Nonce, ParameterSet, TriggerCause};
///
/// let typed = SignedTypedData {
///     domain: eip712::domain(1, [0xcc; 20].into()),
///     signed: SignedProposal {
///         proposal: Proposal {
///             market: MarketId(1), nonce: Nonce(2), valid_after: 3, expiry: 4,
///             parameters: ParameterSet::default(), cause: TriggerCause::Heartbeat,
///             inputs_digest: B256::ZERO,
///         },
///         signature: EthSignature { r: B256::repeat_byte(1), s: B256::repeat_byte(2), v: 27 },
///     },
/// };
/// let mut json = Vec::new();
/// typed.write_json(&mut json).unwrap();
/// assert!(json.starts_with(br#"{"types":{"EIP712Domain":"#));
/// assert_eq!(SignedTypedData::from_json(&json).unwrap(), typed);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTypedData {
    /// The EIP-712 domain the proposal was signed for.
    pub domain: Eip712Domain,
    /// The proposal and its signature.
    pub signed: SignedProposal<EthSignature>,
}

impl SignedTypedData {
    /// Writes the JSON object, on one line without a trailing newline, to `out`; fails only
    /// if `out` does.
    pub fn write_json(&self, out: impl std::io::Write) -> Result<(), serde_json::Error> {
        write_typed_data_json(&self.domain, &self.signed, out)
    }

    /// Parses a JSON object written by [`write_json`](Self::write_json) (or by hand, in the same
    /// form), checking that `types` and `primaryType` are the proposal's.
    pub fn from_json(text: &[u8]) -> Result<Self, TypedDataError> {
        let json: Json = serde_json::from_slice(text)?;
        json.try_into()
    }
}

/// The JSON object, field for field.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Json {
    types: BTreeMap<String, Vec<TypedField>>,
    primary_type: String,
    domain: DomainJson,
    message: MessageJson,
    signature: SignatureJson,
}

/// One member of a struct type in `types`.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypedField {
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

impl TypedField {
    fn new(ty: &str, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ty: ty.to_owned(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DomainJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chain_id: Option<ChainId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verifying_contract: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
}

/// `chainId`: a JSON number when JavaScript represents it exactly, else a decimal string.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ChainId {
    Number(u64),
    Decimal(String),
}

/// The largest integer a JavaScript number holds exactly, 2⁵³ − 1.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MessageJson {
    market_id: u32,
    nonce: Decimal<u64>,
    valid_after: Decimal<u64>,
    expiry: Decimal<u64>,
    initial_margin_ppm: u32,
    maintenance_margin_ppm: u32,
    liquidation_addon_atm_ppm: u32,
    liquidation_addon_otm_ppm: u32,
    liquidation_addon_deep_otm_ppm: u32,
    liquidation_addon_far_wings_ppm: u32,
    liquidation_penalty_ppm: u32,
    auction_slippage_penalty_ppm: u32,
    insurance_fund_rate_ppm: u32,
    funding_shift_ppm: i32,
    max_leverage_centi: u32,
    open_interest_cap: Decimal<u128>,
    trigger_cause: u8,
    inputs_digest: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureJson {
    r: String,
    s: String,
    v: u8,
}

/// An integer written as a JSON decimal string.
struct Decimal<T>(T);

impl<T: Display> Serialize for Decimal<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de, T: FromStr> Deserialize<'de> for Decimal<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map(Decimal).map_err(|_| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&text),
                &"a decimal integer string",
            )
        })
    }
}

/// The `types` member for `domain`: the domain's present fields, in the order EIP-712 fixes,
/// and the proposal's fields as alloy encodes its type string.
fn types_for(domain: &Eip712Domain) -> BTreeMap<String, Vec<TypedField>> {
    let domain_fields = [
        (domain.name.is_some(), "string", "name"),
        (domain.version.is_some(), "string", "version"),
        (domain.chain_id.is_some(), "uint256", "chainId"),
        (
            domain.verifying_contract.is_some(),
            "address",
            "verifyingContract",
        ),
        (domain.salt.is_some(), "bytes32", "salt"),
    ]
    .into_iter()
    .filter(|(present, ..)| *present)
    .map(|(_, ty, name)| TypedField::new(ty, name))
    .collect();
    let encoded = RiskParameterProposal::eip712_encode_type();
    let members = encoded
        .strip_prefix(RiskParameterProposal::NAME)
        .and_then(|rest| rest.strip_prefix('('))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_default();
    let proposal_fields = members
        .split(',')
        .filter_map(|member| member.split_once(' '))
        .map(|(ty, name)| TypedField::new(ty, name))
        .collect();
    BTreeMap::from([
        (Eip712Domain::NAME.to_owned(), domain_fields),
        (RiskParameterProposal::NAME.to_owned(), proposal_fields),
    ])
}

/// Writes the JSON object of `signed` for `domain` to `out`, on one line without a trailing
/// newline (what [`SignedTypedData::write_json`] does, without owning a copy of the domain);
/// fails only if `out` does.
pub fn write_typed_data_json(
    domain: &Eip712Domain,
    signed: &SignedProposal<EthSignature>,
    out: impl std::io::Write,
) -> Result<(), serde_json::Error> {
    serde_json::to_writer(out, &Json::new(domain, signed))
}

impl Json {
    fn new(domain: &Eip712Domain, signed: &SignedProposal<EthSignature>) -> Self {
        let m = signed.proposal.typed();
        let signature = &signed.signature;
        Self {
            types: types_for(domain),
            primary_type: RiskParameterProposal::NAME.to_owned(),
            domain: DomainJson {
                name: domain.name.as_deref().map(str::to_owned),
                version: domain.version.as_deref().map(str::to_owned),
                chain_id: domain.chain_id.map(|id| match u64::try_from(id) {
                    Ok(id) if id <= MAX_SAFE_INTEGER => ChainId::Number(id),
                    _ => ChainId::Decimal(id.to_string()),
                }),
                verifying_contract: domain.verifying_contract.map(|a| a.to_checksum(None)),
                salt: domain.salt.map(|salt| salt.to_string()),
            },
            message: MessageJson {
                market_id: m.marketId,
                nonce: Decimal(m.nonce),
                valid_after: Decimal(m.validAfter),
                expiry: Decimal(m.expiry),
                initial_margin_ppm: m.initialMarginPpm,
                maintenance_margin_ppm: m.maintenanceMarginPpm,
                liquidation_addon_atm_ppm: m.liquidationAddonAtmPpm,
                liquidation_addon_otm_ppm: m.liquidationAddonOtmPpm,
                liquidation_addon_deep_otm_ppm: m.liquidationAddonDeepOtmPpm,
                liquidation_addon_far_wings_ppm: m.liquidationAddonFarWingsPpm,
                liquidation_penalty_ppm: m.liquidationPenaltyPpm,
                auction_slippage_penalty_ppm: m.auctionSlippagePenaltyPpm,
                insurance_fund_rate_ppm: m.insuranceFundRatePpm,
                funding_shift_ppm: m.fundingShiftPpm,
                max_leverage_centi: m.maxLeverageCenti,
                open_interest_cap: Decimal(m.openInterestCap),
                trigger_cause: m.triggerCause,
                inputs_digest: m.inputsDigest.to_string(),
            },
            signature: SignatureJson {
                r: signature.r.to_string(),
                s: signature.s.to_string(),
                v: signature.v,
            },
        }
    }
}

fn parse<T: FromStr>(field: &'static str, text: &str) -> Result<T, TypedDataError> {
    text.parse().map_err(|_| TypedDataError::Field(field))
}

impl TryFrom<Json> for SignedTypedData {
    type Error = TypedDataError;

    fn try_from(json: Json) -> Result<Self, TypedDataError> {
        if json.primary_type != RiskParameterProposal::NAME {
            return Err(TypedDataError::PrimaryType(json.primary_type));
        }
        let d = json.domain;
        let chain_id = match d.chain_id {
            None => None,
            Some(ChainId::Number(id)) => Some(U256::from(id)),
            Some(ChainId::Decimal(text)) => Some(
                U256::from_str_radix(&text, 10).map_err(|_| TypedDataError::Field("chainId"))?,
            ),
        };
        let domain = Eip712Domain::new(
            d.name.map(Into::into),
            d.version.map(Into::into),
            chain_id,
            d.verifying_contract
                .map(|text| parse::<Address>("verifyingContract", &text))
                .transpose()?,
            d.salt
                .map(|text| parse::<B256>("salt", &text))
                .transpose()?,
        );
        if json.types != types_for(&domain) {
            return Err(TypedDataError::Types);
        }
        let m = json.message;
        let typed = RiskParameterProposal {
            marketId: m.market_id,
            nonce: m.nonce.0,
            validAfter: m.valid_after.0,
            expiry: m.expiry.0,
            initialMarginPpm: m.initial_margin_ppm,
            maintenanceMarginPpm: m.maintenance_margin_ppm,
            liquidationAddonAtmPpm: m.liquidation_addon_atm_ppm,
            liquidationAddonOtmPpm: m.liquidation_addon_otm_ppm,
            liquidationAddonDeepOtmPpm: m.liquidation_addon_deep_otm_ppm,
            liquidationAddonFarWingsPpm: m.liquidation_addon_far_wings_ppm,
            liquidationPenaltyPpm: m.liquidation_penalty_ppm,
            auctionSlippagePenaltyPpm: m.auction_slippage_penalty_ppm,
            insuranceFundRatePpm: m.insurance_fund_rate_ppm,
            fundingShiftPpm: m.funding_shift_ppm,
            maxLeverageCenti: m.max_leverage_centi,
            openInterestCap: m.open_interest_cap.0,
            triggerCause: m.trigger_cause,
            inputsDigest: parse("inputsDigest", &m.inputs_digest)?,
        };
        let signature = EthSignature {
            r: parse("r", &json.signature.r)?,
            s: parse("s", &json.signature.s)?,
            v: json.signature.v,
        };
        Ok(Self {
            domain,
            signed: SignedProposal {
                proposal: Proposal::from_typed(&typed)?,
                signature,
            },
        })
    }
}
