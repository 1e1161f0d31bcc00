//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use recal_journal::{
    FrameDescriptor, JournalError, Reader, Schema, SegmentHeaderDescriptor, Writer, WriterOptions,
};

/// A scratch directory on tmpfs when there is one (fast), else in the temp dir.
pub fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let builder = tempfile::Builder::new()
        .prefix("recal-journal-test-")
        .to_owned();
    if shm.is_dir() {
        builder.tempdir_in(shm)
    } else {
        builder.tempdir()
    }
    .expect("scratch dir")
}

pub fn schema() -> Schema {
    Schema::new(42, "recal.test", 1)
}

pub fn options(segment_size: u64) -> WriterOptions {
    WriterOptions {
        segment_size,
        ..WriterOptions::default()
    }
}

pub fn open_writer(dir: &Path, segment_size: u64) -> Writer {
    Writer::open(dir, &schema(), options(segment_size)).expect("open writer")
}

/// An owned copy of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub seq: u64,
    pub timestamp_ns: u64,
    pub record_type: u32,
    pub payload: Vec<u8>,
}

impl From<recal_journal::Record<'_>> for Owned {
    fn from(r: recal_journal::Record<'_>) -> Self {
        Owned {
            seq: r.seq,
            timestamp_ns: r.timestamp_ns,
            record_type: r.record_type,
            payload: r.payload.to_vec(),
        }
    }
}

/// Every record, read strictly.
pub fn read_all(dir: &Path) -> Result<Vec<Owned>, JournalError> {
    Reader::open(dir)?
        .iter()
        .map(|r| r.map(Owned::from))
        .collect()
}

/// Segment files of a journal, in order.
pub fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    files.sort();
    files
}

/// Test oracle: walks a segment file by the documented layout alone (length words, 8-byte
/// alignment) and returns `(offset, length, kind)` of each frame.
pub fn frames_of(segment: &Path) -> Vec<(usize, u32, u16)> {
    let bytes = fs::read(segment).unwrap();
    let mut frames = Vec::new();
    let mut offset = SegmentHeaderDescriptor::HEADER_LEN;
    while offset + FrameDescriptor::HEADER_LEN <= bytes.len() {
        let length = u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap());
        if length == 0 {
            break;
        }
        let kind_at = offset + FrameDescriptor::KIND_OFFSET;
        let kind = u16::from_le_bytes(bytes[kind_at..kind_at + 2].try_into().unwrap());
        frames.push((offset, length, kind));
        offset +=
            (length as usize).div_ceil(FrameDescriptor::ALIGNMENT) * FrameDescriptor::ALIGNMENT;
    }
    frames
}

/// XORs `mask` into the byte at `offset` of `path`.
pub fn flip(path: &Path, offset: u64, mask: u8) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, offset).unwrap();
    byte[0] ^= mask;
    file.write_all_at(&byte, offset).unwrap();
}

/// Overwrites bytes of `path` at `offset`.
pub fn overwrite(path: &Path, offset: u64, bytes: &[u8]) {
    let file = OpenOptions::new().write(true).open(path).unwrap();
    file.write_all_at(bytes, offset).unwrap();
}

/// Reads `len` bytes of `path` at `offset`.
pub fn read_at(path: &Path, offset: u64, len: usize) -> Vec<u8> {
    let file = fs::File::open(path).unwrap();
    let mut bytes = vec![0u8; len];
    file.read_exact_at(&mut bytes, offset).unwrap();
    bytes
}

/// Writes `count` records with payload `[seq as u8; len]`, timestamps `seq * 10`, type 1.
pub fn write_simple(dir: &Path, segment_size: u64, count: u64, len: usize) {
    let mut writer = open_writer(dir, segment_size);
    for _ in 0..count {
        let seq = writer.next_seq();
        writer.append(1, seq * 10, &vec![seq as u8; len]).unwrap();
    }
}
