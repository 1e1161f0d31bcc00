//! Replay: re-run a recorded input journal through the same build, compare every stage's
//! output with the recorded journals, and re-run it with other settings (what-if).

use std::path::Path;

use recal_journal::{JournalError, Reader};
use recal_types::{Event, ParameterSet, Source, Timestamp};

use crate::config::PipelineConfig;
use crate::error::BuildError;
use crate::fused::Fused;
use crate::message::Emitted;
use crate::recorder::{Boundary, JournalMode, JournalOptions, TYPED_EVENT};

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A journal could not be read.
    #[error("{boundary} journal: {source}")]
    Journal {
        /// Which journal.
        boundary: &'static str,
        /// What went wrong.
        source: JournalError,
    },
    /// An input record of an unknown type (not a source code, not a typed event).
    #[error("input record {seq} has unknown type {record_type}")]
    UnknownRecordType {
        /// Its sequence number.
        seq: u64,
        /// Its type.
        record_type: u32,
    },
    /// A typed-event input record whose payload is not an event.
    #[error("input record {seq} is not a 64-byte event")]
    BadEvent {
        /// Its sequence number.
        seq: u64,
    },
    /// The pipeline could not be built from the configuration.
    #[error(transparent)]
    Build(#[from] BuildError),
}

fn journal_error(boundary: Boundary) -> impl Fn(JournalError) -> ReplayError {
    move |source| ReplayError::Journal {
        boundary: boundary.name(),
        source,
    }
}

/// One record of the input journal.
#[derive(Debug, Clone, PartialEq)]
pub enum InputRecord {
    /// Raw bytes from a source.
    Raw {
        /// The source.
        source: Source,
        /// Receive time (latency clock) recorded with it.
        receive_ns: u64,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A typed event pushed by the caller.
    Event(Event),
}

/// Reads the input journal of the run in `run_dir`, calling `each` per record in order.
///
/// # Errors
/// A [`ReplayError`] for an unreadable journal or a record of unknown type.
pub fn read_input(run_dir: &Path, mut each: impl FnMut(InputRecord)) -> Result<u64, ReplayError> {
    let boundary = Boundary::Input;
    let reader = Reader::open(boundary.dir(run_dir))
        .and_then(|reader| reader.expect_schema(&boundary.schema()))
        .map_err(journal_error(boundary))?;
    let mut count = 0;
    for record in reader.iter() {
        let record = record.map_err(journal_error(boundary))?;
        let seq = record.seq;
        let input = if record.record_type == TYPED_EVENT {
            let event = record
                .payload_as::<Event>()
                .map_err(|_| ReplayError::BadEvent { seq })?;
            InputRecord::Event(*event)
        } else {
            let source = u16::try_from(record.record_type)
                .ok()
                .and_then(Source::from_code)
                .ok_or(ReplayError::UnknownRecordType {
                    seq,
                    record_type: record.record_type,
                })?;
            InputRecord::Raw {
                source,
                receive_ns: record.timestamp_ns,
                bytes: record.payload.to_vec(),
            }
        };
        each(input);
        count += 1;
    }
    Ok(count)
}

/// Records in the input journal of `run_dir` (for progress reporting).
///
/// # Errors
/// A [`ReplayError`] for an unreadable journal.
pub fn input_len(run_dir: &Path) -> Result<u64, ReplayError> {
    let boundary = Boundary::Input;
    let reader = Reader::open(boundary.dir(run_dir)).map_err(journal_error(boundary))?;
    reader.end_seq().map_err(journal_error(boundary))
}

/// Runs the input journal of `run_dir` through a fused pipeline built from `config`,
/// returning what stage 5 and the verifier model produced. When `journal_to` is given, the
/// re-run journals every boundary there; `progress` is called with the records done so far.
///
/// # Errors
/// A [`ReplayError`] for an unreadable journal or an invalid configuration.
pub fn rerun(
    run_dir: &Path,
    config: &PipelineConfig,
    journal_to: Option<&Path>,
    mut progress: impl FnMut(u64),
) -> Result<Vec<Emitted>, ReplayError> {
    let mut config = config.clone();
    config.journal = match journal_to {
        Some(dir) => JournalOptions {
            mode: JournalMode::All,
            dir: dir.to_path_buf(),
        },
        None => JournalOptions::default(),
    };
    let mut pipeline = Fused::new(&config)?;
    let mut emitted = Vec::new();
    let mut done = 0;
    read_input(run_dir, |input| {
        match input {
            InputRecord::Raw {
                source,
                receive_ns,
                bytes,
            } => {
                // Rejects are recorded in the journals like everything else.
                let _decoded = pipeline.push_bytes(source, &bytes, receive_ns);
            }
            InputRecord::Event(event) => pipeline.push_event(event),
        }
        emitted.extend(pipeline.drain());
        done += 1;
        if done % 4_096 == 0 {
            progress(done);
        }
    })?;
    progress(done);
    Ok(emitted)
}

/// Where a replay first differs from the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// The boundary whose journals differ.
    pub boundary: Boundary,
    /// Index of the first differing record (0-based) in that journal.
    pub record: u64,
    /// The field whose value differs first, when the record is a message's text.
    pub field: Option<String>,
    /// The recorded record (text), or `None` when the recording ended first.
    pub recorded: Option<String>,
    /// The replayed record (text), or `None` when the replay ended first.
    pub replayed: Option<String>,
}

