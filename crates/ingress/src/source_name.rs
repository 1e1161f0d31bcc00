//! The names of [`Source`]s as they appear in tape envelopes, configuration and the command
//! line.

use recal_types::Source;

/// The name of `source` in tapes and on the command line.
///
/// ```
/// use recal_ingress::{parse_source, source_name};
/// use recal_types::Source;
/// assert_eq!(source_name(Source::BinanceUsdmFutures), "binance-usdm");
/// assert_eq!(parse_source("binance-usdm"), Some(Source::BinanceUsdmFutures));
/// assert_eq!(parse_source("nasdaq"), None);
/// ```
#[must_use]
pub const fn source_name(source: Source) -> &'static str {
    match source {
        Source::Deribit => "deribit",
        Source::BinanceSpot => "binance-spot",
        Source::BinanceUsdmFutures => "binance-usdm",
        Source::BinanceCoinmFutures => "binance-coinm",
        Source::Pyth => "pyth",
        Source::Recal => "recal",
    }
}

/// The source named `name` (see [`source_name`]), if any.
#[must_use]
pub fn parse_source(name: &str) -> Option<Source> {
    Source::ALL
        .into_iter()
        .find(|&source| source_name(source) == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_round_trips() {
        for source in Source::ALL {
            assert_eq!(parse_source(source_name(source)), Some(source));
        }
    }
}
