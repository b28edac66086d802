//! Import by upload: an admin's file is streamed to disk, imported all or nothing, and
//! refused whole (naming the file by its own name and the line) when it is bad or too big.

mod common;

use common::Backend;
use reqwest::StatusCode;
use serde_json::Value;
use swipeset_core::campaign::NewCampaign;

async fn post(
    base: &str,
    client: &reqwest::Client,
    query: &str,
    body: &'static str,
) -> (StatusCode, Value) {
    let res = client
        .post(format!("{base}/api/campaigns/poems/import?{query}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_upload_imports_all_or_nothing_within_the_limit() {
    let test_db = Backend::Sqlite.fresh().await;
    swipeset_core::campaign::create(&test_db.db, NewCampaign::new("poems", "Poems"))
        .await
        .unwrap();
    let state =
        swipeset_server::AppState::new(test_db.db.clone(), std::path::Path::new("target/site"))
            .with_upload_limit(200);
    let addr = common::serve(state).await;
    let admin = common::admin_client(&test_db.db).await;
    let limited = format!("http://{addr}");

    let (status, body) = post(
        &limited,
        &admin,
        "what=prompts&file_name=poems.jsonl",
        "{\"prompt\": \"one\"}\n{\"prompt\": \"two\"}\n{\"prompt\": \"one\"}\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["added"].as_u64(), body["duplicates"].as_u64()),
        (Some(2), Some(1))
    );

    let (status, body) = post(
        &limited,
        &admin,
        "what=prompts&file_name=C:\\\\Users\\\\me\\\\bad.jsonl",
        "{\"prompt\": \"three\"}\n{\"prompt\": \n",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("nothing was imported: bad.jsonl: line 2"),
        "{message}"
    );
    assert!(!message.contains("/tmp"), "no server path leaks: {message}");

    let (status, body) = post(
        &limited,
        &admin,
        "what=prompts&file_name=big.txt",
        "a line of text that is long enough\n\
         a line of text that is long enough\n\
         a line of text that is long enough\n\
         a line of text that is long enough\n\
         a line of text that is long enough\n\
         a line of text that is long enough\n",
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("over the upload limit of 200 bytes")
    );

    let (status, _) = post(&limited, &admin, "what=poems&file_name=x.txt", "x\n").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let progress = swipeset_core::board::progress::campaign_lines(&test_db.db)
        .await
        .unwrap();
    assert_eq!(progress[0].prompts, 2, "only the good file was imported");
}
