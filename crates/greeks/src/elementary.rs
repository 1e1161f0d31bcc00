//! The elementary functions of the pricing kernel (exp, ln, erfc), in two interchangeable forms:
//!
//! - [`Libm`]: calls to the `libm` crate (a port of FreeBSD/musl), one option at a time; the
//!   scalar path.
//! - [`Lanes`]: branch-free ports of the same three `libm` routines, written so that a loop
//!   over many options compiles to packed SIMD instructions (every branch of a routine is
//!   evaluated and the right one selected per lane; integer steps work on the IEEE bit pattern).
//!
//! The ports perform the same IEEE operations in the same order as `libm`, so on their fast
//! range they return the same bits; outside it (arguments where `libm` takes a special path:
//! exp beyond ±708.39, ln of a subnormal, 0 or ∞, erfc beyond ±26.5, NaN) they clear
//! [`Lanes::exact`] and the caller recomputes that option with [`Libm`]. The batch path is
//! therefore bit-identical to the scalar path, on every machine and instruction set (no fused
//! multiply-add is used, so SSE2, AVX2 and AVX-512 code give the same bits too).

/// The elementary functions the Greeks kernel is generic over.
pub(crate) trait Elementary {
    /// eˣ.
    fn exp(&mut self, x: f64) -> f64;
    /// Natural logarithm.
    fn ln(&mut self, x: f64) -> f64;
    /// Complementary error function.
    fn erfc(&mut self, x: f64) -> f64;
}

/// The `libm` crate's routines, one call per value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Libm;

impl Elementary for Libm {
    #[inline]
    fn exp(&mut self, x: f64) -> f64 {
        libm::exp(x)
    }

    #[inline]
    fn ln(&mut self, x: f64) -> f64 {
        libm::log(x)
    }

    #[inline]
    fn erfc(&mut self, x: f64) -> f64 {
        libm::erfc(x)
    }
}

/// Branch-free ports of `libm`'s exp, log and erfc for vectorised loops.
///
/// `exact` stays true while every argument was on the ports' fast range, where they equal
/// `libm` bit for bit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lanes {
    /// Whether every result so far equals `libm`'s.
    pub(crate) exact: bool,
}

impl Default for Lanes {
    fn default() -> Self {
        Lanes { exact: true }
    }
}

impl Elementary for Lanes {
    #[inline(always)]
    fn exp(&mut self, x: f64) -> f64 {
        self.exact &= x.abs() < EXP_FAST_LIMIT;
        exp_fast(x)
    }

    #[inline(always)]
    fn ln(&mut self, x: f64) -> f64 {
        self.exact &= (f64::MIN_POSITIVE..f64::INFINITY).contains(&x);
        ln_fast(x)
    }

    #[inline(always)]
    fn erfc(&mut self, x: f64) -> f64 {
        self.exact &= erfc_is_exact(x);
        erfc_fast(x)
    }
}

/// The double whose high 32 bits are `word` and low 32 bits zero: `libm` compares high words,
/// and for |x| ≥ 0, `high_word(|x|) < word` ⟺ `|x| < high_word_bound(word)`.
const fn high_word_bound(word: u64) -> f64 {
    f64::from_bits(word << 32)
}

/// 1.5·2⁵²: adding and subtracting it rounds |v| < 2⁵¹ to the nearest integer, and the sum's
/// low bits hold that integer.
const ROUNDING: f64 = f64::from_bits(0x4338_0000_0000_0000); // 6755399441055744.0

/// `v as i32` (truncation toward zero) for |v| < 2³¹, as a float, without a conversion
/// instruction (packed f64 → integer conversions are not in SSE2/AVX2).
#[inline(always)]
fn trunc_small(v: f64) -> f64 {
    let nearest = (v + ROUNDING) - ROUNDING;
    if nearest.abs() > v.abs() {
        nearest - 1.0_f64.copysign(v)
    } else {
        nearest
    }
}

/// 2ᵏ for an integral float k in [−1022, 1023], built from its bits.
#[inline(always)]
fn exp2_int(k: f64) -> f64 {
    let biased = (k + ROUNDING)
        .to_bits()
        .wrapping_sub(ROUNDING.to_bits())
        .wrapping_add(1023);
    f64::from_bits(biased << 52)
}

/// |x| below which [`exp_fast`] equals `libm::exp` (the high word of 708.39…, where `libm`
/// starts its overflow and underflow handling).
const EXP_FAST_LIMIT: f64 = high_word_bound(0x4086_232b);

