//! The emitter end to end: its proposals pass the verifier, and replays are byte-identical.

use alloy_primitives::Address;
use recal_emit::{
    EmitError, Emitter, EmitterConfig, Guardrail, Guardrails, Outcome, Secp256k1Signer, Verifier,
    eip712,
};
use recal_types::{MarketId, Nonce, ParameterId, ParameterSet, Timestamp, TriggerCause};

const MARKET: MarketId = MarketId(3);
const T0: u64 = 1_700_000_000;
const CONFIG: EmitterConfig = EmitterConfig {
    time_lock: 3_600,
    validity: 600,
};

fn domain() -> eip712::Eip712Domain {
    eip712::domain(8453, Address::repeat_byte(0x77))
}

fn emitter() -> Emitter<Secp256k1Signer> {
    Emitter::new(
        Secp256k1Signer::from_bytes(&[5; 32]).unwrap(),
        domain(),
        CONFIG,
    )
}

fn at(seconds: u64) -> Timestamp {
    Timestamp::from_unix_seconds(seconds).unwrap()
}

fn current() -> ParameterSet {
    ParameterSet {
        initial_margin_ppm: 100_000,
        maintenance_margin_ppm: 50_000,
        max_leverage_centi: 1_000,
        ..ParameterSet::default()
    }
}

fn with_margin(initial_margin_ppm: u32) -> ParameterSet {
    ParameterSet {
        initial_margin_ppm,
        ..current()
    }
}

#[test]
fn emitted_proposals_pass_the_verifier() {
    let mut emitter = emitter();
    let keeper = Secp256k1Signer::from_bytes(&[5; 32]).unwrap().address();
    let rail = Guardrail::new(0, 10_000_000, 250_000, 1_000).unwrap();
    let mut verifier = Verifier::new(domain(), [keeper], Address::repeat_byte(0x99));
    verifier.register_market(
        MARKET,
        current(),
        Guardrails::new([rail; ParameterId::COUNT], 60, CONFIG.time_lock),
    );
    emitter.resume_market(MARKET, Nonce(1), current());

    emitter.absorb(b"crash tick");
    let tighten = emitter
        .emit(
            MARKET,
            with_margin(120_000),
            TriggerCause::Deviation,
            at(T0),
        )
        .unwrap();
    assert_eq!(tighten.proposal.valid_after, T0);
    assert_eq!(tighten.proposal.expiry, T0 + CONFIG.validity);
    assert_eq!(verifier.submit(&tighten, T0), Ok(Outcome::Applied));

    emitter.absorb(b"calm tick");
    let loosen = emitter
        .emit(
            MARKET,
            with_margin(110_000),
            TriggerCause::TargetDrift,
            at(T0 + 100),
        )
        .unwrap();
    assert_eq!(loosen.proposal.nonce, Nonce(2));
    assert_eq!(loosen.proposal.valid_after, T0 + 100 + CONFIG.time_lock);
    let Ok(Outcome::Queued { id, executable_at }) = verifier.submit(&loosen, T0 + 100) else {
        panic!("loosening not queued");
    };
    assert_eq!(verifier.execute(id, executable_at), Ok(()));
    assert_eq!(verifier.parameters(MARKET), Some(&with_margin(110_000)));
}

#[test]
fn replaying_the_same_inputs_gives_identical_bytes() {
    let run = || {
        let mut emitter = emitter();
        let mut out = Vec::new();
        for (i, margin) in [100_000u32, 120_000, 90_000, 90_000]
            .into_iter()
            .enumerate()
        {
            emitter.absorb(format!("record {i}").as_bytes());
            let signed = emitter
                .emit(
                    MARKET,
                    with_margin(margin),
                    TriggerCause::TargetDrift,
                    at(T0 + 60 * i as u64),
                )
                .unwrap();
            out.push((signed.proposal, signed.signature.to_bytes()));
        }
        out
    };
    let first = run();
    assert_eq!(first, run());
    // Nonces count up; the first proposal (unknown market state) and the loosening one wait.
    let nonces: Vec<u64> = first.iter().map(|(p, _)| p.nonce.0).collect();
    assert_eq!(nonces, [1, 2, 3, 4]);
    let delays: Vec<u64> = first
        .iter()
        .enumerate()
        .map(|(i, (p, _))| p.valid_after - (T0 + 60 * i as u64))
        .collect();
    assert_eq!(delays, [CONFIG.time_lock, 0, CONFIG.time_lock, 0]);
}

#[test]
fn exhausted_nonces_and_overflowing_times_are_errors() {
    let mut emitter = emitter();
    emitter.resume_market(MARKET, Nonce(u64::MAX), current());
    assert!(matches!(
        emitter.emit(MARKET, current(), TriggerCause::Heartbeat, at(T0)),
        Err(EmitError::NonceExhausted(MARKET))
    ));
    let mut late = Emitter::new(
        Secp256k1Signer::from_bytes(&[5; 32]).unwrap(),
        domain(),
        EmitterConfig {
            time_lock: u64::MAX,
            validity: 1,
        },
    );
    assert!(matches!(
        late.emit(MARKET, current(), TriggerCause::Heartbeat, at(T0)),
        Err(EmitError::TimeOverflow)
    ));
    // The nonce before the limit is still usable; nothing after it is.
    emitter.resume_market(MARKET, Nonce(u64::MAX - 1), current());
    let signed = emitter
        .emit(MARKET, current(), TriggerCause::Heartbeat, at(T0))
        .unwrap();
    assert_eq!(signed.proposal.nonce, Nonce(u64::MAX - 1));
    assert!(matches!(
        emitter.emit(MARKET, current(), TriggerCause::Heartbeat, at(T0)),
        Err(EmitError::NonceExhausted(MARKET))
    ));
}
