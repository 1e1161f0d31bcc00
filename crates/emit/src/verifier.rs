//! An integer model of the on-chain verifier contract.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256};
use recal_types::{MarketId, Nonce, ParameterSet};

use crate::eip712::PreparedDomain;
use crate::error::Rejection;
use crate::guardrails::Guardrails;
use crate::proposal::SignedProposal;
use crate::signer::EthSignature;

/// What an accepted submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The proposal loosens nothing and was applied at once.
    Applied,
    /// The proposal loosens at least one parameter and waits for its time-lock.
    Queued {
        /// The proposal's id (its EIP-712 signing hash), for [`Verifier::execute`] and
        /// [`Verifier::veto`].
        id: B256,
        /// Earliest execution time (Unix seconds).
        executable_at: u64,
    },
}

/// A loosening proposal waiting for its time-lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PendingProposal {
    /// The proposal's id (its EIP-712 signing hash).
    pub id: B256,
    /// The parameters it will apply.
    pub parameters: ParameterSet,
    /// Earliest execution time: the later of its `validAfter` and submission plus the market's
    /// minimum time-lock (Unix seconds).
    pub executable_at: u64,
    /// Its expiry (Unix seconds).
    pub expiry: u64,
}

/// State the verifier keeps per market.
#[derive(Debug, Clone)]
struct Market {
    parameters: ParameterSet,
    guardrails: Guardrails,
    last_nonce: Option<Nonce>,
    last_update: Option<u64>,
    pending: Option<PendingProposal>,
}

/// Model of the contract that checks and applies signed proposals. Plain integers, no floats;
/// times are Unix seconds (`block.timestamp`) passed in by the caller.
///
/// Rules, each rejection a distinct [`Rejection`]:
/// - **Pause**: while paused (the guardian's circuit breaker) nothing is submitted or executed.
/// - **Signature**: recovered over the verifier's own EIP-712 domain (chain id and contract
///   address), so a proposal signed for another chain or contract recovers a different address
///   and is refused as an unauthorised signer; `v` must be 27/28 and `s` low.
/// - **Signers**: any of several authorised keepers may sign.
/// - **Nonces**: per market, strictly increasing; the first valid proposal for a nonce wins and
///   consumes it, later ones with that nonce are refused ([`Rejection::NonceReused`]).
/// - **Expiry**: refused after `expiry`, and if `expiry ≤ validAfter`.
/// - **Guardrails**: immutable bounds and step per parameter, maintenance ≤ initial margin
///   ([`Guardrails::check`]), against the current parameters.
/// - **Time-lock**: a proposal that loosens any parameter
///   ([`ParameterSet::is_loosening_from`]) is queued until `max(validAfter, now +
///   min_time_lock)`; one that loosens nothing applies at once, whatever its `validAfter`.
///   A market has at most one pending proposal: any newer accepted proposal supersedes it, so
///   the parameters a pending proposal was checked against are still current when it executes.
/// - **Interval**: an update applies only `min_update_interval` after the previous one.
/// - **Veto**: the guardian may cancel the pending proposal by id.
///
/// ```
/// use recal_emit::{eip712, Guardrail, Guardrails, Outcome, Proposal, Secp256k1Signer, Verifier, B256};
/// use recal_types::{MarketId, Nonce, ParameterId, ParameterSet, TriggerCause};
///
/// let keeper = Secp256k1Signer::from_bytes(&[1; 32]).unwrap();
/// let domain = eip712::domain(1, [0xcc; 20].into());
/// let rail = Guardrail::new(0, 2_000_000, 500_000, 1_000).unwrap();
/// let guardrails = Guardrails::new([rail; ParameterId::COUNT], 60, 3_600);
/// let current = ParameterSet { initial_margin_ppm: 100_000, ..ParameterSet::default() };
/// let mut verifier = Verifier::new(domain.clone(), [keeper.address()], [9; 20].into());
/// verifier.register_market(MarketId(1), current, guardrails);
///
/// let tighter = ParameterSet { initial_margin_ppm: 120_000, ..current };
/// let proposal = Proposal {
///     market: MarketId(1), nonce: Nonce(1), valid_after: 1_000, expiry: 2_000,
///     parameters: tighter, cause: TriggerCause::Deviation, inputs_digest: B256::ZERO,
/// };
/// let signed = proposal.sign(&domain, &keeper).unwrap();
/// assert_eq!(verifier.submit(&signed, 900), Ok(Outcome::Applied));
/// assert_eq!(verifier.parameters(MarketId(1)), Some(&tighter));
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    domain: PreparedDomain,
    signers: BTreeSet<Address>,
    guardian: Address,
    paused: bool,
    markets: BTreeMap<MarketId, Market>,
}

impl Verifier {
    /// A verifier deployed at `domain` (which names its chain and address; an
    /// [`Eip712Domain`](crate::eip712::Eip712Domain), prepared here, or a [`PreparedDomain`]), accepting
    /// proposals signed by any of `signers`, with `guardian` allowed to pause and veto.
    pub fn new(
        domain: impl Into<PreparedDomain>,
        signers: impl IntoIterator<Item = Address>,
        guardian: Address,
    ) -> Self {
        Self {
            domain: domain.into(),
            signers: signers.into_iter().collect(),
            guardian,
            paused: false,
            markets: BTreeMap::new(),
        }
    }

