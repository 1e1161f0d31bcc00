//! The verifier model: scenarios for each rule and property tests against an independent oracle.

use std::sync::LazyLock;

use alloy_primitives::{Address, B256, U256};
use proptest::prelude::*;
use recal_emit::{
    EthSignature, Guardrail, Guardrails, Outcome, Proposal, Rejection, Secp256k1Signer,
    SignedProposal, Verifier, eip712,
};
use recal_types::{MarketId, Nonce, ParameterId, ParameterSet, SafeDirection, TriggerCause};

const CHAIN: u64 = 1;
const MARKET: MarketId = MarketId(7);
const OTHER_MARKET: MarketId = MarketId(8);
const T0: u64 = 1_700_000_000;
const MIN_INTERVAL: u64 = 60;
const TIME_LOCK: u64 = 3_600;
const GUARDIAN: Address = Address::repeat_byte(0x99);

static KEEPERS: LazyLock<[Secp256k1Signer; 3]> =
    LazyLock::new(|| [1u8, 2, 3].map(|k| Secp256k1Signer::from_bytes(&[k; 32]).unwrap()));
static OUTSIDER: LazyLock<Secp256k1Signer> =
    LazyLock::new(|| Secp256k1Signer::from_bytes(&[4; 32]).unwrap());

fn contract() -> Address {
    Address::repeat_byte(0x5e)
}

fn domain() -> eip712::Eip712Domain {
    eip712::domain(CHAIN, contract())
}

fn base() -> ParameterSet {
    ParameterSet {
        initial_margin_ppm: 100_000,
        maintenance_margin_ppm: 50_000,
        liquidation_addon_ppm: [0, 5_000, 20_000, 60_000],
        liquidation_penalty_ppm: 25_000,
        auction_slippage_penalty_ppm: 10_000,
        insurance_fund_rate_ppm: 200_000,
        funding_shift_ppm: 40,
        max_leverage_centi: 1_000,
        open_interest_cap: 1_000_000_000_000_000_000_000_000,
    }
}

/// (min, max, relative step ppm, absolute step) per parameter, in `ParameterId::ALL` order.
/// Some bounds sit within one step of `base()` so that in-step moves can still break them.
const RAILS: [(i128, i128, u32, u128); ParameterId::COUNT] = [
    (90_000, 500_000, 250_000, 1_000),
    (10_000, 400_000, 250_000, 1_000),
    (0, 200_000, 500_000, 2_000),
    (0, 200_000, 500_000, 2_000),
    (0, 200_000, 500_000, 2_000),
    (0, 70_000, 500_000, 2_000),
    (5_000, 100_000, 250_000, 1_000),
    (0, 100_000, 500_000, 1_000),
    (0, 500_000, 250_000, 5_000),
    (-1_000, 1_000, 0, 50),
    (100, 1_100, 250_000, 0),
    (0, 1_200_000_000_000_000_000_000_000, 500_000, 0),
];

fn guardrails() -> Guardrails {
    let rails = RAILS.map(|(min, max, ppm, abs)| Guardrail::new(min, max, ppm, abs).unwrap());
    Guardrails::new(rails, MIN_INTERVAL, TIME_LOCK)
}

fn verifier() -> Verifier {
    verifier_at(domain())
}

fn verifier_at(domain: eip712::Eip712Domain) -> Verifier {
    let mut verifier = Verifier::new(domain, KEEPERS.iter().map(|k| k.address()), GUARDIAN);
    verifier.register_market(MARKET, base(), guardrails());
    verifier.register_market(OTHER_MARKET, base(), guardrails());
    verifier
}

fn proposal(nonce: u64, parameters: ParameterSet) -> Proposal {
    Proposal {
        market: MARKET,
        nonce: Nonce(nonce),
        valid_after: T0,
        expiry: T0 + 2 * TIME_LOCK,
        parameters,
        cause: TriggerCause::Deviation,
        inputs_digest: B256::repeat_byte(0x42),
    }
}

