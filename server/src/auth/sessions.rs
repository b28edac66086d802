//! Server-side sessions (tower-sessions) kept in the database, so any replica behind a load
//! balancer knows every session, and signing out ends it everywhere. The sqlx stores of
//! tower-sessions run on the pool SeaORM already holds; this enum picks the one for the
//! backend in use.

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "swipeset_session";

/// A session lasts this long after sign-in (it is saved again only when it changes).
pub const LIFETIME_DAYS: i64 = 14;

#[derive(Debug, Clone)]
pub enum SessionBackend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl SessionBackend {
    /// The store for `db`'s backend. Its table is made by swipeset's migrations
    /// (`m20261127_000008_accounts`), under the store's default name.
    pub fn new(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            DatabaseBackend::Postgres => SessionBackend::Postgres(PostgresStore::new(
                db.get_postgres_connection_pool().clone(),
            )),
            _ => SessionBackend::Sqlite(SqliteStore::new(db.get_sqlite_connection_pool().clone())),
        }
    }

    /// Removes expired sessions every hour, for as long as the server runs.
    pub fn delete_expired_hourly(&self) {
        let store = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                tick.tick().await;
                if let Err(e) = store.delete_expired().await {
                    tracing::warn!(error = %e, "could not delete expired sessions");
                }
            }
        });
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.create(record).await,
            SessionBackend::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.save(record).await,
            SessionBackend::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            SessionBackend::Sqlite(s) => s.load(id).await,
            SessionBackend::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.delete(id).await,
            SessionBackend::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionBackend {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.delete_expired().await,
            SessionBackend::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// How the session cookie is sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct CookiePolicy {
    /// `Secure`: set when the public URL is https.
    pub secure: bool,
    /// `SameSite=None; Secure` instead of `Lax`, for running inside another site's iframe
    /// (a Hugging Face Space).
    pub cross_site: bool,
}

/// The session layer: an `HttpOnly` cookie, `SameSite=Lax` unless the instance runs in
/// an iframe, expiring with the session.
pub fn layer(store: SessionBackend, policy: CookiePolicy) -> SessionManagerLayer<SessionBackend> {
    let (same_site, secure) = if policy.cross_site {
        (SameSite::None, true)
    } else {
        (SameSite::Lax, policy.secure)
    };
    SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(same_site)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(Duration::days(LIFETIME_DAYS)))
}
