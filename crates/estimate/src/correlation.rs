//! Exponentially weighted correlation and beta of an underlying against macro series.
//!
//! # Synchronisation
//! The underlying and each macro series tick at their own times. A pair is sampled when the
//! macro series updates (macro series are the slower ones): the underlying's return is taken
//! from its price at the previous sample of that pair to its latest price (previous-tick
//! interpolation), and the macro return over the same interval. With decay factor `f` over the
//! time between samples (measured on the macro series' clock), the pair keeps
//! `S_uu ← f·S_uu + r_u²`, `S_mm ← f·S_mm + r_m²`, `S_um ← f·S_um + r_u·r_m`;
//! correlation is `S_um / √(S_uu·S_mm)` and beta of the underlying on the macro series is
//! `S_um / S_mm`.

use crate::decay::Decay;
use crate::error::EstimateError;
use crate::input::{EventClock, check_price};

/// Identifier of a macro series, as interned by the feed.
pub type SeriesId = u32;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Pair {
    id: SeriesId,
    clock: EventClock,
    /// Levels at the previous sample: (underlying, macro). Underlying is `None` until the
    /// underlying has printed.
    anchor_underlying: Option<f64>,
    anchor_macro: f64,
    s_uu: f64,
    s_mm: f64,
    s_um: f64,
}

/// Correlation and beta of one underlying against every macro series it is fed.
///
/// ```
/// use recal_estimate::{Decay, MacroCorrelation};
/// let mut c = MacroCorrelation::new(Decay::half_life_secs(3600), 4).unwrap();
/// for i in 0..200u64 {
///     let m = 100.0 * (1.0 + 0.001 * ((i * 7 % 13) as f64 - 6.0));
///     c.update_underlying(i * 1_000, m * m / 100.0).unwrap(); // underlying = macro², beta 2
///     c.update_macro(7, i * 1_000 + 1, m).unwrap();
/// }
/// assert!((c.correlation(7).unwrap() - 1.0).abs() < 1e-3);
/// assert!((c.beta(7).unwrap() - 2.0).abs() < 1e-2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MacroCorrelation {
    decay: Decay,
    underlying_clock: EventClock,
    underlying_price: Option<f64>,
    pairs: Vec<Pair>,
}

impl MacroCorrelation {
    /// `expected_series` preallocates room; a new series id allocates only on first sight if
    /// more than that many appear.
    pub fn new(decay: Decay, expected_series: usize) -> Result<Self, EstimateError> {
        Ok(MacroCorrelation {
            decay: decay.validate()?,
            underlying_clock: EventClock::default(),
            underlying_price: None,
            pairs: Vec::with_capacity(expected_series),
        })
    }

    /// Feeds a print of the underlying; on error nothing changes.
    pub fn update_underlying(&mut self, t_ns: u64, price: f64) -> Result<(), EstimateError> {
        let price = check_price(price)?;
        self.underlying_clock.advance(t_ns)?;
        self.underlying_price = Some(price);
        Ok(())
    }

    /// Feeds a level of macro series `id` (finite, > 0); on error nothing changes.
    pub fn update_macro(
        &mut self,
        id: SeriesId,
        t_ns: u64,
        level: f64,
    ) -> Result<(), EstimateError> {
        let level = check_price(level)?;
        let underlying = self.underlying_price;
        let Some(pair) = self.pairs.iter_mut().find(|p| p.id == id) else {
            let mut clock = EventClock::default();
            clock.advance(t_ns)?;
            self.pairs.push(Pair {
                id,
                clock,
                anchor_underlying: underlying,
                anchor_macro: level,
                s_uu: 0.0,
                s_mm: 0.0,
                s_um: 0.0,
            });
            return Ok(());
        };
        let dt_ns = pair.clock.advance(t_ns)?.unwrap_or(0);
        if let (Some(u0), Some(u1)) = (pair.anchor_underlying, underlying) {
            let r_u = (u1 / u0).ln();
            let r_m = (level / pair.anchor_macro).ln();
            let f = self.decay.factor(dt_ns);
            pair.s_uu = f * pair.s_uu + r_u * r_u;
            pair.s_mm = f * pair.s_mm + r_m * r_m;
            pair.s_um = f * pair.s_um + r_u * r_m;
        }
        pair.anchor_underlying = underlying;
        pair.anchor_macro = level;
        Ok(())
    }

    fn pair(&self, id: SeriesId) -> Option<&Pair> {
        self.pairs.iter().find(|p| p.id == id)
    }

    /// EWMA correlation with series `id`, `None` until both sides have moved.
    pub fn correlation(&self, id: SeriesId) -> Option<f64> {
        let p = self.pair(id)?;
        let denom = (p.s_uu * p.s_mm).sqrt();
        (denom > 0.0).then(|| (p.s_um / denom).clamp(-1.0, 1.0))
    }

    /// EWMA beta of the underlying on series `id`, `None` until the series has moved.
    pub fn beta(&self, id: SeriesId) -> Option<f64> {
        let p = self.pair(id)?;
        (p.s_mm > 0.0).then(|| p.s_um / p.s_mm)
    }

    /// Ids of the series seen so far, in order of first appearance.
    pub fn series(&self) -> impl Iterator<Item = SeriesId> + '_ {
        self.pairs.iter().map(|p| p.id)
    }
}
