//! What a conversion did: rows read, lines written, rows skipped and why.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Why a row produced no line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skip(pub(crate) String);

impl Skip {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// The account of one input file.
#[derive(Debug, Default)]
pub(crate) struct FileReport {
    pub(crate) path: PathBuf,
    pub(crate) format: &'static str,
    /// Data rows read (the header excluded).
    pub(crate) rows: u64,
    /// Tape lines made from them (after the decoder check).
    pub(crate) lines: u64,
    /// Rows skipped, by reason.
    pub(crate) skipped: BTreeMap<String, u64>,
    /// Things worth knowing that did not skip a row (a field left out, a default taken).
    pub(crate) notes: Notes,
}

/// Counts of notes by text.
pub(crate) type Notes = BTreeMap<&'static str, u64>;

/// Counts one occurrence of `note`.
pub(crate) fn count(notes: &mut Notes, note: &'static str) {
    *notes.entry(note).or_default() += 1;
}

impl FileReport {
    pub(crate) fn skip(&mut self, skip: Skip) {
        *self.skipped.entry(skip.0).or_default() += 1;
    }

    pub(crate) fn note(&mut self, note: &'static str) {
        count(&mut self.notes, note);
    }

    /// Adds notes counted while the rows were read.
    pub(crate) fn merge_notes(&mut self, notes: Notes) {
        for (note, number) in notes {
            *self.notes.entry(note).or_default() += number;
        }
    }

    pub(crate) fn skipped_rows(&self) -> u64 {
        self.skipped.values().sum()
    }
}

impl fmt::Display for FileReport {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            formatter,
            "input {}: format {}, rows {}, lines {}, skipped {}",
            self.path.display(),
            self.format,
            self.rows,
            self.lines,
            self.skipped_rows()
        )?;
        for (reason, count) in &self.skipped {
            writeln!(formatter, "  skipped {count}: {reason}")?;
        }
        for (note, count) in &self.notes {
            writeln!(formatter, "  note {count}: {note}")?;
        }
        Ok(())
    }
}
