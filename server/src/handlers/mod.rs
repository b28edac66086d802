//! HTTP handlers that are not server functions.

pub mod health;
