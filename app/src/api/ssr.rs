//! What the server functions need from the server.
//!
//! The server functions run inside the server but are declared in this crate, which the
//! server depends on (never the other way round). So the few things both sides must name
//! are declared here, and nothing more: who is asking (`RequestCaller`, worked out by
//! `server/src/auth/caller.rs`), the port through which a server function starts or ends a
//! session (`SessionControl`, kept by `server/src/auth/sessions.rs`), the database and the
//! sign-in settings (context the server provides), and the two facts its middleware leaves
//! in the request (`ClientIp`, `BrowserIdentity`). How sessions are kept, how tokens are
//! checked and how a caller is found are the server's business and live there.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use leptos::prelude::use_context;
use swipeset_core::accounts::guests::GuestIds;
use swipeset_core::{DatabaseConnection, Store};

use super::ApiError;
use super::{MeReply, MeUser};
pub use swipeset_core::accounts::Caller;

/// Who is asking: the one type for it on the server side. The server's authentication
/// middleware (`server/src/auth/caller.rs`) works it out once per request, from a bearer
/// token or the session cookie, and leaves it in the request's extensions; HTTP handlers
/// take it as an extractor argument, server functions read it through
/// `leptos_axum::extract` (see [`caller`]), during a page's render as well as over HTTP.
///
/// It is declared here, not in the server, because the server functions must name it and
/// this crate cannot depend on the server; it wraps `Caller` because the orphan rule keeps
/// either crate from implementing axum's `FromRequestParts` for core's type. A request the
/// middleware did not see (a static file) is anonymous: nothing is granted by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for RequestCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestCaller>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Who is asking this server function. Outside a request (no request to read) that is
/// nobody, like a request the middleware did not see.
pub async fn caller() -> Caller {
    leptos_axum::extract::<RequestCaller>()
        .await
        .map(|RequestCaller(caller)| caller)
        .unwrap_or_default()
}

/// What a [`SessionControl`] call gives back.
pub type SessionFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + 'a>>;

/// Signing in and out on this browser. The server keeps sessions (their store, cookie and
/// stamps, in `server/src/auth/sessions.rs`) and provides an implementation of this port as
/// context for each server function, so that `sign_in`, `sign_up`, `sign_out` and
/// `change_password` change the session without knowing how it is kept.
pub trait SessionControl: Send + Sync {
    /// Signs `user` in on this browser, under a new session id (so a session id planted
    /// before sign-in is worth nothing after).
    fn begin<'a>(&'a self, user: &'a swipeset_core::db::entities::user::Model)
    -> SessionFuture<'a>;

    /// `user`'s credentials just changed, which ends every session they had: the one this
    /// request came with goes on under the new credentials. A request made with an API
    /// token has no session to keep, and gets none.
    fn keep<'a>(&'a self, user: &'a swipeset_core::db::entities::user::Model) -> SessionFuture<'a>;

    /// Ends this browser's session on the server and clears its cookie.
    fn end(&self) -> SessionFuture<'_>;
}

/// The server's [`SessionControl`] for this request, as context.
#[derive(Clone)]
pub struct Sessions(pub Arc<dyn SessionControl>);

/// The session of this request, to begin, keep or end.
pub fn sessions() -> Result<Arc<dyn SessionControl>, ApiError> {
    use_context::<Sessions>()
        .map(|Sessions(control)| control)
        .ok_or_else(|| ApiError::internal("the request carries no session"))
}

/// The random identity a browser carries in its `swipeset_annotator` cookie. The server's
/// identity middleware puts it in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserIdentity(pub String);

/// The database, provided as context by the server for every render and server function.
pub fn store() -> Result<Store, ApiError> {
    use_context::<Store>()
        .ok_or_else(|| ApiError::internal("the server did not provide a database connection"))
}

/// The identity of the browser making this request.
pub fn browser_identity() -> Result<BrowserIdentity, ApiError> {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<BrowserIdentity>().cloned())
        .ok_or_else(|| ApiError::internal("the request carries no browser identity"))
}

/// The key this browser's page keeps its decisions under (`NextCardReply::rater`): `u` and
/// the signed-in user's id, or `g` and the start of the guest cookie's hash (the one stored
/// as the guest's `browser_key`). A hash, not the cookie: the cookie is the guest's
/// credential, kept out of reach of scripts.
pub async fn rater_key() -> Option<String> {
    match caller().await {
        Caller::Anonymous => browser_identity().ok().map(|identity| {
            let key = swipeset_core::accounts::guests::browser_key(&identity.0);
            format!("g{}", &key[..16])
        }),
        other => other
            .require_signed_in()
            .ok()
            .map(|user| format!("u{}", user.id)),
    }
}

/// Who is rating: the signed-in user, or where the instance allows guests, the guest of
/// this browser (created on first use, within its address's limit on new guests).
/// Anonymous callers elsewhere are told to sign in.
pub async fn annotator_id(store: &Store) -> Result<i32, ApiError> {
    match caller().await {
        Caller::Anonymous if auth_settings().guests => {
            let identity = browser_identity()?;
            let guests = use_context::<Arc<GuestIds>>()
                .ok_or_else(|| ApiError::internal("the server did not provide the guest ids"))?;
            let address = client_ip();
            Ok(guests
                .id(store, &identity.0, address.as_deref(), chrono::Utc::now())
                .await?)
        }
        Caller::Anonymous => Err(sign_in_to_rate()),
        other => Ok(other.require_signed_in()?.id),
    }
}

