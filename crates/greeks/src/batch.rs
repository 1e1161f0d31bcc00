//! The batch path: Black-76 instruments stored as a structure of arrays, priced into a structure
//! of arrays of price and Greeks.
//!
//! Inputs are validated when they enter the batch ([`OptionBatch::push`], [`OptionBatch::set`]),
//! so the pricing loops carry no validation branches. They run the scalar path's kernel with
//! branch-free ports of its exp, ln and erfc ([`crate::elementary`]) in passes over parallel
//! slices, which the compiler turns into packed SIMD code: two options per instruction with the
//! SSE2 baseline, four in a copy compiled for AVX2, eight in a copy compiled for AVX-512F, the
//! widest the CPU has being chosen at run time. The passes (see `price_lanes`) are d₁, d₂ and
//! the terms around them; erfc of the arguments of N(ωd₁) and N(ωd₂), its cheap near range on
//! every argument and its middle and tail ranges only on the arguments listed in them (a
//! branch-free erfc would run all three ranges, two exponentials and seven divisions, on every
//! argument); then the Greeks. The ports equal `libm` bit for bit on their fast range; an option
//! with an argument outside it (an exponent beyond ±708, |d| beyond 37, σ√T = 0) or a non-finite
//! result is marked and priced again by the scalar path. So the batch equals
//! [`crate::black76_greeks`] bit for bit, whichever instruction set ran it.

use crate::black::{
    Black76Inputs, DTerms, Greeks, OptionKind, checked, d_terms, greeks_from, greeks_unchecked,
    validate,
};
use crate::elementary::{
    ERFC_MIDDLE_LIMIT, ERFC_NEAR_LIMIT, Lanes, erfc_is_exact, erfc_middle, erfc_near, erfc_tail,
};
use crate::error::GreeksError;
use crate::normal::{cdf_erfc_argument, cdf_from_erfc};

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
/// Reuse one across calls of [`black76_batch`]: its columns (and the pricing passes' work space)
/// are resized, not reallocated, once they are large enough.
#[derive(Debug, Clone, Default)]
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
    scratch: Scratch,
}

impl PartialEq for BatchGreeks {
    /// Equal results; the work space holds none and is not compared.
    fn eq(&self, other: &Self) -> bool {
        self.price == other.price
            && self.delta == other.delta
            && self.gamma == other.gamma
            && self.vega == other.vega
            && self.theta == other.theta
            && self.rho == other.rho
            && self.carry_rho == other.carry_rho
            && self.vanna == other.vanna
            && self.volga == other.volga
    }
}

/// Work space of the pricing passes of [`black76_batch`], kept so that a reused
/// [`BatchGreeks`] allocates nothing.
#[derive(Debug, Clone, Default)]
struct Scratch {
    /// Per option, [`DTerms`] but the carry discount (the batch has b = 0, where it equals the
    /// discount).
    discount: Vec<f64>,
    root_time: Vec<f64>,
    std_dev: Vec<f64>,
    d1: Vec<f64>,
    d2: Vec<f64>,
    density: Vec<f64>,
    /// Per option, whether its exp and ln were on the ports' exact range.
    exact: Vec<bool>,
    /// The erfc arguments of N(ωd₁) (at i) and N(ωd₂) (at n + i), then (in `erfc`) their erfc.
    argument: Vec<f64>,
    erfc: Vec<f64>,
    /// Indices into `argument` of the arguments in erfc's middle and tail ranges.
    middle: Vec<usize>,
    tail: Vec<usize>,
    /// The arguments of one range, packed, then their erfc.
    packed: Vec<f64>,
}

