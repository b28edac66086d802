//! User accounts: creating them, signing in with a password or an OpenID subject, roles,
//! disabling, and the first admin of a new instance.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    TransactionTrait,
};
use swipeset_wire::UserLine;

use super::{Role, password};
use crate::db::entities::{rating, user};
use crate::{CoreError, CoreResult};

/// The one message for a failed sign-in, whatever failed: it must not tell a guesser
/// whether the name exists.
pub const WRONG_CREDENTIALS: &str = "wrong name or password";

/// Whether `name` can be a user name: 1 to 40 letters, digits, `-`, `_` or `.`, starting
/// with a letter or digit (Hugging Face names fit).
pub fn check_name(name: &str) -> CoreResult<()> {
    let ok = (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "name",
            format!(
                "`{name}` must be 1 to 40 letters, digits, `-`, `_` or `.`, starting with a letter or digit"
            ),
        ))
    }
}

/// Creates an account with a password.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
    password: &str,
    role: Role,
) -> CoreResult<user::Model> {
    check_name(name)?;
    password::check_strength(password)?;
    if find_by_name(db, name).await?.is_some() {
        return Err(CoreError::Conflict(format!(
            "the name `{name}` is taken; choose another"
        )));
    }
    let hash = password::hash(password).await?;
    insert(db, name, role, Some(hash), None).await
}

async fn insert(
    db: &impl ConnectionTrait,
    name: &str,
    role: Role,
    password_hash: Option<String>,
    oidc_subject: Option<String>,
) -> CoreResult<user::Model> {
    let row = user::ActiveModel {
        name: Set(name.to_string()),
        role: Set(role.name().to_string()),
        disabled: Set(false),
        created_at: Set(chrono::Utc::now()),
        password_hash: Set(password_hash),
        oidc_subject: Set(oidc_subject),
        show_name: Set(false),
        ..Default::default()
    };
    user::Entity::insert(row)
        .exec_with_returning(db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                CoreError::Conflict(format!("the name `{name}` is taken; choose another"))
            }
            _ => e.into(),
        })
}

pub async fn find_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> CoreResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Name.eq(name))
        .one(db)
        .await?)
}

pub async fn find(db: &impl ConnectionTrait, id: i32) -> CoreResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// The user named `name`, or a not-found error naming them (for the CLI and admins).
pub async fn get_by_name(db: &impl ConnectionTrait, name: &str) -> CoreResult<user::Model> {
    find_by_name(db, name)
        .await?
        .ok_or_else(|| CoreError::not_found("user", name))
}

/// Checks a name and password. Every failure but one says `WRONG_CREDENTIALS`: a correct
/// password on a disabled account says the account is disabled, which tells nothing to
/// someone who did not know the password.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    name: &str,
    password: &str,
) -> CoreResult<user::Model> {
    let found = if password.len() > password::MAX_LEN {
        None
    } else {
        find_by_name(db, name).await?
    };
    let hash = found.as_ref().and_then(|u| u.password_hash.as_deref());
    if !password::verify(hash, password).await? {
        return Err(CoreError::unauthorized(WRONG_CREDENTIALS));
    }
    let user = found.ok_or_else(|| CoreError::unauthorized(WRONG_CREDENTIALS))?;
    if user.disabled {
        return Err(CoreError::forbidden(format!(
            "the account `{}` is disabled; ask an admin to re-enable it",
            user.name
        )));
    }
    record_sign_in(db, user.id).await?;
    Ok(user)
}

