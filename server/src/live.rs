//! The live leaderboard: `GET /api/campaigns/{slug}/events`, a server-sent-events stream of
//! the board's snapshots.
//!
//! One feed task per campaign with someone watching: it listens on the store's event bus,
//! coalesces bursts to at most one snapshot per `MIN_INTERVAL`, computes the board once,
//! and hands the JSON to every connected client through a `watch` channel. A client costs
//! a channel receiver and its connection, not a database query per rating. Every (re)connection
//! starts with the current snapshot, so a client that lost its connection is whole again
//! with its first event.
//!
//! A stream outlives the request that opened it, so it asks again, every few seconds,
//! whether its caller may still watch (`StreamLimits::recheck`): it ends once the board is
//! made private to a caller who is not signed in, the user is disabled or signs out, or the
//! token is revoked. Open streams are capped per client address and in total: each holds a
//! connection and a task.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use swipeset_core::board::leaderboard;
use swipeset_core::db::entities::campaign;
use swipeset_core::db::events::Change;
use swipeset_core::{CoreError, CoreResult, Store};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use tokio_stream::wrappers::WatchStream;

use axum::Extension;
use axum::http::HeaderMap;
use sea_orm::EntityTrait;
use swipeset_app::api::ssr::ClientIp;
use swipeset_app::api::{ApiError, ErrorCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::caller::{Credentials, RequestCaller};
use crate::state::AppState;

/// At most ten snapshots a second per campaign, however fast ratings come.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// A comment line this often keeps proxies from closing a quiet stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often an idle feed checks whether anyone still watches.
const IDLE_CHECK: Duration = Duration::from_secs(30);
/// Open event streams at most, unless the settings say otherwise.
pub const DEFAULT_MAX_STREAMS: usize = 2_000;
/// Open event streams per client address at most, unless the settings say otherwise: a
/// room of people behind one NAT watching the board, not a script's thousand.
pub const DEFAULT_MAX_STREAMS_PER_CLIENT: usize = 64;
/// How often a stream asks whether its caller may still watch.
pub const ACCESS_RECHECK: Duration = Duration::from_secs(5);

/// The caps on open event streams and how often each re-checks its access.
#[derive(Debug)]
pub struct StreamLimits {
    total: Arc<Semaphore>,
    per_client: usize,
    open: Mutex<HashMap<String, usize>>,
    pub recheck: Duration,
}

impl StreamLimits {
    pub fn new(total: usize, per_client: usize) -> Self {
        Self {
            total: Arc::new(Semaphore::new(total)),
            per_client,
            open: Mutex::default(),
            recheck: ACCESS_RECHECK,
        }
    }

    /// A slot for one more stream from `client`: 429 when that address has its share open,
    /// 503 when the server has all it takes.
    pub(crate) fn take(self: &Arc<Self>, client: Option<&str>) -> Result<StreamSlot, ApiError> {
        let client = client.map(str::to_owned);
        if let Some(address) = &client {
            let mut open = swipeset_core::sync::lock(&self.open);
            let count = open.entry(address.clone()).or_default();
            if *count >= self.per_client {
                return Err(ApiError::new(
                    ErrorCode::TooManyRequests,
                    format!(
                        "this address already has {} live leaderboards open; close one",
                        self.per_client
                    ),
                ));
            }
            *count += 1;
        }
        // Built before the total is asked for, so a refusal below gives the address's
        // count back through `Drop`.
        let mut slot = StreamSlot {
            _total: None,
            client,
            limits: Arc::clone(self),
        };
        slot._total = Some(Arc::clone(&self.total).try_acquire_owned().map_err(|_| {
            ApiError::new(
                ErrorCode::Unavailable,
                "the server has as many live leaderboards open as it takes; try again later",
            )
        })?);
        Ok(slot)
    }

    /// Streams open from `client` now.
    pub fn open_from(&self, client: &str) -> usize {
        swipeset_core::sync::lock(&self.open)
            .get(client)
            .copied()
            .unwrap_or(0)
    }
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_CLIENT)
    }
}

/// One open stream's place under the caps, given back when the stream ends.
#[derive(Debug)]
pub(crate) struct StreamSlot {
    _total: Option<OwnedSemaphorePermit>,
    client: Option<String>,
    limits: Arc<StreamLimits>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let Some(client) = &self.client else { return };
        let mut open = swipeset_core::sync::lock(&self.limits.open);
        if let Some(count) = open.get_mut(client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(client);
            }
        }
    }
}

type FeedMap = HashMap<i32, watch::Sender<Arc<str>>>;
type Feeds = Mutex<FeedMap>;

/// The feeds of the campaigns being watched. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Live {
    store: Store,
    feeds: Arc<Feeds>,
    /// True once the server is shutting down: every event stream ends.
    closing: Arc<watch::Sender<bool>>,
}

impl Live {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            feeds: Arc::default(),
            closing: Arc::new(watch::channel(false).0),
        }
    }

    /// Ends every event stream (the server is shutting down); browsers reconnect to the
    /// next server by themselves.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves when `close` has been called.
    pub(crate) fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            let _ = closing.wait_for(|closing| *closing).await;
        }
    }

    /// A receiver of `campaign`'s snapshots, starting the feed if nobody watched it yet.
    async fn watch(&self, campaign: campaign::Model) -> CoreResult<watch::Receiver<Arc<str>>> {
        if let Some(feed) = self.lock().get(&campaign.id) {
            return Ok(feed.subscribe());
        }
        // Listen before taking the first snapshot, so no change falls in between.
        let changes = self.store.events().subscribe();
        let first = snapshot(&self.store, &campaign).await?;
        let mut feeds = self.lock();
        if let Some(feed) = feeds.get(&campaign.id) {
            // Someone else started it meanwhile.
            return Ok(feed.subscribe());
        }
        let (sender, receiver) = watch::channel(first);
        feeds.insert(campaign.id, sender.clone());
        tokio::spawn(run_feed(self.clone(), campaign, sender, changes));
        Ok(receiver)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FeedMap> {
        swipeset_core::sync::lock(&self.feeds)
    }
}

