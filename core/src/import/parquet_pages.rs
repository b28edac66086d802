//! What a Parquet file may make swipeset hold in memory, checked from the file's own
//! headers before the parquet crate decompresses anything.
//!
//! A page is decompressed whole, into a buffer of the size its header declares: with zstd,
//! a page of a few kilobytes can declare (and really expand to) two gigabytes, per column.
//! The parquet crate reads these headers privately and trusts them, so this module walks
//! the page headers of the columns an import reads and refuses a page larger than
//! [`MAX_PAGE_BYTES`] with an error naming the column and row group. The headers are Thrift
//! compact-protocol structs; only the two sizes are read and everything else is skipped
//! without allocating (the `thrift` crate would allocate whatever length a corrupt header
//! declares, which is the very thing being guarded against).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use parquet::file::metadata::ParquetMetaData;

use super::ImportError;

/// The most one Parquet page may decompress to. Writers cut pages at about 1 MiB, and a page
/// holds at least one value, so a legitimate page is at most a little over the largest value
/// swipeset reads (`MAX_RECORD_BYTES`, 16 MiB); anything far beyond that is a broken or
/// hostile file.
pub const MAX_PAGE_BYTES: u64 = 256 * 1024 * 1024;

/// Nesting deeper than any Parquet page header has (a statistics struct in a data page
/// header is two levels down).
const MAX_DEPTH: u8 = 16;

