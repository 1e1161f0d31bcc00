//! Signers: deterministic secp256k1 ECDSA for Ethereum, and ed25519.

use std::fmt;
use std::path::Path;

use alloy_primitives::{Address, B256, keccak256};
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use k256::elliptic_curve::scalar::IsHigh;

use crate::error::{KeyError, Rejection, SignError};
use crate::keyfile::load_secret_key;

/// Something that signs a 32-byte digest (here, an EIP-712 signing hash).
///
/// Implementations must be deterministic: the same key and digest give the same signature bytes,
/// so replaying a journal reproduces the emitted proposals exactly.
pub trait Signer {
    /// The signature produced.
    type Signature;

    /// Signs `digest`.
    fn sign_digest(&self, digest: &B256) -> Result<Self::Signature, SignError>;
}

/// An Ethereum ECDSA signature: `r`, low `s`, and `v` ∈ {27, 28}.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthSignature {
    /// The `r` scalar, big-endian.
    pub r: B256,
    /// The `s` scalar, big-endian, in the lower half of the curve order.
    pub s: B256,
    /// `27 + recovery id`.
    pub v: u8,
}

impl EthSignature {
    /// The 65-byte `r ‖ s ‖ v` encoding used by `eth_signTypedData_v4` and `ecrecover` callers.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 65] {
        let mut bytes = [0u8; 65];
        bytes[..32].copy_from_slice(self.r.as_slice());
        bytes[32..64].copy_from_slice(self.s.as_slice());
        bytes[64] = self.v;
        bytes
    }

    /// The address that signed `digest`, with the checks of a careful `ecrecover` wrapper
    /// (OpenZeppelin `ECDSA.recover`): `v` must be 27 or 28 and `s` must be low.
    pub fn recover(&self, digest: &B256) -> Result<Address, Rejection> {
        let recovery_id = match self.v {
            27 => RecoveryId::new(false, false),
            28 => RecoveryId::new(true, false),
            v => return Err(Rejection::InvalidV(v)),
        };
        let signature =
            Signature::from_scalars(self.r.0, self.s.0).map_err(|_| Rejection::InvalidSignature)?;
        if bool::from(signature.s().is_high()) {
            return Err(Rejection::HighS);
        }
        let key = VerifyingKey::recover_from_prehash(digest.as_slice(), &signature, recovery_id)
            .map_err(|_| Rejection::InvalidSignature)?;
        Ok(address_of(&key))
    }
}

/// The Ethereum address of a public key: the last 20 bytes of the Keccak-256 of its
/// uncompressed encoding without the `0x04` tag.
fn address_of(key: &VerifyingKey) -> Address {
    let point = key.to_encoded_point(false);
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

/// secp256k1 ECDSA signer with RFC 6979 deterministic nonces (HMAC-SHA-256), low-`s`
/// normalisation and Ethereum `v`.
///
/// The key is parsed once at construction; `Debug` shows only the address, and the key is
/// zeroized when the signer is dropped.
///
/// ```
/// use recal_emit::{B256, Secp256k1Signer, Signer};
/// let signer = Secp256k1Signer::from_bytes(&[7; 32]).unwrap();
/// let digest = B256::repeat_byte(0xab);
/// let signature = signer.sign_digest(&digest).unwrap();
/// assert_eq!(signature, signer.sign_digest(&digest).unwrap()); // deterministic
/// assert_eq!(signature.recover(&digest).unwrap(), signer.address());
/// ```
pub struct Secp256k1Signer {
    key: SigningKey,
    address: Address,
}

impl Secp256k1Signer {
    /// A signer for the big-endian secret scalar `secret`.
    pub fn from_bytes(secret: &[u8; 32]) -> Result<Self, KeyError> {
        let key = SigningKey::from_bytes(secret.into()).map_err(|_| KeyError::InvalidScalar)?;
        let address = address_of(key.verifying_key());
        Ok(Self { key, address })
    }

    /// A signer for the key in `path` (see [`load_secret_key`]).
    pub fn from_key_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        Self::from_bytes(load_secret_key(path)?.expose())
    }

    /// The Ethereum address of this signer.
    #[must_use]
    pub const fn address(&self) -> Address {
        self.address
    }
}

impl Signer for Secp256k1Signer {
    type Signature = EthSignature;

    fn sign_digest(&self, digest: &B256) -> Result<EthSignature, SignError> {
        let (signature, recovery_id) = self.key.sign_prehash_recoverable(digest.as_slice())?;
        let (r, s) = signature.split_bytes();
        Ok(EthSignature {
            r: B256::from_slice(&r),
            s: B256::from_slice(&s),
            v: 27 + recovery_id.to_byte(),
        })
    }
}

impl fmt::Debug for Secp256k1Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secp256k1Signer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Ed25519 (RFC 8032, pure) signer, for sinks that authenticate proposals off chain.
///
/// Signs the 32-byte EIP-712 signing hash as its message. `Debug` shows only the public key and
/// the key is zeroized on drop.
#[cfg(feature = "ed25519")]
pub struct Ed25519Signer {
    key: ed25519_dalek::SigningKey,
}

#[cfg(feature = "ed25519")]
impl Ed25519Signer {
    /// A signer for the 32-byte secret seed `secret` (RFC 8032 §5.1.5); every seed is valid.
    #[must_use]
    pub fn from_bytes(secret: &[u8; 32]) -> Self {
        Self {
            key: ed25519_dalek::SigningKey::from_bytes(secret),
        }
    }

    /// A signer for the seed in `path` (see [`load_secret_key`]).
    pub fn from_key_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        Ok(Self::from_bytes(load_secret_key(path)?.expose()))
    }

    /// The 32-byte public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// Signs an arbitrary message.
    #[must_use]
    pub fn sign_message(&self, message: &[u8]) -> ed25519_dalek::Signature {
        ed25519_dalek::Signer::sign(&self.key, message)
    }
}

#[cfg(feature = "ed25519")]
impl Signer for Ed25519Signer {
    type Signature = ed25519_dalek::Signature;

    fn sign_digest(&self, digest: &B256) -> Result<Self::Signature, SignError> {
        Ok(self.sign_message(digest.as_slice()))
    }
}

#[cfg(feature = "ed25519")]
impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("public_key", &B256::from(self.public_key()))
            .finish_non_exhaustive()
    }
}
