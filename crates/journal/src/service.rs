//! The writer's background thread: prepares the next segment and unmaps finished ones, so
//! neither file creation, page faults nor `munmap` happen on the append path.
//!
//! The writer keeps one spare segment on order: it asks for one when it opens and again each
//! time it takes one. The thread writes a file of zeros under a temporary `<n>.prep` name and
//! maps it with every page populated, then hands it over. When the writer rolls, the spare is
//! usually ready; if it is not (the writer outran the page allocator), the writer waits for it.
//! Finished segments are sent back here to be unmapped.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use crate::dir::PREPARED_SUFFIX;
use crate::error::JournalError;
use crate::segment::WritableSegment;

enum Request {
    /// Prepare one spare segment.
    Prepare,
    /// Unmap a finished segment.
    Retire(WritableSegment),
}

/// Handle on the background thread; dropping it stops and joins the thread.
pub(crate) struct SegmentService {
    dir: PathBuf,
    requests: Option<Sender<Request>>,
    spares: Receiver<Result<WritableSegment, JournalError>>,
    thread: Option<JoinHandle<()>>,
}

impl SegmentService {
    /// Starts the thread for a journal in `dir` with segments of `segment_size` bytes.
    pub(crate) fn start(dir: &Path, segment_size: u64) -> Result<Self, JournalError> {
        let (requests, inbox) = mpsc::channel::<Request>();
        let (spare_out, spares) = mpsc::sync_channel(1);
        let thread_dir = dir.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("recal-journal-prep".to_string())
            .spawn(move || {
                let mut prepared = 0u64;
                while let Ok(request) = inbox.recv() {
                    match request {
                        Request::Prepare => {
                            let path = thread_dir.join(format!("{prepared}{PREPARED_SUFFIX}"));
                            prepared += 1;
                            if spare_out
                                .send(WritableSegment::create(&path, segment_size))
                                .is_err()
                            {
                                break;
                            }
                        }
                        Request::Retire(segment) => drop(segment),
                    }
                }
            })
            .map_err(|e| JournalError::io(dir, e))?;
        Ok(SegmentService {
            dir: dir.to_path_buf(),
            requests: Some(requests),
            spares,
            thread: Some(thread),
        })
    }

    /// Asks for one spare segment; collect it with [`SegmentService::take`].
    pub(crate) fn request(&self) {
        // If the thread is gone, `take` reports it.
        let _ = self.requests.as_ref().map(|r| r.send(Request::Prepare));
    }

    /// The spare asked for, waiting until it is ready.
    pub(crate) fn take(&self) -> Result<WritableSegment, JournalError> {
        self.spares.recv().unwrap_or_else(|_| {
            Err(JournalError::io(
                &self.dir,
                std::io::Error::other("the segment preparation thread stopped"),
            ))
        })
    }

    /// Hands a finished segment over to be unmapped off the append path.
    pub(crate) fn retire(&self, segment: WritableSegment) {
        if let Some(requests) = &self.requests {
            // If the thread is gone, the segment comes back in the error and is dropped here.
            let _ = requests.send(Request::Retire(segment));
        }
    }
}

impl Drop for SegmentService {
    fn drop(&mut self) {
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