fn sign(proposal: &Proposal, signer: &Secp256k1Signer) -> SignedProposal<EthSignature> {
    proposal.sign(&domain(), signer).unwrap()
}

fn tighter() -> ParameterSet {
    ParameterSet {
        initial_margin_ppm: 120_000,
        ..base()
    }
}

fn looser() -> ParameterSet {
    ParameterSet {
        initial_margin_ppm: 90_000,
        ..base()
    }
}

/// Everything observable about a market: parameters, last nonce, pending proposal, paused.
type Snapshot = (
    Option<ParameterSet>,
    Option<Nonce>,
    Option<recal_emit::PendingProposal>,
    bool,
);

/// Snapshot of [`MARKET`], to check that rejections change nothing.
fn snapshot(verifier: &Verifier) -> Snapshot {
    (
        verifier.parameters(MARKET).copied(),
        verifier.last_nonce(MARKET),
        verifier.pending(MARKET).copied(),
        verifier.is_paused(),
    )
}

#[test]
fn tightening_applies_at_once() {
    let mut verifier = verifier();
    let signed = sign(&proposal(1, tighter()), &KEEPERS[0]);
    assert_eq!(verifier.submit(&signed, T0 - 500), Ok(Outcome::Applied));
    assert_eq!(verifier.parameters(MARKET), Some(&tighter()));
    assert_eq!(verifier.last_nonce(MARKET), Some(Nonce(1)));
    assert_eq!(verifier.parameters(OTHER_MARKET), Some(&base()));
}

#[test]
fn loosening_waits_for_the_time_lock() {
    let mut verifier = verifier();
    let mut loosening = proposal(1, looser());
    loosening.valid_after = T0 + 2 * TIME_LOCK;
    loosening.expiry = T0 + 3 * TIME_LOCK;
    let id = loosening.signing_hash(&domain());
    let queued = verifier.submit(&sign(&loosening, &KEEPERS[1]), T0);
    // validAfter is later than submission + minimum time-lock, so it decides.
    let executable_at = T0 + 2 * TIME_LOCK;
    assert_eq!(queued, Ok(Outcome::Queued { id, executable_at }));
    assert_eq!(verifier.parameters(MARKET), Some(&base()));
    assert_eq!(
        verifier.execute(id, executable_at - 1),
        Err(Rejection::TimeLocked {
            until: executable_at
        })
    );
    assert_eq!(verifier.execute(id, executable_at), Ok(()));
    assert_eq!(verifier.parameters(MARKET), Some(&looser()));
    assert_eq!(verifier.pending(MARKET), None);
    assert_eq!(
        verifier.execute(id, executable_at),
        Err(Rejection::UnknownProposal(id))
    );
}

#[test]
fn minimum_time_lock_overrides_an_early_valid_after() {
    let mut verifier = verifier();
    let loosening = proposal(1, looser());
    let outcome = verifier.submit(&sign(&loosening, &KEEPERS[0]), T0 + 10);
    assert_eq!(
        outcome,
        Ok(Outcome::Queued {
            id: loosening.signing_hash(&domain()),
            executable_at: T0 + 10 + TIME_LOCK
        })
    );
}

#[test]
fn first_keeper_wins_a_nonce() {
    let mut verifier = verifier();
    let first = sign(&proposal(5, tighter()), &KEEPERS[0]);
    let rival = sign(
        &proposal(
            5,
            ParameterSet {
                maintenance_margin_ppm: 60_000,
                ..base()
            },
        ),
        &KEEPERS[1],
    );
    assert_eq!(verifier.submit(&first, T0), Ok(Outcome::Applied));
    let before = snapshot(&verifier);
    assert_eq!(
        verifier.submit(&rival, T0 + MIN_INTERVAL),
        Err(Rejection::NonceReused(Nonce(5)))
    );
    let stale = sign(&proposal(3, tighter()), &KEEPERS[2]);
    assert_eq!(
        verifier.submit(&stale, T0 + MIN_INTERVAL),
        Err(Rejection::NonceNotIncreasing {
            nonce: Nonce(3),
            last: Nonce(5)
        })
    );
    assert_eq!(snapshot(&verifier), before);
    // Gaps are allowed: any larger nonce is fine.
    let next = sign(&proposal(9, tighter()), &KEEPERS[2]);
    assert_eq!(
        verifier.submit(&next, T0 + MIN_INTERVAL),
        Ok(Outcome::Applied)
    );
}

