//! Reading records out of import files, one at a time, whatever the format: JSON Lines,
//! CSV, Parquet, or plain text with one record per line. Each record carries where it came
//! from (line or row), so every error can say exactly where to look. Nothing here reads a
//! whole file into memory.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use arrow_array::{
    Array, BooleanArray, LargeStringArray, ListArray, RecordBatch, StringArray, StructArray,
};
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::{FileFormat, ImportError, parquet_pages};

/// Where a record is in its file, counted from 1 as editors and spreadsheets do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Line(u64),
    Row(u64),
}

/// 4017 → "4,017": easier to find in a large file.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {}", grouped(*n)),
            Location::Row(n) => write!(f, "row {}", grouped(*n)),
        }
    }
}

/// One field of one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// The record has no such field.
    Missing,
    Null,
    Text(String),
    /// A list of `{role, content}` messages.
    Messages(Vec<(String, String)>),
    /// A JSON or Parquet boolean (`gold_label`).
    Bool(bool),
    /// Something else; the name of its type, for the error message.
    Other(String),
}

impl Value {
    /// The bytes of text the value holds.
    fn text_bytes(&self) -> usize {
        match self {
            Value::Text(text) => text.len(),
            Value::Messages(messages) => messages.iter().map(|(r, c)| r.len() + c.len()).sum(),
            Value::Missing | Value::Null | Value::Other(_) | Value::Bool(_) => 0,
        }
    }
}

pub struct Record {
    pub at: Location,
    /// One value per requested field, in the order asked.
    pub values: Vec<Value>,
    /// The record's other fields that `Keep` asked for, as JSON (a CSV cell as a string);
    /// null and empty ones are left out.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Which of a record's other fields an import keeps, as metadata (and which metadata
/// fields an export writes as columns).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Keep {
    /// Every field the import does not read otherwise.
    #[default]
    All,
    Nothing,
    /// These; in CSV and Parquet each must be a column.
    Named(Vec<String>),
}

impl Keep {
    /// Reads `all`, `none`, or a comma-separated list of field names.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "all" => Ok(Keep::All),
            "none" => Ok(Keep::Nothing),
            "" => Err("expected all, none, or field names separated by commas".into()),
            names => {
                let names = Self::names(names);
                if names.is_empty() {
                    return Err("expected all, none, or field names separated by commas".into());
                }
                Ok(Keep::Named(names))
            }
        }
    }

    /// Field names separated by commas, without spaces around them or empty ones.
    pub fn names(text: &str) -> Vec<String> {
        text.split(',')
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// Whether to keep a field that is not one of the `fields` the import reads.
    fn wants(&self, name: &str, fields: &[String]) -> bool {
        match self {
            Keep::All => !fields.iter().any(|f| f == name),
            Keep::Nothing => false,
            Keep::Named(names) => names.iter().any(|n| n == name),
        }
    }

    /// The columns to keep, with their positions; an error for a named one that is missing.
    fn columns(
        &self,
        path: &Path,
        columns: &[String],
        fields: &[String],
        at: Location,
    ) -> Result<Vec<(String, usize)>, ImportError> {
        if let Keep::Named(names) = self
            && let Some(missing) = names.iter().find(|n| !columns.contains(n))
        {
            return Err(ImportError::at(
                path,
                at,
                format!(
                    "no column `{missing}` (named in the metadata fields); the columns are {}",
                    quoted_list(columns)
                ),
            ));
        }
        Ok(columns
            .iter()
            .enumerate()
            .filter(|(_, c)| self.wants(c, fields))
            .map(|(i, c)| (c.clone(), i))
            .collect())
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The largest record swipeset reads (a line of JSONL or text, a CSV record, the text of a
/// Parquet row): a prompt with its response is kilobytes; a record of gigabytes is a
/// broken file, and would be held in memory whole.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// Runs a step of the parquet crate, turning its panic into this file's error. The crate
/// panics on some malformed files instead of failing (an assertion on a footer value, a
/// division by a page's value count of zero: both found by `scripts/fuzz.sh`); a file is
/// input, and input gets an error that says where, not a crash.
fn contained<T>(
    path: &Path,
    at: Location,
    step: impl FnOnce() -> Result<T, ImportError>,
) -> Result<T, ImportError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the reader failed".to_string());
        Err(ImportError::at(
            path,
            at,
            format!("not a readable Parquet file: {reason}"),
        ))
    })
}

