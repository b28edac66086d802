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
