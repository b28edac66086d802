//! "This campaign's aggregates changed": the one event the live leaderboard needs. It goes
//! through a small bus interface so that the in-process bus used today can be swapped for
//! one fed by PostgreSQL's `LISTEN/NOTIFY`, where a rating on one replica must reach
//! dashboards connected to another.

use tokio::sync::broadcast;

/// How many events a slow listener may fall behind before it is told it lagged (it then
/// simply reloads the board).
const BACKLOG: usize = 1_024;

/// What a subscriber hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// This campaign's aggregates changed.
    Campaign(i32),
    /// Announcements may have been missed (the connection to the database was lost and is
    /// back): any campaign may have changed, so whoever shows one reads it again.
    Any,
}

impl Change {
    /// Whether whoever shows `campaign_id` should read it again.
    pub fn concerns(self, campaign_id: i32) -> bool {
        match self {
            Change::Campaign(id) => id == campaign_id,
            Change::Any => true,
        }
    }
}

pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Says that `campaign_id`'s aggregates changed (a rating or an undo committed).
    fn publish(&self, campaign_id: i32);
    /// Every change announced from now on.
    fn subscribe(&self) -> broadcast::Receiver<Change>;
}

/// The bus within one process: enough for SQLite, which has one server.
#[derive(Debug)]
pub struct InProcessBus {
    sender: broadcast::Sender<Change>,
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl EventBus for InProcessBus {
    fn publish(&self, campaign_id: i32) {
        // Nobody listening is fine: there is no dashboard open.
        let _ = self.sender.send(Change::Campaign(campaign_id));
    }

    fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }
}

/// The bus shared by every replica on one PostgreSQL database: `publish` is a
/// `pg_notify`, and one listening connection per process feeds the local subscribers, so a
/// rating on one replica reaches the dashboards connected to any other.
///
/// Notifications sent while the listening connection is down (PostgreSQL restarting, a
/// network cut) are lost, so once it listens again the bus announces [`Change::Any`]:
/// every live board reads itself again instead of showing what it had before the cut.
///
/// Announcements leave through one task that sends one `pg_notify` per campaign for
/// whatever piled up while the previous one was on its way: a feed only needs to know that
/// something changed, and a `pg_notify` per rating took a pooled connection and a round
/// trip each, a thousand a second at the benchmark's load.
#[derive(Debug)]
pub struct PostgresBus {
    outbox: tokio::sync::mpsc::UnboundedSender<i32>,
    local: broadcast::Sender<Change>,
}

/// The notification channel; the payload is the campaign id.
const CHANNEL: &str = "swipeset_campaign_changed";

/// How long the bus waits between attempts to listen again, at first and at most.
const RETRY_FIRST: std::time::Duration = std::time::Duration::from_millis(100);
const RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(5);

impl PostgresBus {
    /// Starts listening on `pool`'s database. Needs a Tokio runtime.
    pub async fn start(pool: sqlx::PgPool) -> Result<std::sync::Arc<Self>, sqlx::Error> {
        let listener = listen(&pool).await?;
        let local = broadcast::channel(BACKLOG).0;
        tokio::spawn(feed(pool.clone(), listener, local.clone()));
        let (outbox, announcements) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(announce(pool, announcements));
        Ok(std::sync::Arc::new(Self { outbox, local }))
    }
}

/// Sends each campaign id that comes in as a notification, one per campaign for all that
/// came in while the last batch was being sent.
async fn announce(
    pool: sqlx::PgPool,
    mut announcements: tokio::sync::mpsc::UnboundedReceiver<i32>,
) {
    while let Some(first) = announcements.recv().await {
        let mut campaigns = std::collections::BTreeSet::from([first]);
        while let Ok(more) = announcements.try_recv() {
            campaigns.insert(more);
        }
        for campaign_id in campaigns {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(campaign_id.to_string())
                .execute(&pool)
                .await;
            if let Err(error) = sent {
                tracing::warn!(%error, campaign_id, "announcing a leaderboard change");
            }
        }
    }
}

async fn listen(pool: &sqlx::PgPool) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    // A lost connection is made again by `feed`, which then says so.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Hands every notification to the local subscribers; when the connection drops, listens
/// again on a new one (retrying with a growing pause) and then announces [`Change::Any`].
async fn feed(
    pool: sqlx::PgPool,
    mut listener: sqlx::postgres::PgListener,
    local: broadcast::Sender<Change>,
) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                if let Ok(campaign_id) = notification.payload().parse() {
                    let _ = local.send(Change::Campaign(campaign_id));
                }
                continue;
            }
            Ok(None) => tracing::warn!("lost the connection that listens for leaderboard changes"),
            Err(error) => tracing::warn!(%error, "listening for leaderboard changes"),
        }
        let mut pause = RETRY_FIRST;
        listener = loop {
            tokio::time::sleep(pause).await;
            match listen(&pool).await {
                Ok(listener) => break listener,
                Err(error) => {
                    tracing::debug!(%error, "listening again for leaderboard changes");
                    pause = (pause * 2).min(RETRY_MAX);
                }
            }
        };
        tracing::info!("listening for leaderboard changes again");
        let _ = local.send(Change::Any);
    }
}

impl EventBus for PostgresBus {
    fn publish(&self, campaign_id: i32) {
        // Gone only with the runtime.
        let _ = self.outbox.send(campaign_id);
    }

    fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.local.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn listeners_hear_what_is_published_after_they_subscribe() {
        let bus = InProcessBus::default();
        bus.publish(1); // before anyone listens: dropped, no error
        let mut listener = bus.subscribe();
        bus.publish(2);
        bus.publish(3);
        assert_eq!(listener.recv().await.unwrap(), Change::Campaign(2));
        assert_eq!(listener.recv().await.unwrap(), Change::Campaign(3));
        assert!(Change::Campaign(2).concerns(2) && !Change::Campaign(2).concerns(3));
        assert!(Change::Any.concerns(7));
    }
}