/// A CSV file, read so that one record cannot grow without bound. The `csv` crate keeps
/// reading into a record for as long as it goes on (a quoted field may hold any number of
/// line breaks), so this fails once more than `MAX_RECORD_BYTES` (plus the crate's small
/// read-ahead) have been read since the record began; the caller sets `record_start`
/// before each record.
pub struct RecordCap {
    file: File,
    /// Bytes handed to the CSV reader so far.
    read: u64,
    /// Where the record being read began.
    record_start: u64,
}

/// More than the CSV reader's read-ahead buffer (8 KiB).
const CSV_READ_AHEAD: u64 = 64 * 1024;

impl Read for RecordCap {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.read.saturating_sub(self.record_start) > MAX_RECORD_BYTES + CSV_READ_AHEAD {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the record is longer than {} MiB; is this a CSV file, and are its quotes \
                     closed?",
                    MAX_RECORD_BYTES / (1024 * 1024)
                ),
            ));
        }
        let n = self.file.read(buffer)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// The file's records, each reduced to the requested fields.
pub enum Records {
    Lines {
        reader: BufReader<File>,
        line: u64,
        buffer: Vec<u8>,
        json: bool,
        /// The requested field names (JSON), or their count's worth of slots (text).
        fields: Vec<String>,
        keep: Keep,
    },
    Csv {
        reader: csv::Reader<RecordCap>,
        /// Position of each requested field among the columns, if present.
        positions: Vec<Option<usize>>,
        /// The columns kept as metadata, and where they are.
        extra: Vec<(String, usize)>,
        record: csv::StringRecord,
    },
    Parquet {
        reader: ParquetRecordBatchReader,
        /// Column of each requested field in the projected batches, if present.
        positions: Vec<Option<usize>>,
        /// The columns kept as metadata, and where they are in the projected batches.
        extra: Vec<(String, usize)>,
        batch: Option<RecordBatch>,
        index: usize,
        row: u64,
    },
}

