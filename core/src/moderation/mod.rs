//! What admins do about raters and responses: take a careless or hostile rater's votes out
//! of a campaign (`exclusion`), see each rater's figures (`raters`), read raters' flags on
//! cards (`flags`), hide a response or delete a rating (`hiding`), with every action
//! recorded in the audit log (`audit`).

pub mod audit;
pub mod exclusion;
pub mod flags;
pub mod hiding;
pub mod raters;
pub(crate) mod set_aside;

/// Who did something, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An admin, signed in on the web or with a token.
    Admin { id: i32, name: String },
    /// Someone with shell access to the server, through `swipeset …`.
    CommandLine,
}

impl Actor {
    pub fn id(&self) -> Option<i32> {
        match self {
            Actor::Admin { id, .. } => Some(*id),
            Actor::CommandLine => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Actor::Admin { name, .. } => name,
            Actor::CommandLine => "command line",
        }
    }
}

/// A reason as people type it: trimmed, required, and short enough to show in a list.
pub(crate) fn reason(text: &str) -> crate::CoreResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(crate::CoreError::invalid(
            "reason",
            "say why, for the audit log (for example `random clicking: 31% agreement`)",
        ));
    }
    if text.chars().count() > 500 {
        return Err(crate::CoreError::invalid(
            "reason",
            "at most 500 characters",
        ));
    }
    Ok(text.to_string())
}