/// A boundary's comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The boundary.
    pub boundary: Boundary,
    /// Records compared (the shorter journal's length when they differ in length).
    pub records: u64,
    /// The first divergence, if any.
    pub divergence: Option<Divergence>,
    /// Records the replay produced after the recording's last one, every recorded record being
    /// identical: the recording was cut off (a killed run journals its input ahead of what
    /// the later stages had written when it died). Zero for a run that shut down cleanly.
    pub unrecorded: u64,
}

/// Compares every boundary journal present in `recorded_dir` with the same journal in
/// `replayed_dir`, record by record, byte for byte. A recording that is a strict prefix of the
/// replay is not a divergence but a cut-off run ([`Comparison::unrecorded`]); a recording
/// longer than the replay is one.
///
/// # Errors
/// A [`ReplayError`] for an unreadable journal.
pub fn compare(recorded_dir: &Path, replayed_dir: &Path) -> Result<Vec<Comparison>, ReplayError> {
    let mut comparisons = Vec::new();
    for boundary in Boundary::ALL {
        if boundary == Boundary::Input || !boundary.dir(recorded_dir).exists() {
            continue;
        }
        let open = |dir: &Path| {
            Reader::open(boundary.dir(dir))
                .and_then(|reader| reader.expect_schema(&boundary.schema()))
                .map_err(journal_error(boundary))
        };
        let (recorded, replayed) = (open(recorded_dir)?, open(replayed_dir)?);
        let mut left = recorded.iter();
        let mut right = replayed.iter();
        let mut records = 0;
        let mut unrecorded = 0;
        let divergence = loop {
            let a = left.next().transpose().map_err(journal_error(boundary))?;
            let b = right.next().transpose().map_err(journal_error(boundary))?;
            match (a, b) {
                (None, None) => break None,
                (Some(a), Some(b)) if a.payload == b.payload => records += 1,
                (None, Some(_)) => {
                    unrecorded = 1;
                    for record in right.by_ref() {
                        record.map_err(journal_error(boundary))?;
                        unrecorded += 1;
                    }
                    break None;
                }
                (a, b) => {
                    let text = |record: Option<recal_journal::Record<'_>>| {
                        record.map(|record| render(boundary, record.payload))
                    };
                    let (recorded, replayed) = (text(a), text(b));
                    let field = match (&recorded, &replayed) {
                        (Some(a), Some(b)) => first_differing_field(a, b),
                        _ => None,
                    };
                    break Some(Divergence {
                        boundary,
                        record: records,
                        field,
                        recorded,
                        replayed,
                    });
                }
            }
        };
        comparisons.push(Comparison {
            boundary,
            records,
            divergence,
            unrecorded,
        });
    }
    Ok(comparisons)
}

/// A record as text: the event's `Debug` for the events journal, the stored text otherwise.
fn render(boundary: Boundary, payload: &[u8]) -> String {
    if boundary == Boundary::Events
        && let Ok(event) = bytemuck::try_from_bytes::<Event>(payload)
    {
        return format!("{:?}", (event.header(), event.payload()));
    }
    String::from_utf8_lossy(payload).into_owned()
}

/// The name of the field at the first difference of two `Debug` texts: the identifier before
/// the last `": "` ahead of the first differing byte.
#[must_use]
pub fn first_differing_field(a: &str, b: &str) -> Option<String> {
    let at = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.len().min(b.len()));
    let before = a.get(..at)?;
    let colon = before.rfind(": ")?;
    let name_start = before[..colon]
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &before[name_start..colon];
    (!name.is_empty()).then(|| name.to_owned())
}

/// The parameters in force over event time, from stage 5's records: each applied proposal or
/// executed one changes them.
#[must_use]
pub fn parameter_path(emitted: &[Emitted]) -> Vec<(Timestamp, ParameterSet)> {
    emitted
        .iter()
        .filter_map(|record| match record {
            Emitted::Submitted(record) => Some((record.time, record.in_force)),
            Emitted::Executed(execution) => execution
                .result
                .as_ref()
                .ok()
                .map(|parameters| (execution.time, *parameters)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_differing_field_is_named() {
        let a = "RiskSnapshot { market: MarketId(1), total_exposure: 10.5, bad_debt: 0.0 }";
        let b = "RiskSnapshot { market: MarketId(1), total_exposure: 10.25, bad_debt: 0.0 }";
        assert_eq!(
            first_differing_field(a, b).as_deref(),
            Some("total_exposure")
        );
        assert_eq!(first_differing_field("x", "x"), None);
    }
}