impl Records {
    /// Opens `path` for `fields`. `required` are the fields a column-based format must
    /// have (each a group of alternatives); a missing one is an error naming the columns
    /// that are there. `keep` says which other fields each record carries as metadata.
    pub fn open(
        path: &Path,
        format: FileFormat,
        fields: &[String],
        required: &[&[&str]],
        keep: &Keep,
    ) -> Result<Self, ImportError> {
        let file = File::open(path).map_err(|e| ImportError::file(path, e.to_string()))?;
        match format {
            FileFormat::Jsonl | FileFormat::Text => Ok(Records::Lines {
                reader: BufReader::with_capacity(256 * 1024, file),
                line: 0,
                buffer: Vec::new(),
                json: format == FileFormat::Jsonl,
                fields: fields.to_vec(),
                keep: keep.clone(),
            }),
            FileFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(false)
                    .from_reader(RecordCap {
                        file,
                        read: 0,
                        record_start: 0,
                    });
                let headers = reader
                    .headers()
                    .map_err(|e| ImportError::at(path, Location::Line(1), csv_reason(&e)))?
                    .clone();
                let columns: Vec<String> = headers.iter().map(str::to_string).collect();
                let positions = positions(path, &columns, fields, required, Location::Line(1))?;
                let extra = keep.columns(path, &columns, fields, Location::Line(1))?;
                Ok(Records::Csv {
                    reader,
                    positions,
                    extra,
                    record: csv::StringRecord::new(),
                })
            }
            FileFormat::Parquet => {
                let length = file
                    .metadata()
                    .map_err(|e| ImportError::file(path, e.to_string()))?
                    .len();
                let builder = contained(path, Location::Row(1), || {
                    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
                        ImportError::file(path, format!("not a readable Parquet file: {e}"))
                    })
                })?;
                parquet_pages::check_chunks(path, builder.metadata(), length)?;
                let columns: Vec<String> = builder
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                let wanted = positions(path, &columns, fields, required, Location::Row(1))?;
                let extra = keep.columns(path, &columns, fields, Location::Row(1))?;
                // Read only the columns asked for; their order in a batch follows the file.
                let mut kept: Vec<usize> = wanted
                    .iter()
                    .flatten()
                    .copied()
                    .chain(extra.iter().map(|(_, c)| *c))
                    .collect();
                kept.sort_unstable();
                kept.dedup();
                parquet_pages::check_pages(
                    path,
                    builder.metadata(),
                    &kept,
                    parquet_pages::MAX_PAGE_BYTES,
                )?;
                let mask = ProjectionMask::roots(builder.parquet_schema(), kept.iter().copied());
                let projected = |c: usize| kept.iter().position(|k| *k == c);
                let positions = wanted.iter().map(|p| p.and_then(projected)).collect();
                let extra = extra
                    .into_iter()
                    .filter_map(|(name, c)| Some((name, projected(c)?)))
                    .collect();
                let reader = builder
                    .with_projection(mask)
                    .with_batch_size(4_096)
                    .build()
                    .map_err(|e| ImportError::file(path, e.to_string()))?;
                Ok(Records::Parquet {
                    reader,
                    positions,
                    extra,
                    batch: None,
                    index: 0,
                    row: 0,
                })
            }
        }
    }

    /// The next record, or `None` at the end of the file.
    pub fn next(&mut self, path: &Path) -> Result<Option<Record>, ImportError> {
        match self {
            Records::Lines {
                reader,
                line,
                buffer,
                json,
                fields,
                keep,
            } => loop {
                buffer.clear();
                let read = std::io::Read::take(&mut *reader, MAX_RECORD_BYTES + 1)
                    .read_until(b'\n', buffer)
                    .map_err(|e| ImportError::file(path, e.to_string()))?;
                if read == 0 {
                    return Ok(None);
                }
                *line += 1;
                let at = Location::Line(*line);
                if read as u64 > MAX_RECORD_BYTES {
                    return Err(ImportError::at(
                        path,
                        at,
                        format!(
                            "the line is longer than {} MiB; is this a JSONL or text file?",
                            MAX_RECORD_BYTES / (1024 * 1024)
                        ),
                    ));
                }
                while matches!(buffer.last(), Some(b'\n' | b'\r')) {
                    buffer.pop();
                }
                let text = std::str::from_utf8(buffer).map_err(|e| {
                    ImportError::at(
                        path,
                        at,
                        format!(
                            "not UTF-8: byte 0x{:02x} at column {}",
                            buffer[e.valid_up_to()],
                            e.valid_up_to() + 1
                        ),
                    )
                })?;
                // Blank lines separate nothing and hold nothing: skipped in both formats.
                if text.trim().is_empty() {
                    continue;
                }
                if !*json {
                    let values = fields
                        .iter()
                        .enumerate()
                        .map(|(i, _)| {
                            if i == 0 {
                                Value::Text(text.to_string())
                            } else {
                                Value::Missing
                            }
                        })
                        .collect();
                    return Ok(Some(Record {
                        at,
                        values,
                        extra: serde_json::Map::new(),
                    }));
                }
                let object: serde_json::Value = serde_json::from_str(text)
                    .map_err(|e| ImportError::at(path, at, format!("broken JSON: {e}")))?;
                let serde_json::Value::Object(object) = object else {
                    return Err(ImportError::at(
                        path,
                        at,
                        format!("expected a JSON object, got {}", json_type(&object)),
                    ));
                };
                let values = fields
                    .iter()
                    .map(|f| object.get(f).map_or(Value::Missing, json_value))
                    .collect();
                let extra = object
                    .into_iter()
                    .filter(|(name, value)| !value.is_null() && keep.wants(name, fields))
                    .collect();
                return Ok(Some(Record { at, values, extra }));
            },
            Records::Csv {
                reader,
                positions,
                extra,
                record,
            } => {
                let start = reader.position().clone();
                reader.get_mut().record_start = start.byte();
                let more = reader.read_record(record).map_err(|e| {
                    let line = e.position().map_or(start.line(), |p| p.line());
                    ImportError::at(path, Location::Line(line), csv_reason(&e))
                })?;
                if !more {
                    return Ok(None);
                }
                let at = Location::Line(record.position().map_or(0, |p| p.line()));
                let values = positions
                    .iter()
                    .map(|p| match p.and_then(|i| record.get(i)) {
                        Some(text) => Value::Text(text.to_string()),
                        None => Value::Missing,
                    })
                    .collect();
                let extra = extra
                    .iter()
                    .filter_map(|(name, i)| {
                        let text = record.get(*i).filter(|t| !t.is_empty())?;
                        Some((name.clone(), serde_json::Value::String(text.to_string())))
                    })
                    .collect();
                Ok(Some(Record { at, values, extra }))
            }
            Records::Parquet {
                reader,
                positions,
                extra,
                batch,
                index,
                row,
            } => {
                loop {
                    if let Some(current) = batch.as_ref()
                        && *index < current.num_rows()
                    {
                        break;
                    }
                    let at = Location::Row(*row + 1);
                    match contained(path, at, || Ok(reader.next()))? {
                        Some(next) => {
                            *batch =
                                Some(next.map_err(|e| ImportError::at(path, at, e.to_string()))?);
                            *index = 0;
                        }
                        None => return Ok(None),
                    }
                }
                let Some(current) = batch.as_ref() else {
                    return Ok(None);
                };
                *row += 1;
                let i = *index;
                *index += 1;
                let values: Vec<Value> = positions
                    .iter()
                    .map(|p| match p {
                        Some(c) => arrow_value(current.column(*c).as_ref(), i),
                        None => Value::Missing,
                    })
                    .collect();
                let mut kept = serde_json::Map::new();
                for (name, c) in extra.iter() {
                    let value = arrow_json(current.column(*c).as_ref(), i).map_err(|kind| {
                        ImportError::at(
                            path,
                            Location::Row(*row),
                            format!(
                                "column `{name}` is {kind}, which swipeset cannot keep as \
                                 metadata; name the fields to keep with --metadata-fields"
                            ),
                        )
                    })?;
                    if !value.is_null() {
                        kept.insert(name.clone(), value);
                    }
                }
                let size: usize = values.iter().map(Value::text_bytes).sum::<usize>()
                    + kept.values().map(|v| v.to_string().len()).sum::<usize>();
                if size as u64 > MAX_RECORD_BYTES {
                    return Err(ImportError::at(
                        path,
                        Location::Row(*row),
                        format!(
                            "the row holds {} MiB of text, more than the {} MiB swipeset reads \
                             in one record",
                            size.div_ceil(1024 * 1024),
                            MAX_RECORD_BYTES / (1024 * 1024)
                        ),
                    ));
                }
                Ok(Some(Record {
                    at: Location::Row(*row),
                    values,
                    extra: kept,
                }))
            }
        }
    }
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!(
            "not UTF-8 in column {} (a byte that is not valid UTF-8)",
            err.field() + 1
        ),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} columns as in the header, got {len}"),
        _ => e.to_string(),
    }
}

