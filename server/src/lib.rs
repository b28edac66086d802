//! The swipeset server: configuration, the HTTP router and its handlers, and the server
//! side of the Leptos app. `main.rs` is the command line on top of it; the integration
//! tests under `tests/` start the same router on a free port.

pub mod auth;
pub mod config;
pub mod data_commands;
pub mod export_command;
pub mod handlers;
pub mod identity;
pub mod live;
pub mod router;
pub mod shutdown;
pub mod user_commands;

pub use config::Settings;
pub use router::{AppState, router};
