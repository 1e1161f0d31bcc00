//! The batch path: Black-76 instruments stored as a structure of arrays, priced into a structure
//! of arrays of price and Greeks.
//!
//! Inputs are validated when they enter the batch ([`OptionBatch::push`], [`OptionBatch::set`]),
//! so the pricing loop carries no validation branches. It is a straight pass over parallel
//! slices that calls the scalar path's kernel with branch-free ports of its exp, ln and erfc
//! ([`crate::elementary`]), which the compiler turns into packed SIMD code: two options per
//! instruction with the SSE2 baseline, four in a copy compiled for AVX2 and chosen at run time
//! when the CPU has it. The ports equal `libm` bit for bit on their fast range; an option with an
//! argument outside it (an exponent beyond ±708, |d| beyond 37, σ√T = 0) or a non-finite result
//! is marked and priced again by the scalar path. So the batch equals [`crate::black76_greeks`]
//! bit for bit, whichever instruction set ran it.

use crate::black::{
    Black76Inputs, Greeks, OptionKind, checked, greeks_unchecked, greeks_with, validate,
};
use crate::elementary::Lanes;
use crate::error::GreeksError;

/// Black-76 instruments as a structure of arrays: entry `i` of every column is instrument `i`.
///
/// Columns are private so that they always have equal lengths and hold only validated values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OptionBatch {
    forward: Vec<f64>,
    strike: Vec<f64>,
    time: Vec<f64>,
    rate: Vec<f64>,
    vol: Vec<f64>,
    /// ω = +1 for a call, −1 for a put, stored as a float so the loop needs no branch.
    sign: Vec<f64>,
}

impl OptionBatch {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty batch with room for `capacity` instruments in every column.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            forward: Vec::with_capacity(capacity),
            strike: Vec::with_capacity(capacity),
            time: Vec::with_capacity(capacity),
            rate: Vec::with_capacity(capacity),
            vol: Vec::with_capacity(capacity),
            sign: Vec::with_capacity(capacity),
        }
    }

    /// Number of instruments.
    #[must_use]
    pub fn len(&self) -> usize {
        self.forward.len()
    }

    /// Whether the batch holds no instrument.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.forward.is_empty()
    }

    /// Appends an instrument and returns its index.
    ///
    /// # Errors
    /// [`GreeksError::Instrument`] (with the index it would have had) if an input is invalid; the
    /// batch is then unchanged.
    pub fn push(&mut self, inputs: &Black76Inputs) -> Result<usize, GreeksError> {
        let index = self.len();
        validate_at(index, inputs)?;
        self.forward.push(inputs.forward);
        self.strike.push(inputs.strike);
        self.time.push(inputs.time);
        self.rate.push(inputs.rate);
        self.vol.push(inputs.vol);
        self.sign.push(inputs.kind.sign());
        Ok(index)
    }

    /// Replaces the inputs of instrument `index`.
    ///
    /// # Errors
    /// [`GreeksError::UnknownInstrument`] if `index` is out of range, [`GreeksError::Instrument`]
    /// if an input is invalid; the batch is then unchanged.
    pub fn set(&mut self, index: usize, inputs: &Black76Inputs) -> Result<(), GreeksError> {
        if index >= self.len() {
            return Err(GreeksError::UnknownInstrument { index });
        }
        validate_at(index, inputs)?;
        self.forward[index] = inputs.forward;
        self.strike[index] = inputs.strike;
        self.time[index] = inputs.time;
        self.rate[index] = inputs.rate;
        self.vol[index] = inputs.vol;
        self.sign[index] = inputs.kind.sign();
        Ok(())
    }

    /// The inputs of instrument `index`, if it exists.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<Black76Inputs> {
        let kind = if *self.sign.get(index)? > 0.0 {
            OptionKind::Call
        } else {
            OptionKind::Put
        };
        Some(Black76Inputs {
            kind,
            forward: self.forward[index],
            strike: self.strike[index],
            time: self.time[index],
            rate: self.rate[index],
            vol: self.vol[index],
        })
    }

    /// Removes every instrument, keeping the allocations.
    pub fn clear(&mut self) {
        for column in [
            &mut self.forward,
            &mut self.strike,
            &mut self.time,
            &mut self.rate,
            &mut self.vol,
            &mut self.sign,
        ] {
            column.clear();
        }
    }
}

/// Validates one instrument's inputs, naming it in the error.
fn validate_at(index: usize, inputs: &Black76Inputs) -> Result<(), GreeksError> {
    validate(&(*inputs).into()).map_err(|source| GreeksError::Instrument { index, source })
}

