//! Why a pipeline could not be built.

/// A configuration the pipeline cannot run with.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A market, price instrument or collateral asset name is not valid for its source.
    #[error("market {market}: {source}")]
    Instrument {
        /// The market's name.
        market: String,
        /// Why the name was refused.
        source: recal_feed::InstrumentError,
    },
    /// The estimator configuration is invalid.
    #[error("estimator: {0}")]
    Estimate(#[from] recal_estimate::EstimateError),
    /// A market's trigger configuration, guardrails or starting parameters are invalid.
    #[error("trigger stage: {0}")]
    Trigger(#[from] recal_trigger::ConfigError),
    /// The signing key is invalid.
    #[error("signing key: {0}")]
    Key(#[from] recal_emit::KeyError),
    /// A ring capacity that is not a non-zero power of two.
    #[error("ring capacity {0} is not a non-zero power of two")]
    RingCapacity(usize),
    /// A per-ring wait list that does not name every ring of the plan.
    #[error("the wait list names {given} rings, but the placement has {rings}")]
    WaitCount {
        /// Rings of the plan (groups + 1).
        rings: usize,
        /// Strategies given.
        given: usize,
    },
    /// A placement plan whose groups do not cover the five stages in order.
    #[error("the placement's groups do not cover the stages in order")]
    Plan,
    /// A journal of the run could not be opened.
    #[error("journal: {0}")]
    Journal(#[from] recal_journal::JournalError),
    /// A stage thread could not be started.
    #[error("starting a stage thread: {0}")]
    Thread(#[from] std::io::Error),
}