/// Notes that `id` just signed in (the users page shows when).
pub async fn record_sign_in(db: &impl ConnectionTrait, id: i32) -> CoreResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::LastSignInAt, Expr::value(chrono::Utc::now()))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Changes a password after checking the current one.
pub async fn change_password(
    db: &impl ConnectionTrait,
    id: i32,
    current: &str,
    new: &str,
) -> CoreResult<()> {
    let user = find(db, id)
        .await?
        .ok_or_else(|| CoreError::not_found("user", id))?;
    if user.password_hash.is_some()
        && !password::verify(user.password_hash.as_deref(), current).await?
    {
        return Err(CoreError::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    set_password(db, id, new).await
}

/// Sets a password without the current one (an admin's reset, the CLI).
pub async fn set_password(db: &impl ConnectionTrait, id: i32, new: &str) -> CoreResult<()> {
    password::check_strength(new)?;
    let hash = password::hash(new).await?;
    let updated = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(CoreError::not_found("user", id));
    }
    Ok(())
}

/// Who signs in through OpenID Connect: the issuer's subject, the name the provider
/// suggests, and the organisations it says they belong to.
#[derive(Debug, Clone)]
pub struct OidcIdentity {
    pub issuer: String,
    pub subject: String,
    pub preferred_username: Option<String>,
}

/// The user behind an OpenID identity, created as an annotator on first sign-in and named
/// from `preferred_username` (made valid and unique: `ada`, `ada-2`, …).
pub async fn oidc_sign_in<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    identity: &OidcIdentity,
) -> CoreResult<user::Model> {
    let key = format!("{}|{}", identity.issuer, identity.subject);
    let existing = user::Entity::find()
        .filter(user::Column::OidcSubject.eq(key.clone()))
        .one(db)
        .await?;
    let user = match existing {
        Some(user) => user,
        None => {
            let base = name_from(identity.preferred_username.as_deref().unwrap_or("user"));
            let mut attempt = 1;
            loop {
                let name = if attempt == 1 {
                    base.clone()
                } else {
                    format!("{base}-{attempt}")
                };
                if find_by_name(db, &name).await?.is_none() {
                    match insert(db, &name, Role::Annotator, None, Some(key.clone())).await {
                        Ok(user) => break user,
                        // A concurrent sign-in took the name (or made this user) first.
                        Err(CoreError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                    if let Some(user) = user::Entity::find()
                        .filter(user::Column::OidcSubject.eq(key.clone()))
                        .one(db)
                        .await?
                    {
                        break user;
                    }
                }
                attempt += 1;
                if attempt > 1000 {
                    return Err(CoreError::Conflict(format!(
                        "no free user name near `{base}`"
                    )));
                }
            }
        }
    };
    if user.disabled {
        return Err(CoreError::forbidden(format!(
            "the account `{}` is disabled; ask an admin to re-enable it",
            user.name
        )));
    }
    let now = chrono::Utc::now();
    user::Entity::update_many()
        .col_expr(user::Column::LastSignInAt, Expr::value(now))
        .col_expr(user::Column::OidcCheckedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user.id))
        .exec(db)
        .await?;
    Ok(user::Model {
        last_sign_in_at: Some(now),
        oidc_checked_at: Some(now),
        ..user
    })
}

/// A valid user name made from whatever a provider calls someone.
fn name_from(suggested: &str) -> String {
    let mut name: String = suggested
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .skip_while(|c| !c.is_ascii_alphanumeric())
        .take(34)
        .collect();
    if name.is_empty() {
        name = "user".to_string();
    }
    name
}

/// Changes a user's role. The last enabled admin cannot be demoted, so an instance always
/// has someone who can manage it.
pub async fn set_role<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i32,
    role: Role,
) -> CoreResult<user::Model> {
    update_guarded(db, id, |user| {
        if super::is_guest(user) {
            return Err(CoreError::invalid(
                "role",
                "a guest has no account to give a role to",
            ));
        }
        let demotes_an_admin = role != Role::Admin && is_enabled_admin(user);
        let mut active: user::ActiveModel = user.clone().into();
        active.role = Set(role.name().to_string());
        Ok((demotes_an_admin, active))
    })
    .await
}

/// Disables or re-enables a user. The last enabled admin cannot be disabled.
pub async fn set_disabled<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i32,
    disabled: bool,
) -> CoreResult<user::Model> {
    update_guarded(db, id, |user| {
        let mut active: user::ActiveModel = user.clone().into();
        active.disabled = Set(disabled);
        Ok((disabled && is_enabled_admin(user), active))
    })
    .await
}

