//! The demo's price path: GARCH(1,1) volatility clustering with a regime switch into a crash,
//! and the book depth that drains with it.

use super::DemoConfig;
use super::rng::SplitMix64;

/// Seconds per year (365.25 days), to turn annual volatilities into per-second variances.
const SECONDS_PER_YEAR: f64 = 365.25 * 86_400.0;
/// GARCH reaction to the last squared return.
const ALPHA: f64 = 0.06;
/// GARCH persistence of the variance (α + β = 0.99: a shock's half-life is about 70 s).
const BETA: f64 = 0.93;

/// One second of the path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tick {
    /// Seconds since the start.
    pub second: u64,
    /// Price at the end of the second.
    pub price: f64,
    /// Book depth relative to calm (1 = calm, smaller = drained).
    pub depth_scale: f64,
    /// The GARCH volatility of the second, annualised.
    pub vol: f64,
}

/// Market regime of a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Regime {
    Calm,
    Crash,
    Recovery,
}

/// The per-second price path of `config`, one tick per second.
pub fn path(config: &DemoConfig, rng: &mut SplitMix64) -> Vec<Tick> {
    let total = config.calm_seconds + config.crash_seconds + config.recovery_seconds;
    let per_second = |annual_vol: f64| annual_vol * annual_vol / SECONDS_PER_YEAR;
    let mut variance = per_second(config.calm_vol);
    let mut price = config.start_price;
    let mut last_return = 0.0;
    let mut ticks = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for second in 0..total {
        let regime = regime(config, second);
        let (target_vol, drift) = match regime {
            Regime::Calm => (config.calm_vol, 0.0),
            Regime::Crash => (
                config.crash_vol,
                (1.0 + config.crash_move).ln() / config.crash_seconds as f64,
            ),
            Regime::Recovery => (
                config.calm_vol * 1.5,
                (1.0 + config.recovery_move).ln() / config.recovery_seconds as f64,
            ),
        };
        if second == config.calm_seconds {
            // The crash opens with a volatility burst.
            variance = per_second(config.crash_vol);
        }
        let omega = per_second(target_vol) * (1.0 - ALPHA - BETA);
        variance = omega + ALPHA * last_return * last_return + BETA * variance;
        last_return = drift + variance.sqrt() * rng.normal();
        price *= last_return.exp();
        ticks.push(Tick {
            second,
            price,
            depth_scale: depth_scale(config, second),
            vol: (variance * SECONDS_PER_YEAR).sqrt(),
        });
    }
    ticks
}

fn regime(config: &DemoConfig, second: u64) -> Regime {
    if second < config.calm_seconds {
        Regime::Calm
    } else if second < config.calm_seconds + config.crash_seconds {
        Regime::Crash
    } else {
        Regime::Recovery
    }
}

/// Depth drains linearly to `crash_depth` through the crash and refills over the first hour
/// of the recovery.
fn depth_scale(config: &DemoConfig, second: u64) -> f64 {
    let floor = config.crash_depth;
    match regime(config, second) {
        Regime::Calm => 1.0,
        Regime::Crash => {
            let progress = (second - config.calm_seconds) as f64 / config.crash_seconds as f64;
            1.0 - (1.0 - floor) * progress
        }
        Regime::Recovery => {
            let since = (second - config.calm_seconds - config.crash_seconds) as f64;
            floor + (1.0 - floor) * (since / 3_600.0).min(1.0)
        }
    }
}
