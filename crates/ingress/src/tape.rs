//! A tape endpoint: an NDJSON file (gzip-compressed or not, told by its magic bytes) or any
//! reader, read as fast as the caller polls.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::clock::Clock;
use crate::error::IngressError;
use crate::framing::Outlet;
use crate::lines::LineBuffer;
use crate::sink::{ConnectionEvent, Sink};
use crate::stream::{ReadOutcome, read_available};

/// The first two bytes of every gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A tape being read.
pub(crate) struct Tape {
    reader: Box<dyn Read + Send>,
    lines: LineBuffer,
    ended: bool,
}

impl Tape {
    /// A tape over `reader`.
    pub(crate) fn new(reader: Box<dyn Read + Send>, lines: LineBuffer) -> Self {
        Self {
            reader,
            lines,
            ended: false,
        }
    }

    /// Whether the tape has been read to its end (or failed).
    pub(crate) const fn ended(&self) -> bool {
        self.ended
    }

    /// Makes at most `budget` reads, delivering every complete line.
    ///
    /// # Errors
    /// [`IngressError::ReadTape`] if reading failed (the tape is then ended).
    pub(crate) fn read<S: Sink + ?Sized>(
        &mut self,
        budget: usize,
        clock: &mut dyn Clock,
        outlet: &mut Outlet<'_, S>,
    ) -> Result<(), IngressError> {
        if self.ended {
            return Ok(());
        }
        let outcome = read_available(
            &mut self.reader,
            &mut self.lines,
            clock,
            outlet,
            Some(budget),
        );
        if matches!(outcome, ReadOutcome::Open) {
            return Ok(());
        }
        self.ended = true;
        outlet
            .sink
            .connection(outlet.endpoint, ConnectionEvent::TapeEnded);
        match outcome {
            ReadOutcome::Failed(error) => Err(IngressError::ReadTape(error)),
            ReadOutcome::Open | ReadOutcome::Ended => Ok(()),
        }
    }
}

/// Opens `path`, decompressing it if it starts with the gzip magic bytes (concatenated gzip
/// members are read as one stream).
///
/// # Errors
/// [`IngressError::OpenTape`] if the file cannot be opened or read.
pub(crate) fn open(path: &Path) -> Result<Box<dyn Read + Send>, IngressError> {
    let fail = |source| IngressError::OpenTape {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(fail)?;
    let mut magic = [0_u8; 2];
    let mut len = 0;
    while len < magic.len() {
        match file.read(&mut magic[len..]) {
            Ok(0) => break,
            Ok(read) => len += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(fail(error)),
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(fail)?;
    if len == magic.len() && magic == GZIP_MAGIC {
        Ok(Box::new(MultiGzDecoder::new(file)))
    } else {
        Ok(Box::new(file))
    }
}
