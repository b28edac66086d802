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
    /// The database failed or could not be reached; nothing was changed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl CoreError {
    pub fn not_found(what: &'static str, key: impl ToString) -> Self {
        Self::NotFound {
            what,
            key: key.to_string(),
        }
    }

    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
