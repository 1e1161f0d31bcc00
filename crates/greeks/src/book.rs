//! An incrementally repriced book of Black-76 options with net exposures per underlying.
//!
//! Only instruments whose inputs or position changed since the last [`PricedBook::recompute`]
//! are repriced. Net exposures are kept per underlying in a pairwise-summation tree over the
//! instruments' contributions: updating one instrument costs O(log n) additions, and because the
//! sum of a tree depends only on its leaves (never on the order of updates), the incremental
//! totals equal a from-scratch recomputation bit for bit. That keeps replays deterministic no
//! matter how ticks were batched.

use std::collections::BTreeMap;
use std::ops::Add;

use crate::black::{Black76Inputs, BsmInputs, Greeks, price_valid, validate};
use crate::error::{GreeksError, InputError, finite};

/// Signed sums of position × Greek over the instruments of one underlying.
///
/// Units are the instrument Greeks' (see [`Greeks`]) times the position's units: `delta` in units
/// of the underlying (forward) per position unit, `vega` per 1.00 of volatility, `rho` per 1.00
/// of rate.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NetExposure {
    /// Σ position × delta.
    pub delta: f64,
    /// Σ position × gamma.
    pub gamma: f64,
    /// Σ position × vega.
    pub vega: f64,
    /// Σ position × rho.
    pub rho: f64,
}

impl Add for NetExposure {
    type Output = NetExposure;

    fn add(self, other: NetExposure) -> NetExposure {
        NetExposure {
            delta: self.delta + other.delta,
            gamma: self.gamma + other.gamma,
            vega: self.vega + other.vega,
            rho: self.rho + other.rho,
        }
    }
}

impl NetExposure {
    /// The exposure of `position` units of an instrument with `greeks`.
    fn of(position: f64, greeks: &Greeks) -> NetExposure {
        NetExposure {
            delta: position * greeks.delta,
            gamma: position * greeks.gamma,
            vega: position * greeks.vega,
            rho: position * greeks.rho,
        }
    }

    fn is_finite(&self) -> bool {
        [self.delta, self.gamma, self.vega, self.rho]
            .iter()
            .all(|v| v.is_finite())
    }
}

/// A complete binary tree of partial sums over a power-of-two number of leaves (unused leaves
/// are zero, and x + 0 = x exactly, so the capacity does not change the total).
#[derive(Debug, Clone, Default)]
struct SumTree {
    /// `nodes[1]` is the root, node i has children 2i and 2i + 1, leaves start at `capacity`.
    nodes: Vec<NetExposure>,
    capacity: usize,
    leaves: usize,
}

impl SumTree {
    /// Adds a zero leaf and returns its index.
    fn push(&mut self) -> usize {
        if self.leaves == self.capacity {
            let capacity = (2 * self.capacity).max(1);
            let mut nodes = vec![NetExposure::default(); 2 * capacity];
            nodes[capacity..capacity + self.leaves]
                .copy_from_slice(&self.nodes[self.capacity..self.capacity + self.leaves]);
            for i in (1..capacity).rev() {
                nodes[i] = nodes[2 * i] + nodes[2 * i + 1];
            }
            self.nodes = nodes;
            self.capacity = capacity;
        }
        self.leaves += 1;
        self.leaves - 1
    }

    /// Sets a leaf and updates the partial sums on its path to the root.
    fn set(&mut self, leaf: usize, value: NetExposure) {
        let mut i = self.capacity + leaf;
        self.nodes[i] = value;
        while i > 1 {
            i /= 2;
            self.nodes[i] = self.nodes[2 * i] + self.nodes[2 * i + 1];
        }
    }

    fn total(&self) -> NetExposure {
        self.nodes.get(1).copied().unwrap_or_default()
    }
}

/// One instrument of the book.
#[derive(Debug, Clone)]
struct Entry {
    inputs: Black76Inputs,
    position: f64,
    underlying: u32,
    leaf: usize,
    /// Results of the last pricing; `None` until the first [`PricedBook::recompute`].
    greeks: Option<Greeks>,
    dirty: bool,
}

/// A book of Black-76 options with signed positions, repriced incrementally.
///
/// Instruments are added once and keep their index; a closed position is a position of 0.
/// Readouts ([`PricedBook::greeks`], [`PricedBook::net_exposure`]) reflect the last
/// [`PricedBook::recompute`].
///
/// ```
/// use recal_greeks::{Black76Inputs, OptionKind, PricedBook};
/// let call = Black76Inputs { kind: OptionKind::Call, forward: 100.0, strike: 100.0, time: 0.25, rate: 0.0, vol: 0.6 };
/// let mut book = PricedBook::new();
/// let long_call = book.add(7, call, 10.0)?;
/// book.add(7, Black76Inputs { kind: OptionKind::Put, ..call }, 10.0)?;
/// assert_eq!(book.recompute()?, 2);
/// // Black-76 straddle at the forward: Δ = N(d₁) − N(−d₁) with d₁ = σ√T/2 = 0.15.
/// let expected = 10.0 * (2.0 * recal_greeks::normal_cdf(0.15) - 1.0);
/// assert!((book.net_exposure(7).delta - expected).abs() < 1e-12);
/// book.set_inputs(long_call, Black76Inputs { forward: 120.0, ..call })?;
/// assert_eq!(book.recompute()?, 1); // only the changed call is repriced
/// assert!(book.net_exposure(7).delta > expected);
/// # Ok::<(), recal_greeks::GreeksError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct PricedBook {
    entries: Vec<Entry>,
    /// Indices of dirty entries, each at most once.
    dirty: Vec<usize>,
    /// Net exposure trees keyed by underlying id.
    underlyings: BTreeMap<u32, SumTree>,
}

