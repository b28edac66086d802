//! Accounts and access: who a request comes from (`Caller`), what each role may do, and the
//! stores behind sign-in — users with argon2id passwords or an OpenID subject, personal API
//! tokens, and the failed-sign-in counters. HTTP and sessions stay in the server; every rule
//! about who may do what is here, where a unit test reaches it.

mod caller;
pub mod guests;
pub mod membership;
pub mod password;
pub mod pseudonyms;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use caller::{Account, Caller};

use crate::named::named_values;

/// What a user may do. Admins may do everything an annotator may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Rates and sees leaderboards.
    Annotator,
    /// Also manages campaigns, prompts, models, users and exports.
    Admin,
}

named_values!(Role, "role", { Annotator => "annotator", Admin => "admin" });

/// A guest is known by a browser cookie alone: no password, no OpenID link.
pub fn is_guest(user: &crate::db::entities::user::Model) -> bool {
    user.browser_key.is_some() && user.password_hash.is_none() && user.oidc_subject.is_none()
}
