//! Published reference vectors: the EIP-712 specification's `Mail` example, secp256k1 RFC 6979
//! signatures, and RFC 8032 ed25519 test vectors.

use alloy_primitives::{Address, B256, U256, address, b256, keccak256};
use alloy_sol_types::{Eip712Domain, SolStruct, sol};
use recal_emit::{EthSignature, Secp256k1Signer, Signer};
use sha2::{Digest, Sha256};

sol! {
    struct Person {
        string name;
        address wallet;
    }

    struct Mail {
        Person from;
        Person to;
        string contents;
    }
}

/// EIP-712 (`assets/eip-712/Example.js`): the Mail message, its signing hash, and its signature
/// by the key `keccak256("cow")`.
#[test]
fn eip712_mail_example_digest_and_signature() {
    let domain = Eip712Domain::new(
        Some("Ether Mail".into()),
        Some("1".into()),
        Some(U256::from(1)),
        Some(address!("CcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC")),
        None,
    );
    let mail = Mail {
        from: Person {
            name: "Cow".into(),
            wallet: address!("CD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"),
        },
        to: Person {
            name: "Bob".into(),
            wallet: address!("bBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"),
        },
        contents: "Hello, Bob!".into(),
    };
    let digest = mail.eip712_signing_hash(&domain);
    assert_eq!(
        digest,
        b256!("be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2")
    );

    let signer = Secp256k1Signer::from_bytes(&keccak256(b"cow").0).unwrap();
    assert_eq!(
        signer.address(),
        address!("CD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826")
    );
    let signature = signer.sign_digest(&digest).unwrap();
    assert_eq!(
        signature,
        EthSignature {
            v: 28,
            r: b256!("4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d"),
            s: b256!("07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562"),
        }
    );
    assert_eq!(signature.recover(&digest).unwrap(), signer.address());
}

/// secp256k1 RFC 6979 (HMAC-SHA-256 nonces) vectors over SHA-256 message digests, in low-s
/// form: the set published on bitcointalk (topic 285142) and reproduced in many Bitcoin
/// libraries' test suites (e.g. bitcoinjs-lib, Trezor's), (private key, message, r, s).
const RFC6979_SECP256K1: [(&str, &str, &str, &str); 4] = [
    (
        "0000000000000000000000000000000000000000000000000000000000000001",
        "Satoshi Nakamoto",
        "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8",
        "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5",
    ),
    (
        "0000000000000000000000000000000000000000000000000000000000000001",
        "All those moments will be lost in time, like tears in rain. Time to die...",
        "8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b",
        "547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21",
    ),
    (
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
        "Satoshi Nakamoto",
        "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0",
        "6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5",
    ),
    (
        "f8b8af8ce3c7cca5e300d33939540c10d45ce001b8f252bfbc57ba0342904181",
        "Alan Turing",
        "7063ae83e7f62bbb171798131b4a0564b956930092b33b07b395615d9ec7e15c",
        "58dfcc1e00a35e1572f366ffe34ba0fc47db1e7189759b9fb233c5b05ab388ea",
    ),
];

fn array32(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}

#[test]
fn secp256k1_rfc6979_vectors() {
    for (key, message, r, s) in RFC6979_SECP256K1 {
        let signer = Secp256k1Signer::from_bytes(&array32(key)).unwrap();
        let digest = B256::from(<[u8; 32]>::from(Sha256::digest(message.as_bytes())));
        let signature = signer.sign_digest(&digest).unwrap();
        assert_eq!(signature.r, B256::from(array32(r)), "r for {message:?}");
        assert_eq!(signature.s, B256::from(array32(s)), "s for {message:?}");
        assert_eq!(signature.recover(&digest).unwrap(), signer.address());
    }
}

/// The key 1 controls the address of the generator point, a well-known constant.
#[test]
fn address_of_key_one() {
    let signer = Secp256k1Signer::from_bytes(&array32(RFC6979_SECP256K1[0].0)).unwrap();
    assert_eq!(
        signer.address(),
        address!("7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
    );
    assert_ne!(signer.address(), Address::ZERO);
}

/// RFC 8032 §7.1, TEST 1 to TEST 3: (secret key, public key, message, signature).
#[cfg(feature = "ed25519")]
#[test]
fn ed25519_rfc8032_tests_1_to_3() {
    use recal_emit::Ed25519Signer;
    let vectors = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    ];
    for (secret, public, message, signature) in vectors {
        let signer = Ed25519Signer::from_bytes(&array32(secret));
        assert_eq!(signer.public_key(), array32(public));
        let produced = signer.sign_message(&hex::decode(message).unwrap());
        assert_eq!(
            produced.to_bytes().to_vec(),
            hex::decode(signature).unwrap()
        );
    }
}
