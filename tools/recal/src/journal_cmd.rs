//! `recal journal ...`: look into journals: list segments, dump records, follow a live journal,
//! verify one. Human-readable output by default, JSON lines with `--json` (payloads as hex).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use recal_journal::{Reader, Record, Salvaged, Skipped, StartAt, Tailer, VerifySummary};
use serde_json::json;

/// Longest payload prefix printed in human-readable output; JSON output prints all of it.
const HUMAN_PAYLOAD_BYTES: usize = 64;

/// Journal subcommands.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum JournalCommand {
    /// List a journal's schema and segments.
    Ls {
        /// Journal directory.
        dir: PathBuf,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Print records, from the start or from a sequence number or timestamp.
    Dump {
        /// Journal directory.
        dir: PathBuf,
        /// Start at this sequence number.
        #[arg(long, conflicts_with = "from_ts")]
        from_seq: Option<u64>,
        /// Start at the first record with a timestamp (ns) at least this.
        #[arg(long)]
        from_ts: Option<u64>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Print at most this many records.
        #[arg(long)]
        limit: Option<u64>,
        /// Skip damaged frames (and report them) instead of stopping at the first.
        #[arg(long)]
        salvage: bool,
    },
    /// Follow a journal as it is written.
    Tail {
        /// Journal directory.
        dir: PathBuf,
        /// Start at this sequence number instead of after the last record.
        #[arg(long)]
        from_seq: Option<u64>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Stop after this many milliseconds.
        #[arg(long)]
        timeout_ms: Option<u64>,
        /// Stop after this many records.
        #[arg(long)]
        count: Option<u64>,
    },
    /// Check every record of a journal; fails on the first problem.
    Verify {
        /// Journal directory.
        dir: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a journal subcommand, printing to standard output.
pub fn run(cmd: JournalCommand) -> Result<()> {
    execute(cmd, &mut std::io::stdout().lock())
}

fn execute(cmd: JournalCommand, out: &mut impl Write) -> Result<()> {
    match cmd {
        JournalCommand::Ls { dir, json } => ls(&dir, json, out),
        JournalCommand::Dump {
            dir,
            from_seq,
            from_ts,
            json,
            limit,
            salvage,
        } => dump(
            &dir,
            Start { from_seq, from_ts },
            json,
            limit.unwrap_or(u64::MAX),
            salvage,
            out,
        ),
        JournalCommand::Tail {
            dir,
            from_seq,
            json,
            timeout_ms,
            count,
        } => tail(
            &dir,
            from_seq,
            json,
            timeout_ms.map(Duration::from_millis),
            count.unwrap_or(u64::MAX),
            out,
        ),
        JournalCommand::Verify { dir, json } => verify(&dir, json, out),
    }
}

fn open(dir: &Path) -> Result<Reader> {
    Reader::open(dir).with_context(|| format!("cannot open journal {}", dir.display()))
}

fn ls(dir: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    let reader = open(dir)?;
    let meta = reader.meta();
    if json {
        let line = json!({
            "journal": dir,
            "schema": { "id": meta.schema.id, "name": meta.schema.name, "version": meta.schema.version },
            "segment_size": meta.segment_size,
        });
        writeln!(out, "{line}")?;
    } else {
        writeln!(
            out,
            "journal {}: schema {}, segments of {} bytes",
            dir.display(),
            meta.schema,
            meta.segment_size
        )?;
    }
    for segment in reader.segments() {
        let name = segment
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        if json {
            let line = json!({
                "segment": name,
                "first_seq": segment.first_seq,
                "created_ns": segment.created_ns,
                "size": segment.size,
                "next_seq": segment.next_seq,
            });
            writeln!(out, "{line}")?;
        } else {
            let state = segment.next_seq.map_or_else(
                || "open".to_string(),
                |next| format!("finished, next {next}"),
            );
            writeln!(
                out,
                "{name}  first_seq {}  created_ns {}  {state}",
                segment.first_seq, segment.created_ns
            )?;
        }
    }
    Ok(())
}

/// Where `dump` starts.
struct Start {
    from_seq: Option<u64>,
    from_ts: Option<u64>,
}

fn dump(
    dir: &Path,
    start: Start,
    json: bool,
    limit: u64,
    salvage: bool,
    out: &mut impl Write,
) -> Result<()> {
    let reader = open(dir)?;
    let records = match (start.from_seq, start.from_ts) {
        (Some(seq), _) => reader.iter_from_seq(seq)?,
        (None, Some(ts)) => reader.iter_from_timestamp(ts)?,
        (None, None) => reader.iter(),
    };
    let mut printed = 0;
    if salvage {
        for item in records.salvage() {
            match item? {
                Salvaged::Record(record) => {
                    if printed == limit {
                        break;
                    }
                    print_record(&record, json, out)?;
                    printed += 1;
                }
                Salvaged::Skipped(skipped) => print_skipped(&skipped, json, out)?,
            }
        }
    } else {
        for record in records.take(usize::try_from(limit).unwrap_or(usize::MAX)) {
            let record =
                record.context("dump stopped at a damaged record (--salvage reads past it)")?;
            print_record(&record, json, out)?;
        }
    }
    Ok(())
}

fn tail(
    dir: &Path,
    from_seq: Option<u64>,
    json: bool,
    timeout: Option<Duration>,
    count: u64,
    out: &mut impl Write,
) -> Result<()> {
    let start = from_seq.map_or(StartAt::End, StartAt::Seq);
    let mut tailer = Tailer::open(dir, start)
        .with_context(|| format!("cannot follow journal {}", dir.display()))?;
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut printed = 0;
    while printed < count {
        let wait = match deadline {
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left.min(Duration::from_millis(100)),
                _ => break,
            },
            None => Duration::from_millis(100),
        };
        if let Some(record) = tailer.next_timeout(wait)? {
            print_record(&record, json, out)?;
            out.flush()?;
            printed += 1;
        }
    }
    Ok(())
}

fn verify(dir: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    let result = open(dir).and_then(|reader| Ok(reader.verify()?));
    match (&result, json) {
        (Ok(summary), true) => writeln!(out, "{}", summary_json(dir, summary))?,
        (Ok(summary), false) => writeln!(out, "{}", summary_text(dir, summary))?,
        (Err(e), true) => writeln!(
            out,
            "{}",
            json!({ "journal": dir, "ok": false, "error": format!("{e:#}") })
        )?,
        (Err(_), false) => {}
    }
    result
        .map(drop)
        .with_context(|| format!("journal {} failed verification", dir.display()))
}

fn summary_json(dir: &Path, s: &VerifySummary) -> serde_json::Value {
    json!({
        "journal": dir,
        "ok": true,
        "segments": s.segments,
        "records": s.records,
        "payload_bytes": s.payload_bytes,
        "first_seq": s.first_seq,
        "last_seq": s.last_seq,
        "first_timestamp_ns": s.first_timestamp_ns,
        "last_timestamp_ns": s.last_timestamp_ns,
    })
}

fn summary_text(dir: &Path, s: &VerifySummary) -> String {
    let range = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => format!("{a}..={b}"),
        _ => "none".to_string(),
    };
    format!(
        "ok: {}: {} segments, {} records, {} payload bytes, seq {}, timestamps {}",
        dir.display(),
        s.segments,
        s.records,
        s.payload_bytes,
        range(s.first_seq, s.last_seq),
        range(s.first_timestamp_ns, s.last_timestamp_ns)
    )
}

