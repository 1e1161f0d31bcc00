//! Stage 5 costs: EIP-712 hashing of a proposal, signing and verifying (ecrecover), against the
//! bare k256 calls on the same digest and key, in the same run.
//!
//! The peer for signing is `k256::ecdsa::SigningKey::sign_prehash_recoverable` with a key
//! parsed once — exactly the work an Ethereum signature needs and nothing else. recal's
//! signer should add only the conversion to `r, s, v` (goal: within 1.1x). The peer for
//! verifying is `VerifyingKey::recover_from_prehash`.
//!
//! After criterion's absolute figures, the contenders run interleaved in rounds (see
//! `support`) and the paired ratios are printed.

use std::hint::black_box;
use std::time::Instant;

use criterion::Criterion;
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use recal_emit::{B256, InputsDigest, Proposal, Secp256k1Signer, Signer, eip712};
use recal_types::{MarketId, Nonce, ParameterSet, TriggerCause};
use support::{interleave, is_bench_run, pin, print_quartiles, print_ratio, rounds};

mod support;

const SECRET: [u8; 32] = [0x42; 32];

fn proposal() -> Proposal {
    let mut digest = InputsDigest::new();
    digest.absorb(b"input journal record");
    Proposal {
        market: MarketId(7),
        nonce: Nonce(1_234),
        valid_after: 1_760_000_000,
        expiry: 1_760_000_600,
        parameters: ParameterSet::default(),
        cause: TriggerCause::Heartbeat,
        inputs_digest: digest.value(),
    }
}

/// The same signature through bare k256, for the peer's verification path.
fn bare_sign(key: &SigningKey, digest: &B256) -> (Signature, RecoveryId) {
    key.sign_prehash_recoverable(digest.as_slice())
        .expect("a 32-byte prehash signs")
}

fn bench_emit(c: &mut Criterion) {
    // Prepared once, as the Emitter and Verifier hold it: the domain separator is not rehashed
    // per proposal.
    let domain = eip712::PreparedDomain::new(eip712::domain(1, [0xcc; 20].into()));
    let proposal = proposal();
    let digest = proposal.signing_hash(&domain);
    let signer = Secp256k1Signer::from_bytes(&SECRET).expect("valid scalar");
    let bare_key = SigningKey::from_bytes((&SECRET).into()).expect("valid scalar");
    let signature = signer.sign_digest(&digest).expect("signs");
    let (bare_signature, bare_recovery) = bare_sign(&bare_key, &digest);

    let mut group = c.benchmark_group("emit");
    group.bench_function("eip712 signing hash", |b| {
        b.iter(|| black_box(&proposal).signing_hash(black_box(&domain)))
    });
    group.bench_function("recal sign", |b| {
        b.iter(|| signer.sign_digest(black_box(&digest)))
    });
    group.bench_function("bare k256 sign_prehash_recoverable", |b| {
        b.iter(|| bare_sign(&bare_key, black_box(&digest)))
    });
    group.bench_function("recal verify (recover address)", |b| {
        b.iter(|| black_box(&signature).recover(black_box(&digest)))
    });
    group.bench_function("bare k256 recover_from_prehash", |b| {
        b.iter(|| {
            VerifyingKey::recover_from_prehash(
                black_box(digest.as_slice()),
                &bare_signature,
                bare_recovery,
            )
        })
    });
    group.finish();
}

/// Microseconds per call of `work`, over `calls` calls.
fn micros_per_call(calls: u32, mut work: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..calls {
        work();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(calls)
}

fn interleaved_report(rounds: usize) {
    const CALLS: u32 = 500;
    let domain = eip712::PreparedDomain::new(eip712::domain(1, [0xcc; 20].into()));
    let digest = proposal().signing_hash(&domain);
    let signer = Secp256k1Signer::from_bytes(&SECRET).expect("valid scalar");
    let bare_key = SigningKey::from_bytes((&SECRET).into()).expect("valid scalar");
    let signature = signer.sign_digest(&digest).expect("signs");
    let (bare_signature, bare_recovery) = bare_sign(&bare_key, &digest);

    let samples = interleave(
        rounds,
        &mut [
            &mut || {
                micros_per_call(CALLS, || {
                    black_box(signer.sign_digest(black_box(&digest)).ok());
                })
            },
            &mut || {
                micros_per_call(CALLS, || {
                    black_box(bare_sign(&bare_key, black_box(&digest)));
                })
            },
            &mut || {
                micros_per_call(CALLS, || {
                    black_box(signature.recover(black_box(&digest)).ok());
                })
            },
            &mut || {
                micros_per_call(CALLS, || {
                    black_box(
                        VerifyingKey::recover_from_prehash(
                            black_box(digest.as_slice()),
                            &bare_signature,
                            bare_recovery,
                        )
                        .ok(),
                    );
                })
            },
        ],
    );
    println!("\nSign and verify, {rounds} interleaved rounds of {CALLS} calls");
    let names = [
        "recal sign",
        "bare k256 sign",
        "recal verify",
        "bare k256 recover",
    ];
    for (name, values) in names.iter().zip(&samples) {
        print_quartiles(name, values, "µs/call");
    }
    print_ratio("recal sign / bare k256 sign", &samples[0], &samples[1]);
    print_ratio("recal verify / bare k256 recover", &samples[2], &samples[3]);
}

fn main() {
    // One thread does all the work; keep it on one core so migrations do not add noise.
    pin(0);
    let mut criterion = Criterion::default().configure_from_args();
    bench_emit(&mut criterion);
    criterion.final_summary();
    if is_bench_run() {
        interleaved_report(rounds(21));
    }
}
