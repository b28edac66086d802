//! The live leaderboard's event stream over HTTP: a snapshot at once, a new one after each
//! rating, bursts coalesced, unknown campaigns refused, streams ended at shutdown and when
//! their caller loses access, and the caps on open streams.

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
        Self::open_as(&reqwest::Client::new(), &server.url(""), slug)
            .await
            .expect("a stream")
    }

    /// The stream as `client` sees it at `base`, or the status it was refused with.
    async fn open_as(client: &reqwest::Client, base: &str, slug: &str) -> Result<Self, StatusCode> {
        let response = client
            .get(format!("{base}/api/campaigns/{slug}/events"))
            .send()
            .await
            .expect("connect");
        if response.status() != StatusCode::OK {
            return Err(response.status());
        }
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Ok(Self {
            response,
            buffer: String::new(),
        })
    }

    /// Whether the server ended the stream within `wait`.
    async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None)) | Ok(Err(_)) => return true,
                Err(_) => return false,
            }
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
    // one counts them all. A crowd's burst, one rating each (one rater alone at this pace
    // would meet the per-rater request limit).
    let burst = Instant::now();
    for _ in 0..40 {
        rate_one(&server, &server.other_browser()).await;
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

/// A server whose streams re-check their caller every 100 ms, that takes the client's
/// address from `X-Forwarded-For`, and lets each address hold two streams, three in all.
async fn strict_server(db: &swipeset_core::DatabaseConnection) -> String {
    use swipeset_server::live::StreamLimits;
    let auth = swipeset_server::auth::AuthConfig {
        trust_proxy: true,
        ..Default::default()
    };
    let mut limits = StreamLimits::new(3, 2);
    limits.recheck = Duration::from_millis(100);
    let state =
        swipeset_server::state::AppState::new(db.clone(), std::path::Path::new("target/site"))
            .with_auth(auth)
            .with_stream_limits(limits);
    format!("http://{}", common::serve(state).await)
}

fn from_address(address: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", address.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Streams used to be checked only when they connected, and kept flowing after access
/// ended.
#[tokio::test]
async fn a_stream_ends_when_its_caller_loses_access() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    use swipeset_core::accounts::{Role, tokens, users};
    use swipeset_core::db::entities::campaign;

    let test_db = Backend::Sqlite.fresh().await;
    let db = &test_db.db;
    swipeset_core::campaign::demo::load(db).await.expect("demo");
    let base = strict_server(db).await;
    let open = |client: reqwest::Client| {
        let base = base.clone();
        async move { Events::open_as(&client, &base, "haiku-demo").await }
    };
    let sign_in = |name: &'static str| {
        let base = base.clone();
        async move {
            let client = from_address(&format!("10.0.0.{}", name.len()));
            let res = client
                .post(format!("{base}/api/sign_in"))
                .json(&json!({"name": name, "password": common::PASSWORD}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            client
        }
    };

    // Signing out ends the stream of that session.
    users::create(db, "ada", common::PASSWORD, Role::Annotator)
        .await
        .unwrap();
    let ada = sign_in("ada").await;
    let mut stream = open(ada.clone()).await.expect("ada watches");
    assert!(
        !stream.ends_within(Duration::from_millis(400)).await,
        "it stays open meanwhile"
    );
    let res = ada
        .post(format!("{base}/api/sign_out"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The board is public: a signed-out browser may still watch, so make it private first.
    let demo = campaign::Entity::find().one(db).await.unwrap().unwrap();
    let mut private: campaign::ActiveModel = demo.clone().into();
    private.public_board = Set(false);
    private.update(db).await.unwrap();
    assert!(
        stream.ends_within(Duration::from_secs(2)).await,
        "signed out, board private"
    );

    // Disabling the user ends theirs.
    let bob_user = users::create(db, "bob", common::PASSWORD, Role::Annotator)
        .await
        .unwrap();
    let bob = sign_in("bob").await;
    let mut stream = open(bob).await.expect("bob watches the private board");
    users::set_disabled(db, bob_user.id, true).await.unwrap();
    assert!(
        stream.ends_within(Duration::from_secs(2)).await,
        "bob was disabled"
    );

    // Revoking a token ends a script's.
    let carl = users::create(db, "carl", common::PASSWORD, Role::Annotator)
        .await
        .unwrap();
    let (token_line, token) = tokens::create(db, carl.id, "watcher").await.unwrap();
    let mut stream = open(common::bearer_client(&token))
        .await
        .expect("the script watches");
    assert!(!stream.ends_within(Duration::from_millis(300)).await);
    tokens::revoke(db, carl.id, token_line.id).await.unwrap();
    assert!(
        stream.ends_within(Duration::from_secs(2)).await,
        "the token was revoked"
    );

    // Making the board private ends an anonymous watcher's.
    let mut public: campaign::ActiveModel = demo.into();
    public.public_board = Set(true);
    public.update(db).await.unwrap();
    let mut stream = open(reqwest::Client::new())
        .await
        .expect("anyone watches a public board");
    assert!(!stream.ends_within(Duration::from_millis(300)).await);
    let demo = campaign::Entity::find().one(db).await.unwrap().unwrap();
    let mut private: campaign::ActiveModel = demo.into();
    private.public_board = Set(false);
    private.update(db).await.unwrap();
    assert!(
        stream.ends_within(Duration::from_secs(2)).await,
        "the board went private"
    );
}

#[tokio::test]
async fn open_streams_are_capped_per_address_and_in_all() {
    let test_db = Backend::Sqlite.fresh().await;
    swipeset_core::campaign::demo::load(&test_db.db)
        .await
        .expect("demo");
    let base = strict_server(&test_db.db).await;
    let here = from_address("192.0.2.1");
    let a = Events::open_as(&here, &base, "haiku-demo")
        .await
        .expect("one");
    let _b = Events::open_as(&here, &base, "haiku-demo")
        .await
        .expect("two");
    assert_eq!(
        Events::open_as(&here, &base, "haiku-demo").await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS),
        "a third from one address"
    );
    let there = from_address("192.0.2.2");
    let _c = Events::open_as(&there, &base, "haiku-demo")
        .await
        .expect("three in all");
    assert_eq!(
        Events::open_as(&there, &base, "haiku-demo").await.err(),
        Some(StatusCode::SERVICE_UNAVAILABLE),
        "a fourth in all"
    );
    // A closed stream gives its place back.
    drop(a);
    let mut again = None;
    for _ in 0..50 {
        if let Ok(events) = Events::open_as(&here, &base, "haiku-demo").await {
            again = Some(events);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "the closed stream's place was given back");
}