const EXP_LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.93147180369123816490e-1
const EXP_LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
const EXP_INV_LN2: f64 = f64::from_bits(0x3ff7_1547_652b_82fe); // 1.44269504088896338700e0
const EXP_P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e); // 1.66666666666666019037e-1
const EXP_P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93); // -2.77777777770155933842e-3
const EXP_P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c); // 6.61375632143793436117e-5
const EXP_P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1); // -1.65339022054652515390e-6
const EXP_P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0); // 4.13813679705723846039e-8

/// `libm::exp` (FreeBSD `e_exp.c`) for |x| < [`EXP_FAST_LIMIT`]: x = k·ln2 + r, |r| ≤ ½ln2,
/// eʳ from a rational form of a degree-5 minimax polynomial, then ·2ᵏ (one multiplication,
/// which is what `scalbn` does for k in [−1022, 1022]).
#[inline(always)]
fn exp_fast(x: f64) -> f64 {
    // Out of range the result is discarded; clamping (just beyond the fast range, which it
    // leaves untouched) keeps the discarded work free of subnormals, slow on some CPUs, and of
    // exponents outside [−1022, 1022].
    let x = x.clamp(-708.5, 708.5);
    let ax = x.abs();
    // libm: |x| > ½ln2 reduces; |x| ≥ 1.5 ln2 takes k from the product, below that k = ±1.
    let reduce = ax >= high_word_bound(0x3fd6_2e43);
    let wide = ax >= high_word_bound(0x3ff0_a2b2);
    let tiny = ax < high_word_bound(0x3e30_0001);
    let k = if wide {
        trunc_small(EXP_INV_LN2 * x + 0.5_f64.copysign(x))
    } else if reduce {
        1.0_f64.copysign(x)
    } else {
        0.0
    };
    let hi = x - k * EXP_LN2_HI;
    let lo = k * EXP_LN2_LO;
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (EXP_P1 + rr * (EXP_P2 + rr * (EXP_P3 + rr * (EXP_P4 + rr * EXP_P5))));
    let y = 1.0 + (r * c / (2.0 - c) - lo + hi);
    if tiny { 1.0 + x } else { y * exp2_int(k) }
}

const LOG_LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.93147180369123816490e-1
const LOG_LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
const LG1: f64 = f64::from_bits(0x3fe5_5555_5555_5593); // 6.666666666666735130e-1
const LG2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04); // 3.999999999940941908e-1
const LG3: f64 = f64::from_bits(0x3fd2_4924_9422_9359); // 2.857142874366239149e-1
const LG4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af); // 2.222219843214978396e-1
const LG5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de); // 1.818357216161805012e-1
const LG6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f); // 1.531383769920937332e-1
const LG7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244); // 1.479819860511658591e-1

/// `libm::log` (FreeBSD `e_log.c`) for normal positive finite x: x = 2ᵏ·m with m in
/// [√2/2, √2), ln m from s = (m − 1)/(m + 1) and a degree-14 minimax polynomial in s.
#[inline(always)]
fn ln_fast(x: f64) -> f64 {
    let bits = x.to_bits();
    // The high word, shifted so that its exponent field counts from m's interval.
    let high = (bits >> 32).wrapping_add(0x3ff0_0000 - 0x3fe6_a09e);
    let biased_k = (high >> 20) & 0x7ff;
    let high = (high & 0x000f_ffff) + 0x3fe6_a09e;
    let m = f64::from_bits((high << 32) | (bits & 0xffff_ffff));
    // k = biased_k − 1023, exactly, through the bits of 2⁵² + biased_k.
    let dk = f64::from_bits(0x4330_0000_0000_0000 | biased_k) - 4_503_599_627_371_519.0;
    let f = m - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let value = s * (hfsq + r) + dk * LOG_LN2_LO - hfsq + f + dk * LOG_LN2_HI;
    if x == 1.0 { 0.0 } else { value }
}

/// |x| below which [`erfc_fast`] equals `libm::erfc`: `libm` goes to its constant tail at 28,
/// and above 26.5 its inner exp(−x² − 0.5625) leaves [`EXP_FAST_LIMIT`].
const ERFC_FAST_LIMIT: f64 = 26.5;

