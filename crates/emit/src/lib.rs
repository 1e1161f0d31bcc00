//! Stage 5 of recal: signed emit.
//!
//! Turns a [`recal_types::ParameterSet`] into a [`Proposal`] that an on-chain contract can
//! verify: integer parameters, an [`InputsDigest`] chaining the input-journal records the
//! proposal was computed from, EIP-712 typed data ([`eip712`]), and a deterministic signature
//! ([`Secp256k1Signer`], RFC 6979); [`Emitter`] ties them together as the stage's state
//! machine. [`Verifier`] is an integer model of the contract: signer set,
//! nonces, [`Guardrails`], time-lock, expiry, pause and guardian veto. Signed proposals are
//! encoded as a fixed binary [`record`] (for journals) or as [typed-data JSON](SignedTypedData)
//! (for `eth_signTypedData_v4` tooling); the sinks that deliver them (callback, channel,
//! journal, NDJSON, TCP) do I/O and so live in `recal-pipeline`.
//!
//! Signing hashes are computed with the type hash and, given a [`eip712::PreparedDomain`], the
//! domain separator hashed once, so each proposal costs only its own struct hash.
//!
//! ```
//! use recal_emit::{eip712, InputsDigest, Proposal, Secp256k1Signer, Signer};
//! use recal_types::{MarketId, Nonce, ParameterSet, TriggerCause};
//!
//! let signer = Secp256k1Signer::from_bytes(&[0x11; 32]).unwrap();
//! let mut digest = InputsDigest::new();
//! digest.absorb(b"journal record 1");
//! let proposal = Proposal {
//!     market: MarketId(1),
//!     nonce: Nonce(1),
//!     valid_after: 1_700_000_000,
//!     expiry: 1_700_000_600,
//!     parameters: ParameterSet::default(),
//!     cause: TriggerCause::Heartbeat,
//!     inputs_digest: digest.value(),
//! };
//! let domain = eip712::domain(1, [0xcc; 20].into());
//! let signed = proposal.sign(&domain, &signer).unwrap();
//! assert_eq!(signed.signature.recover(&proposal.signing_hash(&domain)).unwrap(), signer.address());
//! ```

mod digest;
pub mod eip712;
mod emitter;
mod error;
mod guardrails;
mod keyfile;
mod proposal;
pub mod record;
mod signer;
mod typed_data;
mod verifier;

pub use digest::InputsDigest;
pub use emitter::{Emitter, EmitterConfig};
pub use error::{
    EmitError, GuardrailConfigError, KeyError, RecordError, Rejection, SignError, TypedDataError,
};
pub use guardrails::{Guardrail, Guardrails};
pub use keyfile::{SecretKeyBytes, load_secret_key};
pub use proposal::{Proposal, SignedProposal};
#[cfg(feature = "ed25519")]
pub use signer::Ed25519Signer;
pub use signer::{EthSignature, Secp256k1Signer, Signer};
pub use typed_data::{SignedTypedData, write_typed_data_json};
pub use verifier::{Outcome, PendingProposal, Verifier};

/// Addresses and 32-byte words as used throughout this crate (re-exported from
/// `alloy-primitives`).
pub use alloy_primitives::{Address, B256};
