//! Liquidation cascades: liquidations trade into the order-book depth, move the price, and breach
//! more accounts, until a fixed point.
//!
//! The depth curve is linear ([`crate::Underlying::impact`]): closing a delta of Δ units at price
//! p trades Δ·p of notional and moves the price by Δ·p / (100·D₁) (D₁ the depth within 1 %), down
//! for a sale. With price moves measured as fractions of the spot S along the side (down or up),
//! an account at distance d (its liquidation price S·(1 ∓ d)) pushes the price further along
//! that side by π = ∓Δ·p_liq / (100·D₁) once liquidated (negative when its unwind trades against
//! the move).
//!
//! For an initial shock δ the cascade liquidates, round after round, every account with d ≤ δ +
//! max(0, Σ π of those already liquidated), until no new account is reached.
//!
//! **Cascade distance**: the smallest shock that sets off a self-sustaining cascade, i.e. one
//! whose liquidations breach at least one account that the shock itself did not. With accounts
//! sorted by distance d₀ ≤ d₁ ≤ …, and I_i = Σ_{k ≤ i} π_k, a shock in [d_i, d_{i+1}) liquidates
//! exactly accounts 0..=i first, and their push reaches account i + 1 iff δ + I_i ≥ d_{i+1}; so the
//! distance is max(d_i, d_{i+1} − I_i) for the first i with d_i < d_{i+1} and I_i > 0. More depth
//! shrinks every I_i, so the distance never decreases with depth.

use crate::error::{GreeksError, finite, non_negative, positive};

/// Which way the price moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Falling price: accounts liquidated at their `below` price.
    Down,
    /// Rising price: accounts liquidated at their `above` price.
    Up,
}

impl Side {
    /// −1 for down, +1 for up.
    #[must_use]
    pub fn sign(self) -> f64 {
        match self {
            Side::Down => -1.0,
            Side::Up => 1.0,
        }
    }
}

/// What the cascade needs of one account on the side considered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CascadeAccount {
    /// Price at which it is liquidated on this side.
    pub liquidation_price: f64,
    /// Equity at `reference_spot`, quote currency.
    pub equity: f64,
    /// Delta of equity in the spot (units of the underlying): what the liquidation unwinds.
    pub delta: f64,
    /// Gamma of equity in the spot.
    pub gamma: f64,
    /// Spot at which `equity`, `delta` and `gamma` were computed.
    pub reference_spot: f64,
}

impl CascadeAccount {
    /// Delta-gamma equity at price `price`.
    #[must_use]
    pub fn equity_at(&self, price: f64) -> f64 {
        let x = price - self.reference_spot;
        self.equity + self.delta * x + 0.5 * self.gamma * x * x
    }
}

/// Result of a cascade started by one shock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CascadeOutcome {
    /// The initial shock, as a fraction of spot along the side.
    pub shock: f64,
    /// Total move at the fixed point, as a fraction of spot along the side (≥ `shock`).
    pub total_move: f64,
    /// Price at the fixed point.
    pub final_price: f64,
    /// Accounts liquidated.
    pub liquidated: usize,
    /// Accounts liquidated by the shock alone (the first round).
    pub liquidated_by_shock: usize,
    /// Σ |Δ| · liquidation price over liquidated accounts: the notional unwound.
    pub unwound_notional: f64,
    /// Σ max(0, −equity at the final price) over liquidated accounts: the bad debt left when
    /// every liquidation fills at the impacted price.
    pub bad_debt: f64,
}

/// Tolerance on fractional moves, so that a push that reaches an account exactly in exact
/// arithmetic also reaches it in floating point.
const MOVE_TOLERANCE: f64 = 1e-12;

/// Accounts sorted by distance along a side, with their pushes.
struct Ladder<'a> {
    accounts: Vec<(f64, f64, &'a CascadeAccount)>,
}

impl<'a> Ladder<'a> {
    fn new(
        spot: f64,
        depth_per_percent: f64,
        side: Side,
        accounts: &'a [CascadeAccount],
    ) -> Result<Self, GreeksError> {
        positive("spot", spot)?;
        positive("depth_per_percent", depth_per_percent)?;
        let mut ladder = Vec::with_capacity(accounts.len());
        for account in accounts {
            let price = account.liquidation_price;
            let distance = (side.sign() * (price - spot) / spot).max(0.0);
            let push = -side.sign() * account.delta * price / (100.0 * depth_per_percent);
            finite("cascade push", push)?;
            finite("liquidation distance", distance)?;
            ladder.push((distance, push, account));
        }
        ladder.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(Ladder { accounts: ladder })
    }

