//! Guests: where an instance lets people rate without an account (`serve --guests`), each
//! browser is one annotator, known by a random identity cookie; only the cookie's SHA-256
//! is stored, so a database leak does not let anyone rate as someone else.

use std::collections::HashMap;
use std::sync::Mutex;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use crate::CoreResult;
use crate::db::entities::user;
use crate::db::store::{Store, Write, WriteJob};

/// The hash stored in `user.browser_key` for a browser identity cookie.
pub fn browser_key(cookie_value: &str) -> String {
    hex::encode(Sha256::digest(cookie_value.as_bytes()))
}

/// Guests' ids by browser key, as this process has seen them. A guest's row keeps its key
/// for good, so an id found once stays right; remembering it saves a query on every
/// request of the rating path.
#[derive(Debug, Default)]
pub struct GuestIds(Mutex<HashMap<String, i32>>);

/// The most guests remembered; past it the memory starts again empty (a few MB at most).
const GUEST_IDS: usize = 100_000;

impl GuestIds {
    /// The id of the annotator behind a browser identity, created on first use (see
    /// `browser_annotator`). The creation is a write of the rating path like the others,
    /// so it goes to the store's writer: on SQLite, an insert on a pooled connection of its
    /// own waited for the database's write lock behind the writer's batches, and a new
    /// rater's first card took seconds under load (issue 20).
    pub async fn id(&self, store: &Store, cookie_value: &str) -> CoreResult<i32> {
        let key = browser_key(cookie_value);
        if let Some(&id) = self.lock().get(&key) {
            return Ok(id);
        }
        // A returning browser (this process restarted, or another replica saw it first)
        // is a read, off the writer.
        let id = match find_browser_annotator(store.db(), cookie_value).await? {
            Some(user) => user.id,
            None => store.run(NewGuest(cookie_value.to_string())).await?.id,
        };
        let mut known = self.lock();
        if known.len() >= GUEST_IDS {
            known.clear();
        }
        known.insert(key, id);
        Ok(id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, i32>> {
        crate::sync::lock(&self.0)
    }
}

/// Makes (or finds) a browser's annotator, as one job of the store's writer.
#[derive(Clone)]
struct NewGuest(String);

impl WriteJob for NewGuest {
    type Output = user::Model;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<user::Model>> {
        Ok(Write::Commit(browser_annotator(txn, &self.0).await?))
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
            ids.id(&store, "cookie-a"),
            ids.id(&store, "cookie-a"),
            ids.id(&store, "cookie-b")
        );
        let (a, again, b) = (a.unwrap(), again.unwrap(), b.unwrap());
        assert_eq!(
            a, again,
            "two first requests of one browser make one annotator"
        );
        assert_ne!(a, b);
        // Another process (nothing remembered) finds the same row.
        assert_eq!(GuestIds::default().id(&store, "cookie-a").await.unwrap(), a);
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
