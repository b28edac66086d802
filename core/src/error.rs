//! The one error type of the domain. Each variant says what the caller can do about it, so
//! the HTTP layer can map it to a status code without inspecting messages.

use sea_orm::DbErr;

pub type CoreResult<T> = Result<T, CoreError>;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The caller named something that does not exist (a campaign slug, a generation id).
    #[error("{what} {key} does not exist")]
    NotFound { what: &'static str, key: String },
    /// The caller sent a value that breaks a rule; `field` says which value.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// Nobody is signed in, or the credentials were wrong: sign in (again).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but their role or state does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The request clashes with what exists (a name already taken, the last admin).
    #[error("{0}")]
    Conflict(String),
    /// Too many sign-in attempts: wait `retry_after_secs` before trying again.
    #[error("too many failed sign-ins; try again in {}", wait(*retry_after_secs))]
    Throttled { retry_after_secs: u64 },
    /// The caller did too much of something in a short time (`what` says what, and how to
    /// avoid the limit): wait `retry_after_secs` before trying again.
    #[error("{what}; try again in {}", wait(*retry_after_secs))]
    RateLimited {
        what: &'static str,
        retry_after_secs: u64,
    },
    /// The server is doing as much of this work as it allows itself at once (checking
    /// passwords); nothing was changed, try again after `retry_after_secs`.
    #[error("the server is busy checking other sign-ins; try again in {}", wait(*retry_after_secs))]
    Busy { retry_after_secs: u64 },
    /// The database failed or could not be reached; nothing was changed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// "N seconds" under two minutes, "N minutes" after.
fn wait(secs: u64) -> String {
    match secs {
        1 => "1 second".into(),
        0..120 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

impl CoreError {
    pub fn not_found(what: &'static str, key: impl ToString) -> Self {
        Self::NotFound {
            what,
            key: key.to_string(),
        }
    }

    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Self::Unauthorized(reason.into())
    }

    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::Forbidden(reason.into())
    }

    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
