//! The SQLite writer's statements, run on the writer's own thread.
//!
//! sqlx drives each SQLite connection from a worker thread of its own: every statement is
//! a message to that thread and a wake-up back, and under load each hand-off waits for a
//! core. Measured, that was most of a rating's time in the writer (see
//! docs/BENCHMARKS.md). For the length of a batch the writer borrows a pooled connection's
//! raw handle (`SqliteConnection::lock_handle`), runs the statements itself through
//! rusqlite (prepared statements cached for the batch), and hands SeaORM a proxy database
//! over it, so every write job keeps its SeaORM code.
//!
//! Values cross in sqlx's own encodings (timestamps as RFC 3339 text, booleans as 0/1),
//! so rows written here and rows written through sqlx compare and decode alike. Results
//! are typed by the column's declared type, as SeaORM's entities declare them; a computed
//! column (no declared type) comes back by its storage class, integers as `i64`. Rows are
//! keyed by column name, so read them by name (`FromQueryResult`, entities), not as
//! tuples by position. Errors carry SQLite's message, but `DbErr::sql_err` does not
//! classify them (it knows sqlx's errors only): jobs decide by rows affected instead.

use std::collections::BTreeMap;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use crate::sync::lock;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::types::{Value as Sql, ValueRef};
use sea_orm::{
    Database, DatabaseConnection, DbBackend, DbErr, ProxyDatabaseTrait, ProxyExecResult, ProxyRow,
    Statement, Value,
};

/// How many prepared statements the writer keeps.
const PREPARED_STATEMENTS: usize = 128;

/// A batch's connection: rusqlite over a handle sqlx lent, with the savepoints that
/// SeaORM's (nested) transactions on the proxy stand for.
#[derive(Debug)]
pub(super) struct Lent {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// `None` once the batch gave the handle back: a statement then fails instead of
    /// touching a connection sqlx owns again.
    connection: Mutex<Option<rusqlite::Connection>>,
    /// Open savepoints (SeaORM transactions on the proxy), innermost last.
    depth: Mutex<usize>,
    /// A savepoint statement that failed: SeaORM's proxy cannot return it, so the writer
    /// asks after each job and abandons the batch.
    failure: Mutex<Option<String>>,
}

impl Lent {
    /// Wraps the raw handle of a locked sqlx connection.
    ///
    /// # Safety
    /// `handle` must stay valid, and be used by nobody else, until the `Lent` is dropped
    /// (the sqlx lock guard must outlive it).
    pub(super) unsafe fn new(handle: NonNull<rusqlite::ffi::sqlite3>) -> Result<Self, DbErr> {
        // SAFETY: the caller holds sqlx's lock on the handle for the lifetime of `Lent`,
        // and `from_handle` neither closes nor takes ownership of it.
        let connection = unsafe { rusqlite::Connection::from_handle(handle.as_ptr()) }
            .map_err(|error| lent_err("cannot use the lent SQLite handle", &error))?;
        // The rating path's statements, with room for the few shapes of `IN (…)` lists.
        connection.set_prepared_statement_cache_capacity(PREPARED_STATEMENTS);
        // Each job runs in a savepoint, and SQLite copies every page a savepoint changes
        // into a statement journal first: a temporary file, unless kept in memory.
        connection
            .execute_batch("PRAGMA temp_store = MEMORY")
            .map_err(|error| lent_err("PRAGMA temp_store = MEMORY", &error))?;
        Ok(Self {
            shared: Arc::new(Shared {
                connection: Mutex::new(Some(connection)),
                ..Shared::default()
            }),
        })
    }

    /// A SeaORM connection whose statements run here.
    pub(super) async fn database(&self) -> Result<DatabaseConnection, DbErr> {
        let proxy: Box<dyn ProxyDatabaseTrait> = Box::new(Proxy {
            shared: Arc::clone(&self.shared),
        });
        Database::connect_proxy(DbBackend::Sqlite, Arc::new(proxy)).await
    }

    /// Runs `sql` (statements without results, such as `BEGIN IMMEDIATE`).
    pub(super) fn run(&self, sql: &str) -> Result<(), DbErr> {
        self.shared
            .with(|connection| connection.execute_batch(sql))
            .map_err(|error| lent_err(sql, &error))
    }

    /// The savepoint statement that failed since the last call, if any.
    pub(super) fn take_failure(&self) -> Option<String> {
        lock(&self.shared.failure).take()
    }

