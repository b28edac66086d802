//! A model's page, the board filtered by category, and their downloads, through the API on
//! SQLite and PostgreSQL: a campaign names `topic` as its category, responses come in with
//! the topic of their prompt, three raters rate everything, and the figures, the CSV, the
//! JSON and the SVG charts say what the votes were; admins alone see the best and worst
//! responses.

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestServer;

/// Prompt `p`'s topic, and whether model `m`'s response to it gets 👍.
fn topic(p: usize) -> &'static str {
    if p < 2 { "maths" } else { "poetry" }
}

fn up(p: usize, m: usize) -> bool {
    // A is liked on maths, B on poetry, C never.
    match m {
        0 => p < 2,
        1 => p >= 2,
        _ => false,
    }
}

async fn get(client: &reqwest::Client, url: String) -> (StatusCode, String, String) {
    let res = client.get(url).send().await.unwrap();
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

#[tokio::test]
async fn model_pages_and_the_filtered_board_say_what_the_votes_were() {
    for backend in common::backends() {
        let test_db = backend.fresh().await;
        let server = TestServer::start(test_db.db.clone()).await;
        let admin = server.signed_in("admin").await;
        let (status, saved) = server
            .post_json(
                &admin,
                "/api/save_campaign",
                json!({"create": true, "settings": {
                    "slug": "mp", "title": "Model pages", "guidelines": "", "overlap": 3,
                    "reveal_models": false, "open": true, "public_board": true,
                    "license": "cc-by-4.0", "system_prompt": "", "category_field": "topic"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let mut rows = Vec::new();
        for p in 0..4 {
            for (m, model) in ["A", "B", "C"].iter().enumerate() {
                let label = if up(p, m) { "up" } else { "down" };
                rows.push(
                    json!({"prompt": format!("Prompt {p}"), "completion": format!("{label} {p}{m}"),
                           "model": model, "topic": topic(p)})
                    .to_string(),
                );
            }
        }
        let res = admin
            .post(server.url(
                "/api/campaigns/mp/import?what=responses&file_name=r.jsonl&prompt_metadata_fields=topic",
            ))
            .body(rows.join("\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        for _ in 0..3 {
            let rater = server.other_browser();
            let mut cards: Vec<Value> = Vec::new();
            loop {
                let holding: Vec<Value> = cards.iter().map(|c| c["response_id"].clone()).collect();
                let (status, dealt) = server
                    .post_json(
                        &rater,
                        "/api/next_cards",
                        json!({"campaign": "mp", "count": 10, "holding": holding}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{dealt}");
                let dealt = dealt["cards"].as_array().cloned().unwrap_or_default();
                if dealt.is_empty() {
                    break;
                }
                cards.extend(dealt);
            }
            assert_eq!(cards.len(), 12);
            for card in &cards {
                let label = card["response"]
                    .as_str()
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap();
                let (status, reply) = server
                    .post_json(
                        &rater,
                        "/api/rate",
                        json!({"response_id": card["response_id"], "label": label}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{reply}");
            }
        }

        let page = server
            .get_json(&admin, "/api/model_page?campaign=mp&model=A")
            .await;
        assert_eq!(
            (&page["standing"]["up"], &page["standing"]["down"]),
            (&json!(6), &json!(6))
        );
        let slices: Vec<(String, u64, u64)> = page["by_category"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["label"].as_str().unwrap().to_string(),
                    s["up"].as_u64().unwrap(),
                    s["down"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(slices, [("maths".into(), 6, 0), ("poetry".into(), 0, 6)]);
        assert_eq!(page["agreement"]["share"], 1.0);
        let versus_b = page["head_to_head"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["model"] == "B")
            .unwrap()
            .clone();
        assert_eq!(
            (&versus_b["wins"], &versus_b["losses"]),
            (&json!(2), &json!(2))
        );
        assert_eq!(page["best"].as_array().unwrap().len(), 2);
        assert_eq!(page["worst"].as_array().unwrap().len(), 2);
        // Anyone may see a public board's model pages, without the responses.
        let anonymous = server.other_browser();
        let public = server
            .get_json(&anonymous, "/api/model_page?campaign=mp&model=A")
            .await;
        assert_eq!(public["best"], json!([]));
        let res = anonymous
            .get(server.url("/api/model_page?campaign=mp&model=Nobody"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        let base = server.url("/api/campaigns/mp");
        let (status, kind, csv) = get(&anonymous, format!("{base}/models/A?format=csv")).await;
        assert_eq!(
            (status, kind.as_str()),
            (StatusCode::OK, "text/csv; charset=utf-8")
        );
        assert!(
            csv.starts_with("section,label,responses,prompts,up,down"),
            "{csv}"
        );
        assert!(csv.contains("\ncategory,maths,2,,6,0,"), "{csv}");
        assert!(csv.contains("\nhead_to_head,B,,4,,,2,2,0,"), "{csv}");
        let (status, _, json_text) = get(&admin, format!("{base}/models/A?format=json")).await;
        assert_eq!(status, StatusCode::OK);
        let downloaded: Value = serde_json::from_str(&json_text).unwrap();
        assert_eq!(downloaded["by_category"], page["by_category"]);
        let (status, kind, svg) = get(&anonymous, format!("{base}/models/A?chart=category")).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/svg+xml"));
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        assert!(
            svg.contains(">maths</text>") && svg.contains("<style>"),
            "{svg}"
        );

        let (status, _, board) = get(
            &anonymous,
            format!("{base}/leaderboard?format=csv&category=poetry"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let lines: Vec<&str> = board.lines().collect();
        assert!(lines[1].starts_with("1,B,6,0,6,"), "{board}");
        assert!(lines[1].ends_with(",poetry"), "{board}");
        let (status, _, svg) = get(&anonymous, format!("{base}/leaderboard?format=svg")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            svg.contains(">A</text>") && svg.contains(">C</text>"),
            "{svg}"
        );
        let (status, _, body) = get(&anonymous, format!("{base}/leaderboard?format=xml")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("format must be json, csv or svg"), "{body}");

        let filtered = server
            .get_json(&anonymous, "/api/leaderboard?campaign=mp&category=maths")
            .await;
        assert_eq!(filtered["category"], "maths");
        assert_eq!(filtered["models"][0]["model"], "A");
        assert_eq!(
            filtered["categories"],
            json!([{"name": "maths", "prompts": 2}, {"name": "poetry", "prompts": 2}])
        );

        // A category that is not text reads the same on both databases: its JSON.
        let (status, saved) = server
            .post_json(
                &admin,
                "/api/save_campaign",
                json!({"create": true, "settings": {
                    "slug": "kinds", "title": "Kinds", "guidelines": "", "overlap": 3,
                    "reveal_models": false, "open": true, "public_board": true,
                    "license": "cc-by-4.0", "system_prompt": "", "category_field": "reviewed"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let res = admin
            .post(server.url("/api/campaigns/kinds/import?what=prompts&file_name=p.jsonl"))
            .body(
                [
                    r#"{"prompt": "a", "reviewed": true}"#,
                    r#"{"prompt": "b", "reviewed": false}"#,
                    r#"{"prompt": "c", "reviewed": 3}"#,
                    r#"{"prompt": "d", "reviewed": ["x"]}"#,
                    r#"{"prompt": "e"}"#,
                ]
                .join("\n"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let board = server
            .get_json(&anonymous, "/api/leaderboard?campaign=kinds")
            .await;
        let mut names: Vec<&str> = board["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["(none)", "3", "[\"x\"]", "false", "true"]);
    }
}
