//! Where the rating path's writes go: the database, plus (on SQLite) one writer that
//! commits many small writes together.
//!
//! SQLite writes one transaction at a time, and with `synchronous=FULL` each commit waits
//! for an fsync. Sixty-four phones each committing their own rating queue up behind one
//! another, and the waiting is SQLite's busy handler sleeping, not a fair queue. Instead,
//! every write of the rating path (dealing cards, a rating with the next cards, an undo, a
//! skip: each one job, reads included) goes to a writer as a job; the writer takes
//! whatever jobs are waiting, runs each inside its own savepoint of one transaction,
//! commits once, and only then answers each job. One fsync covers the whole batch, an
//! answer still means "on disk", and a job that fails rolls back its savepoint without
//! touching its neighbours.
//!
//! The writer runs on a thread of its own and executes its statements there, through
//! rusqlite on a connection sqlx lends it (`sqlite_proxy`): jobs are SeaORM code like
//! everything else, but no statement waits for a hand-off to sqlx's worker thread.
//!
//! PostgreSQL has row locks and its own group commit, so there each job simply runs in
//! its own transaction.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    TransactionTrait,
};
use sqlx::ConnectOptions;
use std::panic::AssertUnwindSafe;
use tokio::sync::{mpsc, oneshot};

mod sqlite_proxy;

use crate::db::events::{EventBus, InProcessBus};
use crate::sync::Every;
use crate::{CoreError, CoreResult};

/// The most jobs one commit covers. Enough to absorb every waiting phone at once; small
/// enough that one batch stays a few milliseconds of work.
const MAX_BATCH: usize = 256;

/// How often dealing looks for lapsed leases, at most.
const LEASE_SWEEP_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// How many jobs may wait for the writer before callers wait to hand theirs in.
const QUEUE: usize = 4_096;

/// A future that borrows the transaction it runs in.
pub type TxnFuture<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// What a job asks for at its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write<T> {
    /// Keep what the job wrote.
    Commit(T),
    /// Undo what the job wrote (it found nothing to do), but still answer with `T`.
    Discard(T),
}

/// One write of the rating path, run by [`Store::run`] in a transaction of its own (a
/// savepoint of the writer's batch, on SQLite). A job is a value holding its inputs, so
/// its body reads as plain async code; the store clones it for each try, since on
/// PostgreSQL a job that lost a deadlock runs again.
pub trait WriteJob: Clone + Send + Sync + 'static {
    type Output: Send + 'static;

    /// The job's reads and writes, all in `txn`.
    fn write(
        self,
        txn: &DatabaseTransaction,
    ) -> impl Future<Output = CoreResult<Write<Self::Output>>> + Send + '_;
}

/// The database and the way to it for writes. Cheap to clone: clones share the writer
/// and the event bus.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    writer: Option<mpsc::Sender<Box<dyn Job>>>,
    events: Arc<dyn EventBus>,
    /// At most once a second, dealing frees lapsed leases (see `rating::leases`): the
    /// gate is shared by every clone, so concurrent dealers do not all sweep.
    lease_sweep: Arc<Every>,
    /// The most cards one rater may hold at once (`Store::with_hold_cap`).
    hold_cap: usize,
}

/// The most cards one rater holds at once unless the settings say otherwise: a phone's
/// offline deck (20) fits, and three identities can no longer hold every slot of a
/// small campaign between them.
pub const DEFAULT_HOLD_CAP: usize = 20;

