//! One module per route.

pub mod account;
pub mod campaigns;
pub mod export;
pub mod flag;
pub mod flags;
mod generate;
pub mod leaderboard;
pub mod model;
pub mod not_found;
mod publish;
pub mod rate;
pub mod raters;
pub mod users;