#[test]
fn unauthorised_signer_is_refused() {
    let mut verifier = verifier();
    let signed = sign(&proposal(1, tighter()), &OUTSIDER);
    assert_eq!(
        verifier.submit(&signed, T0),
        Err(Rejection::UnauthorisedSigner(OUTSIDER.address()))
    );
}

#[test]
fn replay_on_another_chain_or_contract_is_refused() {
    let p = proposal(1, tighter());
    for (chain, address) in [(10, contract()), (CHAIN, Address::repeat_byte(0x5f))] {
        let foreign = p
            .sign(&eip712::domain(chain, address), &KEEPERS[0])
            .unwrap();
        let mut verifier = verifier();
        assert!(matches!(
            verifier.submit(&foreign, T0),
            Err(Rejection::UnauthorisedSigner(a)) if a != KEEPERS[0].address()
        ));
        // Also: a proposal valid on our chain is refused by a deployment elsewhere.
        let mut elsewhere = verifier_at(eip712::domain(chain, address));
        assert!(matches!(
            elsewhere.submit(&sign(&p, &KEEPERS[0]), T0),
            Err(Rejection::UnauthorisedSigner(_))
        ));
    }
}

#[test]
fn expiry_rules() {
    let mut verifier = verifier();
    let mut p = proposal(1, tighter());
    p.expiry = T0 + 100;
    let signed = sign(&p, &KEEPERS[0]);
    assert_eq!(
        verifier.submit(&signed, T0 + 101),
        Err(Rejection::Expired {
            expiry: T0 + 100,
            now: T0 + 101
        })
    );
    p.expiry = p.valid_after;
    assert_eq!(
        verifier.submit(&sign(&p, &KEEPERS[0]), T0),
        Err(Rejection::ExpiresBeforeValid {
            valid_after: T0,
            expiry: T0
        })
    );
    // A queued proposal that expires before execution is refused at execution.
    let mut loosening = proposal(2, looser());
    loosening.expiry = T0 + TIME_LOCK + 10;
    let Ok(Outcome::Queued { id, .. }) = verifier.submit(&sign(&loosening, &KEEPERS[0]), T0) else {
        panic!("not queued");
    };
    assert_eq!(
        verifier.execute(id, T0 + TIME_LOCK + 11),
        Err(Rejection::Expired {
            expiry: T0 + TIME_LOCK + 10,
            now: T0 + TIME_LOCK + 11
        })
    );
}

#[test]
fn updates_respect_the_minimum_interval() {
    let mut verifier = verifier();
    assert_eq!(
        verifier.submit(&sign(&proposal(1, tighter()), &KEEPERS[0]), T0),
        Ok(Outcome::Applied)
    );
    let tighter_still = ParameterSet {
        initial_margin_ppm: 130_000,
        ..base()
    };
    let signed = sign(&proposal(2, tighter_still), &KEEPERS[0]);
    assert_eq!(
        verifier.submit(&signed, T0 + MIN_INTERVAL - 1),
        Err(Rejection::TooSoon {
            earliest: T0 + MIN_INTERVAL
        })
    );
    assert_eq!(
        verifier.submit(&signed, T0 + MIN_INTERVAL),
        Ok(Outcome::Applied)
    );
}

#[test]
fn guardian_vetoes_a_pending_proposal() {
    let mut verifier = verifier();
    let loosening = proposal(1, looser());
    let Ok(Outcome::Queued { id, executable_at }) =
        verifier.submit(&sign(&loosening, &KEEPERS[0]), T0)
    else {
        panic!("not queued");
    };
    let intruder = KEEPERS[0].address();
    assert_eq!(
        verifier.veto(intruder, id),
        Err(Rejection::NotGuardian(intruder))
    );
    assert_eq!(
        verifier.veto(GUARDIAN, B256::ZERO),
        Err(Rejection::UnknownProposal(B256::ZERO))
    );
    assert_eq!(verifier.veto(GUARDIAN, id), Ok(()));
    assert_eq!(
        verifier.execute(id, executable_at),
        Err(Rejection::UnknownProposal(id))
    );
    assert_eq!(verifier.parameters(MARKET), Some(&base()));
}