impl Scratch {
    fn resize(&mut self, len: usize) {
        for column in [
            &mut self.discount,
            &mut self.root_time,
            &mut self.std_dev,
            &mut self.d1,
            &mut self.d2,
            &mut self.density,
        ] {
            column.resize(len, 0.0);
        }
        self.exact.resize(len, false);
        self.argument.resize(2 * len, 0.0);
        self.erfc.resize(2 * len, 0.0);
        self.middle.resize(2 * len + LIST_SLACK, 0);
        self.tail.resize(2 * len + LIST_SLACK, 0);
        self.packed.resize(2 * len, 0.0);
    }
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
    if price_vectorised(batch, out) == 0 {
        return Ok(());
    }
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

/// The vectorised pass, in the AVX-512 copy when the CPU has AVX-512F, else in the AVX2 copy
/// when it has AVX2, else in the SSE2 baseline.
/// Returns the number of options marked.
fn price_vectorised(batch: &OptionBatch, out: &mut BatchGreeks) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: `price_avx512` only requires AVX-512F, which the CPU was just found to support.
        return unsafe { price_avx512(batch, out) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `price_avx2` only requires AVX2, which the CPU was just found to support.
        return unsafe { price_avx2(batch, out) };
    }
    price_lanes::<false>(batch, out)
}

/// [`price_lanes`] compiled for AVX2 (four options per instruction). No FMA: separate
/// multiplications and additions keep the bits equal to the scalar path's.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn price_avx2(batch: &OptionBatch, out: &mut BatchGreeks) -> usize {
    price_lanes::<false>(batch, out)
}

/// [`price_lanes`] compiled for AVX-512F (eight options per instruction, 32 vector registers,
/// mask registers for the selects). Rust never contracts a multiplication and an addition into
/// a fused multiply-add, so the bits stay equal to the scalar path's here too.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn price_avx512(batch: &OptionBatch, out: &mut BatchGreeks) -> usize {
    price_lanes::<true>(batch, out)
}

