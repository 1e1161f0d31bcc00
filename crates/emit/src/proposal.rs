//! The parameter proposal and its signed form.

use alloy_primitives::B256;
use alloy_sol_types::{Eip712Domain, SolStruct};
use recal_types::{MarketId, MoneynessBucket, Nonce, ParameterSet, TriggerCause};

use crate::eip712::RiskParameterProposal;
use crate::error::SignError;
use crate::signer::Signer;

/// A proposal to set a market's risk parameters, as the emitter builds it.
///
/// Times are Unix seconds, the unit of `block.timestamp`. `valid_after` is the time-lock a
/// loosening proposal must wait for (tightening applies at once); `expiry` is the last second
/// at which the proposal may be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Proposal {
    /// The market whose parameters change.
    pub market: MarketId,
    /// Per-market sequence number; the verifier consumes each nonce once.
    pub nonce: Nonce,
    /// Earliest time a loosening proposal may apply (Unix seconds).
    pub valid_after: u64,
    /// Last time the proposal may apply (Unix seconds).
    pub expiry: u64,
    /// The complete new parameter set.
    pub parameters: ParameterSet,
    /// What triggered the proposal.
    pub cause: TriggerCause,
    /// [`InputsDigest`](crate::InputsDigest) of the input-journal records consumed up to this
    /// proposal.
    pub inputs_digest: B256,
}

/// A proposal with its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignedProposal<S> {
    /// The proposal.
    pub proposal: Proposal,
    /// Signature over [`Proposal::signing_hash`].
    pub signature: S,
}

impl Proposal {
    /// The EIP-712 struct that is hashed and signed.
    #[must_use]
    pub fn typed(&self) -> RiskParameterProposal {
        let p = &self.parameters;
        let addon = |bucket: MoneynessBucket| p.liquidation_addon_ppm[bucket.index()];
        RiskParameterProposal {
            marketId: self.market.0,
            nonce: self.nonce.0,
            validAfter: self.valid_after,
            expiry: self.expiry,
            initialMarginPpm: p.initial_margin_ppm,
            maintenanceMarginPpm: p.maintenance_margin_ppm,
            liquidationAddonAtmPpm: addon(MoneynessBucket::Atm),
            liquidationAddonOtmPpm: addon(MoneynessBucket::Otm),
            liquidationAddonDeepOtmPpm: addon(MoneynessBucket::DeepOtm),
            liquidationAddonFarWingsPpm: addon(MoneynessBucket::FarWings),
            liquidationPenaltyPpm: p.liquidation_penalty_ppm,
            auctionSlippagePenaltyPpm: p.auction_slippage_penalty_ppm,
            insuranceFundRatePpm: p.insurance_fund_rate_ppm,
            fundingShiftPpm: p.funding_shift_ppm,
            maxLeverageCenti: p.max_leverage_centi,
            openInterestCap: p.open_interest_cap,
            triggerCause: self.cause.code(),
            inputsDigest: self.inputs_digest,
        }
    }

    /// The EIP-712 signing hash `keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(proposal))`.
    ///
    /// It is also the proposal's id in the verifier (e.g. for a guardian veto): it changes with
    /// any field, chain or contract.
    #[must_use]
    pub fn signing_hash(&self, domain: &Eip712Domain) -> B256 {
        self.typed().eip712_signing_hash(domain)
    }

    /// Signs the proposal for `domain`.
    pub fn sign<S: Signer>(
        &self,
        domain: &Eip712Domain,
        signer: &S,
    ) -> Result<SignedProposal<S::Signature>, SignError> {
        Ok(SignedProposal {
            proposal: *self,
            signature: signer.sign_digest(&self.signing_hash(domain))?,
        })
    }
}
