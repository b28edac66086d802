//! The swipeset server: configuration, the HTTP router and its handlers, and the server
//! side of the Leptos app. `cli/` is the command line on top of it (`main.rs` parses and
//! dispatches); the integration tests under `tests/` start the same router on a free port.

pub mod auth;
pub mod cli;
pub mod config;
pub mod handlers;
pub mod hub;
pub mod identity;
pub mod limits;
pub mod live;
pub mod router;
pub mod shutdown;
pub mod site;
pub mod state;
pub mod storage;

pub use config::Settings;
pub use router::router;
pub use state::AppState;
