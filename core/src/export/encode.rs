//! Writing a table in one of the three formats. Each encoder takes rows a page at a time
//! and writes them to any `Write`, so the same code fills a file, an HTTP response or a
//! member of a zip archive, and memory holds one page (and, for Parquet, one compressed
//! row group) whatever the size of the export.

use std::io::Write;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, RecordBatch, StringArray,
    StructArray, TimestampMicrosecondArray, builder::StringBuilder,
};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use chrono::SecondsFormat;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::table::{Cell, Column, ColumnType, Message, Row};
use super::{ExportError, Format};

/// Rows per Parquet row group: small enough that the writer's buffer stays a few MB,
/// large enough for good compression and fast scans.
const ROW_GROUP_ROWS: usize = 64 * 1024;
/// A row group is also cut at this many bytes, for exports with very long responses.
const ROW_GROUP_BYTES: usize = 32 * 1024 * 1024;

pub enum Encoder<W: Write + Send> {
    Jsonl {
        out: W,
        columns: Vec<Column>,
        line: Vec<u8>,
    },
    Csv {
        out: csv::Writer<W>,
        columns: Vec<Column>,
        /// Text cells that begin with one of [`FORMULA_STARTS`] get a `'` before them.
        formula_safe: bool,
    },
    Parquet {
        out: ArrowWriter<W>,
        schema: SchemaRef,
        columns: Vec<Column>,
    },
}

impl<W: Write + Send> Encoder<W> {
    /// Starts a table of `columns` on `out`; CSV writes its header line now. `csv_safe`
    /// defuses formulas in CSV text cells (see [`FORMULA_STARTS`]); other formats ignore it.
    pub fn new(
        format: Format,
        csv_safe: bool,
        columns: Vec<Column>,
        out: W,
    ) -> Result<Self, ExportError> {
        match format {
            Format::Jsonl => Ok(Encoder::Jsonl {
                out,
                columns,
                line: Vec::with_capacity(64 * 1024),
            }),
            Format::Csv => {
                if let Some(column) = columns.iter().find(|c| c.ty == ColumnType::Messages) {
                    return Err(ExportError::Unsupported(format!(
                        "CSV cannot hold the message list of column `{}`; export the \
                         conversational variant as parquet or jsonl",
                        column.name
                    )));
                }
                let mut out = csv::Writer::from_writer(out);
                out.write_record(columns.iter().map(|c| c.name.as_ref()))
                    .map_err(encode_error)?;
                Ok(Encoder::Csv {
                    out,
                    columns,
                    formula_safe: csv_safe,
                })
            }
            Format::Parquet => {
                let schema = Arc::new(arrow_schema(&columns));
                let properties = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(
                        ZstdLevel::try_new(3).map_err(encode_error)?,
                    ))
                    .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                    .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
                    .set_created_by(format!("swipeset {}", env!("CARGO_PKG_VERSION")))
                    .build();
                let out = ArrowWriter::try_new(out, schema.clone(), Some(properties))
                    .map_err(encode_error)?;
                Ok(Encoder::Parquet {
                    out,
                    schema,
                    columns,
                })
            }
        }
    }

    pub fn write(&mut self, rows: &[Row]) -> Result<(), ExportError> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            Encoder::Jsonl { out, columns, line } => {
                line.clear();
                for row in rows {
                    json_line(line, columns, row)?;
                }
                out.write_all(line).map_err(ExportError::Write)
            }
            Encoder::Csv {
                out,
                columns,
                formula_safe,
            } => {
                for row in rows {
                    let record = columns
                        .iter()
                        .zip(row)
                        .map(|(column, cell)| csv_field(column, cell, *formula_safe))
                        .collect::<Result<Vec<_>, _>>()?;
                    out.write_record(&record).map_err(encode_error)?;
                }
                Ok(())
            }
            Encoder::Parquet {
                out,
                schema,
                columns,
            } => {
                let arrays = columns
                    .iter()
                    .enumerate()
                    .map(|(index, column)| arrow_column(column, index, rows))
                    .collect::<Result<Vec<_>, _>>()?;
                let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(encode_error)?;
                out.write(&batch).map_err(encode_error)
            }
        }
    }

    /// Ends the table (Parquet writes its footer) and gives the writer back.
    pub fn finish(self) -> Result<W, ExportError> {
        match self {
            Encoder::Jsonl { mut out, .. } => {
                out.flush().map_err(ExportError::Write)?;
                Ok(out)
            }
            Encoder::Csv { out, .. } => out
                .into_inner()
                .map_err(|e| ExportError::Write(e.into_error())),
            Encoder::Parquet { out, .. } => out.into_inner().map_err(encode_error),
        }
    }

    /// Ends the Parquet row group early, so the first bytes of a download leave now
    /// instead of after a whole row group (the writer holds even its header until then).
    pub fn cut_row_group(&mut self) -> Result<(), ExportError> {
        match self {
            Encoder::Parquet { out, .. } => out.flush().map_err(encode_error),
            Encoder::Jsonl { .. } | Encoder::Csv { .. } => Ok(()),
        }
    }

    /// Pushes buffered bytes (CSV's line buffer) into the writer underneath.
    pub fn flush(&mut self) -> Result<(), ExportError> {
        match self {
            Encoder::Csv { out, .. } => out.flush().map_err(ExportError::Write),
            Encoder::Jsonl { .. } | Encoder::Parquet { .. } => Ok(()),
        }
    }
}