const ERX: f64 = f64::from_bits(0x3feb_0ac1_6000_0000); // 8.45062911510467529297e-1
const PP: [f64; 5] = [
    f64::from_bits(0x3fc0_6eba_8214_db68), // 1.28379167095512558561e-1
    f64::from_bits(0xbfd4_cd7d_691c_b913), // -3.25042107247001499370e-1
    f64::from_bits(0xbf9d_2a51_dbd7_194f), // -2.84817495755985104766e-2
    f64::from_bits(0xbf77_a291_2366_68e4), // -5.77027029648944159157e-3
    f64::from_bits(0xbef8_ead6_1200_16ac), // -2.37630166566501626084e-5
];
const QQ: [f64; 5] = [
    f64::from_bits(0x3fd9_7779_cdda_dc09), // 3.97917223959155352819e-1
    f64::from_bits(0x3fb0_a54c_5536_ceba), // 6.50222499887672944485e-2
    f64::from_bits(0x3f74_d022_c4d3_6b0f), // 5.08130628187576562776e-3
    f64::from_bits(0x3f21_5dc9_221c_1a10), // 1.32494738004321644526e-4
    f64::from_bits(0xbed0_9c43_42a2_6120), // -3.96022827877536812320e-6
];
const PA: [f64; 7] = [
    f64::from_bits(0xbf63_59b8_bef7_7538), // -2.36211856075265944077e-3
    f64::from_bits(0x3fda_8d00_ad92_b34d), // 4.14856118683748331666e-1
    f64::from_bits(0xbfd7_d240_fbb8_c3f1), // -3.72207876035701323847e-1
    f64::from_bits(0x3fd4_5fca_8051_20e4), // 3.18346619901161753674e-1
    f64::from_bits(0xbfbc_6398_3d3e_28ec), // -1.10894694282396677476e-1
    f64::from_bits(0x3fa2_2a36_5997_95eb), // 3.54783043256182359371e-2
    f64::from_bits(0xbf61_bf38_0a96_073f), // -2.16637559486879084300e-3
];
const QA: [f64; 6] = [
    f64::from_bits(0x3fbb_3e66_18ee_e323), // 1.06420880400844228286e-1
    f64::from_bits(0x3fe1_4af0_92eb_6f33), // 5.40397917702171048937e-1
    f64::from_bits(0x3fb2_635c_d99f_e9a7), // 7.18286544141962662868e-2
    f64::from_bits(0x3fc0_2660_e763_351f), // 1.26171219808761642112e-1
    f64::from_bits(0x3f8b_edc2_6b51_dd1c), // 1.36370839120290507362e-2
    f64::from_bits(0x3f88_8b54_5735_151d), // 1.19844998467991074170e-2
];
const RA: [f64; 8] = [
    f64::from_bits(0xbf84_3412_600d_6435), // -9.86494403484714822705e-3
    f64::from_bits(0xbfe6_3416_e4ba_7360), // -6.93858572707181764372e-1
    f64::from_bits(0xc025_1e04_41b0_e726), // -1.05586262253232909814e1
    f64::from_bits(0xc04f_300a_e4cb_a38d), // -6.23753324503260060396e1
    f64::from_bits(0xc064_4cb1_8428_2266), // -1.62396669462573470355e2
    f64::from_bits(0xc067_135c_ebcc_abb2), // -1.84605092906711035994e2
    f64::from_bits(0xc054_5265_57e4_d2f2), // -8.12874355063065934246e1
    f64::from_bits(0xc023_a0ef_c69a_c25c), // -9.81432934416914548592e0
];
const SA: [f64; 8] = [
    f64::from_bits(0x4033_a6b9_bd70_7687), // 1.96512716674392571292e1
    f64::from_bits(0x4061_350c_526a_e721), // 1.37657754143519042600e2
    f64::from_bits(0x407b_290d_d58a_1a71), // 4.34565877475229228821e2
    f64::from_bits(0x4084_2b19_21ec_2868), // 6.45387271733267880336e2
    f64::from_bits(0x407a_d021_5770_0314), // 4.29008140027567833386e2
    f64::from_bits(0x405b_28a3_ee48_ae2c), // 1.08635005541779435134e2
    f64::from_bits(0x401a_47ef_8e48_4a93), // 6.57024977031928170135e0
    f64::from_bits(0xbfae_eff2_ee74_9a62), // -6.04244152148580987438e-2
];
/// `libm`'s RB coefficients, with a trailing 0 so that they share [`RA`]'s Horner scheme:
/// `RB6 + s·0` is exactly `RB6`.
const RB: [f64; 8] = [
    f64::from_bits(0xbf84_3412_39e8_6f4a), // -9.86494292470009928597e-3
    f64::from_bits(0xbfe9_93ba_70c2_85de), // -7.99283237680523006574e-1
    f64::from_bits(0xc031_c209_555f_995a), // -1.77579549177547519889e1
    f64::from_bits(0xc064_145d_43c5_ed98), // -1.60636384855821916062e2
    f64::from_bits(0xc083_ec88_1375_f228), // -6.37566443368389627722e2
    f64::from_bits(0xc090_0461_6a2e_5992), // -1.02509513161107724954e3
    f64::from_bits(0xc07e_384e_9bdc_383f), // -4.83519191608651397019e2
    0.0,
];
/// `libm`'s SB coefficients, padded like [`RB`].
const SB: [f64; 8] = [
    f64::from_bits(0x403e_568b_261d_5190), // 3.03380607434824582924e1
    f64::from_bits(0x4074_5cae_221b_9f0a), // 3.25792512996573918826e2
    f64::from_bits(0x4098_02eb_189d_5118), // 1.53672958608443695994e3
    f64::from_bits(0x40a8_ffb7_688c_246a), // 3.19985821950859553908e3
    f64::from_bits(0x40a3_f219_cedf_3be6), // 2.55305040643316442583e3
    f64::from_bits(0x407d_a874_e79f_e763), // 4.74528541206955367215e2
    f64::from_bits(0xc036_70e2_4271_2d62), // -2.24409524465858183362e1
    0.0,
];

