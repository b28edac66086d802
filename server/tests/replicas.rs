//! Two `swipeset serve` processes on one PostgreSQL database, as a scaled-out deployment
//! runs them behind a load balancer without sticky sessions: every rater's requests go
//! to both. Nothing may break the campaign's rules (no response over its overlap, nobody
//! rating a response twice), a session made on one replica holds on the other, a live
//! board on one replica follows ratings made on the other, the counters equal a recount,
//! and the replicas live through a PostgreSQL restart.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::binary::{assert_counters_match, free_port, start_with};
use common::cluster::Cluster;
use common::{Backend, PASSWORD, backends};
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use swipeset_core::accounts::{Role, users};
use swipeset_core::db::entities::rating;
use tokio::process::Child;
use tokio::sync::watch;

const BIN: &str = env!("CARGO_BIN_EXE_swipeset");
/// Guests rating at once, each through both replicas in turn.
const GUESTS: usize = 16;
/// The demo campaign's slots: 108 responses × an overlap of 3.
const DEMO_SLOTS: usize = 324;

/// The PostgreSQL server the suite started, or nothing (the test is then skipped).
fn postgres() -> Option<Backend> {
    backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres(_)))
}

async fn replica(url: &str) -> (Child, String) {
    let port = free_port();
    let child = start_with(BIN, url, port, &["--guests"], &[]).await;
    (child, format!("http://127.0.0.1:{port}"))
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// What a live board stream last said: its rating count, and how many snapshots came.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Seen {
    ratings: i64,
    snapshots: usize,
}

/// Follows `GET /api/campaigns/{slug}/events` on `base`, reading each snapshot's count.
async fn follow_board(base: &str, slug: &str) -> watch::Receiver<Seen> {
    let response = reqwest::Client::new()
        .get(format!("{base}/api/campaigns/{slug}/events"))
        .send()
        .await
        .expect("open the event stream");
    assert_eq!(response.status(), StatusCode::OK);
    let (sender, mut receiver) = watch::channel(Seen::default());
    tokio::spawn(async move {
        let mut response = response;
        let mut buffer = String::new();
        while let Ok(Some(bytes)) = response.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&bytes));
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) else {
                    continue;
                };
                let Ok(board) = serde_json::from_str::<Value>(data) else {
                    continue;
                };
                let ratings = board["progress"]["ratings"].as_i64().unwrap_or(-1);
                sender.send_modify(|seen| {
                    seen.ratings = ratings;
                    seen.snapshots += 1;
                });
            }
        }
    });
    receiver
        .wait_for(|seen| seen.snapshots > 0)
        .await
        .expect("the first snapshot");
    receiver
}

/// Waits until the stream shows `ratings`; panics with what it shows after `within`.
async fn until_board_counts(board: &mut watch::Receiver<Seen>, ratings: i64, within: Duration) {
    let reached = tokio::time::timeout(within, board.wait_for(|seen| seen.ratings == ratings));
    if !matches!(reached.await, Ok(Ok(_))) {
        panic!(
            "the board never showed {ratings} ratings: it shows {:?}",
            *board.borrow()
        );
    }
}

/// `POST path` with a JSON body on `base`: the status and the JSON answer.
async fn post(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    match client
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
    {
        Ok(res) => {
            let status = res.status();
            (status, res.json().await.unwrap_or(Value::Null))
        }
        Err(e) => panic!("POST {base}{path}: {e}"),
    }
}

/// Up to `count` cards dealt to `client` on `base`: their response ids, or why not.
async fn next_cards(client: &reqwest::Client, base: &str, count: u32) -> Result<Vec<i64>, String> {
    let (status, dealt) = post(
        client,
        base,
        "/api/next_cards",
        json!({"count": count, "holding": []}),
    )
    .await;
    if status != StatusCode::OK {
        return Err(format!("next_cards: {status} {dealt}"));
    }
    Ok(dealt["cards"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["response_id"].as_i64()).collect())
        .unwrap_or_default())
}

