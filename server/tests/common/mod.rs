//! Shared set-up for the server's integration tests: a real database (SQLite file, or a
//! fresh PostgreSQL database when `SWIPESET_TEST_POSTGRES_URL` is set), the real router on
//! a free port, and an HTTP client that keeps cookies like a browser.

#![allow(dead_code)]

use std::net::SocketAddr;

use swipeset_core::DatabaseConnection;
use swipeset_server::{AppState, router};

/// Which databases to run each story against. SQLite always; PostgreSQL when the test
/// script started one. `SWIPESET_REQUIRE_POSTGRES=1` (set by `scripts/test.sh`) turns a
/// missing PostgreSQL into a failure instead of a silent skip.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    match std::env::var("SWIPESET_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => backends.push(Backend::Postgres(url)),
        _ => assert!(
            std::env::var("SWIPESET_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "SWIPESET_REQUIRE_POSTGRES=1 but SWIPESET_TEST_POSTGRES_URL is not set"
        ),
    }
    backends
}

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The URL of a server where tests may create databases.
    Postgres(String),
}

pub struct TestDb {
    pub url: String,
    pub db: DatabaseConnection,
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    /// A new, empty, migrated database of this kind, private to one test.
    pub async fn fresh(&self) -> TestDb {
        match self {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("swipeset.db").display());
                let db = swipeset_core::db::connect(&url).await.expect("open sqlite");
                TestDb {
                    url,
                    db,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres(server_url) => {
                let name = format!("swipeset_test_{}", uuid::Uuid::new_v4().simple());
                let admin = swipeset_core::db::connect_without_migrations(server_url)
                    .await
                    .expect("connect to the test PostgreSQL server");
                use sea_orm::ConnectionTrait;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                let url = with_database(server_url, &name);
                let db = swipeset_core::db::connect(&url)
                    .await
                    .expect("open postgres");
                TestDb {
                    url,
                    db,
                    _dir: None,
                }
            }
        }
    }
}

/// Replaces the database name at the end of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
}

impl TestServer {
    pub async fn start(db: DatabaseConnection) -> Self {
        Self::start_with_site(db, std::path::Path::new("target/site")).await
    }

    /// Serves static files from `site_root` (the folder `cargo xtask site` writes).
    pub async fn start_with_site(db: DatabaseConnection, site_root: &std::path::Path) -> Self {
        let state = AppState::new(db.clone(), site_root);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            axum::serve(listener, router(state)).await.expect("serve");
        });
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        Self { addr, client, db }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A second browser: its own cookies, so its own annotator.
    pub fn other_browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client")
    }
}

#[test]
fn replaces_the_database_name() {
    assert_eq!(
        with_database("postgres://u@h:5/postgres", "x"),
        "postgres://u@h:5/x"
    );
    assert_eq!(with_database("postgres://u@h:5", "x"), "postgres://u@h:5/x");
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
}

/// A campaign with one prompt and one response, both as given, for tests that need exact
/// text (escaping). Returns the generation id.
pub async fn seed_single_card(
    db: &DatabaseConnection,
    slug: &str,
    prompt: &str,
    response: &str,
) -> i32 {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    use swipeset_core::entities::{campaign, generation, model, prompt as prompt_entity};
    let now = chrono::Utc::now();
    let campaign = campaign::Entity::insert(campaign::ActiveModel {
        slug: Set(slug.into()),
        title: Set(format!("Campaign {slug}")),
        guidelines: Set(String::new()),
        overlap: Set(3),
        reveal_models: Set(false),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await
    .expect("campaign");
    let model = model::Entity::insert(model::ActiveModel {
        name: Set(format!("{slug} model")),
        model_id: Set(format!("{slug}/model")),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await
    .expect("model");
    let prompt_row = prompt_entity::Entity::insert(prompt_entity::ActiveModel {
        campaign_id: Set(campaign.id),
        text: Set(prompt.into()),
        system_prompt: Set(None),
        metadata: Set(None),
        content_hash: Set(swipeset_core::prompts::content_hash(prompt, None)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await
    .expect("prompt");
    generation::Entity::insert(generation::ActiveModel {
        campaign_id: Set(campaign.id),
        prompt_id: Set(prompt_row.id),
        model_id: Set(model.id),
        text: Set(response.into()),
        params: Set(None),
        rating_count: Set(0),
        up_count: Set(0),
        down_count: Set(0),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await
    .expect("generation")
    .id
}
