//! Who is asking, as the server worked it out from the session cookie or the bearer token,
//! and the checks every server function and route makes with it.

use super::Role;
use crate::db::entities::{campaign, user};
use crate::{CoreError, CoreResult};

/// A signed-in user (or a guest annotator), as far as access decisions need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i32,
    pub name: String,
    pub role: Role,
    /// A guest is known by a browser cookie, not an account; where an instance allows guests,
    /// they may rate but never manage anything.
    pub guest: bool,
}

/// The one answer to "who is this request from". Built once per request by the server,
/// read by every check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Caller {
    /// Nobody signed in.
    #[default]
    Anonymous,
    /// A signed-in, enabled user.
    User(Account),
    /// A user whose account an admin disabled: they may do nothing, not even what an
    /// anonymous visitor may.
    Disabled { name: String },
}

impl Caller {
    /// The caller's account, from a user row; a disabled row gives `Disabled`.
    pub fn from_user(user: &user::Model) -> Self {
        if user.disabled {
            return Caller::Disabled {
                name: user.name.clone(),
            };
        }
        Caller::User(Account {
            id: user.id,
            name: user.name.clone(),
            role: user.role.parse().unwrap_or(Role::Annotator),
            guest: super::is_guest(user),
        })
    }

    /// The account, if anyone is signed in and enabled.
    pub fn account(&self) -> Option<&Account> {
        match self {
            Caller::User(account) => Some(account),
            _ => None,
        }
    }

    /// Anyone may; only a disabled account is refused.
    pub fn require_not_disabled(&self) -> CoreResult<()> {
        match self {
            Caller::Disabled { name } => Err(CoreError::forbidden(format!(
                "the account `{name}` is disabled; ask an admin to re-enable it"
            ))),
            _ => Ok(()),
        }
    }

    /// A signed-in user of any role (guests included).
    pub fn require_signed_in(&self) -> CoreResult<&Account> {
        self.require_not_disabled()?;
        self.account()
            .ok_or_else(|| CoreError::unauthorized("sign in first"))
    }

    /// A signed-in user with an account (not a guest): for profiles and tokens.
    pub fn require_account(&self) -> CoreResult<&Account> {
        let account = self.require_signed_in()?;
        if account.guest {
            return Err(CoreError::unauthorized(
                "guests have no profile; sign in or sign up first",
            ));
        }
        Ok(account)
    }

    /// An admin.
    pub fn require_admin(&self) -> CoreResult<&Account> {
        let account = self.require_signed_in()?;
        if account.role != Role::Admin || account.guest {
            return Err(CoreError::forbidden("only an admin may do this"));
        }
        Ok(account)
    }

    /// May see this campaign's leaderboard: anyone when the campaign made it public,
    /// otherwise a signed-in user.
    pub fn require_board_viewer(&self, campaign: &campaign::Model) -> CoreResult<()> {
        self.require_not_disabled()?;
        if campaign.public_board || self.account().is_some() {
            Ok(())
        } else {
            Err(CoreError::unauthorized(format!(
                "the leaderboard of `{}` is for signed-in users; sign in first",
                campaign.slug
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: &str, disabled: bool) -> user::Model {
        user::Model {
            id: 7,
            name: "ada".into(),
            role: role.into(),
            disabled,
            browser_key: None,
            created_at: chrono::Utc::now(),
            password_hash: Some("x".into()),
            oidc_subject: None,
            show_name: false,
            last_sign_in_at: None,
            oidc_checked_at: None,
        }
    }

    fn board(public: bool) -> campaign::Model {
        campaign::Model {
            id: 1,
            slug: "c".into(),
            title: "C".into(),
            guidelines: String::new(),
            overlap: 3,
            reveal_models: false,
            created_at: chrono::Utc::now(),
            license: "other".into(),
            public_board: public,
            open: true,
            system_prompt: None,
            flag_agreement_pct: 60,
            flag_fast_ms: 1000,
            gold_every: 10,
            gold_cards: 0,
            flag_gold_pct: 60,
            adaptive_overlap: false,
            guest_hold_back: 0,
            render_markdown: true,
            category_field: None,
        }
    }

    #[test]
    fn roles_gate_what_they_should() {
        let admin = Caller::from_user(&user("admin", false));
        let annotator = Caller::from_user(&user("annotator", false));
        let disabled = Caller::from_user(&user("admin", true));
        let anonymous = Caller::Anonymous;
        assert!(admin.require_admin().is_ok());
        assert!(matches!(
            annotator.require_admin(),
            Err(CoreError::Forbidden(_))
        ));
        assert!(matches!(
            anonymous.require_admin(),
            Err(CoreError::Unauthorized(_))
        ));
        assert!(matches!(
            disabled.require_admin(),
            Err(CoreError::Forbidden(_))
        ));
        assert!(annotator.require_signed_in().is_ok());
        assert!(disabled.require_signed_in().is_err());
    }

    #[test]
    fn a_guest_is_never_an_admin_and_has_no_profile() {
        let mut row = user("admin", false);
        row.password_hash = None;
        row.browser_key = Some("k".into());
        let guest = Caller::from_user(&row);
        assert!(guest.require_signed_in().is_ok());
        assert!(guest.require_admin().is_err());
        assert!(guest.require_account().is_err());
    }

    #[test]
    fn public_boards_are_open_to_all_but_the_disabled() {
        let anonymous = Caller::Anonymous;
        let disabled = Caller::from_user(&user("annotator", true));
        let annotator = Caller::from_user(&user("annotator", false));
        assert!(anonymous.require_board_viewer(&board(true)).is_ok());
        assert!(anonymous.require_board_viewer(&board(false)).is_err());
        assert!(annotator.require_board_viewer(&board(false)).is_ok());
        assert!(disabled.require_board_viewer(&board(true)).is_err());
    }

    #[test]
    fn unknown_roles_fall_back_to_the_least_power() {
        let odd = Caller::from_user(&user("superuser", false));
        assert!(odd.require_admin().is_err());
    }
}