/// Prices and Greeks of a batch as a structure of arrays, in the units of [`Greeks`].
///
/// Reuse one across calls of [`black76_batch`]: its columns are resized, not reallocated, once
/// they are large enough.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchGreeks {
    price: Vec<f64>,
    delta: Vec<f64>,
    gamma: Vec<f64>,
    vega: Vec<f64>,
    theta: Vec<f64>,
    rho: Vec<f64>,
    carry_rho: Vec<f64>,
    vanna: Vec<f64>,
    volga: Vec<f64>,
}

impl BatchGreeks {
    /// An empty result set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of instruments priced.
    #[must_use]
    pub fn len(&self) -> usize {
        self.price.len()
    }

    /// Whether no instrument has been priced.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.price.is_empty()
    }

    /// Present values.
    #[must_use]
    pub fn price(&self) -> &[f64] {
        &self.price
    }

    /// Deltas with respect to the forward.
    #[must_use]
    pub fn delta(&self) -> &[f64] {
        &self.delta
    }

    /// Gammas with respect to the forward.
    #[must_use]
    pub fn gamma(&self) -> &[f64] {
        &self.gamma
    }

    /// Vegas per 1.00 of volatility.
    #[must_use]
    pub fn vega(&self) -> &[f64] {
        &self.vega
    }

    /// Thetas per year.
    #[must_use]
    pub fn theta(&self) -> &[f64] {
        &self.theta
    }

    /// Rhos per 1.00 of rate.
    #[must_use]
    pub fn rho(&self) -> &[f64] {
        &self.rho
    }

    /// The full [`Greeks`] of instrument `index`, if it was priced.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<Greeks> {
        Some(Greeks {
            price: *self.price.get(index)?,
            delta: self.delta[index],
            gamma: self.gamma[index],
            vega: self.vega[index],
            theta: self.theta[index],
            rho: self.rho[index],
            carry_rho: self.carry_rho[index],
            vanna: self.vanna[index],
            volga: self.volga[index],
        })
    }

    fn resize(&mut self, len: usize) {
        for column in [
            &mut self.price,
            &mut self.delta,
            &mut self.gamma,
            &mut self.vega,
            &mut self.theta,
            &mut self.rho,
            &mut self.carry_rho,
            &mut self.vanna,
            &mut self.volga,
        ] {
            column.resize(len, 0.0);
        }
    }

    fn write(&mut self, index: usize, greeks: &Greeks) {
        self.price[index] = greeks.price;
        self.delta[index] = greeks.delta;
        self.gamma[index] = greeks.gamma;
        self.vega[index] = greeks.vega;
        self.theta[index] = greeks.theta;
        self.rho[index] = greeks.rho;
        self.carry_rho[index] = greeks.carry_rho;
        self.vanna[index] = greeks.vanna;
        self.volga[index] = greeks.volga;
    }
}

/// Prices every instrument of `batch` under Black-76 into `out`, which is resized to the batch.
///
/// # Errors
/// [`GreeksError::Instrument`] naming the first instrument whose result overflowed (inputs are
/// already valid); `out` then holds every result before it.
///
/// ```
/// use recal_greeks::{black76_batch, black76_greeks, BatchGreeks, Black76Inputs, OptionBatch, OptionKind};
/// let call = Black76Inputs { kind: OptionKind::Call, forward: 19.0, strike: 19.0, time: 0.75, rate: 0.10, vol: 0.28 };
/// let put = Black76Inputs { kind: OptionKind::Put, ..call };
/// let mut batch = OptionBatch::new();
/// batch.push(&call)?;
/// batch.push(&put)?;
/// let mut out = BatchGreeks::new();
/// black76_batch(&batch, &mut out)?;
/// assert_eq!(out.get(1), Some(black76_greeks(&put)?));
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
pub fn black76_batch(batch: &OptionBatch, out: &mut BatchGreeks) -> Result<(), GreeksError> {
    out.resize(batch.len());
    price_vectorised(batch, out);
    // Options the vectorised pass marked (price NaN, which no valid result is) go through the
    // scalar path, in index order, so that the first overflow is the one reported.
    for index in 0..batch.len() {
        if out.price[index].is_nan() {
            let greeks = greeks_unchecked(
                batch.sign[index],
                batch.forward[index],
                batch.strike[index],
                batch.time[index],
                batch.rate[index],
                0.0,
                batch.vol[index],
            );
            let greeks =
                checked(greeks).map_err(|source| GreeksError::Instrument { index, source })?;
            out.write(index, &greeks);
        }
    }
    Ok(())
}

