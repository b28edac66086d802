//! The first real flow, told as a story against a real database (SQLite, and PostgreSQL
//! when the test script provides one): a visitor opens `/`, gets a card, rates it, and the
//! rating is stored once, however often it is sent.

mod common;

use common::{TestServer, backends, seed_single_card};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_visitor_rates_the_demo_and_each_rating_counts_once() {
    for backend in backends() {
        let test_db = backend.fresh().await;
        swipeset_core::campaign::demo::load(&test_db.db)
            .await
            .expect("demo");
        let server = TestServer::start(test_db.db.clone()).await;

        // The page is rendered on the server with the first card in it.
        let page = server.client.get(server.url("/")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{backend:?}");
        assert!(
            page.headers().get("set-cookie").is_some(),
            "a new browser gets an identity"
        );
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Write a haiku"),
            "{backend:?}: first card rendered"
        );
        assert!(html.contains("Haiku (demo)"));

        let next: Value = server.get_json(&server.client, "/api/next_card").await;
        let response_id = next["card"]["response_id"].as_i64().expect("a card");
        assert!(next["card"].get("model").is_none(), "cards are blind");

        let rated = server
            .post_json(
                &server.client,
                "/api/rate",
                json!({"response_id": response_id, "label": "up"}),
            )
            .await;
        assert_eq!(rated.0, StatusCode::OK, "{backend:?}: {}", rated.1);
        assert_eq!(rated.1["status"], "recorded");
        assert_eq!(rated.1["label"], "up");
        assert_eq!(
            rated.1["model"].as_str().map(|m| m.starts_with("Demo")),
            Some(true),
            "the demo reveals models"
        );

        // A retry (same browser, same card) changes nothing.
        let retried = server
            .post_json(
                &server.client,
                "/api/rate",
                json!({"response_id": response_id, "label": "up"}),
            )
            .await;
        assert_eq!(retried.0, StatusCode::OK);
        assert_eq!(retried.1["status"], "already_rated");

        let progress: Value = server.get_json(&server.client, "/api/progress").await;
        assert_eq!(progress["rated_by_you"], 1, "{backend:?}: {progress}");
        assert_eq!(progress["ratings"], 1);

        // The next card is a different one.
        let after: Value = server.get_json(&server.client, "/api/next_card").await;
        let held = after["card"]["response_id"].as_i64().expect("a card");
        assert_ne!(held, response_id);

        // A rating can bring the next cards with it: none rated, none held.
        let (status, with_cards) = server
            .post_json(
                &server.client,
                "/api/rate",
                json!({"response_id": held, "label": "down", "deal": 2, "holding": []}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {with_cards}");
        assert_eq!(with_cards["status"], "recorded");
        let dealt: Vec<i64> = with_cards["cards"]
            .as_array()
            .expect("cards")
            .iter()
            .filter_map(|c| c["response_id"].as_i64())
            .collect();
        assert_eq!(dealt.len(), 2, "{with_cards}");
        assert!(!dealt.contains(&held) && !dealt.contains(&response_id));
        assert!(
            with_cards["cards"][0].get("model").is_none(),
            "cards are blind"
        );
        let progress: Value = server.get_json(&server.client, "/api/progress").await;
        assert_eq!(progress["rated_by_you"], 2, "{backend:?}: {progress}");

        // Another browser is another annotator and may rate the same response.
        let other = server.other_browser();
        let theirs = server
            .post_json(
                &other,
                "/api/rate",
                json!({"response_id": response_id, "label": "down"}),
            )
            .await;
        assert_eq!(theirs.1["status"], "recorded", "{backend:?}");
        let progress: Value = server
            .get_json(&other, "/api/progress?campaign=haiku-demo")
            .await;
        assert_eq!(progress["rated_by_you"], 1);
        assert_eq!(progress["ratings"], 3);

        // The leaderboard counts them all, and needs no identity at all.
        let anonymous = reqwest::Client::new();
        let board: Value = server
            .get_json(&anonymous, "/api/leaderboard?campaign=haiku-demo")
            .await;
        assert_eq!(board["progress"]["ratings"], 3, "{backend:?}: {board}");
        assert_eq!(board["models"].as_array().map(Vec::len), Some(3));
        // 👍 then 👎 on the first response, 👎 on the second.
        let total = |key: &str| -> i64 {
            board["models"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|m| m[key].as_i64())
                .sum()
        };
        assert_eq!((total("up"), total("down")), (1, 2), "{board}");
        let missing = anonymous
            .get(server.url("/api/leaderboard?campaign=nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn bad_requests_get_a_clear_4xx_and_change_nothing() {
    for backend in backends() {
        let test_db = backend.fresh().await;
        swipeset_core::campaign::demo::load(&test_db.db)
            .await
            .expect("demo");
        let server = TestServer::start(test_db.db.clone()).await;

        let (status, body) = server
            .post_json(
                &server.client,
                "/api/rate",
                json!({"response_id": 987654, "label": "up"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{backend:?}: {body}");
        assert_eq!(body["code"], "not_found");
        assert_eq!(body["message"], "response 987654 does not exist");

        let malformed = server
            .client
            .post(server.url("/api/rate"))
            .header("content-type", "application/json")
            .body("{\"response_id\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST, "{backend:?}");
        let body: Value = malformed.json().await.unwrap();
        assert_eq!(body["code"], "bad_request");
        assert!(body["message"].as_str().unwrap().contains("EOF"), "{body}");

        let (status, body) = server
            .post_json(
                &server.client,
                "/api/rate",
                json!({"response_id": 1, "label": "maybe"}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("unknown variant `maybe`"),
            "{body}"
        );

        let (status, body) = server
            .post_json(&server.client, "/api/rate", json!({"label": "up"}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("response_id"),
            "{body}"
        );

        let (status, body) = server
            .post_json(
                &server.client,
                "/api/rate",
                json!({"response_id": 1, "label": "up", "deal": 11}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["message"], "deal must be at most 10, got 11");

        let unknown_campaign = server
            .client
            .get(server.url("/api/next_card?campaign=nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(unknown_campaign.status(), StatusCode::NOT_FOUND);
        let body: Value = unknown_campaign.json().await.unwrap();
        assert_eq!(body["message"], "campaign nope does not exist");

        let progress: Value = server.get_json(&server.client, "/api/progress").await;
        assert_eq!(progress["ratings"], 0, "{backend:?}: nothing was stored");
    }
}

#[tokio::test]
async fn model_output_is_rendered_escaped() {
    for backend in backends() {
        let test_db = backend.fresh().await;
        let hostile = "<script>alert('owned')</script> & <b>bold</b>";
        seed_single_card(&test_db.db, "escape", "Say <hi>", hostile).await;
        let server = TestServer::start(test_db.db.clone()).await;
        let html = server.get_text(&server.client, "/").await;
        assert!(
            !html.contains("<script>alert"),
            "{backend:?}: raw markup reached the page"
        );
        assert!(!html.contains("<b>bold</b>"));
        assert!(
            html.contains("&lt;script&gt;alert"),
            "{backend:?}: escaped text is shown"
        );
        assert!(html.contains("Say &lt;hi&gt;"));
    }
}

#[tokio::test]
async fn the_empty_states_are_explained() {
    let test_db = common::Backend::Sqlite.fresh().await;
    let server = TestServer::start(test_db.db.clone()).await;
    let html = server.get_text(&server.client, "/").await;
    assert!(html.contains("No campaign yet"));

    let response_id = seed_single_card(&test_db.db, "one", "p", "r").await;
    let (status, _) = server
        .post_json(
            &server.client,
            "/api/rate",
            json!({"response_id": response_id, "label": "down"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = server.get_text(&server.client, "/").await;
    assert!(html.contains("You rated everything"));
    let next: Value = server.get_json(&server.client, "/api/next_card").await;
    assert_eq!(next["card"], Value::Null);
    assert_eq!(next["campaign"]["slug"], "one");
}

#[tokio::test]
async fn health_reflects_the_database() {
    for backend in backends() {
        let test_db = backend.fresh().await;
        let server = TestServer::start(test_db.db.clone()).await;
        let ok = server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK, "{backend:?}");

        test_db.db.clone().close().await.expect("close the pool");
        let down = server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            down.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{backend:?}"
        );
        let body = down.text().await.unwrap();
        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["status"], "unavailable", "{backend:?}");
        assert_eq!(parsed["database"], "unavailable", "{backend:?}");
        // Anyone may ask: the database's own words (driver, host, path) go to the log only.
        let error = swipeset_core::db::ping(&test_db.db)
            .await
            .expect_err("the pool is closed")
            .to_string();
        assert!(!error.is_empty());
        assert!(
            !body.contains(&error),
            "{backend:?}: the error text leaked: {body}"
        );
    }
}

/// Closing a campaign stops its votes moving: undoing and skipping are refused with the
/// same 403 as rating, and the rating made before stands.
#[tokio::test]
async fn a_closed_campaign_refuses_rating_undo_and_skip() {
    use swipeset_core::campaign::NewCampaign;
    let test_db = common::Backend::Sqlite.fresh().await;
    let server = TestServer::start(test_db.db.clone()).await;
    let id = seed_single_card(&test_db.db, "shut", "p", "r").await;
    let (status, reply) = server
        .post_json(
            &server.client,
            "/api/rate",
            json!({"response_id": id, "label": "up"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    swipeset_core::campaign::update(
        &test_db.db,
        "shut",
        NewCampaign {
            open: false,
            ..NewCampaign::new("shut", "Campaign shut")
        },
    )
    .await
    .expect("close the campaign");

    for (endpoint, body) in [
        ("/api/rate", json!({"response_id": id, "label": "down"})),
        ("/api/undo", json!({"response_id": id})),
        ("/api/skip", json!({"response_id": id})),
    ] {
        let (status, reply) = server.post_json(&server.client, endpoint, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{endpoint}: {reply}");
        assert_eq!(reply["code"], "forbidden", "{endpoint}: {reply}");
        assert!(
            reply["message"]
                .as_str()
                .is_some_and(|m| m.contains("`shut` is closed")),
            "{endpoint}: {reply}"
        );
    }
    let progress: Value = server
        .get_json(&server.client, "/api/progress?campaign=shut")
        .await;
    assert_eq!(progress["rated_by_you"], 1, "{progress}");
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let test_db = common::Backend::Sqlite.fresh().await;
    let server = TestServer::start(test_db.db.clone()).await;
    let res = server
        .client
        .get(server.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// `generation_id` was the field's name before `response_id`: a client written against it
/// keeps working for one release (docs/API.md, "Renamed fields").
#[tokio::test]
async fn a_client_that_still_says_generation_id_keeps_working() {
    let test_db = common::Backend::Sqlite.fresh().await;
    let server = TestServer::start(test_db.db.clone()).await;
    let id = seed_single_card(&test_db.db, "one", "p", "r").await;

    let next: Value = server.get_json(&server.client, "/api/next_card").await;
    assert_eq!(next["card"]["generation_id"], next["card"]["response_id"]);
    assert_eq!(next["card"]["response_id"], id);

    for (endpoint, body) in [
        ("/api/skip", json!({"generation_id": id})),
        ("/api/rate", json!({"generation_id": id, "label": "up"})),
        ("/api/undo", json!({"generation_id": id})),
    ] {
        let (status, reply) = server.post_json(&server.client, endpoint, body).await;
        assert_eq!(status, StatusCode::OK, "{endpoint}: {reply}");
        assert_eq!(reply["response_id"], id, "{endpoint}: {reply}");
        assert_eq!(reply["generation_id"], id, "{endpoint}: {reply}");
    }

    let (status, reply) = server
        .post_json(
            &server.client,
            "/api/rate",
            json!({"response_id": id, "generation_id": id, "label": "up"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "both names at once: {reply}"
    );
    assert!(
        reply["message"]
            .as_str()
            .unwrap_or_default()
            .contains("duplicate field `response_id`"),
        "{reply}"
    );
}