impl Store {
    /// Wraps `db`; on SQLite this starts the writer on a thread of its own. The writer
    /// stops when the last clone of the store is dropped.
    pub fn new(db: DatabaseConnection) -> Self {
        let writer = (db.get_database_backend() == DatabaseBackend::Sqlite).then(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            spawn_writer(db.clone(), receiver);
            sender
        });
        Self {
            db,
            writer,
            events: Arc::new(InProcessBus::default()),
            lease_sweep: Arc::new(Every::new(LEASE_SWEEP_INTERVAL)),
            hold_cap: DEFAULT_HOLD_CAP,
        }
    }

    /// Lets one rater hold at most `cards` cards at once: dealing beyond that renews the
    /// cards they hold and leases no new one.
    pub fn with_hold_cap(self, cards: usize) -> Self {
        Self {
            hold_cap: cards.max(1),
            ..self
        }
    }

    /// The most cards one rater may hold at once.
    pub fn hold_cap(&self) -> usize {
        self.hold_cap
    }

    /// The once-a-second gate of the lease sweep.
    pub(crate) fn lease_sweep(&self) -> &Every {
        &self.lease_sweep
    }

    /// Uses `events` instead of the in-process bus (a bus shared between replicas).
    pub fn with_events(self, events: Arc<dyn EventBus>) -> Self {
        Self { events, ..self }
    }

    /// Where "a campaign's aggregates changed" is published once a write has committed.
    pub fn events(&self) -> &Arc<dyn EventBus> {
        &self.events
    }

    /// The connection pool, for reads and for writes outside the rating path.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs `job` and answers once its writes are committed; an error rolls them back.
    pub async fn run<J: WriteJob>(&self, job: J) -> CoreResult<J::Output> {
        self.write(move |txn| Box::pin(job.clone().write(txn)))
            .await
    }

    /// Runs `job` in a transaction (a savepoint of a shared one, on SQLite) and answers
    /// once its writes are committed. An error rolls the job's writes back. The closure
    /// form of [`Store::run`], for jobs written inline (tests).
    pub async fn write<T, F>(&self, job: F) -> CoreResult<T>
    where
        T: Send + 'static,
        F: for<'t> Fn(&'t DatabaseTransaction) -> TxnFuture<'t, CoreResult<Write<T>>>
            + Send
            + 'static,
    {
        let Some(writer) = &self.writer else {
            // PostgreSQL: row locks taken in different orders by concurrent jobs (two
            // deals claiming the same two cards, say) can deadlock; PostgreSQL then
            // aborts one of them, which is simply run again.
            let mut attempt = 0;
            loop {
                match self.write_once(&job).await {
                    Err(error) if attempt < DEADLOCK_RETRIES && is_deadlock(&error) => {
                        attempt += 1;
                        // Jittered, so the victims of one deadlock do not meet again.
                        let jitter = u64::from(
                            std::time::SystemTime::now()
                                .duration_since(std::time::UNIX_EPOCH)
                                .map_or(0, |d| d.subsec_nanos())
                                % 20,
                        );
                        tokio::time::sleep(std::time::Duration::from_millis(5 * attempt + jitter))
                            .await;
                    }
                    done => return done,
                }
            }
        };
        let (reply, answer) = oneshot::channel();
        writer
            .send(Box::new(Queued { job, reply }))
            .await
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

impl Store {
    /// Runs `job` in a transaction of its own.
    async fn write_once<T, F>(&self, job: &F) -> CoreResult<T>
    where
        F: for<'t> Fn(&'t DatabaseTransaction) -> TxnFuture<'t, CoreResult<Write<T>>>,
    {
        let txn = self.db.begin().await?;
        match job(&txn).await {
            Ok(Write::Commit(value)) => {
                txn.commit().await?;
                Ok(value)
            }
            Ok(Write::Discard(value)) => {
                txn.rollback().await?;
                Ok(value)
            }
            Err(error) => {
                txn.rollback().await?;
                Err(error)
            }
        }
    }
}

/// How often a job PostgreSQL aborted as a deadlock victim is run again. The counter
/// triggers update the standing (`annotator_stat`) of every other rater of the response, in
/// no set order, so two ratings of different responses with raters in common can deadlock;
/// under load on two replicas a rating lost four deadlocks in a row about once in a few
/// runs of `server/tests/replicas.rs` (each costs PostgreSQL's 1 s `deadlock_timeout`).
/// Taking those rows in a set order inside the triggers is the lasting fix.
const DEADLOCK_RETRIES: u64 = 8;

