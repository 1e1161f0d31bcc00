//! EIP-712 typed data of a proposal.
//!
//! The struct and the domain are hashed by `alloy-sol-types` (`sol!` derive and
//! [`SolStruct::eip712_signing_hash`](alloy_sol_types::SolStruct::eip712_signing_hash)); nothing
//! here hashes a type string by hand. The primary type is
//!
//! ```text
//! RiskParameterProposal(uint32 marketId,uint64 nonce,uint64 validAfter,uint64 expiry,
//!   uint32 initialMarginPpm,uint32 maintenanceMarginPpm,uint32 liquidationAddonAtmPpm,
//!   uint32 liquidationAddonOtmPpm,uint32 liquidationAddonDeepOtmPpm,
//!   uint32 liquidationAddonFarWingsPpm,uint32 liquidationPenaltyPpm,
//!   uint32 auctionSlippagePenaltyPpm,uint32 insuranceFundRatePpm,int32 fundingShiftPpm,
//!   uint32 maxLeverageCenti,uint128 openInterestCap,uint8 triggerCause,bytes32 inputsDigest)
//! ```
//!
//! (one line, no spaces after commas) and the domain is `EIP712Domain(string name,string
//! version,uint256 chainId,address verifyingContract)` with [`DOMAIN_NAME`] and
//! [`DOMAIN_VERSION`]. Binding `chainId` and `verifyingContract` into every signature is what
//! makes a proposal unreplayable on another chain or contract.

use alloy_primitives::{Address, U256};
pub use alloy_sol_types::Eip712Domain;

/// The EIP-712 domain `name`.
pub const DOMAIN_NAME: &str = "recal";

/// The EIP-712 domain `version`.
pub const DOMAIN_VERSION: &str = "1";

alloy_sol_types::sol! {
    /// The signed proposal exactly as the contract hashes it; field units as in
    /// [`recal_types::ParameterSet`], times in Unix seconds.
    #[derive(Debug, PartialEq, Eq)]
    struct RiskParameterProposal {
        uint32 marketId;
        uint64 nonce;
        uint64 validAfter;
        uint64 expiry;
        uint32 initialMarginPpm;
        uint32 maintenanceMarginPpm;
        uint32 liquidationAddonAtmPpm;
        uint32 liquidationAddonOtmPpm;
        uint32 liquidationAddonDeepOtmPpm;
        uint32 liquidationAddonFarWingsPpm;
        uint32 liquidationPenaltyPpm;
        uint32 auctionSlippagePenaltyPpm;
        uint32 insuranceFundRatePpm;
        int32 fundingShiftPpm;
        uint32 maxLeverageCenti;
        uint128 openInterestCap;
        uint8 triggerCause;
        bytes32 inputsDigest;
    }
}

/// The EIP-712 domain of the verifier contract `verifying_contract` on chain `chain_id`.
///
/// ```
/// use recal_emit::eip712;
/// let domain = eip712::domain(1, [0xcc; 20].into());
/// assert_eq!(domain.name.as_deref(), Some("recal"));
/// ```
#[must_use]
pub fn domain(chain_id: u64, verifying_contract: Address) -> Eip712Domain {
    Eip712Domain::new(
        Some(DOMAIN_NAME.into()),
        Some(DOMAIN_VERSION.into()),
        Some(U256::from(chain_id)),
        Some(verifying_contract),
        None,
    )
}
