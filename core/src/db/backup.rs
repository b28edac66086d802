//! A consistent copy of a SQLite database while the server keeps writing to it: SQLite's
//! `VACUUM INTO` reads one snapshot (a read transaction, which in WAL mode never blocks the
//! writer) and writes it as a compact new database. The copy is written beside the target
//! under a temporary name, synced, checked, and only then renamed into place, so a failure
//! (a full disk, a killed process) never leaves a half-written file under the name asked
//! for.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "`swipeset backup` copies SQLite databases; for PostgreSQL use pg_dump: \
         pg_dump --format=custom --file=swipeset.dump '{0}'"
    )]
    NotSqlite(String),
    #[error("{0} already exists; give another file name or remove it first")]
    Exists(PathBuf),
    #[error("no SQLite database at {0}")]
    NoDatabase(PathBuf),
    #[error("backing up {from} to {to}: {reason}")]
    Failed {
        from: PathBuf,
        to: PathBuf,
        reason: String,
    },
}

/// What a backup holds, read back from the copy itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub bytes: u64,
    pub ratings: u64,
    pub took: Duration,
}

/// Copies the SQLite database at `database_url` to `out`, which must not exist yet.
pub fn sqlite(database_url: &str, out: &Path) -> Result<BackupSummary, BackupError> {
    let started = Instant::now();
    let Some(from) = super::sqlite_file(database_url) else {
        return Err(BackupError::NotSqlite(super::redact(database_url)));
    };
    if out.exists() {
        return Err(BackupError::Exists(out.to_path_buf()));
    }
    if !from.exists() {
        return Err(BackupError::NoDatabase(from));
    }
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".to_string());
    let partial = out.with_file_name(format!(".{file_name}.partial"));
    let failed = |reason: String| BackupError::Failed {
        from: from.clone(),
        to: out.to_path_buf(),
        reason,
    };
    // A partial file is only ever ours, left by a run that was killed.
    let _ = std::fs::remove_file(&partial);
    let copied = copy(&from, &partial).and_then(|()| read_back(&partial));
    let ratings = match copied {
        Ok(ratings) => ratings,
        Err(reason) => {
            let _ = std::fs::remove_file(&partial);
            return Err(failed(reason));
        }
    };
    std::fs::rename(&partial, out).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        failed(format!("renaming the finished copy into place: {e}"))
    })?;
    if let Some(folder) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        // The rename itself must survive a crash: sync the folder that records it.
        let _ = std::fs::File::open(folder).and_then(|f| f.sync_all());
    }
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(BackupSummary {
        bytes,
        ratings,
        took: started.elapsed(),
    })
}

/// `VACUUM INTO` from a connection of our own: read-write without create (so a mistyped
/// path is an error, and a WAL database can be read while it is written), waiting on locks
/// as the server's connections do.
fn copy(from: &Path, to: &Path) -> Result<(), String> {
    let source = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("opening the database: {e}"))?;
    source
        .busy_timeout(Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    let to_text = to
        .to_str()
        .ok_or_else(|| format!("the path {} is not UTF-8", to.display()))?;
    source.execute("VACUUM INTO ?1", [to_text]).map_err(|e| {
        let space = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure)
        );
        // The database and the part of it still in its write-ahead log.
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let needed = size(from) + size(&PathBuf::from(format!("{}-wal", from.display())));
        if space {
            format!(
                "writing the copy: {e} (is there room for about {:.1} MB where it goes?)",
                needed as f64 / 1e6
            )
        } else {
            format!("writing the copy: {e}")
        }
    })?;
    std::fs::File::open(to)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("syncing the copy to disk: {e}"))
}

/// Opens the copy, checks it is a sound database, and counts its ratings. Restoring a
/// snapshot (`crate::hub::snapshot`) checks its download the same way.
pub(crate) fn read_back(copy: &Path) -> Result<u64, String> {
    let connection = Connection::open_with_flags(copy, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("reading the copy back: {e}"))?;
    let check: String = connection
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|e| format!("checking the copy: {e}"))?;
    if check != "ok" {
        return Err(format!("the copy fails SQLite's check: {check}"));
    }
    connection
        .query_row("SELECT COUNT(*) FROM rating", [], |row| {
            row.get::<_, i64>(0)
        })
        .map(|n| n.max(0) as u64)
        .map_err(|e| format!("counting the copy's ratings: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn copies_a_database_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("live.db").display());
        let db = crate::db::connect(&url).await.unwrap();
        crate::campaign::demo::load(&db).await.unwrap();
        let out = dir.path().join("copy.db");
        let summary = sqlite(&url, &out).unwrap();
        assert_eq!(summary.ratings, 0);
        assert!(summary.bytes > 0);
        let copy = crate::db::connect(&format!("sqlite://{}", out.display()))
            .await
            .unwrap();
        assert!(
            !crate::campaign::demo::database_is_empty(&copy)
                .await
                .unwrap()
        );

        let err = sqlite(&url, &out).unwrap_err().to_string();
        assert!(
            err.ends_with("copy.db already exists; give another file name or remove it first"),
            "{err}"
        );
        let err = sqlite("postgres://u:secret@h/d", &dir.path().join("x.db"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("pg_dump --format=custom --file=swipeset.dump 'postgres://u:***@h/d'"),
            "{err}"
        );
        let err = sqlite("sqlite:///nowhere/x.db", &dir.path().join("y.db"))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "no SQLite database at /nowhere/x.db");
        let err = sqlite(&url, &dir.path().join("no-such-folder").join("z.db"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("writing the copy: unable to open database"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path())
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .contains("partial")
                })
                .count(),
            0
        );
    }
}
