//! swipeset's domain: the tables, their migrations, and every rule about campaigns, cards
//! and ratings. Nothing here knows about HTTP or Leptos, so the CLI, the HTTP API and the
//! tests all reach the same rules through plain async functions over a `DatabaseConnection`.

pub mod accounts;
pub mod aggregates;
pub mod annotators;
#[cfg(test)]
mod assignment_properties;
pub mod campaigns;
pub mod cards;
pub mod db;
pub mod demo;
pub mod entities;
pub mod error;
pub mod events;
pub mod export;
pub mod generate;
pub mod generations;
pub mod import;
pub mod label;
pub mod leaderboard;
pub mod leases;
pub mod migration;
pub mod models;
mod named;
pub mod prompts;
pub mod ratings;
pub mod skips;
pub mod stats;
pub mod store;
pub mod sync;
#[cfg(test)]
pub(crate) mod testing;
pub mod triggers;

pub use error::{CoreError, CoreResult};
pub use label::Label;
pub use sea_orm::DatabaseConnection;
pub use store::Store;