/// Rates response `id` as `client` on `base`: what became of the rating (`recorded`,
/// `already_rated`, …), or why the request failed.
async fn rate(
    client: &reqwest::Client,
    base: &str,
    id: i64,
    label: &str,
) -> Result<String, String> {
    let (status, reply) = post(
        client,
        base,
        "/api/rate",
        json!({"response_id": id, "label": label}),
    )
    .await;
    match (status, reply["status"].as_str()) {
        (StatusCode::OK, Some(outcome)) => Ok(outcome.to_string()),
        _ => Err(format!("rate {id}: {status} {reply}")),
    }
}

/// A rating the server answered `recorded` to: (guest, response) → times recorded.
type Recorded = Arc<Mutex<HashMap<(usize, i64), usize>>>;

/// One guest taking cards and rating them until none are left, each request going to the
/// next replica in turn (a load balancer without sticky sessions).
async fn guest_rates(bases: Vec<String>, n: usize, recorded: Recorded) {
    let client = browser();
    let mut turn = n;
    let mut empty_answers = 0;
    let mut next_base = move || {
        turn += 1;
        bases[turn % bases.len()].clone()
    };
    loop {
        let cards = next_cards(&client, &next_base(), 4)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if cards.is_empty() {
            // On PostgreSQL a deal passes by the cards others are being dealt at that
            // instant: near the end, ask again before calling it done.
            empty_answers += 1;
            if empty_answers == 3 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        empty_answers = 0;
        for (i, id) in cards.into_iter().enumerate() {
            let label = if (i + n).is_multiple_of(3) {
                "up"
            } else {
                "down"
            };
            let outcome = rate(&client, &next_base(), id, label)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if outcome == "recorded" {
                *swipeset_core::sync::lock(&recorded)
                    .entry((n, id))
                    .or_default() += 1;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_rate_one_campaign_as_one_server() {
    let Some(backend) = postgres() else { return };
    let test_db = backend.fresh().await;
    let db = &test_db.db;
    swipeset_core::campaign::demo::load(db).await.expect("demo");
    let (_a, replica_a) = replica(&test_db.url).await;
    let (_b, replica_b) = replica(&test_db.url).await;

    // A session made on A is a session on B, and signing out on B ends it on A.
    users::create(db, "ada", PASSWORD, Role::Annotator)
        .await
        .expect("account");
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let ada = reqwest::Client::builder()
        .cookie_provider(Arc::clone(&jar))
        .build()
        .expect("client");
    let (status, _) = post(
        &ada,
        &replica_a,
        "/api/sign_in",
        json!({"name": "ada", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let me = |base: &str| {
        let request = ada.get(format!("{base}/api/me")).send();
        async move {
            request
                .await
                .expect("me")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    assert_eq!(me(&replica_b).await["user"]["name"], "ada");

    // A board on A, then every guest rating through A and B in turn.
    let mut board = follow_board(&replica_a, "haiku-demo").await;
    let recorded: Recorded = Arc::default();
    let bases = vec![replica_a.clone(), replica_b.clone()];
    let raters: Vec<_> = (0..GUESTS)
        .map(|n| tokio::spawn(guest_rates(bases.clone(), n, Arc::clone(&recorded))))
        .collect();
    // Ada rates on B with the session from A, meanwhile.
    let ada_card = next_cards(&ada, &replica_b, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .first()
        .copied();
    if let Some(id) = ada_card {
        assert_eq!(
            rate(&ada, &replica_b, id, "up").await.as_deref(),
            Ok("recorded")
        );
    }
    for rater in raters {
        rater.await.expect("a rater failed");
    }

    let stored = rating::Entity::find().all(db).await.expect("ratings");
    assert_eq!(
        stored.len(),
        DEMO_SLOTS,
        "every slot of the demo rated once, through two replicas"
    );
    let mut per_response: HashMap<i32, usize> = HashMap::new();
    let mut per_pair: HashMap<(i32, i32), usize> = HashMap::new();
    for r in &stored {
        *per_response.entry(r.generation_id).or_default() += 1;
        *per_pair.entry((r.user_id, r.generation_id)).or_default() += 1;
    }
    assert!(
        per_response.values().all(|&n| n <= 3),
        "a response over its overlap"
    );
    assert!(
        per_pair.values().all(|&n| n == 1),
        "someone rated a response twice"
    );
    let recorded = swipeset_core::sync::lock(&recorded).clone();
    assert!(
        recorded.values().all(|&n| n == 1),
        "a rating recorded twice"
    );
    assert_eq!(
        recorded.len() + usize::from(ada_card.is_some()),
        DEMO_SLOTS,
        "every acknowledged rating is stored, and nothing else"
    );

    // The board on A saw the ratings made on B.
    until_board_counts(&mut board, DEMO_SLOTS as i64, Duration::from_secs(10)).await;

    // Signing out on B ends the session on A too, even for a copy of the cookie kept
    // from before (the cookie jar itself forgets it).
    let url: reqwest::Url = replica_a.parse().expect("URL");
    let session = jar.cookies(&url).expect("ada's session cookie");
    let (status, _) = post(&ada, &replica_b, "/api/sign_out", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let replayed = reqwest::Client::new()
        .get(format!("{replica_a}/api/me"))
        .header(reqwest::header::COOKIE, session)
        .send()
        .await
        .expect("me")
        .json::<Value>()
        .await
        .expect("JSON");
    assert_eq!(
        replayed["user"],
        Value::Null,
        "signed out on B, still in on A"
    );

    assert_counters_match(BIN, &test_db.url, "two replicas").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_carry_on_after_postgresql_restarts() {
    if postgres().is_none() {
        return; // the suite runs without PostgreSQL: nothing to restart
    }
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let db = swipeset_core::db::connect(&cluster.url)
        .await
        .expect("migrate the own cluster");
    swipeset_core::campaign::demo::load(&db)
        .await
        .expect("demo");
    db.close().await.expect("close");
    let (_a, replica_a) = replica(&cluster.url).await;
    let (_b, replica_b) = replica(&cluster.url).await;
    let mut board = follow_board(&replica_a, "haiku-demo").await;
    let guest = browser();
    let rate_one = |base: String| {
        let guest = guest.clone();
        async move {
            let id = *next_cards(&guest, &base, 1)
                .await?
                .first()
                .ok_or("no card dealt")?;
            match rate(&guest, &base, id, "up").await?.as_str() {
                "recorded" => Ok(()),
                other => Err(format!("rate {id}: {other}")),
            }
        }
    };
    rate_one(replica_b.clone()).await.expect("a rating before");
    until_board_counts(&mut board, 1, Duration::from_secs(10)).await;

    // The stream on A stays open, and A reads the board again once it listens again,
    // without any new rating to announce it: changes announced while it was cut off
    // would otherwise never reach it. (A listens again within the restart's few seconds.)
    let before = board.borrow().snapshots;
    tokio::task::block_in_place(|| cluster.restart());
    let resynced = tokio::time::timeout(
        Duration::from_secs(20),
        board.wait_for(|seen| seen.snapshots > before),
    )
    .await
    .is_ok_and(|seen| seen.is_ok());
    assert!(
        resynced,
        "no fresh snapshot on A after PostgreSQL came back"
    );

    // Both replicas take ratings again (a request may fail while their pools notice).
    for base in [&replica_b, &replica_a] {
        let mut last = Err(String::new());
        for attempt in 1..=50 {
            last = rate_one(base.clone()).await;
            if last.is_ok() {
                eprintln!("{base} rated again at attempt {attempt}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        last.unwrap_or_else(|e| panic!("{base} does not rate after the restart: {e}"));
    }
    // And A's board hears them, B's through a LISTEN made anew.
    let db = swipeset_core::db::connect(&cluster.url)
        .await
        .expect("reopen");
    let stored = rating::Entity::find()
        .all(&db)
        .await
        .expect("ratings")
        .len();
    assert!(stored >= 3, "{stored} ratings stored");
    until_board_counts(&mut board, stored as i64, Duration::from_secs(10)).await;
    assert_counters_match(BIN, &cluster.url, "after a restart").await;
}
