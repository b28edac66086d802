//! Working out who each request is from, once, before any handler runs: a bearer token
//! wins over the session cookie; a bad token is refused outright rather than treated as
//! anonymous, so a script with a revoked token fails loudly.
//!
//! The answer is a `RequestCaller` in the request's extensions. Handlers take it as an
//! extractor argument and server functions read it through `leptos_axum::extract`: it is
//! the one type that says who is asking. It is declared in the app (whose server functions
//! must name it, and which cannot depend on this crate) and re-exported here; the lookup
//! stays in a middleware rather than in the extractor, so that a bad token is refused
//! before any handler runs, whether or not it asks who is calling.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use swipeset_app::api::ssr::ClientIp;
pub use swipeset_app::api::ssr::RequestCaller;
use swipeset_app::api::{ApiError, ErrorCode};
use swipeset_core::accounts::Caller;
use swipeset_core::accounts::tokens::{self, Refusal};

use super::sessions::{AuthMethod, caller_from_session};
use crate::handlers::api_error;
use crate::state::AppState;

pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&request, state.auth.trust_proxy);
    request.extensions_mut().insert(ClientIp(ip));
    if is_static(request.uri().path()) {
        return next.run(request).await;
    }
    let resolved = match request.headers().get(AUTHORIZATION) {
        Some(header) => from_token(&state, header.to_str().unwrap_or_default())
            .await
            .map(|caller| (caller, AuthMethod::Token)),
        None => match request.extensions().get::<tower_sessions::Session>() {
            Some(session) => {
                caller_from_session(&state.db, session, state.auth.membership.as_ref())
                    .await
                    .map(|caller| (caller, AuthMethod::Session))
            }
            None => Ok((Caller::Anonymous, AuthMethod::Session)),
        },
    };
    match resolved {
        Ok((caller, method)) => {
            request.extensions_mut().insert(RequestCaller(caller));
            request.extensions_mut().insert(method);
            next.run(request).await
        }
        Err(error) => api_error(error).into_response(),
    }
}

/// What a request signed in with, kept by a long-lived response (an event stream) to ask
/// later who it is serving: the caller may have signed out, been disabled, or had the
/// token revoked since the request began.
#[derive(Debug, Clone)]
pub enum Credentials {
    Token(String),
    Session(tower_sessions::session::Id),
    Nothing,
}

impl Credentials {
    /// The credentials `request` carries, as the middleware above read them.
    pub fn of(headers: &axum::http::HeaderMap, session: Option<&tower_sessions::Session>) -> Self {
        match headers.get(AUTHORIZATION) {
            Some(header) => Self::Token(header.to_str().unwrap_or_default().to_owned()),
            None => session
                .and_then(tower_sessions::Session::id)
                .map_or(Self::Nothing, Self::Session),
        }
    }

    /// Who these credentials stand for now. A revoked token is an error, as on a request.
    pub async fn caller_now(&self, state: &AppState) -> Result<Caller, ApiError> {
        match self {
            Self::Token(header) => from_token(state, header).await,
            Self::Session(id) => {
                let membership = state.auth.membership.as_ref();
                super::sessions::caller_from_stored_session(
                    &state.db,
                    &state.sessions,
                    id,
                    membership,
                )
                .await
            }
            Self::Nothing => Ok(Caller::Anonymous),
        }
    }
}

async fn from_token(state: &AppState, header: &str) -> Result<Caller, ApiError> {
    let Some(token) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
    else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "the Authorization header must be `Bearer <API token>`",
        ));
    };
    match tokens::authenticate(&state.db, token.trim()).await? {
        // A provider account whose membership is no longer vouched for: see
        // `swipeset_core::accounts::membership`.
        Ok(user) => match state.auth.membership.as_ref() {
            Some(rule) if rule.lapsed(&user, chrono::Utc::now()) => Err(rule.refusal().into()),
            _ => Ok(Caller::from_user(&user)),
        },
        Err(Refusal::Revoked) => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "this API token was revoked; make a new one on your profile page",
        )),
        Err(Refusal::Unknown) => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "this API token is not known here",
        )),
    }
}

/// The bundle, icons and the manifest need nobody's identity: they skip the lookups.
fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/")
        || (!path.starts_with("/api/")
            && path
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains('.')))
}

/// The peer's address, or behind a trusted proxy the last address it appended to
/// `X-Forwarded-For` (earlier entries are whatever the client claimed).
fn client_ip(request: &Request, trust_proxy: bool) -> Option<String> {
    if trust_proxy
        && let Some(forwarded) = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(last) = forwarded.rsplit(',').map(str::trim).find(|s| !s.is_empty())
    {
        return Some(last.to_string());
    }
    request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_files_skip_the_lookup_and_the_api_never_does() {
        assert!(is_static("/pkg/swipeset_bg.wasm"));
        assert!(is_static("/favicon.svg"));
        assert!(!is_static("/api/next_cards"));
        assert!(!is_static("/api/campaigns/a.b/export"));
        assert!(!is_static("/leaderboard"));
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let request = Request::builder()
            .header("x-forwarded-for", "6.6.6.6, 10.0.0.7")
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(client_ip(&request, true).as_deref(), Some("10.0.0.7"));
        assert_eq!(client_ip(&request, false), None);
    }
}
