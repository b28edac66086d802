//! swipeset's domain: the tables, their migrations, and every rule about campaigns, cards
//! and ratings. Nothing here knows about HTTP or Leptos, so the CLI, the HTTP API and the
//! tests all reach the same rules through plain async functions over a `DatabaseConnection`.
//!
//! Grouped by area, each using only those listed before it:
//! `db` (connection, tables, migrations, the write path), `accounts` (users, guests,
//! tokens, who may do what), `campaign` (campaigns, prompts, responses, models, the demo),
//! `rating` (dealing cards, leases, rating, skipping), `board` (counters, leaderboard,
//! statistics), `moderation` (raters' figures, exclusion, the audit log), then `import`, `export`, `generate` and `hub`, which move data in and out.

pub mod db;

pub mod accounts;
pub mod campaign;
pub mod rating;

pub mod board;
pub mod moderation;

pub mod export;
pub mod generate;
pub mod hub;
pub mod import;

pub mod error;

mod named;
pub mod sync;
#[cfg(test)]
pub(crate) mod testing;

pub use db::store::Store;
pub use error::{CoreError, CoreResult};
pub use sea_orm::DatabaseConnection;
pub use swipeset_wire::{self as wire, Label};
