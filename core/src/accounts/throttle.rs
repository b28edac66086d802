//! Throttling of password guessing: failed sign-ins are counted per IP address and per
//! account name in fixed windows, in the database so that every replica sees the same
//! counts. Once a key reaches its limit, sign-ins under it are refused (429) until the
//! window ends, whether or not the password would be right.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::db::entities::sign_in_failure;
use crate::{CoreError, CoreResult};

/// How many failures a key may have in one window.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_account: i32,
    pub per_ip: i32,
    pub window: Duration,
}

impl Default for Limits {
    /// Five wrong passwords per account and thirty per address in fifteen minutes: room
    /// for typos, far too little for guessing.
    fn default() -> Self {
        Self {
            per_account: 5,
            per_ip: 30,
            window: Duration::minutes(15),
        }
    }
}

fn keys(ip: Option<&str>, account: &str) -> Vec<(String, bool)> {
    let mut keys = vec![(format!("user:{}", account.to_lowercase()), true)];
    if let Some(ip) = ip {
        keys.push((format!("ip:{ip}"), false));
    }
    keys
}

/// Refuses with `Throttled` when the account or the address has used up its failures.
pub async fn check(
    db: &impl ConnectionTrait,
    limits: Limits,
    ip: Option<&str>,
    account: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    for (key, is_account) in keys(ip, account) {
        let Some(row) = sign_in_failure::Entity::find_by_id(key).one(db).await? else {
            continue;
        };
        let limit = if is_account {
            limits.per_account
        } else {
            limits.per_ip
        };
        let ends = row.window_start + limits.window;
        if row.failures >= limit && ends > now {
            return Err(CoreError::Throttled {
                retry_after_secs: (ends - now).num_seconds().max(1) as u64,
            });
        }
    }
    Ok(())
}

/// Counts a failure against the account and the address, starting a new window where the
/// last one has ended. One statement per key, so concurrent failures all count.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    limits: Limits,
    ip: Option<&str>,
    account: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    use sign_in_failure::Column;
    let cutoff = now - limits.window;
    for (key, _) in keys(ip, account) {
        let expired = Expr::col((sign_in_failure::Entity, Column::WindowStart)).lt(cutoff);
        let on_conflict = OnConflict::column(Column::Key)
            .value(
                Column::Failures,
                CaseStatement::new()
                    .case(expired.clone(), Expr::value(1))
                    .finally(Expr::col((sign_in_failure::Entity, Column::Failures)).add(1)),
            )
            .value(
                Column::WindowStart,
                CaseStatement::new()
                    .case(expired, Expr::value(now))
                    .finally(Expr::col((sign_in_failure::Entity, Column::WindowStart))),
            )
            .to_owned();
        sign_in_failure::Entity::insert(sign_in_failure::ActiveModel {
            key: Set(key),
            failures: Set(1),
            window_start: Set(now),
        })
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Forgets an account's failures after it signs in; the address keeps its count.
pub async fn clear_account(db: &impl ConnectionTrait, account: &str) -> CoreResult<()> {
    sign_in_failure::Entity::delete_many()
        .filter(sign_in_failure::Column::Key.eq(format!("user:{}", account.to_lowercase())))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_db;

    #[tokio::test]
    async fn the_limit_holds_for_the_window_then_lifts() {
        let db = fresh_db().await;
        let limits = Limits::default();
        let t0 = Utc::now();
        for i in 0..5 {
            check(&db, limits, Some("10.0.0.1"), "ada", t0)
                .await
                .unwrap();
            record_failure(
                &db,
                limits,
                Some("10.0.0.1"),
                "ada",
                t0 + Duration::seconds(i),
            )
            .await
            .unwrap();
        }
        let refused = check(
            &db,
            limits,
            Some("10.0.0.2"),
            "Ada",
            t0 + Duration::minutes(1),
        )
        .await
        .unwrap_err();
        match refused {
            CoreError::Throttled { retry_after_secs } => {
                assert!(
                    (800..=840).contains(&retry_after_secs),
                    "{retry_after_secs}"
                )
            }
            other => panic!("{other}"),
        }
        check(
            &db,
            limits,
            Some("10.0.0.1"),
            "bob",
            t0 + Duration::minutes(1),
        )
        .await
        .expect("the address has failures left for other accounts");
        check(
            &db,
            limits,
            Some("10.0.0.1"),
            "ada",
            t0 + Duration::minutes(16),
        )
        .await
        .expect("the window ended");
        record_failure(&db, limits, None, "ada", t0 + Duration::minutes(16))
            .await
            .unwrap();
        let row = sign_in_failure::Entity::find_by_id("user:ada".to_string())
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.failures, 1, "a new window starts from one");
    }

    #[tokio::test]
    async fn an_address_is_limited_across_accounts() {
        let db = fresh_db().await;
        let limits = Limits {
            per_ip: 3,
            ..Limits::default()
        };
        let now = Utc::now();
        for name in ["a", "b", "c"] {
            record_failure(&db, limits, Some("10.0.0.9"), name, now)
                .await
                .unwrap();
        }
        assert!(matches!(
            check(&db, limits, Some("10.0.0.9"), "d", now).await,
            Err(CoreError::Throttled { .. })
        ));
        clear_account(&db, "a").await.unwrap();
        assert!(
            check(&db, limits, Some("10.0.0.9"), "a", now)
                .await
                .is_err()
        );
    }
}
