//! The benchmark's input: the demo market's messages, generated once, and the feeder thread's
//! placement.

use std::collections::HashSet;

use recal::pipeline::demo::{self, DemoConfig, DemoMessage};

/// Seconds of event time pushed as warm-up, closed loop, before the measured part: the
/// protocol's opening book (every account's position and collateral) and the first minute,
/// in which stage 3 builds its account books and indexes.
const WARM_UP_SECONDS: u64 = 60;

/// The messages every contender is fed, in order.
#[derive(Debug)]
pub struct Load {
    messages: Vec<DemoMessage>,
    warm_up: usize,
    instruments: usize,
}

impl Load {
    /// Generates the demo market of `config`.
    pub fn generate(config: &DemoConfig) -> Self {
        let messages = demo::generate(config);
        let instruments = 1 + demo_options(&messages);
        let warm_up_end = config.start().as_nanos() + WARM_UP_SECONDS * 1_000_000_000;
        let warm_up = messages.partition_point(|m| m.time.as_nanos() < warm_up_end);
        Self {
            messages,
            warm_up,
            instruments,
        }
    }

    /// All messages.
    pub fn messages(&self) -> &[DemoMessage] {
        &self.messages
    }

    /// The warm-up: the opening book and the first minute.
    pub fn warm_up(&self) -> &[DemoMessage] {
        &self.messages[..self.warm_up]
    }

    /// The measured part, after the warm-up.
    pub fn measured(&self) -> &[DemoMessage] {
        &self.messages[self.warm_up..]
    }

    /// Messages in the load.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Venue instruments quoted (the perpetual and the options).
    pub const fn instruments(&self) -> usize {
        self.instruments
    }
}

/// Distinct Deribit channels in `messages` (one per option).
fn demo_options(messages: &[DemoMessage]) -> usize {
    messages
        .iter()
        .filter(|m| m.source == recal::types::Source::Deribit)
        .filter_map(|m| {
            let text = std::str::from_utf8(&m.bytes).ok()?;
            let start = text.find("\"channel\":\"")? + 11;
            let end = start + text[start..].find('"')?;
            Some(&text[start..end])
        })
        .collect::<HashSet<_>>()
        .len()
}

/// Pins the calling thread (the feeder) to core 0 when the machine reports its cores, so the
/// stage threads of `auto` (cores 1 and up) do not share it; returns the number of cores.
pub fn pin_feeder() -> usize {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    if let Some(first) = cores.first() {
        core_affinity::set_for_current(*first);
    }
    cores.len().max(1)
}
