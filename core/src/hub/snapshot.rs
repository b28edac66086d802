//! A snapshot of the whole instance in a private dataset repository: the backup that a
//! Hugging Face Space without persistent storage needs, taken by `serve --publish-every`.
//!
//! The repository holds, in one commit per snapshot:
//! - `ratings/<campaign>/train-00000-of-00001.parquet`: each campaign's raw ratings (the
//!   `ratings` export, pseudonymous annotator ids), loadable with
//!   `load_dataset(repo, "<campaign>")`;
//! - `backup/swipeset.db` (SQLite only): the database itself, a consistent copy taken while
//!   the server runs, without the sign-in sessions and without the saved Hub token (a
//!   leaked snapshot must not hand out either). `restore` puts it back.
//!
//! What a restore cannot give back: ratings made after the last snapshot, sign-in sessions
//! (everyone signs in again), and a Hub token saved on the export page (save it again, or
//! use an `HF_TOKEN` secret).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::dataset::PublishError;
use super::{
    HubClient, HubError, PublishOutcome, PublishRequest, RepoId, StepReport, UploadProgress,
    publish_dir,
};
use crate::db::entities::campaign;
use crate::export::{Export, ExportError, ExportOptions, Kind};

/// Where the database goes in the snapshot repository.
pub const BACKUP_PATH: &str = "backup/swipeset.db";

/// What a snapshot held.
#[derive(Debug, Clone)]
pub struct SnapshotReport {
    pub outcome: PublishOutcome,
    /// Campaigns with ratings, and their ratings in all.
    pub campaigns: usize,
    pub ratings: u64,
    /// The database copy's size; `None` on PostgreSQL, which has its own backups.
    pub database_bytes: Option<u64>,
}

/// Publishes a snapshot of the instance at `database_url` to `repo` (made private when it
/// does not exist).
pub async fn publish_snapshot(
    db: &DatabaseConnection,
    database_url: &str,
    client: &HubClient,
    repo: &RepoId,
    report: Option<StepReport>,
) -> Result<SnapshotReport, PublishError> {
    let staging = tempfile::tempdir().map_err(|e| {
        HubError::local(
            std::env::temp_dir(),
            format!("making a temporary folder: {e}"),
        )
    })?;
    let dir = staging.path().join("snapshot");
    let scratch = staging.path().join("exports");
    let mut configs = Vec::new();
    let mut ratings = 0;
    let campaigns = campaign::Entity::find()
        .order_by_asc(campaign::Column::Slug)
        .all(db)
        .await
        .map_err(|e| ExportError::Core(e.into()))?;
    for campaign in &campaigns {
        let export =
            match Export::prepare(db, &campaign.slug, ExportOptions::new(Kind::Ratings)).await {
                Ok(export) => export,
                Err(ExportError::Empty(_)) => continue,
                Err(other) => return Err(other.into()),
            };
        let out = scratch.join(&campaign.slug);
        let summary = export.write_directory(&out, false, &mut |_| {}).await?;
        let target = dir.join("ratings").join(&campaign.slug);
        std::fs::create_dir_all(&target).map_err(|e| HubError::local(&target, e))?;
        let file_name = Path::new(&summary.data_path)
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        std::fs::rename(out.join(&summary.data_path), target.join(&file_name))
            .map_err(|e| HubError::local(&target, e))?;
        ratings += summary.plan.rows;
        configs.push((
            campaign.slug.clone(),
            campaign.title.clone(),
            summary.plan.rows,
        ));
    }
    let database_bytes = match crate::db::sqlite_file(database_url) {
        Some(_) => {
            let out = dir.join(BACKUP_PATH);
            std::fs::create_dir_all(out.parent().unwrap_or(&dir))
                .map_err(|e| HubError::local(&out, e))?;
            let url = database_url.to_string();
            let copy = out.clone();
            tokio::task::spawn_blocking(move || copy_without_secrets(&url, &copy))
                .await
                .map_err(|e| HubError::local(&out, e))??;
            Some(
                std::fs::metadata(&out)
                    .map_err(|e| HubError::local(&out, e))?
                    .len(),
            )
        }
        None => None,
    };
    let card = dir.join("README.md");
    std::fs::write(&card, card_text(&configs, database_bytes.is_some()))
        .map_err(|e| HubError::local(&card, e))?;
    let request = PublishRequest {
        repo,
        dir: &dir,
        private: true,
        summary: format!(
            "swipeset snapshot: {} campaigns, {ratings} ratings",
            configs.len()
        ),
        description: format!(
            "Taken by swipeset {} (serve --publish-every).",
            env!("CARGO_PKG_VERSION")
        ),
        owned_folders: &["ratings", "backup"],
        volatile_line: Some(SNAPSHOT_DATE_LINE),
    };
    let outcome = publish_dir(client, &request, report).await?;
    Ok(SnapshotReport {
        outcome,
        campaigns: configs.len(),
        ratings,
        database_bytes,
    })
}

const SNAPSHOT_DATE_LINE: &str = "Snapshot taken";

