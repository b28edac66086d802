//! Generation from the campaign page's API against the real binary and the stand-in
//! OpenAI-compatible endpoint: the models saved, a run started (a second start refused),
//! its live progress on the event stream, and the run taken up again after the server is
//! restarted mid-way, ending with every response once.

mod common;

use std::time::Duration;

use common::binary::{free_port, start, stop};
use serde_json::{Value, json};
use swipeset_core::accounts::{Role, tokens, users};
use swipeset_core::campaign::{NewCampaign, prompts};
use swipeset_standins::OpenAiStandin;

const BIN: &str = env!("CARGO_BIN_EXE_swipeset");
const PROMPTS: usize = 8;

async fn post(client: &reqwest::Client, base: &str, path: &str, body: Value) -> (u16, Value) {
    let response = client
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn status(client: &reqwest::Client, base: &str) -> Value {
    client
        .get(format!("{base}/api/generate_status?campaign=gen"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_started_on_the_page_survives_a_restart_and_makes_every_response_once() {
    let openai = OpenAiStandin::local().await;
    let test_db = common::Backend::Sqlite.fresh().await;
    let db = &test_db.db;
    let campaign = swipeset_core::campaign::create(db, NewCampaign::new("gen", "Gen"))
        .await
        .unwrap();
    for i in 0..PROMPTS {
        prompts::add(db, campaign.id, &format!("prompt {i}"), None, None)
            .await
            .unwrap();
    }
    let admin = users::create(db, "boss", common::PASSWORD, Role::Admin)
        .await
        .unwrap();
    let (_, token) = tokens::create(db, admin.id, "test").await.unwrap();
    let client = common::bearer_client(&token);

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = start(BIN, &test_db.url, port).await;
    let models = json!([{
        "name": "Slow", "base_url": openai.base_url(), "model": "slow-150",
        "samples": 1, "concurrency": 1
    }]);
    let (code, saved) = post(
        &client,
        &base,
        "/api/save_generate_models",
        json!({"campaign": "gen", "models": models}),
    )
    .await;
    assert_eq!(code, 200, "{saved}");
    assert!(
        saved["models_toml"]
            .as_str()
            .unwrap()
            .contains("model = \"slow-150\"")
    );

    let (code, started) = post(
        &client,
        &base,
        "/api/start_generation",
        json!({"campaign": "gen"}),
    )
    .await;
    assert_eq!(code, 200, "{started}");
    assert_eq!(started["progress"]["state"], "running");
    let (code, again) = post(
        &client,
        &base,
        "/api/start_generation",
        json!({"campaign": "gen"}),
    )
    .await;
    assert_eq!(code, 409, "{again}");
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("already running")
    );

    // The event stream: the run's figures, live.
    let mut events = client
        .get(format!("{base}/api/campaigns/gen/generate/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let mut seen = String::new();
    while !seen.contains("\"done\":2") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), events.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream goes on");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: generate"), "{seen}");
    assert!(seen.contains("\"name\":\"Slow\""), "{seen}");
    drop(events);

    // Restarted mid-run: the next server takes the run up at once.
    stop(server).await;
    let server = start(BIN, &test_db.url, port).await;
    let mut last = Value::Null;
    for _ in 0..200 {
        last = status(&client, &base).await;
        if last["progress"]["state"] == "finished" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["progress"]["state"], "finished", "{last}");
    let line = &last["lines"][0];
    assert_eq!(
        (line["responses"].as_u64(), line["done"].as_u64()),
        (Some(PROMPTS as u64), Some(PROMPTS as u64)),
        "{last}"
    );
    assert!(openai.requests() >= PROMPTS);
    stop(server).await;
}
