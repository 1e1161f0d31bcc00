//! Stage 4 and 5 costs: trigger evaluation per snapshot, EIP-712 hashing of a proposal,
//! signing and verifying (ecrecover), against the bare k256 calls on the same digest and key,
//! in the same run.
//!
//! Trigger evaluation runs `TriggerStage::update` over two tapes of 2,048 snapshots one second
//! apart: a calm one (small wobbles, nothing fires; a few proposals walk the parameters from
//! the pipeline's starting set to the calm targets, then only the heartbeat would emit) and a
//! crash (deviation, fund-low and vol-of-vol triggers fire, targets jump, proposals are
//! decided). The proposal counts are printed with the figures. The figure is ns per snapshot: targets, triggers, fixed-point damping, guardrail
//! clamps and the emission decision, everything stage 4 does.
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

use criterion::{BatchSize, Criterion, Throughput};
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use recal_emit::{B256, EmitterConfig, InputsDigest, Proposal, Secp256k1Signer, Signer, eip712};
use recal_pipeline::{default_guardrails, default_start};
use recal_trigger::{FeedStatus, RiskInputs, TriggerConfig, TriggerStage};
use recal_types::{MarketId, Nonce, ParameterSet, Timestamp, TriggerCause};
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

/// Snapshots per trigger tape.
const TAPE_LEN: usize = 2_048;

/// A fresh stage for market 7 with the pipeline's default start and guardrails, the demo
/// timing (30-minute time-lock, 10-minute validity) and the default trigger config.
fn trigger_stage() -> TriggerStage {
    TriggerStage::new(
        MarketId(7),
        default_start(),
        default_guardrails(),
        EmitterConfig {
            time_lock: 1_800,
            validity: 600,
        },
        TriggerConfig::default(),
    )
    .expect("the default configuration is valid")
}

/// A calm market snapshot at second `i` of the tape, with a deterministic wobble.
fn calm_snapshot(i: usize) -> RiskInputs {
    let wobble = ((i * 7_919) % 101) as f64 / 100.0 - 0.5; // in [-0.5, 0.5]
    RiskInputs {
        timestamp: Timestamp::from_unix_seconds(1_760_000_000 + i as u64).expect("in range"),
        realized_vol: 0.45 + 0.02 * wobble,
        vol_of_vol: 0.4 + 0.02 * wobble,
        vol_of_vol_acceleration: 0.01 * wobble,
        tail_dof: 6.0,
        risk_reversal_25d: -0.02,
        atm_vol: 0.5,
        max_price_deviation: 0.002 + 0.001 * wobble,
        debt_to_equity: 0.8,
        book_depth: 2e7,
        open_interest_long: 5e7,
        open_interest_short: 5e7,
        insurance_fund: 1e7,
        total_collateral: 1e8,
        feed: FeedStatus::Fresh,
    }
}

/// A crash snapshot at second `i`: volatility, deviation and skew rise along the tape while
/// the insurance fund drains below 5 % of collateral.
fn crash_snapshot(i: usize) -> RiskInputs {
    let progress = i as f64 / TAPE_LEN as f64;
    RiskInputs {
        realized_vol: 0.5 + 1.5 * progress,
        vol_of_vol: 0.4 + 1.2 * progress,
        vol_of_vol_acceleration: 2.0 * (1.0 - progress),
        tail_dof: 6.0 - 3.0 * progress,
        risk_reversal_25d: -0.02 - 0.25 * progress,
        atm_vol: 0.5 + 0.6 * progress,
        max_price_deviation: 0.002 + 0.08 * progress,
        debt_to_equity: 0.8 + 2.0 * progress,
        book_depth: 2e7 * (1.0 - 0.85 * progress),
        open_interest_long: 5e7 + 4e7 * progress,
        open_interest_short: 5e7 - 2e7 * progress,
        insurance_fund: 1e7 * (1.0 - 0.7 * progress),
        ..calm_snapshot(i)
    }
}

fn tape(snapshot: fn(usize) -> RiskInputs) -> Vec<RiskInputs> {
    (0..TAPE_LEN).map(snapshot).collect()
}

/// Runs `tape` through `stage`, returning the number of proposals decided.
fn evaluate(stage: &mut TriggerStage, tape: &[RiskInputs]) -> usize {
    tape.iter()
        .filter(|inputs| {
            stage
                .update(black_box(inputs))
                .expect("valid snapshots")
                .emit
                .is_some()
        })
        .count()
}

fn bench_trigger(c: &mut Criterion) {
    let mut group = c.benchmark_group("trigger");
    group.throughput(Throughput::Elements(TAPE_LEN as u64));
    for (name, snapshot) in [
        ("calm tape", calm_snapshot as fn(usize) -> RiskInputs),
        ("crash tape", crash_snapshot),
    ] {
        let tape = tape(snapshot);
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                trigger_stage,
                |stage| evaluate(stage, &tape),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
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

/// Nanoseconds per snapshot of stage 4 over `tape`, from a fresh stage.
fn trigger_nanos_per_update(tape: &[RiskInputs]) -> f64 {
    let mut stage = trigger_stage();
    let start = Instant::now();
    black_box(evaluate(&mut stage, tape));
    start.elapsed().as_secs_f64() * 1e9 / tape.len() as f64
}

fn interleaved_report(rounds: usize) {
    const CALLS: u32 = 500;
    let calm = tape(calm_snapshot);
    let crash = tape(crash_snapshot);
    let emitted = [&calm, &crash].map(|tape| evaluate(&mut trigger_stage(), tape));
    let trigger = interleave(
        rounds,
        &mut [&mut || trigger_nanos_per_update(&calm), &mut || {
            trigger_nanos_per_update(&crash)
        }],
    );
    println!("\nTrigger evaluation, {rounds} interleaved rounds of {TAPE_LEN} snapshots");
    print_quartiles(
        &format!("calm tape ({} proposals)", emitted[0]),
        &trigger[0],
        "ns/update",
    );
    print_quartiles(
        &format!("crash tape ({} proposals)", emitted[1]),
        &trigger[1],
        "ns/update",
    );

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
    bench_trigger(&mut criterion);
    bench_emit(&mut criterion);
    criterion.final_summary();
    if is_bench_run() {
        interleaved_report(rounds(21));
    }
}