/// The board as the API sends it (`GET /api/leaderboard`), as JSON.
async fn snapshot(store: &Store, campaign: &campaign::Model) -> CoreResult<Arc<str>> {
    let board = leaderboard::leaderboard(
        store.db(),
        campaign,
        chrono::Utc::now(),
        leaderboard::DEFAULT_MIN_VOTES,
    )
    .await?;
    serde_json::to_string(&board)
        .map(Arc::from)
        .map_err(|e| CoreError::invalid("leaderboard", e.to_string()))
}

async fn run_feed(
    live: Live,
    campaign: campaign::Model,
    feed: watch::Sender<Arc<str>>,
    mut changes: broadcast::Receiver<Change>,
) {
    let mut last_sent = Instant::now();
    loop {
        let changed = tokio::select! {
            heard = changes.recv() => match heard {
                Ok(change) => change.concerns(campaign.id),
                // Fell behind: something surely changed.
                Err(broadcast::error::RecvError::Lagged(_)) => true,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            () = tokio::time::sleep(IDLE_CHECK) => false,
        };
        {
            let mut feeds = live.lock();
            if feed.receiver_count() == 0 {
                feeds.remove(&campaign.id);
                return;
            }
        }
        if !changed {
            continue;
        }
        // Coalesce: wait out the rest of the interval, then take in whatever else came.
        tokio::time::sleep_until(last_sent + MIN_INTERVAL).await;
        while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = changes.try_recv() {}
        // The interval runs from one snapshot's start to the next: counted from its end,
        // the time to compute it came on top, and under load snapshots went out every
        // 140 ms instead of 100, each rating waiting that much longer.
        last_sent = Instant::now();
        match snapshot(&live.store, &campaign).await {
            Ok(json) => {
                feed.send_replace(json);
                tracing::debug!(campaign = campaign.id, took = ?last_sent.elapsed(), "live snapshot");
            }
            Err(error) => {
                tracing::warn!(%error, campaign = campaign.id, "live leaderboard snapshot failed")
            }
        }
    }
    live.lock().remove(&campaign.id);
}

/// `GET /api/campaigns/{slug}/events`: `leaderboard` events, each the whole board as
/// `GET /api/leaderboard` returns it; the first one at once.
/// Like the leaderboard, it is open to anyone when the campaign's board is public, and it
/// ends when that stops being true for its caller.
pub async fn campaign_events(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(slug): Path<String>,
    headers: HeaderMap,
    client: Option<Extension<ClientIp>>,
    session: Option<Extension<tower_sessions::Session>>,
) -> Response {
    let campaign = match swipeset_core::campaign::resolve(state.store.db(), Some(&slug)).await {
        Ok(Some(campaign)) => campaign,
        Ok(None) => return error(CoreError::not_found("campaign", &slug)),
        Err(e) => return error(e),
    };
    if let Err(e) = caller.require_board_viewer(&campaign) {
        return error(e);
    }
    let address = client.and_then(|Extension(ClientIp(ip))| ip);
    let slot = match state.streams.take(address.as_deref()) {
        Ok(slot) => slot,
        Err(e) => return crate::handlers::api_error(e),
    };
    let credentials = Credentials::of(&headers, session.as_ref().map(|Extension(s)| s));
    let campaign_id = campaign.id;
    let snapshots = match state.live.watch(campaign).await {
        Ok(receiver) => receiver,
        Err(e) => return error(e),
    };
    let closed = state.live.closed();
    let access_ended = access_ends(state, credentials, campaign_id);
    let events = WatchStream::new(snapshots)
        .map(move |json| {
            // The stream holds its slot until it ends.
            let _held = &slot;
            Ok::<_, Infallible>(Event::default().event("leaderboard").data(&*json))
        })
        .take_until(async move {
            tokio::select! {
                () = closed => {}
                () = access_ended => {}
            }
        });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

/// Resolves once the caller behind `credentials` may no longer watch the campaign (or it
/// is gone). A database that does not answer ends nothing: the next check decides.
async fn access_ends(state: AppState, credentials: Credentials, campaign_id: i32) {
    let mut tick = tokio::time::interval(state.streams.recheck);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        match may_still_watch(&state, &credentials, campaign_id).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(error = %e.message, "could not re-check a live stream's access")
            }
        }
    }
}

async fn may_still_watch(
    state: &AppState,
    credentials: &Credentials,
    campaign_id: i32,
) -> Result<bool, ApiError> {
    let Some(campaign) = campaign::Entity::find_by_id(campaign_id)
        .one(&state.db)
        .await
        .map_err(CoreError::from)?
    else {
        return Ok(false);
    };
    let caller = match credentials.caller_now(state).await {
        Ok(caller) => caller,
        Err(e) if e.code == ErrorCode::Unauthorized => return Ok(false),
        Err(e) => return Err(e),
    };
    Ok(caller.require_board_viewer(&campaign).is_ok())
}

fn error(e: CoreError) -> Response {
    crate::handlers::api_error(e.into())
}
