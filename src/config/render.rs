//! Self-documenting TOML: the sections of the configuration file carry their doc comments as
//! data, so the rendered file has a comment above every key.

use std::fmt::Write as _;
use std::path::PathBuf;

use toml::{Table, Value};

/// One key of a section: its name, its doc comment and, when its type is itself a section
/// (rendered as a `[table]` or `[[array of tables]]`), that section's keys.
pub(crate) struct Field {
    /// The TOML key.
    pub key: &'static str,
    /// The doc comment, one line per `///` line.
    pub doc: &'static str,
    /// The keys of the field's type when it is a section; empty for a value.
    pub fields: &'static [Field],
}

/// A type that appears in the configuration file. A section lists its keys; every other type
/// (numbers, strings, lists, enums, inline tables) is a value and keeps the empty default.
pub(crate) trait Section {
    /// The keys of the section, in the order they are documented.
    const FIELDS: &'static [Field] = &[];
}

macro_rules! values {
    ($($ty:ty),* $(,)?) => { $(impl Section for $ty {})* };
}
values!(bool, i32, i64, u32, u64, usize, f64, String, PathBuf);

impl<T: Section> Section for Vec<T> {
    const FIELDS: &'static [Field] = T::FIELDS;
}

impl<T: Section, const N: usize> Section for [T; N] {
    const FIELDS: &'static [Field] = T::FIELDS;
}

/// Declares a section of the configuration file: a struct whose omitted keys take the
/// struct's [`Default`], whose unknown keys are refused, and whose fields' doc comments become
/// the comments of the rendered file.
macro_rules! section {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident $(<$param:ident>)? {
            $( $(#[doc = $doc:literal])+ $key:ident : $ty:ty, )+
        }
    ) => {
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        $(#[$meta])*
        $vis struct $name $(<$param>)? {
            $( $(#[doc = $doc])+ pub $key: $ty, )+
        }

        impl $(<$param: $crate::config::render::Section>)? $crate::config::render::Section
            for $name $(<$param>)?
        {
            const FIELDS: &'static [$crate::config::render::Field] = &[
                $( $crate::config::render::Field {
                    key: stringify!($key),
                    doc: concat!($($doc, "\n"),+),
                    fields: <$ty as $crate::config::render::Section>::FIELDS,
                }, )+
            ];
        }
    };
}
pub(crate) use section;

/// Renders `table` (a serialised section with keys `fields`) as TOML with each key's doc
/// comment above it and its value in `defaults` (the same section at its defaults) after it.
pub(crate) fn render(table: &Table, defaults: &Table, fields: &[Field]) -> String {
    let mut out = String::new();
    write_section(&mut out, "", table, defaults, fields);
    out
}

/// Writes the values of a section, then its subsections (TOML wants them in that order).
fn write_section(out: &mut String, path: &str, table: &Table, defaults: &Table, fields: &[Field]) {
    for field in fields.iter().filter(|field| field.fields.is_empty()) {
        let Some(value) = table.get(field.key) else {
            continue;
        };
        write_doc(out, field.doc);
        if let Some(default) = defaults.get(field.key) {
            let _ = writeln!(out, "# Default: {default}");
        }
        let _ = writeln!(out, "{} = {value}\n", field.key);
    }
    let empty = Table::new();
    for field in fields.iter().filter(|field| !field.fields.is_empty()) {
        let path = if path.is_empty() {
            field.key.to_owned()
        } else {
            format!("{path}.{}", field.key)
        };
        match (table.get(field.key), defaults.get(field.key)) {
            (Some(Value::Table(child)), default) => {
                write_doc(out, field.doc);
                let _ = writeln!(out, "[{path}]");
                let default = match default {
                    Some(Value::Table(default)) => default,
                    _ => &empty,
                };
                write_section(out, &path, child, default, field.fields);
            }
            (Some(Value::Array(items)), default) => {
                write_doc(out, field.doc);
                // Every element's defaults are those of the first default element.
                let default = match default {
                    Some(Value::Array(defaults)) => match defaults.first() {
                        Some(Value::Table(first)) => first,
                        _ => &empty,
                    },
                    _ => &empty,
                };
                for item in items {
                    if let Value::Table(child) = item {
                        let _ = writeln!(out, "[[{path}]]");
                        write_section(out, &path, child, default, field.fields);
                    }
                }
            }
            _ => {}
        }
    }
}

fn write_doc(out: &mut String, doc: &str) {
    for line in doc.lines() {
        let _ = writeln!(out, "#{}", line.trim_end());
    }
}
