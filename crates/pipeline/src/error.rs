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
}
