//! Black-76 and generalised Black–Scholes–Merton prices and Greeks.
//!
//! One kernel serves calls and puts (through the sign ω = ±1) and both models: Black-76 is the
//! generalised model with the forward in place of the spot and cost of carry b = 0
//! (Haug, *The Complete Guide to Option Pricing Formulas*, 2nd ed., §1.1.6).
//!
//! With d₁ = (ln(S/X) + (b + σ²/2)T)/(σ√T), d₂ = d₁ − σ√T:
//!
//! | quantity | formula | unit |
//! |---|---|---|
//! | price | ω[S e^{(b−r)T} N(ωd₁) − X e^{−rT} N(ωd₂)] | currency |
//! | delta | ω e^{(b−r)T} N(ωd₁) | per 1 unit of S |
//! | gamma | e^{(b−r)T} n(d₁)/(S σ √T) | per 1 unit of S, squared |
//! | vega | S e^{(b−r)T} n(d₁) √T | per 1.00 of σ (100 vol points) |
//! | theta | −∂V/∂T | per year of calendar time |
//! | rho | ∂V/∂r at fixed b = −T·price | per 1.00 of r (100 % rate) |
//! | carry rho | ∂V/∂b = ω T S e^{(b−r)T} N(ωd₁) | per 1.00 of b |
//! | vanna | ∂²V/∂S∂σ = −e^{(b−r)T} n(d₁) d₂/σ | per unit of S per 1.00 of σ |
//! | volga | ∂²V/∂σ² = vega · d₁d₂/σ | per 1.00 of σ, squared |

use crate::elementary::{Elementary, Libm};
use crate::error::{GreeksError, InputError, finite, non_negative, positive};
use crate::normal::{cdf_with, pdf_with};

/// Calendar days per year used by [`Greeks::theta_per_day`] (ACT/365, as Deribit uses).
pub const DAYS_PER_YEAR: f64 = 365.0;

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionKind {
    /// The right to buy at the strike.
    Call,
    /// The right to sell at the strike.
    Put,
}

impl OptionKind {
    /// ω = +1 for a call, −1 for a put: the sign that lets one formula price both.
    #[must_use]
    pub fn sign(self) -> f64 {
        match self {
            OptionKind::Call => 1.0,
            OptionKind::Put => -1.0,
        }
    }
}

/// Inputs of the generalised Black–Scholes–Merton model.
///
/// The cost of carry `carry` (b) selects the underlying: b = r for a non-dividend stock
/// (Black–Scholes 1973), b = r − q for a continuous dividend yield q (Merton 1973), b = 0 for a
/// futures contract (Black 1976), b = r − r_f for a currency (Garman–Kohlhagen 1983).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BsmInputs {
    /// Call or put.
    pub kind: OptionKind,
    /// Spot price S of the underlying, > 0.
    pub spot: f64,
    /// Strike X, > 0, in the units of `spot`.
    pub strike: f64,
    /// Time to expiry T in years, ≥ 0. At 0 the option is worth its intrinsic value.
    pub time: f64,
    /// Continuously compounded risk-free rate r per year (1.00 = 100 %).
    pub rate: f64,
    /// Continuously compounded cost of carry b per year (1.00 = 100 %).
    pub carry: f64,
    /// Volatility σ per √year (1.00 = 100 %), ≥ 0.
    pub vol: f64,
}

/// Inputs of Black's 1976 model for options on a forward or futures price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Black76Inputs {
    /// Call or put.
    pub kind: OptionKind,
    /// Forward (or futures) price F for the option's expiry, > 0.
    pub forward: f64,
    /// Strike X, > 0, in the units of `forward`.
    pub strike: f64,
    /// Time to expiry T in years, ≥ 0.
    pub time: f64,
    /// Continuously compounded discount rate r per year (1.00 = 100 %).
    pub rate: f64,
    /// Volatility σ per √year (1.00 = 100 %), ≥ 0.
    pub vol: f64,
}

impl From<Black76Inputs> for BsmInputs {
    /// Black-76 is the generalised model with S = F and b = 0.
    fn from(inputs: Black76Inputs) -> Self {
        BsmInputs {
            kind: inputs.kind,
            spot: inputs.forward,
            strike: inputs.strike,
            time: inputs.time,
            rate: inputs.rate,
            carry: 0.0,
            vol: inputs.vol,
        }
    }
}