/// PostgreSQL's "deadlock detected" (SQLSTATE 40P01) or "could not serialize" (40001).
fn is_deadlock(error: &CoreError) -> bool {
    let CoreError::Db(DbErr::Exec(runtime) | DbErr::Query(runtime)) = error else {
        return false;
    };
    let sea_orm::RuntimeErr::SqlxError(sqlx::Error::Database(database)) = runtime else {
        return false;
    };
    matches!(database.code().as_deref(), Some("40P01" | "40001"))
}

fn writer_gone() -> CoreError {
    CoreError::Db(DbErr::Custom(
        "the database writer dropped this write before committing it; nothing was stored"
            .to_string(),
    ))
}

/// A job waiting for the writer, with its result type erased so jobs of all kinds share
/// one queue.
trait Job: Send {
    /// Runs the job inside a savepoint of the batch's transaction on `batch` (a
    /// transaction begun on it is one); what to tell the caller once the batch's commit is
    /// known.
    fn run<'t>(self: Box<Self>, batch: &'t DatabaseConnection) -> TxnFuture<'t, Box<dyn Answer>>;

    /// The batch could not start: tell the caller why.
    fn fail(self: Box<Self>, why: &DbErr);
}

/// A finished job's result, held back until the commit.
trait Answer: Send {
    fn send(self: Box<Self>, commit: Result<(), &DbErr>);
}

impl std::fmt::Debug for dyn Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

struct Queued<F, T> {
    job: F,
    reply: oneshot::Sender<CoreResult<T>>,
}

struct Finished<T> {
    result: CoreResult<T>,
    /// Whether the job kept writes that the batch's commit must carry.
    wrote: bool,
    reply: oneshot::Sender<CoreResult<T>>,
}

impl<T, F> Job for Queued<F, T>
where
    T: Send + 'static,
    F: for<'t> Fn(&'t DatabaseTransaction) -> TxnFuture<'t, CoreResult<Write<T>>> + Send + 'static,
{
    fn run<'t>(self: Box<Self>, batch: &'t DatabaseConnection) -> TxnFuture<'t, Box<dyn Answer>> {
        Box::pin(async move {
            let Queued { job, reply } = *self;
            let (result, wrote) = match batch.begin().await {
                Err(error) => (Err(CoreError::Db(error)), false),
                Ok(savepoint) => match job(&savepoint).await {
                    Ok(Write::Commit(value)) => match savepoint.commit().await {
                        Ok(()) => (Ok(value), true),
                        Err(error) => (Err(CoreError::Db(error)), false),
                    },
                    Ok(Write::Discard(value)) => (
                        savepoint
                            .rollback()
                            .await
                            .map(|()| value)
                            .map_err(Into::into),
                        false,
                    ),
                    Err(error) => {
                        if let Err(rollback) = savepoint.rollback().await {
                            tracing::warn!(%rollback, "rolling back a failed write job");
                        }
                        (Err(error), false)
                    }
                },
            };
            Box::new(Finished {
                result,
                wrote,
                reply,
            }) as Box<dyn Answer>
        })
    }

    fn fail(self: Box<Self>, why: &DbErr) {
        let _ = self.reply.send(Err(CoreError::Db(DbErr::Custom(format!(
            "cannot start a write: {why}"
        )))));
    }
}

impl<T: Send> Answer for Finished<T> {
    fn send(self: Box<Self>, commit: Result<(), &DbErr>) {
        let result = match commit {
            Err(why) if self.wrote => Err(CoreError::Db(DbErr::Custom(format!(
                "the write was not stored: {why}"
            )))),
            _ => self.result,
        };
        // The caller may have gone (a closed connection); the write stands regardless.
        let _ = self.reply.send(result);
    }
}

