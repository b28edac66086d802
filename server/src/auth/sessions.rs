//! Server-side sessions (tower-sessions) kept in the database, so any replica behind a load
//! balancer knows every session, and signing out ends it everywhere. The sqlx stores of
//! tower-sessions run on the pool SeaORM already holds; this enum picks the one for the
//! backend in use.
//!
//! Everything a session means is here too: what it remembers of its user, the stamp that
//! ends it when their credentials change, the caller it stands for, and beginning and
//! ending one. The app's server functions reach the last two through the
//! `SessionControl` port, which `provide_control` puts in their context, so the app never
//! sees tower-sessions.

use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::provide_context;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use swipeset_app::api::ssr::{SessionControl, SessionFuture, Sessions};
use swipeset_app::api::{ApiError, ErrorCode};
use swipeset_core::accounts::Caller;
use swipeset_core::accounts::membership::MembershipRule;
use swipeset_core::db::entities::user;
use tower_sessions::Session;
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

/// How swipeset's cookies are sent: the session cookie and the guest cookie alike, so a
/// browser that keeps one keeps the other (inside a Space's iframe, a guest cookie that
/// stayed `Lax` would be dropped and every rating would start a new guest).
#[derive(Debug, Clone, Copy, Default)]
pub struct CookiePolicy {
    /// `Secure`: set when the public URL is https.
    pub secure: bool,
    /// `SameSite=None; Secure` instead of `Lax`, for running inside another site's iframe
    /// (a Hugging Face Space).
    pub cross_site: bool,
}

impl CookiePolicy {
    /// The cookies' `SameSite` and `Secure`: `None` and secure for an iframe (browsers
    /// refuse `None` without `Secure`), `Lax` otherwise, secure under https.
    pub fn same_site_and_secure(self) -> (SameSite, bool) {
        if self.cross_site {
            (SameSite::None, true)
        } else {
            (SameSite::Lax, self.secure)
        }
    }
}

/// The session layer: an `HttpOnly` cookie, `SameSite=Lax` unless the instance runs in
/// an iframe, expiring with the session.
pub fn layer(store: SessionBackend, policy: CookiePolicy) -> SessionManagerLayer<SessionBackend> {
    let (same_site, secure) = policy.same_site_and_secure();
    SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(same_site)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(Duration::days(LIFETIME_DAYS)))
}

/// What a session remembers of its user. `stamp` changes when their password or OpenID
/// link does, which ends every other session they had.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionUser {
    pub id: i32,
    pub stamp: String,
}

/// The key the signed-in user is kept under in the session.
pub const SESSION_USER: &str = "user";

/// A short digest of the user's credentials: a new password or OpenID link gives a new
/// stamp, and every session remembering the old one stands for nobody.
pub fn session_stamp(user: &user::Model) -> String {
    use sha2::{Digest, Sha256};
    let secret = user
        .password_hash
        .as_deref()
        .or(user.oidc_subject.as_deref())
        .unwrap_or("");
    hex::encode(&Sha256::digest(format!("{}:{secret}", user.id))[..8])
}

/// The caller behind a session: nobody when it holds no user, the user went away, or their
/// credentials changed since it began.
pub async fn caller_from_session(
    db: &DatabaseConnection,
    session: &Session,
    membership: Option<&MembershipRule>,
) -> Result<Caller, ApiError> {
    let remembered = session
        .get::<SessionUser>(SESSION_USER)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, format!("session store: {e}")))?;
    remembered_caller(db, remembered, membership).await
}

/// The caller behind the session stored under `id` now: nobody once it was ended (signed
/// out, expired, replaced at the next sign-in). Long-lived responses ask this again as
/// they go, since the `Session` a request holds keeps what it loaded at the start.
pub async fn caller_from_stored_session(
    db: &DatabaseConnection,
    store: &SessionBackend,
    id: &Id,
    membership: Option<&MembershipRule>,
) -> Result<Caller, ApiError> {
    let record = store
        .load(id)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, format!("session store: {e}")))?;
    let remembered = record
        .filter(|r| r.expiry_date > tower_sessions::cookie::time::OffsetDateTime::now_utc())
        .and_then(|r| r.data.get(SESSION_USER).cloned())
        .and_then(|value| serde_json::from_value::<SessionUser>(value).ok());
    remembered_caller(db, remembered, membership).await
}

/// A session stands for nobody once its user's credentials changed or, where sign-in is
/// limited to organisations, once a provider account's membership is no longer vouched for.
async fn remembered_caller(
    db: &DatabaseConnection,
    remembered: Option<SessionUser>,
    membership: Option<&MembershipRule>,
) -> Result<Caller, ApiError> {
    let Some(remembered) = remembered else {
        return Ok(Caller::Anonymous);
    };
    let user = swipeset_core::accounts::users::find(db, remembered.id).await?;
    let now = chrono::Utc::now();
    Ok(match user {
        Some(user)
            if session_stamp(&user) == remembered.stamp
                && !membership.is_some_and(|rule| rule.lapsed(&user, now)) =>
        {
            Caller::from_user(&user)
        }
        _ => Caller::Anonymous,
    })
}

fn session_error(e: tower_sessions::session::Error) -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        format!("the session store did not answer: {e}"),
    )
}

/// Signs `user` in on the browser of `session`, under a new session id (so a session id
/// planted before sign-in is worth nothing after). The server functions call it through
/// [`SessionControl::begin`]; the OpenID callback, which holds the session, directly.
pub async fn start(session: &Session, user: &user::Model) -> Result<(), ApiError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(
            SESSION_USER,
            SessionUser {
                id: user.id,
                stamp: session_stamp(user),
            },
        )
        .await
        .map_err(session_error)
}

/// Ends the session on the server and clears its cookie.
pub async fn end(session: &Session) -> Result<(), ApiError> {
    session.flush().await.map_err(session_error)
}

/// The session of one request, as the app's server functions see it.
struct RequestSession {
    session: Session,
    /// The caller came with a session cookie, not a bearer token.
    by_session: bool,
}

impl SessionControl for RequestSession {
    fn begin<'a>(&'a self, user: &'a user::Model) -> SessionFuture<'a> {
        Box::pin(start(&self.session, user))
    }

    fn keep<'a>(&'a self, user: &'a user::Model) -> SessionFuture<'a> {
        Box::pin(async move {
            if self.by_session {
                start(&self.session, user).await
            } else {
                Ok(())
            }
        })
    }

    fn end(&self) -> SessionFuture<'_> {
        Box::pin(end(&self.session))
    }
}

/// Gives the render or server function under way its request's session (from `parts`), as
/// the `SessionControl` port; a request without a session layer gets no port.
pub fn provide_control(parts: &http::request::Parts) {
    let Some(session) = parts.extensions.get::<Session>().cloned() else {
        return;
    };
    let by_session = parts.extensions.get::<AuthMethod>() == Some(&AuthMethod::Session);
    provide_context(Sessions(Arc::new(RequestSession {
        session,
        by_session,
    })));
}

/// How the request was authenticated: a bearer token carries no session to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    Token,
}
