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