/// The vectorised pass, in the AVX2 copy when the CPU has AVX2, else in the SSE2 baseline.
fn price_vectorised(batch: &OptionBatch, out: &mut BatchGreeks) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `price_avx2` only requires AVX2, which the CPU was just found to support.
        unsafe { price_avx2(batch, out) };
        return;
    }
    price_lanes(batch, out);
}

/// [`price_lanes`] compiled for AVX2 (four options per instruction). No FMA: separate
/// multiplications and additions keep the bits equal to the scalar path's.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn price_avx2(batch: &OptionBatch, out: &mut BatchGreeks) {
    price_lanes(batch, out);
}

/// Prices every option with the branch-free kernel into `out` (already sized to the batch),
/// writing NaN as the price of any option it could not price exactly.
#[inline(always)]
fn price_lanes(batch: &OptionBatch, out: &mut BatchGreeks) {
    let len = batch.len();
    let (forward, strike, time) = (
        &batch.forward[..len],
        &batch.strike[..len],
        &batch.time[..len],
    );
    let (rate, vol, sign) = (&batch.rate[..len], &batch.vol[..len], &batch.sign[..len]);
    let price = &mut out.price[..len];
    let delta = &mut out.delta[..len];
    let gamma = &mut out.gamma[..len];
    let vega = &mut out.vega[..len];
    let theta = &mut out.theta[..len];
    let rho = &mut out.rho[..len];
    let carry_rho = &mut out.carry_rho[..len];
    let vanna = &mut out.vanna[..len];
    let volga = &mut out.volga[..len];
    for i in 0..len {
        let mut lanes = Lanes::default();
        let greeks = greeks_with(
            &mut lanes, sign[i], forward[i], strike[i], time[i], rate[i], 0.0, vol[i],
        );
        let exact = lanes.exact & greeks.is_finite();
        price[i] = if exact { greeks.price } else { f64::NAN };
        delta[i] = greeks.delta;
        gamma[i] = greeks.gamma;
        vega[i] = greeks.vega;
        theta[i] = greeks.theta;
        rho[i] = greeks.rho;
        carry_rho[i] = greeks.carry_rho;
        vanna[i] = greeks.vanna;
        volga[i] = greeks.volga;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SSE2 baseline and the AVX2 copy (when the CPU has it) of the vectorised pass give the
    /// same bits, and where they priced an option exactly, the scalar path's bits.
    #[test]
    fn every_instruction_set_gives_the_scalar_bits() {
        let mut batch = OptionBatch::new();
        for i in 0..4000_u32 {
            let x = f64::from(i);
            let inputs = Black76Inputs {
                kind: if i % 2 == 0 {
                    OptionKind::Call
                } else {
                    OptionKind::Put
                },
                forward: 100.0,
                strike: 100.0 * (0.002 * (x - 2000.0)).exp(),
                time: [0.0, 1e-6, 0.01, 0.5, 3.0, 25.0][i as usize % 6],
                rate: [-0.05, 0.0, 0.03, 0.2][i as usize % 4],
                vol: [0.0, 1e-4, 0.05, 0.6, 2.5][i as usize % 5],
            };
            batch.push(&inputs).unwrap();
        }
        let bits = |out: &BatchGreeks| -> Vec<u64> {
            (0..out.len())
                .flat_map(|i| {
                    let g = out.get(i).unwrap();
                    [
                        g.price,
                        g.delta,
                        g.gamma,
                        g.vega,
                        g.theta,
                        g.rho,
                        g.carry_rho,
                        g.vanna,
                        g.volga,
                    ]
                })
                .map(f64::to_bits)
                .collect()
        };
        let mut baseline = BatchGreeks::new();
        baseline.resize(batch.len());
        price_lanes(&batch, &mut baseline);
        let mut exact = 0;
        for index in 0..batch.len() {
            let lanes = baseline.get(index).unwrap();
            if lanes.price.is_nan() {
                continue;
            }
            exact += 1;
            let inputs = batch.get(index).unwrap();
            assert_eq!(lanes, crate::black76_greeks(&inputs).unwrap(), "{inputs:?}");
        }
        assert!(exact > 1000, "only {exact} options on the fast path");
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let mut wide = BatchGreeks::new();
            wide.resize(batch.len());
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { price_avx2(&batch, &mut wide) };
            assert_eq!(bits(&wide), bits(&baseline));
        }
    }
}