    /// The registered markets, in id order.
    pub fn markets(&self) -> impl Iterator<Item = MarketId> + '_ {
        self.markets.keys().copied()
    }

    /// Registers (or re-registers, resetting its state) `market` with its initial parameters
    /// and immutable guardrails, as the contract's deployment would.
    pub fn register_market(
        &mut self,
        market: MarketId,
        initial: ParameterSet,
        guardrails: Guardrails,
    ) {
        self.markets.insert(
            market,
            Market {
                parameters: initial,
                guardrails,
                last_nonce: None,
                last_update: None,
                pending: None,
            },
        );
    }

    /// The parameters in force for `market`.
    #[must_use]
    pub fn parameters(&self, market: MarketId) -> Option<&ParameterSet> {
        self.markets.get(&market).map(|m| &m.parameters)
    }

    /// The last nonce consumed for `market`.
    #[must_use]
    pub fn last_nonce(&self, market: MarketId) -> Option<Nonce> {
        self.markets.get(&market).and_then(|m| m.last_nonce)
    }

    /// The proposal of `market` waiting for its time-lock.
    #[must_use]
    pub fn pending(&self, market: MarketId) -> Option<&PendingProposal> {
        self.markets.get(&market).and_then(|m| m.pending.as_ref())
    }

    /// Whether the circuit breaker is tripped.
    #[must_use]
    pub const fn is_paused(&self) -> bool {
        self.paused
    }

    /// Checks `signed` at time `now` and applies or queues it; on rejection nothing changes.
    pub fn submit(
        &mut self,
        signed: &SignedProposal<EthSignature>,
        now: u64,
    ) -> Result<Outcome, Rejection> {
        if self.paused {
            return Err(Rejection::Paused);
        }
        let proposal = &signed.proposal;
        let market = self
            .markets
            .get_mut(&proposal.market)
            .ok_or(Rejection::UnknownMarket(proposal.market))?;
        let id = proposal.signing_hash(&self.domain);
        let signer = signed.signature.recover(&id)?;
        if !self.signers.contains(&signer) {
            return Err(Rejection::UnauthorisedSigner(signer));
        }
        match market.last_nonce {
            Some(last) if proposal.nonce == last => return Err(Rejection::NonceReused(last)),
            Some(last) if proposal.nonce < last => {
                return Err(Rejection::NonceNotIncreasing {
                    nonce: proposal.nonce,
                    last,
                });
            }
            _ => {}
        }
        if proposal.expiry <= proposal.valid_after {
            return Err(Rejection::ExpiresBeforeValid {
                valid_after: proposal.valid_after,
                expiry: proposal.expiry,
            });
        }
        check_not_expired(proposal.expiry, now)?;
        market
            .guardrails
            .check(&market.parameters, &proposal.parameters)?;
        if proposal.parameters.is_loosening_from(&market.parameters) {
            let executable_at = market.guardrails.executable_at(proposal.valid_after, now);
            market.last_nonce = Some(proposal.nonce);
            market.pending = Some(PendingProposal {
                id,
                parameters: proposal.parameters,
                executable_at,
                expiry: proposal.expiry,
            });
            Ok(Outcome::Queued { id, executable_at })
        } else {
            market.check_interval(now)?;
            market.last_nonce = Some(proposal.nonce);
            market.apply(proposal.parameters, now);
            Ok(Outcome::Applied)
        }
    }

    /// Executes the pending proposal `id` once its time-lock has passed.
    pub fn execute(&mut self, id: B256, now: u64) -> Result<(), Rejection> {
        if self.paused {
            return Err(Rejection::Paused);
        }
        let (market, pending) = self.market_pending(id)?;
        check_not_expired(pending.expiry, now)?;
        if now < pending.executable_at {
            return Err(Rejection::TimeLocked {
                until: pending.executable_at,
            });
        }
        market.check_interval(now)?;
        market.apply(pending.parameters, now);
        Ok(())
    }

    /// The guardian cancels the pending proposal `id`.
    pub fn veto(&mut self, caller: Address, id: B256) -> Result<(), Rejection> {
        self.check_guardian(caller)?;
        self.market_pending(id)?.0.pending = None;
        Ok(())
    }

    /// The guardian trips (`true`) or resets (`false`) the circuit breaker.
    pub fn set_paused(&mut self, caller: Address, paused: bool) -> Result<(), Rejection> {
        self.check_guardian(caller)?;
        self.paused = paused;
        Ok(())
    }

    fn check_guardian(&self, caller: Address) -> Result<(), Rejection> {
        if caller == self.guardian {
            Ok(())
        } else {
            Err(Rejection::NotGuardian(caller))
        }
    }

    /// The market whose pending proposal is `id`, and that proposal.
    fn market_pending(&mut self, id: B256) -> Result<(&mut Market, PendingProposal), Rejection> {
        self.markets
            .values_mut()
            .find_map(|m| match m.pending {
                Some(p) if p.id == id => Some((m, p)),
                _ => None,
            })
            .ok_or(Rejection::UnknownProposal(id))
    }
}

impl Market {
    fn check_interval(&self, now: u64) -> Result<(), Rejection> {
        match self.last_update {
            Some(last) => {
                let earliest = last.saturating_add(self.guardrails.min_update_interval());
                if now < earliest {
                    Err(Rejection::TooSoon { earliest })
                } else {
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    /// Applies `parameters`; any pending proposal is superseded.
    fn apply(&mut self, parameters: ParameterSet, now: u64) {
        self.parameters = parameters;
        self.last_update = Some(now);
        self.pending = None;
    }
}

fn check_not_expired(expiry: u64, now: u64) -> Result<(), Rejection> {
    if now > expiry {
        Err(Rejection::Expired { expiry, now })
    } else {
        Ok(())
    }
}
