//! Configuration of an [`Engine`](crate::Engine).

use recal_pipeline::PipelineConfig;

/// How the five stages are placed on threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    /// All five stages run to completion on the caller's thread, per input message
    /// ([`recal_pipeline::Fused`]). The default, and the only placement so far: `pinned` (one
    /// busy-spinning core per stage, joined by `recal-ring` SPSC rings) and `auto` (pin when
    /// there are enough cores, else group adjacent stages) come later.
    #[default]
    Fused,
}

/// Everything an [`Engine`](crate::Engine) is built from. A plain struct whose
/// [`Default`] is documented field by field; loading it from a TOML file comes later.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Thread placement of the stages \[[`Placement::Fused`]\].
    pub placement: Placement,
    /// Markets and the settings of every stage \[[`PipelineConfig::default`]: the BTC perpetual
    /// on Binance USDⓈ-M prices with USDC collateral, default estimator, margin, trigger and
    /// guardrail settings, a 1 800 s time-lock and a fixed demo signing key\].
    pub pipeline: PipelineConfig,
}