/// Price and sensitivities of one option, in the units given in the module table.
///
/// For Black-76 inputs, "S" is the forward: `delta` and `gamma` are with respect to F, and
/// `carry_rho` is the sensitivity to a carry b applied to F (normally not needed).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Greeks {
    /// Present value, in the currency of the strike.
    pub price: f64,
    /// ∂V/∂S, per 1 unit of the underlying price.
    pub delta: f64,
    /// ∂²V/∂S², per 1 unit of the underlying price, squared.
    pub gamma: f64,
    /// ∂V/∂σ per 1.00 of volatility (i.e. per 100 vol points); see [`Greeks::vega_per_vol_point`].
    pub vega: f64,
    /// ∂V/∂t = −∂V/∂T, value change per year of calendar time passing; see
    /// [`Greeks::theta_per_day`].
    pub theta: f64,
    /// ∂V/∂r with the cost of carry b held fixed, per 1.00 of rate; −T·price.
    /// For a stock (b = r − q, b moves with r) the textbook rho is `rho + carry_rho`.
    pub rho: f64,
    /// ∂V/∂b, per 1.00 of cost of carry.
    pub carry_rho: f64,
    /// ∂²V/∂S∂σ = ∂delta/∂σ, per 1 unit of underlying per 1.00 of volatility.
    pub vanna: f64,
    /// ∂²V/∂σ² = ∂vega/∂σ, per 1.00 of volatility, squared.
    pub volga: f64,
}

impl Greeks {
    /// Vega per volatility point: value change when σ rises by 0.01 (e.g. 60 % → 61 %).
    #[must_use]
    pub fn vega_per_vol_point(&self) -> f64 {
        self.vega / 100.0
    }

    /// Theta per calendar day (year / [`DAYS_PER_YEAR`]).
    #[must_use]
    pub fn theta_per_day(&self) -> f64 {
        self.theta / DAYS_PER_YEAR
    }

    /// Rho per percentage point of rate: value change when r rises by 0.01.
    #[must_use]
    pub fn rho_per_percent(&self) -> f64 {
        self.rho / 100.0
    }
}

/// Price and Greeks of a European option under the generalised Black–Scholes–Merton model.
///
/// At expiry (T = 0) or zero volatility the option is worth its discounted intrinsic value on the
/// forward S·e^{bT}; delta and carry rho take their limits (at the money exactly, N(ωd₁) → ½),
/// gamma, vega, vanna and volga are 0, and theta keeps only its finite drift terms (at the money
/// the true limit of theta is −∞, which cannot be returned).
///
/// # Errors
/// [`GreeksError::Input`] if spot or strike is not finite and > 0, time or vol is negative or
/// not finite, rate or carry is not finite, or a result overflows.
///
/// ```
/// use recal_greeks::{bsm_greeks, BsmInputs, OptionKind};
/// // Haug (2007), §1.1.6: generalised BSM put, S = 75, X = 70, T = ½, r = 10 %, b = 5 %, σ = 35 %.
/// let put = bsm_greeks(&BsmInputs {
///     kind: OptionKind::Put, spot: 75.0, strike: 70.0, time: 0.5, rate: 0.10, carry: 0.05, vol: 0.35,
/// })?;
/// assert!((put.price - 4.0870).abs() < 5e-5);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn bsm_greeks(inputs: &BsmInputs) -> Result<Greeks, GreeksError> {
    validate(inputs)?;
    Ok(price_valid(inputs)?)
}

