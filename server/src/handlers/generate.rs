//! `GET /api/campaigns/{slug}/generate/events`: the campaign's generation progress as
//! server-sent `generate` events (`GenerateProgress` as JSON), for the campaign page's
//! Generate section. The first event at once; then one after each change of a run on this
//! server (at most four a second), and one every few seconds regardless, so a run on
//! another replica shows too. Admins only, re-checked while the stream is open; it counts
//! against the same stream limits as the live leaderboard.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use swipeset_app::api::ssr::ClientIp;
use swipeset_core::CoreError;

use super::api_error;
use crate::AppState;
use crate::auth::caller::{Credentials, RequestCaller};
use crate::live::KEEP_ALIVE;

/// Changes closer together than this go out as one event.
const COALESCE: Duration = Duration::from_millis(250);
/// An event at least this often, for runs this server does not see change.
const REFRESH: Duration = Duration::from_secs(5);

pub async fn events(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(slug): Path<String>,
    headers: HeaderMap,
    client: Option<Extension<ClientIp>>,
    session: Option<Extension<tower_sessions::Session>>,
) -> Response {
    if let Err(e) = caller.require_admin() {
        return api_error(e.into());
    }
    let campaign = match swipeset_core::campaign::resolve(state.store.db(), Some(&slug)).await {
        Ok(Some(campaign)) => campaign,
        Ok(None) => return api_error(CoreError::not_found("campaign", &slug).into()),
        Err(e) => return api_error(e.into()),
    };
    let address = client.and_then(|Extension(ClientIp(ip))| ip);
    let slot = match state.streams.take(address.as_deref()) {
        Ok(slot) => slot,
        Err(e) => return api_error(e),
    };
    let runner = state.generators.clone();
    let changes = runner.subscribe(campaign.id);
    let id = campaign.id;
    let events = futures::stream::unfold(
        (runner, changes, true),
        move |(runner, mut changes, first)| async move {
            if !first {
                tokio::select! {
                    changed = changes.changed() => {
                        changed.ok()?;
                        tokio::time::sleep(COALESCE).await;
                    }
                    () = tokio::time::sleep(REFRESH) => {}
                }
                changes.borrow_and_update();
            }
            let progress = runner.progress(id).await.ok()?;
            let json = serde_json::to_string(&progress).ok()?;
            Some((json, (runner, changes, false)))
        },
    )
    .map(move |json| {
        // The stream holds its slot until it ends.
        let _held = &slot;
        Ok::<_, Infallible>(Event::default().event("generate").data(json))
    });
    let closed = state.live.closed();
    let credentials = Credentials::of(&headers, session.as_ref().map(|Extension(s)| s));
    let recheck = state.streams.recheck;
    let no_longer_admin = async move {
        let mut tick = tokio::time::interval(recheck);
        tick.tick().await;
        loop {
            tick.tick().await;
            match credentials.caller_now(&state).await {
                Ok(caller) if caller.require_admin().is_ok() => {}
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e.message, "could not re-check a generation stream's access")
                }
            }
        }
    };
    let events = events.take_until(async move {
        tokio::select! {
            () = closed => {}
            () = no_longer_admin => {}
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}
