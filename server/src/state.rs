//! What every handler and server function shares for the life of the process: the
//! database, the live feeds, the limits and the sign-in settings. It lives apart from
//! `router.rs` so that the router is only the table of routes, and a handler that needs the
//! state does not import the route table to get it.

use std::path::Path;
use std::sync::Arc;
use swipeset_app::api::ssr::{AdminNotices, HubAccess};
use swipeset_app::bundle::BundleVersions;
use swipeset_core::accounts::guests::GuestIds;

use axum::extract::FromRef;
use leptos::prelude::*;
use swipeset_core::{DatabaseConnection, Store};
use tokio::sync::Semaphore;

use crate::auth::AuthConfig;
use crate::auth::protect;
use crate::auth::sessions::{self, SessionBackend};
use crate::live::{Live, StreamLimits};

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
    /// Caps on open event streams, and how often each re-checks its caller.
    pub streams: Arc<StreamLimits>,
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
    /// Guests' ids by browser, remembered so the rating path does not look them up on
    /// every request, and the limits on new guests per address.
    pub guests: Arc<GuestIds>,
    /// Request limits per rater on the rating endpoints.
    pub rating_limits: Arc<crate::limits::RatingLimits>,
    /// Shown to admins on every admin page (`crate::storage`).
    pub admin_notices: AdminNotices,
    /// The Hub's address, the token from the environment, and the snapshot schedule.
    pub hub: HubAccess,
    /// Generation runs started from campaign pages.
    pub generators: swipeset_core::generate::Runner,
    /// The browser bundles' content hashes, for their URLs (`crate::site`).
    pub bundles: BundleVersions,
    /// The head-to-head outcomes the model pages show, kept per campaign and read again
    /// in the background (`swipeset_core::board::model_page::Outcomes`).
    pub outcomes: swipeset_core::board::model_page::Outcomes,
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
        let generators = swipeset_core::generate::Runner::new(
            store.clone(),
            swipeset_core::generate::Backoff::default(),
        );
        Self {
            leptos_options,
            db,
            store,
            live,
            streams: Arc::default(),
            exports: Arc::new(Semaphore::new(DEFAULT_MAX_EXPORTS)),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            auth: Arc::new(AuthConfig::default()),
            sessions,
            guests: Arc::default(),
            rating_limits: Arc::default(),
            admin_notices: Default::default(),
            hub: HubAccess::default(),
            generators,
            bundles: crate::site::bundle_versions(site_root),
            outcomes: Default::default(),
        }
    }

    /// How the export page reaches the Hub.
    pub fn with_hub(mut self, hub: HubAccess) -> Self {
        self.hub = hub;
        self
    }

    /// Shows `notice` to admins on every admin page.
    pub fn with_admin_notice(mut self, notice: Option<String>) -> Self {
        if let Some(notice) = notice {
            let mut notices = self.admin_notices.0.to_vec();
            notices.push(notice);
            self.admin_notices = AdminNotices(Arc::new(notices));
        }
        self
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

    /// Uses these caps on event streams (and their re-check interval).
    pub fn with_stream_limits(mut self, limits: StreamLimits) -> Self {
        self.streams = Arc::new(limits);
        self
    }

    /// Allows `limit` dataset downloads at once.
    pub fn with_export_limit(mut self, limit: usize) -> Self {
        self.exports = Arc::new(Semaphore::new(limit));
        self
    }

    /// Limits how many new guests one address makes (`GuestLimits`).
    pub fn with_guest_limits(
        mut self,
        limits: swipeset_core::accounts::guests::GuestLimits,
    ) -> Self {
        self.guests = Arc::new(GuestIds::new(limits));
        self
    }

    /// Lets one rater make `burst` rating requests at once and `per_minute` after that.
    pub fn with_rating_limits(mut self, per_minute: u32, burst: u32) -> Self {
        self.rating_limits = Arc::new(crate::limits::RatingLimits::new(per_minute, burst));
        self
    }

    /// Lets one rater hold at most `cards` cards at once (`Store::with_hold_cap`).
    pub fn with_hold_cap(self, cards: usize) -> Self {
        let store = self.store.clone().with_hold_cap(cards);
        self.with_store(store)
    }

    /// Uses `store` instead, for the live feeds and the generation runs too (they hold
    /// clones of the store they were made with).
    fn with_store(mut self, store: Store) -> Self {
        self.live = Live::new(store.clone());
        self.generators = swipeset_core::generate::Runner::new(
            store.clone(),
            swipeset_core::generate::Backoff::default(),
        );
        self.store = store;
        self
    }

    /// On PostgreSQL, shares leaderboard events between replicas through the database
    /// (`LISTEN/NOTIFY`) instead of within this process only.
    pub async fn with_database_events(self) -> Result<Self, sea_orm::DbErr> {
        use sea_orm::ConnectionTrait;
        if self.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let pool = self.db.get_postgres_connection_pool().clone();
            let bus = swipeset_core::db::events::PostgresBus::start(pool)
                .await
                .map_err(|e| {
                    sea_orm::DbErr::Custom(format!("LISTEN for leaderboard events: {e}"))
                })?;
            let store = self.store.clone().with_events(bus);
            return Ok(self.with_store(store));
        }
        Ok(self)
    }

    /// What every render and server function finds in its context. The page's scripts
    /// get the nonce that the security-headers layer put in this response's policy.
    pub(crate) fn provide(&self) {
        provide_context(self.store.clone());
        provide_context(self.guests.clone());
        provide_context(self.auth.app_settings());
        provide_context(self.admin_notices.clone());
        provide_context(self.hub.clone());
        provide_context(self.generators.clone());
        provide_context(self.bundles.clone());
        provide_context(self.outcomes.clone());
        // The request's parts are cloned out of the context once, for both.
        let Some(parts) = use_context::<http::request::Parts>() else {
            return;
        };
        sessions::provide_control(&parts);
        if let Some(nonce) = parts.extensions.get::<protect::CspNonce>() {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0.clone()));
        }
    }
}
