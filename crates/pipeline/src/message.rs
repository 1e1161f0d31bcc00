//! The messages that travel between the stages.

use recal_emit::{EthSignature, Outcome, Rejection, SignedProposal};
use recal_estimate::{IvUpdate, SurfaceUpdate};
use recal_trigger::{Decision, FeedStatus};
use recal_types::{Event, InstrumentId, MarketId, ParameterSet, Source, Timestamp};

/// Stage 1 input: one raw message as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct RawMessage<'a> {
    /// Who sent it (decides the decoder).
    pub source: Source,
    /// The bytes, verbatim.
    pub bytes: &'a [u8],
    /// When it was received (latency metrics only).
    pub receive_time: Timestamp,
}

/// Stage 2's view of one underlying after a print (or a change of its feed's health): the
/// pipeline's form of [`recal_estimate::SpotUpdate`], with the trigger stage's feed status.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstimateUpdate {
    /// The price instrument the estimates are about.
    pub instrument: InstrumentId,
    /// Ordinal of the event that produced the update in stage 2's input
    /// ([`recal_estimate::Origin::input`]), for replay comparison.
    pub origin_sequence: u64,
    /// Event time of the event that produced the update.
    pub time: Timestamp,
    /// Receive time of that event (latency metrics only).
    pub receive_time: Timestamp,
    /// Last price that passed the outlier filter.
    pub spot: f64,
    /// Short-horizon EWMA volatility (annualised fraction).
    pub short_vol: f64,
    /// Longest-horizon EWMA volatility (annualised fraction).
    pub long_vol: f64,
    /// Realized volatility over the rolling window (annualised fraction).
    pub realized_vol: f64,
    /// Largest relative move inside the deviation window.
    pub deviation: f64,
    /// Vol-of-vol (annualised fraction).
    pub vol_of_vol: f64,
    /// Acceleration of vol-of-vol, per hour.
    pub vol_of_vol_acceleration: f64,
    /// Student-t degrees of freedom of the return tail.
    pub tail_dof: f64,
    /// Health of the price feed.
    pub feed: FeedStatus,
}

/// Stage 2 output: an estimate update, an implied-volatility change, a smile summary, or an
/// event that stage 2 does not consume (protocol state, book tops, gaps), passed through
/// unchanged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Estimated {
    /// New estimates for one underlying.
    Estimate(EstimateUpdate),
    /// A new mark implied volatility of one option.
    ImpliedVol(IvUpdate),
    /// A new summary (ATM vol, 25-delta risk reversal and butterfly) of one expiry.
    Surface(SurfaceUpdate),
    /// An event for later stages.
    Event(Event),
}

/// Stage 3 output: one market's risk at one event time, the input of trigger evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskSnapshot {
    /// The protocol market.
    pub market: MarketId,
    /// Event time of the snapshot.
    pub time: Timestamp,
    /// Receive time of the message that produced it (latency metrics only).
    pub receive_time: Timestamp,
    /// The latest estimates of the market's underlying.
    pub estimate: EstimateUpdate,
    /// Accounts whose liquidation range the spot breaches (by the liquidation index).
    pub breached_accounts: usize,
    /// Gross notional of all positions at the spot (quote currency).
    pub total_exposure: f64,
    /// Insurance fund over the Expected Shortfall of the protocol's net book; `None` while the
    /// book carries no loss.
    pub solvency_ratio: Option<f64>,
    /// Bad debt: collateral balances reported below zero, summed (quote currency).
    pub bad_debt: f64,
    /// Insurance-fund balance (quote currency).
    pub insurance_fund: f64,
    /// Total collateral (quote currency).
    pub total_collateral: f64,
    /// Long open interest (quote notional).
    pub open_interest_long: f64,
    /// Short open interest (quote notional).
    pub open_interest_short: f64,
    /// Book depth, both sides (quote notional).
    pub book_depth: f64,
}

/// Stage 4 output: what trigger evaluation decided for one market.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarketDecision {
    /// The market.
    pub market: MarketId,
    /// Event time of the snapshot it was computed from.
    pub time: Timestamp,
    /// Receive time of the message behind it (latency metrics only).
    pub receive_time: Timestamp,
    /// The decision.
    pub decision: Decision,
}

/// Stage 5 output: what the keeper must do on chain for one decision.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The market.
    pub market: MarketId,
    /// Event time of the decision.
    pub time: Timestamp,
    /// Receive time of the message behind it (latency metrics only).
    pub receive_time: Timestamp,
    /// Execute the market's pending (time-locked) proposal first.
    pub execute_pending: bool,
    /// The signed proposal to submit, if the decision emits one.
    pub proposal: Option<SignedProposal<EthSignature>>,
}

/// A signed proposal and what the verifier model did with it.
#[derive(Debug, Clone)]
pub struct ProposalRecord {
    /// The signed proposal, as it would be sent on chain.
    pub signed: SignedProposal<EthSignature>,
    /// The verifier's answer at the proposal's event time.
    pub outcome: Result<Outcome, Rejection>,
    /// Parameters in force in the verifier after the submission.
    pub in_force: ParameterSet,
    /// Event time of the decision.
    pub time: Timestamp,
    /// Receive time of the message behind it (latency metrics only).
    pub receive_time: Timestamp,
}

/// A time-locked proposal executed by the keeper.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// The market.
    pub market: MarketId,
    /// Event time of the execution.
    pub time: Timestamp,
    /// The parameters now in force, or why the verifier refused to execute.
    pub result: Result<ParameterSet, Rejection>,
}

/// What the verifier model did with stage 5's output.
#[derive(Debug, Clone)]
pub enum Emitted {
    /// A proposal was signed and submitted (boxed: it is large and rare).
    Submitted(Box<ProposalRecord>),
    /// A pending proposal was executed after its time-lock.
    Executed(Execution),
}
