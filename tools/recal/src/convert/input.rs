//! Opening an input CSV (gzip told by its magic bytes), its header, and the row loop that
//! counts rows and skips.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, bail};
use csv::StringRecord;
use flate2::bufread::MultiGzDecoder;

use super::report::{FileReport, Skip};

/// The first two bytes of a gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Column names of a header row, by position.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    names: Vec<String>,
    positions: HashMap<String, usize>,
}

impl Header {
    fn new(record: &StringRecord) -> Self {
        let names: Vec<String> = record.iter().map(str::to_owned).collect();
        let mut positions = HashMap::new();
        for (position, name) in names.iter().enumerate() {
            positions.entry(name.clone()).or_insert(position);
        }
        Self { names, positions }
    }

    /// Whether every one of `names` is a column.
    pub(crate) fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|name| self.positions.contains_key(*name))
    }

    /// The position of column `name`.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        self.positions.get(name).copied()
    }

    /// Column names, in order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }
}

/// A CSV input being read.
pub(crate) struct Table {
    reader: csv::Reader<Box<dyn Read>>,
    /// The header row, if the file has one.
    pub(crate) header: Option<Header>,
    /// The first row when it is data, not a header.
    first: Option<StringRecord>,
}

/// Whether `record` looks like a header: some field has a letter and is not a number.
fn is_header(record: &StringRecord) -> bool {
    record.iter().any(|field| {
        field.bytes().any(|b| b.is_ascii_alphabetic()) && field.parse::<f64>().is_err()
    })
}

impl Table {
    /// Opens `path`; `header` forces (or, `Some(false)`, forbids) a header row, `None` tells
    /// it from the first row.
    pub(crate) fn open(path: &Path, header: Option<bool>) -> anyhow::Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut buffered = BufReader::with_capacity(256 * 1024, file);
        let start = buffered
            .fill_buf()
            .with_context(|| format!("cannot read {}", path.display()))?;
        let reader: Box<dyn Read> = if start.starts_with(&GZIP_MAGIC) {
            Box::new(MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let mut first = StringRecord::new();
        let read = reader
            .read_record(&mut first)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if !read {
            bail!("{} is empty", path.display());
        }
        let (header, first) = match header.unwrap_or_else(|| is_header(&first)) {
            true => (Some(Header::new(&first)), None),
            false => (None, Some(first)),
        };
        Ok(Self {
            reader,
            header,
            first,
        })
    }

    /// The position of column `name`: a header name, or a 0-based position when the file has
    /// no header.
    pub(crate) fn column(&self, name: &str) -> anyhow::Result<usize> {
        match &self.header {
            Some(header) => header.position(name).with_context(|| {
                format!(
                    "no column `{name}` (columns: {})",
                    header.names().join(", ")
                )
            }),
            None => name.parse().with_context(|| {
                format!("the file has no header: name column `{name}` by its 0-based position")
            }),
        }
    }

    /// Like [`Table::column`], `None` when absent.
    pub(crate) fn optional_column(&self, name: &str) -> Option<usize> {
        self.column(name).ok()
    }

    /// Calls `convert` on every data row, counting rows in `report` and the rows it skips.
    /// A row that is not valid CSV is skipped; a read error ends the file with an error.
    pub(crate) fn rows(
        &mut self,
        report: &mut FileReport,
        mut convert: impl FnMut(&StringRecord) -> Result<(), Skip>,
    ) -> anyhow::Result<()> {
        let mut record = self.first.take().unwrap_or_default();
        let mut pending = !record.is_empty();
        loop {
            if !pending {
                match self.reader.read_record(&mut record) {
                    Ok(true) => {}
                    Ok(false) => return Ok(()),
                    Err(error) if matches!(error.kind(), csv::ErrorKind::Io(_)) => {
                        return Err(error)
                            .context(format!("cannot read {}", report.path.display()));
                    }
                    Err(_) => {
                        report.rows += 1;
                        report.skip(Skip::new("not valid CSV"));
                        continue;
                    }
                }
            }
            pending = false;
            report.rows += 1;
            if let Err(skip) = convert(&record) {
                report.skip(skip);
            }
        }
    }
}

/// Field `position` of `record`, empty when the row is short.
pub(crate) fn field(record: &StringRecord, position: usize) -> &str {
    record.get(position).unwrap_or("")
}