/// Starts the writer on a thread with a runtime of its own.
///
/// On the server's runtime the writer's task waited behind every HTTP request's task
/// whenever it yielded; on its own thread it runs a batch straight through (its
/// statements never yield: they run right there, see `sqlite_proxy`).
fn spawn_writer(db: DatabaseConnection, jobs: mpsc::Receiver<Box<dyn Job>>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let started = runtime.and_then(|runtime| {
        std::thread::Builder::new()
            .name("swipeset-writer".to_string())
            .spawn(move || runtime.block_on(run_writer(db, jobs)))
    });
    if let Err(error) = started {
        // Callers then get "the database writer dropped this write" for each write.
        tracing::error!(%error, "cannot start the database writer");
    }
}

/// The writer: one batch at a time, as many waiting jobs per batch as there are.
///
/// On a database file it keeps a connection of its own for its whole life, so its page
/// cache and prepared statements stay warm from batch to batch; an in-memory database
/// lives in the pool's single connection, which the writer then borrows for each batch.
async fn run_writer(db: DatabaseConnection, mut jobs: mpsc::Receiver<Box<dyn Job>>) {
    let pool = db.get_sqlite_connection_pool().clone();
    if pool.options().get_max_connections() > 1 {
        let own = pool.connect_options().connect().await.map_err(sqlx_err);
        match own {
            Ok(own) => match serve_on(own, &mut jobs).await {
                Ok(()) => return,
                Err(error) => tracing::warn!(%error, "the database writer shares the pool"),
            },
            Err(error) => tracing::warn!(%error, "the database writer shares the pool"),
        }
    }
    while let Some(batch) = next_batch(&mut jobs).await {
        let mut connection = match pool.acquire().await {
            Ok(connection) => connection,
            Err(error) => {
                fail_batch(batch, &sqlx_err(error));
                continue;
            }
        };
        let mut handle = match connection.lock_handle().await {
            Ok(handle) => handle,
            Err(error) => {
                fail_batch(batch, &sqlx_err(error));
                continue;
            }
        };
        // SAFETY: `handle` (sqlx's lock on the connection) is declared before the `Lent`
        // and outlives it; the connection goes back to the pool only after both.
        match unsafe { sqlite_proxy::Lent::new(handle.as_raw_handle()) } {
            Ok(lent) => run_guarded(&lent, batch).await,
            Err(error) => fail_batch(batch, &error),
        }
    }
}

/// Serves every batch on `own`, a connection nobody else has; an error only if the
/// connection cannot be lent at all (the writer then falls back to the pool).
async fn serve_on(
    mut own: sqlx::SqliteConnection,
    jobs: &mut mpsc::Receiver<Box<dyn Job>>,
) -> Result<(), DbErr> {
    let mut handle = own.lock_handle().await.map_err(sqlx_err)?;
    // SAFETY: `handle` is declared before `lent` and outlives it.
    let lent = unsafe { sqlite_proxy::Lent::new(handle.as_raw_handle()) }?;
    while let Some(batch) = next_batch(jobs).await {
        run_guarded(&lent, batch).await;
    }
    Ok(())
}

/// The jobs waiting now (at least one, at most `MAX_BATCH`); `None` once every store is
/// gone.
async fn next_batch(jobs: &mut mpsc::Receiver<Box<dyn Job>>) -> Option<Vec<Box<dyn Job>>> {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    (jobs.recv_many(&mut batch, MAX_BATCH).await > 0).then_some(batch)
}

fn sqlx_err(error: sqlx::Error) -> DbErr {
    DbErr::Conn(sea_orm::RuntimeErr::SqlxError(error))
}

/// Runs a batch; should a job panic, that batch is lost (rolled back, its callers told)
/// and the writer carries on with the next one.
async fn run_guarded(lent: &sqlite_proxy::Lent, batch: Vec<Box<dyn Job>>) {
    let proxy = match lent.database().await {
        Ok(proxy) => proxy,
        Err(error) => return fail_batch(batch, &error),
    };
    if AssertUnwindSafe(run_batch(lent, &proxy, batch))
        .catch_unwind()
        .await
        .is_err()
    {
        tracing::error!("a job of the database writer panicked; its batch was rolled back");
        lent.reset();
    }
}