impl PricedBook {
    /// An empty book.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of instruments.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the book holds no instrument.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of instruments waiting to be repriced.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.dirty.len()
    }

    /// Adds an option on `underlying` with a signed `position` (positive = long, in contracts of
    /// one unit of the underlying) and returns its index. It is priced at the next
    /// [`PricedBook::recompute`].
    ///
    /// # Errors
    /// [`GreeksError::Instrument`] (with the index it would have had) for invalid inputs or a
    /// non-finite position; the book is then unchanged.
    pub fn add(
        &mut self,
        underlying: u32,
        inputs: Black76Inputs,
        position: f64,
    ) -> Result<usize, GreeksError> {
        let index = self.entries.len();
        check_entry(&inputs, position)
            .map_err(|source| GreeksError::Instrument { index, source })?;
        let leaf = self.underlyings.entry(underlying).or_default().push();
        self.entries.push(Entry {
            inputs,
            position,
            underlying,
            leaf,
            greeks: None,
            dirty: true,
        });
        self.dirty.push(index);
        Ok(index)
    }

    /// Replaces the inputs of instrument `index`; it is marked for repricing only if they differ.
    ///
    /// # Errors
    /// [`GreeksError::UnknownInstrument`], or [`GreeksError::Instrument`] for invalid inputs (the
    /// book is then unchanged).
    pub fn set_inputs(&mut self, index: usize, inputs: Black76Inputs) -> Result<(), GreeksError> {
        let position = self.entry(index)?.position;
        self.update(index, inputs, position)
    }

    /// Replaces the position of instrument `index`; it is marked for repricing only if it differs.
    ///
    /// # Errors
    /// [`GreeksError::UnknownInstrument`], or [`GreeksError::Instrument`] for a non-finite
    /// position (the book is then unchanged).
    pub fn set_position(&mut self, index: usize, position: f64) -> Result<(), GreeksError> {
        let inputs = self.entry(index)?.inputs;
        self.update(index, inputs, position)
    }

    /// Reprices every changed instrument and updates the net exposures of their underlyings.
    /// Returns the number of instruments repriced.
    ///
    /// # Errors
    /// [`GreeksError::Instrument`] naming an instrument whose price, Greeks or exposure overflowed.
    /// Instruments processed before it are updated; it and the rest stay pending.
    pub fn recompute(&mut self) -> Result<usize, GreeksError> {
        let mut repriced = 0;
        while let Some(&index) = self.dirty.last() {
            let entry = &mut self.entries[index];
            let exposure = price_valid(&BsmInputs::from(entry.inputs)).and_then(|greeks| {
                let exposure = NetExposure::of(entry.position, &greeks);
                if exposure.is_finite() {
                    Ok((greeks, exposure))
                } else {
                    Err(InputError::Overflow)
                }
            });
            let (greeks, exposure) =
                exposure.map_err(|source| GreeksError::Instrument { index, source })?;
            entry.greeks = Some(greeks);
            entry.dirty = false;
            if let Some(tree) = self.underlyings.get_mut(&entry.underlying) {
                tree.set(entry.leaf, exposure);
            }
            self.dirty.pop();
            repriced += 1;
        }
        Ok(repriced)
    }

    /// Price and Greeks of instrument `index` as of the last [`PricedBook::recompute`]; `None`
    /// if it does not exist or was never priced.
    #[must_use]
    pub fn greeks(&self, index: usize) -> Option<Greeks> {
        self.entries.get(index)?.greeks
    }

    /// Net exposure of all instruments on `underlying` as of the last
    /// [`PricedBook::recompute`] (zero for an unknown underlying).
    #[must_use]
    pub fn net_exposure(&self, underlying: u32) -> NetExposure {
        self.underlyings
            .get(&underlying)
            .map(SumTree::total)
            .unwrap_or_default()
    }

    fn entry(&self, index: usize) -> Result<&Entry, GreeksError> {
        self.entries
            .get(index)
            .ok_or(GreeksError::UnknownInstrument { index })
    }

    /// Stores new inputs and position for an existing entry, marking it dirty if they changed.
    fn update(
        &mut self,
        index: usize,
        inputs: Black76Inputs,
        position: f64,
    ) -> Result<(), GreeksError> {
        check_entry(&inputs, position)
            .map_err(|source| GreeksError::Instrument { index, source })?;
        let entry = &mut self.entries[index];
        if entry.inputs != inputs || entry.position != position {
            entry.inputs = inputs;
            entry.position = position;
            if !entry.dirty {
                entry.dirty = true;
                self.dirty.push(index);
            }
        }
        Ok(())
    }
}

/// Validates an instrument's inputs and position.
fn check_entry(inputs: &Black76Inputs, position: f64) -> Result<(), InputError> {
    validate(&BsmInputs::from(*inputs))?;
    finite("position", position)?;
    Ok(())
}
