//! Where sign-in is limited to organisations, an account linked to the provider is governed
//! by it (`swipeset_core::accounts::membership`): its sessions, tokens and password stop
//! working once its last provider sign-in is older than the configured time, and it cannot
//! give itself a password. Before, a member who left kept a password and tokens for good.

mod common;

use chrono::{Duration, Utc};
use common::{Backend, TestServer, bearer_client};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::json;
use swipeset_core::accounts::membership::MembershipRule;
use swipeset_core::accounts::tokens;
use swipeset_core::accounts::users::{self, OidcIdentity};
use swipeset_core::db::entities::user;
use swipeset_server::auth::AuthConfig;

fn rule() -> MembershipRule {
    MembershipRule {
        provider: "Hugging Face".into(),
        orgs: vec!["swipe-org".into()],
        valid_for: Duration::hours(24),
    }
}

async fn server(membership: Option<MembershipRule>) -> (common::TestDb, TestServer) {
    let auth = AuthConfig {
        membership,
        ..AuthConfig::default()
    };
    common::server_with(&Backend::Sqlite, auth).await
}

async fn provider_account(db: &sea_orm::DatabaseConnection) -> user::Model {
    users::oidc_sign_in(
        db,
        &OidcIdentity {
            issuer: "https://huggingface.co".into(),
            subject: "42".into(),
            preferred_username: Some("hfuser".into()),
        },
    )
    .await
    .expect("provider sign-in")
}

async fn confirmed_hours_ago(db: &sea_orm::DatabaseConnection, user: &user::Model, hours: i64) {
    let mut row: user::ActiveModel = user.clone().into();
    row.oidc_checked_at = Set(Some(Utc::now() - Duration::hours(hours)));
    row.update(db).await.expect("update");
}

#[tokio::test]
async fn a_token_works_while_the_membership_is_vouched_for() {
    let (db, server) = server(Some(rule())).await;
    let user = provider_account(&db.db).await;
    let (_, token) = tokens::create(&db.db, user.id, "script").await.unwrap();
    let script = bearer_client(&token);
    let me = script.get(server.url("/api/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    confirmed_hours_ago(&db.db, &user, 25).await;
    let me = script.get(server.url("/api/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = me.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("sign in with Hugging Face again to confirm that you belong to swipe-org"),
        "{body}"
    );
}

#[tokio::test]
async fn sessions_and_passwords_lapse_with_the_membership() {
    let (db, server) = server(Some(rule())).await;
    let user = provider_account(&db.db).await;
    // An admin gave the account a password.
    users::set_password(&db.db, user.id, common::PASSWORD)
        .await
        .unwrap();
    let browser = server.other_browser();
    let sign_in = || {
        browser
            .post(server.url("/api/sign_in"))
            .json(&json!({"name": user.name, "password": common::PASSWORD}))
            .send()
    };
    assert_eq!(sign_in().await.unwrap().status(), StatusCode::OK);
    let me = server.get_json(&browser, "/api/me").await;
    assert_eq!(me["user"]["name"], user.name.as_str());

    confirmed_hours_ago(&db.db, &user, 25).await;
    let me = server.get_json(&browser, "/api/me").await;
    assert!(me["user"].is_null(), "the session stands for nobody: {me}");
    let again = sign_in().await.unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = again.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Hugging Face again"),
        "{body}"
    );

    // A provider sign-in vouches again.
    provider_account(&db.db).await;
    assert_eq!(sign_in().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_provider_account_cannot_give_itself_a_password() {
    let (db, server) = server(Some(rule())).await;
    let user = provider_account(&db.db).await;
    let (_, token) = tokens::create(&db.db, user.id, "script").await.unwrap();
    let (status, body) = server
        .post_json(
            &bearer_client(&token),
            "/api/change_password",
            json!({"current_password": "", "new_password": "a brand new password"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot have a password here"),
        "{body}"
    );
}

#[tokio::test]
async fn without_an_organisation_limit_nothing_lapses() {
    let (db, server) = server(None).await;
    let user = provider_account(&db.db).await;
    confirmed_hours_ago(&db.db, &user, 24 * 400).await;
    let (_, token) = tokens::create(&db.db, user.id, "script").await.unwrap();
    let me = bearer_client(&token)
        .get(server.url("/api/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}
