//! Guests: where an instance lets people rate without an account (`serve --guests`), each
//! browser is one annotator, known by a random identity cookie; only the cookie's SHA-256
//! is stored, so a database leak does not let anyone rate as someone else.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use crate::db::entities::{guest_origin, user};
use crate::db::keyed::locked_or_inserted;
use crate::db::store::{Store, Write, WriteJob};
use crate::sync::Every;
use crate::{CoreError, CoreResult};

/// The hash stored in `user.browser_key` for a browser identity cookie.
pub fn browser_key(cookie_value: &str) -> String {
    hex::encode(Sha256::digest(cookie_value.as_bytes()))
}

/// How many new guests one client address may make: a script without cookies makes a new
/// guest with every rating, and would otherwise fill every slot of a campaign in seconds.
/// Each window is fixed: it starts with the address's first new guest and the count starts
/// again when it ends. A returning browser is never counted, whatever its address.
///
/// People who share an address (a classroom, an office, a phone network's carrier NAT) share
/// the limit too, so the defaults leave room for a room full of people arriving at once; an
/// event behind one address raises them (`serve --new-guests-per-hour`,
/// `--new-guests-per-day`), and accounts are never limited this way. Behind a proxy the
/// server must be told to trust its `X-Forwarded-For` (`--trust-proxy`, on by default on a
/// Space), or every guest shares the proxy's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestLimits {
    pub per_hour: u32,
    pub per_day: u32,
}

impl Default for GuestLimits {
    fn default() -> Self {
        Self {
            per_hour: 60,
            per_day: 300,
        }
    }
}

/// Guests' ids by browser key, as this process has seen them, and the limits on making new
/// ones. A guest's row keeps its key for good, so an id found once stays right;
/// remembering it saves a query on every request of the rating path.
#[derive(Debug)]
pub struct GuestIds {
    known: Mutex<HashMap<String, i32>>,
    limits: GuestLimits,
    /// Old per-address counts are deleted at most once a minute.
    sweep: Every,
}

impl Default for GuestIds {
    fn default() -> Self {
        Self::new(GuestLimits::default())
    }
}

/// The most guests remembered; past it the memory starts again empty (a few MB at most).
const GUEST_IDS: usize = 100_000;

/// Where the client's address is unknown (no socket address, an untrusted proxy), its
/// guests are counted under this one key.
const UNKNOWN_ADDRESS: &str = "unknown";

impl GuestIds {
    pub fn new(limits: GuestLimits) -> Self {
        Self {
            known: Mutex::default(),
            limits,
            sweep: Every::new(Duration::minutes(1)),
        }
    }

