//! Accounts: who is signed in, their API tokens, and the admin's list of users.

use serde::{Deserialize, Serialize};

/// Who is signed in, and which ways to sign in this instance offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MeReply {
    pub user: Option<MeUser>,
    /// Whether anyone may make an account here.
    pub open_registration: bool,
    /// The label of the OpenID Connect button ("Hugging Face"), when one is configured.
    pub oidc: Option<String>,
    /// Whether people may rate without an account, as a guest of their browser.
    pub guests: bool,
    /// For admins only: what is wrong with the instance itself (ratings that a restart
    /// would lose), shown on every admin page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeUser {
    pub name: String,
    /// `annotator` or `admin`.
    pub role: String,
    pub guest: bool,
    pub has_password: bool,
    /// Whether the contributors board shows this name (a pseudonym otherwise).
    pub show_name: bool,
}

/// One of the caller's API tokens. The token itself is never sent again after it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenLine {
    pub id: i32,
    pub name: String,
    /// RFC 3339 times.
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A token just made: the only time `token` is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub id: i32,
    pub name: String,
    pub token: String,
}

/// A line of the admin's users page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLine {
    pub id: i32,
    pub name: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: String,
    pub last_sign_in_at: Option<String>,
    /// `password`, `openid`, or `password+openid`.
    pub sign_in: String,
    pub ratings: i64,
}