fn card_text(configs: &[(String, String, u64)], with_database: bool) -> String {
    let mut yaml = String::from("---\nconfigs:\n");
    for (slug, _, _) in configs {
        yaml.push_str(&format!(
            "- config_name: {slug}\n  data_files:\n  - split: train\n    path: ratings/{slug}/train-*.parquet\n"
        ));
    }
    if configs.is_empty() {
        yaml = String::from("---\n");
    }
    yaml.push_str("tags:\n- swipeset\n- swipeset-snapshot\n---\n\n");
    let mut text = yaml;
    text.push_str("# swipeset snapshot\n\n");
    text.push_str(
        "A private snapshot of a swipeset instance, kept by `swipeset serve --publish-every`. \
         Each campaign's raw ratings are a configuration of this dataset \
         (`load_dataset(\"<this repo>\", \"<campaign>\")`); annotators appear by \
         pseudonymous ids only.\n\n",
    );
    text.push_str("| Campaign | Title | Ratings |\n|---|---|---|\n");
    for (slug, title, rows) in configs {
        text.push_str(&format!(
            "| `{slug}` | {} | {rows} |\n",
            title.replace('|', "\\|")
        ));
    }
    if with_database {
        text.push_str(&format!(
            "\n`{BACKUP_PATH}` is the whole database (without sign-in sessions or a saved Hub \
             token). Restore it with `swipeset restore --from-hub <this repo>`, or let \
             `swipeset serve --publish-repo <this repo>` restore it when it starts without a \
             database.\n"
        ));
    }
    text.push_str(&format!(
        "\n{SNAPSHOT_DATE_LINE} by swipeset {} on {}.\n",
        env!("CARGO_PKG_VERSION"),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    ));
    text
}

/// A consistent copy of the live database at `out`, then emptied of what a snapshot must
/// not carry: sign-in sessions (whoever held the file could sign in as their owners) and
/// the sealed Hub token (the same file holds the secret it is sealed with).
fn copy_without_secrets(database_url: &str, out: &Path) -> Result<(), HubError> {
    crate::db::backup::sqlite(database_url, out).map_err(|e| HubError::local(out, e))?;
    let connection = Connection::open_with_flags(out, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| HubError::local(out, e))?;
    for table in ["tower_sessions", "hub_setting"] {
        let exists: bool = connection
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
                [table],
                |row| row.get(0),
            )
            .map_err(|e| HubError::local(out, e))?;
        if exists {
            connection
                .execute(&format!("DELETE FROM \"{table}\""), [])
                .map_err(|e| HubError::local(out, format!("clearing {table}: {e}")))?;
        }
    }
    // Deleted rows stay in free pages until the file is rewritten.
    connection
        .execute_batch("VACUUM")
        .map_err(|e| HubError::local(out, format!("compacting the copy: {e}")))?;
    Ok(())
}

/// What a restore put in place.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub database: PathBuf,
    pub bytes: u64,
    pub ratings: u64,
    /// Where the database that was there before went.
    pub kept: Option<PathBuf>,
}

/// Puts the snapshot's database from `repo` at the SQLite file of `database_url`. An
/// existing database is replaced only with `overwrite`, and kept beside it. Nothing is
/// changed unless the download is complete, matches the Hub's sha256 and passes SQLite's
/// check. The server must not be running on that file.
pub async fn restore(
    client: &HubClient,
    repo: &RepoId,
    database_url: &str,
    overwrite: bool,
    progress: Option<UploadProgress>,
) -> Result<RestoreReport, HubError> {
    let Some(target) = crate::db::sqlite_file(database_url) else {
        return Err(HubError::Local {
            path: PathBuf::from(crate::db::redact(database_url)),
            reason: "restore --from-hub writes a SQLite database; on PostgreSQL, restore \
                     with pg_restore from your own pg_dump"
                .into(),
        });
    };
    let exists = target.exists();
    if exists && !overwrite {
        return Err(HubError::local(
            &target,
            "a database is there already; pass --overwrite to replace it (it is kept beside \
             it as <name>.before-restore-<time>)",
        ));
    }
    let files = client.list_files(repo).await?;
    let Some(backup) = files.iter().find(|f| f.path == BACKUP_PATH) else {
        return Err(HubError::NotFound {
            action: format!("restoring from {repo}"),
            detail: format!(
                "it has no {BACKUP_PATH}; snapshots with the database are made by \
                 `swipeset serve --publish-every … --publish-repo {repo}` on SQLite"
            ),
        });
    };
    let folder = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&folder).map_err(|e| HubError::local(&folder, e))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "swipeset.db".into());
    let partial = folder.join(format!(".{name}.restore-partial"));
    let result = async {
        let bytes = client
            .download(repo, BACKUP_PATH, &partial, &backup.content_id, progress)
            .await?;
        let check = partial.clone();
        let ratings = tokio::task::spawn_blocking(move || crate::db::backup::read_back(&check))
            .await
            .map_err(|e| HubError::local(&partial, e))?
            .map_err(|reason| HubError::local(&partial, format!("the download: {reason}")))?;
        Ok::<_, HubError>((bytes, ratings))
    }
    .await;
    let (bytes, ratings) = match result {
        Ok(done) => done,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    let kept = if exists {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = folder.join(format!("{name}.before-restore-{stamp}"));
        std::fs::rename(&target, &kept).map_err(|e| HubError::local(&target, e))?;
        // A write-ahead log left beside the old file would be replayed into the new one.
        for suffix in ["-wal", "-shm"] {
            let side = folder.join(format!("{name}{suffix}"));
            if side.exists() {
                let to = folder.join(format!("{name}.before-restore-{stamp}{suffix}"));
                std::fs::rename(&side, &to).map_err(|e| HubError::local(&side, e))?;
            }
        }
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&partial, &target).map_err(|e| HubError::local(&target, e))?;
    let _ = std::fs::File::open(&folder).and_then(|f| f.sync_all());
    Ok(RestoreReport {
        database: target,
        bytes,
        ratings,
        kept,
    })
}
