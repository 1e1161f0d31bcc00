//! Loading a secret key from a file.

use std::fmt;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::KeyError;

/// Longest key file accepted, in bytes (64 hex digits, a prefix and whitespace fit easily).
const MAX_KEY_FILE_BYTES: u64 = 256;

/// 32 secret bytes, wiped from memory on drop; `Debug` prints nothing of them.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretKeyBytes([u8; 32]);

impl SecretKeyBytes {
    /// The secret bytes; keep the borrow short and never log them.
    #[must_use]
    pub const fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKeyBytes(<redacted>)")
    }
}

/// Reads a 32-byte secret from `path`.
///
/// The file holds 64 hex digits, optionally `0x`-prefixed, with surrounding whitespace ignored.
/// On Unix it must not be accessible by group or others (`mode & 0o077 == 0`, e.g. `chmod 600`);
/// the mode is checked on the opened file, so it cannot change between check and read.
///
/// ```
/// # use std::{fs, os::unix::fs::PermissionsExt};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("keeper.key");
/// fs::write(&path, "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n").unwrap();
/// fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
/// let secret = recal_emit::load_secret_key(&path).unwrap();
/// assert_eq!(secret.expose()[0], 0x4c);
/// ```
pub fn load_secret_key(path: impl AsRef<Path>) -> Result<SecretKeyBytes, KeyError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| match source.kind() {
        ErrorKind::NotFound => KeyError::Missing {
            path: path.to_owned(),
        },
        _ => KeyError::Unreadable {
            path: path.to_owned(),
            source,
        },
    })?;
    let unreadable = |source| KeyError::Unreadable {
        path: path.to_owned(),
        source,
    };
    check_private(&file, path)?;
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_KEY_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(unreadable)?;
    let trimmed = text.trim();
    let digits = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .unwrap_or(trimmed);
    let mut secret = SecretKeyBytes([0; 32]);
    alloy_primitives::hex::decode_to_slice(digits, &mut secret.0).map_err(|_| {
        KeyError::MalformedHex {
            path: path.to_owned(),
        }
    })?;
    Ok(secret)
}

/// Rejects a key file that its group or others may access.
#[cfg(unix)]
fn check_private(file: &File, path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = file.metadata().map_err(|source| KeyError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    let mode = metadata.permissions().mode();
    if mode & 0o077 == 0 {
        Ok(())
    } else {
        Err(KeyError::Permissions {
            path: path.to_owned(),
            mode: mode & 0o7777,
        })
    }
}

/// Non-Unix platforms have no mode bits to check; access control is left to the OS's ACLs.
#[cfg(not(unix))]
fn check_private(_file: &File, _path: &Path) -> Result<(), KeyError> {
    Ok(())
}
