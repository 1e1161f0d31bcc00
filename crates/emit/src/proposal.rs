//! The parameter proposal and its signed form.

use alloy_primitives::B256;
use recal_types::{
    MarketId, MoneynessBucket, Nonce, ParameterSet, TriggerCause, UnknownTriggerCause,
};

use crate::eip712::{DomainSeparator, RiskParameterProposal};
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

    /// The proposal that [`typed`](Self::typed) turns into `typed`, e.g. after reading typed
    /// data back; fails only on an unknown trigger cause code.
    pub fn from_typed(typed: &RiskParameterProposal) -> Result<Self, UnknownTriggerCause> {
        let mut liquidation_addon_ppm = [0; MoneynessBucket::COUNT];
        for (bucket, value) in [
            (MoneynessBucket::Atm, typed.liquidationAddonAtmPpm),
            (MoneynessBucket::Otm, typed.liquidationAddonOtmPpm),
            (MoneynessBucket::DeepOtm, typed.liquidationAddonDeepOtmPpm),
            (MoneynessBucket::FarWings, typed.liquidationAddonFarWingsPpm),
        ] {
            liquidation_addon_ppm[bucket.index()] = value;
        }
        Ok(Self {
            market: MarketId(typed.marketId),
            nonce: Nonce(typed.nonce),
            valid_after: typed.validAfter,
            expiry: typed.expiry,
            parameters: ParameterSet {
                initial_margin_ppm: typed.initialMarginPpm,
                maintenance_margin_ppm: typed.maintenanceMarginPpm,
                liquidation_addon_ppm,
                liquidation_penalty_ppm: typed.liquidationPenaltyPpm,
                auction_slippage_penalty_ppm: typed.auctionSlippagePenaltyPpm,
                insurance_fund_rate_ppm: typed.insuranceFundRatePpm,
                funding_shift_ppm: typed.fundingShiftPpm,
                max_leverage_centi: typed.maxLeverageCenti,
                open_interest_cap: typed.openInterestCap,
            },
            cause: TriggerCause::from_code(typed.triggerCause)?,
            inputs_digest: typed.inputsDigest,
        })
    }

    /// The EIP-712 signing hash `keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(proposal))`.
    ///
    /// It is also the proposal's id in the verifier (e.g. for a guardian veto): it changes with
    /// any field, chain or contract. `domain` is an
    /// [`Eip712Domain`](crate::eip712::Eip712Domain) or, to skip re-hashing the domain on every
    /// call, a [`PreparedDomain`](crate::eip712::PreparedDomain).
    #[must_use]
    pub fn signing_hash<D: DomainSeparator + ?Sized>(&self, domain: &D) -> B256 {
        self.typed().signing_hash(domain)
    }

    /// Signs the proposal for `domain` (as in [`signing_hash`](Self::signing_hash)).
    pub fn sign<S: Signer, D: DomainSeparator + ?Sized>(
        &self,
        domain: &D,
        signer: &S,
    ) -> Result<SignedProposal<S::Signature>, SignError> {
        Ok(SignedProposal {
            proposal: *self,
            signature: signer.sign_digest(&self.signing_hash(domain))?,
        })
    }
}
