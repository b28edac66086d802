use super::*;
use crate::testing::fresh_db;

async fn store() -> Store {
    Store::new(fresh_db().await)
}

fn throttled(result: CoreResult<Attempt>) -> Option<u64> {
    match result {
        Err(CoreError::Throttled { retry_after_secs }) => Some(retry_after_secs),
        Ok(_) => None,
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_guesser_at_one_address_stops_and_the_owner_elsewhere_goes_on() {
    let store = store().await;
    let limits = Limits::default();
    let t0 = Utc::now();
    for i in 0..5 {
        attempt(
            &store,
            limits,
            Some("10.0.0.1"),
            "ada",
            t0 + Duration::seconds(i),
        )
        .await
        .expect("five tries");
    }
    let wait = throttled(
        attempt(
            &store,
            limits,
            Some("10.0.0.1"),
            "Ada",
            t0 + Duration::minutes(1),
        )
        .await,
    )
    .expect("the sixth from there waits");
    assert!((800..=840).contains(&wait), "until the window ends: {wait}");

    let owner = attempt(
        &store,
        limits,
        Some("10.9.9.9"),
        "ada",
        t0 + Duration::minutes(1),
    )
    .await
    .expect("the owner, elsewhere, is not locked out");
    succeeded(&store, owner, t0 + Duration::minutes(1))
        .await
        .unwrap();

    attempt(
        &store,
        limits,
        Some("10.0.0.1"),
        "ada",
        t0 + Duration::minutes(16),
    )
    .await
    .expect("the window ended");
}

#[tokio::test]
async fn an_address_is_limited_across_accounts() {
    let store = store().await;
    let limits = Limits {
        per_ip: 3,
        ..Limits::default()
    };
    let now = Utc::now();
    for name in ["a", "b", "c"] {
        attempt(&store, limits, Some("10.0.0.9"), name, now)
            .await
            .unwrap();
    }
    assert!(throttled(attempt(&store, limits, Some("10.0.0.9"), "d", now).await).is_some());
    assert!(
        throttled(attempt(&store, limits, Some("10.0.0.8"), "d", now).await).is_none(),
        "another address is not"
    );
}

#[tokio::test]
async fn a_right_password_gives_its_attempt_back() {
    let store = store().await;
    let limits = Limits {
        per_ip: 3,
        ..Limits::default()
    };
    let now = Utc::now();
    // Many people behind one address (a campus, a proxy) signing in rightly never use up
    // the address's allowance.
    for name in ["a", "b", "c", "d", "e", "a", "b"] {
        let counted = attempt(&store, limits, Some("10.0.0.7"), name, now)
            .await
            .expect("right passwords are not throttled");
        succeeded(&store, counted, now).await.unwrap();
    }
}

#[tokio::test]
async fn many_addresses_at_one_account_slow_down_but_never_lock_its_owner_out() {
    let store = store().await;
    let limits = Limits::default();
    let t0 = Utc::now();
    // The owner signed in from home once.
    let home = attempt(&store, limits, Some("192.0.2.1"), "ada", t0)
        .await
        .unwrap();
    succeeded(&store, home, t0).await.unwrap();

    // Ten guesses from ten addresses go through at once.
    for i in 0..10 {
        attempt(&store, limits, Some(&format!("198.51.100.{i}")), "ada", t0)
            .await
            .expect("the account's free attempts");
    }
    // The eleventh counts and makes the next new address wait a second, then two.
    attempt(&store, limits, Some("198.51.100.10"), "ada", t0)
        .await
        .unwrap();
    assert_eq!(
        throttled(attempt(&store, limits, Some("198.51.100.11"), "ada", t0).await),
        Some(1)
    );
    let t1 = t0 + Duration::seconds(1);
    attempt(&store, limits, Some("198.51.100.11"), "ada", t1)
        .await
        .unwrap();
    assert_eq!(
        throttled(attempt(&store, limits, Some("198.51.100.12"), "ada", t1).await),
        Some(2)
    );
    // A refused attempt does not push the next chance further away.
    assert_eq!(
        throttled(
            attempt(
                &store,
                limits,
                Some("198.51.100.13"),
                "ada",
                t1 + Duration::seconds(1)
            )
            .await
        ),
        Some(1)
    );
    // Home is not slowed at all.
    let home = attempt(&store, limits, Some("192.0.2.1"), "ada", t1)
        .await
        .expect("a known address");
    succeeded(&store, home, t1).await.unwrap();
    // Past the cap, a new address waits a minute at most.
    let mut now = t1 + Duration::seconds(2);
    for i in 0..10 {
        now += Duration::minutes(1);
        attempt(&store, limits, Some(&format!("203.0.113.{i}")), "ada", now)
            .await
            .expect("a minute apart always goes through");
    }
}

#[tokio::test]
async fn concurrent_guesses_cannot_overrun_the_limit() {
    let store = store().await;
    let limits = Limits::default();
    let now = Utc::now();
    let tries = (0..60).map(|_| attempt(&store, limits, Some("10.0.0.3"), "root", now));
    let results = futures_util::future::join_all(tries).await;
    let counted = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.into_iter().filter_map(throttled).count();
    assert_eq!((counted, refused), (5, 55));
}

#[tokio::test]
async fn old_rows_are_swept() {
    let store = store().await;
    let limits = Limits::default();
    let t0 = Utc::now();
    let counted = attempt(&store, limits, Some("10.0.0.4"), "ada", t0)
        .await
        .unwrap();
    succeeded(&store, counted, t0).await.unwrap();
    attempt(&store, limits, Some("10.0.0.5"), "bob", t0)
        .await
        .unwrap();
    let db = store.db();
    sweep_old(db, limits, t0 + Duration::minutes(16))
        .await
        .unwrap();
    assert_eq!(
        sign_in_attempt::Entity::find().all(db).await.unwrap(),
        vec![],
        "every window is over"
    );
    assert_eq!(
        sign_in_known::Entity::find().all(db).await.unwrap().len(),
        1
    );
    sweep_old(db, limits, t0 + Duration::days(91))
        .await
        .unwrap();
    assert_eq!(sign_in_known::Entity::find().all(db).await.unwrap(), vec![]);
}

#[test]
fn the_delay_doubles_up_to_its_cap() {
    let max = Duration::minutes(1);
    let secs: Vec<i64> = (1..=8).map(|n| delay(n, max).num_seconds()).collect();
    assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60]);
    assert_eq!(delay(1_000, max), max);
}