fn encode_error(error: impl std::fmt::Display) -> ExportError {
    ExportError::Encode(error.to_string())
}

fn mismatch(column: &Column) -> ExportError {
    ExportError::Encode(format!(
        "column `{}` got a value of the wrong type",
        column.name
    ))
}

fn time_text(time: &chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn json_line(line: &mut Vec<u8>, columns: &[Column], row: &Row) -> Result<(), ExportError> {
    line.push(b'{');
    for (position, (column, cell)) in columns.iter().zip(row).enumerate() {
        if position > 0 {
            line.push(b',');
        }
        serde_json::to_writer(&mut *line, column.name.as_ref()).map_err(encode_error)?;
        line.push(b':');
        let value = match cell {
            Cell::Text(text) => serde_json::to_writer(&mut *line, text),
            Cell::Messages(messages) => {
                line.push(b'[');
                for (i, Message { role, content }) in messages.iter().enumerate() {
                    if i > 0 {
                        line.push(b',');
                    }
                    line.extend_from_slice(b"{\"role\":");
                    serde_json::to_writer(&mut *line, role).map_err(encode_error)?;
                    line.extend_from_slice(b",\"content\":");
                    serde_json::to_writer(&mut *line, content).map_err(encode_error)?;
                    line.push(b'}');
                }
                line.push(b']');
                Ok(())
            }
            Cell::Bool(value) => serde_json::to_writer(&mut *line, value),
            Cell::Int(value) => serde_json::to_writer(&mut *line, value),
            Cell::OptInt(value) => serde_json::to_writer(&mut *line, value),
            Cell::Float(value) => serde_json::to_writer(&mut *line, value),
            Cell::Time(time) => serde_json::to_writer(&mut *line, &time_text(time)),
            Cell::OptText(text) => serde_json::to_writer(&mut *line, text),
        };
        value.map_err(encode_error)?;
    }
    line.extend_from_slice(b"}\n");
    Ok(())
}

/// What a text cell may begin with for a spreadsheet (Excel, LibreOffice, Google Sheets)
/// to read it as a formula, which can run commands or send the sheet's data away: OWASP's
/// list for CSV injection.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` as a spreadsheet will show it rather than run it: a `'` before a formula start.
pub(crate) fn formula_safe(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn csv_field(column: &Column, cell: &Cell, formula_safe_text: bool) -> Result<String, ExportError> {
    Ok(match cell {
        Cell::Text(text) if formula_safe_text => formula_safe(text),
        Cell::Text(text) => text.clone(),
        Cell::Bool(value) => value.to_string(),
        Cell::Int(value) => value.to_string(),
        Cell::OptInt(value) => value.map(|v| v.to_string()).unwrap_or_default(),
        // As JSON spells it ("1.0", not "1"), so readers infer a float column.
        Cell::Float(value) => serde_json::to_string(value).map_err(encode_error)?,
        Cell::Time(time) => time_text(time),
        Cell::OptText(Some(text)) if formula_safe_text => formula_safe(text),
        Cell::OptText(text) => text.clone().unwrap_or_default(),
        Cell::Messages(_) => return Err(mismatch(column)),
    })
}

fn message_fields() -> Fields {
    Fields::from(vec![
        Field::new("role", DataType::Utf8, false),
        Field::new("content", DataType::Utf8, false),
    ])
}

fn arrow_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Text | ColumnType::OptText => DataType::Utf8,
        ColumnType::Messages => DataType::List(Arc::new(Field::new_list_field(
            DataType::Struct(message_fields()),
            false,
        ))),
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Int | ColumnType::OptInt => DataType::Int64,
        ColumnType::Float => DataType::Float64,
        ColumnType::Time => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
    }
}

