//! The in-process push handle: an embedder's thread hands messages to the ingress through a
//! pair of recal SPSC rings, without locks and without allocating per message.
//!
//! Messages travel in byte buffers that circulate: the handle takes an empty buffer from the
//! return ring, copies the message in and pushes it on the message ring; the ingress delivers
//! it and pushes the emptied buffer back. There are as many buffers as slots, so the message
//! ring never refuses a push the handle could make. A buffer grows only when a message longer
//! than any it carried before arrives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering, fence};

use recal_ring::{Consumer, Producer, TryPopError, WaitStrategy, ring};
use recal_types::{Source, Timestamp};

use crate::error::{IngressError, PushError};
use crate::framing::Outlet;
use crate::sink::Sink;

/// Wakes the ingress's poller when it sleeps.
pub(crate) struct WakeSignal {
    pub(crate) waker: mio::Waker,
    /// Set by the ingress before it may block in the poller, cleared after.
    pub(crate) sleeping: AtomicBool,
}

impl WakeSignal {
    /// Called by the ingress before blocking; the fence orders the flag before the ring reads
    /// that follow (it pairs with the fence in [`PushHandle::try_push`]), so either the ingress
    /// sees the message or the pusher sees the flag and wakes it.
    pub(crate) fn going_to_sleep(&self) {
        self.sleeping.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
    }

    /// Called by the ingress after the poller returned.
    pub(crate) fn awake(&self) {
        self.sleeping.store(false, Ordering::Relaxed);
    }
}

struct Pushed {
    source: Source,
    receive_time: Timestamp,
    bytes: Vec<u8>,
}

/// The embedder's end: push messages from one thread (`Send`, not `Clone`). Made by
/// [`Ingress::add_push`](crate::Ingress::add_push).
pub struct PushHandle {
    messages: Producer<Pushed>,
    buffers: Consumer<Vec<u8>>,
    max_message: usize,
    signal: Arc<WakeSignal>,
}

impl std::fmt::Debug for PushHandle {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PushHandle")
            .field("capacity", &self.messages.capacity())
            .field("max_message", &self.max_message)
            .finish_non_exhaustive()
    }
}

impl PushHandle {
    /// Queues one message for the ingress without waiting; the bytes are copied.
    ///
    /// # Errors
    /// [`PushError::Oversized`], [`PushError::Full`] (every slot is waiting for the ingress)
    /// or [`PushError::Disconnected`]; the message is not queued.
    pub fn try_push(
        &mut self,
        source: Source,
        bytes: &[u8],
        receive_time: Timestamp,
    ) -> Result<(), PushError> {
        if bytes.len() > self.max_message {
            return Err(PushError::Oversized {
                len: bytes.len(),
                max: self.max_message,
            });
        }
        if self.messages.is_abandoned() {
            return Err(PushError::Disconnected);
        }
        let mut buffer = match self.buffers.try_pop() {
            Ok(buffer) => buffer,
            Err(TryPopError::Empty) => return Err(PushError::Full),
            Err(TryPopError::Disconnected) => return Err(PushError::Disconnected),
        };
        buffer.clear();
        buffer.extend_from_slice(bytes);
        let pushed = Pushed {
            source,
            receive_time,
            bytes: buffer,
        };
        // Cannot be full: this handle held one of the ring's `capacity` buffers.
        self.messages
            .try_push(pushed)
            .map_err(|_| PushError::Disconnected)?;
        fence(Ordering::SeqCst);
        if self.signal.sleeping.load(Ordering::Relaxed) {
            // A failed wake only delays delivery to the ingress's next poll timeout.
            let _ = self.signal.waker.wake();
        }
        Ok(())
    }

    /// Queues one message, yielding the thread while the ring is full.
    ///
    /// # Errors
    /// [`PushError::Oversized`] or [`PushError::Disconnected`].
    pub fn push(
        &mut self,
        source: Source,
        bytes: &[u8],
        receive_time: Timestamp,
    ) -> Result<(), PushError> {
        loop {
            match self.try_push(source, bytes, receive_time) {
                Err(PushError::Full) => std::thread::yield_now(),
                done => return done,
            }
        }
    }
}

/// The ingress's end of a push handle.
pub(crate) struct PushReceiver {
    messages: Consumer<Pushed>,
    buffers: Producer<Vec<u8>>,
}

impl PushReceiver {
    /// Whether a message is waiting.
    pub(crate) fn has_messages(&mut self) -> bool {
        !self.messages.is_empty()
    }

    /// Delivers up to the ring's capacity of waiting messages and returns their buffers.
    pub(crate) fn drain<S: Sink + ?Sized>(&mut self, outlet: &mut Outlet<'_, S>) {
        for _ in 0..self.messages.capacity() {
            let Ok(pushed) = self.messages.try_pop() else {
                return;
            };
            outlet.stats.messages += 1;
            outlet.stats.bytes += pushed.bytes.len() as u64;
            outlet
                .sink
                .message(pushed.source, &pushed.bytes, pushed.receive_time);
            // Never full: it has room for every buffer.
            let _ = self.buffers.try_push(pushed.bytes);
        }
    }
}

/// A connected handle and receiver with `capacity` slots (a power of two) of buffers
/// pre-sized to `initial_buffer` bytes.
///
/// # Errors
/// [`IngressError::Config`] if `capacity` is not a power of two.
pub(crate) fn channel(
    capacity: usize,
    initial_buffer: usize,
    max_message: usize,
    signal: Arc<WakeSignal>,
) -> Result<(PushHandle, PushReceiver), IngressError> {
    let not_power_of_two = |_| IngressError::Config("push capacity must be a power of two");
    let (messages, messages_out) =
        ring(capacity, WaitStrategy::BusySpin).map_err(not_power_of_two)?;
    let (mut buffers_in, buffers) =
        ring(capacity, WaitStrategy::BusySpin).map_err(not_power_of_two)?;
    for _ in 0..capacity {
        let _ = buffers_in.try_push(Vec::with_capacity(initial_buffer));
    }
    Ok((
        PushHandle {
            messages,
            buffers,
            max_message,
            signal,
        },
        PushReceiver {
            messages: messages_out,
            buffers: buffers_in,
        },
    ))
}
