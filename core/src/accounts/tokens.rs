//! Personal API tokens: `swipeset_` and 40 random letters and digits (about 238 bits), shown
//! once when made. Only the token's SHA-256 is stored; a token that random needs no slow
//! hash, and looking it up stays one indexed read per request.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};
use swipeset_wire::TokenLine;

use crate::db::entities::{api_token, user};
use crate::{CoreError, CoreResult};

pub const PREFIX: &str = "swipeset_";

/// A token's `last_used_at` is written at most this often, so an API client does not turn
/// every read into a write.
const LAST_USED_GRANULARITY_SECS: i64 = 60;

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Makes a token for `user_id`; returns its row and the token itself, which exists nowhere
/// else afterwards.
pub async fn create(
    db: &impl ConnectionTrait,
    user_id: i32,
    name: &str,
) -> CoreResult<(api_token::Model, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(CoreError::invalid(
            "name",
            "a token needs a name of 1 to 60 characters, to tell it apart later",
        ));
    }
    let token = {
        use rand::Rng;
        use rand::distr::Alphanumeric;
        let random: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(40)
            .map(char::from)
            .collect();
        format!("{PREFIX}{random}")
    };
    let row = api_token::Entity::insert(api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_string()),
        token_hash: Set(digest(&token)),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    Ok((row, token))
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Revoked,
}

/// The user a bearer token belongs to. A revoked or unknown token is refused (never
/// treated as anonymous); the owner may still be disabled, which the caller checks.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
) -> CoreResult<Result<user::Model, Refusal>> {
    if !token.starts_with(PREFIX) || token.len() > 128 {
        return Ok(Err(Refusal::Unknown));
    }
    let Some((row, owner)) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(digest(token)))
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(Err(Refusal::Unknown));
    };
    if row.revoked_at.is_some() {
        return Ok(Err(Refusal::Revoked));
    }
    let Some(owner) = owner else {
        return Ok(Err(Refusal::Unknown));
    };
    let now = chrono::Utc::now();
    let stale = row
        .last_used_at
        .is_none_or(|t| (now - t).num_seconds() >= LAST_USED_GRANULARITY_SECS);
    if stale {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(Ok(owner))
}

/// A user's tokens, newest first, revoked ones included (their history is useful).
pub async fn list(db: &impl ConnectionTrait, user_id: i32) -> CoreResult<Vec<api_token::Model>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?)
}

/// Revokes one of `user_id`'s tokens. Someone else's token id reads as not found, so ids
/// cannot be probed.
pub async fn revoke(db: &impl ConnectionTrait, user_id: i32, token_id: i32) -> CoreResult<()> {
    let updated = api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            Expr::value(chrono::Utc::now()),
        )
        .filter(api_token::Column::Id.eq(token_id))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        let exists = api_token::Entity::find_by_id(token_id)
            .filter(api_token::Column::UserId.eq(user_id))
            .one(db)
            .await?
            .is_some();
        if !exists {
            return Err(CoreError::not_found("API token", token_id));
        }
    }
    Ok(())
}

/// A token as its owner's list shows it: never the token itself, which is shown once.
pub fn line(t: api_token::Model) -> TokenLine {
    TokenLine {
        id: t.id,
        name: t.name,
        created_at: t.created_at.to_rfc3339(),
        last_used_at: t.last_used_at.map(|t| t.to_rfc3339()),
        revoked_at: t.revoked_at.map(|t| t.to_rfc3339()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{Role, users};
    use crate::testing::fresh_db;

    #[tokio::test]
    async fn a_token_works_until_revoked_and_only_its_hash_is_kept() {
        let db = fresh_db().await;
        let ada = users::create(&db, "ada", "lovelace-1815", Role::Annotator)
            .await
            .unwrap();
        let bob = users::create(&db, "bob", "builder-1999", Role::Annotator)
            .await
            .unwrap();
        let (row, token) = create(&db, ada.id, "laptop").await.unwrap();
        assert!(token.starts_with(PREFIX) && token.len() == PREFIX.len() + 40);
        assert_ne!(row.token_hash, token);
        assert!(!row.token_hash.contains(&token[PREFIX.len()..]));

        let owner = authenticate(&db, &token).await.unwrap().unwrap();
        assert_eq!(owner.id, ada.id);
        assert!(list(&db, ada.id).await.unwrap()[0].last_used_at.is_some());

        assert!(matches!(
            revoke(&db, bob.id, row.id).await,
            Err(CoreError::NotFound { .. })
        ));
        assert!(
            authenticate(&db, &token).await.unwrap().is_ok(),
            "bob could not revoke it"
        );
        revoke(&db, ada.id, row.id).await.unwrap();
        assert_eq!(
            authenticate(&db, &token).await.unwrap().unwrap_err(),
            Refusal::Revoked
        );
        let forged = format!("{PREFIX}{}", "a".repeat(40));
        assert_eq!(
            authenticate(&db, &forged).await.unwrap().unwrap_err(),
            Refusal::Unknown
        );
        assert!(create(&db, ada.id, "  ").await.is_err());
    }
}