/// Where each requested field is among `columns`; an error when none of a group of
/// `required` alternatives is there.
fn positions(
    path: &Path,
    columns: &[String],
    fields: &[String],
    required: &[&[&str]],
    at: Location,
) -> Result<Vec<Option<usize>>, ImportError> {
    let positions: Vec<Option<usize>> = fields
        .iter()
        .map(|f| columns.iter().position(|c| c == f))
        .collect();
    for group in required {
        if !group.iter().any(|name| columns.iter().any(|c| c == name)) {
            let names = group
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            return Err(ImportError::at(
                path,
                at,
                format!(
                    "no column {names}; the columns are {}",
                    quoted_list(columns)
                ),
            ));
        }
    }
    Ok(positions)
}

fn json_type(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
    .to_string()
}

fn json_value(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Array(items) => {
            let messages: Option<Vec<(String, String)>> = items
                .iter()
                .map(|m| {
                    Some((
                        m.get("role")?.as_str()?.to_string(),
                        m.get("content")?.as_str()?.to_string(),
                    ))
                })
                .collect();
            messages.map_or_else(
                || Value::Other("a list that is not messages".into()),
                Value::Messages,
            )
        }
        other => Value::Other(json_type(other)),
    }
}

fn arrow_value(array: &dyn Array, i: usize) -> Value {
    if array.is_null(i) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Utf8 => array
            .as_any()
            .downcast_ref::<StringArray>()
            .map_or(Value::Missing, |a| Value::Text(a.value(i).to_string())),
        DataType::LargeUtf8 => array
            .as_any()
            .downcast_ref::<LargeStringArray>()
            .map_or(Value::Missing, |a| Value::Text(a.value(i).to_string())),
        DataType::Boolean => array
            .as_any()
            .downcast_ref::<BooleanArray>()
            .map_or(Value::Missing, |a| Value::Bool(a.value(i))),
        DataType::List(_) => {
            let Some(list) = array.as_any().downcast_ref::<ListArray>() else {
                return Value::Other("a list".into());
            };
            let items = list.value(i);
            let Some(items) = items.as_any().downcast_ref::<StructArray>() else {
                return Value::Other("a list that is not messages".into());
            };
            let text = |name: &str| {
                items
                    .column_by_name(name)
                    .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
            };
            match (text("role"), text("content")) {
                (Some(roles), Some(contents)) => Value::Messages(
                    (0..items.len())
                        .map(|j| (roles.value(j).to_string(), contents.value(j).to_string()))
                        .collect(),
                ),
                _ => Value::Other("a list that is not messages".into()),
            }
        }
        other => Value::Other(other.to_string()),
    }
}

