//! The Hugging Face Hub from the server's side: the endpoint and token every command that
//! publishes takes (`--hub-endpoint`/`HF_ENDPOINT`, `--token-file`/`HF_TOKEN`/the token
//! `huggingface-cli login` saved), and `serve`'s scheduled snapshot: restored at start when
//! the database is new, taken every `--publish-every` while ratings come in, and once more
//! when the server stops.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use swipeset_app::api::ssr::{HubAccess, SnapshotRun, SnapshotState};
use swipeset_core::hub::snapshot::{self, SnapshotReport};
use swipeset_core::hub::{DEFAULT_ENDPOINT, HubClient, HubError, PublishOutcome, RepoId};
use swipeset_core::sync::lock;

/// Where the Hub is and which token to use.
#[derive(Debug, Clone, clap::Args)]
pub struct HubArgs {
    /// The Hub's address (a mirror, or the stand-in Hub in tests).
    #[arg(long = "hub-endpoint", visible_alias = "endpoint", env = "HF_ENDPOINT", default_value = DEFAULT_ENDPOINT)]
    pub endpoint: String,
    /// A file holding the Hugging Face token. Without it: `HF_TOKEN`, then the token
    /// `huggingface-cli login` saved (`$HF_TOKEN_PATH`, `$HF_HOME/token`,
    /// `~/.cache/huggingface/token`).
    #[arg(long, env = "SWIPESET_HF_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
}

impl HubArgs {
    /// The token from the places above, if any.
    pub fn token(&self) -> anyhow::Result<Option<String>> {
        if let Some(file) = &self.token_file {
            let token = std::fs::read_to_string(file)
                .with_context(|| format!("reading the token file {}", file.display()))?;
            let token = token.trim();
            anyhow::ensure!(
                !token.is_empty(),
                "the token file {} is empty",
                file.display()
            );
            return Ok(Some(token.to_string()));
        }
        if let Some(token) = std::env::var("HF_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
        {
            return Ok(Some(token.trim().to_string()));
        }
        Ok(saved_by_cli().and_then(|path| {
            std::fs::read_to_string(path)
                .ok()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
        }))
    }

    /// A client with the token from the places above; a clear error without one.
    pub fn client(&self) -> anyhow::Result<HubClient> {
        let token = self.token()?.ok_or(HubError::NoToken)?;
        Ok(HubClient::new(&self.endpoint, &token)?)
    }
}

/// Where `huggingface-cli login` (`hf auth login`) keeps its token.
fn saved_by_cli() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("HF_TOKEN_PATH") {
        return Some(PathBuf::from(path));
    }
    if let Some(home) = std::env::var_os("HF_HOME") {
        return Some(Path::new(&home).join("token"));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
    Some(cache.join("huggingface").join("token"))
}

/// `serve`'s snapshot settings.
#[derive(Debug, Clone, clap::Args)]
pub struct SnapshotArgs {
    /// Publish a private snapshot (every campaign's ratings, and the SQLite database) this
    /// often, when something changed: `1h`, `30m`. Needs --publish-repo and a token in
    /// HF_TOKEN or --token-file.
    #[arg(long, env = "SWIPESET_PUBLISH_EVERY", value_parser = parse_every, requires = "publish_repo")]
    pub publish_every: Option<Duration>,
    /// The dataset repository (OWNER/NAME) the snapshots go to. When the database does not
    /// exist yet at start, it is restored from the last snapshot there first.
    #[arg(long, env = "SWIPESET_PUBLISH_REPO", value_parser = parse_repo, requires = "publish_every")]
    pub publish_repo: Option<RepoId>,
}

fn parse_repo(text: &str) -> Result<RepoId, String> {
    text.parse().map_err(|e: HubError| e.to_string())
}

/// `90s`, `30m`, `1h`, `1h30m`, `1d`: at least a minute.
pub fn parse_every(text: &str) -> Result<Duration, String> {
    let every = humantime::parse_duration(text.trim())
        .map_err(|e| format!("{text:?}: {e} (write it as 30m, 1h or 1h30m)"))?;
    if every < Duration::from_secs(60) {
        return Err(format!(
            "{text:?} is under a minute; snapshots upload the whole database, so 15m or more is \
             usual"
        ));
    }
    Ok(every)
}

/// The snapshot schedule, ready to run.
pub struct Snapshots {
    pub state: Arc<SnapshotState>,
    client: HubClient,
    database_url: String,
    /// What the database looked like at the last snapshot, so an idle instance uploads
    /// nothing.
    mark: Mutex<Option<String>>,
}

/// What `serve` builds from its arguments: the page's access to the Hub and, when asked
/// for, the snapshot schedule.
pub fn setup(
    hub: &HubArgs,
    snapshots: &SnapshotArgs,
    database_url: &str,
) -> anyhow::Result<(HubAccess, Option<Arc<Snapshots>>)> {
    let env_token = hub.token()?;
    let schedule = match (&snapshots.publish_every, &snapshots.publish_repo) {
        (Some(every), Some(repo)) => {
            let token = env_token.clone().context(
                "--publish-repo needs a token with write access in HF_TOKEN (a Space secret) or \
                 --token-file: the snapshot is restored with it at start and published with it",
            )?;
            let client = HubClient::new(&hub.endpoint, &token)?;
            Some(Arc::new(Snapshots {
                state: Arc::new(SnapshotState {
                    repo: repo.clone(),
                    every: *every,
                    last: Mutex::new(None),
                }),
                client,
                database_url: database_url.to_string(),
                mark: Mutex::new(None),
            }))
        }
        _ => None,
    };
    let access = HubAccess {
        endpoint: hub.endpoint.trim_end_matches('/').to_string(),
        env_token,
        snapshot: schedule.as_ref().map(|s| s.state.clone()),
        publishing: Default::default(),
    };
    Ok((access, schedule))
}

impl Snapshots {
    /// Before the database is opened: a SQLite file that does not exist yet is restored from
    /// the last snapshot. The server refuses to start when that fails for any reason but
    /// "there is no snapshot yet": starting empty would make the next snapshot replace the
    /// good one with an empty database.
    pub async fn restore_if_new(&self) -> anyhow::Result<()> {
        let Some(file) = swipeset_core::db::sqlite_file(&self.database_url) else {
            return Ok(());
        };
        if file.exists() {
            return Ok(());
        }
        let repo = &self.state.repo;
        match snapshot::restore(&self.client, repo, &self.database_url, false, None).await {
            Ok(report) => {
                tracing::warn!(
                    %repo,
                    ratings = report.ratings,
                    bytes = report.bytes,
                    "no database at start: restored the last snapshot (sign-in sessions are not \
                     kept; everyone signs in again)"
                );
                println!(
                    "  restored {} ratings from the snapshot in {repo}",
                    report.ratings
                );
                Ok(())
            }
            Err(HubError::NotFound { detail, .. }) => {
                tracing::info!(%repo, detail, "no snapshot to restore; starting a new database");
                Ok(())
            }
            Err(other) => Err(anyhow::Error::new(other).context(format!(
                "restoring the database from the snapshot in {repo} (the server does not start \
                 with an empty database while a snapshot may exist: fix the cause, or remove \
                 --publish-repo)"
            ))),
        }
    }

