//! Arbitrary damage to a journal's files never panics a reader, a tailer or recovery, and never
//! makes them return a record that was not written.

mod common;

use std::fs;
use std::path::Path;

use common::{Owned, open_writer, options, schema, scratch, segment_files};
use proptest::prelude::*;
use recal_journal::{Reader, Salvaged, StartAt, Tailer, Writer};

#[derive(Debug, Clone)]
enum Damage {
    /// XOR a byte of a segment file.
    Flip {
        file: prop::sample::Index,
        offset: prop::sample::Index,
        mask: u8,
    },
    /// Overwrite a run of bytes.
    Overwrite {
        file: prop::sample::Index,
        offset: prop::sample::Index,
        bytes: Vec<u8>,
    },
    /// Cut a segment file short.
    Truncate {
        file: prop::sample::Index,
        len: prop::sample::Index,
    },
    /// Delete a segment file.
    Delete { file: prop::sample::Index },
    /// Overwrite a byte of `journal.meta`.
    Meta {
        offset: prop::sample::Index,
        byte: u8,
    },
}

fn damage() -> impl Strategy<Value = Damage> {
    use prop::sample::Index;
    prop_oneof![
        6 => (any::<Index>(), any::<Index>(), 1u8..).prop_map(|(file, offset, mask)| Damage::Flip { file, offset, mask }),
        2 => (any::<Index>(), any::<Index>(), prop::collection::vec(any::<u8>(), 1..24))
            .prop_map(|(file, offset, bytes)| Damage::Overwrite { file, offset, bytes }),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(file, len)| Damage::Truncate { file, len }),
        1 => any::<Index>().prop_map(|file| Damage::Delete { file }),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(offset, byte)| Damage::Meta { offset, byte }),
    ]
}

fn apply(dir: &Path, damage: &Damage) {
    let files = segment_files(dir);
    if files.is_empty() {
        return;
    }
    match damage {
        Damage::Flip { file, offset, mask } => {
            let path = file.get(&files);
            let len = fs::metadata(path).unwrap().len() as usize;
            if len > 0 {
                common::flip(path, offset.index(len) as u64, *mask);
            }
        }
        Damage::Overwrite {
            file,
            offset,
            bytes,
        } => {
            let path = file.get(&files);
            let len = fs::metadata(path).unwrap().len() as usize;
            if len > bytes.len() {
                common::overwrite(path, offset.index(len - bytes.len()) as u64, bytes);
            }
        }
        Damage::Truncate { file, len } => {
            let path = file.get(&files);
            let size = fs::metadata(path).unwrap().len() as usize;
            fs::OpenOptions::new()
                .write(true)
                .open(path)
                .unwrap()
                .set_len(len.index(size) as u64)
                .unwrap();
        }
        Damage::Delete { file } => fs::remove_file(file.get(&files)).unwrap(),
        Damage::Meta { offset, byte } => {
            let path = dir.join("journal.meta");
            let mut meta = fs::read(&path).unwrap();
            let at = offset.index(meta.len());
            meta[at] = *byte;
            fs::write(&path, meta).unwrap();
        }
    }
}

/// Everything a reader offers, checked against what was written: strict reading yields a
/// prefix of it, salvage and seeks only records that were written, the tailer likewise.
fn read_everything(dir: &Path, written: &[Owned]) -> Result<(), TestCaseError> {
    let Ok(reader) = Reader::open(dir) else {
        return Ok(());
    };
    for (i, record) in reader.iter().enumerate() {
        match record {
            Ok(r) => prop_assert_eq!(&Owned::from(r), &written[i]),
            Err(_) => break,
        }
    }
    let mut last_seq = None;
    for item in reader.iter().salvage() {
        match item {
            Ok(Salvaged::Record(r)) => {
                prop_assert!(last_seq < Some(r.seq), "salvage keeps order");
                last_seq = Some(r.seq);
                prop_assert_eq!(&Owned::from(r), &written[r.seq as usize]);
            }
            Ok(Salvaged::Skipped(_)) => {}
            Err(_) => break,
        }
    }
    for seq in [0, written.len() as u64 / 2, written.len() as u64] {
        if let Ok(mut records) = reader.iter_from_seq(seq)
            && let Some(Ok(r)) = records.next()
        {
            prop_assert_eq!(&Owned::from(r), &written[seq as usize]);
        }
        if let Ok(mut records) = reader.iter_from_timestamp(seq * 7)
            && let Some(Ok(r)) = records.next()
        {
            prop_assert_eq!(&Owned::from(r), &written[r.seq as usize]);
        }
    }
    let _ = reader.verify();
    let _ = reader.end_seq();
    let _ = reader.segments();
    if let Ok(mut tailer) = Tailer::open(dir, StartAt::Start) {
        for _ in 0..=written.len() {
            match tailer.poll() {
                Ok(Some(r)) => prop_assert_eq!(&Owned::from(r), &written[r.seq as usize]),
                Ok(None) | Err(_) => break,
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn damaged_journals_never_panic_or_invent_records(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..400), 1..60),
        damages in prop::collection::vec(damage(), 1..6),
    ) {
        let dir = scratch();
        let mut writer = open_writer(dir.path(), 4096);
        let mut written = Vec::new();
        for (i, payload) in payloads.iter().enumerate() {
            let (seq, timestamp_ns) = (i as u64, i as u64 * 7);
            writer.append(i as u32, timestamp_ns, payload).unwrap();
            written.push(Owned { seq, timestamp_ns, record_type: i as u32, payload: payload.clone() });
        }
        drop(writer);
        for d in &damages {
            apply(dir.path(), d);
        }
        read_everything(dir.path(), &written)?;

        // Recovery on the damaged journal: it may refuse, but whatever it leaves reads back as
        // written, and a writer that opens can append.
        if let Ok(mut writer) = Writer::open(dir.path(), &schema(), options(4096)) {
            let next = writer.next_seq();
            prop_assert!(next <= written.len() as u64);
            written.truncate(next as usize);
            let record = Owned { seq: next, timestamp_ns: next * 7, record_type: 7, payload: payloads[0].clone() };
            prop_assert_eq!(writer.append(record.record_type, record.timestamp_ns, &record.payload).ok(), Some(next));
            written.push(record);
            drop(writer);
            read_everything(dir.path(), &written)?;
        }
    }
}
