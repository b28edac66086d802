//! The HTTP API's table of contents: one line per route.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get, post};
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, generate_route_list, handle_server_fns_with_context,
};
use swipeset_app::{App, shell};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::trace::TraceLayer;

use crate::auth::{caller, oidc, protect, sessions};
use crate::handlers::{board, export, generate, health, import};
use crate::identity;
use crate::limits;
use crate::live;
use crate::state::AppState;

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
        (
            "GET",
            "/api/campaigns/{slug}/leaderboard",
            get(board::leaderboard),
        ),
        (
            "GET",
            "/api/campaigns/{slug}/models/{name}",
            get(board::model),
        ),
        (
            "GET",
            "/api/campaigns/{slug}/generate/events",
            get(generate::events),
        ),
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
    // Inside the identity cookie and the caller: the limits are per rater.
    app = app.layer(middleware::from_fn_with_state(
        state.rating_limits.clone(),
        limits::limit_raters,
    ));
    // Only where guests may rate does a browser get an identity cookie before signing in.
    if guests {
        app = app.layer(middleware::from_fn_with_state(
            state.auth.cookie,
            identity::ensure_browser_identity,
        ));
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
    .layer(protect::strict_transport_security(state.auth.is_https()))
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
