//! Shared set-up for the server's integration tests: a real database (SQLite file, or a
//! fresh PostgreSQL database when `SWIPESET_TEST_POSTGRES_URL` is set), the real router on
//! a free port, and an HTTP client that keeps cookies like a browser.

#![allow(dead_code)]

pub mod binary;
pub mod cluster;

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
                let url = swipeset_core::db::with_database_name(server_url, &name);
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

/// The password of every account the tests make.
pub const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    /// The live leaderboard's feeds, to stop them as a shutdown would.
    pub live: swipeset_server::live::Live,
}

impl TestServer {
    /// A server where guests may rate: each client below is its own annotator.
    pub async fn start(db: DatabaseConnection) -> Self {
        Self::start_with_site(db, std::path::Path::new("target/site")).await
    }

    /// Serves static files from `site_root` (the folder `cargo xtask site` writes).
    pub async fn start_with_site(db: DatabaseConnection, site_root: &std::path::Path) -> Self {
        let auth = swipeset_server::auth::AuthConfig {
            guests: true,
            ..Default::default()
        };
        Self::start_with(db, site_root, auth).await
    }

    /// A server with these sign-in settings.
    pub async fn start_with(
        db: DatabaseConnection,
        site_root: &std::path::Path,
        auth: swipeset_server::auth::AuthConfig,
    ) -> Self {
        let state = AppState::new(db.clone(), site_root).with_auth(auth);
        let live = state.live.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            axum::serve(listener, router(state)).await.expect("serve");
        });
        let client = browser_client();
        Self {
            addr,
            client,
            db,
            live,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The body of `GET path`, as text, whatever the status.
    pub async fn get_text(&self, client: &reqwest::Client, path: &str) -> String {
        let res = client.get(self.url(path)).send().await.expect("GET");
        res.text().await.expect("body")
    }

    /// `GET path`, which must answer 200 with JSON.
    pub async fn get_json(&self, client: &reqwest::Client, path: &str) -> serde_json::Value {
        let res = client.get(self.url(path)).send().await.expect("GET");
        assert_eq!(res.status(), reqwest::StatusCode::OK, "GET {path}");
        res.json().await.expect("JSON body")
    }

    /// `POST path` with a JSON body: the status and the JSON answer (`null` if not JSON).
    pub async fn post_json(
        &self,
        client: &reqwest::Client,
        path: &str,
        body: serde_json::Value,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let res = client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = res.status();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A second browser: its own cookies, so its own annotator.
    pub fn other_browser(&self) -> reqwest::Client {
        browser_client()
    }

    /// A browser signed in as a new account with `role` (`admin` or `annotator`).
    pub async fn signed_in(&self, role: &str) -> reqwest::Client {
        let name = format!("{role}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let role = role.parse().expect("role");
        swipeset_core::accounts::users::create(&self.db, &name, PASSWORD, role)
            .await
            .expect("account");
        let client = browser_client();
        let (status, body) = self
            .post_json(
                &client,
                "/api/sign_in",
                serde_json::json!({"name": name, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "sign in: {body}");
        client
    }
}

/// Serves `state`'s router on a free port, for tests that need their own settings.
pub async fn serve(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, router(state)).await.expect("serve");
    });
    addr
}

/// A script's client for a new admin account (`root`), through an API token.
pub async fn admin_client(db: &DatabaseConnection) -> reqwest::Client {
    let admin = swipeset_core::accounts::users::create(
        db,
        "root",
        PASSWORD,
        swipeset_core::accounts::Role::Admin,
    )
    .await
    .expect("admin");
    let (_, token) = swipeset_core::accounts::tokens::create(db, admin.id, "test")
        .await
        .expect("token");
    bearer_client(&token)
}

/// A script's client: no cookies, an `Authorization: Bearer` token on every request, and
/// redirects left for the test to see.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

/// A client that keeps cookies like a browser. Every request has a deadline, so a response
/// that never finishes fails its test with a message instead of hanging the suite.
pub fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

/// A campaign with one prompt and one response, both as given, for tests that need exact
/// text (escaping). Returns the generation id.
pub async fn seed_single_card(
    db: &DatabaseConnection,
    slug: &str,
    prompt: &str,
    response: &str,
) -> i32 {
    use swipeset_core::campaign::NewCampaign;
    use swipeset_core::campaign::models;
    use swipeset_core::campaign::prompts;
    use swipeset_core::campaign::responses::{self, NewResponse};
    let campaign =
        swipeset_core::campaign::create(db, NewCampaign::new(slug, format!("Campaign {slug}")))
            .await
            .expect("campaign");
    let model = models::ensure(db, &format!("{slug} model"), &format!("{slug}/model"))
        .await
        .expect("model");
    let prompt = prompts::add(db, campaign.id, prompt, None, None)
        .await
        .expect("prompt");
    responses::add_many(
        db,
        campaign.id,
        vec![NewResponse::for_prompt(&prompt, model.id, response)],
    )
    .await
    .expect("generation");
    let card = swipeset_core::rating::deal::peek(db, &campaign, None)
        .await
        .expect("next card")
        .expect("the new card");
    card.response_id
}

/// A server that takes the client's address from `X-Forwarded-For`, as behind a proxy, so
/// one test can speak from several addresses.
pub async fn server_behind_proxy() -> (TestDb, TestServer) {
    let auth = swipeset_server::auth::AuthConfig {
        trust_proxy: true,
        ..swipeset_server::auth::AuthConfig::default()
    };
    server_with(&Backend::Sqlite, auth).await
}

/// The demo and an annotator `ada` (password `PASSWORD`), served with these sign-in
/// settings.
pub async fn server_with(
    backend: &Backend,
    auth: swipeset_server::auth::AuthConfig,
) -> (TestDb, TestServer) {
    let test_db = backend.fresh().await;
    swipeset_core::campaign::demo::load(&test_db.db)
        .await
        .expect("demo");
    swipeset_core::accounts::users::create(
        &test_db.db,
        "ada",
        PASSWORD,
        swipeset_core::accounts::Role::Annotator,
    )
    .await
    .unwrap();
    let server = TestServer::start_with(
        test_db.db.clone(),
        std::path::Path::new("target/site"),
        auth,
    )
    .await;
    (test_db, server)
}

pub async fn sign_in_from(
    server: &TestServer,
    address: &str,
    password: &str,
) -> (reqwest::StatusCode, Option<String>) {
    let res = reqwest::Client::new()
        .post(server.url("/api/sign_in"))
        .header("x-forwarded-for", address)
        .json(&serde_json::json!({"name": "ada", "password": password}))
        .send()
        .await
        .unwrap();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (res.status(), retry)
}