    /// Rolls back a transaction left open (a job panicked mid-batch, or a commit failed)
    /// and forgets its savepoints, ready for the next batch.
    pub(super) fn reset(&self) {
        let open = self
            .shared
            .with(|connection| Ok(!connection.is_autocommit()))
            .unwrap_or(false);
        if open && let Err(error) = self.run("ROLLBACK") {
            tracing::error!(%error, "cannot roll back the writer's transaction");
        }
        *lock(&self.shared.depth) = 0;
        *lock(&self.shared.failure) = None;
    }
}

impl Drop for Lent {
    /// Ends the loan: rolls back a transaction left open and drops rusqlite's connection,
    /// finalizing its cached statements, so the handle goes back to sqlx as sqlx left it.
    fn drop(&mut self) {
        self.reset();
        lock(&self.shared.connection).take();
    }
}

fn lent_err(what: &str, error: &rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("SQLite writer: {what}: {error}"))
}

impl Shared {
    fn with<T>(
        &self,
        work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let guard = lock(&self.connection);
        let connection = guard.as_ref().ok_or_else(|| {
            rusqlite::Error::InvalidParameterName(
                "the batch is over; its connection went back to the pool".to_string(),
            )
        })?;
        work(connection)
    }

    /// Runs a savepoint statement, remembering a failure for the writer to see.
    fn savepoint(&self, sql: String) {
        // Prepared once: every job opens and releases one, mostly at the same depth.
        let run = self.with(|connection| {
            for statement in sql.split("; ") {
                connection.prepare_cached(statement)?.execute([])?;
            }
            Ok(())
        });
        if let Err(error) = run {
            *lock(&self.failure) = Some(format!("{sql}: {error}"));
        }
    }

    fn end_savepoint(&self, keep: bool) {
        let depth = {
            let mut depth = lock(&self.depth);
            let open = *depth;
            *depth = open.saturating_sub(1);
            open
        };
        if depth == 0 {
            *lock(&self.failure) = Some("a transaction ended that never began".to_string());
            return;
        }
        match keep {
            true => self.savepoint(format!("RELEASE s{depth}")),
            false => self.savepoint(format!("ROLLBACK TO s{depth}; RELEASE s{depth}")),
        }
    }
}

/// SeaORM's side of the loan.
#[derive(Debug)]
struct Proxy {
    shared: Arc<Shared>,
}

#[async_trait::async_trait]
impl ProxyDatabaseTrait for Proxy {
    async fn query(&self, statement: Statement) -> Result<Vec<ProxyRow>, DbErr> {
        self.shared
            .with(|connection| {
                let mut prepared = connection.prepare_cached(&statement.sql)?;
                bind(&mut prepared, statement.values.as_ref())?;
                let columns: Vec<(String, Declared)> = prepared
                    .columns()
                    .iter()
                    .map(|column| (column.name().to_string(), Declared::of(column.decl_type())))
                    .collect();
                let mut rows = prepared.raw_query();
                let mut read = Vec::new();
                while let Some(row) = rows.next()? {
                    let mut values = BTreeMap::new();
                    for (index, (name, declared)) in columns.iter().enumerate() {
                        values.insert(name.clone(), declared.value(row.get_ref(index)?)?);
                    }
                    read.push(ProxyRow { values });
                }
                Ok(read)
            })
            .map_err(|error| DbErr::Query(sea_orm::RuntimeErr::Internal(error.to_string())))
    }

    async fn execute(&self, statement: Statement) -> Result<ProxyExecResult, DbErr> {
        self.shared
            .with(|connection| {
                let mut prepared = connection.prepare_cached(&statement.sql)?;
                bind(&mut prepared, statement.values.as_ref())?;
                // Step to the end: a statement may return rows (`RETURNING`) and still be
                // run for its effect.
                let mut rows = prepared.raw_query();
                while rows.next()?.is_some() {}
                Ok(ProxyExecResult {
                    last_insert_id: u64::try_from(connection.last_insert_rowid()).unwrap_or(0),
                    rows_affected: connection.changes(),
                })
            })
            .map_err(|error| DbErr::Exec(sea_orm::RuntimeErr::Internal(error.to_string())))
    }

    async fn begin(&self) {
        let depth = {
            let mut depth = lock(&self.shared.depth);
            *depth += 1;
            *depth
        };
        self.shared.savepoint(format!("SAVEPOINT s{depth}"));
    }

    async fn commit(&self) {
        self.shared.end_savepoint(true);
    }

    async fn rollback(&self) {
        self.shared.end_savepoint(false);
    }

