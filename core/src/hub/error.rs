//! What can go wrong talking to the Hub, each case with what to do about it. The messages
//! end up in the terminal and on the export page as they are.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0}")]
    BadRepo(String),
    #[error(
        "no Hugging Face token: set HF_TOKEN, pass --token-file, or sign in with \
         `huggingface-cli login`; make a token with write access at \
         https://huggingface.co/settings/tokens"
    )]
    NoToken,
    #[error("the Hub endpoint {endpoint:?} is not a URL: {reason}")]
    BadEndpoint { endpoint: String, reason: String },
    #[error(
        "{action}: the Hub refused the token (401 Unauthorized): it is missing, mistyped, \
         expired or revoked; make one with write access at \
         https://huggingface.co/settings/tokens{}", detail_suffix(.detail)
    )]
    Unauthorized { action: String, detail: String },
    #[error(
        "{action}: the token may not do this (403 Forbidden){}; it needs write access \
         (a \"write\" token, or a fine-grained token allowed to write to this repository \
         or organisation)", detail_suffix(.detail)
    )]
    Forbidden { action: String, detail: String },
    #[error(
        "{action}: not found (404){}; check the repository's name (OWNER/NAME), and that the \
         token can see it when it is private", detail_suffix(.detail)
    )]
    NotFound { action: String, detail: String },
    #[error("{action}: the Hub reports a conflict (409){}", detail_suffix(.detail))]
    Conflict { action: String, detail: String },
    #[error(
        "{action}: the Hub refused it as too large (413){}; Hub files are limited to 50 GB \
         and regular (non-LFS) files to 10 MB", detail_suffix(.detail)
    )]
    TooLarge { action: String, detail: String },
    #[error(
        "{action}: the Hub is rate-limiting this token (429) and asked to wait {}; try again \
         after that", wait(.retry_after)
    )]
    RateLimited {
        action: String,
        retry_after: Duration,
    },
    #[error(
        "{action}: the Hub answered {status} {attempts} times in a row{}; it may be down, \
         try again later", detail_suffix(.detail)
    )]
    Unavailable {
        action: String,
        status: u16,
        attempts: u32,
        detail: String,
    },
    #[error("{action}: could not reach {endpoint} ({attempts} tries): {detail}")]
    Network {
        action: String,
        endpoint: String,
        attempts: u32,
        detail: String,
    },
    #[error("{action}: the Hub refused it ({status}){}", detail_suffix(.detail))]
    Refused {
        action: String,
        status: u16,
        detail: String,
    },
    #[error("{action}: the Hub's answer was not what its API documents: {detail}")]
    Protocol { action: String, detail: String },
    #[error("{path}: {reason}")]
    Local { path: PathBuf, reason: String },
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

fn wait(duration: &Duration) -> String {
    match duration.as_secs() {
        0..120 => format!("{} s", duration.as_secs().max(1)),
        s => format!("{} min", s.div_ceil(60)),
    }
}

impl HubError {
    pub(crate) fn local(path: impl Into<PathBuf>, reason: impl ToString) -> Self {
        HubError::Local {
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    /// The HTTP status that best passes this on to a browser.
    pub fn status(&self) -> u16 {
        match self {
            HubError::BadRepo(_) | HubError::BadEndpoint { .. } => 400,
            HubError::NoToken | HubError::Unauthorized { .. } => 401,
            HubError::Forbidden { .. } => 403,
            HubError::NotFound { .. } => 404,
            HubError::Conflict { .. } => 409,
            HubError::TooLarge { .. } => 413,
            HubError::RateLimited { .. } => 429,
            HubError::Local { .. } => 500,
            _ => 502,
        }
    }
}
