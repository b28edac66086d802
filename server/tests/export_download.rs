//! The dataset download over HTTP: a streamed data file or zip, named for the campaign,
//! and JSON errors (before any byte) for an unknown campaign, a bad option, or nothing to
//! export.

mod common;

use std::io::Read;

use common::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn rate_up(server: &TestServer, client: &reqwest::Client, count: usize) {
    let (_, dealt) = server
        .post_json(
            client,
            "/api/next_cards",
            json!({"count": count, "holding": []}),
        )
        .await;
    let cards = dealt["cards"].as_array().expect("cards").clone();
    assert_eq!(cards.len(), count);
    for card in cards {
        let (status, _) = server
            .post_json(
                client,
                "/api/rate",
                json!({"generation_id": card["generation_id"], "label": "up"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
}

async fn demo_server_with_ratings() -> (common::TestDb, TestServer) {
    let test_db = Backend::Sqlite.fresh().await;
    swipeset_core::demo::load(&test_db.db).await.expect("demo");
    let server = TestServer::start(test_db.db.clone()).await;
    rate_up(&server, &server.client, 5).await;
    (test_db, server)
}

#[tokio::test]
async fn downloads_stream_the_data_file_and_the_zip() {
    let (_db, server) = demo_server_with_ratings().await;
    let res = server
        .client
        .get(server.url("/api/campaigns/haiku-demo/export?kind=kto&format=jsonl&min_votes=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/jsonl; charset=utf-8"
    );
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"haiku-demo-kto.jsonl\""
    );
    let body = res.text().await.unwrap();
    let rows: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter()
            .all(|r| r["label"] == json!(true) && r["n_up"] == json!(1))
    );

    let res = server
        .client
        .get(server.url(
            "/api/campaigns/haiku-demo/export?kind=kto&format=parquet&min_votes=1&archive=zip",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert!(res.headers().get("content-encoding").is_none());
    let bytes = res.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut card = String::new();
    archive
        .by_name("README.md")
        .unwrap()
        .read_to_string(&mut card)
        .unwrap();
    assert!(card.starts_with("---\nlicense: apache-2.0\n"), "{card}");
    let mut parquet = Vec::new();
    archive
        .by_name("data/train-00000-of-00001.parquet")
        .unwrap()
        .read_to_end(&mut parquet)
        .unwrap();
    assert_eq!(&parquet[..4], b"PAR1");
    assert_eq!(&parquet[parquet.len() - 4..], b"PAR1");
}

#[tokio::test]
async fn refusals_are_json_errors_that_say_what_is_wrong() {
    let (_db, server) = demo_server_with_ratings().await;
    let get = |path: &'static str| {
        let client = server.client.clone();
        let url = server.url(path);
        async move {
            let res = client.get(url).send().await.unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get("/api/campaigns/nope/export").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], "campaign nope does not exist");

    let (status, body) = get("/api/campaigns/haiku-demo/export?kind=ranking").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "invalid kind: expected one of `kto`, `dpo`, `ratings`, got `ranking`"
    );

    let (status, body) = get("/api/campaigns/haiku-demo/export?min_votes=two").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("min_votes"),
        "{body}"
    );

    let (status, body) =
        get("/api/campaigns/haiku-demo/export?format=csv&variant=conversational").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("CSV"), "{body}");

    // Five single votes: nothing has the default two.
    let (status, body) = get("/api/campaigns/haiku-demo/export").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("nothing to export"), "{message}");
    assert!(message.contains("too few votes"), "{message}");
}