fn is_enabled_admin(user: &user::Model) -> bool {
    user.role == Role::Admin.name() && !user.disabled
}

/// Applies the change `plan` makes to user `id` in one transaction, refusing it when it
/// would take away the last enabled admin (`plan` says whether it takes one away).
async fn update_guarded<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i32,
    plan: impl FnOnce(&user::Model) -> CoreResult<(bool, user::ActiveModel)>,
) -> CoreResult<user::Model> {
    let txn = db.begin().await?;
    let user = find(&txn, id)
        .await?
        .ok_or_else(|| CoreError::not_found("user", id))?;
    let (removes_an_admin, change) = plan(&user)?;
    if removes_an_admin {
        keep_an_admin(&txn, id).await?;
    }
    let user = change.update(&txn).await?;
    txn.commit().await?;
    Ok(user)
}

async fn keep_an_admin(db: &impl ConnectionTrait, leaving: i32) -> CoreResult<()> {
    let others = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.name()))
        .filter(user::Column::Disabled.eq(false))
        .filter(user::Column::Id.ne(leaving))
        .count(db)
        .await?;
    if others == 0 {
        return Err(CoreError::Conflict(
            "this is the last enabled admin; make someone else an admin first".to_string(),
        ));
    }
    Ok(())
}

/// Whether the contributors board may show this user's name.
pub async fn set_show_name(db: &impl ConnectionTrait, id: i32, show: bool) -> CoreResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::ShowName, Expr::value(show))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A line of the users page as the database gives it.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
struct UserRow {
    pub id: i32,
    pub name: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_sign_in_at: Option<chrono::DateTime<chrono::Utc>>,
    pub has_password: bool,
    pub has_oidc: bool,
    pub ratings: i64,
}

/// Accounts (guests left out), by name, with how many ratings each gave.
pub async fn list(db: &impl ConnectionTrait) -> CoreResult<Vec<UserLine>> {
    let rows = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Name)
        .column(user::Column::Role)
        .column(user::Column::Disabled)
        .column(user::Column::CreatedAt)
        .column(user::Column::LastSignInAt)
        .column_as(user::Column::PasswordHash.is_not_null(), "has_password")
        .column_as(user::Column::OidcSubject.is_not_null(), "has_oidc")
        .column_as(rating::Column::Id.count(), "ratings")
        .join(JoinType::LeftJoin, user::Relation::Rating.def())
        .filter(
            user::Column::PasswordHash
                .is_not_null()
                .or(user::Column::OidcSubject.is_not_null()),
        )
        .group_by(user::Column::Id)
        .order_by_asc(user::Column::Name)
        .into_model::<UserRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(UserRow::into_line).collect())
}

impl UserRow {
    fn into_line(self) -> UserLine {
        let sign_in = match (self.has_password, self.has_oidc) {
            (true, true) => "password+openid",
            (false, true) => "openid",
            _ => "password",
        };
        UserLine {
            id: self.id,
            name: self.name,
            role: self.role,
            disabled: self.disabled,
            created_at: self.created_at.to_rfc3339(),
            last_sign_in_at: self.last_sign_in_at.map(|t| t.to_rfc3339()),
            sign_in: sign_in.to_string(),
            ratings: self.ratings,
        }
    }
}

/// Makes the first admin of an instance that has none: named `admin`, with `password` or a
/// generated one, which is returned so it can be shown once. `None` when an admin exists.
pub async fn ensure_first_admin(
    db: &impl ConnectionTrait,
    password: Option<&str>,
) -> CoreResult<Option<(user::Model, Option<String>)>> {
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.name()))
        .count(db)
        .await?;
    if admins > 0 {
        return Ok(None);
    }
    let (password, generated) = match password {
        Some(p) => (p.to_string(), None),
        None => {
            let p = password::generate();
            (p.clone(), Some(p))
        }
    };
    let user = create(db, "admin", &password, Role::Admin).await?;
    Ok(Some((user, generated)))
}

#[cfg(test)]
mod tests;
