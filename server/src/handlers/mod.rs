//! HTTP handlers that are not server functions.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use swipeset_app::api::ApiError;
use swipeset_core::accounts::Caller;

pub mod export;
pub mod health;
pub mod import;

/// The same JSON error, status and wording as the server functions give.
pub fn api_error(error: ApiError) -> Response {
    let status =
        StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(error)).into_response()
}

/// Who is asking, as the authentication middleware found out; anonymous without it.
pub fn caller(found: Option<Extension<Caller>>) -> Caller {
    found.map(|Extension(caller)| caller).unwrap_or_default()
}
