//! The HTTP API's table of contents: one line per route.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get, post};
use leptos::prelude::*;
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, generate_route_list, handle_server_fns_with_context,
};
use swipeset_app::{App, shell};
use swipeset_core::{DatabaseConnection, Store};
use tokio::sync::Semaphore;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::trace::TraceLayer;

use crate::auth::sessions::{self, SessionBackend};
use crate::auth::{AuthConfig, caller, oidc, protect};
use crate::handlers::{export, health, import};
use crate::identity;
use crate::live::{self, Live};

/// The browser bundle's file name stem, as `cargo xtask site` writes it (`pkg/swipeset.js`,
/// `pkg/swipeset_bg.wasm`, `pkg/swipeset.css`).
pub const OUTPUT_NAME: &str = "swipeset";

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    /// The same database with its writer, for the rating path.
    pub store: Store,
    /// The live leaderboard's feeds.
    pub live: Live,
    /// Dataset downloads in flight. Each holds a database connection while it reads, and
    /// a slow phone can keep one open for a while: a cap keeps the rating path's
    /// connections free.
    pub exports: Arc<Semaphore>,
    /// The largest file an admin may upload for import.
    pub max_upload_bytes: u64,
    /// Sign-in settings: guests, registration, the OpenID provider, cookies, headers.
    pub auth: Arc<AuthConfig>,
    /// Sessions, in the database.
    pub sessions: SessionBackend,
}

/// The largest import upload, unless the settings say otherwise: 256 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 256 * 1024 * 1024;

/// Dataset downloads that may run at once, unless the settings say otherwise.
pub const DEFAULT_MAX_EXPORTS: usize = 2;

impl AppState {
    /// Must be called inside the Tokio runtime that will serve: on SQLite it starts the
    /// store's writer task.
    pub fn new(db: DatabaseConnection, site_root: &Path) -> Self {
        let leptos_options = LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(site_root.display().to_string())
            .site_pkg_dir("pkg")
            .build();
        let store = Store::new(db.clone());
        let live = Live::new(store.clone());
        let sessions = SessionBackend::new(&db);
        Self {
            leptos_options,
            db,
            store,
            live,
            exports: Arc::new(Semaphore::new(DEFAULT_MAX_EXPORTS)),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            auth: Arc::new(AuthConfig::default()),
            sessions,
        }
    }

    /// Refuses import uploads over `bytes`.
    pub fn with_upload_limit(mut self, bytes: u64) -> Self {
        self.max_upload_bytes = bytes;
        self
    }

    /// Uses these sign-in settings instead of the defaults (accounts only).
    pub fn with_auth(mut self, auth: AuthConfig) -> Self {
        self.auth = Arc::new(auth);
        self
    }

    /// Allows `limit` dataset downloads at once.
    pub fn with_export_limit(mut self, limit: usize) -> Self {
        self.exports = Arc::new(Semaphore::new(limit));
        self
    }

    /// On PostgreSQL, shares leaderboard events between replicas through the database
    /// (`LISTEN/NOTIFY`) instead of within this process only.
    pub async fn with_database_events(mut self) -> Result<Self, sea_orm::DbErr> {
        use sea_orm::ConnectionTrait;
        if self.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let pool = self.db.get_postgres_connection_pool().clone();
            let bus = swipeset_core::db::events::PostgresBus::start(pool)
                .await
                .map_err(|e| {
                    sea_orm::DbErr::Custom(format!("LISTEN for leaderboard events: {e}"))
                })?;
            self.store = self.store.with_events(bus);
            self.live = Live::new(self.store.clone());
        }
        Ok(self)
    }

    /// What every render and server function finds in its context. The page's scripts
    /// get the nonce that the security-headers layer put in this response's policy.
    fn provide(&self) {
        provide_context(self.store.clone());
        provide_context(self.auth.app_settings());
        if let Some(nonce) = use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<protect::CspNonce>().cloned())
        {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0));
        }
    }
}

/// The app's routes, worked out once per process.
///
/// `generate_route_list` runs the whole app with resource loading switched off through a
/// process-wide flag (leptos_server's `SuppressResourceLoad`). A page render whose
/// resource is first polled while that flag is up waits forever
/// (leptos-rs/leptos#4773). Building a second router while the first one serves (the
/// integration tests do, and so would anything that embeds several) hung responses; doing
/// the generation only once, before any router exists, leaves no window for it.
fn app_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Every HTTP route that is not a server function or a page, in one list: the
/// authorization test walks it, so a route added here cannot escape the test's table.
pub fn http_routes() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        ("GET", "/healthz", get(health::healthz)),
        ("GET", "/login/oidc", get(oidc::start)),
        ("GET", "/login/callback", get(oidc::callback)),
        (
            "GET",
            "/api/campaigns/{slug}/events",
            get(live::campaign_events),
        ),
        ("GET", "/api/campaigns/{slug}/export", get(export::download)),
        ("POST", "/api/campaigns/{slug}/import", post(import::upload)),
    ]
}

pub fn router(state: AppState) -> Router {
    let routes = app_routes();
    let context_state = state.clone();
    let options = state.leptos_options.clone();
    let guests = state.auth.guests;
    let session_layer = sessions::layer(state.sessions.clone(), state.auth.cookie);
    let mut app = Router::new();
    for (_, path, route) in http_routes() {
        app = app.route(path, route);
    }
    let mut app = app
        .route("/api/{*fn_name}", get(server_fn).post(server_fn))
        .leptos_routes_with_context(
            &state,
            routes,
            move || context_state.provide(),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell));
    // Only where guests may rate does a browser get an identity cookie before signing in.
    if guests {
        app = app.layer(middleware::from_fn(identity::ensure_browser_identity));
    }
    // Outermost last: trace, compress, headers, the CSRF guard, sessions, then who is asking.
    app.layer(middleware::from_fn_with_state(
        state.clone(),
        caller::authenticate,
    ))
    .layer(session_layer)
    .layer(middleware::from_fn_with_state(
        state.clone(),
        protect::refuse_cross_site,
    ))
    .layer(middleware::from_fn_with_state(
        state.clone(),
        protect::security_headers,
    ))
    // The Wasm bundle shrinks to about a third with brotli: it matters on a phone.
    // Parquet and zip downloads are compressed already.
    .layer(
        CompressionLayer::new().compress_when(
            DefaultPredicate::new()
                .and(NotForContentType::const_new(
                    "application/vnd.apache.parquet",
                ))
                .and(NotForContentType::const_new("application/zip")),
        ),
    )
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}

/// Runs a server function with the app's context.
async fn server_fn(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || state.provide(), request).await
}