/// Prices every option with the branch-free kernel into `out` (already sized to the batch),
/// writing NaN as the price of any option it could not price exactly; returns how many it
/// marked so.
///
/// The kernel ([`crate::black`]'s `greeks_with`) runs in passes over columns, each a loop the
/// compiler vectorises: d₁, d₂ and the rest of [`DTerms`] per option; erfc of the 2n arguments
/// of N(ωd₁) and N(ωd₂); the Greeks from both. `libm`'s erfc has three ranges, and a
/// branch-free erfc evaluates all three for every argument, the tail (two exponentials, five
/// divisions) included. Here erfc's near and middle ranges (one division each) run on every
/// argument and the tail only on the arguments in it, gathered into a packed column and
/// scattered back. Each range's routine is the one [`crate::elementary::Lanes`] selects from,
/// so the bits are the same.
///
/// With `COMPRESS` (only in the AVX-512 copy), the arguments of erfc's middle and tail ranges
/// are listed with AVX-512's compress instruction rather than one at a time.
#[inline(always)]
fn price_lanes<const COMPRESS: bool>(batch: &OptionBatch, out: &mut BatchGreeks) -> usize {
    let len = batch.len();
    let (forward, strike, time) = (
        &batch.forward[..len],
        &batch.strike[..len],
        &batch.time[..len],
    );
    let (rate, vol, sign) = (&batch.rate[..len], &batch.vol[..len], &batch.sign[..len]);
    let scratch = &mut out.scratch;
    scratch.resize(len);

    // Pass 1: everything but N(ωd₁) and N(ωd₂), and their erfc arguments.
    {
        let discount = &mut scratch.discount[..len];
        let root_time = &mut scratch.root_time[..len];
        let std_dev = &mut scratch.std_dev[..len];
        let d1 = &mut scratch.d1[..len];
        let d2 = &mut scratch.d2[..len];
        let density = &mut scratch.density[..len];
        let exact = &mut scratch.exact[..len];
        let (argument_d1, argument_d2) = scratch.argument[..2 * len].split_at_mut(len);
        for i in 0..len {
            let mut lanes = Lanes::default();
            let terms = d_terms(
                &mut lanes, forward[i], strike[i], time[i], rate[i], 0.0, vol[i],
            );
            discount[i] = terms.discount;
            root_time[i] = terms.root_time;
            std_dev[i] = terms.std_dev;
            d1[i] = terms.d1;
            d2[i] = terms.d2;
            density[i] = terms.density;
            exact[i] = lanes.exact;
            argument_d1[i] = cdf_erfc_argument(sign[i] * terms.d1);
            argument_d2[i] = cdf_erfc_argument(sign[i] * terms.d2);
        }
    }

    // Pass 2: erfc of every argument by its near range, and the arguments of the other two
    // ranges listed.
    let argument = &scratch.argument[..2 * len];
    let erfc = &mut scratch.erfc[..2 * len];
    for (value, &x) in erfc.iter_mut().zip(argument) {
        *value = erfc_near(x);
    }
    let (middles, tails) = if COMPRESS {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `COMPRESS` is true only in `price_avx512`, which runs only on CPUs with
        // AVX-512F.
        unsafe {
            list_ranges_avx512(argument, &mut scratch.middle, &mut scratch.tail)
        }
        #[cfg(not(target_arch = "x86_64"))]
        list_ranges(argument, 0, &mut scratch.middle, &mut scratch.tail)
    } else {
        list_ranges(argument, 0, &mut scratch.middle, &mut scratch.tail)
    };
    let (middle, tail) = (&scratch.middle[..middles], &scratch.tail[..tails]);

    // Pass 3: the middle and tail ranges, each on its own arguments only.
    let packed = &mut scratch.packed;
    erfc_of::<MIDDLE>(argument, erfc, middle, packed);
    erfc_of::<TAIL>(argument, erfc, tail, packed);

    // Pass 4: the Greeks.
    let (argument_d1, argument_d2) = argument.split_at(len);
    let (erfc_d1, erfc_d2) = erfc.split_at(len);
    finish(
        forward,
        strike,
        time,
        rate,
        vol,
        sign,
        &scratch.discount[..len],
        &scratch.root_time[..len],
        &scratch.std_dev[..len],
        &scratch.d1[..len],
        &scratch.d2[..len],
        &scratch.density[..len],
        &scratch.exact[..len],
        argument_d1,
        argument_d2,
        erfc_d1,
        erfc_d2,
        &mut out.price[..len],
        &mut out.delta[..len],
        &mut out.gamma[..len],
        &mut out.vega[..len],
        &mut out.theta[..len],
        &mut out.rho[..len],
        &mut out.carry_rho[..len],
        &mut out.vanna[..len],
        &mut out.volga[..len],
    )
}

/// Room the range lists need beyond one entry per argument: the AVX-512 listing stores whole
/// vectors of eight indices.
const LIST_SLACK: usize = 8;

/// Lists in `middle` and `tail` the indices `offset + j` of the arguments `argument[j]` in erfc's
/// middle range and in its tail range (NaN included, as `erfc_fast` takes it) and returns how
/// many of each. Each list needs room for `argument.len()` entries.
#[inline(always)]
// `!(ax < limit)` rather than `ax >= limit` on purpose: it is true for NaN.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn list_ranges(
    argument: &[f64],
    offset: usize,
    middle: &mut [usize],
    tail: &mut [usize],
) -> (usize, usize) {
    let (middle, tail) = (&mut middle[..argument.len()], &mut tail[..argument.len()]);
    let (mut middles, mut tails) = (0, 0);
    for (j, &x) in argument.iter().enumerate() {
        // Branch-free: always write, advance when the argument is in the range; a count never
        // exceeds j, so the write is in bounds.
        let ax = x.abs();
        middle[middles] = offset + j;
        tail[tails] = offset + j;
        middles += usize::from(!(ax < ERFC_NEAR_LIMIT) & (ax < ERFC_MIDDLE_LIMIT));
        tails += usize::from(!(ax < ERFC_MIDDLE_LIMIT));
    }
    (middles, tails)
}