#[test]
fn a_newer_update_supersedes_the_pending_one() {
    let mut verifier = verifier();
    let Ok(Outcome::Queued { id, executable_at }) =
        verifier.submit(&sign(&proposal(1, looser()), &KEEPERS[0]), T0)
    else {
        panic!("not queued");
    };
    assert_eq!(
        verifier.submit(&sign(&proposal(2, tighter()), &KEEPERS[1]), T0 + 1),
        Ok(Outcome::Applied)
    );
    assert_eq!(verifier.pending(MARKET), None);
    assert_eq!(
        verifier.execute(id, executable_at),
        Err(Rejection::UnknownProposal(id))
    );
}

#[test]
fn pause_stops_submission_and_execution() {
    let mut verifier = verifier();
    let Ok(Outcome::Queued { id, executable_at }) =
        verifier.submit(&sign(&proposal(1, looser()), &KEEPERS[0]), T0)
    else {
        panic!("not queued");
    };
    let keeper = KEEPERS[1].address();
    assert_eq!(
        verifier.set_paused(keeper, true),
        Err(Rejection::NotGuardian(keeper))
    );
    assert_eq!(verifier.set_paused(GUARDIAN, true), Ok(()));
    let signed = sign(&proposal(2, tighter()), &KEEPERS[0]);
    assert_eq!(verifier.submit(&signed, T0 + 1), Err(Rejection::Paused));
    assert_eq!(verifier.execute(id, executable_at), Err(Rejection::Paused));
    assert_eq!(verifier.set_paused(GUARDIAN, false), Ok(()));
    assert_eq!(verifier.execute(id, executable_at), Ok(()));
}

#[test]
fn malleable_or_malformed_signatures_are_refused() {
    let mut verifier = verifier();
    let signed = sign(&proposal(1, tighter()), &KEEPERS[0]);
    let order = U256::from_be_slice(&[
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ]);
    let mut high_s = signed;
    high_s.signature.s = B256::from(order - U256::from_be_bytes(signed.signature.s.0));
    high_s.signature.v = 55 - signed.signature.v; // 27 <-> 28: the mirrored signature
    assert_eq!(verifier.submit(&high_s, T0), Err(Rejection::HighS));
    let mut bad_v = signed;
    bad_v.signature.v = 29;
    assert_eq!(verifier.submit(&bad_v, T0), Err(Rejection::InvalidV(29)));
    let mut zero_r = signed;
    zero_r.signature.r = B256::ZERO;
    assert_eq!(
        verifier.submit(&zero_r, T0),
        Err(Rejection::InvalidSignature)
    );
    assert_eq!(verifier.submit(&signed, T0), Ok(Outcome::Applied));
}

