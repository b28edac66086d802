//! The bottom layer: opening the database, its tables (`entities`) and their history
//! (`migration`), the way writes of the rating path reach it (`store`, with SQLite's
//! group-commit writer), and the "a campaign changed" events published after a commit.
//! Everything above talks to the database through here; nothing here knows a rule of the
//! product.

pub mod backup;
mod connect;
pub mod entities;
pub mod events;
pub(crate) mod keyed;
pub mod migration;
pub mod store;

pub use connect::*;

use sea_orm::{DatabaseBackend, Statement, Value};

/// `sql` with `?` placeholders, as the connection's database spells them.
pub(crate) fn statement(
    backend: DatabaseBackend,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => sql.to_string(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}
