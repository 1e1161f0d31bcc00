//! Configuration of an [`Engine`](crate::Engine), in code or from a TOML file.
//!
//! [`Config::default_toml`] prints the whole file with every key documented (meaning, unit and
//! default); [`Config::from_toml_str`] and [`Config::load`] read one back. Every key may be
//! omitted and then takes its default; an unknown key, a value of the wrong type or out of its
//! range is refused with an error naming the key.

mod file;
mod render;

use std::path::{Path, PathBuf};

use recal_pipeline::{PipelineConfig, Placement, RingOptions};

use crate::stats::StatsOptions;
use file::ConfigFile;
use render::Section as _;

/// Everything an [`Engine`](crate::Engine) is built from. A plain struct whose
/// [`Default`] is documented field by field.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Thread placement of the stages \[[`Placement::Fused`]\]: `Fused` runs every stage on
    /// the pushing thread; `Auto` moves them to other cores (on this 2-core machine, all five
    /// on core 1); `Pinned` gives each stage a core; `Cores` maps stages to cores.
    pub placement: Placement,
    /// Rings between stage threads (threaded placements only) \[4096 slots, blocking
    /// backpressure\].
    pub rings: RingOptions,
    /// Markets and the settings of every stage \[[`PipelineConfig::default`]: the BTC perpetual
    /// on Binance USDⓈ-M prices with USDC collateral, default estimator, margin, trigger and
    /// guardrail settings, a 1 800 s time-lock and a fixed demo signing key\].
    pub pipeline: PipelineConfig,
    /// The live metrics snapshot for `recal stats` \[off\].
    pub stats: StatsOptions,
    /// The file `pipeline.signing_key` was read from \[none: the demo key\]. Kept so that
    /// [`Config::to_toml`] can name it; the key itself is never written out.
    pub signing_key_file: Option<PathBuf>,
}

/// A configuration that cannot be read or is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The text is not valid TOML, has an unknown key or a value of the wrong type.
    #[error("invalid `{key}`: {error}")]
    Parse {
        /// Path of the offending key in the file (`decoder.max_message_bytes`), as far as
        /// it can be told from the text.
        key: String,
        /// The parser's message, which quotes the offending line.
        error: toml::de::Error,
    },
    /// A value is out of its range.
    #[error("invalid `{key}`: {reason}")]
    Invalid {
        /// Path of the key in the file (`markets[0].start.initial_margin_ppm`).
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value set in code has no TOML form (an integer beyond 64 bits).
    #[error("cannot write the configuration as TOML: {0}")]
    Unrepresentable(#[from] toml::ser::Error),
    /// The signing key file could not be used.
    #[error("emitter.key_file: {0}")]
    SigningKey(#[from] recal_emit::KeyError),
}

/// Something legal in a configuration that its user should know about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConfigWarning {
    /// Proposals are signed with the publicly known demo key.
    #[error(
        "proposals are signed with the publicly known demo key; set emitter.key_file to a \
         private key file (mode 600) outside demos"
    )]
    DemoSigningKey,
}

impl Config {
    /// Reads a configuration from TOML text; relative paths in it are taken from the current
    /// directory, and the signing key file, if any, is read.
    ///
    /// ```
    /// let config = recal::Config::from_toml_str("placement = \"auto\"\n[rings]\ncapacity = 1024").unwrap();
    /// assert_eq!(config.placement, recal::Placement::Auto);
    /// assert_eq!(config.rings.capacity, 1024);
    /// assert!(recal::Config::from_toml_str("[rings]\ncapacty = 1024").is_err());
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] naming the offending key.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        Self::parse(text, None)
    }

    /// Reads the configuration file at `path`; relative paths in it are taken from the file's
    /// directory.
    ///
    /// # Errors
    /// [`ConfigError::Read`] when the file cannot be read, otherwise as
    /// [`Config::from_toml_str`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path.parent())
    }

    fn parse(text: &str, base: Option<&Path>) -> Result<Self, ConfigError> {
        toml::from_str::<ConfigFile>(text)
            .map_err(|error| ConfigError::Parse {
                key: error
                    .span()
                    .map(|span| key_at(text, span.start))
                    .unwrap_or_default(),
                error,
            })?
            .resolve(base)
    }

    /// The whole default configuration as TOML, with a comment above every key giving its
    /// meaning, unit and default: the starting point of a configuration file.
    #[must_use]
    pub fn default_toml() -> String {
        Self::default()
            .to_toml()
            .expect("the default configuration has a TOML form (tested)")
    }

    /// This configuration as TOML, documented like [`Config::default_toml`]; reading it back
    /// gives the same configuration. The signing key is referred to by its file only.
    ///
    /// # Errors
    /// [`ConfigError::Unrepresentable`] for an integer beyond TOML's 64-bit range.
    pub fn to_toml(&self) -> Result<String, ConfigError> {
        let file = toml::Table::try_from(ConfigFile::from(self))?;
        let defaults = toml::Table::try_from(ConfigFile::default())?;
        Ok(render::render(&file, &defaults, ConfigFile::FIELDS))
    }

    /// What a user of this configuration should be warned about.
    #[must_use]
    pub fn warnings(&self) -> Vec<ConfigWarning> {
        let mut warnings = Vec::new();
        if self.pipeline.signing_key == PipelineConfig::default().signing_key {
            warnings.push(ConfigWarning::DemoSigningKey);
        }
        warnings
    }
}

/// The path of the key written at byte `offset` of `text`: the last table header above it
/// (`[[markets]]` counted into `markets[i]`) joined with the key of its line.
fn key_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
    let line = text[line_start..].lines().next().unwrap_or_default().trim();
    let header = |line: &str| -> Option<String> {
        let array = line
            .strip_prefix("[[")
            .and_then(|rest| rest.split("]]").next());
        let table = line
            .strip_prefix('[')
            .and_then(|rest| rest.split(']').next());
        array
            .map(|name| format!("[[{}]]", name.trim()))
            .or_else(|| table.map(|name| name.trim().to_owned()))
    };
    if let Some(name) = header(line) {
        return name
            .trim_start_matches("[[")
            .trim_end_matches("]]")
            .to_owned();
    }
    let key = line.split('=').next().unwrap_or_default().trim();
    let above = &text[..line_start];
    let table = above.lines().rev().find_map(|line| header(line.trim()));
    match table {
        None => key.to_owned(),
        Some(array) if array.starts_with("[[") => {
            let index = above
                .lines()
                .filter(|line| header(line.trim()).as_ref() == Some(&array))
                .count();
            let name = array.trim_start_matches("[[").trim_end_matches("]]");
            format!("{name}[{}].{key}", index.saturating_sub(1))
        }
        Some(table) => format!("{table}.{key}"),
    }
}

#[cfg(test)]
mod tests;
