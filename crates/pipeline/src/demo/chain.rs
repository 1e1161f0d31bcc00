//! The demo's option chain: Deribit BTC options quoted on a smile over the regime's
//! volatility, as `ticker` notifications.

use recal_greeks::normal_cdf;

use super::DemoConfig;
use super::price::Tick;

/// Expiries of the chain, days after the demo's start (Deribit expires at 08:00 UTC).
const EXPIRY_DAYS: [u64; 4] = [7, 30, 60, 90];
/// Strike spacing, as a fraction of the opening price.
const STRIKE_STEP: f64 = 0.02;
const SECONDS_PER_DAY: u64 = 86_400;
const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;

/// One listed option.
#[derive(Debug, Clone)]
struct Listed {
    name: String,
    strike: f64,
    expiry_seconds: u64,
    call: bool,
}

/// The listed options, in quoting order (expiry, strike, call then put).
#[derive(Debug, Clone)]
pub struct OptionChain {
    start_seconds: u64,
    options: Vec<Listed>,
}

impl OptionChain {
    /// The chain of `config` ([`DemoConfig::options`] options; none when 0).
    #[must_use]
    pub fn new(config: &DemoConfig) -> Self {
        let per_expiry_side = config.options / (2 * EXPIRY_DAYS.len());
        let mut options = Vec::with_capacity(per_expiry_side * 2 * EXPIRY_DAYS.len());
        let day_start = config.start_unix_seconds - config.start_unix_seconds % SECONDS_PER_DAY;
        for days in EXPIRY_DAYS {
            let expiry_seconds = day_start + days * SECONDS_PER_DAY + 8 * 3_600;
            let label = expiry_label(expiry_seconds);
            for index in 0..per_expiry_side {
                let offset = index as f64 - (per_expiry_side / 2) as f64;
                let strike =
                    (config.start_price * (1.0 + STRIKE_STEP * offset) / 500.0).round() * 500.0;
                for call in [true, false] {
                    let kind = if call { 'C' } else { 'P' };
                    options.push(Listed {
                        name: format!("BTC-{label}-{strike:.0}-{kind}"),
                        strike,
                        expiry_seconds,
                        call,
                    });
                }
            }
        }
        Self {
            start_seconds: config.start_unix_seconds,
            options,
        }
    }

    /// Options in the chain.
    #[must_use]
    pub fn len(&self) -> usize {
        self.options.len()
    }

    /// The Deribit `ticker` notification of option `index` at `ms`, priced off `tick`.
    #[must_use]
    pub fn ticker(&self, index: usize, ms: u64, tick: &Tick) -> Vec<u8> {
        let option = &self.options[index % self.options.len()];
        let now_seconds = self.start_seconds + tick.second + 1;
        let years =
            option.expiry_seconds.saturating_sub(now_seconds).max(60) as f64 / SECONDS_PER_YEAR;
        let forward = tick.price;
        let moneyness = (option.strike / forward).ln();
        // Put skew and convexity around the second's volatility.
        let iv =
            (tick.vol * (1.0 - 0.6 * moneyness + 2.0 * moneyness * moneyness)).clamp(0.05, 4.0);
        let price_usd = black76(forward, option.strike, iv, years, option.call);
        let mark_price = (price_usd / forward).max(0.0001);
        let (bid_iv, ask_iv) = (iv * 0.98, iv * 1.02);
        let name = &option.name;
        let (mark, bid, ask) = (iv * 100.0, bid_iv * 100.0, ask_iv * 100.0);
        format!(
            r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"ticker.{name}.100ms","data":{{"timestamp":{ms},"state":"open","open_interest":100.0,"mark_price":{mark_price:.4},"mark_iv":{mark:.2},"instrument_name":"{name}","index_price":{forward:.2},"greeks":{{"delta":0.5,"vega":10.0}},"bid_iv":{bid:.2},"ask_iv":{ask:.2},"underlying_price":{forward:.2}}}}}}}"#
        )
        .into_bytes()
    }
}

/// Deribit's expiry label, `28JUN24`.
fn expiry_label(unix_seconds: u64) -> String {
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let days = (unix_seconds / SECONDS_PER_DAY) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{day}{}{:02}", MONTHS[(month - 1) as usize], year % 100)
}

/// Black-76 price of a call or put on `forward`.
fn black76(forward: f64, strike: f64, vol: f64, years: f64, call: bool) -> f64 {
    let deviation = vol * years.sqrt();
    let d1 = ((forward / strike).ln() + 0.5 * deviation * deviation) / deviation;
    let d2 = d1 - deviation;
    let call_price = forward * normal_cdf(d1) - strike * normal_cdf(d2);
    if call {
        call_price
    } else {
        call_price - forward + strike
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_labels_are_deribits() {
        // 2024-06-28 08:00 UTC and 2025-01-03 08:00 UTC.
        assert_eq!(expiry_label(1_719_561_600), "28JUN24");
        assert_eq!(expiry_label(1_735_891_200), "3JAN25");
    }
}