    /// Takes snapshots every `every` until the process ends.
    pub fn spawn(self: &Arc<Self>, db: DatabaseConnection) {
        let this = self.clone();
        tokio::spawn(async move {
            // The first tick of `interval` is at once; the database has just been read.
            let mut ticks = tokio::time::interval(this.state.every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            if let Ok(mark) = watermark(&db).await {
                *lock(&this.mark) = Some(mark);
            }
            loop {
                ticks.tick().await;
                this.run(&db).await;
            }
        });
    }

    /// One snapshot, unless nothing changed since the last; the outcome goes to the log and
    /// the export page.
    pub async fn run(&self, db: &DatabaseConnection) {
        let mark = match watermark(db).await {
            Ok(mark) => mark,
            Err(error) => {
                self.record(false, format!("reading the database failed: {error}"));
                return;
            }
        };
        if lock(&self.mark).as_ref() == Some(&mark) {
            tracing::debug!("no change since the last snapshot");
            return;
        }
        let result = snapshot::publish_snapshot(
            db,
            &self.database_url,
            &self.client,
            &self.state.repo,
            None,
        )
        .await;
        match result {
            Ok(report) => {
                *lock(&self.mark) = Some(mark);
                let text = describe(&report);
                tracing::info!(repo = %self.state.repo, "{text}");
                self.record(true, text);
            }
            Err(error) => {
                tracing::error!(repo = %self.state.repo, "snapshot failed: {error}");
                self.record(false, format!("failed: {error}"));
            }
        }
    }

    fn record(&self, ok: bool, result: String) {
        *lock(&self.state.last) = Some(SnapshotRun {
            at: chrono::Utc::now(),
            ok,
            result,
        });
    }
}

fn describe(report: &SnapshotReport) -> String {
    let size = report
        .database_bytes
        .map(|b| format!(", database {:.1} MB", b as f64 / 1e6))
        .unwrap_or_default();
    match &report.outcome {
        PublishOutcome::Committed { commit_url, .. } => format!(
            "snapshot published: {} campaigns, {} ratings{size}: {commit_url}",
            report.campaigns, report.ratings
        ),
        PublishOutcome::Unchanged { .. } => "snapshot unchanged: no commit".to_string(),
    }
}

/// A summary of what a snapshot would hold: counts and latest ids of the tables that
/// matter. Equal marks mean nothing worth a snapshot happened.
async fn watermark(db: &DatabaseConnection) -> Result<String, sea_orm::DbErr> {
    let sql = "SELECT \
        (SELECT COUNT(*) FROM rating) || ':' || (SELECT COALESCE(MAX(id), 0) FROM rating) || ':' || \
        (SELECT COUNT(*) FROM undone_rating) || ':' || (SELECT COUNT(*) FROM generation) || ':' || \
        (SELECT COUNT(*) FROM prompt) || ':' || (SELECT COUNT(*) FROM campaign) || ':' || \
        (SELECT COUNT(*) FROM \"user\") || ':' || (SELECT COALESCE(MAX(id), 0) FROM skip) AS mark";
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("watermark".into()))?;
    row.try_get("", "mark")
}
