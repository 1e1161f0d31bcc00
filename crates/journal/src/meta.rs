//! `journal.meta`: the small text file that says what a journal directory holds.
//!
//! The format is one `key = value` per line; lines starting with `#` and blank lines are
//! ignored; every key below is required, none may repeat, and unknown keys are rejected (a new
//! key means a new `format_version`):
//!
//! ```text
//! # recal journal metadata
//! format_version = 1
//! schema_id = 7
//! schema_name = recal.input
//! schema_version = 3
//! segment_size = 67108864
//! ```
//!
//! `schema_*` name the record schema (the meaning of record types and payloads); the id is also
//! stamped into every segment header so a segment copied from another journal is caught.
//! `segment_size` is the byte size of every segment file.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::Path;

use crate::dir::{self, META_FILE};
use crate::error::JournalError;
use crate::segment::check_segment_size;

/// The `journal.meta` format version this build reads and writes.
pub const META_FORMAT_VERSION: u32 = 1;

/// Identity of the record schema a journal holds: what its record types and payloads mean.
///
/// Writers and readers that know what they expect compare schemas, so a replay never runs on a
/// journal of another kind or another layout version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schema {
    /// Numeric id, also stamped into every segment header.
    pub id: u64,
    /// Human-readable name, e.g. `recal.input`: printable ASCII, no spaces.
    pub name: String,
    /// Layout version of the payloads.
    pub version: u32,
}

impl Schema {
    /// A schema with the given id, name and version.
    pub fn new(id: u64, name: impl Into<String>, version: u32) -> Self {
        Schema {
            id,
            name: name.into(),
            version,
        }
    }

    /// Checks that the name can be stored in `journal.meta`.
    pub(crate) fn validate(&self) -> Result<(), JournalError> {
        if self.name.is_empty() || !self.name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(JournalError::InvalidConfig {
                reason: format!(
                    "schema name {:?} must be non-empty printable ASCII without spaces",
                    self.name
                ),
            });
        }
        Ok(())
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{} (id {})", self.name, self.version, self.id)
    }
}

/// The contents of `journal.meta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The record schema.
    pub schema: Schema,
    /// Size in bytes of every segment file.
    pub segment_size: u64,
}

impl Meta {
    /// Reads `journal.meta` from a journal directory.
    ///
    /// # Errors
    /// [`JournalError::NotAJournal`] when the file is missing, [`JournalError::BadMeta`] or
    /// [`JournalError::UnsupportedVersion`] when it cannot be understood.
    pub fn read(dir: &Path) -> Result<Meta, JournalError> {
        let path = dir.join(META_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(JournalError::NotAJournal {
                    dir: dir.to_path_buf(),
                });
            }
            Err(e) => return Err(JournalError::io(&path, e)),
        };
        Meta::parse(&text, &path)
    }

    /// Fails with [`JournalError::SchemaMismatch`] unless the journal holds `expected`.
    pub fn expect_schema(&self, expected: &Schema) -> Result<(), JournalError> {
        if &self.schema == expected {
            Ok(())
        } else {
            Err(JournalError::SchemaMismatch {
                expected: expected.clone(),
                found: self.schema.clone(),
            })
        }
    }

    /// Writes `journal.meta` atomically (temporary file, fsync, rename, fsync of the directory).
    pub(crate) fn write(&self, dir: &Path) -> Result<(), JournalError> {
        let path = dir.join(META_FILE);
        let tmp = dir.join(format!("{META_FILE}.tmp"));
        let mut file = fs::File::create(&tmp).map_err(|e| JournalError::io(&tmp, e))?;
        file.write_all(self.render().as_bytes())
            .map_err(|e| JournalError::io(&tmp, e))?;
        file.sync_all().map_err(|e| JournalError::io(&tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| JournalError::io(&path, e))?;
        dir::sync_dir(dir)
    }

    fn render(&self) -> String {
        format!(
            "# recal journal metadata\nformat_version = {META_FORMAT_VERSION}\nschema_id = {}\n\
             schema_name = {}\nschema_version = {}\nsegment_size = {}\n",
            self.schema.id, self.schema.name, self.schema.version, self.segment_size
        )
    }

    fn parse(text: &str, path: &Path) -> Result<Meta, JournalError> {
        let bad = |line: usize, reason: String| JournalError::BadMeta {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut fields = MetaFields::default();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(bad(
                    line_no,
                    format!("expected `key = value`, found {line:?}"),
                ));
            };
            let (key, value) = (key.trim(), value.trim());
            let number = |v: &str| {
                v.parse::<u64>()
                    .map_err(|e| bad(line_no, format!("{key}: {e}")))
            };
            let slot_taken = match key {
                "format_version" => {
                    let found = u32::try_from(number(value)?).unwrap_or(u32::MAX);
                    if found != META_FORMAT_VERSION {
                        return Err(JournalError::UnsupportedVersion {
                            path: path.to_path_buf(),
                            found,
                            supported: META_FORMAT_VERSION,
                        });
                    }
                    fields.format_version.replace(found).is_some()
                }
                "schema_id" => fields.schema_id.replace(number(value)?).is_some(),
                "schema_name" => fields.schema_name.replace(value.to_string()).is_some(),
                "schema_version" => {
                    let v = u32::try_from(number(value)?)
                        .map_err(|e| bad(line_no, format!("{key}: {e}")))?;
                    fields.schema_version.replace(v).is_some()
                }
                "segment_size" => fields.segment_size.replace(number(value)?).is_some(),
                other => return Err(bad(line_no, format!("unknown key {other:?}"))),
            };
            if slot_taken {
                return Err(bad(line_no, format!("duplicate key {key:?}")));
            }
        }
        let missing = |key: &str| bad(0, format!("missing key {key:?}"));
        fields
            .format_version
            .ok_or_else(|| missing("format_version"))?;
        let schema = Schema {
            id: fields.schema_id.ok_or_else(|| missing("schema_id"))?,
            name: fields.schema_name.ok_or_else(|| missing("schema_name"))?,
            version: fields
                .schema_version
                .ok_or_else(|| missing("schema_version"))?,
        };
        schema.validate().map_err(|e| bad(0, e.to_string()))?;
        let segment_size = fields.segment_size.ok_or_else(|| missing("segment_size"))?;
        check_segment_size(segment_size).map_err(|reason| bad(0, reason))?;
        Ok(Meta {
            schema,
            segment_size,
        })
    }
}

