//! Conversations and metadata through the API on SQLite and PostgreSQL: an admin uploads
//! prompts that are conversations with a topic, then responses in TRL's conversational
//! format with their generation parameters; cards carry the earlier turns; after rating,
//! the conversational export writes each whole conversation as `prompt` and the metadata
//! as columns, the standard one refuses with a message that says what to do, and
//! `metadata=` chooses the columns.

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::TestServer;

fn conversation(p: usize) -> Value {
    json!([
        {"role": "system", "content": "You are a tutor."},
        {"role": "user", "content": format!("Teach me {p}.")},
        {"role": "assistant", "content": "Where shall we **start**?"},
        {"role": "user", "content": "The basics."},
        {"role": "assistant", "content": "Here they are."},
        {"role": "user", "content": format!("Quiz me on {p}.")},
    ])
}

async fn upload(server: &TestServer, admin: &reqwest::Client, query: &str, body: String) -> Value {
    let res = admin
        .post(server.url(&format!("/api/campaigns/chat/import?{query}")))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let reply: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "{reply}");
    reply
}

async fn export(server: &TestServer, admin: &reqwest::Client, query: &str) -> (StatusCode, String) {
    let res = admin
        .get(server.url(&format!("/api/campaigns/chat/export?{query}")))
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

fn lines(body: &str) -> Vec<Value> {
    body.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[tokio::test]
async fn conversations_and_metadata_go_in_and_come_out_whole() {
    for backend in common::backends() {
        let test_db = backend.fresh().await;
        let server = TestServer::start(test_db.db.clone()).await;
        let admin = server.signed_in("admin").await;
        let (status, saved) = server
            .post_json(
                &admin,
                "/api/save_campaign",
                json!({"create": true, "settings": {
                    "slug": "chat", "title": "Chat", "guidelines": "", "overlap": 2,
                    "reveal_models": false, "open": true, "public_board": true,
                    "license": "cc-by-4.0", "system_prompt": "", "guest_hold_back": 0,
                    "category_field": " topic "}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["category_field"], "topic", "{saved}");

        let prompts: Vec<String> = (0..2)
            .map(|p| {
                let topic = ["algebra", "history"][p];
                json!({"messages": conversation(p), "topic": topic, "source": "oasst"}).to_string()
            })
            .collect();
        let added = upload(
            &server,
            &admin,
            "what=prompts&file_name=p.jsonl&metadata_fields=topic",
            prompts.join("\n"),
        )
        .await;
        assert_eq!(added["added"], 2, "{added}");
        let responses: Vec<String> = (0..2)
            .flat_map(|p| {
                (0..2).map(move |m| {
                    json!({"prompt": conversation(p),
                           "completion": [{"role": "assistant", "content": format!("Q{p} by m{m}")}],
                           "model": format!("m{m}"), "generation_params": {"temperature": m}})
                    .to_string()
                })
            })
            .collect();
        let added = upload(
            &server,
            &admin,
            "what=responses&file_name=r.jsonl",
            responses.join("\n"),
        )
        .await;
        assert_eq!(
            (&added["added"], &added["prompts_added"]),
            (&json!(4), &json!(0)),
            "{added}"
        );

        // Two raters rate every card: m0 👍, m1 👎.
        for _ in 0..2 {
            let rater = server.other_browser();
            let (status, dealt) = server
                .post_json(
                    &rater,
                    "/api/next_cards",
                    json!({"campaign": "chat", "count": 4}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{dealt}");
            let cards = dealt["cards"].as_array().unwrap();
            assert_eq!(cards.len(), 4, "{dealt}");
            for card in cards {
                assert_eq!(card["system_prompt"], "You are a tutor.");
                let history = card["history"].as_array().unwrap();
                assert_eq!(history.len(), 4, "{card}");
                assert_eq!(history[1]["role"], "assistant");
                assert_eq!(history[1]["content"], "Where shall we **start**?");
                let html = card["history_html"].as_str().unwrap();
                assert!(
                    html.contains("<summary>4 earlier turns</summary>"),
                    "{html}"
                );
                assert!(
                    html.contains("<p>Where shall we <strong>start</strong>?</p>"),
                    "{html}"
                );
                assert!(card["prompt"].as_str().unwrap().starts_with("Quiz me on"));
                let up = card["response"].as_str().unwrap().ends_with("m0");
                let (status, reply) = server
                    .post_json(
                        &rater,
                        "/api/rate",
                        json!({"response_id": card["response_id"],
                               "label": if up { "up" } else { "down" }}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{reply}");
            }
        }

        let (status, body) = export(&server, &admin, "kind=kto&format=jsonl").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body.contains("2 of the prompts of `chat` are conversations")
                && body.contains("variant=conversational"),
            "{body}"
        );

        let (status, body) = export(
            &server,
            &admin,
            "kind=kto&format=jsonl&variant=conversational",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let rows = lines(&body);
        assert_eq!(rows.len(), 4);
        let first = &rows[0];
        let mut expected = conversation(0);
        assert_eq!(
            first["prompt"], expected,
            "the whole conversation, system message first"
        );
        assert_eq!(
            first["completion"],
            json!([{"role": "assistant", "content": "Q0 by m0"}])
        );
        assert_eq!(first["label"], true);
        assert_eq!(first["topic"], "algebra");
        assert!(
            first.get("source").is_none(),
            "only the named field was kept at import"
        );
        assert_eq!(first["generation_params"], r#"{"temperature":0}"#);

        let (status, body) = export(
            &server,
            &admin,
            "kind=dpo&format=jsonl&variant=conversational&metadata=topic",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let pairs = lines(&body);
        assert_eq!(pairs.len(), 2);
        expected = conversation(1);
        assert_eq!(pairs[1]["prompt"], expected);
        assert_eq!(pairs[1]["topic"], "history");
        assert!(pairs[1].get("chosen_generation_params").is_none());

        let (status, body) = export(
            &server,
            &admin,
            "kind=kto&format=jsonl&variant=conversational&metadata=lang",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body.contains("no prompt or response has a field `lang`"),
            "{body}"
        );

        let (status, body) = export(
            &server,
            &admin,
            "kind=kto&format=parquet&variant=conversational&archive=zip",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains("the prompt's metadata field `topic` from its import (text; other values as JSON), the campaign's category"),
            "the card in the zip lists the metadata columns"
        );
    }
}