    fn start_rollback(&self) {
        self.shared.end_savepoint(false);
    }
}

/// Binds SeaORM's values as sqlx would have encoded them.
fn bind(
    statement: &mut rusqlite::CachedStatement<'_>,
    values: Option<&sea_orm::Values>,
) -> rusqlite::Result<()> {
    for (index, value) in values.into_iter().flat_map(|v| v.0.iter()).enumerate() {
        statement.raw_bind_parameter(index + 1, encode(value)?)?;
    }
    Ok(())
}

fn encode(value: &Value) -> rusqlite::Result<Sql> {
    let int = |v: Option<i64>| v.map_or(Sql::Null, Sql::Integer);
    Ok(match value {
        Value::Bool(v) => int(v.map(i64::from)),
        Value::TinyInt(v) => int(v.map(i64::from)),
        Value::SmallInt(v) => int(v.map(i64::from)),
        Value::Int(v) => int(v.map(i64::from)),
        Value::BigInt(v) => int(*v),
        Value::TinyUnsigned(v) => int(v.map(i64::from)),
        Value::SmallUnsigned(v) => int(v.map(i64::from)),
        Value::Unsigned(v) => int(v.map(i64::from)),
        Value::BigUnsigned(v) => match v {
            None => Sql::Null,
            Some(v) => Sql::Integer(i64::try_from(*v).map_err(|_| {
                rusqlite::Error::ToSqlConversionFailure(
                    format!("{v} is too large for SQLite").into(),
                )
            })?),
        },
        Value::Float(v) => v.map_or(Sql::Null, |v| Sql::Real(f64::from(v))),
        Value::Double(v) => v.map_or(Sql::Null, Sql::Real),
        Value::String(v) => v.as_ref().map_or(Sql::Null, |v| Sql::Text(v.to_string())),
        Value::Char(v) => v.map_or(Sql::Null, |v| Sql::Text(v.to_string())),
        Value::Bytes(v) => v.as_ref().map_or(Sql::Null, |v| Sql::Blob(v.to_vec())),
        Value::Json(v) => v.as_ref().map_or(Sql::Null, |v| Sql::Text(v.to_string())),
        Value::ChronoDate(v) => v
            .as_ref()
            .map_or(Sql::Null, |v| Sql::Text(v.format("%F").to_string())),
        Value::ChronoTime(v) => v
            .as_ref()
            .map_or(Sql::Null, |v| Sql::Text(v.format("%T%.f").to_string())),
        Value::ChronoDateTime(v) => v
            .as_ref()
            .map_or(Sql::Null, |v| Sql::Text(v.format("%F %T%.f").to_string())),
        Value::ChronoDateTimeUtc(v) => v
            .as_ref()
            .map_or(Sql::Null, |v| Sql::Text(rfc3339(v.as_ref()))),
        Value::ChronoDateTimeLocal(v) => v
            .as_ref()
            .map_or(Sql::Null, |v| Sql::Text(rfc3339(v.as_ref()))),
        Value::ChronoDateTimeWithTimeZone(v) => v
            .as_ref()
            .map_or(Sql::Null, |v| Sql::Text(rfc3339(v.as_ref()))),
        #[allow(unreachable_patterns)]
        other => {
            return Err(rusqlite::Error::ToSqlConversionFailure(
                format!("the SQLite writer cannot bind {other:?}").into(),
            ));
        }
    })
}

/// sqlx's text for a timestamp.
fn rfc3339<Tz: chrono::TimeZone>(at: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// How a result column is declared, which says what SeaORM expects from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    Int,
    BigInt,
    Bool,
    Text,
    Timestamp,
    Json,
    Blob,
    Real,
    /// An expression: whatever its storage class says.
    Nothing,
}

impl Declared {
    fn of(declared: Option<&str>) -> Self {
        let Some(declared) = declared else {
            return Self::Nothing;
        };
        match declared.to_ascii_lowercase().as_str() {
            "integer" | "int" | "smallint" | "tinyint" => Self::Int,
            "bigint" => Self::BigInt,
            "boolean" | "bool" => Self::Bool,
            t if t.starts_with("timestamp") || t.starts_with("datetime") => Self::Timestamp,
            t if t.starts_with("json") => Self::Json,
            t if t.contains("char") || t.contains("text") || t.contains("clob") => Self::Text,
            t if t.contains("blob") => Self::Blob,
            t if t.contains("real") || t.contains("double") || t.contains("float") => Self::Real,
            _ => Self::Nothing,
        }
    }