/// Price and Greeks of a European option on a forward under Black's 1976 model.
///
/// Same limits and errors as [`bsm_greeks`]; delta and gamma are with respect to the forward.
///
/// # Errors
/// As [`bsm_greeks`], with `forward` in the place of `spot`.
///
/// ```
/// use recal_greeks::{black76_greeks, Black76Inputs, OptionKind};
/// // Haug (2007), §1.1.4: F = X = 19, T = 0.75, r = 10 %, σ = 28 %: call = put = 1.7011.
/// let call = black76_greeks(&Black76Inputs {
///     kind: OptionKind::Call, forward: 19.0, strike: 19.0, time: 0.75, rate: 0.10, vol: 0.28,
/// })?;
/// assert!((call.price - 1.7011).abs() < 5e-5);
/// println!("vega per vol point {:.4}, theta per day {:.5}", call.vega_per_vol_point(), call.theta_per_day());
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn black76_greeks(inputs: &Black76Inputs) -> Result<Greeks, GreeksError> {
    bsm_greeks(&BsmInputs::from(*inputs))
}

/// Checks every input of the generalised model.
pub(crate) fn validate(inputs: &BsmInputs) -> Result<(), InputError> {
    positive("spot", inputs.spot)?;
    positive("strike", inputs.strike)?;
    non_negative("time", inputs.time)?;
    finite("rate", inputs.rate)?;
    finite("carry", inputs.carry)?;
    non_negative("vol", inputs.vol)?;
    Ok(())
}

/// Prices already validated inputs, reporting an overflow instead of a non-finite result.
pub(crate) fn price_valid(inputs: &BsmInputs) -> Result<Greeks, InputError> {
    checked(greeks_unchecked(
        inputs.kind.sign(),
        inputs.spot,
        inputs.strike,
        inputs.time,
        inputs.rate,
        inputs.carry,
        inputs.vol,
    ))
}

/// Passes `greeks` through if every field is finite, else reports an overflow.
pub(crate) fn checked(greeks: Greeks) -> Result<Greeks, InputError> {
    if greeks.is_finite() {
        Ok(greeks)
    } else {
        Err(InputError::Overflow)
    }
}

/// The formulas of the module table for validated inputs, with `libm`'s exp, ln and erfc;
/// `sign` is ω = ±1. The scalar kernel behind [`bsm_greeks`], [`black76_greeks`] and the
/// batch path's out-of-range fallback.
#[inline]
pub(crate) fn greeks_unchecked(
    sign: f64,
    spot: f64,
    strike: f64,
    time: f64,
    rate: f64,
    carry: f64,
    vol: f64,
) -> Greeks {
    greeks_with(&mut Libm, sign, spot, strike, time, rate, carry, vol)
}

/// The formulas of the module table, generic over the elementary functions: the one kernel of
/// the scalar path ([`Libm`]) and of the vectorised batch path ([`crate::elementary::Lanes`]),
/// which is why the two agree bit for bit.
///
/// Branch-free apart from the cost of carry (a constant 0 in the batch, where the branch folds
/// away): the deterministic limit at σ√T = 0 is computed alongside and selected, so that a
/// loop over this function vectorises. It is [`d_terms`], the two normal distribution values,
/// then [`greeks_from`]; the batch path runs the three in separate passes.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn greeks_with<M: Elementary>(
    math: &mut M,
    sign: f64,
    spot: f64,
    strike: f64,
    time: f64,
    rate: f64,
    carry: f64,
    vol: f64,
) -> Greeks {
    let terms = d_terms(math, spot, strike, time, rate, carry, vol);
    let cdf_d1 = cdf_with(math, sign * terms.d1);
    let cdf_d2 = cdf_with(math, sign * terms.d2);
    greeks_from(
        &terms, sign, spot, strike, time, rate, carry, vol, cdf_d1, cdf_d2,
    )
}

/// What the Greeks need besides N(ωd₁) and N(ωd₂).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct DTerms {
    /// e^{−rT}.
    pub(crate) discount: f64,
    /// e^{(b−r)T}.
    pub(crate) carry_discount: f64,
    /// √T.
    pub(crate) root_time: f64,
    /// σ√T.
    pub(crate) std_dev: f64,
    /// d₁.
    pub(crate) d1: f64,
    /// d₂.
    pub(crate) d2: f64,
    /// n(d₁).
    pub(crate) density: f64,
}

