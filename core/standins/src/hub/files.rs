//! Content ids and the rules for what a file may be: what the Hub checks before it stores
//! anything.

use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Files larger than this must go through LFS (the Hub's limit for regular files).
pub const REGULAR_MAX: u64 = 10 * 1024 * 1024;

/// Extensions the Hub's default `.gitattributes` sends to LFS.
const LFS_EXTENSIONS: &[&str] = &[
    "parquet",
    "arrow",
    "bin",
    "db",
    "sqlite",
    "zip",
    "gz",
    "zst",
    "npy",
    "pt",
    "safetensors",
];

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Git's object id of a blob: SHA-1 over `blob <size>\0` and the content. The Hub reports
/// it as a regular file's `oid`.
pub fn git_blob_oid(bytes: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hex::encode(hasher.finalize())
}

/// Whether a file with this path, first bytes and size must be stored with LFS.
pub fn needs_lfs(path: &str, sample: &[u8], size: u64) -> bool {
    let extension = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    size > REGULAR_MAX
        || sample.contains(&0)
        || extension.is_some_and(|e| LFS_EXTENSIONS.contains(&e.as_str()))
}

/// A path inside a repository: relative, no empty, `.` or `..` parts.
pub fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_are_gits() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            git_blob_oid(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn paths_stay_inside_the_repository() {
        assert!(valid_path("data/train.parquet"));
        for bad in ["", "/etc/passwd", "data/../x", "a//b", "./a"] {
            assert!(!valid_path(bad), "{bad}");
        }
    }
}
