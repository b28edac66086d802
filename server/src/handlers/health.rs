//! `GET /healthz`: 200 when the database answers, 503 when it does not, for load balancers
//! and uptime checks.
//!
//! Anyone may call it, so the body only says *whether* the database answers: the error
//! itself (which can name hosts, users, paths or the driver) goes to the server's log.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;

/// How long the database may take to answer before the check reports it down.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = match tokio::time::timeout(DATABASE_TIMEOUT, swipeset_core::db::ping(&state.db))
        .await
    {
        Ok(Ok(())) => {
            return (
                StatusCode::OK,
                Json(json!({ "status": "ok", "database": "ok" })),
            );
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: database error");
            "unavailable"
        }
        Err(_) => {
            tracing::warn!(timeout = ?DATABASE_TIMEOUT, "health check: the database did not answer in time");
            "timed out"
        }
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "database": database })),
    )
}
