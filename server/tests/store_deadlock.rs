//! On PostgreSQL, two writes that lock the same rows in opposite orders deadlock, and
//! PostgreSQL aborts one of them. The store runs the aborted one again, so neither caller
//! sees an error (two annotators dealt the same two cards at once did).

mod common;

use std::time::Duration;

use common::{Backend, backends};
use sea_orm::ConnectionTrait;
use swipeset_core::Store;
use swipeset_core::db::store::Write;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlocked_write_is_run_again() {
    for backend in backends() {
        if !matches!(backend, Backend::Postgres(_)) {
            continue; // SQLite's single writer cannot deadlock
        }
        let test_db = backend.fresh().await;
        let db = test_db.db.clone();
        db.execute_unprepared("CREATE TABLE pair (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
            .await
            .unwrap();
        db.execute_unprepared("INSERT INTO pair VALUES (1, 0), (2, 0)")
            .await
            .unwrap();
        let store = Store::new(db.clone());
        let crossing = |first: i32, second: i32| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .write(move |txn| {
                        Box::pin(async move {
                            let bump =
                                |id: i32| format!("UPDATE pair SET v = v + 1 WHERE id = {id}");
                            txn.execute_unprepared(&bump(first)).await?;
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            txn.execute_unprepared(&bump(second)).await?;
                            Ok(Write::Commit(()))
                        })
                    })
                    .await
            })
        };
        let (a, b) = (crossing(1, 2), crossing(2, 1));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        assert!(a.is_ok() && b.is_ok(), "{a:?} / {b:?}");
        let total = db
            .query_one(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT CAST(SUM(v) AS INTEGER) AS total FROM pair",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            total.try_get::<i32>("", "total").unwrap(),
            4,
            "both ran once"
        );
    }
}
