//! Key loading: permissions, format, typed errors, and that the key never shows in output.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use recal_emit::{KeyError, Secp256k1Signer, load_secret_key};

const KEY_HEX: &str = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

fn key_file(dir: &Path, content: &str, mode: u32) -> PathBuf {
    let path = dir.join("keeper.key");
    fs::write(&path, content).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn key_bytes() -> [u8; 32] {
    hex::decode(KEY_HEX).unwrap().try_into().unwrap()
}

#[test]
fn loads_prefixed_and_bare_hex_with_whitespace() {
    let dir = tempfile::tempdir().unwrap();
    let expected = Secp256k1Signer::from_bytes(&key_bytes()).unwrap().address();
    for content in [
        format!("0x{KEY_HEX}\n"),
        format!("  {KEY_HEX}  \r\n"),
        format!("0X{}", KEY_HEX.to_uppercase()),
    ] {
        let path = key_file(dir.path(), &content, 0o600);
        assert_eq!(load_secret_key(&path).unwrap().expose(), &key_bytes());
        let signer = Secp256k1Signer::from_key_file(&path).unwrap();
        assert_eq!(signer.address(), expected);
    }
    // Owner-only read is enough.
    let path = key_file(dir.path(), KEY_HEX, 0o400);
    assert!(load_secret_key(path).is_ok());
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.key");
    assert!(matches!(load_secret_key(&path), Err(KeyError::Missing { path: p }) if p == path));
}

#[test]
fn group_or_world_access_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o640, 0o604, 0o644, 0o660, 0o601, 0o610] {
        let path = key_file(dir.path(), KEY_HEX, mode);
        match load_secret_key(&path) {
            Err(KeyError::Permissions { mode: found, .. }) => assert_eq!(found, mode),
            other => panic!("mode {mode:o}: {other:?}"),
        }
    }
}

#[test]
fn malformed_hex_is_refused_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let short = &KEY_HEX[..62];
    let long = format!("{KEY_HEX}00");
    let bad_digit = format!("{}zz", &KEY_HEX[..62]);
    for content in ["", "0x", short, &long, &bad_digit, "0x 4c08"] {
        let path = key_file(dir.path(), content, 0o600);
        let err = load_secret_key(&path).unwrap_err();
        assert!(
            matches!(err, KeyError::MalformedHex { .. }),
            "{content:?}: {err:?}"
        );
        assert!(!err.to_string().contains(&KEY_HEX[..16]));
        assert!(!format!("{err:?}").contains(&KEY_HEX[..16]));
    }
}

#[test]
fn invalid_scalars_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zero = "00".repeat(32);
    let order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    for content in [zero.as_str(), order] {
        let path = key_file(dir.path(), content, 0o600);
        assert!(matches!(
            Secp256k1Signer::from_key_file(&path),
            Err(KeyError::InvalidScalar)
        ));
    }
}

#[test]
fn debug_output_redacts_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = key_file(dir.path(), KEY_HEX, 0o600);
    let secret = load_secret_key(&path).unwrap();
    let signer = Secp256k1Signer::from_key_file(&path).unwrap();
    for text in [
        format!("{secret:?}"),
        format!("{signer:?}"),
        format!("{signer:#?}"),
    ] {
        assert!(!text.to_lowercase().contains(&KEY_HEX[..8]), "{text}");
        assert!(!text.contains("76, 8, 131"), "{text}"); // the first bytes in decimal
    }
    assert!(format!("{signer:?}").contains(&format!("{:?}", signer.address())));
}

#[cfg(feature = "ed25519")]
#[test]
fn ed25519_key_from_file() {
    use recal_emit::Ed25519Signer;
    let dir = tempfile::tempdir().unwrap();
    let path = key_file(dir.path(), KEY_HEX, 0o600);
    let signer = Ed25519Signer::from_key_file(&path).unwrap();
    assert_eq!(
        signer.public_key(),
        Ed25519Signer::from_bytes(&key_bytes()).public_key()
    );
    assert!(!format!("{signer:?}").contains(&KEY_HEX[..8]));
}