/// Who is rating, if they are anyone yet: looking creates no guest.
pub async fn current_annotator_id(db: &DatabaseConnection) -> Result<Option<i32>, ApiError> {
    match caller().await {
        Caller::Anonymous if auth_settings().guests => {
            let identity = browser_identity()?;
            Ok(
                swipeset_core::accounts::guests::find_browser_annotator(db, &identity.0)
                    .await?
                    .map(|user| user.id),
            )
        }
        Caller::Anonymous => Err(sign_in_to_rate()),
        other => Ok(Some(other.require_signed_in()?.id)),
    }
}

fn sign_in_to_rate() -> ApiError {
    swipeset_core::CoreError::unauthorized("sign in to rate").into()
}

/// The address a request came from, as the server worked it out (the socket's peer, or
/// the proxy's `X-Forwarded-For` where the server is told to trust it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub Option<String>);

pub fn client_ip() -> Option<String> {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<ClientIp>().cloned())
        .and_then(|ip| ip.0)
}

/// The instance's sign-in settings, provided as context by the server.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// Anyone may make an account.
    pub open_registration: bool,
    /// People may rate without an account, as the guest of their browser.
    pub guests: bool,
    /// The label of the OpenID Connect button, when a provider is configured.
    pub oidc_label: Option<String>,
    pub throttle: swipeset_core::accounts::throttle::Limits,
    /// How long a provider sign-in vouches for an account, when sign-in is limited to
    /// organisations.
    pub membership: Option<swipeset_core::accounts::membership::MembershipRule>,
}

/// What the server found wrong with the instance at start-up (see `MeReply::notices`).
#[derive(Clone, Debug, Default)]
pub struct AdminNotices(pub std::sync::Arc<Vec<String>>);

pub fn auth_settings() -> AuthSettings {
    use_context::<AuthSettings>().unwrap_or_default()
}

/// `/api/me` for the current caller.
pub async fn me(db: &DatabaseConnection) -> Result<MeReply, ApiError> {
    let caller = caller().await;
    caller.require_not_disabled()?;
    match caller.account() {
        Some(account) => {
            let user = swipeset_core::accounts::users::find(db, account.id)
                .await?
                .ok_or_else(|| ApiError::internal("the account went away"))?;
            Ok(me_as(&user))
        }
        None => Ok(me_reply(None)),
    }
}

/// `/api/me` for a user just signed in (or up).
pub fn me_as(user: &swipeset_core::db::entities::user::Model) -> MeReply {
    let account = Caller::from_user(user);
    let mut reply = me_reply(account.account().map(|a| MeUser {
        name: a.name.clone(),
        role: a.role.name().to_string(),
        guest: a.guest,
        has_password: user.password_hash.is_some(),
        show_name: user.show_name,
    }));
    if account.require_admin().is_ok() {
        reply.notices = use_context::<AdminNotices>()
            .map(|n| n.0.to_vec())
            .unwrap_or_default();
    }
    reply
}

fn me_reply(user: Option<MeUser>) -> MeReply {
    let settings = auth_settings();
    MeReply {
        user,
        open_registration: settings.open_registration,
        oidc: settings.oidc_label,
        guests: settings.guests,
        notices: Vec::new(),
    }
}

/// How the server reaches the Hugging Face Hub, for the export page (context the server
/// provides; `server/src/hub.rs` builds it from the command line and the environment).
#[derive(Clone, Debug)]
pub struct HubAccess {
    pub endpoint: String,
    /// `HF_TOKEN` or the token file the server was given: used before a token saved on
    /// the page, and never stored.
    pub env_token: Option<String>,
    pub snapshot: Option<std::sync::Arc<SnapshotState>>,
    /// Set while a publish from the page runs: one at a time.
    pub publishing: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Default for HubAccess {
    fn default() -> Self {
        Self {
            endpoint: swipeset_core::hub::DEFAULT_ENDPOINT.to_string(),
            env_token: None,
            snapshot: None,
            publishing: Default::default(),
        }
    }
}

/// The scheduled snapshot (`serve --publish-every … --publish-repo …`) and its last run.
#[derive(Debug)]
pub struct SnapshotState {
    pub repo: swipeset_core::hub::RepoId,
    pub every: std::time::Duration,
    pub last: std::sync::Mutex<Option<SnapshotRun>>,
}

#[derive(Debug, Clone)]
pub struct SnapshotRun {
    pub at: chrono::DateTime<chrono::Utc>,
    pub ok: bool,
    pub result: String,
}

pub fn hub_access() -> HubAccess {
    use_context::<HubAccess>().unwrap_or_default()
}

/// The model pages' head-to-head outcomes, kept per campaign (the server's state holds them).
pub fn outcomes() -> Result<swipeset_core::board::model_page::Outcomes, ApiError> {
    use_context::<swipeset_core::board::model_page::Outcomes>()
        .ok_or_else(|| ApiError::internal("the model pages' outcomes are not set up"))
}

/// The server's generation runs (context the server provides).
pub fn runner() -> Result<swipeset_core::generate::Runner, ApiError> {
    use_context::<swipeset_core::generate::Runner>()
        .ok_or_else(|| ApiError::internal("the server did not provide its generation runner"))
}
