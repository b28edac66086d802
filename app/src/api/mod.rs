//! The server functions: the app's HTTP API. Each has a fixed path under `/api` and is
//! documented in `docs/API.md`. Bodies are thin: who is asking, which campaign, then one
//! call into `swipeset_core`.

pub mod board;
pub mod error;
pub mod export;
pub mod rating;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

pub use board::{Leaderboard, leaderboard};
pub use error::{ApiError, ErrorCode};
pub use export::{ExportPreview, export_preview};
pub use rating::{
    NextCard, NextCards, Progress, Rate, Skip, Undo, next_card, next_cards, progress, rate, skip,
    undo,
};
pub use types::*;
