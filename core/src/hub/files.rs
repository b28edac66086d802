//! A local file about to be published: its size, the first bytes the Hub asks to see, and
//! both content ids the Hub may compare it with (sha256 for LFS, git's blob id otherwise),
//! read in one pass.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::HubError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Where it goes in the repository (`data/train-00000-of-00001.parquet`).
    pub path: String,
    /// Where it is on disk.
    pub local: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// Git's blob id: SHA-1 of `blob <size>\0` and the content.
    pub git_oid: String,
    /// The first 512 bytes (the Hub's `preupload` sniffs binary content from them).
    pub sample: Vec<u8>,
}

impl LocalFile {
    pub fn read(local: &Path, path: impl Into<String>) -> Result<Self, HubError> {
        let mut file = std::fs::File::open(local).map_err(|e| HubError::local(local, e))?;
        let size = file
            .metadata()
            .map_err(|e| HubError::local(local, e))?
            .len();
        let mut sha256 = Sha256::new();
        let mut git = Sha1::new();
        git.update(format!("blob {size}\0").as_bytes());
        let mut sample = Vec::new();
        let mut buffer = vec![0u8; 256 * 1024];
        let mut read = 0u64;
        loop {
            let n = file
                .read(&mut buffer)
                .map_err(|e| HubError::local(local, e))?;
            if n == 0 {
                break;
            }
            let chunk = &buffer[..n];
            if sample.len() < 512 {
                let take = (512 - sample.len()).min(n);
                sample.extend_from_slice(&chunk[..take]);
            }
            sha256.update(chunk);
            git.update(chunk);
            read += n as u64;
        }
        if read != size {
            return Err(HubError::local(
                local,
                format!("changed while it was read ({size} bytes, then {read})"),
            ));
        }
        Ok(Self {
            path: path.into(),
            local: local.to_path_buf(),
            size,
            sha256: hex::encode(sha256.finalize()),
            git_oid: hex::encode(git.finalize()),
            sample,
        })
    }

    /// The id the Hub reports for this content when stored as `lfs` or inline.
    pub fn content_id(&self, lfs: bool) -> &str {
        if lfs { &self.sha256 } else { &self.git_oid }
    }

    /// Every file under `dir`, with its path relative to it (`/`-separated), sorted.
    pub fn all_in(dir: &Path) -> Result<Vec<Self>, HubError> {
        let mut files = Vec::new();
        let mut folders = vec![dir.to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).map_err(|e| HubError::local(&folder, e))? {
                let entry = entry.map_err(|e| HubError::local(&folder, e))?;
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                    continue;
                }
                let relative = path
                    .strip_prefix(dir)
                    .map_err(|e| HubError::local(&path, e))?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push(Self::read(&path, relative)?);
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ids_match_git_and_sha256sum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello.txt");
        std::fs::write(&path, "hello\n").unwrap();
        let file = LocalFile::read(&path, "hello.txt").unwrap();
        // `git hash-object hello.txt`, `sha256sum hello.txt`
        assert_eq!(file.git_oid, "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(
            file.sha256,
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        assert_eq!((file.size, file.sample.as_slice()), (6, &b"hello\n"[..]));
    }
}