    fn run(&self, spot: f64, side: Side, shock: f64) -> CascadeOutcome {
        let mut reached = 0;
        let mut push = 0.0_f64;
        let mut liquidated_by_shock = None;
        loop {
            let total_move = shock + push.max(0.0);
            let before = reached;
            while let Some(&(distance, step, _)) = self.accounts.get(reached) {
                if distance > total_move + MOVE_TOLERANCE {
                    break;
                }
                push += step;
                reached += 1;
            }
            let first_round = *liquidated_by_shock.get_or_insert(reached);
            if reached == before {
                let final_price = spot * (1.0 + side.sign() * total_move);
                let liquidated = &self.accounts[..reached];
                return CascadeOutcome {
                    shock,
                    total_move,
                    final_price,
                    liquidated: reached,
                    liquidated_by_shock: first_round,
                    unwound_notional: liquidated
                        .iter()
                        .map(|(_, _, a)| a.delta.abs() * a.liquidation_price)
                        .sum(),
                    bad_debt: liquidated
                        .iter()
                        .map(|(_, _, a)| (-a.equity_at(final_price)).max(0.0))
                        .sum(),
                };
            }
        }
    }
}

/// The cascade set off by an initial `shock` (fraction of `spot`, ≥ 0) along `side`, against a
/// linear depth of `depth_per_percent` quote notional per 1 % move.
///
/// # Errors
/// [`GreeksError::Input`] if spot or depth is not finite and > 0, the shock is negative or not
/// finite, or an account's push is not finite.
///
/// ```
/// use recal_greeks::{CascadeAccount, Side, run_cascade};
/// // Spot 100, depth 1000 per 1 %: account A (liquidated at 95, 10 units long) sells 950,
/// // which moves the price a further 0.95 % and reaches B at 94.1.
/// let account = |price: f64| CascadeAccount {
///     liquidation_price: price, equity: 50.0, delta: 10.0, gamma: 0.0, reference_spot: 100.0,
/// };
/// let accounts = [account(95.0), account(94.1)];
/// let outcome = run_cascade(100.0, 1000.0, Side::Down, &accounts, 0.05)?;
/// assert_eq!((outcome.liquidated_by_shock, outcome.liquidated), (1, 2));
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn run_cascade(
    spot: f64,
    depth_per_percent: f64,
    side: Side,
    accounts: &[CascadeAccount],
    shock: f64,
) -> Result<CascadeOutcome, GreeksError> {
    non_negative("shock", shock)?;
    let ladder = Ladder::new(spot, depth_per_percent, side, accounts)?;
    Ok(ladder.run(spot, side, shock))
}

/// The smallest shock along `side` that sets off a self-sustaining cascade (see the module
/// documentation), with the cascade it sets off; `None` if no shock does (no liquidation ever
/// reaches an account the shock did not). O(m log m) for m accounts.
///
/// # Errors
/// As [`run_cascade`].
///
/// ```
/// use recal_greeks::{CascadeAccount, Side, cascade_distance};
/// let account = |price: f64| CascadeAccount {
///     liquidation_price: price, equity: 50.0, delta: 10.0, gamma: 0.0, reference_spot: 100.0,
/// };
/// // A at 5 % pushes 0.95 %; B sits at 6 %: the distance is 6 % − 0.95 % = 5.05 %.
/// let found = cascade_distance(100.0, 1000.0, Side::Down, &[account(95.0), account(94.0)])?;
/// assert!((found.unwrap().shock - 0.0505).abs() < 1e-12);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn cascade_distance(
    spot: f64,
    depth_per_percent: f64,
    side: Side,
    accounts: &[CascadeAccount],
) -> Result<Option<CascadeOutcome>, GreeksError> {
    let ladder = Ladder::new(spot, depth_per_percent, side, accounts)?;
    let mut pushed = 0.0;
    for pair in ladder.accounts.windows(2) {
        let (distance, push, _) = pair[0];
        let next = pair[1].0;
        pushed += push;
        if distance < next && pushed > 0.0 {
            let shock = distance.max(next - pushed);
            return Ok(Some(ladder.run(spot, side, shock)));
        }
    }
    Ok(None)
}
