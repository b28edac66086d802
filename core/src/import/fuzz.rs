//! The readers' entry point for the fuzz targets (`fuzz/`, `scripts/fuzz.sh`): every
//! record of a file, read the way an import reads it, without a database. Compiled only
//! with the `fuzzing` feature.

use std::path::Path;

use super::read::{Keep, Records};
use super::{FileFormat, ImportError};

/// Reads every record of `path` as `format`, asking for the fields a response import
/// asks for; how many records there were.
pub fn read_all(path: &Path, format: FileFormat) -> Result<u64, ImportError> {
    let fields: Vec<String> = match format {
        FileFormat::Text => vec!["prompt".into()],
        _ => ["prompt", "response", "model", "system_prompt"]
            .map(String::from)
            .to_vec(),
    };
    let mut records = Records::open(path, format, &fields, &[&["prompt"]], &Keep::All)?;
    let mut count = 0;
    while records.next(path)?.is_some() {
        count += 1;
    }
    Ok(count)
}

/// `read_all` on `data`, written to a file of this process's own first (the readers read
/// files, as an import does).
pub fn read_bytes(data: &[u8], format: FileFormat) -> Result<u64, ImportError> {
    let path = std::env::temp_dir().join(format!("swipeset-fuzz-{}.input", std::process::id()));
    std::fs::write(&path, data).map_err(|e| ImportError::file(&path, e.to_string()))?;
    read_all(&path, format)
}
