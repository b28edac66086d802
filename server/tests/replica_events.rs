//! Several replicas on one PostgreSQL database: a rating on one reaches the leaderboard
//! feeds of another, through `LISTEN/NOTIFY`.

mod common;

use std::time::Duration;

use common::{Backend, backends};
use swipeset_core::Label;
use swipeset_core::accounts::guests;
use swipeset_core::rating::deal;
use swipeset_core::rating::rate::{self, NewRating};
use swipeset_server::AppState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rating_on_one_replica_reaches_another() {
    for backend in backends() {
        if !matches!(backend, Backend::Postgres(_)) {
            continue; // SQLite runs one server: its bus is in process
        }
        let test_db = backend.fresh().await;
        swipeset_core::campaign::demo::load(&test_db.db)
            .await
            .expect("demo");
        let site = std::path::Path::new("target/site");
        // Two replicas: each its own pool and its own listener, like two processes.
        let other_pool = swipeset_core::db::connect(&test_db.url)
            .await
            .expect("second pool");
        let rating_replica = AppState::new(test_db.db.clone(), site)
            .with_database_events()
            .await
            .expect("replica 1");
        let watching_replica = AppState::new(other_pool, site)
            .with_database_events()
            .await
            .expect("replica 2");
        let mut news = watching_replica.store.events().subscribe();

        let db = rating_replica.store.db();
        let campaign = swipeset_core::campaign::resolve(db, None)
            .await
            .unwrap()
            .unwrap();
        let user = guests::browser_annotator(db, "replica").await.unwrap();
        let card = deal::deal(
            &rating_replica.store,
            &campaign,
            user.id,
            1,
            &[],
            chrono::Utc::now(),
        )
        .await
        .unwrap()
        .remove(0);
        rate::rate(
            &rating_replica.store,
            user.id,
            NewRating::new(card.response_id, Label::Up),
        )
        .await
        .unwrap();

        let heard = tokio::time::timeout(Duration::from_secs(5), news.recv()).await;
        assert_eq!(
            heard.ok().and_then(Result::ok),
            Some(swipeset_core::db::events::Change::Campaign(campaign.id))
        );
    }
}