/// Refuses a file whose footer places a column chunk outside the file. The parquet crate
/// asserts on a negative offset or size while reading (a panic, found by fuzzing), and a
/// chunk past the end would only fail later with a vaguer message.
pub fn check_chunks(
    path: &Path,
    metadata: &ParquetMetaData,
    length: u64,
) -> Result<(), ImportError> {
    for (g, group) in metadata.row_groups().iter().enumerate() {
        for (c, column) in group.columns().iter().enumerate() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            let size = column.compressed_size();
            let inside = u64::try_from(start)
                .ok()
                .zip(u64::try_from(size).ok())
                .and_then(|(start, size)| start.checked_add(size))
                .is_some_and(|end| end <= length);
            if !inside {
                return Err(ImportError::file(
                    path,
                    format!(
                        "not a readable Parquet file: column {} of row group {} lies outside the \
                         file (offset {start}, {size} bytes, in a file of {length} bytes)",
                        c + 1,
                        g + 1
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Walks every page header of the leaf columns whose root column is in `roots` (the
/// columns the import reads), refusing a page that would decompress to more than
/// `max_page_bytes`, a header that is not valid, or a page that runs past its column chunk.
/// Call after [`check_chunks`].
pub fn check_pages(
    path: &Path,
    metadata: &ParquetMetaData,
    roots: &[usize],
    max_page_bytes: u64,
) -> Result<(), ImportError> {
    let file = File::open(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    let mut input = BufReader::with_capacity(64 * 1024, file);
    let schema = metadata.file_metadata().schema_descr();
    for (g, group) in metadata.row_groups().iter().enumerate() {
        for (leaf, column) in group.columns().iter().enumerate() {
            if leaf >= schema.num_columns() || !roots.contains(&schema.get_column_root_idx(leaf)) {
                continue;
            }
            let name = schema.column(leaf).path().string();
            let refuse = |at: u64, reason: String| {
                ImportError::file(
                    path,
                    format!(
                        "not a readable Parquet file: column `{name}` of row group {}: {reason} \
                         (page at byte {at})",
                        g + 1
                    ),
                )
            };
            // `check_chunks` has made sure these are inside the file.
            let (start, length) = column.byte_range();
            let end = start + length;
            let mut at = start;
            while at < end {
                input
                    .seek(SeekFrom::Start(at))
                    .map_err(|e| ImportError::file(path, e.to_string()))?;
                let mut header = Header {
                    input: &mut input,
                    at,
                    end,
                };
                let sizes = header.page_sizes().map_err(|e| refuse(at, e.to_string()))?;
                let (uncompressed, compressed) = sizes;
                if uncompressed > max_page_bytes {
                    return Err(refuse(
                        at,
                        format!(
                            "a page would decompress to {} MiB, more than the {} MiB swipeset \
                             reads at once",
                            uncompressed.div_ceil(1024 * 1024),
                            max_page_bytes / (1024 * 1024)
                        ),
                    ));
                }
                let next = header.at.checked_add(compressed).filter(|n| *n <= end);
                at = next.ok_or_else(|| {
                    refuse(
                        at,
                        format!("a page of {compressed} bytes runs past the end of its column"),
                    )
                })?;
            }
        }
    }
    Ok(())
}

/// What is wrong with a page header.
#[derive(Debug, thiserror::Error, PartialEq)]
enum Broken {
    #[error("the page header runs past the end of its column")]
    Truncated,
    #[error("the page header is not valid (field type {0})")]
    FieldType(u8),
    #[error("the page header nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the page header has a number longer than 10 bytes")]
    LongNumber,
    #[error("the page header gives no page sizes")]
    NoSizes,
    #[error("the page header gives a negative page size")]
    NegativeSize,
    #[error("reading the file: {0}")]
    Io(String),
}

/// One page header being read, from `at` and never past `end` (its column chunk's end).
struct Header<'a, R> {
    input: &'a mut R,
    at: u64,
    end: u64,
}

impl<R: Read + Seek> Header<'_, R> {
    /// The page's uncompressed and compressed sizes (fields 2 and 3 of `PageHeader`);
    /// afterwards `at` is the first byte of the page's data.
    fn page_sizes(&mut self) -> Result<(u64, u64), Broken> {
        let (mut uncompressed, mut compressed) = (None, None);
        let mut last_id = 0i64;
        while let Some((id, kind)) = self.field(&mut last_id)? {
            match (id, kind) {
                (2, I32) => uncompressed = Some(zigzag(self.varint()?)),
                (3, I32) => compressed = Some(zigzag(self.varint()?)),
                _ => self.skip(kind, 0, false)?,
            }
        }
        let (Some(uncompressed), Some(compressed)) = (uncompressed, compressed) else {
            return Err(Broken::NoSizes);
        };
        let size = |n: i64| u64::try_from(n).map_err(|_| Broken::NegativeSize);
        Ok((size(uncompressed)?, size(compressed)?))
    }

    /// The next field's id and type, or `None` at the struct's end.
    fn field(&mut self, last_id: &mut i64) -> Result<Option<(i64, u8)>, Broken> {
        let byte = self.byte()?;
        if byte == STOP {
            return Ok(None);
        }
        let delta = i64::from(byte >> 4);
        *last_id = if delta == 0 {
            zigzag(self.varint()?)
        } else {
            *last_id + delta
        };
        Ok(Some((*last_id, byte & 0x0f)))
    }

    /// Steps over one value of type `kind`. A boolean is held in its field header's type,
    /// except inside a list, where it takes a byte.
    fn skip(&mut self, kind: u8, depth: u8, in_list: bool) -> Result<(), Broken> {
        if depth > MAX_DEPTH {
            return Err(Broken::TooDeep);
        }
        match kind {
            BOOL_TRUE | BOOL_FALSE if in_list => self.forward(1),
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            I8 => self.forward(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.forward(8),
            BINARY => {
                let length = self.varint()?;
                self.forward(length)
            }
            LIST | SET => {
                let byte = self.byte()?;
                let count = match u64::from(byte >> 4) {
                    15 => self.varint()?,
                    n => n,
                };
                // Every element takes at least a byte, so a corrupt count ends at `end`.
                for _ in 0..count {
                    self.skip(byte & 0x0f, depth + 1, true)?;
                }
                Ok(())
            }
            MAP => {
                let count = self.varint()?;
                if count > 0 {
                    let kinds = self.byte()?;
                    for _ in 0..count {
                        self.skip(kinds >> 4, depth + 1, true)?;
                        self.skip(kinds & 0x0f, depth + 1, true)?;
                    }
                }
                Ok(())
            }
            STRUCT => {
                let mut last_id = 0;
                while let Some((_, kind)) = self.field(&mut last_id)? {
                    self.skip(kind, depth + 1, false)?;
                }
                Ok(())
            }
            other => Err(Broken::FieldType(other)),
        }
    }

    fn byte(&mut self) -> Result<u8, Broken> {
        if self.at >= self.end {
            return Err(Broken::Truncated);
        }
        let mut one = [0u8];
        self.input
            .read_exact(&mut one)
            .map_err(|e| Broken::Io(e.to_string()))?;
        self.at += 1;
        Ok(one[0])
    }

    /// An unsigned LEB128 number, as the compact protocol writes integers and lengths.
    fn varint(&mut self) -> Result<u64, Broken> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Broken::LongNumber)
    }

    /// Steps over `n` bytes without reading them into memory.
    fn forward(&mut self, n: u64) -> Result<(), Broken> {
        let to = self
            .at
            .checked_add(n)
            .filter(|to| *to <= self.end)
            .ok_or(Broken::Truncated)?;
        let step = i64::try_from(n).map_err(|_| Broken::Truncated)?;
        self.input
            .seek_relative(step)
            .map_err(|e| Broken::Io(e.to_string()))?;
        self.at = to;
        Ok(())
    }
}

fn zigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

// The compact protocol's type codes.
const STOP: u8 = 0;
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const I8: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn sizes(bytes: &[u8]) -> Result<(u64, u64), Broken> {
        let mut input = Cursor::new(bytes.to_vec());
        Header {
            input: &mut input,
            at: 0,
            end: bytes.len() as u64,
        }
        .page_sizes()
    }

    /// A `PageHeader` as the compact protocol writes it: type DATA_PAGE (0), uncompressed
    /// 300, compressed 150, then `data_page_header` { num_values 1, encoding 0, levels 3, 3,
    /// statistics { max "zz" } }.
    const HEADER: &[u8] = &[
        0x15, 0x00, // field 1, i32: 0
        0x15, 0xd8, 0x04, // field 2, i32: 300
        0x15, 0xac, 0x02, // field 3, i32: 150
        0x2c, // field 5, struct
        0x15, 0x02, 0x15, 0x00, 0x15, 0x06, 0x15, 0x06, // fields 1-4
        0x1c, // field 5, struct (statistics)
        0x18, 0x02, b'z', b'z', // field 1, binary "zz"
        0x00, // end of statistics
        0x00, // end of data_page_header
        0x00, // end of PageHeader
    ];

    #[test]
    fn reads_the_two_sizes_and_stops_at_the_data() {
        let mut input = Cursor::new(HEADER.to_vec());
        let mut header = Header {
            input: &mut input,
            at: 0,
            end: 1_000,
        };
        assert_eq!(header.page_sizes(), Ok((300, 150)));
        assert_eq!(header.at, HEADER.len() as u64);
    }

    #[test]
    fn broken_headers_are_errors_not_allocations() {
        // Cut anywhere: truncated, never a panic or a read past the column.
        for cut in 0..HEADER.len() - 1 {
            assert!(sizes(&HEADER[..cut]).is_err(), "cut at {cut}");
        }
        // A binary that claims four gigabytes is stepped over, not allocated.
        let mut huge = vec![0x18, 0xff, 0xff, 0xff, 0xff, 0x0f];
        huge.extend_from_slice(&[0; 8]);
        assert_eq!(sizes(&huge), Err(Broken::Truncated));
        // A list that claims billions of elements ends at the column's end.
        assert_eq!(
            sizes(&[0x19, 0xf5, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x02]),
            Err(Broken::Truncated)
        );
        assert_eq!(sizes(&[0x1d]), Err(Broken::FieldType(13)));
        assert_eq!(sizes(&[0x00]), Err(Broken::NoSizes));
        assert_eq!(
            sizes(&[0x25, 0x01, 0x15, 0x02, 0x00]),
            Err(Broken::NegativeSize)
        );
        let mut long = vec![0x15];
        long.extend_from_slice(&[0xff; 11]);
        assert_eq!(sizes(&long), Err(Broken::LongNumber));
        let mut deep = vec![0x1c; 40];
        deep.push(0);
        assert_eq!(sizes(&deep), Err(Broken::TooDeep));
    }
}
