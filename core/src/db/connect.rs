//! Opening the database: SQLite by default (a file created on first start, in WAL mode),
//! PostgreSQL when the URL says so. Migrations run on every open, so a new version of
//! swipeset upgrades its schema by simply starting.

use std::str::FromStr;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::db::migration::Migrator;

/// Why the database could not be opened, with the URL (minus any password) in the message.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    Unsupported(String),
    #[error("cannot create the folder {path} for the SQLite database: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open database {url}: {source}")]
    Connect { url: String, source: DbErr },
    #[error("cannot migrate database {url}: {source}")]
    Migrate { url: String, source: DbErr },
}

/// Opens `url` and brings its schema up to date.
pub async fn connect(url: &str) -> Result<DatabaseConnection, OpenError> {
    connect_pooled(url, None).await
}

/// PostgreSQL connections one process keeps open at most, unless told otherwise; a
/// replica's listener for leaderboard changes holds one of them for good.
pub const DEFAULT_POSTGRES_POOL: u32 = 16;

/// [`connect`], with at most `postgres_pool` PostgreSQL connections (default
/// [`DEFAULT_POSTGRES_POOL`]); SQLite's pool is sized by what SQLite can use and ignores it.
pub async fn connect_pooled(
    url: &str,
    postgres_pool: Option<u32>,
) -> Result<DatabaseConnection, OpenError> {
    let migrate = |db: DatabaseConnection| async move {
        Migrator::up(&db, None)
            .await
            .map_err(|source| OpenError::Migrate {
                url: redact(url),
                source,
            })
            .map(|()| db)
    };
    if url.starts_with("sqlite:") {
        // A pooled SQLite connection can hold a stale schema while another one changes
        // it (an index dropped there still "exists" here), so migrations get a connection
        // of their own before the pool opens.
        let single = migrate(connect_sqlite(url, 1).await?).await?;
        if !is_in_memory(url) {
            single.close().await.map_err(|source| OpenError::Connect {
                url: redact(url),
                source,
            })?;
            return connect_sqlite(url, SQLITE_POOL_SIZE).await;
        }
        return Ok(single);
    }
    migrate(open(url, postgres_pool).await?).await
}

/// Readers run side by side in WAL mode; SQLite still writes one transaction at a time.
const SQLITE_POOL_SIZE: u32 = 8;

/// An in-memory database lives and dies with its one connection.
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Opens `url` as it is, for tools that manage databases rather than use one (the test
/// suite creating a PostgreSQL database per test).
pub async fn connect_without_migrations(url: &str) -> Result<DatabaseConnection, OpenError> {
    open(url, None).await
}

async fn open(url: &str, postgres_pool: Option<u32>) -> Result<DatabaseConnection, OpenError> {
    let shown = redact(url);
    let db = if url.starts_with("sqlite:") {
        let size = if is_in_memory(url) {
            1
        } else {
            SQLITE_POOL_SIZE
        };
        connect_sqlite(url, size).await?
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(postgres_pool.unwrap_or(DEFAULT_POSTGRES_POOL).max(1))
            // No ping before each use: a round trip per transaction, an eighth of a
            // rating's. A connection PostgreSQL dropped (a restart) fails its next
            // statement instead, once, and the pool replaces it; the rating page sends
            // again.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        Database::connect(options)
            .await
            .map_err(|source| OpenError::Connect {
                url: shown.clone(),
                source,
            })?
    } else {
        return Err(OpenError::Unsupported(shown));
    };
    Ok(db)
}

/// A PostgreSQL `url` with its database name replaced by `name`: another database on the
/// same server, with the same credentials and options (the test suite and the benchmark
/// make one per run).
pub fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority..].find('/') {
        Some(slash) => &base[..authority + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// SQLite is tuned here rather than through SeaORM's options because WAL, the busy timeout
/// and `synchronous=FULL` must hold on every pooled connection: WAL lets the leaderboard read
/// while a rating is written, and FULL makes an acknowledged rating survive a power cut.
async fn connect_sqlite(url: &str, max_connections: u32) -> Result<DatabaseConnection, OpenError> {
    let shown = redact(url);
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| OpenError::Connect {
            url: shown.clone(),
            source: DbErr::Custom(e.to_string()),
        })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    if let Some(parent) = options.get_filename().parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| OpenError::CreateDir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| OpenError::Connect {
            url: shown,
            source: DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)),
        })?;
    Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// The file a `sqlite:` URL opens, or `None` for another database (or an in-memory one).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    if url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    (!file.as_os_str().is_empty()).then(|| file.to_path_buf())
}

/// Answers whether the database is reachable right now, for `/healthz`.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// Hides the password of a `postgres://user:password@host/db` URL in messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_another_database_on_the_same_server() {
        assert_eq!(
            with_database_name("postgres://u@h:5/postgres", "x"),
            "postgres://u@h:5/x"
        );
        assert_eq!(
            with_database_name("postgres://u@h:5", "x"),
            "postgres://u@h:5/x"
        );
        assert_eq!(
            with_database_name("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact("postgres://swipe:s3cret@db:5432/swipeset"),
            "postgres://swipe:***@db:5432/swipeset"
        );
        assert_eq!(
            redact("postgres://swipe@db/swipeset"),
            "postgres://swipe@db/swipeset"
        );
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(
            sqlite_file("sqlite:///data/swipeset.db"),
            Some("/data/swipeset.db".into())
        );
        assert_eq!(
            sqlite_file("sqlite://data/swipeset.db?mode=rwc"),
            Some("data/swipeset.db".into())
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://a@b/c"), None);
    }

    #[tokio::test]
    async fn refuses_unknown_schemes_with_the_url() {
        let err = connect("mysql://x@y/z").await.unwrap_err();
        assert!(err.to_string().contains("mysql://x@y/z"), "{err}");
    }

    #[tokio::test]
    async fn creates_the_sqlite_file_and_its_folder_in_wal_mode() {
        let dir = std::env::temp_dir().join(format!("swipeset-db-{}", uuid::Uuid::new_v4()));
        let file = dir.join("nested").join("swipeset.db");
        let db = connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        assert!(file.exists());
        let row = db
            .query_one(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "PRAGMA journal_mode",
            ))
            .await
            .unwrap()
            .unwrap();
        let mode: String = row.try_get_by_index(0).unwrap();
        assert_eq!(mode, "wal");
        ping(&db).await.unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
