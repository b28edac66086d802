//! The live leaderboard: `GET /api/campaigns/{slug}/events`, a server-sent-events stream of
//! the board's snapshots.
//!
//! One feed task per campaign with someone watching: it listens on the store's event bus,
//! coalesces bursts to at most one snapshot per `MIN_INTERVAL`, computes the board once,
//! and hands the JSON to every connected client through a `watch` channel. A client costs
//! a channel receiver and its connection, not a database query per rating. Every (re)connection
//! starts with the current snapshot, so a client that lost its connection is whole again
//! with its first event.

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
use swipeset_core::{CoreError, CoreResult, Store};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use tokio_stream::wrappers::WatchStream;

use crate::auth::caller::RequestCaller;
use crate::state::AppState;

/// At most ten snapshots a second per campaign, however fast ratings come.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// A comment line this often keeps proxies from closing a quiet stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often an idle feed checks whether anyone still watches.
const IDLE_CHECK: Duration = Duration::from_secs(30);

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
    fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
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
    mut changes: broadcast::Receiver<i32>,
) {
    let mut last_sent = Instant::now();
    loop {
        let changed = tokio::select! {
            heard = changes.recv() => match heard {
                Ok(id) => id == campaign.id,
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
/// Like the leaderboard, it is open to anyone when the campaign's board is public.
pub async fn campaign_events(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(slug): Path<String>,
) -> Response {
    let campaign = match swipeset_core::campaign::resolve(state.store.db(), Some(&slug)).await {
        Ok(Some(campaign)) => campaign,
        Ok(None) => return error(CoreError::not_found("campaign", &slug)),
        Err(e) => return error(e),
    };
    if let Err(e) = caller.require_board_viewer(&campaign) {
        return error(e);
    }
    let snapshots = match state.live.watch(campaign).await {
        Ok(receiver) => receiver,
        Err(e) => return error(e),
    };
    let events = WatchStream::new(snapshots)
        .map(|json| Ok::<_, Infallible>(Event::default().event("leaderboard").data(&*json)))
        .take_until(state.live.closed());
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

fn error(e: CoreError) -> Response {
    crate::handlers::api_error(e.into())
}