    fn value(self, read: ValueRef<'_>) -> rusqlite::Result<Value> {
        let wrong = |what: &str| {
            rusqlite::Error::InvalidColumnType(
                0,
                format!("{what} in a {self:?} column"),
                read.data_type(),
            )
        };
        Ok(match (self, read) {
            (Self::Int, ValueRef::Null) => Value::Int(None),
            (Self::Int, ValueRef::Integer(v)) => match i32::try_from(v) {
                Ok(v) => Value::Int(Some(v)),
                Err(_) => Value::BigInt(Some(v)),
            },
            (Self::BigInt, ValueRef::Null) => Value::BigInt(None),
            (Self::BigInt, ValueRef::Integer(v)) => Value::BigInt(Some(v)),
            (Self::Bool, ValueRef::Null) => Value::Bool(None),
            (Self::Bool, ValueRef::Integer(v)) => Value::Bool(Some(v != 0)),
            (Self::Text, ValueRef::Null) => Value::String(None),
            (Self::Timestamp, ValueRef::Null) => Value::ChronoDateTimeUtc(None),
            (Self::Timestamp, ValueRef::Text(text)) => {
                let text = std::str::from_utf8(text).map_err(rusqlite::Error::Utf8Error)?;
                Value::ChronoDateTimeUtc(Some(Box::new(
                    parse_timestamp(text).ok_or_else(|| wrong(text))?,
                )))
            }
            (Self::Json, ValueRef::Null) => Value::Json(None),
            (Self::Json, ValueRef::Text(text)) => Value::Json(Some(Box::new(
                serde_json::from_slice(text).map_err(|e| wrong(&format!("invalid JSON ({e})")))?,
            ))),
            (Self::Blob, ValueRef::Null) => Value::Bytes(None),
            (Self::Real, ValueRef::Null) => Value::Double(None),
            (Self::Real, ValueRef::Integer(v)) => Value::Double(Some(v as f64)),
            (_, ValueRef::Integer(v)) => Value::BigInt(Some(v)),
            (_, ValueRef::Real(v)) => Value::Double(Some(v)),
            (_, ValueRef::Text(text)) => Value::String(Some(Box::new(
                std::str::from_utf8(text)
                    .map_err(rusqlite::Error::Utf8Error)?
                    .to_string(),
            ))),
            (_, ValueRef::Blob(bytes)) => Value::Bytes(Some(Box::new(bytes.to_vec()))),
            (Self::Nothing, ValueRef::Null) => Value::BigInt(None),
        })
    }
}

/// A timestamp as sqlx writes it (RFC 3339), or as SQLite's own functions do.
fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            DateTime::parse_from_str(text, "%F %T%.f%:z")
                .map(|at| at.with_timezone(&Utc))
                .ok()
        })
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%F %T%.f")
                .map(|at| at.and_utc())
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    #[test]
    fn timestamps_are_written_as_sqlx_writes_them() {
        let at = DateTime::parse_from_rfc3339("2026-11-27T09:04:25.123456+00:00")
            .unwrap()
            .with_timezone(&Utc);
        let Sql::Text(text) = encode(&Value::ChronoDateTimeUtc(Some(Box::new(at)))).unwrap() else {
            panic!("a timestamp is text");
        };
        assert_eq!(text, "2026-11-27T09:04:25.123456+00:00");
        assert_eq!(parse_timestamp(&text), Some(at));
        assert_eq!(
            parse_timestamp("2026-11-27 09:04:25"),
            Some(at.with_nanosecond(0).unwrap())
        );
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn columns_come_back_as_their_declared_types() {
        assert_eq!(
            Declared::of(Some("integer"))
                .value(ValueRef::Integer(7))
                .unwrap(),
            Value::Int(Some(7))
        );
        assert_eq!(
            Declared::of(Some("boolean"))
                .value(ValueRef::Integer(1))
                .unwrap(),
            Value::Bool(Some(true))
        );
        assert_eq!(
            Declared::of(Some("varchar")).value(ValueRef::Null).unwrap(),
            Value::String(None)
        );
        assert_eq!(
            Declared::of(None).value(ValueRef::Integer(7)).unwrap(),
            Value::BigInt(Some(7))
        );
        let bad = Declared::of(Some("timestamp_with_timezone_text")).value(ValueRef::Text(b"soon"));
        assert!(
            bad.unwrap_err().to_string().contains("soon"),
            "names the bad value"
        );
    }
}