/// The first part of [`greeks_with`]: discount factors, d₁, d₂ and n(d₁).
#[inline(always)]
pub(crate) fn d_terms<M: Elementary>(
    math: &mut M,
    spot: f64,
    strike: f64,
    time: f64,
    rate: f64,
    carry: f64,
    vol: f64,
) -> DTerms {
    let discount = math.exp(-rate * time);
    // (0 − r)·T is −r·T to the bit, so b = 0 needs no second exponential.
    let carry_discount = if carry == 0.0 {
        discount
    } else {
        math.exp((carry - rate) * time)
    };
    let root_time = time.sqrt();
    let std_dev = vol * root_time;
    let d1 = (math.ln(spot / strike) + (carry + 0.5 * vol * vol) * time) / std_dev;
    let d2 = d1 - std_dev;
    let density = pdf_with(math, d1);
    DTerms {
        discount,
        carry_discount,
        root_time,
        std_dev,
        d1,
        d2,
        density,
    }
}

/// The last part of [`greeks_with`]: price and Greeks from [`d_terms`] and
/// `cdf_d1` = N(ωd₁), `cdf_d2` = N(ωd₂).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn greeks_from(
    terms: &DTerms,
    sign: f64,
    spot: f64,
    strike: f64,
    time: f64,
    rate: f64,
    carry: f64,
    vol: f64,
    cdf_d1: f64,
    cdf_d2: f64,
) -> Greeks {
    let DTerms {
        discount,
        carry_discount,
        root_time,
        std_dev,
        d1,
        d2,
        density,
    } = *terms;
    let spot_pv = spot * carry_discount;
    let strike_pv = strike * discount;
    let price = sign * (spot_pv * cdf_d1 - strike_pv * cdf_d2);
    let vega = spot_pv * density * root_time;
    let smooth = Greeks {
        price,
        delta: sign * carry_discount * cdf_d1,
        gamma: carry_discount * density / (spot * std_dev),
        vega,
        theta: -spot_pv * density * vol / (2.0 * root_time)
            - sign * ((carry - rate) * spot_pv * cdf_d1 + rate * strike_pv * cdf_d2),
        rho: -time * price,
        carry_rho: sign * time * spot_pv * cdf_d1,
        vanna: -carry_discount * density * d2 / vol,
        volga: vega * d1 * d2 / vol,
    };

    // Deterministic limit: N(ωd₁) = N(ωd₂) → 1 in the money, ½ at the money, 0 out of it.
    let moneyness = sign * (spot_pv - strike_pv);
    let exercise = if moneyness > 0.0 {
        1.0
    } else if moneyness == 0.0 {
        0.5
    } else {
        0.0
    };
    let price = sign * (spot_pv - strike_pv) * exercise;
    let limit = Greeks {
        price,
        delta: sign * carry_discount * exercise,
        gamma: 0.0,
        vega: 0.0,
        theta: -sign * exercise * ((carry - rate) * spot_pv + rate * strike_pv),
        rho: -time * price,
        carry_rho: sign * time * spot_pv * exercise,
        vanna: 0.0,
        volga: 0.0,
    };
    smooth.or_where(std_dev == 0.0, &limit)
}

impl Greeks {
    /// `other` where `condition` holds, else `self`, field by field (a select, not a branch).
    #[inline(always)]
    fn or_where(self, condition: bool, other: &Greeks) -> Greeks {
        let pick = |mine: f64, theirs: f64| if condition { theirs } else { mine };
        Greeks {
            price: pick(self.price, other.price),
            delta: pick(self.delta, other.delta),
            gamma: pick(self.gamma, other.gamma),
            vega: pick(self.vega, other.vega),
            theta: pick(self.theta, other.theta),
            rho: pick(self.rho, other.rho),
            carry_rho: pick(self.carry_rho, other.carry_rho),
            vanna: pick(self.vanna, other.vanna),
            volga: pick(self.volga, other.volga),
        }
    }

    /// Whether every field is finite.
    #[inline(always)]
    pub(crate) fn is_finite(&self) -> bool {
        // Non-short-circuiting `&`, so that a vectorised caller needs no branch.
        self.price.is_finite()
            & self.delta.is_finite()
            & self.gamma.is_finite()
            & self.vega.is_finite()
            & self.theta.is_finite()
            & self.rho.is_finite()
            & self.carry_rho.is_finite()
            & self.vanna.is_finite()
            & self.volga.is_finite()
    }
}