    /// The id of the annotator behind a browser identity, created on first use (see
    /// `browser_annotator`) unless `address` has made its share of new guests
    /// (`GuestLimits`; refused as `CoreError::RateLimited`). The creation is a write of the
    /// rating path like the others, so it goes to the store's writer: on SQLite, an insert
    /// on a pooled connection of its own waited for the database's write lock behind the
    /// writer's batches, and a new rater's first card took seconds under load (issue 20).
    pub async fn id(
        &self,
        store: &Store,
        cookie_value: &str,
        address: Option<&str>,
        now: DateTime<Utc>,
    ) -> CoreResult<i32> {
        let key = browser_key(cookie_value);
        if let Some(&id) = self.lock().get(&key) {
            return Ok(id);
        }
        // A returning browser (this process restarted, or another replica saw it first)
        // is a read, off the writer.
        let id = match find_browser_annotator(store.db(), cookie_value).await? {
            Some(user) => user.id,
            None => {
                let job = NewGuest {
                    cookie: cookie_value.to_string(),
                    address: address.unwrap_or(UNKNOWN_ADDRESS).to_string(),
                    limits: self.limits,
                    now,
                    sweep: self.sweep.due(now),
                };
                store
                    .run(job)
                    .await?
                    .map_err(|retry_after_secs| CoreError::RateLimited {
                        what: "too many new guests from your network (sign in to rate without \
                               this limit)",
                        retry_after_secs,
                    })?
                    .id
            }
        };
        let mut known = self.lock();
        if known.len() >= GUEST_IDS {
            known.clear();
        }
        known.insert(key, id);
        Ok(id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, i32>> {
        crate::sync::lock(&self.known)
    }
}

/// Makes (or finds) a browser's annotator, as one job of the store's writer, counting it
/// against its address's windows.
#[derive(Clone)]
struct NewGuest {
    cookie: String,
    address: String,
    limits: GuestLimits,
    now: DateTime<Utc>,
    sweep: bool,
}

/// The windows new guests are counted in: (key prefix, length, limit).
fn windows(limits: GuestLimits) -> [(&'static str, Duration, u32); 2] {
    [
        ("hour", Duration::hours(1), limits.per_hour),
        ("day", Duration::days(1), limits.per_day),
    ]
}

impl WriteJob for NewGuest {
    /// The annotator, or the seconds until the address may make another.
    type Output = Result<user::Model, u64>;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<Self::Output>> {
        let Self {
            cookie,
            address,
            limits,
            now,
            sweep,
        } = self;
        if sweep {
            guest_origin::Entity::delete_many()
                .filter(guest_origin::Column::WindowStart.lte(now - Duration::days(1)))
                .exec(txn)
                .await?;
        }
        // Two first requests of one browser: the second finds the first's guest, uncounted.
        if let Some(user) = find_browser_annotator(txn, &cookie).await? {
            return Ok(Write::Commit(Ok(user)));
        }
        let mut counts = Vec::new();
        for (window, length, limit) in windows(limits) {
            let key = format!("{window}|{address}");
            let fresh = guest_origin::ActiveModel {
                key: Set(key.clone()),
                minted: Set(0),
                window_start: Set(now),
            };
            let row = locked_or_inserted(txn, fresh, guest_origin::Column::Key, &key).await?;
            let (minted, window_start) = if row.window_start + length <= now {
                (0, now)
            } else {
                (row.minted, row.window_start)
            };
            if i64::from(minted) >= i64::from(limit) {
                let secs = (window_start + length - now).num_seconds().max(1) as u64;
                return Ok(Write::Discard(Err(secs)));
            }
            counts.push(guest_origin::ActiveModel {
                key: Set(key),
                minted: Set(minted + 1),
                window_start: Set(window_start),
            });
        }
        for count in counts {
            guest_origin::Entity::update(count).exec(txn).await?;
        }
        Ok(Write::Commit(Ok(browser_annotator(txn, &cookie).await?)))
    }
}

/// The annotator behind a browser identity, if it has rated anything yet. Looking does not
/// create a row, so crawlers and one-off visits leave no trace.
pub async fn find_browser_annotator(
    db: &impl ConnectionTrait,
    cookie_value: &str,
) -> CoreResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::BrowserKey.eq(browser_key(cookie_value)))
        .one(db)
        .await?)
}

