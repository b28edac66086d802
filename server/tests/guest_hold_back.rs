//! Guest hold-back through the API on SQLite and PostgreSQL: a new guest's votes stay out of
//! the leaderboard until they have made the campaign's number of decisions with a right gold
//! vote among them; a guest who gets the gold card wrong stays held, and the raters page
//! shows it; lowering the setting releases them.

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestServer;

/// Deals `rater` one card of `held` and rates it: 👍, but the gold card (`gold`, expecting
/// 👍) `gold_label`. The card's text.
async fn rate_one(server: &TestServer, rater: &reqwest::Client, gold_label: &str) -> String {
    let (status, dealt) = server
        .post_json(
            rater,
            "/api/next_cards",
            json!({"campaign": "held", "count": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{dealt}");
    let card = &dealt["cards"][0];
    let text = card["response"].as_str().expect("a card").to_string();
    let label = if text == "gold" { gold_label } else { "up" };
    let (status, reply) = server
        .post_json(
            rater,
            "/api/rate",
            json!({"response_id": card["response_id"], "label": label,
                   "client_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["status"], "recorded", "{reply}");
    text
}

async fn board_ratings(server: &TestServer, admin: &reqwest::Client) -> Value {
    server
        .get_json(admin, "/api/leaderboard?campaign=held")
        .await["progress"]["ratings"]
        .clone()
}

#[tokio::test]
async fn a_guest_counts_once_they_have_shown_they_read() {
    for backend in common::backends() {
        let test_db = backend.fresh().await;
        let server = TestServer::start(test_db.db.clone()).await;
        let admin = server.signed_in("admin").await;
        let settings = |hold_back: i32| {
            json!({"slug": "held", "title": "Held", "guidelines": "", "overlap": 3,
                   "reveal_models": false, "open": true, "public_board": true,
                   "license": "cc-by-4.0", "system_prompt": "", "guest_hold_back": hold_back})
        };
        let (status, saved) = server
            .post_json(
                &admin,
                "/api/save_campaign",
                json!({"create": true, "settings": settings(3)}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["guest_hold_back"], 3);
        let mut rows: Vec<String> = (0..8)
            .map(|i| format!(r#"{{"prompt": "P{i}", "completion": "answer {i}", "model": "m"}}"#))
            .collect();
        rows.push(
            r#"{"prompt": "G", "completion": "gold", "model": "m", "gold_label": "up"}"#.into(),
        );
        let res = admin
            .post(server.url("/api/campaigns/held/import?what=responses&file_name=r.jsonl"))
            .body(rows.join("\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);

        // A careful guest: two held votes, then the gold card (third) right releases them.
        let careful = server.other_browser();
        for n in 1..=2 {
            assert_ne!(rate_one(&server, &careful, "up").await, "gold");
            assert_eq!(board_ratings(&server, &admin).await, 0, "{backend:?}");
            let mine = server
                .get_json(&careful, "/api/progress?campaign=held")
                .await;
            assert_eq!(mine["rated_by_you"], n, "their own count has every vote");
        }
        assert_eq!(rate_one(&server, &careful, "up").await, "gold");
        assert_eq!(board_ratings(&server, &admin).await, 2, "{backend:?}");

        // A guest who gets the gold card wrong stays held, and the raters page says so.
        let careless = server.other_browser();
        for _ in 0..4 {
            rate_one(&server, &careless, "down").await;
        }
        assert_eq!(board_ratings(&server, &admin).await, 2, "{backend:?}");
        let raters = server.get_json(&admin, "/api/raters?campaign=held").await;
        let held: Vec<u64> = raters["raters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["held"].as_u64().unwrap())
            .collect();
        assert_eq!(held, vec![3, 0], "{raters}");
        let archive = server
            .get_text(
                &admin,
                "/api/campaigns/held/export?kind=ratings&format=jsonl&archive=zip",
            )
            .await;
        assert!(
            archive.contains(
                "**Guests held back**: a guest's votes count only once they have made 3 \
                 decisions, a right vote on a gold card among them where there are gold cards. \
                 3 votes of 1 guest not released yet are not in this data."
            ),
            "{backend:?}"
        );

        // Lowering the setting to 0 counts them at once.
        let (status, saved) = server
            .post_json(
                &admin,
                "/api/save_campaign",
                json!({"create": false, "settings": settings(0)}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(board_ratings(&server, &admin).await, 5, "{backend:?}");
        let raters = server.get_json(&admin, "/api/raters?campaign=held").await;
        assert!(
            raters["raters"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["held"] == 0),
            "{raters}"
        );
        let (status, refused) = server
            .post_json(
                &admin,
                "/api/save_campaign",
                json!({"create": false, "settings": settings(51)}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert!(refused.to_string().contains("guest_hold_back"), "{refused}");
    }
}