/// Runs `batch` in one transaction, each job in a savepoint of its own, and answers each
/// job once the commit is known.
async fn run_batch(
    lent: &sqlite_proxy::Lent,
    proxy: &DatabaseConnection,
    batch: Vec<Box<dyn Job>>,
) {
    // `IMMEDIATE` takes SQLite's write lock at once (waiting under the busy timeout): a
    // deferred transaction that read first would fail with SQLITE_BUSY_SNAPSHOT if
    // another connection committed meanwhile.
    if let Err(error) = lent.run("BEGIN IMMEDIATE") {
        return fail_batch(batch, &error);
    }
    let (jobs, started) = (batch.len(), std::time::Instant::now());
    let mut answers = Vec::with_capacity(batch.len());
    let mut broken = None;
    for job in batch {
        answers.push(job.run(proxy).await);
        if let Some(failure) = lent.take_failure() {
            broken = Some(DbErr::Custom(format!("a savepoint failed ({failure})")));
            break;
        }
    }
    let ran = started.elapsed();
    let commit = match broken {
        None => lent.run("COMMIT"),
        Some(error) => lent.run("ROLLBACK").and(Err(error)),
    };
    tracing::debug!(jobs, ?ran, committed = ?started.elapsed(), "database writer batch");
    if let Err(error) = &commit {
        tracing::error!(%error, "the database writer could not commit a batch");
        lent.reset();
    }
    for answer in answers {
        answer.send(commit.as_ref().map(|_| ()));
    }
}