#[test]
fn guardrail_violations_are_refused() {
    let mut verifier = verifier();
    let cases = [
        (
            ParameterSet {
                max_leverage_centi: 1_200,
                ..base()
            },
            Rejection::OutOfBounds {
                parameter: ParameterId::MaxLeverage,
                value: 1_200,
                min: 100,
                max: 1_100,
            },
        ),
        (
            ParameterSet {
                initial_margin_ppm: 130_000,
                ..base()
            },
            Rejection::StepTooLarge {
                parameter: ParameterId::InitialMargin,
                from: 100_000,
                to: 130_000,
                max_step: 25_000,
            },
        ),
        (
            ParameterSet {
                funding_shift_ppm: -20,
                ..base()
            },
            Rejection::StepTooLarge {
                parameter: ParameterId::FundingShift,
                from: 40,
                to: -20,
                max_step: 50,
            },
        ),
        (
            ParameterSet {
                maintenance_margin_ppm: 110_000,
                initial_margin_ppm: 105_000,
                ..base()
            },
            Rejection::StepTooLarge {
                parameter: ParameterId::MaintenanceMargin,
                from: 50_000,
                to: 110_000,
                max_step: 12_500,
            },
        ),
    ];
    for (parameters, expected) in cases {
        let signed = sign(&proposal(1, parameters), &KEEPERS[0]);
        assert_eq!(verifier.submit(&signed, T0), Err(expected));
    }
    // Margin order, with a market whose rails allow the jump.
    let wide = Guardrail::new(
        0,
        1_000_000_000_000_000_000_000_000_000,
        1_000_000,
        1_000_000,
    )
    .unwrap();
    verifier.register_market(
        MARKET,
        base(),
        Guardrails::new([wide; ParameterId::COUNT], 0, 0),
    );
    let inverted = ParameterSet {
        maintenance_margin_ppm: 110_000,
        ..base()
    };
    assert_eq!(
        verifier.submit(&sign(&proposal(1, inverted), &KEEPERS[0]), T0),
        Err(Rejection::MaintenanceAboveInitial {
            initial: 100_000,
            maintenance: 110_000
        })
    );
    let mut unknown = proposal(1, tighter());
    unknown.market = MarketId(99);
    assert_eq!(
        verifier.submit(&sign(&unknown, &KEEPERS[0]), T0),
        Err(Rejection::UnknownMarket(MarketId(99)))
    );
}

// ---------------------------------------------------------------------------------------------
// Property tests.

/// Independent oracle for "loosens": written per field rather than through `SafeDirection`.
fn oracle_loosens(old: &ParameterSet, new: &ParameterSet) -> bool {
    let up_is_safe = [
        (old.initial_margin_ppm, new.initial_margin_ppm),
        (old.maintenance_margin_ppm, new.maintenance_margin_ppm),
        (old.liquidation_addon_ppm[0], new.liquidation_addon_ppm[0]),
        (old.liquidation_addon_ppm[1], new.liquidation_addon_ppm[1]),
        (old.liquidation_addon_ppm[2], new.liquidation_addon_ppm[2]),
        (old.liquidation_addon_ppm[3], new.liquidation_addon_ppm[3]),
        (old.liquidation_penalty_ppm, new.liquidation_penalty_ppm),
        (
            old.auction_slippage_penalty_ppm,
            new.auction_slippage_penalty_ppm,
        ),
        (old.insurance_fund_rate_ppm, new.insurance_fund_rate_ppm),
    ]
    .iter()
    .any(|(o, n)| n < o);
    let funding = {
        let (o, n) = (
            i64::from(old.funding_shift_ppm),
            i64::from(new.funding_shift_ppm),
        );
        n * o < 0 || n.abs() < o.abs()
    };
    up_is_safe
        || funding
        || new.max_leverage_centi > old.max_leverage_centi
        || new.open_interest_cap > old.open_interest_cap
}

/// Independent oracle for the guardrails: cross-multiplied step rule, plain comparisons.
fn oracle_in_guardrails(old: &ParameterSet, new: &ParameterSet) -> bool {
    let within = ParameterId::ALL
        .iter()
        .zip(RAILS)
        .all(|(&p, (min, max, ppm, abs))| {
            let (o, n) = (old.get(p), new.get(p));
            let diff = (n - o).abs();
            min <= n
                && n <= max
                && (diff <= abs as i128 || diff * 1_000_000 <= o.abs() * i128::from(ppm))
        });
    within && new.maintenance_margin_ppm <= new.initial_margin_ppm
}

/// A move of each parameter in percent of its allowed step at `base()`, positive in its safe
/// direction: half the time tightening only (mostly within the step), otherwise anything.
fn step_factors() -> impl Strategy<Value = [i64; ParameterId::COUNT]> {
    let tightening = prop_oneof![Just(0i64), 0i64..=100];
    let any_move = prop_oneof![3 => Just(0i64), 6 => -100i64..=100, 1 => -300i64..=300];
    prop_oneof![
        proptest::array::uniform12(tightening),
        proptest::array::uniform12(any_move),
    ]
}

