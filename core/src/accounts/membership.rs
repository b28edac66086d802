//! Organisation membership of OpenID accounts, on an instance that admits only members of
//! some organisations (`--oidc-allowed-orgs`).
//!
//! Membership is checked when someone signs in through the provider; after that, a session,
//! an API token or a password would keep working after they left the organisation. The
//! rule: an account linked to the provider is governed by it.
//!
//! - Its membership is good for `valid_for` (24 hours by default) after each sign-in through
//!   the provider. Past that, its sessions stand for nobody, its API tokens are refused,
//!   and its password (if an admin gave it one) does not sign it in, until it signs in
//!   through the provider again, which checks the organisations afresh.
//! - It cannot give itself a password: the password would outlive the membership.
//!
//! Accounts made with a password (by an admin or at sign-up) are not linked and are not
//! governed by the provider.

use chrono::{DateTime, Duration, Utc};

use crate::CoreError;
use crate::db::entities::user;

/// The rule, for an instance that limits sign-in to organisations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRule {
    /// The provider's name as the sign-in button says it (`Hugging Face`).
    pub provider: String,
    /// The organisations admitted, as configured.
    pub orgs: Vec<String>,
    pub valid_for: Duration,
}

/// How long a confirmation lasts unless configured: a day.
pub const DEFAULT_VALID_FOR_HOURS: i64 = 24;

impl MembershipRule {
    /// Whether `user` is linked to the provider and its last confirmation is too old (or
    /// it never had one).
    pub fn lapsed(&self, user: &user::Model, now: DateTime<Utc>) -> bool {
        user.oidc_subject.is_some()
            && user
                .oidc_checked_at
                .is_none_or(|checked| checked + self.valid_for <= now)
    }

    /// What a lapsed account is told.
    pub fn refusal(&self) -> CoreError {
        CoreError::unauthorized(format!(
            "sign in with {} again to confirm that you belong to {}",
            self.provider,
            self.orgs.join(" or ")
        ))
    }

    /// Refuses a password for an account linked to the provider.
    pub fn refuse_password(&self, user: &user::Model) -> Result<(), CoreError> {
        if user.oidc_subject.is_some() && user.password_hash.is_none() {
            return Err(CoreError::forbidden(format!(
                "this account signs in with {}, which checks that you belong to {}; it cannot \
                 have a password here",
                self.provider,
                self.orgs.join(" or ")
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> MembershipRule {
        MembershipRule {
            provider: "Hugging Face".into(),
            orgs: vec!["swipe-org".into()],
            valid_for: Duration::hours(24),
        }
    }

    fn user(oidc: bool, checked: Option<DateTime<Utc>>) -> user::Model {
        user::Model {
            id: 1,
            name: "ada".into(),
            role: "annotator".into(),
            disabled: false,
            browser_key: None,
            created_at: Utc::now(),
            password_hash: None,
            oidc_subject: oidc.then(|| "https://hf.co|1".into()),
            show_name: false,
            last_sign_in_at: None,
            oidc_checked_at: checked,
        }
    }

    #[test]
    fn a_confirmation_lasts_its_time_and_unlinked_accounts_need_none() {
        let now = Utc::now();
        let rule = rule();
        assert!(!rule.lapsed(&user(true, Some(now - Duration::hours(23))), now));
        assert!(rule.lapsed(&user(true, Some(now - Duration::hours(24))), now));
        assert!(rule.lapsed(&user(true, None), now), "never confirmed");
        assert!(!rule.lapsed(&user(false, None), now), "a password account");
        assert!(rule.refusal().to_string().contains("Hugging Face again"));
    }

    #[test]
    fn a_linked_account_cannot_give_itself_a_password() {
        let rule = rule();
        assert!(matches!(
            rule.refuse_password(&user(true, Some(Utc::now()))),
            Err(CoreError::Forbidden(_))
        ));
        assert!(rule.refuse_password(&user(false, None)).is_ok());
    }
}
