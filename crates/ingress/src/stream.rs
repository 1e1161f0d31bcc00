//! Reading a byte stream (socket or tape) through the line framer into an outlet.

use std::io::{self, Read};

use crate::clock::Clock;
use crate::framing::Outlet;
use crate::lines::LineBuffer;
use crate::sink::Sink;

/// How a round of reading ended.
#[derive(Debug)]
pub(crate) enum ReadOutcome {
    /// Nothing more to read for now (would block, or the read budget is spent).
    Open,
    /// The stream ended; an unfinished line has been reported.
    Ended,
    /// The stream failed; an unfinished line has been reported.
    Failed(io::Error),
}

/// Reads until the stream would block or ends, or `budget` reads have been made, delivering
/// every complete line. All lines of one read share its receive time.
pub(crate) fn read_available<S: Sink + ?Sized>(
    reader: &mut impl Read,
    lines: &mut LineBuffer,
    clock: &mut dyn Clock,
    outlet: &mut Outlet<'_, S>,
    budget: Option<usize>,
) -> ReadOutcome {
    let mut reads = 0;
    loop {
        if budget.is_some_and(|budget| reads >= budget) {
            return ReadOutcome::Open;
        }
        reads += 1;
        match lines.read_from(reader) {
            Ok(0) => {
                lines.finish(&mut |line| outlet.line(line));
                return ReadOutcome::Ended;
            }
            Ok(_) => {
                outlet.received = clock.now();
                lines.drain(&mut |line| outlet.line(line));
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return ReadOutcome::Open,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => {
                lines.finish(&mut |line| outlet.line(line));
                return ReadOutcome::Failed(error);
            }
        }
    }
}