fn print_record(record: &Record<'_>, json: bool, out: &mut impl Write) -> std::io::Result<()> {
    if json {
        let line = json!({
            "seq": record.seq,
            "timestamp_ns": record.timestamp_ns,
            "record_type": record.record_type,
            "len": record.payload.len(),
            "payload": hex(record.payload),
        });
        writeln!(out, "{line}")
    } else {
        let shown = &record.payload[..record.payload.len().min(HUMAN_PAYLOAD_BYTES)];
        let more = record.payload.len() - shown.len();
        let ellipsis = if more > 0 {
            format!(" (+{more} bytes)")
        } else {
            String::new()
        };
        writeln!(
            out,
            "seq={} ts={} type={} len={} payload={}{ellipsis}",
            record.seq,
            record.timestamp_ns,
            record.record_type,
            record.payload.len(),
            hex(shown)
        )
    }
}

fn print_skipped(skipped: &Skipped, json: bool, out: &mut impl Write) -> std::io::Result<()> {
    if json {
        let line = json!({ "skipped": {
            "segment": skipped.segment,
            "offset": skipped.offset,
            "len": skipped.len,
            "defect": skipped.defect.to_string(),
        }});
        writeln!(out, "{line}")
    } else {
        writeln!(
            out,
            "skipped {} bytes at {}:{}: {}",
            skipped.len,
            skipped.segment.display(),
            skipped.offset,
            skipped.defect
        )
    }
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        text.push(DIGITS[usize::from(b >> 4)] as char);
        text.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use recal_journal::{FrameDescriptor, Schema, SegmentHeaderDescriptor, Writer, WriterOptions};

    /// A journal directory under the temp dir, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn with_records(name: &str, count: u64) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("recal-journal-cmd-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let options = WriterOptions {
                segment_size: 4096,
                ..WriterOptions::default()
            };
            let mut writer =
                Writer::open(&dir, &Schema::new(3, "recal.cmd-test", 2), options).unwrap();
            for seq in 0..count {
                writer.append(9, seq * 100, &[seq as u8, 0xab]).unwrap();
            }
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn output(cmd: JournalCommand) -> (Result<()>, String) {
        let mut out = Vec::new();
        let result = execute(cmd, &mut out);
        (result, String::from_utf8(out).unwrap())
    }

    #[test]
    fn hex_is_lower_case_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn dump_prints_json_lines_from_a_sequence() {
        let j = Scratch::with_records("dump", 10);
        let cmd = JournalCommand::Dump {
            dir: j.0.clone(),
            from_seq: Some(7),
            from_ts: None,
            json: true,
            limit: Some(2),
            salvage: false,
        };
        let (result, text) = output(cmd);
        result.unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            json!({"seq": 7, "timestamp_ns": 700, "record_type": 9, "len": 2, "payload": "07ab"})
        );
        assert_eq!(lines[1]["seq"], 8);
    }

    #[test]
    fn dump_from_a_timestamp_in_human_form() {
        let j = Scratch::with_records("dump-ts", 10);
        let cmd = JournalCommand::Dump {
            dir: j.0.clone(),
            from_seq: None,
            from_ts: Some(650),
            json: false,
            limit: Some(1),
            salvage: false,
        };
        let (result, text) = output(cmd);
        result.unwrap();
        assert_eq!(text, "seq=7 ts=700 type=9 len=2 payload=07ab\n");
    }

    #[test]
    fn verify_fails_on_corruption_and_salvage_reports_the_skip() {
        let j = Scratch::with_records("verify", 10);
        let (result, text) = output(JournalCommand::Verify {
            dir: j.0.clone(),
            json: true,
        });
        result.unwrap();
        let summary: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(
            (summary["ok"].clone(), summary["records"].clone()),
            (json!(true), json!(10))
        );

        // Flip a payload byte of record 3: frames are 40 bytes (32-byte header, 2-byte payload).
        let segment = j.0.join("00000000000000000000.seg");
        let mut bytes = std::fs::read(&segment).unwrap();
        let frame = SegmentHeaderDescriptor::HEADER_LEN + 3 * 40;
        bytes[frame + FrameDescriptor::HEADER_LEN] ^= 1;
        std::fs::write(&segment, bytes).unwrap();

        let (result, text) = output(JournalCommand::Verify {
            dir: j.0.clone(),
            json: true,
        });
        assert!(result.is_err(), "verify exits non-zero on corruption");
        assert!(
            text.contains("\"ok\":false") && text.contains("checksum mismatch"),
            "{text}"
        );
        let cmd = JournalCommand::Dump {
            dir: j.0.clone(),
            from_seq: None,
            from_ts: None,
            json: true,
            limit: None,
            salvage: true,
        };
        let (result, text) = output(cmd);
        result.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 10, "nine records and one skip");
        assert!(
            lines[3].contains("\"skipped\"") && lines[3].contains(&format!("\"offset\":{frame}")),
            "{}",
            lines[3]
        );
    }

    #[test]
    fn ls_lists_schema_and_segments() {
        let j = Scratch::with_records("ls", 200);
        let (result, text) = output(JournalCommand::Ls {
            dir: j.0.clone(),
            json: false,
        });
        result.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].contains("recal.cmd-test v2 (id 3)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with(
                "00000000000000000000.seg  first_seq 0  created_ns 0  finished, next "
            )
        );
        assert!(lines.last().unwrap().ends_with("open"));
    }

    #[test]
    fn tail_stops_at_its_count_or_timeout() {
        let j = Scratch::with_records("tail", 5);
        let cmd = JournalCommand::Tail {
            dir: j.0.clone(),
            from_seq: Some(1),
            json: false,
            timeout_ms: Some(2_000),
            count: Some(3),
        };
        let (result, text) = output(cmd);
        result.unwrap();
        assert_eq!(text.lines().count(), 3);
        let started = Instant::now();
        let cmd = JournalCommand::Tail {
            dir: j.0.clone(),
            from_seq: None,
            json: true,
            timeout_ms: Some(30),
            count: None,
        };
        let (result, text) = output(cmd);
        result.unwrap();
        assert_eq!(text, "", "nothing new arrives");
        assert!(started.elapsed() >= Duration::from_millis(30));
    }
}
