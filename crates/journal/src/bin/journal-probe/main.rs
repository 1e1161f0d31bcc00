//! `journal-probe DIR SEGMENT_SIZE COUNT [PAUSE_EVERY PAUSE_MICROS]`: opens the journal in DIR
//! for writing (recovering it if needed), appends COUNT records (`forever` for no limit) with
//! payloads derived from their sequence numbers (see `spec.rs`), and prints each record's
//! sequence number on its own line once `append` has returned. With PAUSE_EVERY and
//! PAUSE_MICROS it sleeps that long after every PAUSE_EVERY records.
//!
//! The crash tests kill it at random moments and check that every sequence number it printed
//! is intact in the journal; the live-tail test follows its journal from another process.

mod spec;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use recal_journal::{Writer, WriterOptions};

fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let [dir, segment_size, count, rest @ ..] = args else {
        return Err(
            "usage: journal-probe DIR SEGMENT_SIZE COUNT [PAUSE_EVERY PAUSE_MICROS]".into(),
        );
    };
    let count: u64 = if count == "forever" {
        u64::MAX
    } else {
        count.parse()?
    };
    let (pause_every, pause) = match rest {
        [every, micros] => (
            every.parse::<u64>()?,
            Duration::from_micros(micros.parse()?),
        ),
        _ => (u64::MAX, Duration::ZERO),
    };
    let options = WriterOptions {
        segment_size: segment_size.parse()?,
        ..WriterOptions::default()
    };
    let mut writer = Writer::open(dir, &spec::schema(), options)?;
    let mut out = std::io::stdout().lock();
    for written in 0..count {
        let seq = writer.next_seq();
        let appended = writer.append(
            spec::record_type(seq),
            spec::timestamp_ns(seq),
            &spec::payload(seq),
        )?;
        writeln!(out, "{appended}")?;
        out.flush()?;
        if (written + 1).is_multiple_of(pause_every) {
            std::thread::sleep(pause);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("journal-probe: {e}");
            ExitCode::FAILURE
        }
    }
}