/// Tells every job of a batch that could not start why.
fn fail_batch(batch: Vec<Box<dyn Job>>, why: &DbErr) {
    tracing::error!(%why, "the database writer cannot begin a batch");
    for job in batch {
        job.fail(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_db;
    use sea_orm::Statement;

    async fn count(db: &DatabaseConnection) -> i64 {
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM t",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    }

    fn insert(
        value: i64,
    ) -> impl for<'t> Fn(&'t DatabaseTransaction) -> TxnFuture<'t, CoreResult<Write<i64>>> + Send + 'static
    {
        move |txn| {
            Box::pin(async move {
                txn.execute_unprepared(&format!("INSERT INTO t (v) VALUES ({value})"))
                    .await?;
                if value < 0 {
                    return Err(CoreError::invalid("v", "negative"));
                }
                if value == 0 {
                    return Ok(Write::Discard(value));
                }
                Ok(Write::Commit(value))
            })
        }
    }

    /// A database file with one table `t (v)`, behind a store (whose writer keeps a
    /// connection of its own); `remove_file_store` deletes it.
    async fn file_store() -> (std::path::PathBuf, DatabaseConnection, Store) {
        let path = std::env::temp_dir().join(format!("swipeset-store-{}.db", uuid::Uuid::new_v4()));
        let db = crate::db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.execute_unprepared("CREATE TABLE t (v INTEGER NOT NULL)")
            .await
            .unwrap();
        let store = Store::new(db.clone());
        (path, db, store)
    }

    async fn remove_file_store(path: std::path::PathBuf, db: DatabaseConnection, store: Store) {
        drop(store);
        db.close().await.unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    /// An in-memory database with one table `t (v)`, behind a store.
    async fn table_t_store() -> (DatabaseConnection, Store) {
        let db = fresh_db().await;
        db.execute_unprepared("CREATE TABLE t (v INTEGER NOT NULL)")
            .await
            .unwrap();
        let store = Store::new(db.clone());
        (db, store)
    }

    #[tokio::test]
    async fn each_job_keeps_or_loses_only_its_own_writes() {
        let (db, store) = table_t_store().await;
        assert!(store.writer.is_some(), "SQLite gets a writer");

        // Many jobs at once: they share batches, and each answer matches its job.
        let mut tasks = tokio::task::JoinSet::new();
        for v in -20..=60 {
            let store = store.clone();
            tasks.spawn(async move { (v, store.write(insert(v)).await) });
        }
        while let Some(joined) = tasks.join_next().await {
            let (v, result) = joined.unwrap();
            match v {
                v if v < 0 => assert!(matches!(result, Err(CoreError::Invalid { .. }))),
                v => assert_eq!(result.unwrap(), v),
            }
        }
        // 1..=60 committed; the failed (negative) and discarded (0) jobs left nothing.
        assert_eq!(count(&db).await, 60);
    }

    /// Jobs that read before they write, while another connection keeps committing: a
    /// deferred transaction would fail with SQLITE_BUSY_SNAPSHOT; the writer must wait for
    /// the lock instead and lose nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_survive_other_connections_writing() {
        let (path, db, store) = file_store().await;
        db.execute_unprepared("CREATE TABLE other (v INTEGER NOT NULL)")
            .await
            .unwrap();

        let outsider = {
            let db = db.clone();
            tokio::spawn(async move {
                for v in 0..300 {
                    db.execute_unprepared(&format!("INSERT INTO other (v) VALUES ({v})"))
                        .await
                        .unwrap();
                }
            })
        };
        let mut jobs = tokio::task::JoinSet::new();
        for v in 0..300i64 {
            let store = store.clone();
            jobs.spawn(async move {
                store
                    .write(move |txn| {
                        Box::pin(async move {
                            // Read first: this pins the transaction's snapshot.
                            txn.query_one(Statement::from_string(
                                txn.get_database_backend(),
                                "SELECT COUNT(*) AS n FROM other",
                            ))
                            .await?;
                            txn.execute_unprepared(&format!("INSERT INTO t (v) VALUES ({v})"))
                                .await?;
                            Ok(Write::Commit(()))
                        })
                    })
                    .await
            });
        }
        let mut failed = Vec::new();
        while let Some(done) = jobs.join_next().await {
            if let Err(error) = done.unwrap() {
                failed.push(error.to_string());
            }
        }
        outsider.await.unwrap();
        let stored = count(&db).await;
        remove_file_store(path, db, store).await;
        assert!(
            failed.is_empty(),
            "{} jobs failed, e.g. {:?}",
            failed.len(),
            failed.first()
        );
        assert_eq!(stored, 300);
    }

    /// A job that writes and then panics: its batch is rolled back (the write with it),
    /// its caller gets an error, and the writer goes on with the next job.
    async fn survives_a_panicking_job(db: &DatabaseConnection, store: &Store) {
        let lost = store
            .write(|txn| -> TxnFuture<'_, CoreResult<Write<()>>> {
                Box::pin(async move {
                    txn.execute_unprepared("INSERT INTO t (v) VALUES (99)")
                        .await?;
                    panic!("a bug in a job")
                })
            })
            .await;
        assert!(matches!(lost, Err(CoreError::Db(_))), "{lost:?}");
        assert_eq!(store.write(insert(7)).await.unwrap(), 7);
        assert_eq!(
            count(db).await,
            1,
            "the panicking job's write was rolled back"
        );
    }

    #[tokio::test]
    async fn a_panicking_job_loses_its_batch_but_not_the_writer() {
        let (db, store) = table_t_store().await;
        survives_a_panicking_job(&db, &store).await;
    }

    /// The same on a database file, where the writer keeps a connection of its own.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_job_on_a_file_loses_its_batch_but_not_the_writer() {
        let (path, db, store) = file_store().await;
        survives_a_panicking_job(&db, &store).await;
        remove_file_store(path, db, store).await;
    }

    #[tokio::test]
    async fn an_answer_means_the_write_is_visible_to_others() {
        let (db, store) = table_t_store().await;
        for v in 1..=5 {
            store.write(insert(v)).await.unwrap();
            assert_eq!(count(&db).await, v, "committed before the answer");
        }
    }
}
