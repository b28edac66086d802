//! "This campaign's aggregates changed": the one event the live leaderboard needs. It goes
//! through a small bus interface so that the in-process bus used today can be swapped for
//! one fed by PostgreSQL's `LISTEN/NOTIFY`, where a rating on one replica must reach
//! dashboards connected to another.

use tokio::sync::broadcast;

/// How many events a slow listener may fall behind before it is told it lagged (it then
/// simply reloads the board).
const BACKLOG: usize = 1_024;

pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Says that `campaign_id`'s aggregates changed (a rating or an undo committed).
    fn publish(&self, campaign_id: i32);
    /// Every campaign id published from now on.
    fn subscribe(&self) -> broadcast::Receiver<i32>;
}

/// The bus within one process: enough for SQLite, which has one server.
#[derive(Debug)]
pub struct InProcessBus {
    sender: broadcast::Sender<i32>,
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
        let _ = self.sender.send(campaign_id);
    }

    fn subscribe(&self) -> broadcast::Receiver<i32> {
        self.sender.subscribe()
    }
}

/// The bus shared by every replica on one PostgreSQL database: `publish` is a
/// `pg_notify`, and one listening connection per process feeds the local subscribers, so a
/// rating on one replica reaches the dashboards connected to any other.
#[derive(Debug)]
pub struct PostgresBus {
    pool: sqlx::PgPool,
    local: broadcast::Sender<i32>,
}

/// The notification channel; the payload is the campaign id.
const CHANNEL: &str = "swipeset_campaign_changed";

impl PostgresBus {
    /// Starts listening on `pool`'s database. Needs a Tokio runtime.
    pub async fn start(pool: sqlx::PgPool) -> Result<std::sync::Arc<Self>, sqlx::Error> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        let local = broadcast::channel(BACKLOG).0;
        let feed = local.clone();
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => {
                        if let Ok(campaign_id) = notification.payload().parse() {
                            let _ = feed.send(campaign_id);
                        }
                    }
                    Err(error) => {
                        // The listener reconnects by itself on its next call.
                        tracing::warn!(%error, "listening for leaderboard changes");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(std::sync::Arc::new(Self { pool, local }))
    }
}

impl EventBus for PostgresBus {
    fn publish(&self, campaign_id: i32) {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(campaign_id.to_string())
                .execute(&pool)
                .await;
            if let Err(error) = sent {
                tracing::warn!(%error, campaign_id, "announcing a leaderboard change");
            }
        });
    }

    fn subscribe(&self) -> broadcast::Receiver<i32> {
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
        assert_eq!(listener.recv().await.unwrap(), 2);
        assert_eq!(listener.recv().await.unwrap(), 3);
    }
}
