//! The leaderboard: the counters every rating moves (`aggregates`: their recount, beside
//! the triggers that keep them), the board read from them (`leaderboard`), and the
//! statistics that turn counts into rates, intervals, ranks and agreement (`stats`). The
//! campaign-wide counters are kept in shards (`triggers::SHARDS`), summed when read
//! (`shards`).

pub mod aggregates;
pub mod downloads;
pub mod leaderboard;
pub mod model_page;
pub mod progress;
pub(crate) mod shards;
pub mod stats;
pub mod triggers;
