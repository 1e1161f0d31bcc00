//! Per-instrument sequence continuity of incremental streams (order-book changes).

use recal_types::InstrumentId;

/// Where an instrument's incremental stream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Continuity {
    /// Nothing applied yet.
    #[default]
    Unknown,
    /// Applied through this sequence number.
    Live(u64),
    /// A gap was seen; changes are refused until the next snapshot.
    Stale,
}

/// Continuity per instrument, indexed by instrument id.
#[derive(Debug, Clone, Default)]
pub(crate) struct BookSequences {
    states: Vec<Continuity>,
}

impl BookSequences {
    pub(crate) fn get(&self, instrument: InstrumentId) -> Continuity {
        usize::try_from(instrument.0)
            .ok()
            .and_then(|index| self.states.get(index))
            .copied()
            .unwrap_or_default()
    }

    /// Records the new state; grows the table (an allocation) only for a newly seen instrument.
    pub(crate) fn set(&mut self, instrument: InstrumentId, state: Continuity) {
        let Ok(index) = usize::try_from(instrument.0) else {
            return;
        };
        if index >= self.states.len() {
            self.states.resize(index + 1, Continuity::Unknown);
        }
        self.states[index] = state;
    }
}
