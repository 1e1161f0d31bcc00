//! The stage-5 state machine: digest, number and sign proposals.

use std::collections::BTreeMap;

use recal_types::{MarketId, Nonce, ParameterSet, Timestamp, TriggerCause};

use crate::digest::InputsDigest;
use crate::eip712::PreparedDomain;
use crate::error::EmitError;
use crate::proposal::{Proposal, SignedProposal};
use crate::signer::Signer;

/// Timing of emitted proposals, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmitterConfig {
    /// Delay before a loosening proposal becomes valid (`validAfter = now + time_lock`); it
    /// should be at least the verifier's minimum time-lock. Tightening proposals are valid at
    /// once.
    pub time_lock: u64,
    /// How long a proposal stays valid after `validAfter` (`expiry = validAfter + validity`).
    pub validity: u64,
}

impl EmitterConfig {
    /// The delay before `validAfter` of a proposal of `parameters` when `last_emitted` was the
    /// market's last proposal: the time-lock if it loosens anything relative to it (or if there
    /// is none, as nothing is known then), zero otherwise. Stage 4 uses the same rule to predict
    /// which of its proposals will wait.
    #[must_use]
    pub fn time_lock_for(
        &self,
        parameters: &ParameterSet,
        last_emitted: Option<&ParameterSet>,
    ) -> u64 {
        if last_emitted.is_none_or(|last| parameters.is_loosening_from(last)) {
            self.time_lock
        } else {
            0
        }
    }
}

/// Per-market state of the emitter.
#[derive(Debug, Clone, Copy)]
struct MarketCursor {
    next_nonce: Nonce,
    last_emitted: Option<ParameterSet>,
}

/// Builds and signs the proposals of stage 5.
///
/// Pure logic, driven by events: [`absorb`](Self::absorb) every input-journal record the
/// proposal depends on, then [`emit`](Self::emit) with the event time; no wall clock is read,
/// so the same records and calls give byte-identical signed proposals.
///
/// ```
/// use recal_emit::{eip712, Emitter, EmitterConfig, Secp256k1Signer};
/// use recal_types::{MarketId, Nonce, ParameterSet, Timestamp, TriggerCause};
///
/// let signer = Secp256k1Signer::from_bytes(&[5; 32]).unwrap();
/// let config = EmitterConfig { time_lock: 3_600, validity: 600 };
/// let mut emitter = Emitter::new(signer, eip712::domain(1, [0xcc; 20].into()), config);
/// emitter.absorb(b"oracle update");
/// let now = Timestamp::from_unix_seconds(1_700_000_000).unwrap();
/// let signed = emitter
///     .emit(MarketId(3), ParameterSet::default(), TriggerCause::Heartbeat, now)
///     .unwrap();
/// assert_eq!(signed.proposal.nonce, Nonce(1));
/// assert_eq!(signed.proposal.inputs_digest, emitter.inputs_digest().value());
/// ```
#[derive(Debug)]
pub struct Emitter<S> {
    signer: S,
    domain: PreparedDomain,
    config: EmitterConfig,
    digest: InputsDigest,
    markets: BTreeMap<MarketId, MarketCursor>,
}

impl<S: Signer> Emitter<S> {
    /// An emitter signing with `signer` for the verifier at `domain` (an
    /// [`Eip712Domain`](crate::eip712::Eip712Domain), prepared here, or a
    /// [`PreparedDomain`]); nonces start at 1.
    pub fn new(signer: S, domain: impl Into<PreparedDomain>, config: EmitterConfig) -> Self {
        Self {
            signer,
            domain: domain.into(),
            config,
            digest: InputsDigest::new(),
            markets: BTreeMap::new(),
        }
    }

    /// Continues after a restart: the next nonce for `market` and the parameters in force
    /// there (both read from the verifier), so that loosening is judged against them.
    pub fn resume_market(&mut self, market: MarketId, next_nonce: Nonce, current: ParameterSet) {
        self.markets.insert(
            market,
            MarketCursor {
                next_nonce,
                last_emitted: Some(current),
            },
        );
    }

    /// Continues the inputs digest from a checkpoint.
    pub fn resume_digest(&mut self, digest: InputsDigest) {
        self.digest = digest;
    }

    /// Chains one input-journal record into the inputs digest.
    pub fn absorb(&mut self, record: &[u8]) {
        self.digest.absorb(record);
    }

    /// The inputs digest so far.
    #[must_use]
    pub const fn inputs_digest(&self) -> &InputsDigest {
        &self.digest
    }

    /// Builds, signs and returns the next proposal for `market` at event time `now`.
    ///
    /// A proposal that loosens anything relative to the last one emitted for the market (or the
    /// first for a market not [resumed](Self::resume_market), whose parameters are unknown) gets
    /// `validAfter = now + time_lock`; any other is valid at once. On error no state changes.
    pub fn emit(
        &mut self,
        market: MarketId,
        parameters: ParameterSet,
        cause: TriggerCause,
        now: Timestamp,
    ) -> Result<SignedProposal<S::Signature>, EmitError> {
        let cursor = self.markets.get(&market).copied().unwrap_or(MarketCursor {
            next_nonce: Nonce(1),
            last_emitted: None,
        });
        let now = now.as_unix_seconds();
        let delay = self
            .config
            .time_lock_for(&parameters, cursor.last_emitted.as_ref());
        let valid_after = now.checked_add(delay).ok_or(EmitError::TimeOverflow)?;
        let expiry = valid_after
            .checked_add(self.config.validity)
            .ok_or(EmitError::TimeOverflow)?;
        let following = cursor
            .next_nonce
            .next()
            .ok_or(EmitError::NonceExhausted(market))?;
        let proposal = Proposal {
            market,
            nonce: cursor.next_nonce,
            valid_after,
            expiry,
            parameters,
            cause,
            inputs_digest: self.digest.value(),
        };
        let signed = proposal.sign(&self.domain, &self.signer)?;
        self.markets.insert(
            market,
            MarketCursor {
                next_nonce: following,
                last_emitted: Some(parameters),
            },
        );
        Ok(signed)
    }
}
