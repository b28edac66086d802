//! The limits that keep an open crowd's campaign from being filled by a script: new guests
//! per client address, and requests per rater on the rating endpoints. Each would let the
//! script below through without its fix.

mod common;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use swipeset_core::accounts::guests::GuestLimits;
use swipeset_core::db::entities::{rating, user};
use swipeset_server::AppState;
use swipeset_server::auth::AuthConfig;

/// The demo on a server with guests on, behind a proxy it trusts (so each test request can
/// say which address it comes from), with these limits.
async fn server(
    db: sea_orm::DatabaseConnection,
    guests: GuestLimits,
    per_minute: u32,
    burst: u32,
) -> String {
    swipeset_core::campaign::demo::load(&db)
        .await
        .expect("demo");
    let auth = AuthConfig {
        guests: true,
        trust_proxy: true,
        ..Default::default()
    };
    let state = AppState::new(db, std::path::Path::new("target/site"))
        .with_auth(auth)
        .with_guest_limits(guests)
        .with_rating_limits(per_minute, burst);
    format!("http://{}", common::serve(state).await)
}

async fn guests(db: &sea_orm::DatabaseConnection) -> u64 {
    user::Entity::find()
        .filter(user::Column::BrowserKey.is_not_null())
        .count(db)
        .await
        .expect("count guests")
}

#[tokio::test]
async fn a_script_without_cookies_makes_few_guests_and_few_ratings() {
    for backend in common::backends() {
        let test_db = backend.fresh().await;
        let limits = GuestLimits {
            per_hour: 5,
            per_day: 50,
        };
        let base = server(test_db.db.clone(), limits, 300, 60).await;
        // What filled the demo with 👎 in seconds: deal a card, rate it, never keep a cookie.
        let script = reqwest::Client::new();
        let (mut rated, mut refused) = (0, 0);
        for _ in 0..40 {
            let dealt = script
                .post(format!("{base}/api/next_cards"))
                .header("x-forwarded-for", "6.6.6.6")
                .json(&json!({"campaign": "haiku-demo", "count": 1}))
                .send()
                .await
                .expect("deal");
            if dealt.status() == StatusCode::TOO_MANY_REQUESTS {
                let wait: u64 = dealt.headers()[RETRY_AFTER]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(
                    (1..=3600).contains(&wait),
                    "{backend:?}: Retry-After {wait}"
                );
                let body: serde_json::Value = dealt.json().await.unwrap();
                assert_eq!(body["code"], "too_many_requests");
                let message = body["message"].as_str().unwrap();
                assert!(message.contains("new guests"), "{message}");
                refused += 1;
                continue;
            }
            assert_eq!(dealt.status(), StatusCode::OK, "{backend:?}");
            let body: serde_json::Value = dealt.json().await.unwrap();
            let Some(card) = body["cards"].get(0) else {
                break;
            };
            let rate = script
                .post(format!("{base}/api/rate"))
                .header("x-forwarded-for", "6.6.6.6")
                .json(&json!({"response_id": card["response_id"], "label": "down"}))
                .send()
                .await
                .expect("rate");
            if rate.status() == StatusCode::OK {
                rated += 1;
            }
        }
        let stored = rating::Entity::find().count(&test_db.db).await.unwrap();
        assert!(guests(&test_db.db).await <= 5, "{backend:?}");
        assert!(
            stored <= 5 && rated <= 5,
            "{backend:?}: {stored} ratings stored"
        );
        assert!(refused >= 30, "{backend:?}: only {refused} refused");
        // A burst at once from a third address: exactly its share gets through, on
        // PostgreSQL too, where the requests race on their own connections.
        let burst = (0..20).map(|_| {
            let script = script.clone();
            let url = format!("{base}/api/next_cards");
            async move {
                script
                    .post(url)
                    .header("x-forwarded-for", "8.8.8.8")
                    .json(&json!({"campaign": "haiku-demo", "count": 1}))
                    .send()
                    .await
                    .expect("deal")
                    .status()
            }
        });
        let statuses = futures::future::join_all(burst).await;
        let made = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(made, 5, "{backend:?}: {statuses:?}");
        assert!(guests(&test_db.db).await <= 10, "{backend:?}");
        // Someone at another address is not held up.
        let neighbour = common::browser_client();
        let dealt = neighbour
            .post(format!("{base}/api/next_cards"))
            .header("x-forwarded-for", "7.7.7.7")
            .json(&json!({"campaign": "haiku-demo", "count": 1}))
            .send()
            .await
            .expect("deal");
        assert_eq!(dealt.status(), StatusCode::OK, "{backend:?}");
    }
}

#[tokio::test]
async fn one_rater_at_machine_speed_waits_and_nobody_else_does() {
    for backend in common::backends() {
        let test_db = backend.fresh().await;
        let base = server(test_db.db.clone(), GuestLimits::default(), 60, 4).await;
        let fast = common::browser_client();
        let progress = format!("{base}/api/progress?campaign=haiku-demo");
        for n in 0..4 {
            let res = fast.get(&progress).send().await.expect("progress");
            assert_eq!(res.status(), StatusCode::OK, "{backend:?}: request {n}");
        }
        let refused = fast.get(&progress).send().await.expect("progress");
        assert_eq!(
            refused.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{backend:?}"
        );
        assert_eq!(
            refused.headers()[RETRY_AFTER],
            "1",
            "one a second after the burst"
        );
        let body: serde_json::Value = refused.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("too many rating requests"),
            "{body}"
        );
        // A refused rating is not stored, and says so.
        let rate = fast
            .post(format!("{base}/api/rate"))
            .json(&json!({"response_id": 1, "label": "up"}))
            .send()
            .await
            .expect("rate");
        assert_eq!(rate.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(rating::Entity::find().count(&test_db.db).await.unwrap(), 0);
        // The rest of the site is not limited, nor is another rater at the same address.
        let board = fast
            .get(format!("{base}/api/leaderboard?campaign=haiku-demo"))
            .send()
            .await
            .expect("board");
        assert_eq!(board.status(), StatusCode::OK);
        let other = common::browser_client();
        let res = other.get(&progress).send().await.expect("progress");
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        // After the wait, the fast rater goes on.
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let res = fast.get(&progress).send().await.expect("progress");
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
    }
}
