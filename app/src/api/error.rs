//! The error every server function returns. It travels as JSON (`{"code": ..., "message":
//! ...}`), and on the server it sets the HTTP status to match its code, so a bad request is
//! a 4xx with a readable message, never a bare 500.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request was malformed or broke a rule: fix it and send it again.
    BadRequest,
    /// Nobody is signed in, or the credentials were wrong.
    Unauthorized,
    /// The caller's role or account state does not allow this.
    Forbidden,
    /// The request named something that does not exist.
    NotFound,
    /// The request clashes with what exists (a taken name, the last admin, an export with
    /// no rows).
    Conflict,
    /// Too many attempts or requests; wait before trying again (`Retry-After` says how
    /// long).
    TooManyRequests,
    /// The server could not reach its database; trying again later may work.
    Unavailable,
    /// The browser could not reach the server.
    Network,
    /// A bug on the server.
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Unavailable | ErrorCode::Network => 503,
            ErrorCode::Internal => 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let error = Self {
            code,
            message: message.into(),
        };
        #[cfg(feature = "ssr")]
        error.set_response_status();
        error
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// Makes the response that carries this error use its status code. Errors are built
    /// inside the request's reactive owner, where leptos_axum keeps the response options.
    #[cfg(feature = "ssr")]
    fn set_response_status(&self) {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = http::StatusCode::from_u16(self.code.status())
        {
            response.set_status(status);
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let code = match value {
            // Raised while decoding the request's arguments: the caller sent a bad body.
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => ErrorCode::BadRequest,
            ServerFnErrorErr::Request(_) => ErrorCode::Network,
            _ => ErrorCode::Internal,
        };
        Self::new(code, value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<swipeset_core::CoreError> for ApiError {
    fn from(error: swipeset_core::CoreError) -> Self {
        use swipeset_core::CoreError;
        match error {
            CoreError::NotFound { .. } => Self::new(ErrorCode::NotFound, error.to_string()),
            CoreError::Invalid { .. } => Self::new(ErrorCode::BadRequest, error.to_string()),
            CoreError::Unauthorized(_) => Self::new(ErrorCode::Unauthorized, error.to_string()),
            CoreError::Forbidden(_) => Self::new(ErrorCode::Forbidden, error.to_string()),
            CoreError::Conflict(_) => Self::new(ErrorCode::Conflict, error.to_string()),
            CoreError::Throttled { retry_after_secs }
            | CoreError::RateLimited {
                retry_after_secs, ..
            } => {
                retry_after(retry_after_secs);
                Self::new(ErrorCode::TooManyRequests, error.to_string())
            }
            CoreError::Busy { retry_after_secs } => {
                retry_after(retry_after_secs);
                Self::new(ErrorCode::Unavailable, error.to_string())
            }
            CoreError::Db(db) => {
                tracing::error!(error = %db, "database error in a server function");
                Self::new(
                    ErrorCode::Unavailable,
                    "the database did not answer; nothing was changed, try again",
                )
            }
        }
    }
}

/// Tells the client when to try again (`Retry-After`).
#[cfg(feature = "ssr")]
fn retry_after(secs: u64) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(value) = http::HeaderValue::from_str(&secs.to_string())
    {
        response.insert_header(http::header::RETRY_AFTER, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_failures_are_the_callers_fault() {
        let e = ApiError::from_server_fn_error(ServerFnErrorErr::Deserialization(
            "expected value at line 1 column 1".into(),
        ));
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert_eq!(e.code.status(), 400);
        assert!(e.message.contains("line 1 column 1"));
    }

    #[test]
    fn travels_as_plain_json() {
        let e = ApiError::new(ErrorCode::NotFound, "response 7 does not exist");
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"code":"not_found","message":"response 7 does not exist"}"#
        );
    }
}
