//! Crash durability, against the real binary: many raters rate through the HTTP API while
//! the server is killed with SIGKILL at a random moment; after a restart on the same
//! database, every rating the server acknowledged is stored exactly once with its label, no
//! response holds more ratings than its campaign's overlap, and `swipeset stats rebuild
//! --check` finds the counters equal to a recount. Several trials, each on a fresh database
//! (SQLite, and PostgreSQL when the test script provides one).
//!
//! This is the short form `make test` runs: a few hundred ratings per trial.
//! `SWIPESET_CRASH_TRIALS=N` runs more.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::binary::{Acknowledged, assert_counters_match, free_port, load, raters, start};
use common::{Backend, backends};
use sea_orm::EntityTrait;
use swipeset_core::db::entities::{campaign, rating};

const RATERS: usize = 12;
const BIN: &str = env!("CARGO_BIN_EXE_swipeset");

async fn trial(backend: &Backend, seed: u64) {
    let test_db = backend.fresh().await;
    let db = &test_db.db;
    swipeset_core::campaign::demo::load(db).await.expect("demo");
    let raters = raters(db, RATERS).await;
    let port = free_port();
    let mut server = start(BIN, &test_db.url, port).await;
    let acked: Acknowledged = Arc::default();
    let load = load(&format!("http://127.0.0.1:{port}"), &raters, &acked);
    // Mid-load, at a different point each trial: after 20 to 250 acknowledged ratings
    // of the demo's 324 slots.
    let target = 20 + (seed.wrapping_mul(2_654_435_761) % 231) as usize;
    let started = std::time::Instant::now();
    while swipeset_core::sync::lock(&acked).len() < target
        && started.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let delay = started.elapsed().as_millis();
    server.start_kill().expect("SIGKILL");
    server.wait().await.expect("the server is gone");
    for rater in load {
        rater.await.expect("rater task");
    }
    let acked = swipeset_core::sync::lock(&acked).clone();
    assert!(
        acked.len() >= target && acked.len() < 324,
        "{backend:?}, trial {seed}: the kill was not mid-load: {} acknowledged",
        acked.len()
    );

    // Restart on the same database: it must come up, and hold every acknowledged rating.
    let mut server = start(BIN, &test_db.url, port).await;
    server.start_kill().ok();
    server.wait().await.ok();

    let stored = rating::Entity::find().all(db).await.expect("ratings");
    let mut by_key: HashMap<(i32, i32), Vec<bool>> = HashMap::new();
    for r in &stored {
        by_key
            .entry((r.user_id, r.generation_id))
            .or_default()
            .push(r.label);
    }
    for (key, label) in &acked {
        assert_eq!(
            by_key.get(key),
            Some(&vec![*label]),
            "{backend:?}, trial {seed}: acknowledged rating {key:?} not stored exactly once"
        );
    }
    let overlap = campaign::Entity::find()
        .one(db)
        .await
        .expect("campaign")
        .expect("the demo")
        .overlap as usize;
    let mut per_response: HashMap<i32, usize> = HashMap::new();
    for r in &stored {
        *per_response.entry(r.generation_id).or_default() += 1;
    }
    assert!(
        per_response.values().all(|&n| n <= overlap),
        "{backend:?}, trial {seed}: a response over its overlap of {overlap}"
    );

    assert_counters_match(BIN, &test_db.url, &format!("{backend:?}, trial {seed}")).await;
    eprintln!(
        "{backend:?}, trial {seed}: killed after {delay} ms at {target}+ acknowledged: {} acknowledged, {} stored",
        acked.len(),
        stored.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_ratings_survive_a_kill_at_any_moment() {
    let trials: u64 = std::env::var("SWIPESET_CRASH_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    for backend in backends() {
        for seed in 0..trials {
            trial(&backend, seed).await;
        }
    }
}
