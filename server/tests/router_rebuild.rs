//! Building another router while one serves must not stall the pages it is serving.
//!
//! Working out Leptos's route list switches resource loading off process-wide for as long
//! as it runs (leptos-rs/leptos#4773); a page whose resource started in that window never
//! finished, and a CI run hung on it for 90 minutes. The router now works the list out
//! once per process. This test keeps building routers on another thread while pages
//! render, and gives every page a deadline.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Backend, TestServer};
use reqwest::StatusCode;
use swipeset_server::{AppState, router};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_finish_while_other_routers_are_built() {
    let test_db = Backend::Sqlite.fresh().await;
    swipeset_core::campaign::demo::load(&test_db.db)
        .await
        .expect("demo");
    let server = TestServer::start(test_db.db.clone()).await;

    let stop = Arc::new(AtomicBool::new(false));
    let builder = {
        let stop = stop.clone();
        let state = AppState::new(test_db.db.clone(), std::path::Path::new("target/site"));
        std::thread::spawn(move || {
            let mut built = 0u32;
            while !stop.load(Ordering::Relaxed) {
                drop(router(state.clone()));
                built += 1;
            }
            built
        })
    };

    for attempt in 0..40 {
        let page = tokio::time::timeout(Duration::from_secs(10), async {
            let res = server.other_browser().get(server.url("/")).send().await?;
            let status = res.status();
            res.text().await.map(|body| (status, body))
        })
        .await;
        let (status, body) = match page {
            Ok(reply) => reply.expect("GET /"),
            Err(_) => {
                stop.store(true, Ordering::Relaxed);
                panic!("GET / number {attempt} did not finish within 10 s");
            }
        };
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("Write a haiku"), "attempt {attempt}: {body}");
    }

    stop.store(true, Ordering::Relaxed);
    let built = builder.join().expect("router builder thread");
    assert!(built > 0, "no router was built while the pages rendered");
}
