//! Building the five stages from a configuration.

use recal_emit::{Address, Emitter, Secp256k1Signer, Verifier, eip712};
use recal_feed::{Decoder, NameRole};
use recal_trigger::TriggerStage;
use recal_types::{MarketId, Nonce, Source};

use crate::chain::VerifierModel;
use crate::config::PipelineConfig;
use crate::decode::DecodeStage;
use crate::emit::EmitStage;
use crate::error::BuildError;
use crate::estimate::EstimateStage;
use crate::greeks::{GreeksSettings, GreeksStage, Route};
use crate::trigger::TriggerAdapter;
use crate::worker::Stages;

/// Builds every stage for `config`'s markets, and each market's route. Market, price and
/// collateral names are registered in the decoder's instrument table, and each market's id is
/// its protocol market's instrument id.
///
/// # Errors
/// A [`BuildError`] naming the invalid part of the configuration.
pub fn build(config: &PipelineConfig) -> Result<(Stages, Vec<Route>), BuildError> {
    let mut decoder = Decoder::new(config.decoder);
    let mut routes = Vec::with_capacity(config.markets.len());
    for spec in &config.markets {
        let table = decoder.instruments_mut();
        let mut register = |source, name: &str, role| {
            table
                .register(source, name, role)
                .map_err(|source| BuildError::Instrument {
                    market: spec.market.clone(),
                    source,
                })
        };
        let market_instrument = register(Source::Recal, &spec.market, NameRole::ProtocolMarket)?;
        routes.push(Route {
            market: MarketId(market_instrument.0),
            market_instrument,
            price_instrument: register(
                spec.price_source,
                &spec.price_instrument,
                NameRole::Tradable,
            )?,
            collateral_asset: register(
                Source::Recal,
                &spec.collateral_asset,
                NameRole::CollateralAsset,
            )?,
        });
    }

    let signer = Secp256k1Signer::from_bytes(&config.signing_key)?;
    let domain = eip712::domain(config.chain_id, Address::from(config.verifying_contract));
    let mut verifier = Verifier::new(
        domain.clone(),
        [signer.address()],
        Address::from(config.guardian),
    );
    let mut emitter = Emitter::new(signer, domain, config.timing);
    let mut triggers = Vec::with_capacity(routes.len());
    for (spec, route) in config.markets.iter().zip(&routes) {
        verifier.register_market(route.market, spec.start, spec.guardrails.clone());
        emitter.resume_market(route.market, Nonce(1), spec.start);
        triggers.push(TriggerStage::new(
            route.market,
            spec.start,
            spec.guardrails.clone(),
            config.timing,
            config.trigger,
        )?);
    }

    let prices: Vec<_> = routes.iter().map(|r| r.price_instrument).collect();
    let stages = Stages {
        decode: DecodeStage::new(decoder),
        estimate: EstimateStage::new(&prices, &config.estimator, config.fallback_vol)?,
        greeks: GreeksStage::new(
            &routes,
            GreeksSettings {
                margin: config.margin.clone(),
                refresh_budget: config.refresh_budget,
                solvency: config.solvency,
                solvency_interval_ns: config.solvency_interval_ns,
            },
        ),
        trigger: TriggerAdapter::new(triggers),
        emit: EmitStage::new(emitter),
        chain: VerifierModel::new(verifier),
    };
    Ok((stages, routes))
}
