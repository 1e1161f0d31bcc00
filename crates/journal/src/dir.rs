//! The journal directory: file names, the writer's lock, listing segments, and where journals
//! live by default.
//!
//! A journal directory holds:
//! - `journal.meta`: what the journal holds (see [`crate::Meta`]);
//! - `journal.lock`: locked (`flock`) by the one writer while it is open;
//! - `<first sequence, 20 digits>.seg`: the segments, e.g. `00000000000000000000.seg`, so that
//!   a plain `ls` lists them in order and names the first record of each;
//! - `<n>.prep`: a segment being prepared in the background; it gets its final name only once
//!   its header and first record are written, so readers never see a half-created segment.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::Seq;
use crate::error::JournalError;

/// Name of the metadata file.
pub(crate) const META_FILE: &str = "journal.meta";
/// Name of the writer's lock file.
pub(crate) const LOCK_FILE: &str = "journal.lock";
const SEGMENT_SUFFIX: &str = ".seg";
const SEQ_DIGITS: usize = 20;
/// Suffix of segments being prepared.
pub(crate) const PREPARED_SUFFIX: &str = ".prep";

/// File name of the segment whose first record has sequence number `first_seq`.
pub(crate) fn segment_file_name(first_seq: Seq) -> String {
    format!("{first_seq:0SEQ_DIGITS$}{SEGMENT_SUFFIX}")
}

/// Path of the segment of `dir` whose first record has sequence number `first_seq`.
pub(crate) fn segment_path(dir: &Path, first_seq: Seq) -> PathBuf {
    dir.join(segment_file_name(first_seq))
}

/// The first sequence number a segment file name stands for, or `None` if the name is not a
/// segment's.
pub(crate) fn parse_segment_name(name: &str) -> Option<Seq> {
    let digits = name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != SEQ_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The segments of `dir`, ordered by first sequence number.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(Seq, PathBuf)>, JournalError> {
    let mut segments = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| JournalError::io(dir, e))? {
        let entry = entry.map_err(|e| JournalError::io(dir, e))?;
        if let Some(first_seq) = entry.file_name().to_str().and_then(parse_segment_name) {
            segments.push((first_seq, entry.path()));
        }
    }
    segments.sort_unstable_by_key(|&(first_seq, _)| first_seq);
    Ok(segments)
}

/// Makes the directory's entries (creations, renames) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| JournalError::io(dir, e))
}

/// Takes the writer's lock on `dir`; the lock lasts as long as the returned file is open, and
/// the kernel releases it when the process dies.
pub(crate) fn lock(dir: &Path) -> Result<File, JournalError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| JournalError::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(JournalError::AlreadyLocked {
            dir: dir.to_path_buf(),
        }),
        Err(TryLockError::Error(e)) => Err(JournalError::io(&path, e)),
    }
}

/// Deletes segments a dead writer left half-prepared. Only the lock holder may call this.
pub(crate) fn remove_prepared(dir: &Path) -> Result<usize, JournalError> {
    let mut removed = 0;
    for entry in fs::read_dir(dir).map_err(|e| JournalError::io(dir, e))? {
        let entry = entry.map_err(|e| JournalError::io(dir, e))?;
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.ends_with(PREPARED_SUFFIX))
        {
            fs::remove_file(entry.path()).map_err(|e| JournalError::io(entry.path(), e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Where a journal called `name` lives by default: `/dev/shm/recal/<name>` when `/dev/shm`
/// exists (tmpfs: shared memory, fastest, gone at reboot), else `<temp dir>/recal/<name>` on the
/// local disk (see [`std::env::temp_dir`]). Pass an explicit directory to keep journals across
/// reboots.
///
/// ```
/// let dir = recal_journal::default_dir("input");
/// assert!(dir.ends_with("recal/input"));
/// ```
pub fn default_dir(name: &str) -> PathBuf {
    choose_dir(Path::new("/dev/shm"), &std::env::temp_dir(), name)
}

fn choose_dir(tmpfs: &Path, fallback: &Path, name: &str) -> PathBuf {
    let root = if tmpfs.is_dir() { tmpfs } else { fallback };
    root.join("recal").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_sort_by_sequence_and_round_trip() {
        let names: Vec<String> = [0, 9, 10, 12_345, u64::MAX]
            .iter()
            .map(|&s| segment_file_name(s))
            .collect();
        assert_eq!(names[0], "00000000000000000000.seg");
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, names);
        for (name, seq) in names.iter().zip([0, 9, 10, 12_345, u64::MAX]) {
            assert_eq!(parse_segment_name(name), Some(seq));
        }
    }

    #[test]
    fn foreign_names_are_not_segments() {
        for name in [
            "journal.meta",
            "1.seg",
            "0000000000000000000a.seg",
            "00000000000000000000.seg.prep",
            "x",
        ] {
            assert_eq!(parse_segment_name(name), None, "{name}");
        }
        assert_eq!(
            parse_segment_name("99999999999999999999.seg"),
            None,
            "overflows u64"
        );
    }

    #[test]
    fn default_dir_prefers_tmpfs_and_falls_back_to_local() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("no-such-tmpfs");
        assert_eq!(
            choose_dir(tmp.path(), Path::new("/x"), "j"),
            tmp.path().join("recal/j")
        );
        assert_eq!(
            choose_dir(&missing, Path::new("/x"), "j"),
            Path::new("/x/recal/j")
        );
    }

    #[test]
    fn second_lock_is_refused_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let first = lock(tmp.path()).unwrap();
        assert!(matches!(
            lock(tmp.path()),
            Err(JournalError::AlreadyLocked { .. })
        ));
        drop(first);
        lock(tmp.path()).unwrap();
    }
}
