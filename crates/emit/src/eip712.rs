//! EIP-712 typed data of a proposal.
//!
//! The struct and the domain are encoded by `alloy-sol-types` (the `sol!` derive's
//! `eip712_encode_type` and `eip712_encode_data`, and [`Eip712Domain::separator`]); nothing here
//! writes a type string or encodes a field by hand. What this module adds is speed: the parts of
//! the signing hash that never change are hashed once, not per proposal: the type hash of
//! [`RiskParameterProposal`] once per process, and the domain separator once per
//! [`PreparedDomain`]. The result is the same 32 bytes as alloy's
//! [`SolStruct::eip712_signing_hash`], which the
//! tests check for random proposals and domains. The primary type is
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

use std::sync::LazyLock;

use alloy_primitives::{Address, B256, Keccak256, U256, keccak256};
pub use alloy_sol_types::Eip712Domain;
use alloy_sol_types::SolStruct;

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

/// An EIP-712 domain with its domain separator computed once.
///
/// Hashing a domain costs several Keccak-256 runs and allocations (its type string, name and
/// version); a signer or verifier that stays on one domain pays for them once here instead of on
/// every proposal. [`Emitter`](crate::Emitter) and [`Verifier`](crate::Verifier) prepare their
/// domain when they are built.
///
/// ```
/// use recal_emit::eip712::{self, PreparedDomain};
/// let domain = eip712::domain(1, [0xcc; 20].into());
/// let prepared = PreparedDomain::new(domain.clone());
/// assert_eq!(prepared.separator(), domain.separator());
/// assert_eq!(prepared.domain(), &domain);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedDomain {
    domain: Eip712Domain,
    separator: B256,
}

impl PreparedDomain {
    /// Prepares `domain`: hashes its separator.
    #[must_use]
    pub fn new(domain: Eip712Domain) -> Self {
        let separator = domain.separator();
        Self { domain, separator }
    }

    /// The domain.
    #[must_use]
    pub const fn domain(&self) -> &Eip712Domain {
        &self.domain
    }

    /// The domain separator, `hashStruct(domain)`.
    #[must_use]
    pub const fn separator(&self) -> B256 {
        self.separator
    }
}

impl From<Eip712Domain> for PreparedDomain {
    fn from(domain: Eip712Domain) -> Self {
        Self::new(domain)
    }
}

/// Something that yields an EIP-712 domain separator: an [`Eip712Domain`] (hashed on every
/// call) or a [`PreparedDomain`] (hashed once).
pub trait DomainSeparator {
    /// The domain separator, `hashStruct(domain)`.
    fn domain_separator(&self) -> B256;
}

impl DomainSeparator for Eip712Domain {
    fn domain_separator(&self) -> B256 {
        self.separator()
    }
}

impl DomainSeparator for PreparedDomain {
    fn domain_separator(&self) -> B256 {
        self.separator
    }
}

/// `typeHash` of [`RiskParameterProposal`]: Keccak-256 of alloy's `encodeType` string, hashed
/// on first use.
static PROPOSAL_TYPE_HASH: LazyLock<B256> =
    LazyLock::new(|| keccak256(RiskParameterProposal::eip712_encode_type().as_bytes()));

impl RiskParameterProposal {
    /// `hashStruct(proposal) = keccak256(typeHash ‖ encodeData(proposal))`, with the type hash
    /// computed once per process and `encodeData` from the `sol!` derive. Equal to
    /// [`SolStruct::eip712_hash_struct`], which re-hashes the type string on every call.
    #[must_use]
    pub fn struct_hash(&self) -> B256 {
        let mut hasher = Keccak256::new();
        hasher.update(*PROPOSAL_TYPE_HASH);
        hasher.update(self.eip712_encode_data());
        hasher.finalize()
    }

    /// The EIP-712 signing hash `keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(proposal))`;
    /// equal to [`SolStruct::eip712_signing_hash`], and cheaper with a [`PreparedDomain`].
    #[must_use]
    pub fn signing_hash<D: DomainSeparator + ?Sized>(&self, domain: &D) -> B256 {
        let mut preimage = [0u8; 2 + 32 + 32];
        preimage[..2].copy_from_slice(&[0x19, 0x01]);
        preimage[2..34].copy_from_slice(domain.domain_separator().as_slice());
        preimage[34..].copy_from_slice(self.struct_hash().as_slice());
        keccak256(preimage)
    }
}
