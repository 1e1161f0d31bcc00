//! A keeper around the stage: the emitter signs each decision, the verifier model checks it.

use recal_emit::{
    Emitter, EmitterConfig, Guardrail, Guardrails, Outcome, Rejection, Secp256k1Signer, Verifier,
    eip712,
};
use recal_trigger::{Decision, RiskInputs, TriggerConfig, TriggerStage};
use recal_types::{MarketId, Nonce, ParameterId, ParameterSet, Timestamp};

pub const MARKET: MarketId = MarketId(7);
pub const MIN_INTERVAL: u64 = 60;
pub const TIME_LOCK: u64 = 3_600;
pub const TIMING: EmitterConfig = EmitterConfig {
    time_lock: TIME_LOCK,
    validity: 600,
};

/// (min, max, relative step ppm, absolute step) per parameter, in `ParameterId::ALL` order.
const RAILS: [(i128, i128, u32, u128); ParameterId::COUNT] = [
    (50_000, 500_000, 250_000, 1_000),
    (20_000, 400_000, 250_000, 1_000),
    (0, 300_000, 500_000, 2_000),
    (0, 300_000, 500_000, 2_000),
    (0, 300_000, 500_000, 2_000),
    (0, 300_000, 500_000, 2_000),
    (5_000, 100_000, 250_000, 1_000),
    (1_000, 150_000, 500_000, 1_000),
    (0, 600_000, 250_000, 5_000),
    (-1_000, 1_000, 0, 100),
    (100, 2_500, 250_000, 10),
    (0, 2_000_000_000_000_000_000_000_000, 500_000, 0),
];

pub fn guardrails() -> Guardrails {
    let rails = RAILS.map(|(min, max, ppm, abs)| Guardrail::new(min, max, ppm, abs).unwrap());
    Guardrails::new(rails, MIN_INTERVAL, TIME_LOCK)
}

pub fn start() -> ParameterSet {
    ParameterSet {
        initial_margin_ppm: 150_000,
        maintenance_margin_ppm: 100_000,
        liquidation_addon_ppm: [0, 5_000, 20_000, 50_000],
        liquidation_penalty_ppm: 25_000,
        auction_slippage_penalty_ppm: 5_000,
        insurance_fund_rate_ppm: 100_000,
        funding_shift_ppm: 0,
        max_leverage_centi: 600,
        open_interest_cap: 1_000_000_000_000_000_000_000_000,
    }
}

/// What happened on chain at one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnChain {
    /// Nothing submitted.
    Idle,
    /// The proposal applied at once.
    Applied,
    /// The proposal was queued until `executable_at`.
    Queued { executable_at: u64 },
}

/// One step of the keeper.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub seconds: u64,
    pub decision: Decision,
    pub on_chain: OnChain,
    /// Parameters in force after the step.
    pub applied: ParameterSet,
}

pub struct Keeper {
    pub stage: TriggerStage,
    emitter: Emitter<Secp256k1Signer>,
    pub verifier: Verifier,
    last: Timestamp,
}

impl Keeper {
    pub fn new(config: TriggerConfig) -> Self {
        let signer = Secp256k1Signer::from_bytes(&[0x42; 32]).unwrap();
        let domain = eip712::domain(1, [0x5e; 20].into());
        let mut verifier = Verifier::new(domain.clone(), [signer.address()], [0x99; 20].into());
        verifier.register_market(MARKET, start(), guardrails());
        let mut emitter = Emitter::new(signer, domain, TIMING);
        emitter.resume_market(MARKET, Nonce(1), start());
        let stage = TriggerStage::new(MARKET, start(), guardrails(), TIMING, config).unwrap();
        Self {
            stage,
            emitter,
            verifier,
            last: Timestamp::default(),
        }
    }

    /// Feeds one snapshot; executes and submits what the stage says, at the event time.
    pub fn step(&mut self, inputs: &RiskInputs) -> Result<Step, Rejection> {
        let decision = self.stage.update(inputs).unwrap();
        self.last = self.last.max(inputs.timestamp);
        let seconds = self.last.as_unix_seconds();
        if decision.execute_pending {
            let id = self
                .verifier
                .pending(MARKET)
                .expect("a pending proposal")
                .id;
            self.verifier.execute(id, seconds)?;
        }
        let mut on_chain = OnChain::Idle;
        if let Some((parameters, cause)) = decision.emit {
            self.emitter.absorb(&seconds.to_be_bytes());
            let signed = self
                .emitter
                .emit(MARKET, parameters, cause, self.last)
                .unwrap();
            on_chain = match self.verifier.submit(&signed, seconds)? {
                Outcome::Applied => OnChain::Applied,
                Outcome::Queued { executable_at, .. } => OnChain::Queued { executable_at },
            };
        }
        let applied = *self.verifier.parameters(MARKET).unwrap();
        assert_eq!(
            &applied,
            self.stage.applied(),
            "stage's model of the chain diverged"
        );
        Ok(Step {
            seconds,
            decision,
            on_chain,
            applied,
        })
    }
}
