//! HTTP handlers that are not server functions.

pub mod export;
pub mod health;