/// [`list_ranges`] eight arguments at a time: two compares to masks, and each list's indices
/// compressed into one vector stored whole. Each list needs room for `argument.len()` +
/// [`LIST_SLACK`] entries.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn list_ranges_avx512(
    argument: &[f64],
    middle: &mut [usize],
    tail: &mut [usize],
) -> (usize, usize) {
    use std::arch::x86_64::{
        _CMP_NLT_UQ, _mm512_abs_pd, _mm512_add_epi64, _mm512_cmp_pd_mask, _mm512_loadu_pd,
        _mm512_maskz_compress_epi64, _mm512_set_epi64, _mm512_set1_epi64, _mm512_set1_pd,
        _mm512_storeu_si512,
    };
    let chunks = argument.len() / 8;
    assert!(middle.len() >= 8 * chunks + LIST_SLACK && tail.len() >= 8 * chunks + LIST_SLACK);
    let near = _mm512_set1_pd(ERFC_NEAR_LIMIT);
    let upper = _mm512_set1_pd(ERFC_MIDDLE_LIMIT);
    let mut index = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    let step = _mm512_set1_epi64(8);
    let (mut middles, mut tails) = (0, 0);
    for chunk in 0..chunks {
        // SAFETY: 8·chunk + 8 ≤ 8·chunks ≤ argument.len(): the eight values are in bounds.
        let x = unsafe { _mm512_loadu_pd(argument.as_ptr().add(8 * chunk)) };
        let ax = _mm512_abs_pd(x);
        // "Not less than" is true for NaN, as `!(ax < limit)` is.
        let beyond_near = _mm512_cmp_pd_mask::<_CMP_NLT_UQ>(ax, near);
        let in_tail = _mm512_cmp_pd_mask::<_CMP_NLT_UQ>(ax, upper);
        let in_middle = beyond_near & !in_tail;
        // SAFETY: each count is ≤ 8·chunk, so eight entries from it end within
        // 8·chunks + LIST_SLACK, which the assertion above put within the list; usize is the
        // 64-bit integer of the lanes on x86_64, and `storeu` needs no alignment.
        unsafe {
            _mm512_storeu_si512(
                middle.as_mut_ptr().add(middles).cast(),
                _mm512_maskz_compress_epi64(in_middle, index),
            );
            _mm512_storeu_si512(
                tail.as_mut_ptr().add(tails).cast(),
                _mm512_maskz_compress_epi64(in_tail, index),
            );
        }
        middles += in_middle.count_ones() as usize;
        tails += in_tail.count_ones() as usize;
        index = _mm512_add_epi64(index, step);
    }
    let done = 8 * chunks;
    let (rest_middle, rest_tail) = list_ranges(
        &argument[done..],
        done,
        &mut middle[middles..],
        &mut tail[tails..],
    );
    (middles + rest_middle, tails + rest_tail)
}

/// erfc's middle range, for [`erfc_of`].
const MIDDLE: u8 = 1;
/// erfc's tail range, for [`erfc_of`].
const TAIL: u8 = 2;

/// `erfc[j]` = erfc of `argument[j]` by the routine of range `RANGE` for every j of `indices`,
/// through a packed copy of those arguments so that the routine runs as a vectorised loop. (A
/// constant rather than a closure: a closure is a function of its own, compiled without the
/// caller's target features, which the compiler may then call rather than inline.)
#[inline(always)]
fn erfc_of<const RANGE: u8>(
    argument: &[f64],
    erfc: &mut [f64],
    indices: &[usize],
    packed: &mut [f64],
) {
    let packed = &mut packed[..indices.len()];
    for (value, &j) in packed.iter_mut().zip(indices) {
        *value = argument[j];
    }
    for value in packed.iter_mut() {
        *value = if RANGE == MIDDLE {
            erfc_middle(*value)
        } else {
            erfc_tail(*value)
        };
    }
    for (&value, &j) in packed.iter().zip(indices) {
        erfc[j] = value;
    }
}