pub fn arrow_schema(columns: &[Column]) -> Schema {
    Schema::new(
        columns
            .iter()
            .map(|c| {
                let nullable = matches!(c.ty, ColumnType::OptInt | ColumnType::OptText);
                Field::new(c.name.as_ref(), arrow_type(c.ty), nullable)
            })
            .collect::<Vec<_>>(),
    )
}

fn arrow_column(column: &Column, index: usize, rows: &[Row]) -> Result<ArrayRef, ExportError> {
    let cells = rows
        .iter()
        .map(|row| row.get(index).ok_or_else(|| mismatch(column)));
    Ok(match column.ty {
        ColumnType::Text => Arc::new(
            cells
                .map(|cell| match cell? {
                    Cell::Text(text) => Ok(Some(text.as_str())),
                    _ => Err(mismatch(column)),
                })
                .collect::<Result<StringArray, _>>()?,
        ),
        ColumnType::OptText => Arc::new(
            cells
                .map(|cell| match cell? {
                    Cell::OptText(text) => Ok(text.as_deref()),
                    _ => Err(mismatch(column)),
                })
                .collect::<Result<StringArray, _>>()?,
        ),
        ColumnType::Bool => Arc::new(BooleanArray::from(
            cells
                .map(|cell| match cell? {
                    Cell::Bool(value) => Ok(*value),
                    _ => Err(mismatch(column)),
                })
                .collect::<Result<Vec<_>, _>>()?,
        )),
        ColumnType::Int => Arc::new(Int64Array::from(
            cells
                .map(|cell| match cell? {
                    Cell::Int(value) => Ok(*value),
                    _ => Err(mismatch(column)),
                })
                .collect::<Result<Vec<_>, _>>()?,
        )),
        ColumnType::OptInt => Arc::new(Int64Array::from(
            cells
                .map(|cell| match cell? {
                    Cell::OptInt(value) => Ok(*value),
                    _ => Err(mismatch(column)),
                })
                .collect::<Result<Vec<_>, _>>()?,
        )),
        ColumnType::Float => Arc::new(Float64Array::from(
            cells
                .map(|cell| match cell? {
                    Cell::Float(value) => Ok(*value),
                    _ => Err(mismatch(column)),
                })
                .collect::<Result<Vec<_>, _>>()?,
        )),
        ColumnType::Time => Arc::new(
            TimestampMicrosecondArray::from(
                cells
                    .map(|cell| match cell? {
                        Cell::Time(time) => Ok(time.timestamp_micros()),
                        _ => Err(mismatch(column)),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            )
            .with_timezone("UTC"),
        ),
        ColumnType::Messages => {
            let mut offsets = Vec::with_capacity(rows.len() + 1);
            offsets.push(0i32);
            let (mut roles, mut contents) = (StringBuilder::new(), StringBuilder::new());
            for cell in cells {
                let Cell::Messages(messages) = cell? else {
                    return Err(mismatch(column));
                };
                for message in messages {
                    roles.append_value(message.role);
                    contents.append_value(&message.content);
                }
                let end = offsets.last().copied().unwrap_or(0)
                    + i32::try_from(messages.len()).map_err(encode_error)?;
                offsets.push(end);
            }
            let values = StructArray::try_new(
                message_fields(),
                vec![Arc::new(roles.finish()), Arc::new(contents.finish())],
                None,
            )
            .map_err(encode_error)?;
            let item = Arc::new(Field::new_list_field(
                DataType::Struct(message_fields()),
                false,
            ));
            Arc::new(
                ListArray::try_new(
                    item,
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    Arc::new(values),
                    None,
                )
                .map_err(encode_error)?,
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_get_a_quote_and_nothing_else_does() {
        for formula in [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(formula_safe(formula), format!("'{formula}"));
        }
        for text in ["", "plain", " =1", "1-1", "'=already", "a=b", "\n=1"] {
            assert_eq!(formula_safe(text), text);
        }
    }
}
