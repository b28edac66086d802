//! The leaderboard: the counters every rating moves (`aggregates`: their recount, beside
//! the triggers that keep them), the board read from them (`leaderboard`), and the
//! statistics that turn counts into rates, intervals, ranks and agreement (`stats`).

pub mod aggregates;
pub mod leaderboard;
pub mod progress;
pub mod stats;
pub mod triggers;