fn moved(factors: &[i64; ParameterId::COUNT]) -> ParameterSet {
    let rails = guardrails();
    let current = base();
    ParameterId::ALL
        .iter()
        .zip(factors)
        .fold(current, |set, (&p, &f)| {
            let value = current.get(p);
            let safe_sign = match p.safe_direction() {
                SafeDirection::Increase => 1,
                SafeDirection::Decrease => -1,
                SafeDirection::AwayFromZero => value.signum(),
            };
            let step = i128::try_from(rails.guardrail(p).max_step(value)).unwrap();
            let target = value + safe_sign * step * i128::from(f) / 100;
            set.with(p, target).or_else(|_| set.with(p, 0)).unwrap()
        })
}

#[derive(Debug, Clone)]
struct Case {
    factors: [i64; ParameterId::COUNT],
    signer: usize,
    nonce: u64,
    last_update_gap: u64,
    valid_after_offset: u64,
    expiry_offset: i64,
    now_offset: u64,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        step_factors(),
        prop_oneof![4 => 0usize..3, 1 => Just(3usize)],
        prop_oneof![4 => 11u64..15, 1 => 8u64..=10],
        prop_oneof![Just(30u64), Just(1_000u64)],
        0u64..100,
        -10i64..400,
        0u64..300,
    )
        .prop_map(
            |(
                factors,
                signer,
                nonce,
                last_update_gap,
                valid_after_offset,
                expiry_offset,
                now_offset,
            )| Case {
                factors,
                signer,
                nonce,
                last_update_gap,
                valid_after_offset,
                expiry_offset,
                now_offset,
            },
        )
}

