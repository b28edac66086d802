//! Prompt identity. Two prompts are the same when their normalised text is the same, so
//! re-importing a file (or a copy with different spacing) adds nothing.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use crate::CoreResult;
use crate::db::entities::prompt;

/// Trims and collapses runs of whitespace. Case is left alone: it carries meaning in
/// prompts ("US" and "us").
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Hex SHA-256 of the normalised text and optional system prompt: the per-campaign
/// deduplication key stored in `prompt.content_hash`.
pub fn content_hash(text: &str, system_prompt: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(normalise(text).as_bytes());
    if let Some(system) = system_prompt {
        // A separator that normalised text cannot contain keeps ("a", "b c") apart from ("a b", "c").
        hasher.update(b"\0system\0");
        hasher.update(normalise(system).as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// How many prompts the campaign has.
pub async fn count(db: &impl ConnectionTrait, campaign_id: i32) -> CoreResult<u64> {
    Ok(prompt::Entity::find()
        .filter(prompt::Column::CampaignId.eq(campaign_id))
        .count(db)
        .await?)
}

/// Adds a prompt to a campaign. The unique (campaign, content hash) index refuses a prompt
/// the campaign already has.
pub async fn add(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    text: &str,
    system_prompt: Option<&str>,
    metadata: Option<serde_json::Value>,
) -> CoreResult<prompt::Model> {
    Ok(prompt::Entity::insert(prompt::ActiveModel {
        campaign_id: Set(campaign_id),
        text: Set(text.to_string()),
        system_prompt: Set(system_prompt.map(str::to_string)),
        metadata: Set(metadata),
        content_hash: Set(content_hash(text, system_prompt)),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_does_not_change_identity() {
        assert_eq!(
            content_hash("Write a  haiku\nabout rain ", None),
            content_hash("Write a haiku about rain", None)
        );
    }

    #[test]
    fn case_and_system_prompt_do() {
        assert_ne!(content_hash("us", None), content_hash("US", None));
        assert_ne!(
            content_hash("a", Some("b c")),
            content_hash("a b", Some("c"))
        );
        assert_ne!(content_hash("a", None), content_hash("a", Some("")));
    }
}
