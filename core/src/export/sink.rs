//! Where encoded bytes go. Encoders are synchronous (`std::io::Write`, as the Parquet and
//! zip crates need); the database reads between pages are async. So encoders write into a
//! [`SharedBuf`], and after each page the export moves its bytes to an async
//! [`ByteSink`]: a file, or the channel behind an HTTP response body. A slow client thus
//! slows the export down instead of piling bytes up in memory.

use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;

use super::ExportError;
use crate::sync::lock;

/// A byte buffer that an encoder writes into and the export empties after each page.
#[derive(Clone, Default)]
pub struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *lock(&self.0))
    }

    /// Moves everything written so far to `sink`.
    pub async fn drain_into<S: ByteSink>(&self, sink: &mut S) -> Result<(), ExportError> {
        let bytes = self.take();
        if bytes.is_empty() {
            return Ok(());
        }
        sink.put(bytes).await
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The async end of an export.
pub trait ByteSink: Send {
    fn put(&mut self, bytes: Vec<u8>) -> impl Future<Output = Result<(), ExportError>> + Send;
}

/// A file being written.
pub struct FileSink {
    file: tokio::fs::File,
    path: PathBuf,
}

impl FileSink {
    pub async fn create(path: &Path) -> Result<Self, ExportError> {
        let file = tokio::fs::File::create(path)
            .await
            .map_err(|e| ExportError::output(path, e))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Flushes and fsyncs, so a finished export survives a crash.
    pub async fn sync(&mut self) -> Result<(), ExportError> {
        self.file
            .flush()
            .await
            .map_err(|e| ExportError::output(&self.path, e))?;
        self.file
            .sync_all()
            .await
            .map_err(|e| ExportError::output(&self.path, e))
    }
}

impl ByteSink for FileSink {
    async fn put(&mut self, bytes: Vec<u8>) -> Result<(), ExportError> {
        self.file
            .write_all(&bytes)
            .await
            .map_err(|e| ExportError::output(&self.path, e))
    }
}

/// The sending half of a channel whose receiver feeds an HTTP response body. Bounded, so
/// the export waits for a slow client. An export that fails part-way sends an error last,
/// so the body breaks off instead of ending as if it were complete.
pub struct ChannelSink(pub tokio::sync::mpsc::Sender<io::Result<Vec<u8>>>);

impl ByteSink for ChannelSink {
    async fn put(&mut self, bytes: Vec<u8>) -> Result<(), ExportError> {
        self.0.send(Ok(bytes)).await.map_err(|_| {
            ExportError::Write(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the download was cancelled",
            ))
        })
    }
}
