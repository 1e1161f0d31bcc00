//! The most recent refused frames, with the bytes kept of each, in buffers allocated once.

use crate::error::FrameError;
use crate::sink::EndpointId;

/// One refused frame as kept by [`RejectLog`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The endpoint it arrived on.
    pub endpoint: EndpointId,
    /// Why it was refused.
    pub error: FrameError,
    /// Its first bytes (at most the configured `keep_bytes`).
    pub bytes: Vec<u8>,
}

/// A ring of the last `capacity` refused frames. Recording overwrites the oldest entry's
/// buffer in place, so it allocates nothing once every slot has been used.
#[derive(Debug, Clone)]
pub struct RejectLog {
    entries: Vec<Refused>,
    capacity: usize,
    keep_bytes: usize,
    /// The slot the next record goes to.
    next: usize,
    /// Total recorded, including overwritten ones.
    recorded: u64,
}

impl RejectLog {
    pub(crate) fn new(capacity: usize, keep_bytes: usize) -> Self {
        Self {
            entries: Vec::with_capacity(capacity),
            capacity,
            keep_bytes,
            next: 0,
            recorded: 0,
        }
    }

    pub(crate) fn record(&mut self, endpoint: EndpointId, error: FrameError, bytes: &[u8]) {
        let kept = &bytes[..bytes.len().min(self.keep_bytes)];
        if self.capacity == 0 {
            return;
        }
        let slot = self.next;
        self.next = (slot + 1) % self.capacity;
        self.recorded += 1;
        if let Some(entry) = self.entries.get_mut(slot) {
            entry.endpoint = endpoint;
            entry.error = error;
            entry.bytes.clear();
            entry.bytes.extend_from_slice(kept);
        } else {
            let mut buffer = Vec::with_capacity(self.keep_bytes);
            buffer.extend_from_slice(kept);
            self.entries.push(Refused {
                endpoint,
                error,
                bytes: buffer,
            });
        }
    }

    /// The kept frames, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Refused> {
        let split = if self.entries.len() < self.capacity {
            0
        } else {
            self.next
        };
        self.entries[split..].iter().chain(&self.entries[..split])
    }

    /// How many frames were ever recorded (kept or since overwritten).
    #[must_use]
    pub const fn recorded(&self) -> u64 {
        self.recorded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_entries_in_order_and_truncated() {
        let mut log = RejectLog::new(2, 3);
        for (index, bytes) in [&b"first"[..], b"second", b"third"].into_iter().enumerate() {
            log.record(
                EndpointId(index),
                FrameError::PartialLine { len: bytes.len() },
                bytes,
            );
        }
        let kept: Vec<_> = log
            .iter()
            .map(|entry| (entry.endpoint.0, entry.bytes.clone()))
            .collect();
        assert_eq!(kept, vec![(1, b"sec".to_vec()), (2, b"thi".to_vec())]);
        assert_eq!(log.recorded(), 3);
    }
}
