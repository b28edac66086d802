//! What protects signed-in users in a browser: the session and guest cookies' attributes,
//! sessions that end on the server, cross-site requests refused, the security headers with
//! a nonce that matches the page's scripts (and HSTS under https), replies with tokens or
//! accounts kept out of caches, and the sign-in throttle over HTTP.

mod common;

use common::{Backend, PASSWORD, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use swipeset_server::auth::AuthConfig;
use swipeset_server::auth::sessions::CookiePolicy;

async fn server() -> (common::TestDb, TestServer) {
    server_on(&Backend::Sqlite).await
}

async fn server_on(backend: &Backend) -> (common::TestDb, TestServer) {
    common::server_with(backend, AuthConfig::default()).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn sign_in(server: &TestServer, client: &reqwest::Client) -> reqwest::Response {
    client
        .post(server.url("/api/sign_in"))
        .json(&json!({"name": "ada", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax_and_signing_out_ends_it_on_the_server() {
    // Sessions live in the database: once per backend.
    for backend in common::backends() {
        session_story(&backend).await;
    }
}

async fn session_story(backend: &Backend) {
    let (_db, server) = server_on(backend).await;
    let browser = client();
    let res = sign_in(&server, &browser).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("swipeset_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let stolen = cookie.split(';').next().unwrap().to_string();

    // The same cookie, replayed by someone else, works while the session lives...
    let thief = reqwest::Client::new();
    let me = |c: reqwest::Client| {
        let url = server.url("/api/me");
        let stolen = stolen.clone();
        async move {
            let res = c.get(url).header("cookie", stolen).send().await.unwrap();
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    assert_eq!(me(thief.clone()).await["user"]["name"], "ada");
    // ...and not after sign-out: the session is gone from the store, not just the browser.
    let res = browser
        .post(server.url("/api/sign_out"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(me(thief).await["user"].is_null());
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions() {
    let (_db, server) = server().await;
    let phone = client();
    let laptop = client();
    sign_in(&server, &phone).await;
    sign_in(&server, &laptop).await;
    let res = laptop
        .post(server.url("/api/change_password"))
        .json(&json!({"current_password": PASSWORD, "new_password": "a brand new password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let who = |c: &reqwest::Client| {
        let req = c.get(server.url("/api/me"));
        async move {
            req.send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        who(&laptop).await["user"]["name"],
        "ada",
        "this session goes on"
    );
    assert!(who(&phone).await["user"].is_null(), "the other one ended");
}

#[tokio::test]
async fn a_cross_site_post_is_refused_and_stores_nothing() {
    let (_db, server) = server().await;
    let browser = client();
    sign_in(&server, &browser).await;
    let dealt: serde_json::Value = browser
        .post(server.url("/api/next_cards"))
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"count": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = dealt["cards"][0]["response_id"].as_i64().unwrap();
    for (header, value) in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
    ] {
        let res = browser
            .post(server.url("/api/rate"))
            .header(header, value)
            .json(&json!({"response_id": id, "label": "up"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{header}: {value}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("cross-site request refused"),
            "{body}"
        );
    }
    let progress: serde_json::Value = browser
        .get(server.url("/api/progress"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(progress["rated_by_you"], 0);
    // From its own pages the same request goes through.
    let res = browser
        .post(server.url("/api/rate"))
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"response_id": id, "label": "up"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_their_scripts_the_nonce() {
    let (_db, server) = server().await;
    let res = reqwest::get(server.url("/leaderboard")).await.unwrap();
    let headers = res.headers().clone();
    let csp = headers
        .get("content-security-policy")
        .expect("a CSP")
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("'unsafe-inline'; ") || csp.contains("style-src-attr 'unsafe-inline'"));
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    let html = res.text().await.unwrap();
    let scripts = html.matches("<script").count();
    let with_nonce = html.matches(&format!("nonce=\"{nonce}\"")).count();
    assert!(scripts > 0);
    assert_eq!(
        scripts, with_nonce,
        "every script of the page carries this response's nonce"
    );
    let again = reqwest::get(server.url("/leaderboard")).await.unwrap();
    assert!(
        !again.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(nonce),
        "a nonce is used once"
    );
    // The rating page and the service worker (a worker: the policy governs it) have a
    // policy; the bundle's files go without (a document's policy covers what it loads).
    for path in ["/", "/sw.js"] {
        let res = reqwest::get(server.url(path)).await.unwrap();
        assert!(
            res.headers().contains_key("content-security-policy"),
            "{path}"
        );
    }
    for path in ["/pkg/rater.js", "/pkg/rater_bg.wasm", "/pkg/rater.css"] {
        let res = reqwest::get(server.url(path)).await.unwrap();
        assert!(
            !res.headers().contains_key("content-security-policy"),
            "{path}"
        );
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
    }
}

#[tokio::test]
async fn sign_in_is_throttled_per_account_over_http() {
    let (_db, server) = server().await;
    let c = reqwest::Client::new();
    let attempt = |password: &'static str| {
        c.post(server.url("/api/sign_in"))
            .json(&json!({"name": "ada", "password": password}))
            .send()
    };
    for _ in 0..5 {
        let res = attempt("wrong password").await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = attempt(PASSWORD).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
}

/// Failures from one address used to lock the account for everyone for 15 minutes.
#[tokio::test]
async fn a_guesser_cannot_lock_the_owner_out() {
    let (_db, server) = common::server_behind_proxy().await;
    for _ in 0..5 {
        let (status, _) = common::sign_in_from(&server, "198.51.100.1", "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = common::sign_in_from(&server, "198.51.100.1", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser's address waits"
    );
    let (status, _) = common::sign_in_from(&server, "192.0.2.7", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "the owner, elsewhere, signs in");

    // Guesses spread over many addresses slow new addresses down, not the owner's own: five
    // more make the ten the account allows before that.
    for i in 2..7 {
        common::sign_in_from(&server, &format!("198.51.100.{i}"), "wrong password").await;
    }
    let (status, retry) = common::sign_in_from(&server, "198.51.100.50", "wrong password").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the eleventh is still checked"
    );
    assert!(retry.is_none());
    let (status, retry) = common::sign_in_from(&server, "198.51.100.51", "wrong password").await;
    assert_eq!(
        (status, retry.as_deref()),
        (StatusCode::TOO_MANY_REQUESTS, Some("1")),
        "a new address waits a second"
    );
    let (status, _) = common::sign_in_from(&server, "192.0.2.7", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "the owner's address does not wait");
}

/// A name no account can have is refused without storing it.
#[tokio::test]
async fn impossible_names_are_not_stored() {
    let (db, server) = common::server_behind_proxy().await;
    let long = "x".repeat(10_000);
    let res = reqwest::Client::new()
        .post(server.url("/api/sign_in"))
        .json(&json!({"name": long, "password": "whatever password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    use sea_orm::EntityTrait;
    let rows = swipeset_core::db::entities::sign_in_attempt::Entity::find()
        .all(&db.db)
        .await
        .unwrap();
    assert!(rows.is_empty(), "{rows:?}");
}

/// A server whose public URL is `public_url`, with guests, as `serve` would configure it.
async fn server_at(public_url: &str, cross_site: bool) -> (common::TestDb, TestServer) {
    let auth = AuthConfig {
        guests: true,
        public_origin: Some(public_url.to_string()),
        cookie: CookiePolicy {
            secure: public_url.starts_with("https://"),
            cross_site,
        },
        ..AuthConfig::default()
    };
    common::server_with(&Backend::Sqlite, auth).await
}

/// The `Set-Cookie` line of `name` in `res`.
fn set_cookie(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("a {name} cookie"))
        .to_string()
}

/// The cookie's `SameSite=…` attribute.
fn same_site(cookie: &str) -> &str {
    cookie
        .split("; ")
        .find(|a| a.starts_with("SameSite="))
        .unwrap_or_else(|| panic!("SameSite in {cookie}"))
}

#[tokio::test]
async fn under_https_the_guest_cookie_is_secure_and_as_same_site_as_the_session() {
    for (public_url, cross_site, secure, expected_same_site) in [
        ("https://swipeset.example", false, true, "SameSite=Lax"),
        ("https://me-swipeset.hf.space", true, true, "SameSite=None"),
        ("http://127.0.0.1:3000", false, false, "SameSite=Lax"),
    ] {
        let (_db, server) = server_at(public_url, cross_site).await;
        let page = reqwest::get(server.url("/")).await.unwrap();
        let guest = set_cookie(&page, "swipeset_annotator");
        let session = set_cookie(&sign_in(&server, &client()).await, "swipeset_session");
        assert_eq!(guest.contains("; Secure"), secure, "{public_url}: {guest}");
        assert_eq!(
            session.contains("; Secure"),
            secure,
            "{public_url}: {session}"
        );
        assert_eq!(
            same_site(&guest),
            expected_same_site,
            "{public_url}: {guest}"
        );
        assert_eq!(same_site(&guest), same_site(&session), "{public_url}");
        assert!(guest.contains("HttpOnly"), "{guest}");
    }
}

#[tokio::test]
async fn under_https_every_response_carries_hsts() {
    for (public_url, expected) in [
        ("https://swipeset.example", Some("max-age=31536000")),
        ("http://127.0.0.1:3000", None),
    ] {
        let (_db, server) = server_at(public_url, false).await;
        for path in ["/", "/api/leaderboard", "/healthz", "/no/such/page"] {
            let res = reqwest::get(server.url(path)).await.unwrap();
            let hsts = res
                .headers()
                .get(reqwest::header::STRICT_TRANSPORT_SECURITY)
                .map(|v| v.to_str().unwrap().to_string());
            assert_eq!(hsts.as_deref(), expected, "{public_url}{path}");
        }
    }
}

#[tokio::test]
async fn replies_that_carry_tokens_or_accounts_are_never_cached() {
    let (_db, server) = server().await;
    let admin = server.signed_in("admin").await;
    let cache_control = |res: &reqwest::Response| {
        res.headers()
            .get(reqwest::header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_string())
    };
    for path in ["/api/me", "/api/tokens", "/api/users"] {
        let res = admin.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(cache_control(&res).as_deref(), Some("no-store"), "{path}");
    }
    let created = admin
        .post(server.url("/api/create_token"))
        .json(&json!({"name": "notebook"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::OK);
    assert_eq!(cache_control(&created).as_deref(), Some("no-store"));
    let signed_in = sign_in(&server, &client()).await;
    assert_eq!(cache_control(&signed_in).as_deref(), Some("no-store"));
    // Only those: a board is public data.
    let board = admin
        .get(server.url("/api/leaderboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(board.status(), StatusCode::OK);
    assert_eq!(cache_control(&board), None);
}