#[derive(Default)]
struct MetaFields {
    format_version: Option<u32>,
    schema_id: Option<u64>,
    schema_name: Option<String>,
    schema_version: Option<u32>,
    segment_size: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Meta {
        Meta {
            schema: Schema::new(7, "recal.input", 3),
            segment_size: 1 << 16,
        }
    }

    fn parse(text: &str) -> Result<Meta, JournalError> {
        Meta::parse(text, Path::new("journal.meta"))
    }

    #[test]
    fn render_then_parse_is_identity() {
        assert_eq!(parse(&sample().render()).unwrap(), sample());
    }

    #[test]
    fn comments_blank_lines_and_spacing_are_tolerated() {
        let text = "\n# c\n  format_version=1\nschema_id =7\nschema_name= recal.input \n\
                    schema_version = 3\n\nsegment_size = 65536\n";
        assert_eq!(parse(text).unwrap(), sample());
    }

    #[test]
    fn unknown_duplicate_and_missing_keys_are_errors() {
        let base = sample().render();
        let unknown = format!("{base}colour = blue\n");
        assert!(matches!(
            parse(&unknown),
            Err(JournalError::BadMeta { line: 7, .. })
        ));
        let duplicate = format!("{base}schema_id = 8\n");
        assert!(matches!(
            parse(&duplicate),
            Err(JournalError::BadMeta { line: 7, .. })
        ));
        let missing = base.replace("segment_size = 65536\n", "");
        assert!(matches!(
            parse(&missing),
            Err(JournalError::BadMeta { line: 0, .. })
        ));
        let garbage = format!("{base}no equals sign\n");
        assert!(matches!(
            parse(&garbage),
            Err(JournalError::BadMeta { line: 7, .. })
        ));
    }

    #[test]
    fn future_format_version_is_unsupported() {
        let text = sample()
            .render()
            .replace("format_version = 1", "format_version = 2");
        assert!(matches!(
            parse(&text),
            Err(JournalError::UnsupportedVersion {
                found: 2,
                supported: 1,
                ..
            })
        ));
    }

    #[test]
    fn bad_values_are_errors_not_panics() {
        let text = sample()
            .render()
            .replace("segment_size = 65536", "segment_size = 1000");
        assert!(matches!(parse(&text), Err(JournalError::BadMeta { .. })));
        let text = sample().render().replace("schema_id = 7", "schema_id = -1");
        assert!(matches!(
            parse(&text),
            Err(JournalError::BadMeta { line: 3, .. })
        ));
        let text = sample()
            .render()
            .replace("schema_version = 3", "schema_version = 99999999999");
        assert!(matches!(
            parse(&text),
            Err(JournalError::BadMeta { line: 5, .. })
        ));
    }

    #[test]
    fn schema_names_with_spaces_are_rejected() {
        assert!(Schema::new(1, "a b", 1).validate().is_err());
        assert!(Schema::new(1, "", 1).validate().is_err());
        assert!(Schema::new(1, "recal.input", 1).validate().is_ok());
    }

    #[test]
    fn expect_schema_names_both_sides() {
        let err = sample()
            .expect_schema(&Schema::new(8, "other", 1))
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("other v1 (id 8)") && text.contains("recal.input v3 (id 7)"),
            "{text}"
        );
    }
}
