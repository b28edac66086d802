//! How annotators appear where their names do not: on the contributors board and in the
//! ratings exports. Both are keyed with the instance's secret (made once by the
//! migrations), so they are stable on one instance yet cannot be recomputed from user
//! numbers, which are small and guessable, by anyone outside it.

use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};

use crate::CoreResult;

/// The instance's secret (made by the migrations).
pub async fn instance_secret(db: &impl ConnectionTrait) -> CoreResult<String> {
    // The same SQL on SQLite and PostgreSQL.
    let row = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT secret FROM instance_secret ORDER BY id LIMIT 1",
        ))
        .await?
        .ok_or_else(|| crate::CoreError::not_found("instance secret", "(run the migrations)"))?;
    Ok(row.try_get("", "secret")?)
}

/// The contributors board's name for an annotator who has not chosen to show theirs: the
/// same person is always the same pseudonym on this instance, and it reveals nothing
/// about them.
pub fn board_name(secret: &str, user_id: i32) -> String {
    let digest = Sha256::digest(format!("swipeset-annotator:{secret}:{user_id}"));
    format!("Annotator {}", &hex::encode(digest)[..6])
}

/// The pseudonymous id of an annotator in a campaign's exports: the same in every export of
/// that campaign, different from campaign to campaign and from the board's names, and
/// never their name.
pub fn annotator_id(secret: &str, campaign_id: i32, user_id: i32) -> String {
    let digest = Sha256::digest(format!("swipeset-export:{secret}:{campaign_id}:{user_id}"));
    format!("a-{}", &hex::encode(digest)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_names_are_stable_per_instance_and_unrelated_across_instances() {
        let (a, b) = ("secret-of-instance-a", "secret-of-instance-b");
        assert_eq!(board_name(a, 7), board_name(a, 7));
        assert_ne!(board_name(a, 7), board_name(b, 7));
        assert_ne!(board_name(a, 7), board_name(a, 8));
        assert!(board_name(a, 7).starts_with("Annotator "));
        assert_eq!(board_name(a, 7).len(), "Annotator ".len() + 6);
    }
}