/// One value of an Arrow column as JSON, for metadata: text, numbers, booleans, and lists
/// and structs of them. Anything else is an error naming its type.
fn arrow_json(array: &dyn Array, i: usize) -> Result<serde_json::Value, String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
        UInt32Type, UInt64Type,
    };
    use serde_json::{Value as Json, json};
    if array.is_null(i) {
        return Ok(Json::Null);
    }
    let float = |x: f64| serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number);
    Ok(match array.data_type() {
        DataType::Null => Json::Null,
        DataType::Utf8 => json!(array.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => json!(array.as_string::<i64>().value(i)),
        DataType::Utf8View => json!(array.as_string_view().value(i)),
        DataType::Boolean => json!(array.as_boolean().value(i)),
        DataType::Int8 => json!(array.as_primitive::<Int8Type>().value(i)),
        DataType::Int16 => json!(array.as_primitive::<Int16Type>().value(i)),
        DataType::Int32 => json!(array.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => json!(array.as_primitive::<Int64Type>().value(i)),
        DataType::UInt8 => json!(array.as_primitive::<UInt8Type>().value(i)),
        DataType::UInt16 => json!(array.as_primitive::<UInt16Type>().value(i)),
        DataType::UInt32 => json!(array.as_primitive::<UInt32Type>().value(i)),
        DataType::UInt64 => json!(array.as_primitive::<UInt64Type>().value(i)),
        DataType::Float32 => float(f64::from(array.as_primitive::<Float32Type>().value(i))),
        DataType::Float64 => float(array.as_primitive::<Float64Type>().value(i)),
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(i);
            Json::Array(
                (0..items.len())
                    .map(|j| arrow_json(items.as_ref(), j))
                    .collect::<Result<_, _>>()?,
            )
        }
        DataType::LargeList(_) => {
            let items = array.as_list::<i64>().value(i);
            Json::Array(
                (0..items.len())
                    .map(|j| arrow_json(items.as_ref(), j))
                    .collect::<Result<_, _>>()?,
            )
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let mut object = serde_json::Map::new();
            for (field, column) in fields.iter().zip(s.columns()) {
                let value = arrow_json(column.as_ref(), i)?;
                if !value.is_null() {
                    object.insert(field.name().clone(), value);
                }
            }
            Json::Object(object)
        }
        other => return Err(format!("of type {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_the_parquet_crate_is_the_files_error() {
        let err = contained(
            Path::new("x.parquet"),
            Location::Row(7),
            || -> Result<(), _> { panic!("index out of bounds") },
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "x.parquet: row 7: not a readable Parquet file: index out of bounds"
        );
    }

    #[test]
    fn large_numbers_are_grouped() {
        assert_eq!(Location::Line(4_017).to_string(), "line 4,017");
        assert_eq!(Location::Row(12).to_string(), "row 12");
        assert_eq!(Location::Row(1_000_000).to_string(), "row 1,000,000");
    }
}
