//! HTTP handlers that are not server functions.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use swipeset_app::api::ApiError;

pub mod board;
pub mod export;
pub mod generate;
pub mod health;
pub mod import;

/// The same JSON error, status and wording as the server functions give.
pub fn api_error(error: ApiError) -> Response {
    let status =
        StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(error)).into_response()
}