/// c₀ + x(c₁ + x(c₂ + …)), the nesting `libm` writes out by hand.
#[inline(always)]
fn horner<const N: usize>(x: f64, coefficients: &[f64; N]) -> f64 {
    coefficients
        .iter()
        .rev()
        .copied()
        .reduce(|acc, c| c + x * acc)
        .unwrap_or(0.0)
}

/// 1 + x(c₀ + x(c₁ + …)), `libm`'s denominators.
#[inline(always)]
fn horner_monic<const N: usize>(x: f64, coefficients: &[f64; N]) -> f64 {
    1.0 + x * horner(x, coefficients)
}

/// |x| below which `libm::erfc` takes its first range (a rational approximation of erf):
/// 0.84375 by the high word.
pub(crate) const ERFC_NEAR_LIMIT: f64 = high_word_bound(0x3feb_0000);

/// |x| below which `libm::erfc` takes its second range (erf − erx on [0.84375, 1.25)).
pub(crate) const ERFC_MIDDLE_LIMIT: f64 = high_word_bound(0x3ff4_0000);

/// `libm::erfc` (FreeBSD `s_erf.c`) for |x| < [`ERFC_FAST_LIMIT`]: a rational approximation
/// of erf on |x| < 0.84375, of erf − erx on [0.84375, 1.25), and of
/// ln(x·erfc(x)) + x² + 0.5625 on [1.25, 1/0.35) and [1/0.35, 28). All are evaluated and the
/// one for |x| selected. The batch path instead runs [`erfc_near`] on every argument, and
/// [`erfc_middle`] and [`erfc_tail`] only on the arguments it listed in their ranges.
#[inline(always)]
fn erfc_fast(x: f64) -> f64 {
    let ax = x.abs();
    let near = erfc_near(x);
    let middle = erfc_middle(x);
    let tail = erfc_tail(x);
    if ax < ERFC_NEAR_LIMIT {
        near
    } else if ax < ERFC_MIDDLE_LIMIT {
        middle
    } else {
        tail
    }
}

/// [`erfc_fast`] for |x| < [`ERFC_NEAR_LIMIT`].
#[inline(always)]
pub(crate) fn erfc_near(x: f64) -> f64 {
    let ax = x.abs();
    let z = x * x;
    let y = horner(z, &PP) / horner_monic(z, &QQ);
    if ax < high_word_bound(0x3c70_0000) {
        1.0 - x
    } else if x < 0.0 || ax < high_word_bound(0x3fd0_0000) {
        1.0 - (x + x * y)
    } else {
        0.5 - (x - 0.5 + x * y)
    }
}

/// [`erfc_fast`] for [`ERFC_NEAR_LIMIT`] ≤ |x| < [`ERFC_MIDDLE_LIMIT`].
#[inline(always)]
pub(crate) fn erfc_middle(x: f64) -> f64 {
    let s = x.abs() - 1.0;
    let upper = 1.0 - ERX - horner(s, &PA) / horner_monic(s, &QA);
    if x < 0.0 { 2.0 - upper } else { upper }
}

