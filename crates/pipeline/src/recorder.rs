//! Journals of a run: the input (the source of truth for replay) and, optionally, every stage
//! boundary, each an append-only `recal-journal` in its own directory.
//!
//! | journal (directory) | schema | written by | record |
//! |---|---|---|---|
//! | `input` | `recal.input` | the thread holding stage 1 | type = source code (0: a typed event), timestamp = receive time, payload = the raw bytes (or the event's 64 bytes) |
//! | `events` | `recal.events` | stage 2's thread | the [`Event`]'s 64 bytes |
//! | `estimates` | `recal.estimates` | stage 3's thread | the message's `Debug` text |
//! | `snapshots` | `recal.snapshots` | stage 4's thread | the message's `Debug` text |
//! | `decisions` | `recal.decisions` | stage 5's thread | the message's `Debug` text |
//! | `emitted` | `recal.emitted` | stage 5's thread | the verifier model's record's `Debug` text (proposal, signature, verdict) |
//!
//! Each boundary is journaled where it is consumed, so each journal has one writer thread. The
//! middle boundaries are diagnostic: their `Debug` text is exact (floats print as the shortest
//! text that reads back to the same bits), so two runs agree byte for byte exactly when their
//! messages are equal, and a divergence shows the field. Record timestamps are event times,
//! held non-decreasing (the journal refuses a regression).
//!
//! A journal that fails (disk full, say) is counted in [`Recorder::errors`] and closed; the
//! pipeline goes on.

use std::fmt::{Debug, Write as _};
use std::path::{Path, PathBuf};

use recal_journal::{Durability, Schema, Writer, WriterOptions};
use recal_types::{Event, Source};

/// What a run journals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JournalMode {
    /// Nothing \[default\].
    #[default]
    Off,
    /// The input, the source of truth for replay, and what stage 5 emitted, so a replay can
    /// check its proposals and signatures: both cheap (the inputs are copied as they are,
    /// proposals are rare).
    Input,
    /// The input and every stage boundary: enough to find where a replay diverges.
    All,
}

/// Where and what a run journals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JournalOptions {
    /// What to journal \[[`JournalMode::Off`]\].
    pub mode: JournalMode,
    /// Directory of the run's journals (one subdirectory per journal) \[empty: set it when
    /// journaling; `recal run` uses a new directory under `/dev/shm` when present, else the
    /// temp dir\].
    pub dir: PathBuf,
}

/// A journaled boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Boundary {
    /// The raw input.
    Input,
    /// Stage 1 → 2.
    Events,
    /// Stage 2 → 3.
    Estimates,
    /// Stage 3 → 4.
    Snapshots,
    /// Stage 4 → 5.
    Decisions,
    /// Stage 5 and the verifier model → out.
    Emitted,
}

impl Boundary {
    /// Every boundary, in pipeline order.
    pub const ALL: [Self; 6] = [
        Self::Input,
        Self::Events,
        Self::Estimates,
        Self::Snapshots,
        Self::Decisions,
        Self::Emitted,
    ];

    /// The journal's directory name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Events => "events",
            Self::Estimates => "estimates",
            Self::Snapshots => "snapshots",
            Self::Decisions => "decisions",
            Self::Emitted => "emitted",
        }
    }

    /// The journal's schema.
    #[must_use]
    pub fn schema(self) -> Schema {
        Schema::new(
            0x7265_6361_6c00 + self as u64,
            format!("recal.{}", self.name()),
            1,
        )
    }

    /// The journal directory of this boundary under a run's directory.
    #[must_use]
    pub fn dir(self, run: &Path) -> PathBuf {
        run.join(self.name())
    }
}

/// Record type of a typed event in the input journal (raw messages use their source's code).
pub const TYPED_EVENT: u32 = 0;

/// Segment size of run journals: 8 MiB. A journal holds its current segment and a prepared
/// spare, both fully populated, and run journals live on tmpfs (memory) by default: with the
/// journal's 64 MiB default an input-only demo run would pin 256 MiB of memory, with 8 MiB it
/// pins 32 MiB. A segment holds about 25,000 input messages; rolling to the prepared spare
/// costs a rename and a few stores, so even 100,000 messages a second roll only a few times a
/// second.
const SEGMENT_SIZE: u64 = 8 << 20;

/// One open journal and the last timestamp written to it.
struct Open {
    writer: Writer,
    last_ns: u64,
}

/// The journals one worker writes: those of the boundaries it consumes.
#[derive(Default)]
pub struct Recorder {
    journals: [Option<Open>; 6],
    text: String,
    errors: u64,
}

impl Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field(
                "open",
                &self.journals.iter().filter(|j| j.is_some()).count(),
            )
            .field("errors", &self.errors)
            .finish()
    }
}

impl Recorder {
    /// Opens, under `options.dir`, the journals of `boundaries` that `options.mode` asks for.
    ///
    /// # Errors
    /// The journal error of the first journal that cannot be opened.
    pub fn open(
        options: &JournalOptions,
        boundaries: impl IntoIterator<Item = Boundary>,
    ) -> Result<Self, recal_journal::JournalError> {
        let mut recorder = Self::default();
        for boundary in boundaries {
            let wanted = match options.mode {
                JournalMode::Off => false,
                JournalMode::Input => matches!(boundary, Boundary::Input | Boundary::Emitted),
                JournalMode::All => true,
            };
            if wanted {
                let writer = Writer::open(
                    boundary.dir(&options.dir),
                    &boundary.schema(),
                    WriterOptions {
                        segment_size: SEGMENT_SIZE,
                        durability: Durability::PageCache,
                    },
                )?;
                recorder.journals[boundary as usize] = Some(Open { writer, last_ns: 0 });
            }
        }
        Ok(recorder)
    }

    /// Journal writes that failed (each closes its journal).
    #[must_use]
    pub const fn errors(&self) -> u64 {
        self.errors
    }

    /// Whether `boundary` is being journaled.
    #[must_use]
    pub fn records(&self, boundary: Boundary) -> bool {
        self.journals[boundary as usize].is_some()
    }

    /// Journals a raw input message.
    pub fn input(&mut self, source: Source, receive_ns: u64, bytes: &[u8]) {
        self.append(Boundary::Input, source as u32, receive_ns, bytes);
    }

    /// Journals an event pushed by the caller, as input.
    pub fn input_event(&mut self, event: &Event) {
        self.append(
            Boundary::Input,
            TYPED_EVENT,
            event.receive_time().as_nanos(),
            bytemuck::bytes_of(event),
        );
    }

    /// Journals a decoded event entering stage 2.
    pub fn event(&mut self, event: &Event) {
        self.append(
            Boundary::Events,
            0,
            event.source_time().as_nanos(),
            bytemuck::bytes_of(event),
        );
    }

    /// Journals the `Debug` text of `message` crossing `boundary` at event time `time_ns`.
    pub fn text(&mut self, boundary: Boundary, time_ns: u64, message: &impl Debug) {
        if !self.records(boundary) {
            return;
        }
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        let _infallible = write!(text, "{message:?}");
        self.append(boundary, 0, time_ns, text.as_bytes());
        self.text = text;
    }

    fn append(&mut self, boundary: Boundary, record_type: u32, time_ns: u64, payload: &[u8]) {
        let slot = &mut self.journals[boundary as usize];
        let Some(open) = slot else {
            return;
        };
        open.last_ns = open.last_ns.max(time_ns);
        if open
            .writer
            .append(record_type, open.last_ns, payload)
            .is_err()
        {
            self.errors += 1;
            *slot = None;
        }
    }
}