/// The annotator behind a browser identity, created on first use. Safe under concurrency:
/// two first requests from one browser create one row.
pub async fn browser_annotator(
    db: &impl ConnectionTrait,
    cookie_value: &str,
) -> CoreResult<user::Model> {
    // Looking first keeps the common case (a returning browser) a read: an insert, even
    // one that conflicts and writes nothing, would take the database's write lock on
    // every request.
    if let Some(user) = find_browser_annotator(db, cookie_value).await? {
        return Ok(user);
    }
    let key = browser_key(cookie_value);
    let row = user::ActiveModel {
        name: Set(format!("guest-{}", &key[..12])),
        role: Set("annotator".to_string()),
        disabled: Set(false),
        browser_key: Set(Some(key.clone())),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    user::Entity::insert(row)
        .on_conflict(
            OnConflict::column(user::Column::BrowserKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    user::Entity::find()
        .filter(user::Column::BrowserKey.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| crate::CoreError::not_found("annotator", "for this browser"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_db;

    #[tokio::test]
    async fn guest_ids_make_each_browser_once_through_the_writer() {
        let store = Store::new(fresh_db().await);
        let ids = GuestIds::default();
        let (a, again, b) = tokio::join!(
            ids.id(&store, "cookie-a", None, Utc::now()),
            ids.id(&store, "cookie-a", None, Utc::now()),
            ids.id(&store, "cookie-b", None, Utc::now())
        );
        let (a, again, b) = (a.unwrap(), again.unwrap(), b.unwrap());
        assert_eq!(
            a, again,
            "two first requests of one browser make one annotator"
        );
        assert_ne!(a, b);
        // Another process (nothing remembered) finds the same row.
        let elsewhere = GuestIds::default()
            .id(&store, "cookie-a", None, Utc::now())
            .await
            .unwrap();
        assert_eq!(elsewhere, a);
    }

    /// The seconds to wait, if the new guest was refused.
    async fn refused(
        ids: &GuestIds,
        store: &Store,
        cookie: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Option<u64> {
        match ids.id(store, cookie, Some(address), now).await {
            Ok(_) => None,
            Err(CoreError::RateLimited {
                retry_after_secs, ..
            }) => Some(retry_after_secs),
            Err(other) => panic!("unexpected error: {other}"),
        }
    }

    #[tokio::test]
    async fn an_address_makes_a_limited_number_of_new_guests() {
        let store = Store::new(fresh_db().await);
        let limits = GuestLimits {
            per_hour: 3,
            per_day: 5,
        };
        let start = Utc::now();
        let ids = GuestIds::new(limits);
        for n in 0..3 {
            let cookie = format!("script-{n}");
            assert_eq!(refused(&ids, &store, &cookie, "6.6.6.6", start).await, None);
        }
        // The fourth new guest in the hour waits for the hour's end, and nothing of it is
        // stored.
        let wait = refused(
            &ids,
            &store,
            "script-3",
            "6.6.6.6",
            start + Duration::minutes(10),
        )
        .await;
        assert_eq!(wait, Some(50 * 60));
        assert!(
            find_browser_annotator(store.db(), "script-3")
                .await
                .unwrap()
                .is_none()
        );
        // Others are not held up, and a guest made before comes back whatever its address
        // (another process, so nothing is remembered).
        assert_eq!(
            refused(&ids, &store, "neighbour", "7.7.7.7", start).await,
            None
        );
        assert_eq!(
            refused(&GuestIds::new(limits), &store, "script-0", "6.6.6.6", start).await,
            None
        );
        // The next hour allows two more (the day's 5), then the day's end is the wait.
        let later = start + Duration::minutes(61);
        for n in 3..5 {
            let cookie = format!("script-{n}");
            assert_eq!(refused(&ids, &store, &cookie, "6.6.6.6", later).await, None);
        }
        let wait = refused(&ids, &store, "script-5", "6.6.6.6", later).await;
        assert_eq!(
            wait,
            Some((Duration::days(1) - Duration::minutes(61)).num_seconds() as u64)
        );
        // A day on, the address starts again.
        let tomorrow = start + Duration::days(1) + Duration::seconds(1);
        assert_eq!(
            refused(&ids, &store, "script-5", "6.6.6.6", tomorrow).await,
            None
        );
    }

    #[tokio::test]
    async fn a_burst_of_new_guests_from_one_address_stops_at_the_limit() {
        let store = Store::new(fresh_db().await);
        let ids = GuestIds::new(GuestLimits {
            per_hour: 4,
            per_day: 100,
        });
        let now = Utc::now();
        let attempts = (0..20).map(|n| {
            let (ids, store) = (&ids, &store);
            async move { refused(ids, store, &format!("burst-{n}"), "6.6.6.6", now).await }
        });
        let outcomes = futures_util::future::join_all(attempts).await;
        assert_eq!(outcomes.iter().filter(|o| o.is_none()).count(), 4);
        let guests = user::Entity::find()
            .filter(user::Column::BrowserKey.is_not_null())
            .all(store.db())
            .await
            .unwrap();
        assert_eq!(guests.len(), 4, "a refused guest leaves no row");
    }

    #[tokio::test]
    async fn one_browser_is_one_annotator() {
        let db = fresh_db().await;
        assert!(
            find_browser_annotator(&db, "cookie-a")
                .await
                .unwrap()
                .is_none()
        );
        let a = browser_annotator(&db, "cookie-a").await.unwrap();
        let again = browser_annotator(&db, "cookie-a").await.unwrap();
        let b = browser_annotator(&db, "cookie-b").await.unwrap();
        assert_eq!(a.id, again.id);
        assert_ne!(a.id, b.id);
        assert_eq!(a.role, "annotator");
        assert_ne!(
            a.browser_key.as_deref(),
            Some("cookie-a"),
            "the raw cookie is never stored"
        );
        assert_eq!(
            find_browser_annotator(&db, "cookie-a")
                .await
                .unwrap()
                .map(|u| u.id),
            Some(a.id)
        );
    }
}