/// [`erfc_fast`] for [`ERFC_MIDDLE_LIMIT`] ≤ |x| < [`ERFC_FAST_LIMIT`] (finite, and clamped to
/// that range, for any other x, whose result is then not `libm`'s).
#[inline(always)]
pub(crate) fn erfc_tail(x: f64) -> f64 {
    // On a clamped copy so that lanes of the other ranges stay finite.
    let at = x.abs().clamp(1.25, ERFC_FAST_LIMIT);
    let inner = at < high_word_bound(0x4006_db6d);
    let s = 1.0 / (at * at);
    let mut r = [0.0; 8];
    let mut q = [0.0; 8];
    for i in 0..8 {
        r[i] = if inner { RA[i] } else { RB[i] };
        q[i] = if inner { SA[i] } else { SB[i] };
    }
    let ratio = horner(s, &r) / horner_monic(s, &q);
    let zt = f64::from_bits(at.to_bits() & 0xffff_ffff_0000_0000);
    let upper = exp_fast(-zt * zt - 0.5625) * exp_fast((zt - at) * (zt + at) + ratio) / at;
    if x < 0.0 { 2.0 - upper } else { upper }
}

/// Whether [`erfc_fast`] (and the three range routines) equal `libm::erfc` at `x`.
#[inline(always)]
pub(crate) fn erfc_is_exact(x: f64) -> bool {
    x.abs() < ERFC_FAST_LIMIT
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(x: f64) {
        let mut lanes = Lanes::default();
        let exp = lanes.exp(x);
        if lanes.exact {
            assert_eq!(exp.to_bits(), libm::exp(x).to_bits(), "exp({x:e})");
        }
        let mut lanes = Lanes::default();
        let erfc = lanes.erfc(x);
        if lanes.exact {
            assert_eq!(erfc.to_bits(), libm::erfc(x).to_bits(), "erfc({x:e})");
        }
        let mut lanes = Lanes::default();
        let ln = lanes.ln(x.abs());
        if lanes.exact {
            assert_eq!(ln.to_bits(), libm::log(x.abs()).to_bits(), "ln({x:e})");
        }
    }

    /// Every range boundary of the three routines, and its neighbours.
    #[test]
    fn ports_equal_libm_at_the_range_boundaries() {
        let boundaries = [
            0.0,
            2f64.powi(-56),
            2f64.powi(-28),
            0.25,
            0.346_573_590_279_972_65,
            0.84375,
            1.0,
            1.039_720_770_839_917_9,
            1.25,
            1.0 / 0.35,
            2.0,
            26.5,
            28.0,
            700.0,
            708.0,
            708.396_418_532_264_1,
            709.78,
            f64::MIN_POSITIVE,
            1.0 + f64::EPSILON,
        ];
        for b in boundaries {
            let mut x = b;
            for _ in 0..64 {
                for v in [x, -x] {
                    check(v);
                }
                x = f64::from_bits(x.to_bits() + 1);
            }
            let mut x = b;
            for _ in 0..64 {
                for v in [x, -x] {
                    check(v);
                }
                x = f64::from_bits(x.to_bits().saturating_sub(1));
            }
        }
    }

    /// The fast range covers what options need, and what it does not cover is flagged.
    #[test]
    fn fast_ranges_and_flags() {
        let mut lanes = Lanes::default();
        lanes.exp(700.0);
        lanes.erfc(-26.0);
        lanes.ln(1e-300);
        assert!(lanes.exact);
        for bad in [f64::NAN, 709.0, -745.0] {
            let mut lanes = Lanes::default();
            lanes.exp(bad);
            assert!(!lanes.exact, "exp({bad})");
        }
        for bad in [f64::NAN, 27.0, -1e300] {
            let mut lanes = Lanes::default();
            lanes.erfc(bad);
            assert!(!lanes.exact, "erfc({bad})");
        }
        for bad in [0.0, 1e-310, f64::INFINITY, -1.0, f64::NAN] {
            let mut lanes = Lanes::default();
            lanes.ln(bad);
            assert!(!lanes.exact, "ln({bad})");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn ports_equal_libm_bit_for_bit(
            x in prop_oneof![-40.0..40.0_f64, -800.0..800.0_f64, -1.5..1.5_f64, any::<f64>()],
        ) {
            check(x);
        }
    }
}