fn signer_of(index: usize) -> &'static Secp256k1Signer {
    KEEPERS.get(index).unwrap_or(&OUTSIDER)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The verifier accepts exactly the in-bounds, correctly signed, correctly sequenced
    /// proposals, and classifies them as applied or queued exactly as the oracle does.
    #[test]
    fn accepts_exactly_the_valid_proposals(case in cases()) {
        let mut verifier = verifier();
        // Establish nonce 10 and a last update `last_update_gap` seconds before T0.
        let mut setup = proposal(10, base());
        setup.valid_after = 0;
        prop_assert_eq!(verifier.submit(&sign(&setup, &KEEPERS[0]), T0 - case.last_update_gap), Ok(Outcome::Applied));

        let parameters = moved(&case.factors);
        let valid_after = T0 + case.valid_after_offset;
        let expiry = valid_after.checked_add_signed(case.expiry_offset).unwrap();
        let now = T0 + case.now_offset;
        let candidate = Proposal { nonce: Nonce(case.nonce), valid_after, expiry, parameters, ..proposal(0, base()) };
        let signed = sign(&candidate, signer_of(case.signer));

        let acceptable = case.signer < 3
            && case.nonce > 10
            && expiry > valid_after
            && now <= expiry
            && oracle_in_guardrails(&base(), &parameters);
        let expected = if !acceptable {
            None
        } else if oracle_loosens(&base(), &parameters) {
            Some(Outcome::Queued { id: candidate.signing_hash(&domain()), executable_at: valid_after.max(now + TIME_LOCK) })
        } else if now < T0 - case.last_update_gap + MIN_INTERVAL {
            None
        } else {
            Some(Outcome::Applied)
        };

        let before = snapshot(&verifier);
        let outcome = verifier.submit(&signed, now);
        prop_assert_eq!(outcome.as_ref().ok().copied(), expected, "{:?}", outcome);
        match outcome {
            Err(_) => prop_assert_eq!(snapshot(&verifier), before),
            Ok(Outcome::Applied) => prop_assert_eq!(verifier.parameters(MARKET), Some(&parameters)),
            Ok(Outcome::Queued { .. }) => prop_assert_eq!(verifier.parameters(MARKET), Some(&base())),
        }
    }

    /// Changing any signed field, or any bit of the signature, after signing is refused and
    /// leaves the verifier unchanged; the untouched proposal is then accepted.
    #[test]
    fn tampering_is_refused(field in 0usize..(ParameterId::COUNT + 9), bit in 0usize..256, delta in 1i128..500) {
        let mut verifier = verifier();
        let original = sign(&proposal(1, tighter()), &KEEPERS[0]);
        let mut tampered = original;
        let p = &mut tampered.proposal;
        match field {
            0 => p.market = OTHER_MARKET,
            1 => p.nonce = Nonce(p.nonce.0 + 1 + delta.unsigned_abs() as u64),
            2 => p.valid_after -= 1,
            3 => p.expiry += 1,
            4 => p.cause = TriggerCause::FundLow,
            5 => p.inputs_digest.0[bit / 8] ^= 1 << (bit % 8),
            6 => tampered.signature.r.0[bit / 8] ^= 1 << (bit % 8),
            7 => tampered.signature.s.0[bit / 8] ^= 1 << (bit % 8),
            8 => tampered.signature.v ^= 1 << (bit % 8),
            _ => {
                let id = ParameterId::ALL[field - 9];
                let value = p.parameters.get(id);
                p.parameters = p.parameters.with(id, value + delta).or_else(|_| p.parameters.with(id, value - delta)).unwrap();
            }
        }
        let before = snapshot(&verifier);
        prop_assert!(verifier.submit(&tampered, T0).is_err());
        prop_assert_eq!(snapshot(&verifier), before);
        prop_assert_eq!(verifier.submit(&original, T0), Ok(Outcome::Applied));
    }

    /// Same key and proposal give the same signature bytes, from independently built signers;
    /// the signature verifies with k256's verifier and recovers the signer's address.
    #[test]
    fn signing_is_deterministic_and_verifiable(key in any::<[u8; 32]>(), factors in step_factors(), nonce in any::<u64>(), chain in any::<u64>()) {
        let Ok(first) = Secp256k1Signer::from_bytes(&key) else { return Ok(()) };
        let second = Secp256k1Signer::from_bytes(&key).unwrap();
        let domain = eip712::domain(chain, contract());
        let p = Proposal { nonce: Nonce(nonce), parameters: moved(&factors), ..proposal(0, base()) };
        let a = p.sign(&domain, &first).unwrap().signature;
        let b = p.sign(&domain, &second).unwrap().signature;
        prop_assert_eq!(a.to_bytes(), b.to_bytes());

        let hash = p.signing_hash(&domain);
        let signing_key = k256::ecdsa::SigningKey::from_bytes(&key.into()).unwrap();
        let signature = k256::ecdsa::Signature::from_scalars(a.r.0, a.s.0).unwrap();
        prop_assert!(signature.normalize_s().is_none(), "s must already be low");
        prop_assert!(k256::ecdsa::signature::hazmat::PrehashVerifier::verify_prehash(signing_key.verifying_key(), hash.as_slice(), &signature).is_ok());
        prop_assert_eq!(a.recover(&hash), Ok(first.address()));
    }

    /// A proposal signed for one (chain, contract) is refused by a verifier deployed at any
    /// other, and accepted by its own.
    #[test]
    fn cross_chain_replay_is_refused(chain_a in any::<u64>(), chain_b in any::<u64>(), contract_a in any::<[u8; 20]>(), contract_b in any::<[u8; 20]>()) {
        prop_assume!((chain_a, contract_a) != (chain_b, contract_b));
        let p = proposal(1, tighter());
        let signed = p.sign(&eip712::domain(chain_a, contract_a.into()), &KEEPERS[0]).unwrap();
        let mut foreign = verifier_at(eip712::domain(chain_b, contract_b.into()));
        prop_assert!(matches!(foreign.submit(&signed, T0), Err(Rejection::UnauthorisedSigner(_))));
        let mut home = verifier_at(eip712::domain(chain_a, contract_a.into()));
        prop_assert_eq!(home.submit(&signed, T0), Ok(Outcome::Applied));
    }
}
