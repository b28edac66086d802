//! A campaign with adaptive overlap, made and rated through the API on SQLite and
//! PostgreSQL: a response two raters agree on is dealt no more, a split one is dealt on up to
//! the overlap, and the dataset card says how votes were collected.

mod common;

use reqwest::StatusCode;
use serde_json::json;

use common::TestServer;

#[tokio::test]
async fn agreed_responses_stop_being_dealt_and_split_ones_get_more() {
    for backend in common::backends() {
        let test_db = backend.fresh().await;
        let server = TestServer::start(test_db.db.clone()).await;
        let admin = server.signed_in("admin").await;
        let (status, saved) = server
            .post_json(
                &admin,
                "/api/save_campaign",
                json!({"create": true, "settings": {
                    "slug": "adaptive", "title": "Adaptive", "guidelines": "", "overlap": 4,
                    "reveal_models": false, "open": true, "public_board": true,
                    "license": "cc-by-4.0", "system_prompt": "", "adaptive_overlap": true}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let rows = [
            r#"{"prompt": "P", "completion": "agreed", "model": "m"}"#,
            r#"{"prompt": "P", "completion": "split", "model": "n"}"#,
        ];
        let res = admin
            .post(server.url("/api/campaigns/adaptive/import?what=responses&file_name=r.jsonl"))
            .body(rows.join("\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        // Two raters: both 👍 on "agreed", one 👍 and one 👎 on "split".
        let mut ids = std::collections::HashMap::new();
        for (i, rater) in [server.other_browser(), server.other_browser()]
            .iter()
            .enumerate()
        {
            let (_, dealt) = server
                .post_json(
                    rater,
                    "/api/next_cards",
                    json!({"campaign": "adaptive", "count": 2}),
                )
                .await;
            let cards = dealt["cards"].as_array().unwrap().clone();
            assert_eq!(cards.len(), 2, "{backend:?}: {dealt}");
            for card in cards {
                let text = card["response"].as_str().unwrap().to_string();
                let id = card["response_id"].as_i64().unwrap();
                ids.insert(text.clone(), id);
                let label = if text == "split" && i == 1 {
                    "down"
                } else {
                    "up"
                };
                let (status, reply) = server
                    .post_json(
                        rater,
                        "/api/rate",
                        json!({"response_id": id, "label": label}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{reply}");
                assert_eq!(reply["status"], "recorded", "{reply}");
            }
        }
        // A third rater is dealt only the split one.
        let third = server.other_browser();
        let (_, dealt) = server
            .post_json(
                &third,
                "/api/next_cards",
                json!({"campaign": "adaptive", "count": 2}),
            )
            .await;
        let dealt: Vec<i64> = dealt["cards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["response_id"].as_i64().unwrap())
            .collect();
        assert_eq!(dealt, vec![ids["split"]], "{backend:?}");
        let board = server
            .get_json(&admin, "/api/leaderboard?campaign=adaptive")
            .await;
        assert_eq!(board["progress"]["completed"], 1, "{board}");
        let card = server
            .get_text(
                &admin,
                "/api/campaigns/adaptive/export?kind=ratings&format=jsonl&archive=zip",
            )
            .await;
        assert!(
            card.contains("until one side led by two votes (adaptive overlap), or until it had 4"),
            "{backend:?}"
        );
    }
}
