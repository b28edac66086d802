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
                json!({"response_id": card["response_id"], "label": "up"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
}

async fn demo_server_with_ratings() -> (common::TestDb, TestServer) {
    let test_db = Backend::Sqlite.fresh().await;
    swipeset_core::campaign::demo::load(&test_db.db)
        .await
        .expect("demo");
    let mut server = TestServer::start(test_db.db.clone()).await;
    rate_up(&server, &server.client, 5).await;
    // Downloads are for admins.
    server.client = server.signed_in("admin").await;
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

/// `csv_safe=true` defuses cells a spreadsheet would run; without it the CSV is the text as
/// written.
#[tokio::test]
async fn csv_safe_puts_a_quote_before_formulas() {
    let test_db = Backend::Sqlite.fresh().await;
    let mut server = TestServer::start(test_db.db.clone()).await;
    let id = common::seed_single_card(&test_db.db, "sheet", "=1+1", "@cmd").await;
    let (status, _) = server
        .post_json(
            &server.client,
            "/api/rate",
            json!({"response_id": id, "label": "up"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    server.client = server.signed_in("admin").await;
    let get = |query: &'static str| {
        let request = server.client.get(server.url(&format!(
            "/api/campaigns/sheet/export?kind=ratings&format=csv{query}"
        )));
        async move {
            let res = request.send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (status, plain) = get("").await;
    assert_eq!(status, StatusCode::OK, "{plain}");
    assert!(plain.contains("\n=1+1,@cmd,"), "{plain}");
    let (status, safe) = get("&csv_safe=true").await;
    assert_eq!(status, StatusCode::OK, "{safe}");
    assert!(safe.contains("\n'=1+1,'@cmd,"), "{safe}");
    let (status, body) = get("&csv_safe=yes").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("invalid csv_safe"), "{body}");

    // The export page offers the box for CSV, ticked as the query says, and its download
    // link carries it.
    let page = server
        .get_text(
            &server.client,
            "/export?campaign=sheet&kind=ratings&format=csv&csv_safe=true",
        )
        .await;
    assert!(
        page.contains(r#"name="csv_safe" value="true" checked"#),
        "{page}"
    );
    let link = page
        .split(r#"href="/api/campaigns/sheet/export"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|query| format!("/api/campaigns/sheet/export{}", query.replace("&amp;", "&")))
        .expect("a download link");
    let downloaded = server
        .client
        .get(server.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(downloaded, safe, "{link}");
    let parquet = server
        .get_text(&server.client, "/export?campaign=sheet&kind=ratings")
        .await;
    assert!(!parquet.contains(r#"name="csv_safe""#), "only for CSV");
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
    assert_eq!(body["code"], "conflict", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("nothing to export"), "{message}");
    assert!(message.contains("too few votes"), "{message}");
}

/// A campaign whose ratings export is about 40 MB: larger than every buffer between the
/// server and a client that does not read, so such a download stays in flight.
async fn large_campaign(db: &swipeset_core::DatabaseConnection) {
    use swipeset_core::accounts::guests;
    use swipeset_core::campaign::NewCampaign;
    use swipeset_core::campaign::models;
    use swipeset_core::campaign::prompts;
    use swipeset_core::campaign::responses::{self, NewResponse};
    use swipeset_core::rating::rate::{self, NewRating};
    use swipeset_core::{Label, Store};
    let campaign = swipeset_core::campaign::create(db, NewCampaign::new("big", "Big"))
        .await
        .unwrap();
    let model = models::ensure(db, "Wordy", "org/wordy").await.unwrap();
    let prompt = prompts::add(db, campaign.id, "Say a lot", None, None)
        .await
        .unwrap();
    let rows = (0..1_000)
        .map(|i| {
            NewResponse::for_prompt(&prompt, model.id, format!("{i} {}", "blah ".repeat(8_000)))
        })
        .collect();
    responses::add_many(db, campaign.id, rows).await.unwrap();
    let store = Store::new(db.clone());
    let user = guests::browser_annotator(db, "reader").await.unwrap().id;
    for id in generation_ids(db).await {
        rate::rate(&store, user, NewRating::new(id, Label::Up))
            .await
            .unwrap();
    }
}

async fn generation_ids(db: &swipeset_core::DatabaseConnection) -> Vec<i32> {
    use sea_orm::EntityTrait;
    swipeset_core::db::entities::generation::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect()
}

#[tokio::test]
async fn downloads_beyond_the_limit_wait_for_a_free_slot() {
    let test_db = Backend::Sqlite.fresh().await;
    large_campaign(&test_db.db).await;
    // One download at a time, on a server of its own.
    let state =
        swipeset_server::AppState::new(test_db.db.clone(), std::path::Path::new("target/site"))
            .with_export_limit(1);
    let addr = common::serve(state).await;
    let client = common::admin_client(&test_db.db).await;
    let url = format!("http://{addr}/api/campaigns/big/export?kind=ratings&format=csv");

    // The first download is in flight while its body is unread.
    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let second = client.get(&url).send().await.unwrap();
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = second.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("try again"),
        "{body}"
    );

    // Once it is read to the end, the slot is free again.
    let csv = first.text().await.unwrap();
    assert_eq!(
        csv.lines().count(),
        1_001,
        "a header and a thousand ratings"
    );
    let mut third = None;
    for _ in 0..50 {
        let res = client.get(&url).send().await.unwrap();
        if res.status() == StatusCode::OK {
            third = Some(res);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(third.is_some(), "the slot was never given back");
}
