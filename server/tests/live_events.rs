//! The live leaderboard's event stream over HTTP: a snapshot at once, a new one after each
//! rating, bursts coalesced, unknown campaigns refused, and streams ended at shutdown.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Reads server-sent events from a streaming response.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(server: &TestServer, slug: &str) -> Self {
        let response = reqwest::Client::new()
            .get(server.url(&format!("/api/campaigns/{slug}/events")))
            .send()
            .await
            .expect("connect");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next `leaderboard` event's JSON, or `None` if the stream ended or nothing came
    /// within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let data: String = frame
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                if frame.contains("event: leaderboard") || frame.contains("event:leaderboard") {
                    return Some(serde_json::from_str(&data).expect("JSON snapshot"));
                }
                continue; // a keep-alive comment
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) | Ok(Err(_)) | Err(_) => return None,
            }
        }
    }
}

async fn rate_one(server: &TestServer, client: &reqwest::Client) {
    let dealt = server
        .post_json(
            client,
            "/api/next_cards",
            json!({"count": 1, "holding": []}),
        )
        .await;
    let id = dealt.1["cards"][0]["response_id"].as_i64().expect("a card");
    let rated = server
        .post_json(
            client,
            "/api/rate",
            json!({"response_id": id, "label": "up"}),
        )
        .await;
    assert_eq!(rated.1["status"], "recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_follows_ratings_and_ends_at_shutdown() {
    let test_db = Backend::Sqlite.fresh().await;
    swipeset_core::campaign::demo::load(&test_db.db)
        .await
        .expect("demo");
    let server = TestServer::start(test_db.db.clone()).await;

    let mut events = Events::open(&server, "haiku-demo").await;
    let first = events
        .next(Duration::from_secs(5))
        .await
        .expect("a snapshot at once");
    assert_eq!(first["progress"]["ratings"], 0);
    assert_eq!(first["models"].as_array().map(Vec::len), Some(3));

    // One rating: one new snapshot, well within a second.
    rate_one(&server, &server.client).await;
    let rated = Instant::now();
    let next = events
        .next(Duration::from_secs(1))
        .await
        .expect("an update");
    assert_eq!(next["progress"]["ratings"], 1);
    assert!(rated.elapsed() < Duration::from_secs(1));

    // A burst of ratings is coalesced: at most about ten snapshots a second, and the last
    // one counts them all.
    let burst = Instant::now();
    for _ in 0..40 {
        rate_one(&server, &server.client).await;
    }
    let spent = burst.elapsed();
    let mut received = 0;
    let mut latest = 0;
    while let Some(snapshot) = events.next(Duration::from_millis(500)).await {
        received += 1;
        latest = snapshot["progress"]["ratings"].as_i64().unwrap();
    }
    assert_eq!(latest, 41);
    let allowed = (spent.as_secs_f64() * 10.0).ceil() as i64 + 2;
    assert!(
        received as i64 <= allowed,
        "{received} snapshots for 40 ratings in {spent:?}"
    );
    assert!(received < 40, "not coalesced: {received} snapshots");

    // Shutdown ends the stream, so a graceful shutdown does not wait forever on it.
    server.live.close();
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while events.next(Duration::from_secs(10)).await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream outlived the shutdown");
}

#[tokio::test]
async fn unknown_campaigns_are_refused() {
    let test_db = Backend::Sqlite.fresh().await;
    let server = TestServer::start(test_db.db.clone()).await;
    let reply = reqwest::get(server.url("/api/campaigns/nope/events"))
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::NOT_FOUND);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["message"], "campaign nope does not exist");
}