/// The last pass of [`price_lanes`]: price and Greeks from the first pass's terms and the erfc
/// of the arguments of N(ωd₁) and N(ωd₂); returns the number of options marked. Every column
/// is a parameter of its own so that the compiler knows them to be disjoint (reference
/// parameters do not alias) and vectorises the loop without run-time overlap checks, which for
/// 26 columns it would not emit.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn finish(
    forward: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    vol: &[f64],
    sign: &[f64],
    discount: &[f64],
    root_time: &[f64],
    std_dev: &[f64],
    d1: &[f64],
    d2: &[f64],
    density: &[f64],
    exact: &[bool],
    argument_d1: &[f64],
    argument_d2: &[f64],
    erfc_d1: &[f64],
    erfc_d2: &[f64],
    price: &mut [f64],
    delta: &mut [f64],
    gamma: &mut [f64],
    vega: &mut [f64],
    theta: &mut [f64],
    rho: &mut [f64],
    carry_rho: &mut [f64],
    vanna: &mut [f64],
    volga: &mut [f64],
) -> usize {
    let len = forward.len();
    let (strike, time, rate, vol, sign) = (
        &strike[..len],
        &time[..len],
        &rate[..len],
        &vol[..len],
        &sign[..len],
    );
    let (discount, root_time, std_dev) = (&discount[..len], &root_time[..len], &std_dev[..len]);
    let (d1, d2, density, exact) = (&d1[..len], &d2[..len], &density[..len], &exact[..len]);
    let (argument_d1, argument_d2) = (&argument_d1[..len], &argument_d2[..len]);
    let (erfc_d1, erfc_d2) = (&erfc_d1[..len], &erfc_d2[..len]);
    let (price, delta, gamma) = (&mut price[..len], &mut delta[..len], &mut gamma[..len]);
    let (vega, theta, rho) = (&mut vega[..len], &mut theta[..len], &mut rho[..len]);
    let (carry_rho, vanna, volga) = (&mut carry_rho[..len], &mut vanna[..len], &mut volga[..len]);
    let mut marked = 0;
    for i in 0..len {
        let terms = DTerms {
            discount: discount[i],
            carry_discount: discount[i],
            root_time: root_time[i],
            std_dev: std_dev[i],
            d1: d1[i],
            d2: d2[i],
            density: density[i],
        };
        let greeks = greeks_from(
            &terms,
            sign[i],
            forward[i],
            strike[i],
            time[i],
            rate[i],
            0.0,
            vol[i],
            cdf_from_erfc(erfc_d1[i]),
            cdf_from_erfc(erfc_d2[i]),
        );
        let exact = exact[i]
            & erfc_is_exact(argument_d1[i])
            & erfc_is_exact(argument_d2[i])
            & greeks.is_finite();
        price[i] = if exact { greeks.price } else { f64::NAN };
        marked += usize::from(!exact);
        delta[i] = greeks.delta;
        gamma[i] = greeks.gamma;
        vega[i] = greeks.vega;
        theta[i] = greeks.theta;
        rho[i] = greeks.rho;
        carry_rho[i] = greeks.carry_rho;
        vanna[i] = greeks.vanna;
        volga[i] = greeks.volga;
    }
    marked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SSE2 baseline and the AVX2 and AVX-512 copies (when the CPU has them) of the
    /// vectorised pass give the same bits, and where they priced an option exactly, the scalar
    /// path's bits.
    #[test]
    fn every_instruction_set_gives_the_scalar_bits() {
        let mut batch = OptionBatch::new();
        // Not a multiple of eight, so that every copy also runs its remainder loops.
        for i in 0..4003_u32 {
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
        price_lanes::<false>(&batch, &mut baseline);
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
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            let mut wide = BatchGreeks::new();
            wide.resize(batch.len());
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { price_avx512(&batch, &mut wide) };
            assert_eq!(bits(&wide), bits(&baseline));
        }
    }
}
